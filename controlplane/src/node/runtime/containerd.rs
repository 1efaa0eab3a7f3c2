//! A simulated containerd: sandboxes, a shim per container (whose main process follows a
//! [`Plan`]), an image store with serialized pulls, and a record of every CRI call.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use chrono::Duration;

use super::behaviour::{self, Ending, Plan, PREFIX};
use super::cri::*;
use super::images;
use crate::node::container::log::Log;
use crate::node::container::net::{Answered, NetCall};
use crate::node::container::{image, ExecOutput, Fs, Process};

mod netns;
pub use netns::{Conn, Dial};
mod streams;
mod work;

/// One CRI call as the runtime received it, for `trace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriCall {
    pub time: Time,
    /// The caller's mark when the call was made (the kubelet sets the API server's audit
    /// position), so calls merge in order with the requests around them.
    pub mark: usize,
    pub pod_uid: Arc<str>,
    /// `RunPodSandbox`, `PullImage`, `CreateContainer`, ...
    pub call: &'static str,
    /// The call's subject: a container name, an image, a sandbox id.
    pub subject: String,
    /// The id the call made or acted on (sandbox or container), if any.
    pub id: String,
}

/// Calls remembered per node (the last hundred or so pods' worth); older ones are forgotten,
/// so a node that runs short pods all day holds no more than one that ran a few.
const RECORD_LIMIT: usize = 1024;

#[derive(Debug, Clone)]
struct Sandbox {
    uid: Arc<str>,
    config: PodSandboxConfig,
    ready: bool,
}

/// A containerd-shim and the task it runs.
#[derive(Debug, Clone)]
struct Shim {
    sandbox_id: String,
    config: Kept,
    image: Image,
    plan: Plan,
    created_at: Time,
    started_at: Option<Time>,
    /// When the stop signal came, and the kill timeout.
    stop: Option<(Time, i64)>,
    /// When the kernel's OOM killer ends it: its memory went over the cgroup's limit.
    oom_at: Option<Time>,
    /// The CPU its server spent on requests lately.
    work: work::Work,
    pid: u32,
    /// The last process id given in the container's pid namespace (its main process is 1).
    pids: u32,
    /// The main process, when the command runs in the shell; else `plan` says what it does.
    /// Boxed: most containers have none, and a process is half a shim's size.
    proc: Option<Box<Process>>,
    /// The exit code the pod's annotations impose on the process's own.
    code_override: Option<i32>,
    /// The container's files, its environment and its host name.
    fs: Fs,
    env: Vec<(String, String)>,
    hostname: String,
    log: Log,
    /// Commands exec'd in the container, by id.
    execs: BTreeMap<u64, (Process, ExecOutput)>,
    /// The attached stream that holds the main process's stdin, the first with `-i`.
    stdin_stream: Option<u64>,
    /// Its stdin was closed (`stdinOnce`, after the first attached client let go).
    stdin_closed: bool,
    /// What the main process wrote since each client attached, by stream id.
    attached: BTreeMap<u64, ExecOutput>,
    /// The runtime timer already set for the main process.
    scheduled: Option<Time>,
    /// What the container runs: its command and args over the image's entrypoint and cmd.
    words: Vec<String>,
    /// The pod's address.
    ip: String,
}

/// What a shim keeps of its [`ContainerConfig`]: the files, environment, mounts and command
/// went into its tree, `env` and `plan`, and a copy of them would only double its size.
#[derive(Debug, Clone)]
struct Kept {
    name: String,
    attempt: u32,
    stdin: bool,
    tty: bool,
    stdin_once: bool,
    memory_limit: Option<i64>,
    cpu_limit: Option<i64>,
    security: Security,
}

impl Kept {
    fn of(config: &ContainerConfig) -> Self {
        let ContainerConfig { name, attempt, stdin, tty, stdin_once, memory_limit, cpu_limit, security, .. } = config;
        Kept {
            name: name.clone(),
            attempt: *attempt,
            stdin: *stdin,
            tty: *tty,
            stdin_once: *stdin_once,
            memory_limit: *memory_limit,
            cpu_limit: *cpu_limit,
            security: security.clone(),
        }
    }
}

impl Shim {
    /// The container's live processes, but for the main process's tree unless `main`, and
    /// but for the exec'd processes taken out of `execs` to run.
    fn live_pids(&self, main: bool) -> Vec<u32> {
        let mut out = Vec::new();
        if main {
            match &self.proc {
                Some(p) => p.pids(&mut out),
                None => out.push(1),
            }
        }
        for (p, _) in self.execs.values() {
            p.pids(&mut out);
        }
        out
    }

    /// The container's processes for `ps`, but for the exec'd ones taken out to run: its main
    /// process and the exec'd ones.
    fn table(&self) -> Vec<(u32, String)> {
        let mut out = vec![(1, crate::node::container::process::shown_cmdline(&self.words))];
        out.extend(self.execs.values().map(|(p, _)| (p.pid(), p.cmdline.clone())));
        out
    }

    /// Write `/proc/1/status` for the processes that may read it: made when a shell or an
    /// exec'd command first runs in the container, not for every container.
    fn ensure_proc(&mut self) {
        if self.fs.get("/proc/1/status").is_some() {
            return;
        }
        let shown = crate::node::container::process::shown_cmdline(&self.words);
        let program = shown.split_whitespace().next().map(|w| w.rsplit('/').next().unwrap_or(w)).unwrap_or("sh");
        let name: String = program.chars().take(15).collect();
        let status = super::procfs::status(&name, &self.fs.creds, &self.config.security);
        // The kernel's files, read-only root or not.
        let read_only = std::mem::replace(&mut self.fs.read_only_root, false);
        let _ = self.fs.mkdir("/proc/1", true);
        let _ = self.fs.write("/proc/1/status", status.as_bytes(), false);
        self.fs.read_only_root = read_only;
    }

    /// A new process id in the container.
    fn next_pid(&mut self) -> u32 {
        self.pids = crate::node::container::shell::pipes::next_pid(self.pids, &self.live_pids(true));
        self.pids
    }

    /// When the task exits and how, as far as known now (the moment may be in the future).
    fn end(&self) -> Option<(Time, i32, Ending)> {
        let started = self.started_at?;
        let natural = match &self.proc {
            Some(p) => p.exit.map(|(at, code)| (at, self.code_override.unwrap_or(code), Ending::Exited)),
            None => self.plan.exits.map(|(after, code)| (started + after, code, Ending::Exited)),
        };
        let stopped = self.stop.map(|(at, timeout)| {
            if self.plan.honours_sigterm && self.plan.term_delay < Duration::seconds(timeout) {
                (at + self.plan.term_delay, self.plan.term_code, Ending::Terminated)
            } else {
                (at + Duration::seconds(timeout), 137, Ending::Killed)
            }
        });
        let oom = self.oom_at.map(|at| (at, 137, Ending::OomKilled));
        [natural, stopped, oom].into_iter().flatten().reduce(|a, b| if b.0 < a.0 { b } else { a })
    }

    fn status(&self, id: &str, now: Time) -> ContainerStatus {
        let mut st = ContainerStatus {
            id: id.to_string(),
            name: self.config.name.clone(),
            attempt: self.config.attempt,
            state: ContainerState::Created,
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: None,
            exit_code: 0,
            reason: String::new(),
            image: self.image.repo_tag.clone(),
            image_ref: self.image.repo_digest.clone(),
        };
        if self.started_at.is_some() {
            st.state = ContainerState::Running;
            if let Some((at, code, ending)) = self.end().filter(|e| e.0 <= now) {
                st.state = ContainerState::Exited;
                st.finished_at = Some(at);
                st.exit_code = code;
                st.reason = match ending {
                    Ending::OomKilled => "OOMKilled",
                    _ if code == 0 => "Completed",
                    _ => "Error",
                }
                .into();
            }
        }
        st
    }
}

/// A network call a process made, as the runtime hands it to the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCall {
    /// The container, and the exec stream of the process (none: its main process).
    pub container: String,
    pub stream: Option<u64>,
    pub token: u64,
    /// The pod it is made from.
    pub namespace: String,
    pub pod: String,
    /// The container's image (its repository and tag): which programs made the call.
    pub image: String,
    pub call: NetCall,
}

/// The container runtime of one node.
#[derive(Debug)]
pub struct Containerd {
    node: String,
    pull_time: Duration,
    sandboxes: BTreeMap<String, Sandbox>,
    /// Boxed: a shim is large, and a map's nodes hold their values inline, spare slots too.
    shims: BTreeMap<String, Box<Shim>>,
    /// Images by full reference, with the moment each is in the store from.
    images: BTreeMap<String, (Image, Time)>,
    /// The same moments, in order: the node's status counts the images present every ten
    /// seconds, from one short vector rather than every image's entry.
    image_times: Vec<Time>,
    /// Pulls are serialized (the kubelet's `serializeImagePulls`): the next starts after this.
    pulls_busy_until: Time,
    calls: VecDeque<CriCall>,
    /// Stamped on each recorded call; the caller sets it.
    pub mark: usize,
    next_pid: u32,
    /// When processes want to run again: (moment, container id), for the owner's timers.
    wakes: Vec<(Time, String)>,
    next_exec: u64,
    /// Network calls made by the containers' processes, for the cluster to carry.
    net_calls: Vec<PendingCall>,
    /// Pods whose container's main process ended outside its own timer (a probe's exec ran it
    /// on, a `kill` from an exec'd command): the owner syncs them.
    exited: Vec<Arc<str>>,
}

/// The image a reference names: its id, digest and size are drawn from hashes of the
/// reference, so one reference always gives the same image; made once per reference for the
/// thread (every pull of a `:latest` image asks again).
fn image_of(full: &str) -> Image {
    thread_local! {
        static MADE: crate::memo::Table<Image> = crate::memo::Table::default();
    }
    crate::memo::remembered(&MADE, 256, full, || {
        let digest = images::digest(full);
        Image {
            id: format!("sha256:{}", images::digest(&digest)),
            repo_tag: full.to_string(),
            repo_digest: format!("{}@sha256:{digest}", images::repository(full)),
            size: images::size(full),
        }
    })
}

impl Containerd {
    /// A runtime whose image store holds `preloaded` from the start.
    pub fn new(node: &str, pull_time: Duration, preloaded: &[String], now: Time) -> Self {
        let begin = Time::MIN_UTC;
        let images: BTreeMap<String, (Image, Time)> =
            preloaded.iter().map(|i| (i.clone(), (image_of(i), begin))).collect();
        let image_times = vec![begin; images.len()];
        Containerd {
            node: node.to_string(),
            pull_time,
            sandboxes: BTreeMap::new(),
            shims: BTreeMap::new(),
            images,
            image_times,
            pulls_busy_until: now,
            calls: VecDeque::new(),
            mark: 0,
            next_pid: 1000,
            wakes: Vec::new(),
            next_exec: 0,
            exited: Vec::new(),
            net_calls: Vec::new(),
        }
    }

    fn record(&mut self, time: Time, pod_uid: Arc<str>, call: &'static str, subject: String, id: String) {
        if self.calls.len() >= RECORD_LIMIT {
            self.calls.pop_front();
        }
        self.calls.push_back(CriCall { time, mark: self.mark, pod_uid, call, subject, id });
    }

    fn sandbox_uid(&self, sandbox_id: &str) -> Arc<str> {
        self.sandboxes.get(sandbox_id).map(|s| s.uid.clone()).unwrap_or_else(|| Arc::from(""))
    }

    /// The recorded calls about one pod, oldest first.
    pub fn calls_for(&self, pod_uid: &str) -> Vec<CriCall> {
        self.calls.iter().filter(|c| &*c.pod_uid == pod_uid).cloned().collect()
    }

    /// The log of a container: `(time, line)` as its shim wrote them.
    pub fn container_log(&self, now: Time, id: &str) -> Option<Vec<(Time, String)>> {
        let shim = self.shims.get(id)?;
        let started = shim.started_at?;
        let own: Vec<(Time, String)> = shim.log.lines().filter(|(t, _)| *t <= now).cloned().collect();
        if shim.proc.is_some() {
            return Some(own);
        }
        let end = shim.end().filter(|e| e.0 <= now).map(|e| (e.0, e.2));
        let stopped = shim.stop.map(|s| s.0).filter(|t| *t <= now);
        let mut lines = behaviour::log(&shim.plan, started, end, stopped, now, &shim.ip);
        // The lines it wrote for requests (a probe's), in time order among the others.
        if !own.is_empty() {
            lines.extend(own);
            lines.sort_by_key(|(t, _)| *t);
        }
        Some(lines)
    }

    /// The pods whose main process ended outside its timer, each once.
    pub fn take_exited(&mut self) -> Vec<Arc<str>> {
        std::mem::take(&mut self.exited)
    }

    /// When processes want to run next: `(moment, container id)`, each asked once.
    pub fn take_wakes(&mut self) -> Vec<(Time, String)> {
        std::mem::take(&mut self.wakes)
    }

    /// Run a container's main process up to `now` (its timer fired). The pod's uid when the
    /// process has just ended, so the kubelet looks at it (containerd's `TaskExit`).
    pub fn wake(&mut self, now: Time, id: &str) -> Option<Arc<str>> {
        let shim = self.shims.get_mut(id)?;
        if shim.scheduled.is_some_and(|t| t <= now) {
            shim.scheduled = None;
        }
        let ended = advance(shim, now);
        // What PID 1 sent to the container's other processes (`kill` of an exec'd one).
        let signals = shim.proc.as_deref_mut().map(Process::take_signals).unwrap_or_default();
        for (pid, sig) in signals {
            self.deliver(now, id, pid, sig);
        }
        let uid = self.sandbox_uid(&self.shims.get(id)?.sandbox_id.clone());
        self.schedule(id, now);
        ended.then_some(uid)
    }

    /// Whether a network call was made since the last take.
    pub fn has_net_calls(&self) -> bool {
        !self.net_calls.is_empty()
    }

    /// The network calls made since the last take.
    pub fn take_net_calls(&mut self) -> Vec<PendingCall> {
        std::mem::take(&mut self.net_calls)
    }

    /// Hand a call's answer to the process that made it, if it still runs.
    pub fn net_answer(&mut self, now: Time, call: &PendingCall, answer: Answered) {
        let Some(shim) = self.shims.get_mut(&call.container) else { return };
        match call.stream {
            Some(stream) => {
                if let Some((p, out)) = shim.execs.get_mut(&stream) {
                    p.net_answer(call.token, answer);
                    out.wake = p.wake;
                }
            }
            None => {
                if let Some(p) = shim.proc.as_deref_mut() {
                    p.net_answer(call.token, answer);
                    self.schedule(&call.container.clone(), now);
                }
            }
        }
    }

    /// Keep the calls process `stream` (none: the main one) of container `id` made.
    fn keep_net_calls(&mut self, id: &str, stream: Option<u64>, calls: Vec<(u64, NetCall)>) {
        if calls.is_empty() {
            return;
        }
        let Some(shim) = self.shims.get(id) else { return };
        let Some(sandbox) = self.sandboxes.get(&shim.sandbox_id) else { return };
        for (token, call) in calls {
            self.net_calls.push(PendingCall {
                container: id.to_string(),
                stream,
                token,
                namespace: sandbox.config.namespace.clone(),
                pod: sandbox.config.name.clone(),
                image: shim.image.repo_tag.clone(),
                call,
            });
        }
    }

    /// Ask for the main process's next wake, unless a timer for it is already set (and keep
    /// the network calls it made).
    fn schedule(&mut self, id: &str, now: Time) {
        let calls = self.shims.get_mut(id).and_then(|s| s.proc.as_deref_mut()).map(Process::take_net_calls);
        self.keep_net_calls(id, None, calls.unwrap_or_default());
        let Some(shim) = self.shims.get_mut(id) else { return };
        let Some(t) = shim.proc.as_deref().and_then(|p| p.wake) else { return };
        // `sleep infinity` wakes only for a signal.
        if shim.end().is_some_and(|e| e.0 <= now) || t - now > chrono::Duration::days(36_500) {
            return;
        }
        if shim.scheduled.is_none_or(|s| s <= now || t < s) {
            shim.scheduled = Some(t);
            self.wakes.push((t, id.to_string()));
        }
    }

    /// The kernel's OOM killer ends the container now: what it was asked to hold went over
    /// its cgroup's limit (containerd's `TaskOOM`, then its exit). False when it was not
    /// running. The owner syncs its pod.
    pub fn oom_kill(&mut self, now: Time, id: &str) -> bool {
        let Some(shim) = self.shims.get_mut(id) else { return false };
        if shim.started_at.is_none() || shim.end().is_some_and(|e| e.0 <= now) {
            return false;
        }
        shim.oom_at = Some(now);
        let uid = self.sandbox_uid(&self.shims[id].sandbox_id.clone());
        self.exited.push(uid);
        true
    }

    /// What the container's program uses now by itself: a load generator's plan, and the CPU
    /// its server spent on requests lately; millicores and bytes. None when it is neither.
    pub fn program_use(&self, now: Time, id: &str) -> Option<(i64, i64)> {
        let shim = self.shims.get(id)?;
        let serving = shim.work.millicpu(now);
        let Some(uses) = shim.plan.uses.as_ref() else {
            return (serving > 0).then_some((serving, 0));
        };
        Some((uses.millicpu + serving, uses.memory.at(now - shim.started_at?)))
    }

    /// The shim's process id, for traces.
    pub fn pid(&self, id: &str) -> Option<u32> {
        self.shims.get(id).map(|s| s.pid)
    }
}

/// Who a container's processes are, as containerd makes the OCI process user: the user asked
/// for (the image's, root, else), its primary group from the image's `/etc/passwd` unless a
/// group is asked for, and as supplementary groups that group, the groups `/etc/group` lists
/// the user in, and those asked for, ascending.
fn credentials(fs: &crate::node::container::Fs, config: &ContainerConfig) -> crate::node::container::fs::Creds {
    use crate::node::container::users;
    let id = |v: i64| u32::try_from(v).unwrap_or(0);
    let uid = config.run_as_user.map_or(0, id);
    let entry = users::user(fs, uid);
    let gid = config.run_as_group.map(id).or_else(|| entry.as_ref().map(|e| e.1)).unwrap_or(0);
    let mut groups = vec![gid];
    if let Some((name, _)) = &entry {
        groups.extend(users::groups_of(fs, name));
    }
    groups.extend(config.supplemental_groups.iter().map(|g| id(*g)));
    groups.sort_unstable();
    groups.dedup();
    crate::node::container::fs::Creds { uid, gid, groups }
}

/// Run a shim's main process to `now`, its output into the log. True when it just ended.
fn advance(shim: &mut Shim, now: Time) -> bool {
    if shim.end().is_some_and(|e| e.0 <= now) {
        return false;
    }
    let others = if shim.execs.is_empty() { Vec::new() } else { shim.live_pids(false) };
    let Some(p) = shim.proc.as_deref_mut() else { return false };
    p.enter(shim.pids, others);
    let (log, attached) = (&mut shim.log, &mut shim.attached);
    p.advance(&mut shim.fs, &shim.hostname, now, &mut |stream, data| {
        log.write(now, stream, data);
        for out in attached.values_mut() {
            streams::keep(out, stream, data);
        }
    });
    shim.pids = p.last_pid();
    if let Some((at, _)) = p.exit {
        log.flush(at);
        return true;
    }
    false
}

impl RuntimeService for Containerd {
    fn run_pod_sandbox(&mut self, now: Time, config: &PodSandboxConfig) -> Result<String, CriError> {
        let id = images::digest(&format!("{}/{}/sandbox/{}", self.node, config.uid, config.attempt));
        let mut config = config.clone();
        // Only kubesim's annotations shape what containers do; keep no more than those.
        config.annotations.retain(|k, _| k.starts_with(PREFIX));
        let uid: Arc<str> = Arc::from(config.uid.as_str());
        self.record(now, uid.clone(), "RunPodSandbox", format!("{}_{}", config.name, config.namespace), id.clone());
        self.sandboxes.insert(id.clone(), Sandbox { uid, config, ready: true });
        Ok(id)
    }

    fn stop_pod_sandbox(&mut self, now: Time, sandbox_id: &str) -> Result<(), CriError> {
        let uid = self.sandbox_uid(sandbox_id);
        self.record(now, uid, "StopPodSandbox", String::new(), sandbox_id.to_string());
        match self.sandboxes.get_mut(sandbox_id) {
            Some(s) => {
                s.ready = false;
                Ok(())
            }
            None => Err(CriError::not_found(format!(
                "an error occurred when try to find sandbox {sandbox_id:?}: not found"
            ))),
        }
    }

    fn remove_pod_sandbox(&mut self, now: Time, sandbox_id: &str) -> Result<(), CriError> {
        let uid = self.sandbox_uid(sandbox_id);
        self.record(now, uid, "RemovePodSandbox", String::new(), sandbox_id.to_string());
        self.shims.retain(|_, s| s.sandbox_id != sandbox_id);
        self.sandboxes.remove(sandbox_id);
        Ok(())
    }

    fn create_container(&mut self, now: Time, sandbox_id: &str, config: &ContainerConfig) -> Result<String, CriError> {
        let Some(sandbox) = self.sandboxes.get(sandbox_id) else {
            return Err(CriError::not_found(format!("failed to get sandbox {sandbox_id:?}")));
        };
        let full = images::normalize(&config.image);
        let Some(image) = self.image_status(now, &config.image) else {
            return Err(CriError::not_found(format!("failed to get image {full:?}: image not found")));
        };
        let ann = &sandbox.config.annotations;
        let short = behaviour::short_name(&full);
        let mut fs = image::files(short);
        for (path, data) in &config.files {
            let _ = fs.write(path, data, false);
        }
        for m in &config.mounts {
            fs.mount(m.clone());
        }
        let asked =
            config.run_as_user.is_some() || config.run_as_group.is_some() || !config.supplemental_groups.is_empty();
        if asked {
            fs.creds = credentials(&fs, config);
        }
        let words = image::resolve_command(image::config_name(&full), &config.command, &config.args);
        fs.read_only_root = config.security.read_only_root;
        let mut plan = behaviour::plan(&full, &words, &config.name, ann, &fs, &config.envs);
        // A shell with no script (the image's default, or `-- sh`) reads its commands from
        // stdin, which when open keeps it waiting there.
        let bare_shell = config.stdin && crate::node::container::process::shell_without_script(&words);
        let shell = bare_shell || behaviour::runs_in_shell(&words, &config.name, ann);
        if shell {
            // The shell itself prints what the script says; only the annotation's lines are
            // the plan's.
            plan.exits = None;
            plan.honours_sigterm = false;
            plan.lines = behaviour::annotation(ann, "logs", &config.name)
                .map(|l| l.lines().map(|l| (Duration::zero(), l.to_string())).collect())
                .unwrap_or_default();
        }
        let code_override = behaviour::annotation(ann, "exit-code", &config.name).and_then(|c| c.trim().parse().ok());
        let hostname = sandbox.config.hostname.clone();
        let ip = sandbox.config.ip.clone();
        let mut env = vec![("PATH".to_string(), image::PATH.to_string()), ("HOSTNAME".to_string(), hostname.clone())];
        env.extend(config.envs.iter().cloned());
        env.push(("HOME".into(), "/root".into()));
        let id = images::digest(&format!("{}/{}/{}/{}", self.node, sandbox.uid, config.name, config.attempt));
        let uid = sandbox.uid.clone();
        self.record(now, uid, "CreateContainer", config.name.clone(), id.clone());
        let shim = Shim {
            sandbox_id: sandbox_id.to_string(),
            config: Kept::of(config),
            image,
            plan,
            created_at: now,
            started_at: None,
            stop: None,
            oom_at: None,
            work: work::Work::default(),
            pid: 0,
            pids: 1,
            proc: shell.then(|| Box::new(Process::new(&[], &[], 0))),
            code_override,
            fs,
            env,
            hostname,
            log: Log::default(),
            execs: BTreeMap::new(),
            attached: BTreeMap::new(),
            stdin_stream: None,
            stdin_closed: false,
            scheduled: None,
            words,
            ip,
        };
        self.shims.insert(id.clone(), Box::new(shim));
        Ok(id)
    }

    fn start_container(&mut self, now: Time, id: &str) -> Result<(), CriError> {
        self.next_pid += 1;
        let pid = self.next_pid;
        if let Some(port) = self.taken_port(now, id) {
            if let Some(shim) = self.shims.get_mut(id) {
                behaviour::bind_failed(&mut shim.plan, port, now);
            }
        }
        let Some(shim) = self.shims.get_mut(id) else {
            return Err(CriError::not_found(format!("container {id:?} not found")));
        };
        shim.started_at = Some(now);
        shim.pid = pid;
        shim.pids = 1;
        // A program that allocates past the cgroup's memory limit is killed when it does.
        let limit = shim.config.memory_limit;
        shim.oom_at = shim.plan.uses.as_ref().zip(limit).and_then(|(u, l)| u.memory.exceeds(l)).map(|d| now + d);
        if shim.proc.is_some() {
            if shim.words.first().is_some_and(|w| crate::node::container::process::is_shell(w)) {
                shim.ensure_proc();
            }
            let mut words = shim.words.clone();
            shim.proc = Some(Box::new(if shim.config.stdin {
                if words.is_empty() {
                    words.push("sh".into());
                }
                Process::with_stdin(&words, &shim.env, 1, shim.config.tty)
            } else {
                Process::new(&words, &shim.env, 1)
            }));
            for (after, line) in &shim.plan.lines {
                shim.log.push(now + *after, line.as_bytes());
            }
            advance(shim, now);
        }
        let (name, sandbox) = (shim.config.name.clone(), shim.sandbox_id.clone());
        let uid = self.sandbox_uid(&sandbox);
        self.record(now, uid, "StartContainer", name, id.to_string());
        self.schedule(id, now);
        Ok(())
    }

    fn stop_container(&mut self, now: Time, id: &str, timeout: i64) -> Result<(), CriError> {
        let Some(shim) = self.shims.get_mut(id) else {
            return Err(CriError::not_found(format!("container {id:?} not found")));
        };
        let running = shim.end().is_none_or(|e| e.0 > now);
        let mut signalled = false;
        if shim.started_at.is_some() && running && shim.stop.is_none() {
            shim.stop = Some((now, timeout.max(0)));
            // SIGTERM: a shell with a trap runs it; PID 1 without one ignores it.
            if let Some(p) = shim.proc.as_deref_mut() {
                signalled = p.signal("TERM");
            }
        }
        if signalled {
            advance(shim, now);
        }
        let (name, sandbox) = (shim.config.name.clone(), shim.sandbox_id.clone());
        let uid = self.sandbox_uid(&sandbox);
        self.record(now, uid, "StopContainer", format!("{name} (timeout {timeout}s)"), id.to_string());
        self.schedule(id, now);
        Ok(())
    }

    fn remove_container(&mut self, now: Time, id: &str) -> Result<(), CriError> {
        if let Some(shim) = self.shims.remove(id) {
            let uid = self.sandbox_uid(&shim.sandbox_id);
            self.record(now, uid, "RemoveContainer", shim.config.name, id.to_string());
        }
        Ok(())
    }

    fn list_containers(&self, now: Time, sandbox_id: Option<&str>) -> Vec<ContainerStatus> {
        self.shims
            .iter()
            .filter(|(_, s)| sandbox_id.is_none_or(|sb| s.sandbox_id == sb))
            .map(|(id, s)| s.status(id, now))
            .collect()
    }

    fn container_status(&self, now: Time, id: &str) -> Result<ContainerStatus, CriError> {
        self.shims.get(id).map(|s| s.status(id, now)).ok_or_else(|| {
            CriError::not_found(format!("an error occurred when try to find container {id:?}: not found"))
        })
    }

    fn exit_due(&self, now: Time, id: &str) -> Option<Time> {
        self.shims.get(id)?.end().map(|e| e.0).filter(|at| *at >= now)
    }
}

impl ImageService for Containerd {
    fn pull_image(&mut self, now: Time, image: &str, sandbox: &PodSandboxConfig) -> Pull {
        let full = images::normalize(image);
        let uid: Arc<str> = Arc::from(sandbox.uid.as_str());
        self.record(now, uid, "PullImage", image.to_string(), String::new());
        let failure = sandbox.annotations.get(&format!("{PREFIX}pull-error")).map(|v| match v.trim() {
            "" | "true" => images::not_found_error(&full),
            text => format!("rpc error: code = Unknown desc = failed to pull and unpack image \"{full}\": {text}"),
        });
        let failure = failure.or_else(|| images::missing(&full).then(|| images::not_found_error(&full)));
        if let Some(error) = failure {
            let took = self.pull_time / 2;
            return Pull { done_at: now + took, took, result: Err(error) };
        }
        match self.images.get(&full) {
            // Being pulled for another pod: this one waits for the same pull.
            Some((img, at)) if *at > now => Pull { done_at: *at, took: self.pull_time, result: Ok(img.clone()) },
            // Present: only the registry's manifest is checked.
            Some((img, _)) => {
                let took = self.pull_time / 4;
                Pull { done_at: now + took, took, result: Ok(img.clone()) }
            }
            None => {
                let start = self.pulls_busy_until.max(now);
                let done_at = start + self.pull_time;
                self.pulls_busy_until = done_at;
                let img = image_of(&full);
                self.images.insert(full, (img.clone(), done_at));
                let at = self.image_times.partition_point(|t| *t <= done_at);
                self.image_times.insert(at, done_at);
                Pull { done_at, took: self.pull_time, result: Ok(img) }
            }
        }
    }

    fn image_status(&self, now: Time, image: &str) -> Option<Image> {
        let full = images::normalize(image);
        self.images.get(&full).filter(|(_, at)| *at <= now).map(|(i, _)| i.clone())
    }

    fn list_images(&self, now: Time) -> Vec<Image> {
        self.images.values().filter(|(_, at)| *at <= now).map(|(i, _)| i.clone()).collect()
    }

    fn image_count(&self, now: Time) -> usize {
        self.image_times.partition_point(|at| *at <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::container::terminal::Input;
    use crate::sim::clock::epoch;

    fn sandbox(rt: &mut Containerd, now: Time, ann: &[(&str, &str)]) -> (String, PodSandboxConfig) {
        let config = PodSandboxConfig {
            name: "web".into(),
            namespace: "default".into(),
            uid: "u1".into(),
            annotations: ann.iter().map(|(k, v)| (format!("{PREFIX}{k}"), v.to_string())).collect(),
            ..Default::default()
        };
        (rt.run_pod_sandbox(now, &config).unwrap(), config)
    }

    fn container(image: &str, command: &[&str]) -> ContainerConfig {
        ContainerConfig {
            name: "c".into(),
            image: image.into(),
            command: command.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    /// Fire the runtime's process timers due by `until`, in order, as the kubelet does.
    fn run_timers(rt: &mut Containerd, wakes: &mut Vec<(Time, String)>, until: Time) {
        loop {
            wakes.extend(rt.take_wakes());
            wakes.sort();
            if wakes.first().is_none_or(|(t, _)| *t > until) {
                return;
            }
            let (t, id) = wakes.remove(0);
            rt.wake(t, &id);
        }
    }

    /// Runs a container from `t0` and says what its status is at `t0 + at` seconds, stopped
    /// with `stop` = (after, timeout) if given.
    fn check(image: &str, command: &[&str], stop: Option<(i64, i64)>, at: i64, expect: &str) {
        let t0 = epoch();
        let mut rt = Containerd::new("n", Duration::seconds(2), &[], t0);
        let (sb, config) = sandbox(&mut rt, t0, &[]);
        let pull = rt.pull_image(t0, image, &config);
        let t = pull.done_at;
        let id = rt.create_container(t, &sb, &container(image, command)).unwrap();
        rt.start_container(t, &id).unwrap();
        let mut wakes = Vec::new();
        if let Some((after, timeout)) = stop {
            run_timers(&mut rt, &mut wakes, t + Duration::seconds(after));
            rt.stop_container(t + Duration::seconds(after), &id, timeout).unwrap();
        }
        run_timers(&mut rt, &mut wakes, t + Duration::seconds(at));
        let st = rt.container_status(t + Duration::seconds(at), &id).unwrap();
        let finished = st.finished_at.map(|f| (f - t).num_seconds());
        let got = format!("{:?} {} {} {:?}", st.state, st.exit_code, st.reason, finished);
        assert_eq!(got, expect);
    }

    #[test]
    fn containers() {
        check("nginx", &[], None, 100, "Running 0  None");
        check("nginx", &[], Some((5, 30)), 5, "Exited 0 Completed Some(5)");
        check("busybox", &["sleep", "3600"], Some((5, 30)), 34, "Running 0  None");
        check("busybox", &["sleep", "3600"], Some((5, 30)), 35, "Exited 137 Error Some(35)");
        check("busybox", &["sleep", "5"], None, 5, "Exited 0 Completed Some(5)");
        check("busybox", &["sh", "-c", "exit 3"], None, 0, "Exited 3 Error Some(0)");
        check("busybox", &["sh", "-c", "sleep 2; echo done; exit 4"], None, 3, "Exited 4 Error Some(2)");
        // A TERM trap runs when the sleep it waits for ends; without one, PID 1 is killed.
        let trapped = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 10; done"];
        check("busybox", &trapped, Some((5, 30)), 10, "Exited 0 Completed Some(10)");
        check(
            "busybox",
            &["sh", "-c", "while true; do sleep 10; done"],
            Some((5, 30)),
            40,
            "Exited 137 Error Some(35)",
        );
    }

    #[test]
    fn memory_over_the_limit_is_an_oom_kill() {
        let t0 = epoch();
        let mut rt = Containerd::new("n", Duration::seconds(2), &[], t0);
        let (sb, config) = sandbox(&mut rt, t0, &[]);
        let t = rt.pull_image(t0, "polinux/stress", &config).done_at;
        let mi = 1 << 20;
        let stress = |limit: i64, name: &str| ContainerConfig {
            name: name.into(),
            memory_limit: Some(limit * mi),
            args: ["--vm", "1", "--vm-bytes", "150M"].map(String::from).to_vec(),
            ..container("polinux/stress", &["stress"])
        };
        let under = rt.create_container(t, &sb, &stress(200, "under")).unwrap();
        let over = rt.create_container(t, &sb, &stress(100, "over")).unwrap();
        rt.start_container(t, &under).unwrap();
        rt.start_container(t, &over).unwrap();
        let later = t + Duration::seconds(5);
        let status = |rt: &Containerd, id: &str| {
            let st = rt.container_status(later, id).unwrap();
            format!("{:?} {} {} {:?}", st.state, st.exit_code, st.reason, st.finished_at.map(|f| (f - t).num_seconds()))
        };
        assert_eq!(status(&rt, &under), "Running 0  None");
        assert_eq!(status(&rt, &over), "Exited 137 OOMKilled Some(0)");
        // Without --vm-hang its worker spins over the memory it holds: a whole CPU.
        assert_eq!(rt.program_use(later, &under), Some((1000, 150 * mi)));
        // What others ask it to hold (the kubelet's check of the script's usage) kills it too.
        assert!(rt.oom_kill(later, &under));
        assert!(!rt.oom_kill(later, &under), "it is not running any more");
        assert_eq!(status(&rt, &under), "Exited 137 OOMKilled Some(5)");
        assert_eq!(rt.take_exited().len(), 1);
    }

    #[test]
    fn a_taken_port_fails_the_second_server() {
        let t0 = epoch();
        let mut rt = Containerd::new("n", Duration::seconds(2), &[], t0);
        let (sb, config) = sandbox(&mut rt, t0, &[]);
        let t = rt.pull_image(t0, "nginx", &config).done_at;
        let mut second = container("nginx", &[]);
        second.name = "second".into();
        let a = rt.create_container(t, &sb, &container("nginx", &[])).unwrap();
        let b = rt.create_container(t, &sb, &second).unwrap();
        rt.start_container(t, &a).unwrap();
        rt.start_container(t, &b).unwrap();
        let later = t + Duration::seconds(3);
        let (sa, sb_) = (rt.container_status(later, &a).unwrap(), rt.container_status(later, &b).unwrap());
        assert_eq!((sa.state, sb_.state, sb_.exit_code), (ContainerState::Running, ContainerState::Exited, 1));
        assert_eq!(sb_.finished_at, Some(t + Duration::seconds(2)));
        let log = rt.container_log(later, &b).unwrap();
        assert!(log
            .iter()
            .any(|(_, l)| l == "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)"));
        assert_eq!(log.last().map(|(_, l)| l.as_str()), Some("nginx: [emerg] still could not bind()"));
        // The first one answers on 80; nothing listens on 81.
        assert_eq!(rt.dial(later, &b, 80, Some(("/", "10.0.0.1", "kube-probe/1.33"))), Dial::Open(Some(200)));
        assert_eq!(rt.dial(later, &a, 81, None), Dial::Refused);
        let exec = rt.exec_sync(later, &a, &["cat".into(), "/nope".into()], Duration::seconds(1)).unwrap();
        assert_eq!(
            (exec.code, String::from_utf8_lossy(&exec.stderr).into_owned()),
            (Some(1), "cat: can't open '/nope': No such file or directory\n".into())
        );
    }

    #[test]
    fn stdin_once_closes_when_the_first_attached_client_lets_go() {
        for once in [false, true] {
            let t0 = epoch();
            let mut rt = Containerd::new("n", Duration::seconds(2), &[], t0);
            let (sb, config) = sandbox(&mut rt, t0, &[]);
            let t = rt.pull_image(t0, "busybox", &config).done_at;
            let spec = ContainerConfig { stdin: true, tty: true, stdin_once: once, ..container("busybox", &["sh"]) };
            let id = rt.create_container(t, &sb, &spec).unwrap();
            rt.start_container(t, &id).unwrap();
            let stream = rt.attach(t, &id, Streams { stdin: true, tty: true }).unwrap();
            rt.exec_input(t, &id, stream, Input::Data(b"echo hi\n".to_vec())).unwrap();
            let mut wakes = Vec::new();
            run_timers(&mut rt, &mut wakes, t);
            rt.detach(t, &id, stream);
            run_timers(&mut rt, &mut wakes, t + Duration::seconds(1));
            let st = rt.container_status(t + Duration::seconds(1), &id).unwrap();
            // Without stdinOnce the shell waits at its prompt for the next client.
            let want = if once { ContainerState::Exited } else { ContainerState::Running };
            assert_eq!(st.state, want, "stdinOnce {once}");
        }
    }

    #[test]
    fn pulls_are_serialized_and_cached() {
        let t0 = epoch();
        let mut rt = Containerd::new("n", Duration::seconds(2), &[], t0);
        let (_, config) = sandbox(&mut rt, t0, &[]);
        let a = rt.pull_image(t0, "nginx", &config);
        let b = rt.pull_image(t0, "redis", &config);
        let c = rt.pull_image(t0, "nginx:latest", &config);
        assert_eq!((a.done_at - t0).num_seconds(), 2);
        assert_eq!((b.done_at - t0).num_seconds(), 4);
        assert_eq!(c.done_at, a.done_at);
        assert!(rt.image_status(t0, "nginx").is_none());
        assert!(rt.image_status(a.done_at, "nginx").is_some());
        let bad = rt.pull_image(t0, "nginx:doesnotexist", &config);
        assert!(bad.result.unwrap_err().contains("not found"));
        let calls: Vec<_> = rt.calls_for("u1").iter().map(|c| c.call).collect();
        assert_eq!(calls, ["RunPodSandbox", "PullImage", "PullImage", "PullImage", "PullImage"]);
    }

    /// The count of images present (the node status's) is the number listed, before, during
    /// and after pulls, preloaded ones from the start.
    #[test]
    fn the_image_count_is_the_images_listed() {
        let t0 = epoch();
        let mut rt = Containerd::new("n", Duration::seconds(2), &["pause".into(), "pause".into()], t0);
        let (_, config) = sandbox(&mut rt, t0, &[]);
        for image in ["redis", "nginx", "busybox"] {
            rt.pull_image(t0, image, &config);
        }
        for s in 0..9 {
            let now = t0 + Duration::seconds(s);
            assert_eq!(rt.image_count(now), rt.list_images(now).len(), "at {s} s");
        }
        assert_eq!(rt.image_count(t0 + Duration::seconds(6)), 4);
    }
}
