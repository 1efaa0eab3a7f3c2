//! The pod status the kubelet writes, as `generateAPIPodStatus` and `pkg/kubelet/status`
//! make it: phase (`getPhase`), the five conditions in upstream's order, container statuses
//! (sorted by name; init containers in spec order), host and pod IPs, start time.

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting, ContainerStatus, HostIP,
    PodCondition, PodIP, PodSpec, PodStatus,
};

use super::worker::{restart_policy, Ctr, PodWorker};
use super::Env;
use crate::apiserver::k8s_time;
use crate::node::runtime::cri::{self, ContainerState as CriState};
use crate::node::runtime::RuntimeService;

/// One container's API status. `default_reason` is what a container not yet created waits for.
fn container_status(
    c: &Ctr,
    spec_image: &str,
    rt: &dyn RuntimeService,
    env_now: cri::Time,
    default_reason: &str,
) -> ContainerStatus {
    let cur = c.status(rt, env_now);
    let prev = c.previous.as_ref().and_then(|id| rt.container_status(env_now, id).ok());
    let terminated = |s: &cri::ContainerStatus| ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code: s.exit_code,
            reason: Some(s.reason.clone()),
            started_at: s.started_at.map(k8s_time),
            finished_at: s.finished_at.map(k8s_time),
            container_id: Some(format!("containerd://{}", s.id)),
            ..Default::default()
        }),
        ..Default::default()
    };
    let waiting = |reason: &str, message: Option<String>| ContainerState {
        waiting: Some(ContainerStateWaiting { reason: Some(reason.to_string()), message }),
        ..Default::default()
    };
    let mut last = prev.as_ref().filter(|p| p.state == CriState::Exited).map(terminated);
    // While its postStart handler runs, the pod worker has not yet seen it start.
    let hooked = c.post_start.as_ref().is_some_and(|(until, _)| *until > env_now);
    let (state, running) = match (&c.waiting, &cur) {
        (None, Some(s)) if hooked && s.state == CriState::Running => (waiting("ContainerCreating", None), false),
        (Some((reason, msg)), cur) => {
            if let Some(cur) = cur.as_ref().filter(|s| s.state == CriState::Exited) {
                last = Some(terminated(cur));
            }
            (waiting(reason, Some(msg.clone())), false)
        }
        (None, Some(s)) if s.state == CriState::Running => (
            ContainerState {
                running: Some(ContainerStateRunning { started_at: s.started_at.map(k8s_time) }),
                ..Default::default()
            },
            true,
        ),
        // A start that failed after the container started: waiting, its exit the last state.
        (None, Some(s)) if s.state == CriState::Exited && c.start_error.is_some() => {
            last = Some(terminated(s));
            let (reason, msg) = c.start_error.clone().unwrap_or_default();
            (waiting(reason, Some(msg)), false)
        }
        (None, Some(s)) if s.state == CriState::Exited => (terminated(s), false),
        _ => (waiting(default_reason, None), false),
    };
    let started = running && c.probes.started();
    ContainerStatus {
        name: c.name.clone(),
        state: Some(state),
        last_state: Some(last.unwrap_or_default()),
        ready: started && c.probes.ready(),
        restart_count: c.restarts,
        image: cur.as_ref().map(|s| s.image.clone()).unwrap_or_else(|| spec_image.to_string()),
        image_id: cur.as_ref().map(|s| s.image_ref.clone()).unwrap_or_default(),
        container_id: cur.as_ref().map(|s| format!("containerd://{}", s.id)),
        started: Some(started),
        ..Default::default()
    }
}

fn is_terminated(s: &ContainerStatus) -> Option<i32> {
    s.state.as_ref().and_then(|st| st.terminated.as_ref()).map(|t| t.exit_code)
}

fn has_last_termination(s: &ContainerStatus) -> bool {
    s.last_state.as_ref().is_some_and(|l| l.terminated.is_some())
}

/// `getPhase` of kubelet_pods.go.
fn phase(spec: &PodSpec, init: &[ContainerStatus], ctrs: &[ContainerStatus], pod_is_terminal: bool) -> &'static str {
    let (mut pending_init, mut failed_init) = (0, 0);
    for s in init {
        let st = s.state.as_ref();
        match is_terminated(s) {
            Some(0) => {}
            Some(_) => failed_init += 1,
            None if st.is_some_and(|st| st.waiting.is_some()) && has_last_termination(s) => failed_init += 1,
            None => pending_init += 1,
        }
    }
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for s in ctrs {
        let st = s.state.as_ref();
        if st.is_some_and(|st| st.running.is_some()) {
            running += 1;
        } else if let Some(code) = is_terminated(s) {
            stopped += 1;
            if code == 0 {
                succeeded += 1;
            }
        } else if has_last_termination(s) {
            stopped += 1;
        } else {
            waiting += 1;
        }
    }
    let policy = restart_policy(spec);
    if failed_init > 0 && policy == "Never" {
        return "Failed";
    }
    if pending_init > 0 || failed_init > 0 || waiting > 0 {
        return "Pending";
    }
    if running > 0 {
        return "Running";
    }
    if stopped > 0 {
        if pod_is_terminal {
            return if stopped == succeeded { "Succeeded" } else { "Failed" };
        }
        if policy == "Always" {
            return "Running";
        }
        if stopped == succeeded {
            return "Succeeded";
        }
        if policy == "Never" {
            return "Failed";
        }
        return "Running";
    }
    "Pending"
}

/// A condition; its message is written only for a false one (a true one has none), as most
/// of the kubelet's conditions are true most of the time.
fn condition(type_: &str, ok: bool, reason: Option<&str>, message: impl FnOnce() -> Option<String>) -> PodCondition {
    PodCondition {
        type_: type_.to_string(),
        status: if ok { "True" } else { "False" }.to_string(),
        reason: if ok { None } else { reason.map(str::to_string) },
        message: if ok { None } else { message() },
        ..Default::default()
    }
}

fn names(list: &[&str]) -> String {
    format!("[{}]", list.join(" "))
}

/// The status to write for the pod now. `pod_is_terminal`: the pod is being deleted and no
/// container runs any more.
pub fn generate(w: &PodWorker, env: &Env<'_>, spec: &PodSpec, pod_is_terminal: bool) -> PodStatus {
    let now = env.now;
    let rt: &dyn RuntimeService = &*env.runtime;
    let image_of = |c: &Ctr| PodWorker::container_spec(spec, c).and_then(|s| s.image.clone()).unwrap_or_default();
    let initializing =
        w.init.iter().any(|c| c.status(rt, now).is_none_or(|s| s.state != CriState::Exited || s.exit_code != 0));
    let init: Vec<ContainerStatus> =
        w.init.iter().map(|c| container_status(c, &image_of(c), rt, now, "PodInitializing")).collect();
    let default = if initializing { "PodInitializing" } else { "ContainerCreating" };
    let mut ctrs: Vec<ContainerStatus> =
        w.ctrs.iter().map(|c| container_status(c, &image_of(c), rt, now, default)).collect();
    ctrs.sort_by(|a, b| a.name.cmp(&b.name));
    let phase = phase(spec, &init, &ctrs, pod_is_terminal);

    let incomplete: Vec<&str> = init.iter().filter(|s| is_terminated(s) != Some(0)).map(|s| s.name.as_str()).collect();
    let unready: Vec<&str> = ctrs.iter().filter(|s| !s.ready).map(|s| s.name.as_str()).collect();
    let sandbox_ready =
        w.sandbox.is_some() && !w.terminal && !pod_is_terminal && phase != "Succeeded" && phase != "Failed";
    let ready_reason = if phase == "Succeeded" { "PodCompleted" } else { "ContainersNotReady" };
    let ready_message =
        || (phase != "Succeeded").then(|| format!("containers with unready status: {}", names(&unready)));
    let initialized_reason = if phase == "Succeeded" { "PodCompleted" } else { "ContainersNotInitialized" };
    let mut conditions = vec![
        condition("PodReadyToStartContainers", sandbox_ready, None, || None),
        condition("Initialized", incomplete.is_empty(), Some(initialized_reason), || {
            Some(format!("containers with incomplete status: {}", names(&incomplete)))
        }),
        condition("Ready", unready.is_empty(), Some(ready_reason), ready_message),
        condition("ContainersReady", unready.is_empty(), Some(ready_reason), ready_message),
        condition("PodScheduled", true, None, || None),
    ];
    let old = w.old_status();
    let old_conditions = old.and_then(|s| s.conditions.as_deref()).unwrap_or_default();
    for c in &mut conditions {
        let same = old_conditions.iter().find(|o| o.type_ == c.type_ && o.status == c.status);
        c.last_transition_time =
            Some(same.and_then(|o| o.last_transition_time.clone()).unwrap_or_else(|| k8s_time(now)));
    }
    // Conditions others own (DisruptionTarget, readiness gates) stay as they are.
    let owned = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];
    conditions.extend(old_conditions.iter().filter(|o| !owned.contains(&o.type_.as_str())).cloned());

    PodStatus {
        phase: Some(phase.to_string()),
        conditions: Some(conditions),
        host_ip: Some(env.node_ip.to_string()),
        host_ips: Some(vec![HostIP { ip: env.node_ip.to_string() }]),
        pod_ip: w.ip.clone(),
        pod_ips: w.ip.clone().map(|ip| vec![PodIP { ip }]),
        start_time: Some(k8s_time(w.start_time)),
        init_container_statuses: if init.is_empty() { None } else { Some(init) },
        container_statuses: Some(ctrs),
        qos_class: old.and_then(|s| s.qos_class.clone()),
        nominated_node_name: old.and_then(|s| s.nominated_node_name.clone()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cs(name: &str, state: &str, last: bool) -> ContainerStatus {
        let mut st = ContainerState::default();
        match state {
            "running" => st.running = Some(Default::default()),
            "ok" => st.terminated = Some(ContainerStateTerminated { exit_code: 0, ..Default::default() }),
            "err" => st.terminated = Some(ContainerStateTerminated { exit_code: 1, ..Default::default() }),
            _ => st.waiting = Some(Default::default()),
        }
        let last_state = last.then(|| ContainerState {
            terminated: Some(ContainerStateTerminated { exit_code: 1, ..Default::default() }),
            ..Default::default()
        });
        ContainerStatus { name: name.into(), state: Some(st), last_state, ..Default::default() }
    }

    fn check(policy: &str, init: &[(&str, bool)], ctrs: &[(&str, bool)], terminal: bool, expect: &str) {
        let spec = PodSpec { restart_policy: Some(policy.into()), ..Default::default() };
        let i: Vec<_> = init.iter().map(|(s, l)| cs("i", s, *l)).collect();
        let c: Vec<_> = ctrs.iter().map(|(s, l)| cs("c", s, *l)).collect();
        assert_eq!(phase(&spec, &i, &c, terminal), expect, "{policy} {init:?} {ctrs:?}");
    }

    #[test]
    fn phases() {
        check("Always", &[], &[("waiting", false)], false, "Pending");
        check("Always", &[], &[("running", false)], false, "Running");
        check("Always", &[], &[("waiting", true)], false, "Running");
        check("Always", &[], &[("ok", false)], false, "Running");
        check("Always", &[], &[("ok", false)], true, "Succeeded");
        check("Always", &[], &[("err", false)], true, "Failed");
        check("Never", &[], &[("err", false)], false, "Failed");
        check("Never", &[], &[("ok", false)], false, "Succeeded");
        check("OnFailure", &[], &[("ok", false)], false, "Succeeded");
        check("OnFailure", &[], &[("waiting", true)], false, "Running");
        check("Always", &[("running", false)], &[("waiting", false)], false, "Pending");
        check("Never", &[("err", false)], &[("waiting", false)], false, "Failed");
        check("Always", &[("waiting", true)], &[("waiting", false)], false, "Pending");
        check("Always", &[], &[("running", false), ("ok", false)], false, "Running");
    }
}
