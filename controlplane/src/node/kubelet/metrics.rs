//! Resource usage, as the kubelet's resource metrics endpoint (and metrics-server after it)
//! would report it for `kubectl top` and the HorizontalPodAutoscaler. There is no real process
//! to measure, so a running container uses what the script's `set_usage` says for its pod,
//! else what the pod's annotations say: `kubesim.io/cpu` (`250m`) and `kubesim.io/memory`
//! (`64Mi`), per container with `kubesim.io/cpu.NAME`; else what its program uses (a
//! [`crate::node::runtime::stress`] load generator) over a base of 1m and 4Mi. On top of that,
//! a Running and Ready pod takes its even share of each `set_load` covering it
//! ([`super::load`]). CPU over the container's limit is throttled to it; memory over it is the
//! OOM killer's ([`Kubelets::enforce_memory_limits`]).

use chrono::{DateTime, Utc};

use super::load::{container_usage, request_and_limit, Loads};
use super::worker::pod_of;
use super::Kubelets;
use crate::model::quantity::Quantity;
use crate::model::Object;
use crate::node::runtime::behaviour::annotation;
use crate::node::runtime::cri::ContainerState;
use crate::node::runtime::RuntimeService;

/// What a node uses for itself (system daemons, the kubelet, the runtime) beside its pods.
pub const NODE_BASE_MILLICPU: i64 = 60;
pub const NODE_BASE_MEMORY: i64 = 512 * 1024 * 1024;

/// Usage of one container: millicores and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub container: String,
    pub millicpu: i64,
    pub memory: i64,
}

/// What a process holds before anything asks it for more.
const BASE_MEMORY: i64 = 4 * 1024 * 1024;

fn quantity(text: Option<&str>, default: &str, milli: bool) -> i64 {
    let q = text.and_then(|t| Quantity::parse(t).ok()).or_else(|| Quantity::parse(default).ok());
    q.map(|q| if milli { q.milli_value() } else { q.value() }).unwrap_or(0)
}

/// What one running container is asked to use before its limits apply: millicores and
/// bytes, with its limits.
struct Asked {
    container: String,
    id: String,
    millicpu: i64,
    cpu_limit: Option<i64>,
    memory: i64,
    memory_limit: Option<i64>,
}

impl Kubelets {
    /// The running containers of a pod with their usage; `None` when the pod does not run on
    /// a kubelet here (unscheduled, finished, or its kubelet is stopped). CPU over the limit
    /// is throttled to it; memory over it is an OOM kill ([`Kubelets::enforce_memory_limits`]).
    pub fn pod_usage(&self, pod: &Object, now: DateTime<Utc>) -> Option<Vec<Usage>> {
        let spec = super::worker::spec_of(pod)?;
        let kubelet = self.kubelet(spec.node_name.as_deref()?)?;
        if !kubelet.is_running() {
            return None;
        }
        let worker = kubelet.worker(pod.metadata().uid.as_deref()?)?;
        let out: Vec<Usage> = self
            .asked(kubelet, worker, pod, now)
            .into_iter()
            .map(|a| Usage {
                container: a.container,
                millicpu: a.cpu_limit.map_or(a.millicpu, |l| a.millicpu.min(l.max(0))),
                memory: a.memory_limit.map_or(a.memory, |l| a.memory.min(l.max(0))),
            })
            .collect();
        (!out.is_empty()).then_some(out)
    }

    /// What each running container of `worker`'s pod (`pod` as the API has it) is asked to use:
    /// its base (the script's `set_usage`, else the annotation, else what its program uses,
    /// else 1m and 4Mi) and its share of each `set_load` covering it.
    fn asked(
        &self,
        kubelet: &super::Kubelet,
        worker: &super::worker::PodWorker,
        pod: &Object,
        now: DateTime<Utc>,
    ) -> Vec<Asked> {
        let Some(spec) = super::worker::spec_of(pod) else { return Vec::new() };
        let ann = pod.annotations();
        let running: Vec<_> = worker
            .ctrs
            .iter()
            .filter(|c| c.status(&kubelet.runtime, now).is_some_and(|s| s.state == ContainerState::Running))
            .collect();
        let Some(api_pod) = pod_of(pod) else { return Vec::new() };
        let rule = self.loads.usage_of(api_pod).copied().unwrap_or_default();
        // This pod's share of each load that covers it, split among its running containers.
        let (mut cpu_share, mut memory_share) = (0i64, 0i64);
        if !running.is_empty() && serves(pod_of(&worker.pod)) {
            for (target, demand) in self.loads.loads_of(api_pod) {
                let ready = self.serving_pods(|p| target.matches(p)).max(1);
                let share = |a: Option<super::load::Amount>| match a {
                    Some(super::load::Amount::Absolute(v)) => v / ready,
                    _ => 0,
                };
                cpu_share = cpu_share.saturating_add(share(demand.cpu));
                memory_share = memory_share.saturating_add(share(demand.memory));
            }
        }
        let n = running.len().max(1) as i64;
        let mut out = Vec::new();
        for c in running {
            let Some(id) = c.id.as_deref() else { continue };
            let spec = spec.containers.iter().find(|s| s.name == c.name);
            let (cpu_req, cpu_limit) = spec.map_or((0, None), |s| request_and_limit(s, "cpu", true));
            let (mem_req, memory_limit) = spec.map_or((0, None), |s| request_and_limit(s, "memory", false));
            let program = kubelet.runtime.program_use(now, id);
            let cpu_base = match annotation(ann, "cpu", &c.name) {
                Some(text) => quantity(Some(text), "1m", true),
                None => program.map_or(1, |(cpu, _)| cpu.max(1)),
            };
            let memory_base = match annotation(ann, "memory", &c.name) {
                Some(text) => quantity(Some(text), "4Mi", false),
                None => BASE_MEMORY.saturating_add(program.map_or(0, |(_, memory)| memory)),
            };
            out.push(Asked {
                container: c.name.clone(),
                id: id.to_string(),
                millicpu: container_usage(cpu_base, rule.cpu, cpu_share / n, cpu_req),
                cpu_limit,
                memory: container_usage(memory_base, rule.memory, memory_share / n, mem_req),
                memory_limit,
            });
        }
        out
    }

    /// The kernel's OOM killer for what the script asks containers to hold: a running
    /// container asked for more memory than its limit is killed now (its own program's
    /// allocations are the runtime's to check). `node` limits the pass to one node's pods,
    /// `uid` to one pod. The pods with a container killed, to sync.
    pub(super) fn enforce_memory_limits(
        &mut self,
        now: DateTime<Utc>,
        node: Option<&str>,
        uid: Option<&str>,
    ) -> Vec<(String, String)> {
        let mut kill = Vec::new();
        let nodes: Box<dyn Iterator<Item = (&String, &super::Kubelet)>> = match node {
            Some(node) => Box::new(self.nodes.get_key_value(node).into_iter()),
            None => Box::new(self.nodes.iter()),
        };
        for (name, kubelet) in nodes {
            if !kubelet.is_running() {
                continue;
            }
            let workers: Box<dyn Iterator<Item = &super::worker::PodWorker>> = match uid {
                Some(uid) => Box::new(kubelet.worker(uid).into_iter()),
                None => Box::new(kubelet.workers()),
            };
            for w in workers {
                if !has_memory_limit(&w.pod) {
                    continue;
                }
                for a in self.asked(kubelet, w, &w.pod, now) {
                    if a.memory_limit.is_some_and(|l| a.memory > l) {
                        kill.push((name.clone(), w.uid.clone(), a.id));
                    }
                }
            }
        }
        let mut synced = Vec::new();
        for (node, uid, id) in kill {
            if self.nodes.get_mut(&node).is_some_and(|k| k.runtime.oom_kill(now, &id)) {
                synced.push((node, uid));
            }
        }
        synced
    }

    /// The script's usage and load rules. Changing them may put containers over their
    /// memory limits: the next run checks every pod.
    pub fn loads_mut(&mut self) -> &mut Loads {
        self.memory_check = true;
        &mut self.loads
    }

    /// How many pods that `select` picks are Running and Ready on a running kubelet: those
    /// a load is shared among.
    fn serving_pods(&self, select: impl Fn(&crate::model::Pod) -> bool) -> i64 {
        let mut n = 0;
        for k in self.nodes.values().filter(|k| k.is_running()) {
            for w in k.workers() {
                if pod_of(&w.pod).is_some_and(&select) && serves(pod_of(&w.pod)) {
                    n += 1;
                }
            }
        }
        n
    }

    /// Whether the runtime has this container (for tests and traces).
    pub fn has_container(&self, node: &str, id: &str, now: DateTime<Utc>) -> bool {
        self.kubelet(node).is_some_and(|k| k.runtime.container_status(now, id).is_ok())
    }
}

/// Whether any container of the pod has a memory limit (only those can be OOM-killed).
pub(super) fn has_memory_limit(pod: &Object) -> bool {
    super::worker::spec_of(pod).is_some_and(|s| {
        s.containers
            .iter()
            .any(|c| c.resources.as_ref().and_then(|r| r.limits.as_ref()).is_some_and(|l| l.contains_key("memory")))
    })
}

/// A pod that takes load: Running, Ready and not terminating.
fn serves(pod: Option<&crate::model::Pod>) -> bool {
    let Some(pod) = pod else { return false };
    let status = pod.status.as_ref();
    pod.metadata.deletion_timestamp.is_none()
        && status.and_then(|s| s.phase.as_deref()) == Some("Running")
        && status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}
