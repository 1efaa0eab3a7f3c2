//! Resource usage, as the kubelet's resource metrics endpoint (and metrics-server after it)
//! would report it for `kubectl top` and the HorizontalPodAutoscaler. There is no real process
//! to measure, so a running container uses what the script's `set_usage` says for its pod,
//! else what the pod's annotations say: `kubesim.io/cpu` (`250m`) and `kubesim.io/memory`
//! (`64Mi`), per container with `kubesim.io/cpu.NAME`; else 1m and 4Mi. On top of that, a
//! Running and Ready pod takes its even share of each `set_load` covering it ([`super::load`]),
//! all of it at most the container's limit.

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

fn quantity(text: Option<&str>, default: &str, milli: bool) -> i64 {
    let q = text.and_then(|t| Quantity::parse(t).ok()).or_else(|| Quantity::parse(default).ok());
    q.map(|q| if milli { q.milli_value() } else { q.value() }).unwrap_or(0)
}

impl Kubelets {
    /// The running containers of a pod with their usage; `None` when the pod does not run on
    /// a kubelet here (unscheduled, finished, or its kubelet is stopped).
    pub fn pod_usage(&self, pod: &Object, now: DateTime<Utc>) -> Option<Vec<Usage>> {
        let spec = super::worker::spec_of(pod)?;
        let kubelet = self.kubelet(spec.node_name.as_deref()?)?;
        if !kubelet.is_running() {
            return None;
        }
        let worker = kubelet.worker(pod.metadata().uid.as_deref()?)?;
        let ann = pod.annotations();
        let running: Vec<_> = worker
            .ctrs
            .iter()
            .filter(|c| c.status(&kubelet.runtime, now).is_some_and(|s| s.state == ContainerState::Running))
            .collect();
        let api_pod = pod_of(pod)?;
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
            let spec = spec.containers.iter().find(|s| s.name == c.name);
            let (cpu_req, cpu_limit) = spec.map_or((0, None), |s| request_and_limit(s, "cpu", true));
            let (mem_req, mem_limit) = spec.map_or((0, None), |s| request_and_limit(s, "memory", false));
            out.push(Usage {
                container: c.name.clone(),
                millicpu: container_usage(
                    quantity(annotation(ann, "cpu", &c.name), "1m", true),
                    rule.cpu,
                    cpu_share / n,
                    cpu_req,
                    cpu_limit,
                ),
                memory: container_usage(
                    quantity(annotation(ann, "memory", &c.name), "4Mi", false),
                    rule.memory,
                    memory_share / n,
                    mem_req,
                    mem_limit,
                ),
            });
        }
        (!out.is_empty()).then_some(out)
    }

    /// The script's usage and load rules.
    pub fn loads_mut(&mut self) -> &mut Loads {
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
