//! Resource usage, as the kubelet's resource metrics endpoint (and metrics-server after it)
//! would report it for `kubectl top`. There is no real process to measure, so a running
//! container uses what the pod's annotations say: `kubesim.io/cpu` (`250m`) and
//! `kubesim.io/memory` (`64Mi`), per container with `kubesim.io/cpu.NAME`; else 1m and 4Mi.

use chrono::{DateTime, Utc};

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
        let mut out = Vec::new();
        for c in &worker.ctrs {
            let running = c.status(&kubelet.runtime, now).is_some_and(|s| s.state == ContainerState::Running);
            if running {
                out.push(Usage {
                    container: c.name.clone(),
                    millicpu: quantity(annotation(ann, "cpu", &c.name), "1m", true),
                    memory: quantity(annotation(ann, "memory", &c.name), "4Mi", false),
                });
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// Whether the runtime has this container (for tests and traces).
    pub fn has_container(&self, node: &str, id: &str, now: DateTime<Utc>) -> bool {
        self.kubelet(node).is_some_and(|k| k.runtime.container_status(now, id).is_ok())
    }
}
