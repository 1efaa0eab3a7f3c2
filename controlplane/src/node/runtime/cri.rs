//! The Container Runtime Interface, in the shape of `k8s.io/cri-api`: a `RuntimeService` for
//! sandboxes and containers and an `ImageService` for images. Calls take the simulated time
//! because nothing here reads a clock.
//!
//! One departure, since time is simulated: a call that blocks in real CRI (PullImage,
//! StopContainer) returns at once with the moment it completes, and the runtime publishes
//! the moment a container's task will exit ([`RuntimeService::exit_due`]), as containerd's
//! `TaskExit` events do for the evented PLEG.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

pub type Time = DateTime<Utc>;

/// What the kubelet tells the runtime about a pod's sandbox (`PodSandboxConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodSandboxConfig {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub attempt: u32,
    pub hostname: String,
    pub host_network: bool,
    /// The address the network plugin gives the sandbox (the node's for host-network pods).
    pub ip: String,
    /// The pod's annotations (CRI passes them to the runtime).
    pub annotations: BTreeMap<String, String>,
}

/// What the kubelet tells the runtime about a container (`ContainerConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerConfig {
    pub name: String,
    pub attempt: u32,
    /// The image as the pod names it (`nginx`).
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    /// The environment (`envs`), as the kubelet made it.
    pub envs: Vec<(String, String)>,
    /// Files the kubelet puts in the container (`/etc/hosts`, ...): path and contents.
    pub files: Vec<(String, Vec<u8>)>,
    /// The volumes, in the order the container lists them (`mounts` of CRI: the host side is
    /// the tree the kubelet set the volume up in, and the path inside it).
    pub mounts: Vec<Mount>,
    /// The container spec's `stdin` and `tty`: its main process's stdin stays open for
    /// `attach` (a shell then waits for commands), on a terminal.
    pub stdin: bool,
    pub tty: bool,
    /// `stdinOnce`: the stdin closes when the first client attached to it lets go.
    pub stdin_once: bool,
    /// The container's memory limit in bytes (`linux.resources.memory_limit_in_bytes`), if
    /// it has one: the cgroup's, past which the kernel kills it.
    pub memory_limit: Option<i64>,
    /// Its CPU limit in millicores (the cgroup's quota), if it has one.
    pub cpu_limit: Option<i64>,
    /// Who its processes run as (`security_context.run_as_user`, `run_as_group`,
    /// `supplemental_groups`): the image's user where unset.
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub supplemental_groups: Vec<i64>,
    /// Its capabilities and security flags (`security_context`).
    pub security: Security,
}

/// What the container's securityContext asks of the kernel for its processes (CRI's
/// `LinuxContainerSecurityContext`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Security {
    pub privileged: bool,
    /// `capabilities.add` and `drop`, as written (`NET_ADMIN`, `CAP_SYS_TIME`, `ALL`).
    pub add: Vec<String>,
    pub drop: Vec<String>,
    /// `allowPrivilegeEscalation: false`.
    pub no_new_privs: bool,
    /// A seccomp filter (`RuntimeDefault` or `Localhost`).
    pub seccomp: bool,
    /// `readOnlyRootFilesystem`: the container's own files cannot be written.
    pub read_only_root: bool,
}

/// How a client's streams meet a process (CRI's `ExecRequest`/`AttachRequest`): its stdin
/// sent (`-i`), on a terminal (`-t`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Streams {
    pub stdin: bool,
    pub tty: bool,
}

pub use crate::node::container::fs::Mount;

/// `ContainerState` of CRI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    Created,
    Running,
    Exited,
}

/// `ContainerStatus` of CRI: what the runtime knows of one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStatus {
    pub id: String,
    pub name: String,
    pub attempt: u32,
    pub state: ContainerState,
    pub created_at: Time,
    pub started_at: Option<Time>,
    pub finished_at: Option<Time>,
    pub exit_code: i32,
    /// `Completed`, `Error`, `OOMKilled` once exited.
    pub reason: String,
    /// The image as resolved (`docker.io/library/nginx:latest`).
    pub image: String,
    /// The image digest reference (`docker.io/library/nginx@sha256:...`).
    pub image_ref: String,
}

/// An image in the node's store (`Image` of CRI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `sha256:...`
    pub id: String,
    /// `docker.io/library/nginx:latest`
    pub repo_tag: String,
    /// `docker.io/library/nginx@sha256:...`
    pub repo_digest: String,
    pub size: u64,
}

/// A pull that was started: when it ends, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    /// When the call returns (the image is in the store from then on, if it succeeds).
    pub done_at: Time,
    /// How long the pull itself took, without waiting for earlier pulls (serialized pulls).
    pub took: Duration,
    /// The result: the image, or the runtime's error text.
    pub result: Result<Image, String>,
}

/// A failed CRI call, with the runtime's words (`rpc error: code = NotFound desc = ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rpc error: code = {code} desc = {desc}")]
pub struct CriError {
    pub code: &'static str,
    pub desc: String,
}

impl CriError {
    pub fn not_found(desc: impl Into<String>) -> Self {
        CriError { code: "NotFound", desc: desc.into() }
    }
}

/// Sandboxes and containers (`runtime.v1.RuntimeService`).
pub trait RuntimeService {
    fn run_pod_sandbox(&mut self, now: Time, config: &PodSandboxConfig) -> Result<String, CriError>;
    fn stop_pod_sandbox(&mut self, now: Time, sandbox_id: &str) -> Result<(), CriError>;
    fn remove_pod_sandbox(&mut self, now: Time, sandbox_id: &str) -> Result<(), CriError>;
    fn create_container(&mut self, now: Time, sandbox_id: &str, config: &ContainerConfig) -> Result<String, CriError>;
    fn start_container(&mut self, now: Time, id: &str) -> Result<(), CriError>;
    /// Send the stop signal; the task is killed `timeout` seconds later if it has not exited.
    fn stop_container(&mut self, now: Time, id: &str, timeout: i64) -> Result<(), CriError>;
    fn remove_container(&mut self, now: Time, id: &str) -> Result<(), CriError>;
    fn list_containers(&self, now: Time, sandbox_id: Option<&str>) -> Vec<ContainerStatus>;
    fn container_status(&self, now: Time, id: &str) -> Result<ContainerStatus, CriError>;
    /// When the container's task will exit, if it is running and that moment is known.
    fn exit_due(&self, now: Time, id: &str) -> Option<Time>;
}

/// Images (`runtime.v1.ImageService`).
pub trait ImageService {
    fn pull_image(&mut self, now: Time, image: &str, sandbox: &PodSandboxConfig) -> Pull;
    fn image_status(&self, now: Time, image: &str) -> Option<Image>;
    fn list_images(&self, now: Time) -> Vec<Image>;
    /// How many images `list_images` would list, without copying them (the kubelet checks
    /// every 10s whether its node's images changed).
    fn image_count(&self, now: Time) -> usize {
        self.list_images(now).len()
    }
}
