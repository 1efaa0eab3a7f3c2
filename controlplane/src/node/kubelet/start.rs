//! Starting one container, as `kuberuntime`'s `startContainer` does after `computePodActions`
//! chose it: wait out the restart back-off (CrashLoopBackOff), make sure of the image
//! (Pulling/Pulled, ErrImagePull, ImagePullBackOff), check the config the container refers to
//! (CreateContainerConfigError), then CreateContainer and StartContainer.

use chrono::Duration;
use k8s_openapi::api::core::v1::{Container, PodSpec};

use super::probes::Probes;
use super::worker::{PodWorker, PullState, Time, Wake};
use super::Env;
use crate::backoff::KUBELET;
use crate::events::EventType;
use crate::node::runtime::cri::ContainerConfig;
use crate::node::runtime::{ImageService, RuntimeService};
use crate::sim::clock::go_duration;

/// How long after a failed pull the kubelet's next sync shows ImagePullBackOff.
const PULL_RESYNC: i64 = 1;
/// The pod worker's back-off after a sync error (`workerBackOffPeriod`).
const WORKER_BACKOFF: i64 = 10;

pub fn start(
    w: &mut PodWorker,
    env: &mut Env<'_>,
    spec: &PodSpec,
    init: bool,
    i: usize,
    last_finish: Option<Time>,
    wake: &mut Wake,
) {
    let now = env.now;
    let c = if init { &w.init[i] } else { &w.ctrs[i] };
    let Some(cspec) = PodWorker::container_spec(spec, c) else { return };
    let name = c.name.clone();
    if let Some(finished) = last_finish {
        if KUBELET.in_backoff_since(&c.restart_backoff, finished, now) {
            let delay = c.restart_backoff.map(|b| b.delay).unwrap_or_default();
            let (pod, ns) = (w.pod.name().to_string(), w.pod.namespace().to_string());
            let who = format!("{pod}_{ns}({})", w.uid);
            let c = ctr(w, init, i);
            c.waiting = Some((
                "CrashLoopBackOff",
                format!("back-off {} restarting failed container={name} pod={who}", go_duration(delay)),
            ));
            let c = c.clone();
            let msg = format!("Back-off restarting failed container {name} in pod {who}");
            env.recorder.record(env.api, &w.pod, Some(&c.field_path()), EventType::Warning, "BackOff", &msg);
            wake.at(finished + delay);
            return;
        }
    }
    if !ensure_image(w, env, init, i, cspec, wake) {
        return;
    }
    let pod_ip = w.ip.clone().unwrap_or_default();
    // The pod's version at this sync, shared: `w` is changed below while it is read.
    let shared = w.pod.clone();
    let Some(pod) = super::worker::pod_of(&shared) else { return };
    let made = match super::envvars::make(env, pod, cspec, &pod_ip) {
        Ok(m) => m,
        Err(msg) => {
            failed(w, env, init, i, "CreateContainerConfigError", msg, wake);
            return;
        }
    };
    let Some(sandbox) = w.sandbox.clone() else { return };
    let files = super::envvars::managed_files(pod, &w.sandbox_config.hostname, &pod_ip, w.sandbox_config.host_network);
    let mounts = super::volumes::container_mounts(w, cspec, &made.env);
    let c = ctr(w, init, i);
    if let Some(finished) = last_finish {
        KUBELET.next(&mut c.restart_backoff, finished, now);
    }
    let attempt = if c.id.is_some() { c.restarts + 1 } else { 0 };
    let run_as = run_as(spec, cspec);
    let config = ContainerConfig {
        name: name.clone(),
        attempt: attempt as u32,
        image: cspec.image.clone().unwrap_or_default(),
        command: made.command,
        args: made.args,
        envs: made.env,
        files,
        mounts,
        stdin: cspec.stdin.unwrap_or(false),
        tty: cspec.tty.unwrap_or(false),
        stdin_once: cspec.stdin_once.unwrap_or(false),
        memory_limit: super::load::limit(cspec, "memory").map(|q| q.value()),
        cpu_limit: super::load::limit(cspec, "cpu").map(|q| q.milli_value()),
        run_as_user: run_as.0,
        run_as_group: run_as.1,
        supplemental_groups: run_as.2,
        security: security(spec, cspec),
    };
    env.mark();
    let id = match env.runtime.create_container(now, &sandbox, &config) {
        Ok(id) => id,
        Err(e) => {
            failed(w, env, init, i, "CreateContainerError", e.to_string(), wake);
            return;
        }
    };
    // Only the last dead container is kept (for `logs --previous`).
    if let Some(old) = c.previous.take() {
        let _ = env.runtime.remove_container(now, &old);
    }
    c.previous = c.id.replace(id.clone());
    c.restarts = attempt;
    c.waiting = None;
    c.start_error = None;
    c.pull = PullState::Idle;
    let c = c.clone();
    let path = c.field_path();
    env.recorder.record(
        env.api,
        &w.pod,
        Some(&path),
        EventType::Normal,
        "Created",
        &format!("Created container: {name}"),
    );
    env.mark();
    if let Err(e) = env.runtime.start_container(now, &id) {
        let msg = format!("Error: {e}");
        env.recorder.record(env.api, &w.pod, Some(&path), EventType::Warning, "Failed", &msg);
        return;
    }
    env.recorder.record(
        env.api,
        &w.pod,
        Some(&path),
        EventType::Normal,
        "Started",
        &format!("Started container {name}"),
    );
    // The postStart hook runs before anything else sees the container as started: the pod
    // worker waits for it (`post_start_done` takes its end).
    if let Some(hook) = cspec.lifecycle.as_ref().and_then(|l| l.post_start.as_ref()) {
        let who = format!("{}_{}({})", w.pod.name(), w.pod.namespace(), w.uid);
        let limit = super::hooks::POST_START_LIMIT;
        let (result, took) = super::hooks::run(env.runtime, &id, cspec, &who, &pod_ip, hook, now, limit);
        ctr(w, init, i).post_start = Some((now + took, result.err()));
        if took > Duration::zero() {
            wake.at(now + took);
        } else {
            post_start_done(w, env, spec, init, i, wake);
        }
    }
    let c = ctr(w, init, i);
    c.probes = Probes::new(cspec, now, &pod_ip);
    if let Some(t) = c.probes.next_due() {
        wake.at(t);
    }
    if let Some(t) = env.runtime.exit_due(now, &id) {
        wake.at(t);
    }
}

/// The container could not be made: it waits with `reason`, a `Failed` event says why, and the
/// pod worker tries again after its back-off.
fn failed(
    w: &mut PodWorker,
    env: &mut Env<'_>,
    init: bool,
    i: usize,
    reason: &'static str,
    msg: String,
    wake: &mut Wake,
) {
    let c = ctr(w, init, i);
    c.waiting = Some((reason, msg.clone()));
    let field_path = c.field_path();
    env.recorder.record(env.api, &w.pod, Some(&field_path), EventType::Warning, "Failed", &format!("Error: {msg}"));
    wake.at(env.now + Duration::seconds(WORKER_BACKOFF));
}

/// The end of a container's postStart handler: when it failed, the container is killed and
/// restarted like any that ended.
pub fn post_start_done(w: &mut PodWorker, env: &mut Env<'_>, spec: &PodSpec, init: bool, i: usize, wake: &mut Wake) {
    let c = ctr(w, init, i);
    let Some((_, failed)) = c.post_start.take() else { return };
    let (Some(msg), Some(id)) = (failed, c.id.clone()) else { return };
    let path = c.field_path();
    // The event leaves the handler's output out (it may hold secrets); the message is the
    // container's waiting one once it has stopped (`PostStartHookError`).
    let (warn, kill) = (EventType::Warning, EventType::Normal);
    env.recorder.record(env.api, &w.pod, Some(&path), warn, "FailedPostStartHook", "PostStartHook failed");
    env.recorder.record(env.api, &w.pod, Some(&path), kill, "Killing", "FailedPostStartHook");
    // Shown while it waits to be started again (not under restartPolicy Never).
    if super::worker::restart_policy(spec) != "Never" {
        ctr(w, init, i).start_error = Some(("PostStartHookError", msg));
    }
    w.kill(env, spec, init, i, &id, spec.termination_grace_period_seconds.unwrap_or(30), wake);
}

/// Who the container runs as (`determineEffectiveSecurityContext`): the container's
/// runAsUser and runAsGroup over the pod's, and the pod's supplementalGroups then its fsGroup.
fn run_as(spec: &PodSpec, c: &Container) -> (Option<i64>, Option<i64>, Vec<i64>) {
    let pod = spec.security_context.as_ref();
    let own = c.security_context.as_ref();
    let user = own.and_then(|s| s.run_as_user).or_else(|| pod.and_then(|p| p.run_as_user));
    let group = own.and_then(|s| s.run_as_group).or_else(|| pod.and_then(|p| p.run_as_group));
    let mut groups: Vec<i64> = pod.and_then(|p| p.supplemental_groups.clone()).unwrap_or_default();
    groups.extend(pod.and_then(|p| p.fs_group));
    (user, group, groups)
}

/// The container's capabilities and security flags: its own securityContext, the pod's
/// seccomp profile under it.
fn security(spec: &PodSpec, c: &Container) -> crate::node::runtime::cri::Security {
    let own = c.security_context.as_ref();
    let caps = own.and_then(|s| s.capabilities.as_ref());
    let seccomp = own
        .and_then(|s| s.seccomp_profile.as_ref())
        .or_else(|| spec.security_context.as_ref().and_then(|p| p.seccomp_profile.as_ref()));
    crate::node::runtime::cri::Security {
        privileged: own.and_then(|s| s.privileged) == Some(true),
        add: caps.and_then(|c| c.add.clone()).unwrap_or_default(),
        drop: caps.and_then(|c| c.drop.clone()).unwrap_or_default(),
        no_new_privs: own.and_then(|s| s.allow_privilege_escalation) == Some(false),
        seccomp: seccomp.is_some_and(|p| p.type_ != "Unconfined"),
        read_only_root: own.and_then(|s| s.read_only_root_filesystem) == Some(true),
    }
}

fn ctr(w: &mut PodWorker, init: bool, i: usize) -> &mut super::worker::Ctr {
    if init {
        &mut w.init[i]
    } else {
        &mut w.ctrs[i]
    }
}

/// The image for the next start: true when it is there. Otherwise the container waits
/// (pulling, or backing off after a failed pull) and `wake` says until when.
fn ensure_image(
    w: &mut PodWorker,
    env: &mut Env<'_>,
    init: bool,
    i: usize,
    cspec: &Container,
    wake: &mut Wake,
) -> bool {
    let now = env.now;
    let image = cspec.image.clone().unwrap_or_default();
    let policy = cspec.image_pull_policy.as_deref().unwrap_or("IfNotPresent");
    let pod = w.pod.clone();
    let sandbox = w.sandbox_config.clone();
    let c = ctr(w, init, i);
    let path = c.field_path();
    let record = |env: &mut Env<'_>, t: EventType, reason: &str, msg: &str| {
        env.recorder.record(env.api, &pod, Some(&path), t, reason, msg);
    };
    loop {
        match &c.pull {
            PullState::Done => return true,
            PullState::Pulling { pull, .. } if pull.done_at > now => {
                wake.at(pull.done_at);
                return false;
            }
            PullState::Pulling { asked, pull } => {
                let (asked, pull) = (*asked, pull.clone());
                match pull.result {
                    Ok(img) => {
                        let msg = format!(
                            "Successfully pulled image \"{image}\" in {} ({} including waiting). Image size: {} bytes.",
                            go_duration(pull.took),
                            go_duration(pull.done_at - asked),
                            img.size
                        );
                        record(env, EventType::Normal, "Pulled", &msg);
                        c.pull = PullState::Done;
                        c.waiting = None;
                        return true;
                    }
                    Err(err) => {
                        record(env, EventType::Warning, "Failed", &format!("Failed to pull image \"{image}\": {err}"));
                        record(env, EventType::Warning, "Failed", "Error: ErrImagePull");
                        KUBELET.next(&mut c.pull_backoff, now, now);
                        c.waiting = Some(("ErrImagePull", err.clone()));
                        c.pull_error = err;
                        c.pull = PullState::BackOff;
                        wake.at(now + Duration::seconds(PULL_RESYNC));
                        return false;
                    }
                }
            }
            PullState::BackOff if KUBELET.in_backoff_since_update(&c.pull_backoff, now) => {
                if c.waiting.as_ref().is_some_and(|w| w.0 == "ErrImagePull")
                    && now < c.pull_backoff.map(|b| b.last_update).unwrap_or(now) + Duration::seconds(PULL_RESYNC)
                {
                    wake.at(now + Duration::seconds(PULL_RESYNC));
                    return false;
                }
                record(env, EventType::Normal, "BackOff", &format!("Back-off pulling image \"{image}\""));
                record(env, EventType::Warning, "Failed", "Error: ImagePullBackOff");
                let msg = format!("Back-off pulling image \"{image}\": ErrImagePull: {}", c.pull_error);
                c.waiting = Some(("ImagePullBackOff", msg));
                if let Some(b) = c.pull_backoff {
                    wake.at(b.last_update + b.delay);
                }
                return false;
            }
            PullState::Idle | PullState::BackOff => {}
        }
        let present = env.runtime.image_status(now, &image).is_some();
        if policy == "Never" || (policy == "IfNotPresent" && present) {
            if !present {
                let msg = format!("Container image \"{image}\" is not present with pull policy of Never");
                record(env, EventType::Warning, "ErrImageNeverPull", &msg);
                c.waiting = Some(("ErrImageNeverPull", msg));
                wake.at(now + Duration::seconds(WORKER_BACKOFF));
                return false;
            }
            record(
                env,
                EventType::Normal,
                "Pulled",
                &format!("Container image \"{image}\" already present on machine"),
            );
            c.pull = PullState::Done;
            return true;
        }
        record(env, EventType::Normal, "Pulling", &format!("Pulling image \"{image}\""));
        env.runtime.mark = env.api.audit_log().written();
        let pull = env.runtime.pull_image(now, &image, &sandbox);
        c.waiting = None;
        c.pull = PullState::Pulling { asked: now, pull };
    }
}
