//! The HPA's metrics client (upstream's `metrics/client.go`): pod usage from the resource
//! metrics API, as the API server serves `metrics.k8s.io` (from the kubelets); the statuses
//! it reports; and the answer for metric types whose APIs (custom, external) nothing serves.

use k8s_openapi::api::autoscaling::v2::{
    ContainerResourceMetricStatus, MetricSpec, MetricStatus, MetricValueStatus, ResourceMetricStatus,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

use super::replica_calculator::{pod_metrics_info, PodMetricsInfo};
use crate::model::quantity::{Format, Quantity};
use crate::model::selector::LabelSelector;
use crate::sim::component::Ctx;

/// `GetResourceMetric`: each selected pod's usage of `resource`, through the API server.
pub fn fetch(
    ctx: &mut Ctx<'_>,
    user: &str,
    ns: &str,
    selector: &LabelSelector,
    resource: &str,
    container: &str,
) -> Result<PodMetricsInfo, String> {
    let wrap = |e: String| format!("unable to get metrics for resource {resource}: {e}");
    let items = ctx
        .api
        .list_pod_metrics(user, Some(ns), selector, ctx.kubelets)
        .map_err(|e| wrap(format!("unable to fetch metrics from resource metrics API: {}", e.message)))?;
    if items.is_empty() {
        return Err(wrap("no metrics returned from resource metrics API".into()));
    }
    pod_metrics_info(&items, resource, container).map_err(wrap)
}

/// `resource.NewMilliQuantity(v, resource.DecimalSI)`.
pub fn milli_quantity(v: i64) -> K8sQuantity {
    Quantity::from_nanos(i128::from(v) * 1_000_000, Format::DecimalSI).to_k8s()
}

/// The status of a resource metric (of the pod, or of one container).
pub fn resource_status(type_: &str, resource: &str, container: &str, current: MetricValueStatus) -> MetricStatus {
    if container.is_empty() {
        MetricStatus {
            type_: type_.to_string(),
            resource: Some(ResourceMetricStatus { name: resource.to_string(), current }),
            ..Default::default()
        }
    } else {
        MetricStatus {
            type_: type_.to_string(),
            container_resource: Some(ContainerResourceMetricStatus {
                name: resource.to_string(),
                container: container.to_string(),
                current,
            }),
            ..Default::default()
        }
    }
}

/// The server's answer to a metric API that is not served.
const NOT_SERVED: &str = "the server could not find the requested resource";

/// The event reason and error of a metric whose API nothing serves: `Pods` and `Object`
/// metrics need a custom metrics adapter, `External` an external metrics one.
pub fn unserved(type_: &str, spec: &MetricSpec, ns: &str) -> (&'static str, String) {
    match type_ {
        "Pods" => {
            let name = spec.pods.as_ref().map(|p| p.metric.name.as_str()).unwrap_or("");
            (
                "FailedGetPodsMetric",
                format!("unable to get metric {name}: unable to fetch metrics from custom metrics API: {NOT_SERVED} (get pods.custom.metrics.k8s.io *)"),
            )
        }
        "Object" => {
            let o = spec.object.clone().unwrap_or_default();
            (
                "FailedGetObjectMetric",
                format!(
                    "unable to get metric {}: {} on {ns} {}/unable to fetch metrics from custom metrics API: {NOT_SERVED}",
                    o.metric.name, o.described_object.kind, o.described_object.name
                ),
            )
        }
        "External" => {
            let name = spec.external.as_ref().map(|e| e.metric.name.as_str()).unwrap_or("");
            (
                "FailedGetExternalMetric",
                format!("unable to get external metric {ns}/{name}: unable to fetch metrics from external metrics API: {NOT_SERVED}"),
            )
        }
        other => ("InvalidMetricSourceType", format!("unknown metric source type {other:?}")),
    }
}

/// `computeReplicasForMetric`'s wrapping of an unserved metric's error.
pub fn wrap_unserved(type_: &str, err: &str) -> String {
    match type_ {
        "Pods" => format!("failed to get pods metric value: {err}"),
        "Object" => format!("failed to get object metric value: {err}"),
        "External" => format!("failed to get external metric value: {err}"),
        _ => err.to_string(),
    }
}
