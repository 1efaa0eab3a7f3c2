//! A pod worker: everything the kubelet does for one pod, level-triggered. Each sync looks at
//! the pod and at the runtime and moves one step on: sandbox, init containers in order, then
//! containers (restarting them as the restart policy says, with back-off), probes, graceful
//! termination; then it writes the pod's status if it changed. It returns when it wants to be
//! synced again (a pull ending, a back-off expiring, a probe due, a task exiting).
//!
//! A static pod's worker runs the pod from its manifest and keeps its mirror pod in the API
//! server: the status goes to the mirror pod, which is made again whenever it goes.

use std::sync::Arc;

use crate::model::Pod;
use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodStatus};

use super::probes::Probes;
use super::Env;
use crate::apiserver::DeleteOptions;
use crate::backoff::Backoff;
use crate::events::EventType;
use crate::model::{Kind, Object};
use crate::node::runtime::cri::Pull;
use crate::node::runtime::cri::{ContainerState, ContainerStatus, PodSandboxConfig};
use crate::node::runtime::RuntimeService;
use crate::scheduler::framework::{pod_requests, Resources};

pub type Time = DateTime<Utc>;

/// Where a container's image stands for its next start.
#[derive(Debug, Clone)]
pub enum PullState {
    Idle,
    Pulling {
        asked: Time,
        pull: Pull,
    },
    /// Ready for the next start (pulled, or found present).
    Done,
    /// The last pull failed; the next waits out the back-off.
    BackOff,
}

/// The kubelet's memory of one container of the pod.
#[derive(Debug, Clone)]
pub struct Ctr {
    pub name: String,
    pub init: bool,
    /// The runtime's id of the latest container started for it.
    pub id: Option<String>,
    /// The one before (kept for `logs --previous`).
    pub previous: Option<String>,
    pub restarts: i32,
    /// Why it waits, when the kubelet knows better than "not created yet".
    pub waiting: Option<(&'static str, String)>,
    pub pull: PullState,
    pub restart_backoff: Option<Backoff>,
    pub pull_backoff: Option<Backoff>,
    pub pull_error: String,
    pub probes: Probes,
    /// The stop signal the kubelet sends once the preStop handler has run: when, with what
    /// grace, to which container.
    pub stop_due: Option<(Time, i64, String)>,
    /// Why its last start failed after the container had started (a postStart handler's
    /// failure): its waiting reason and message once it has stopped, until the next start.
    pub start_error: Option<(&'static str, String)>,
    /// Its postStart handler, while the pod worker waits for it: when it ends, and its
    /// failure's message.
    pub post_start: Option<(Time, Option<String>)>,
}

impl Ctr {
    fn new(name: &str, init: bool) -> Self {
        Ctr {
            name: name.to_string(),
            init,
            id: None,
            previous: None,
            restarts: 0,
            waiting: None,
            pull: PullState::Idle,
            restart_backoff: None,
            pull_backoff: None,
            pull_error: String::new(),
            probes: Probes::default(),
            stop_due: None,
            start_error: None,
            post_start: None,
        }
    }

    /// `spec.containers{name}`, the field path of its events.
    pub fn field_path(&self) -> String {
        let list = if self.init { "initContainers" } else { "containers" };
        format!("spec.{list}{{{}}}", self.name)
    }

    pub fn status(&self, rt: &dyn RuntimeService, now: Time) -> Option<ContainerStatus> {
        self.id.as_ref().and_then(|id| rt.container_status(now, id).ok())
    }
}

/// Keeps the earliest moment asked for.
#[derive(Debug, Default)]
pub struct Wake(pub Option<Time>);

impl Wake {
    pub fn at(&mut self, t: Time) {
        self.0 = Some(self.0.map_or(t, |w| w.min(t)));
    }
}

pub struct PodWorker {
    /// The pod as the API server has it; for a static pod, the pod from its manifest.
    pub pod: Arc<Object>,
    /// A pod from the node's manifest directory, not from the API server.
    pub is_static: bool,
    /// A static pod's mirror pod, as last seen or written.
    pub mirror: Option<Arc<Object>>,
    /// The status last written for a static pod: what its next mirror pod starts from.
    last_status: Option<PodStatus>,
    pub uid: String,
    pub sandbox: Option<String>,
    pub sandbox_config: PodSandboxConfig,
    pub ip: Option<String>,
    pub start_time: Time,
    pub init: Vec<Ctr>,
    pub ctrs: Vec<Ctr>,
    /// Stop signals were sent for the pod's deletion.
    pub stopping: bool,
    /// The pod reached Succeeded or Failed; its sandbox is stopped.
    pub terminal: bool,
    /// The kubelet sent the final delete.
    pub finished: bool,
    /// The pod is gone from the API server.
    pub gone: bool,
    /// The earliest timer already set for this pod.
    pub wake: Option<Time>,
    /// Admission refused the pod: it never runs.
    pub rejected: Option<super::admission::Rejection>,
    /// What the pod requests, as admission counts it: computed once, as a pod's resources do
    /// not change.
    pub requests: Resources,
    /// Its volumes, as the volume manager set them up.
    pub volumes: super::volumes::PodVolumes,
    /// The eviction manager's message, once it chose to evict the pod.
    pub evicted: Option<String>,
}

pub fn pod_of(obj: &Object) -> Option<&Pod> {
    match obj {
        Object::Pod(p) => Some(p),
        _ => None,
    }
}

pub fn spec_of(obj: &Object) -> Option<&PodSpec> {
    pod_of(obj).and_then(|p| p.spec.as_deref())
}

impl PodWorker {
    pub fn new(pod: Arc<Object>, now: Time) -> Self {
        let spec = spec_of(&pod);
        let init = spec
            .and_then(|s| s.init_containers.as_ref())
            .into_iter()
            .flatten()
            .map(|c| Ctr::new(&c.name, true))
            .collect();
        let ctrs = spec.into_iter().flat_map(|s| &s.containers).map(|c| Ctr::new(&c.name, false)).collect();
        let requests = spec.map(|s| pod_requests(s).0).unwrap_or_default();
        let uid = pod.metadata().uid.clone().unwrap_or_default();
        PodWorker {
            pod,
            is_static: false,
            mirror: None,
            last_status: None,
            uid,
            sandbox: None,
            sandbox_config: PodSandboxConfig::default(),
            ip: None,
            start_time: now,
            init,
            ctrs,
            stopping: false,
            terminal: false,
            finished: false,
            gone: false,
            wake: None,
            rejected: None,
            requests,
            volumes: Default::default(),
            evicted: None,
        }
    }

    /// The worker of a static pod (see [`super::mirror::static_pod`]).
    pub fn new_static(pod: Arc<Object>, now: Time) -> Self {
        PodWorker { is_static: true, ..PodWorker::new(pod, now) }
    }

    /// The status the pod had before this sync: the API server's, or for a static pod the
    /// one last written, since its mirror pod may be new.
    pub fn old_status(&self) -> Option<&PodStatus> {
        if self.is_static {
            self.last_status.as_ref()
        } else {
            pod_of(&self.pod).and_then(|p| p.status.as_deref())
        }
    }

    fn event(&self, env: &mut Env<'_>, c: Option<&Ctr>, type_: EventType, reason: &str, message: &str) {
        let path = c.map(Ctr::field_path);
        env.recorder.record(env.api, &self.pod, path.as_deref(), type_, reason, message);
    }

    pub fn container_spec<'a>(spec: &'a PodSpec, c: &Ctr) -> Option<&'a Container> {
        let list = if c.init { spec.init_containers.as_deref().unwrap_or_default() } else { &spec.containers };
        list.iter().find(|s| s.name == c.name)
    }

    /// One step on. Returns when to be synced again.
    pub fn sync(&mut self, env: &mut Env<'_>) -> Option<Time> {
        let mut wake = Wake::default();
        if self.gone {
            self.teardown(env);
            return None;
        }
        if self.finished {
            return None;
        }
        self.send_due_stops(env, &mut wake);
        if self.is_static && !self.sync_mirror(env) {
            wake.at(retry_after(env.now, MIRROR_RETRY));
        }
        let pod = self.pod.clone();
        if let Some(rejection) = self.rejected.clone() {
            self.sync_rejected(env, &rejection);
            return None;
        }
        let spec = spec_of(&pod)?;
        // The pod worker is busy in a postStart handler until it ends (`SyncPod` waits for it).
        if !self.post_start_ended(env, spec, &mut wake) {
            return wake.0;
        }
        if pod.metadata().deletion_timestamp.is_some() {
            self.terminate(env, spec, &mut wake);
            return wake.0;
        }
        if self.terminal {
            return None;
        }
        if let Some(msg) = self.evicted.clone() {
            self.evict(env, spec, msg);
            return None;
        }
        // No sandbox before every volume is set up (`WaitForAttachAndMount`).
        if self.sandbox.is_none() && !super::volumes::mount_all(self, env, spec, &mut wake) {
            let status = super::status::generate(self, env, spec, false);
            self.post(env, status);
            return wake.0;
        }
        match self.volumes.refresh_at {
            Some(t) if t <= env.now => super::volumes::refresh(self, env, spec),
            Some(t) => wake.at(t),
            None => {}
        }
        if self.sandbox.is_none() {
            self.run_sandbox(env, spec);
        }
        if self.sync_init(env, spec, &mut wake) {
            for i in 0..self.ctrs.len() {
                self.sync_container(env, spec, false, i, &mut wake);
                // The kubelet starts a pod's containers one after the other: the next is
                // pulled and started once this one's image is in (the pull blocks the sync;
                // one that fails lets the next go on) and its postStart handler has ended.
                let c = &self.ctrs[i];
                if c.post_start.is_some() || matches!(c.pull, PullState::Pulling { .. }) {
                    break;
                }
            }
        }
        let status = super::status::generate(self, env, spec, false);
        if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
            self.finish_terminal(env);
        }
        self.post(env, status);
        wake.0
    }

    /// A static pod's mirror pod: one being deleted, or not this pod's, is deleted; a missing
    /// one is created, unless the Node is going. False when the mirror pod is still missing.
    fn sync_mirror(&mut self, env: &mut Env<'_>) -> bool {
        if let Some(m) = self.mirror.clone() {
            if m.metadata().deletion_timestamp.is_none() && super::mirror::is_mirror_of(&m, &self.pod) {
                return true;
            }
            let opts =
                DeleteOptions { grace_period_seconds: Some(0), uid: m.metadata().uid.clone(), ..Default::default() };
            if env.api.delete(env.user, Kind::Pod, m.namespace(), m.name(), opts).is_err() {
                // Gone already, or replaced: the pod's watch event says what is there.
                return true;
            }
            self.mirror = None;
        }
        let Some(node) = env.node.filter(|n| n.metadata().deletion_timestamp.is_none()) else { return true };
        let mirror = super::mirror::mirror_pod(&self.pod, node);
        match env.api.create(env.user, self.pod.namespace(), mirror) {
            Ok(m) => {
                self.mirror = Some(m);
                true
            }
            Err(_) => false,
        }
    }

    fn run_sandbox(&mut self, env: &mut Env<'_>, spec: &PodSpec) {
        let host_network = spec.host_network == Some(true);
        let ip = if host_network { Some(env.node_ip.to_string()) } else { env.ipam.allocate() };
        self.start_time = env.now;
        self.sandbox_config = PodSandboxConfig {
            name: self.pod.name().to_string(),
            namespace: self.pod.namespace().to_string(),
            uid: self.uid.clone(),
            attempt: 0,
            hostname: spec.hostname.clone().unwrap_or_else(|| self.pod.name().to_string()),
            host_network,
            ip: ip.clone().unwrap_or_default(),
            annotations: self.pod.annotations().clone(),
        };
        env.mark();
        if let Ok(id) = env.runtime.run_pod_sandbox(env.now, &self.sandbox_config) {
            self.sandbox = Some(id);
            self.ip = ip;
            self.sandbox_config.annotations.retain(|k, _| k.starts_with(crate::node::runtime::behaviour::PREFIX));
        }
    }

    /// Init containers one at a time, in order. True once all have completed.
    fn sync_init(&mut self, env: &mut Env<'_>, spec: &PodSpec, wake: &mut Wake) -> bool {
        for i in 0..self.init.len() {
            let st = self.init[i].status(env.runtime, env.now);
            match st.as_ref().map(|s| (s.state, s.exit_code)) {
                Some((ContainerState::Exited, 0)) => continue,
                Some((ContainerState::Exited, _)) if restart_policy(spec) == "Never" => return false,
                _ => {
                    self.sync_container(env, spec, true, i, wake);
                    return false;
                }
            }
        }
        true
    }

    /// One container: probes while it runs, a restart when it has exited and the policy says
    /// so, a start when it never ran.
    fn sync_container(&mut self, env: &mut Env<'_>, spec: &PodSpec, init: bool, i: usize, wake: &mut Wake) {
        let c = if init { &self.init[i] } else { &self.ctrs[i] };
        let st = c.status(env.runtime, env.now);
        let last_finish = match &st {
            Some(s) if s.state == ContainerState::Running => {
                self.run_probes(env, spec, init, i, s, wake);
                return;
            }
            Some(s) if s.state == ContainerState::Exited => {
                let policy = restart_policy(spec);
                let restart = init || policy == "Always" || (policy == "OnFailure" && s.exit_code != 0);
                if !restart {
                    return;
                }
                s.finished_at
            }
            _ => None,
        };
        super::start::start(self, env, spec, init, i, last_finish, wake);
    }

    fn run_probes(
        &mut self,
        env: &mut Env<'_>,
        spec: &PodSpec,
        init: bool,
        i: usize,
        s: &ContainerStatus,
        wake: &mut Wake,
    ) {
        let ann = self.pod.annotations().clone();
        let now = env.now;
        let pod_ip = self.ip.clone().unwrap_or_default();
        let c = if init { &mut self.init[i] } else { &mut self.ctrs[i] };
        let cspec = Self::container_spec(spec, c).cloned().unwrap_or_default();
        let rt = &mut *env.runtime;
        let mut check =
            |_, p: &k8s_openapi::api::core::v1::Probe, at| super::prober::run(rt, &s.id, &cspec, &pod_ip, p, at);
        let outcomes = match s.started_at {
            Some(started) => c.probes.run_due(now, started, &ann, &c.name, &mut check),
            None => Vec::new(),
        };
        let c = c.clone();
        for o in outcomes {
            match o {
                super::probes::Outcome::Failed(msg) => self.event(env, Some(&c), EventType::Warning, "Unhealthy", &msg),
                super::probes::Outcome::Restart(kind, grace) => {
                    let msg =
                        format!("Container {} failed {} probe, will be restarted", c.name, kind.word().to_lowercase());
                    self.event(env, Some(&c), EventType::Normal, "Killing", &msg);
                    let grace = grace.or(spec.termination_grace_period_seconds).unwrap_or(30);
                    self.kill(env, spec, init, i, &s.id, grace, wake);
                }
            }
        }
        if let Some(t) = c.probes.next_due() {
            wake.at(t);
        }
        if let Some(t) = env.runtime.exit_due(now, &s.id) {
            wake.at(t);
        }
    }

    /// The kubelet's `killContainer` for running container `id` (the `i`th of its list), its
    /// Killing event recorded: the preStop handler first, then the stop signal with the grace
    /// left, now or when the handler ends. A stop already on its way is not asked again.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn kill(
        &mut self,
        env: &mut Env<'_>,
        spec: &PodSpec,
        init: bool,
        i: usize,
        id: &str,
        grace: i64,
        wake: &mut Wake,
    ) {
        let now = env.now;
        let Some(c) = (if init { self.init.get(i) } else { self.ctrs.get(i) }) else { return };
        if let Some((at, ..)) = c.stop_due.as_ref().filter(|d| d.2 == id) {
            wake.at(*at);
            return;
        }
        let c = c.clone();
        let who = format!("{}_{}({})", self.pod.name(), self.pod.namespace(), self.uid);
        let pod_ip = self.ip.clone().unwrap_or_default();
        let (at, grace, failed) = match Self::container_spec(spec, &c) {
            Some(cspec) => super::hooks::pre_stop(env.runtime, id, cspec, &who, &pod_ip, now, grace),
            None => (now, grace, None),
        };
        // The event leaves the handler's output out, as it may hold secrets.
        if failed.is_some() {
            self.event(env, Some(&c), EventType::Warning, "FailedPreStopHook", "PreStopHook failed");
        }
        if at <= now {
            env.mark();
            let _ = env.runtime.stop_container(now, id, grace);
        } else {
            let list = if init { &mut self.init } else { &mut self.ctrs };
            list[i].stop_due = Some((at, grace, id.to_string()));
            wake.at(at);
        }
    }

    /// Whether no postStart handler is running: one that has ended is taken up (its failure
    /// kills the container); one still running asks for a wake at its end.
    fn post_start_ended(&mut self, env: &mut Env<'_>, spec: &PodSpec, wake: &mut Wake) -> bool {
        for (init, i) in (0..self.init.len()).map(|i| (true, i)).chain((0..self.ctrs.len()).map(|i| (false, i))) {
            let c = if init { &self.init[i] } else { &self.ctrs[i] };
            match c.post_start {
                Some((until, _)) if until > env.now => {
                    wake.at(until);
                    return false;
                }
                Some(_) => super::start::post_start_done(self, env, spec, init, i, wake),
                None => {}
            }
        }
        true
    }

    /// Send the stop signals whose preStop handlers have ended.
    fn send_due_stops(&mut self, env: &mut Env<'_>, wake: &mut Wake) {
        for c in self.init.iter_mut().chain(self.ctrs.iter_mut()) {
            match &c.stop_due {
                Some((at, ..)) if *at > env.now => wake.at(*at),
                Some(_) => {
                    if let Some((_, grace, id)) = c.stop_due.take() {
                        env.mark();
                        let _ = env.runtime.stop_container(env.now, &id, grace);
                        if let Some(t) = env.runtime.exit_due(env.now, &id) {
                            wake.at(t);
                        }
                    }
                }
                None => {}
            }
        }
    }

    /// The pod is done (Succeeded or Failed): stop its sandbox and give back its address.
    fn finish_terminal(&mut self, env: &mut Env<'_>) {
        self.terminal = true;
        if let Some(sb) = &self.sandbox {
            env.mark();
            let _ = env.runtime.stop_pod_sandbox(env.now, sb);
        }
        if let Some(ip) = &self.ip {
            if self.sandbox_config.host_network {
                return;
            }
            env.ipam.release(ip);
        }
    }

    /// The eviction manager's kill: every container stopped at once (grace 0), then the pod
    /// Failed with reason Evicted and its message (`evictPod`).
    fn evict(&mut self, env: &mut Env<'_>, spec: &PodSpec, msg: String) {
        let now = env.now;
        for c in self.init.clone().iter().chain(self.ctrs.clone().iter()) {
            let Some(st) = c.status(env.runtime, now).filter(|s| s.state == ContainerState::Running) else { continue };
            self.event(env, Some(c), EventType::Normal, "Killing", &format!("Stopping container {}", c.name));
            env.mark();
            let _ = env.runtime.stop_container(now, &st.id, 0);
        }
        for c in self.init.iter_mut().chain(self.ctrs.iter_mut()) {
            c.waiting = None;
        }
        let mut status = super::status::generate(self, env, spec, true);
        status.phase = Some("Failed".into());
        status.reason = Some("Evicted".into());
        status.message = Some(msg);
        self.finish_terminal(env);
        self.post(env, status);
    }

    /// Graceful deletion: stop signals with the grace period (event Killing), wait for every
    /// container to exit, write the final status, then delete the pod with grace 0.
    fn terminate(&mut self, env: &mut Env<'_>, spec: &PodSpec, wake: &mut Wake) {
        let grace = self.pod.metadata().deletion_grace_period_seconds.unwrap_or(30);
        let now = env.now;
        if !self.stopping {
            self.stopping = true;
            for (init, list) in [(true, self.init.clone()), (false, self.ctrs.clone())] {
                for (i, c) in list.iter().enumerate() {
                    let Some(st) = c.status(env.runtime, now) else { continue };
                    if st.state == ContainerState::Running {
                        let msg = format!("Stopping container {}", c.name);
                        self.event(env, Some(c), EventType::Normal, "Killing", &msg);
                        self.kill(env, spec, init, i, &st.id, grace, wake);
                    }
                }
            }
        }
        let mut running = false;
        for c in self.init.iter().chain(self.ctrs.iter()) {
            if let Some(st) = c.status(env.runtime, now).filter(|s| s.state == ContainerState::Running) {
                running = true;
                if let Some(t) = env.runtime.exit_due(now, &st.id) {
                    wake.at(t);
                }
            }
        }
        for c in self.init.iter_mut().chain(self.ctrs.iter_mut()) {
            if c.id.is_none() {
                c.waiting = None;
            }
        }
        let status = super::status::generate(self, env, spec, !running);
        self.post(env, status);
        if running {
            return;
        }
        if !self.terminal {
            self.finish_terminal(env);
        }
        self.finished = true;
        let (ns, name) = (self.pod.namespace().to_string(), self.pod.name().to_string());
        let opts = DeleteOptions { grace_period_seconds: Some(0), ..Default::default() };
        let _ = env.api.delete(env.user, Kind::Pod, &ns, &name, opts);
    }

    /// A pod admission refused: it is failed once; deleted, it goes at once (nothing runs).
    fn sync_rejected(&mut self, env: &mut Env<'_>, rejection: &super::admission::Rejection) {
        if self.pod.metadata().deletion_timestamp.is_some() {
            self.finished = true;
            let (ns, name) = (self.pod.namespace().to_string(), self.pod.name().to_string());
            let opts = DeleteOptions { grace_period_seconds: Some(0), ..Default::default() };
            let _ = env.api.delete(env.user, Kind::Pod, &ns, &name, opts);
        } else if !self.terminal {
            self.terminal = true;
            super::admission::reject(self, env, rejection);
        }
    }

    /// The pod is gone from the API server: remove what is left of it in the runtime.
    pub fn teardown(&mut self, env: &mut Env<'_>) {
        env.mark();
        for c in self.init.iter().chain(self.ctrs.iter()) {
            for id in c.id.iter().chain(c.previous.iter()) {
                let _ = env.runtime.stop_container(env.now, id, 0);
                let _ = env.runtime.remove_container(env.now, id);
            }
        }
        if let Some(sb) = self.sandbox.take() {
            let _ = env.runtime.stop_pod_sandbox(env.now, &sb);
            let _ = env.runtime.remove_pod_sandbox(env.now, &sb);
        }
        if !self.terminal && !self.sandbox_config.host_network {
            if let Some(ip) = &self.ip {
                env.ipam.release(ip);
            }
        }
    }

    /// Write the status if it differs from the one the API server has (a static pod's goes to
    /// its mirror pod, when there is one).
    pub(super) fn post(&mut self, env: &mut Env<'_>, status: PodStatus) {
        let target = if self.is_static { self.mirror.clone() } else { Some(self.pod.clone()) };
        let Some(pod) = target.as_deref().and_then(pod_of) else { return };
        if pod.status.as_deref() == Some(&status) {
            return;
        }
        // A status write reads only the name, namespace and status (no resourceVersion: the
        // kubelet's status is the truth); the metadata is the one its versions share.
        // Only a static pod's worker keeps what it wrote (its mirror pod is not its pod).
        let kept = self.is_static.then(|| status.clone());
        let pod =
            Pod { metadata: pod.metadata.clone(), resource_version: None, spec: None, status: Some(status.into()) };
        if let Ok(updated) = env.api.update_status(env.user, Object::Pod(Box::new(pod))) {
            if self.is_static {
                self.mirror = Some(updated);
                self.last_status = kept;
            } else {
                self.pod = updated;
            }
        }
    }
}

/// How long a static pod waits before trying again to create its mirror pod (the pod
/// worker's resync, `syncFrequency`).
const MIRROR_RETRY: i64 = 60;

pub fn restart_policy(spec: &PodSpec) -> &str {
    spec.restart_policy.as_deref().unwrap_or("Always")
}

/// A duration a little past `t`, for retries that upstream makes on its sync back-off.
pub fn retry_after(now: Time, seconds: i64) -> Time {
    now + Duration::seconds(seconds)
}
