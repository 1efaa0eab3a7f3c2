//! The resource metrics API (`metrics.k8s.io/v1beta1`), as metrics-server serves it through
//! the API server's aggregation: NodeMetrics and PodMetrics, from what each node's kubelet
//! reports on `/metrics/resource` (reached through [`KubeletServer`]).

use chrono::{DateTime, Utc};

use super::error::ApiError;
use super::proxy::KubeletServer;
use super::{ApiServer, RequestInfo, UserInfo};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, KindInfo, Object};
use crate::node::kubelet::metrics::{Usage, NODE_BASE_MEMORY, NODE_BASE_MILLICPU};

/// `NodeMetrics`: what a node uses, its own daemons and its pods together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeMetrics {
    pub name: String,
    pub timestamp: DateTime<Utc>,
    pub millicpu: i64,
    pub memory: i64,
}

/// metrics-server's `--metric-resolution`: each usage is a rate over the last two scrapes,
/// this far apart, reported as the metrics' `window`.
pub const METRICS_WINDOW_SECONDS: i64 = 15;

/// `PodMetrics`: what each running container of a pod uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodMetrics {
    pub namespace: String,
    pub name: String,
    pub timestamp: DateTime<Utc>,
    /// The span the usage is measured over (`METRICS_WINDOW_SECONDS`).
    pub window: chrono::Duration,
    pub containers: Vec<Usage>,
}

/// The metrics resources, for the audit log and errors. They are served, not stored: `kind`
/// names the object each one reports on.
static NODE_METRICS: KindInfo =
    metrics_info(Kind::Node, "NodeMetrics", ("nodes", "nodes.metrics.k8s.io"), "nodemetrics", false);
static POD_METRICS: KindInfo =
    metrics_info(Kind::Pod, "PodMetrics", ("pods", "pods.metrics.k8s.io"), "podmetrics", true);

const fn metrics_info(
    kind: Kind,
    name: &'static str,
    (plural, group_resource_name): (&'static str, &'static str),
    singular: &'static str,
    namespaced: bool,
) -> KindInfo {
    KindInfo {
        kind,
        group: "metrics.k8s.io",
        version: "v1beta1",
        other_versions: &[],
        name,
        plural,
        singular,
        short_names: &[],
        namespaced,
        etcd_prefix: "",
        has_status: false,
        tracks_generation: false,
        group_resource_name,
        api_version_name: "metrics.k8s.io/v1beta1",
    }
}

impl ApiServer {
    /// `LIST nodes.metrics.k8s.io`: the nodes matching `labels` whose kubelet answers.
    pub fn list_node_metrics(
        &mut self,
        user: impl Into<UserInfo>,
        labels: &LabelSelector,
        kubelets: Option<&dyn KubeletServer>,
    ) -> Result<Vec<NodeMetrics>, ApiError> {
        let request = RequestInfo { verb: "list", info: &NODE_METRICS, sub: "", namespace: "", name: "" };
        self.serve(user, request, |api, _| Ok(api.node_metrics(labels, kubelets)))
    }

    fn node_metrics(&self, labels: &LabelSelector, kubelets: Option<&dyn KubeletServer>) -> Vec<NodeMetrics> {
        let mut out = Vec::new();
        if let Some(kubelets) = kubelets {
            let pods = self.peek_list(Kind::Pod, None);
            for node in self.peek_list(Kind::Node, None) {
                let name = node.name();
                if !labels.matches(node.labels()) || !kubelets.serving(name) {
                    continue;
                }
                let (mut millicpu, mut memory) = (NODE_BASE_MILLICPU, NODE_BASE_MEMORY);
                let on_node = |p: &&std::sync::Arc<Object>| {
                    crate::node::kubelet::worker::spec_of(p).and_then(|s| s.node_name.as_deref()) == Some(name)
                };
                for pod in pods.iter().filter(on_node) {
                    for u in kubelets.pod_usage(pod, self.now).unwrap_or_default() {
                        millicpu = millicpu.saturating_add(u.millicpu);
                        memory = memory.saturating_add(u.memory);
                    }
                }
                out.push(NodeMetrics { name: name.to_string(), timestamp: self.now, millicpu, memory });
            }
        }
        out
    }

    /// `LIST pods.metrics.k8s.io`: the pods in `namespace` (all when `None`) matching `labels`
    /// that run on a kubelet that answers, in namespace and name order.
    pub fn list_pod_metrics(
        &mut self,
        user: impl Into<UserInfo>,
        namespace: Option<&str>,
        labels: &LabelSelector,
        kubelets: Option<&dyn KubeletServer>,
    ) -> Result<Vec<PodMetrics>, ApiError> {
        let request =
            RequestInfo { verb: "list", info: &POD_METRICS, sub: "", namespace: namespace.unwrap_or(""), name: "" };
        self.serve(user, request, |api, _| {
            let pods = api.peek_list(Kind::Pod, namespace);
            Ok(pods
                .iter()
                .filter(|p| labels.matches(p.labels()))
                .filter_map(|p| api.pod_metrics(p, kubelets))
                .collect())
        })
    }

    /// `GET pods.metrics.k8s.io`: one pod's metrics; NotFound while no kubelet reports it.
    pub fn get_pod_metrics(
        &mut self,
        user: impl Into<UserInfo>,
        namespace: &str,
        name: &str,
        kubelets: Option<&dyn KubeletServer>,
    ) -> Result<PodMetrics, ApiError> {
        let request = RequestInfo { verb: "get", info: &POD_METRICS, sub: "", namespace, name };
        self.serve(user, request, |api, _| {
            api.peek(Kind::Pod, namespace, name)
                .and_then(|pod| api.pod_metrics(&pod, kubelets))
                .ok_or_else(|| ApiError::not_found(&POD_METRICS, name))
        })
    }

    fn pod_metrics(&self, pod: &Object, kubelets: Option<&dyn KubeletServer>) -> Option<PodMetrics> {
        let containers = kubelets?.pod_usage(pod, self.now)?;
        Some(PodMetrics {
            namespace: pod.namespace().to_string(),
            name: pod.name().to_string(),
            timestamp: self.now,
            window: chrono::Duration::seconds(METRICS_WINDOW_SECONDS),
            containers,
        })
    }
}
