//! The kubelet's volume manager for one pod: before the pod's sandbox exists, every volume a
//! container mounts is set up (`WaitForAttachAndMount`); one that fails is retried on the
//! operation executor's back-off (500ms doubling to 2m2s), each failure a `FailedMount` event
//! in upstream's words, and the pod waits in ContainerCreating meanwhile.
//!
//! Where a volume's files live: an emptyDir in a tree of the pod's own (gone with the pod),
//! a hostPath in the node's disk ([`host`]), a claim's in the bound PersistentVolume's tree
//! (kept by the kubelets by volume name, so it outlives pods), and configMap, secret,
//! downwardAPI and projected volumes in a tree the kubelet writes from the API objects
//! ([`payload`]) and rewrites when one of them changes, at the pod's next periodic sync.

pub mod host;
pub mod payload;

use std::collections::BTreeMap;

use chrono::Duration;
use k8s_openapi::api::core::v1::{Container, PodSpec, Volume};

use super::worker::{PodWorker, Time, Wake};
use super::Env;
use crate::events::EventType;
use crate::model::quantity::Quantity;
use crate::model::Kind;
use crate::node::container::fs::{normalize, Mount, MountSource, Shared, Tree, CAPACITY};

/// The operation executor's first retry delay after a failed mount, and its cap.
const RETRY_FIRST_MS: i64 = 500;
const RETRY_MAX_MS: i64 = 122_000;
/// The pod worker's periodic resync (`syncFrequency`, 1m): when a changed ConfigMap or Secret
/// reaches the files of the pods that mount it (the watch-based cache adds no delay).
pub const SYNC_FREQUENCY: i64 = 60;

/// A volume set up for the pod.
#[derive(Debug, Clone)]
pub struct Ready {
    pub tree: Shared,
    /// The directory of `tree` that is the volume (`/` unless on the node's disk).
    pub root: String,
    pub source: MountSource,
    /// Mounted read-only in every container whatever its mount says (the kubelet's
    /// atomic-writer volumes, a claim with `readOnly`).
    pub read_only: bool,
    /// The objects it was filled from; empty for volumes the kubelet does not rewrite.
    pub refs: payload::Refs,
    /// Filled from the pod itself (the downward API): rewritten when the pod's labels or
    /// annotations change.
    pub from_pod: bool,
    /// Written from a payload: a subPath mount of it sees a copy (a bind mount keeps the
    /// file it was made on, which the atomic writer replaces).
    pub atomic: bool,
    /// An emptyDir's `sizeLimit`, in bytes.
    pub size_limit: Option<(i128, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct PodVolumes {
    pub ready: BTreeMap<String, Ready>,
    /// Failed volumes: when to try again, and the delay after the next failure.
    retry: BTreeMap<String, (Time, i64)>,
    /// When the contents of the kubelet-written volumes are to be rewritten (set when an
    /// object they were read from changed).
    pub refresh_at: Option<Time>,
    /// The volumes' usage as the last stats pass measured it (every minute), by name.
    pub usage: BTreeMap<String, usize>,
    pub usage_at: Option<Time>,
    /// When the pod's volumes were all set up: its periodic syncs count from then.
    pub since: Option<Time>,
}

/// The names of the volumes the pod's containers mount (`GetPodVolumeNames`), in the order
/// of `spec.volumes`.
fn used_volumes(spec: &PodSpec) -> Vec<&Volume> {
    let containers: Vec<&Container> = spec.init_containers.iter().flatten().chain(&spec.containers).collect();
    let used = |name: &str| containers.iter().any(|c| c.volume_mounts.iter().flatten().any(|m| m.name == name));
    spec.volumes.iter().flatten().filter(|v| used(&v.name)).collect()
}

fn quantity_bytes(q: &k8s_openapi::apimachinery::pkg::api::resource::Quantity) -> Option<i128> {
    Quantity::from_k8s(q).ok().map(|q| q.exact_value())
}

/// Why a volume is not set up: a failed SetUp (an event), or one the desired state of the
/// world could not take in yet (an unbound claim: no event, as upstream only logs it).
enum Failure {
    SetUp(String),
    NotProcessed,
}

impl PodVolumes {
    /// True when the volume refers to the object (for refreshing on its change).
    pub fn uses(&self, kind: Kind, name: &str) -> bool {
        self.ready.values().any(|r| r.refs.iter().any(|(k, n)| *k == kind && n == name))
    }

    pub fn from_pod(&self) -> bool {
        self.ready.values().any(|r| r.from_pod)
    }

    /// The next periodic sync after `now`.
    pub fn next_sync(&self, now: Time) -> Time {
        let since = self.since.unwrap_or(now);
        let period = SYNC_FREQUENCY;
        let n = (now - since).num_seconds().div_euclid(period) + 1;
        since + Duration::seconds(n * period)
    }
}

/// Set up what is missing; true when every volume the containers use is ready.
pub fn mount_all(w: &mut PodWorker, env: &mut Env<'_>, spec: &PodSpec, wake: &mut Wake) -> bool {
    let now = env.now;
    // The shared object, not a copy of the pod: set-up reads it while it changes the worker.
    let obj = w.pod.clone();
    let Some(pod) = super::worker::pod_of(&obj) else { return false };
    let mut all = true;
    for v in used_volumes(spec) {
        if w.volumes.ready.contains_key(&v.name) {
            continue;
        }
        all = false;
        let delay = match w.volumes.retry.get(&v.name) {
            Some((at, _)) if *at > now => {
                wake.at(*at);
                continue;
            }
            Some((_, delay)) => *delay,
            None => RETRY_FIRST_MS,
        };
        match setup(w, env, pod, v) {
            Ok(r) => {
                w.volumes.ready.insert(v.name.clone(), r);
                w.volumes.retry.remove(&v.name);
            }
            Err(f) => {
                if let Failure::SetUp(msg) = f {
                    let msg = format!("MountVolume.SetUp failed for volume \"{}\" : {msg}", v.name);
                    env.recorder.record(env.api, &w.pod, None, EventType::Warning, "FailedMount", &msg);
                }
                let at = now + Duration::milliseconds(delay);
                w.volumes.retry.insert(v.name.clone(), (at, (delay * 2).min(RETRY_MAX_MS)));
                wake.at(at);
            }
        }
    }
    let done = all || used_volumes(spec).iter().all(|v| w.volumes.ready.contains_key(&v.name));
    if done && w.volumes.since.is_none() {
        w.volumes.since = Some(now);
    }
    done
}

fn setup(w: &PodWorker, env: &mut Env<'_>, pod: &crate::model::Pod, v: &Volume) -> Result<Ready, Failure> {
    let plain = |tree: Shared, source| Ready {
        tree,
        root: "/".to_string(),
        source,
        read_only: false,
        refs: Vec::new(),
        from_pod: false,
        atomic: false,
        size_limit: None,
    };
    if let Some(e) = &v.empty_dir {
        // The limit in its canonical form, as `Quantity.String()` prints it in the message.
        let canonical = |q| Quantity::from_k8s(q).ok().map(|q| q.to_string());
        let limit = e.size_limit.as_ref().and_then(|q| Some((quantity_bytes(q)?, canonical(q)?)));
        let memory = e.medium.as_deref() == Some("Memory");
        // A memory-backed emptyDir is a tmpfs of its sizeLimit: past it, writes fail.
        let cap = match (memory, limit.as_ref()) {
            (true, Some((b, _))) => (*b).clamp(0, CAPACITY as i128) as usize,
            _ => CAPACITY,
        };
        let source = if memory { MountSource::Tmpfs } else { MountSource::Disk };
        let size_limit = if memory { None } else { limit };
        // An emptyDir is made 0777; with the pod's fsGroup, its group is that group and the
        // set-group-ID bit makes the files made in it that group's (`SetVolumeOwnership`).
        let mut tree = Tree::with_capacity(cap);
        let fs_group = pod.spec.as_ref().and_then(|s| s.security_context.as_ref()).and_then(|s| s.fs_group);
        match fs_group.and_then(|g| u32::try_from(g).ok()) {
            Some(g) => {
                tree.set_owner("/", 0, g);
                tree.set_mode("/", 0o777 | crate::node::container::fs::SETGID);
            }
            None => tree.set_mode("/", 0o777),
        }
        return Ok(Ready { size_limit, ..plain(Shared::new(tree), source) });
    }
    if let Some(h) = &v.host_path {
        let path = normalize("/", &h.path);
        host::check_type(env.host, &path, h.type_.as_deref().unwrap_or("")).map_err(Failure::SetUp)?;
        return Ok(Ready { root: path, ..plain(env.host.clone(), MountSource::Disk) });
    }
    if let Some(c) = &v.persistent_volume_claim {
        let (tree, root) = host::claim(env, pod, &c.claim_name)?;
        return Ok(Ready { root, read_only: c.read_only == Some(true), ..plain(tree, MountSource::Disk) });
    }
    let pod_ip = w.ip.clone().unwrap_or_default();
    match payload::payload(env, pod, &pod_ip, v) {
        None => Err(Failure::SetUp(format!("volume {:?} has a type kubesim does not set up", v.name))),
        Some(Err(msg)) => Err(Failure::SetUp(msg)),
        Some(Ok((files, refs))) => {
            let mut tree = Tree::new();
            write_payload(&mut tree, &files);
            // Secrets and projected volumes are tmpfs (the token never touches disk).
            let memory = v.secret.is_some() || v.projected.is_some();
            let source = if memory { MountSource::Tmpfs } else { MountSource::Disk };
            let from_pod = v.downward_api.is_some()
                || v.projected.as_ref().is_some_and(|p| p.sources.iter().flatten().any(|s| s.downward_api.is_some()));
            Ok(Ready { read_only: true, refs, from_pod, atomic: true, ..plain(Shared::new(tree), source) })
        }
    }
}

/// Replace a volume's files with a payload (what the atomic writer's swap amounts to).
fn write_payload(tree: &mut Tree, files: &[payload::File]) {
    let _ = tree.remove("/", true, false);
    for f in files {
        let path = normalize("/", &f.path);
        let _ = tree.mkdir(crate::node::container::fs::parent(&path), true);
        let _ = tree.write(&path, &f.data, false);
        tree.set_mode(&path, f.mode);
    }
}

/// Rewrite the kubelet-written volumes from the objects as they are now (a failure keeps
/// the files as they were, as upstream's SetUp does).
pub fn refresh(w: &mut PodWorker, env: &mut Env<'_>, spec: &PodSpec) {
    w.volumes.refresh_at = None;
    let Some(pod) = super::worker::pod_of(&w.pod).cloned() else { return };
    let pod_ip = w.ip.clone().unwrap_or_default();
    for v in used_volumes(spec) {
        let Some(r) = w.volumes.ready.get(&v.name).filter(|r| r.atomic) else { continue };
        let tree = r.tree.clone();
        if let Some(Ok((files, _))) = payload::payload(env, &pod, &pod_ip, v) {
            write_payload(&mut tree.lock(), &files);
        }
    }
}

/// The CRI mounts of one container: its `volumeMounts` over the pod's ready volumes, a
/// `subPathExpr` expanded with the container's environment.
pub fn container_mounts(w: &PodWorker, c: &Container, env: &[(String, String)]) -> Vec<Mount> {
    let lookup = |n: &str| env.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let mut out = Vec::new();
    for vm in c.volume_mounts.iter().flatten() {
        let Some(r) = w.volumes.ready.get(&vm.name) else { continue };
        let read_only = r.read_only || vm.read_only == Some(true);
        let expr = vm.sub_path_expr.as_deref().map(|e| super::envvars::expand(e, &lookup));
        let sub = vm.sub_path.clone().or(expr);
        let sub = sub.as_deref().filter(|s| !s.is_empty()).map(|s| normalize(&r.root, s));
        let (tree, sub) = match sub {
            None => (r.tree.clone(), r.root.clone()),
            Some(sub) if r.atomic => {
                let snap = r.tree.lock().snapshot(&sub);
                let inner = if snap.is_dir("/") && !r.tree.lock().is_file(&sub) {
                    "/".to_string()
                } else {
                    format!("/{}", crate::node::container::fs::base(&sub))
                };
                (Shared::new(snap), inner)
            }
            Some(sub) => {
                // The kubelet makes a missing subPath as a directory in the volume.
                if r.tree.lock().get(&sub).is_none() {
                    let _ = r.tree.lock().mkdir(&sub, true);
                }
                (r.tree.clone(), sub)
            }
        };
        out.push(Mount { at: vm.mount_path.clone(), tree, sub, read_only, source: r.source });
    }
    out
}

#[cfg(test)]
mod tests;
