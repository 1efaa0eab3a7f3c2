//! `kubectl get pods` (`printPod`): NAME READY STATUS RESTARTS AGE; wide adds IP NODE
//! NOMINATED NODE READINESS GATES.
//!
//! STATUS, in the order printPod decides it (a later rule overrides an earlier one):
//! 1. the phase, or `status.reason` when set (`Evicted`, `NodeLost`, ...);
//! 2. `SchedulingGated` when the PodScheduled condition has that reason;
//! 3. the first init container that has not finished: `Init:<reason>` for a failed one
//!    (`Init:Error`, or `Init:ExitCode:N` / `Init:Signal:N` without a reason), `Init:<reason>`
//!    for a waiting one (`Init:CrashLoopBackOff`, but not `PodInitializing`), else
//!    `Init:i/n`; a started restartable (sidecar) init container counts as done;
//! 4. once initialized, the containers' waiting reason (`ContainerCreating`,
//!    `CrashLoopBackOff`, `ImagePullBackOff`, ...) or terminated reason (`Completed`, `Error`,
//!    `OOMKilled`, or `ExitCode:N` / `Signal:N`), the first container's winning;
//!    `Completed` with a container still running becomes `Running`, or `NotReady` when the
//!    pod's Ready condition is not True (a finished container next to a running sidecar);
//! 5. with a deletion timestamp: `Unknown` when the reason is `NodeLost`, else `Terminating`
//!    unless the phase is already Succeeded or Failed.
//!
//! READY counts ready running containers (and started, ready sidecars) over containers plus
//! sidecars. RESTARTS sums restart counts — only the sidecars' among init containers once the
//! pod is initialized — and adds `(5m ago)` from the latest last-termination time.

use crate::model::Pod;
use k8s_openapi::api::core::v1::{ContainerStatus, PodStatus};
use k8s_openapi::jiff::Timestamp;

use super::{age, col, list, wide, Column, Ctx};

pub(super) const COLUMNS: &[Column] = &[
    col("NAME"),
    col("READY"),
    col("STATUS"),
    col("RESTARTS"),
    col("AGE"),
    wide("IP"),
    wide("NODE"),
    wide("NOMINATED NODE"),
    wide("READINESS GATES"),
];

pub(super) fn row(pod: &Pod, ctx: &Ctx) -> Vec<String> {
    let default_status = PodStatus::default();
    let status = pod.status.as_deref().unwrap_or(&default_status);
    let spec = pod.spec.as_ref();
    let containers = spec.map(|s| s.containers.as_slice()).unwrap_or(&[]);
    let init_containers = spec.map(|s| list(&s.init_containers)).unwrap_or(&[]);
    let conditions = list(&status.conditions);

    let is_sidecar = |name: &str| {
        init_containers
            .iter()
            .rev()
            .find(|c| c.name == name)
            .is_some_and(|c| c.restart_policy.as_deref() == Some("Always"))
    };

    let mut restarts: i64 = 0;
    let mut sidecar_restarts: i64 = 0;
    let total = containers.len() + init_containers.iter().filter(|c| is_sidecar(&c.name)).count();
    let mut ready = 0;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_sidecar_restart: Option<Timestamp> = None;

    let phase = status.phase.as_deref().unwrap_or("");
    let mut reason = match status.reason.as_deref() {
        Some(r) if !r.is_empty() => r.to_string(),
        _ => phase.to_string(),
    };
    if conditions.iter().any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("SchedulingGated")) {
        reason = "SchedulingGated".to_string();
    }

    let mut initializing = false;
    for (i, cs) in list(&status.init_container_statuses).iter().enumerate() {
        restarts += i64::from(cs.restart_count);
        let finished = last_termination(cs);
        later(&mut last_restart, finished);
        let sidecar = is_sidecar(&cs.name);
        if sidecar {
            sidecar_restarts += i64::from(cs.restart_count);
            later(&mut last_sidecar_restart, finished);
        }
        let state = cs.state.as_ref();
        let terminated = state.and_then(|s| s.terminated.as_ref());
        let waiting_reason = state.and_then(|s| s.waiting.as_ref()).and_then(|w| non_empty(&w.reason));
        if terminated.is_some_and(|t| t.exit_code == 0) {
            continue;
        }
        if sidecar && cs.started == Some(true) {
            if cs.ready {
                ready += 1;
            }
            continue;
        }
        reason = if let Some(t) = terminated {
            match non_empty(&t.reason) {
                Some(r) => format!("Init:{r}"),
                None if t.signal.unwrap_or(0) != 0 => format!("Init:Signal:{}", t.signal.unwrap_or(0)),
                None => format!("Init:ExitCode:{}", t.exit_code),
            }
        } else if let Some(r) = waiting_reason.filter(|r| *r != "PodInitializing") {
            format!("Init:{r}")
        } else {
            format!("Init:{i}/{}", init_containers.len())
        };
        initializing = true;
        break;
    }

    let initialized = conditions.iter().find(|c| c.type_ == "Initialized").is_some_and(|c| c.status == "True");
    if !initializing || initialized {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for cs in list(&status.container_statuses).iter().rev() {
            restarts += i64::from(cs.restart_count);
            later(&mut last_restart, last_termination(cs));
            let state = cs.state.as_ref();
            let terminated = state.and_then(|s| s.terminated.as_ref());
            if let Some(r) = state.and_then(|s| s.waiting.as_ref()).and_then(|w| non_empty(&w.reason)) {
                reason = r.to_string();
            } else if let Some(t) = terminated {
                reason = match non_empty(&t.reason) {
                    Some(r) => r.to_string(),
                    None if t.signal.unwrap_or(0) != 0 => format!("Signal:{}", t.signal.unwrap_or(0)),
                    None => format!("ExitCode:{}", t.exit_code),
                };
            } else if cs.ready && state.is_some_and(|s| s.running.is_some()) {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.to_string();
        }
    }

    if pod.metadata.deletion_timestamp.is_some() {
        if status.reason.as_deref() == Some("NodeLost") {
            reason = "Unknown".to_string();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".to_string();
        }
    }

    let restarts = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", age::since(t, ctx.now)),
        _ => restarts.to_string(),
    };

    let or_none = |s: Option<&str>| s.filter(|s| !s.is_empty()).unwrap_or("<none>").to_string();
    let readiness_gates = match spec.map(|s| list(&s.readiness_gates)).unwrap_or(&[]) {
        [] => "<none>".to_string(),
        gates => {
            let true_count = gates
                .iter()
                .filter(|g| conditions.iter().find(|c| c.type_ == g.condition_type).is_some_and(|c| c.status == "True"))
                .count();
            format!("{true_count}/{}", gates.len())
        }
    };
    vec![
        pod.metadata.name.clone().unwrap_or_default(),
        format!("{ready}/{total}"),
        reason,
        restarts,
        ctx.age(pod.metadata.creation_timestamp.as_ref()),
        or_none(list(&status.pod_ips).first().map(|ip| ip.ip.as_str())),
        or_none(spec.and_then(|s| s.node_name.as_deref())),
        or_none(status.nominated_node_name.as_deref()),
        readiness_gates,
    ]
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// When the container last terminated, if it ever did.
fn last_termination(cs: &ContainerStatus) -> Option<Timestamp> {
    cs.last_state.as_ref().and_then(|s| s.terminated.as_ref()).and_then(|t| t.finished_at.as_ref()).map(|t| t.0)
}

fn later(latest: &mut Option<Timestamp>, t: Option<Timestamp>) {
    if let Some(t) = t {
        if latest.is_none_or(|l| l < t) {
            *latest = Some(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(pods: &str, wide: bool, expect: &str) {
        assert_text(&render(pods, &PrintOptions { wide, ..Default::default() }), expect);
    }

    /// A pod document: `name`, then the spec's containers and extra spec fields, then status.
    fn pod(name: &str, spec: &str, status: &str) -> String {
        format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: default}}\nspec: {spec}\nstatus: {status}\n")
    }

    const ONE: &str = "{containers: [{name: app, image: nginx}]}";
    const TWO: &str = "{containers: [{name: app, image: nginx}, {name: log, image: busybox}]}";
    const INIT: &str = "{initContainers: [{name: migrate, image: busybox}, {name: seed, image: busybox}], containers: [{name: app, image: nginx}]}";
    const SIDECAR: &str = "{initContainers: [{name: proxy, image: envoy, restartPolicy: Always}], containers: [{name: app, image: nginx}]}";

    fn running(name: &str, restarts: i32) -> String {
        format!("{{name: {name}, image: x, imageID: '', ready: true, restartCount: {restarts}, started: true, state: {{running: {{startedAt: '2025-01-01T00:00:05Z'}}}}}}")
    }
    fn waiting(name: &str, reason: &str, restarts: i32) -> String {
        format!("{{name: {name}, image: x, imageID: '', ready: false, restartCount: {restarts}, state: {{waiting: {{reason: {reason}}}}}}}")
    }
    fn terminated(name: &str, reason: &str, exit: i32) -> String {
        format!("{{name: {name}, image: x, imageID: '', ready: false, restartCount: 0, state: {{terminated: {{exitCode: {exit}, reason: {reason}}}}}}}")
    }

    #[test]
    fn status_from_phase_reason_and_containers() {
        let mut pods = String::new();
        // Phase, before any container status.
        pods += &pod("pending", ONE, "{phase: Pending}");
        pods += &pod(
            "gated",
            ONE,
            "{phase: Pending, conditions: [{type: PodScheduled, status: 'False', reason: SchedulingGated}]}",
        );
        // status.reason wins over the phase.
        pods +=
            &pod("evicted", ONE, "{phase: Failed, reason: Evicted, message: 'The node was low on resource: memory.'}");
        pods += &pod(
            "creating",
            ONE,
            &format!("{{phase: Pending, containerStatuses: [{}]}}", waiting("app", "ContainerCreating", 0)),
        );
        pods += &pod(
            "running",
            TWO,
            &format!("{{phase: Running, containerStatuses: [{}, {}]}}", running("app", 0), running("log", 0)),
        );
        pods += &pod("half-ready", TWO, &format!(
            "{{phase: Running, containerStatuses: [{}, {{name: log, image: x, imageID: '', ready: false, restartCount: 0, state: {{running: {{}}}}}}]}}",
            running("app", 0)
        ));
        pods += &pod(
            "pull",
            ONE,
            &format!("{{phase: Pending, containerStatuses: [{}]}}", waiting("app", "ImagePullBackOff", 0)),
        );
        pods += &pod(
            "errpull",
            ONE,
            &format!("{{phase: Pending, containerStatuses: [{}]}}", waiting("app", "ErrImagePull", 0)),
        );
        pods += &pod(
            "config",
            ONE,
            &format!("{{phase: Pending, containerStatuses: [{}]}}", waiting("app", "CreateContainerConfigError", 0)),
        );
        pods += &pod(
            "completed",
            ONE,
            &format!("{{phase: Succeeded, containerStatuses: [{}]}}", terminated("app", "Completed", 0)),
        );
        pods +=
            &pod("error", ONE, &format!("{{phase: Failed, containerStatuses: [{}]}}", terminated("app", "Error", 1)));
        pods += &pod(
            "oom",
            ONE,
            &format!("{{phase: Running, containerStatuses: [{}]}}", terminated("app", "OOMKilled", 137)),
        );
        pods += &pod("exitcode", ONE, "{phase: Failed, containerStatuses: [{name: app, image: x, imageID: '', ready: false, restartCount: 0, state: {terminated: {exitCode: 3}}}]}");
        pods += &pod("signal", ONE, "{phase: Failed, containerStatuses: [{name: app, image: x, imageID: '', ready: false, restartCount: 0, state: {terminated: {exitCode: 137, signal: 9}}}]}");
        // The first container's state wins.
        pods += &pod(
            "first-wins",
            TWO,
            &format!(
                "{{phase: Running, containerStatuses: [{}, {}]}}",
                waiting("app", "CrashLoopBackOff", 0),
                terminated("log", "Error", 1)
            ),
        );
        // Completed next to a running container: Running while the pod is Ready, else NotReady.
        pods += &pod(
            "partial",
            TWO,
            &format!(
                "{{phase: Running, conditions: [{{type: Ready, status: 'True'}}], containerStatuses: [{}, {}]}}",
                terminated("app", "Completed", 0),
                running("log", 0)
            ),
        );
        pods += &pod(
            "partial-notready",
            TWO,
            &format!(
                "{{phase: Running, conditions: [{{type: Ready, status: 'False'}}], containerStatuses: [{}, {}]}}",
                terminated("app", "Completed", 0),
                running("log", 0)
            ),
        );
        check(
            &pods,
            false,
            "
NAME               READY   STATUS                       RESTARTS   AGE
pending            0/1     Pending                      0          60m
gated              0/1     SchedulingGated              0          60m
evicted            0/1     Evicted                      0          60m
creating           0/1     ContainerCreating            0          60m
running            2/2     Running                      0          60m
half-ready         1/2     Running                      0          60m
pull               0/1     ImagePullBackOff             0          60m
errpull            0/1     ErrImagePull                 0          60m
config             0/1     CreateContainerConfigError   0          60m
completed          0/1     Completed                    0          60m
error              0/1     Error                        0          60m
oom                0/1     OOMKilled                    0          60m
exitcode           0/1     ExitCode:3                   0          60m
signal             0/1     Signal:9                     0          60m
first-wins         0/2     CrashLoopBackOff             0          60m
partial            1/2     Running                      0          60m
partial-notready   1/2     NotReady                     0          60m
",
        );
    }

    #[test]
    fn init_containers() {
        let mut pods = String::new();
        let init = |statuses: &str, conditions: &str| {
            format!("{{phase: Pending, conditions: [{conditions}], initContainerStatuses: [{statuses}]}}")
        };
        let done = "{name: migrate, image: x, imageID: '', ready: false, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed}}}";
        let seed_running = "{name: seed, image: x, imageID: '', ready: false, restartCount: 0, state: {running: {}}}";
        let seed_pod_init = "{name: seed, image: x, imageID: '', ready: false, restartCount: 0, state: {waiting: {reason: PodInitializing}}}";
        pods += &pod(
            "init-0",
            INIT,
            &init(&format!("{}, {}", waiting("migrate", "PodInitializing", 0), seed_pod_init), ""),
        );
        pods += &pod("init-1", INIT, &init(&format!("{done}, {seed_running}"), ""));
        pods += &pod("init-crash", INIT, &init(&format!("{done}, {}", waiting("seed", "CrashLoopBackOff", 4)), ""));
        pods += &pod("init-error", INIT, &init(&format!("{}, {seed_pod_init}", terminated("migrate", "Error", 1)), ""));
        pods += &pod("init-exit", INIT, &init("{name: migrate, image: x, imageID: '', ready: false, restartCount: 0, state: {terminated: {exitCode: 2}}}", ""));
        pods += &pod("init-signal", INIT, &init("{name: migrate, image: x, imageID: '', ready: false, restartCount: 0, state: {terminated: {exitCode: 143, signal: 15}}}", ""));
        // Every init container done: the containers decide, and init restarts no longer count.
        pods += &pod("initialized", INIT, &format!(
            "{{phase: Running, conditions: [{{type: Initialized, status: 'True'}}], initContainerStatuses: [{done}, {{name: seed, image: x, imageID: '', ready: false, restartCount: 2, state: {{terminated: {{exitCode: 0, reason: Completed}}}}}}], containerStatuses: [{}]}}",
            running("app", 0)
        ));
        // A started sidecar counts as done and as a container; its restarts always count.
        pods += &pod("sidecar", SIDECAR, &format!(
            "{{phase: Running, conditions: [{{type: Initialized, status: 'True'}}, {{type: Ready, status: 'True'}}], initContainerStatuses: [{{name: proxy, image: x, imageID: '', ready: true, started: true, restartCount: 1, state: {{running: {{}}}}, lastState: {{terminated: {{exitCode: 1, finishedAt: '2025-01-01T00:50:00Z'}}}}}}], containerStatuses: [{}]}}",
            running("app", 0)
        ));
        pods += &pod(
            "sidecar-starting",
            SIDECAR,
            &format!("{{phase: Pending, initContainerStatuses: [{}]}}", waiting("proxy", "PodInitializing", 0)),
        );
        // The main container finished while the sidecar still runs: the sidecar is no
        // container status, so nothing is "running" and Completed stays.
        pods += &pod("sidecar-done", SIDECAR, &format!(
            "{{phase: Running, conditions: [{{type: Initialized, status: 'True'}}, {{type: Ready, status: 'False'}}], initContainerStatuses: [{{name: proxy, image: x, imageID: '', ready: true, started: true, restartCount: 0, state: {{running: {{}}}}}}], containerStatuses: [{}]}}",
            terminated("app", "Completed", 0)
        ));
        check(
            &pods,
            false,
            "
NAME               READY   STATUS                  RESTARTS      AGE
init-0             0/1     Init:0/2                0             60m
init-1             0/1     Init:1/2                0             60m
init-crash         0/1     Init:CrashLoopBackOff   4             60m
init-error         0/1     Init:Error              0             60m
init-exit          0/1     Init:ExitCode:2         0             60m
init-signal        0/1     Init:Signal:15          0             60m
initialized        1/1     Running                 0             60m
sidecar            2/2     Running                 1 (10m ago)   60m
sidecar-starting   0/2     Init:0/1                0             60m
sidecar-done       1/2     Completed               0             60m
",
        );
    }

    #[test]
    fn crash_loop_restarts_terminating_and_node_lost() {
        let mut pods = String::new();
        pods += &pod("crashloop", ONE, "{phase: Running, containerStatuses: [{name: app, image: x, imageID: '', ready: false, restartCount: 3, state: {waiting: {reason: CrashLoopBackOff, message: back-off 40s restarting failed container}}, lastState: {terminated: {exitCode: 1, reason: Error, finishedAt: '2025-01-01T00:59:30Z'}}}]}");
        // The latest termination of any container dates the restarts.
        pods += &pod("restarted", TWO, "{phase: Running, containerStatuses: [
            {name: app, image: x, imageID: '', ready: true, restartCount: 1, state: {running: {}}, lastState: {terminated: {exitCode: 1, finishedAt: '2025-01-01T00:10:00Z'}}},
            {name: log, image: x, imageID: '', ready: true, restartCount: 2, state: {running: {}}, lastState: {terminated: {exitCode: 1, finishedAt: '2025-01-01T00:55:00Z'}}}]}");
        // Restarts without a termination time print bare.
        pods += &pod("no-time", ONE, &format!("{{phase: Running, containerStatuses: [{}]}}", running("app", 5)));
        pods += &format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: terminating, namespace: default, deletionTimestamp: '2025-01-01T01:00:30Z'}}\nspec: {ONE}\nstatus: {{phase: Running, containerStatuses: [{}]}}\n", running("app", 0));
        pods += &format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: node-lost, namespace: default, deletionTimestamp: '2025-01-01T00:55:00Z'}}\nspec: {ONE}\nstatus: {{phase: Running, reason: NodeLost, containerStatuses: [{}]}}\n", running("app", 0));
        // A pod that already finished keeps its status while it is being deleted.
        pods += &format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: done-deleting, namespace: default, deletionTimestamp: '2025-01-01T00:55:00Z'}}\nspec: {ONE}\nstatus: {{phase: Succeeded, containerStatuses: [{}]}}\n", terminated("app", "Completed", 0));
        check(
            &pods,
            false,
            "
NAME            READY   STATUS             RESTARTS      AGE
crashloop       0/1     CrashLoopBackOff   3 (30s ago)   60m
restarted       2/2     Running            3 (5m ago)    60m
no-time         1/1     Running            5             60m
terminating     1/1     Terminating        0             60m
node-lost       1/1     Unknown            0             60m
done-deleting   0/1     Completed          0             60m
",
        );
    }

    #[test]
    fn wide() {
        let mut pods = String::new();
        pods += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default}\nspec: {nodeName: node-1, containers: [{name: app, image: nginx}], readinessGates: [{conditionType: example.com/lb}, {conditionType: example.com/dns}]}\nstatus: {phase: Running, podIP: 10.244.1.5, podIPs: [{ip: 10.244.1.5}], conditions: [{type: example.com/lb, status: 'True'}, {type: example.com/dns, status: 'False'}]}\n";
        pods += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: big, namespace: default}\nspec: {containers: [{name: app, image: nginx}]}\nstatus: {phase: Pending, nominatedNodeName: node-2}\n";
        check(
            &pods,
            true,
            "
NAME   READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES
web    0/1     Running   0          60m   10.244.1.5   node-1   <none>           1/2
big    0/1     Pending   0          60m   <none>       <none>   node-2           <none>
",
        );
    }
}
