//! `kubectl get hpa` (`printHorizontalPodAutoscaler`): NAME REFERENCE TARGETS MINPODS MAXPODS
//! REPLICAS AGE. TARGETS pairs each metric's current value with its target, `cpu: 45%/80%`,
//! `<unknown>` before the controller has measured, at most two then `+ N more...`.

use k8s_openapi::api::autoscaling::v2::{
    HorizontalPodAutoscaler, MetricSpec, MetricStatus, MetricTarget, MetricValueStatus,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{col, list, Column, Ctx};

pub(super) const COLUMNS: &[Column] =
    &[col("NAME"), col("REFERENCE"), col("TARGETS"), col("MINPODS"), col("MAXPODS"), col("REPLICAS"), col("AGE")];

pub(super) fn row(hpa: &HorizontalPodAutoscaler, ctx: &Ctx) -> Vec<String> {
    let spec = hpa.spec.as_ref();
    let status = hpa.status.as_ref();
    let reference =
        spec.map(|s| format!("{}/{}", s.scale_target_ref.kind, s.scale_target_ref.name)).unwrap_or_else(|| "/".into());
    let metrics = format_metrics(
        spec.map(|s| list(&s.metrics)).unwrap_or(&[]),
        status.map(|s| list(&s.current_metrics)).unwrap_or(&[]),
    );
    vec![
        hpa.metadata.name.clone().unwrap_or_default(),
        reference,
        metrics,
        // The API server defaults minReplicas to 1.
        spec.and_then(|s| s.min_replicas).unwrap_or(1).to_string(),
        spec.map_or(0, |s| s.max_replicas).to_string(),
        status.and_then(|s| s.current_replicas).unwrap_or(0).to_string(),
        ctx.age(hpa.metadata.creation_timestamp.as_ref()),
    ]
}

/// `Quantity.String()` of a possibly absent quantity (Go prints `<nil>` for a nil pointer).
fn quantity(q: Option<&Quantity>) -> String {
    q.map_or_else(|| "<nil>".to_string(), |q| q.0.clone())
}

/// `formatHPAMetrics`: statuses are matched to specs by position.
fn format_metrics(specs: &[MetricSpec], statuses: &[MetricStatus]) -> String {
    const MAX: usize = 2;
    if specs.is_empty() {
        return "<none>".to_string();
    }
    let unknown = || "<unknown>".to_string();
    let mut items = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let status = statuses.get(i);
        // The current value of the matching status, for sources with a metric target.
        let avg_or_value = |target: &MetricTarget, current: Option<&MetricValueStatus>| {
            if target.average_value.is_some() {
                let current = current.and_then(|c| c.average_value.as_ref()).map_or_else(unknown, |q| q.0.clone());
                format!("{current}/{} (avg)", quantity(target.average_value.as_ref()))
            } else {
                let current = current.map_or_else(unknown, |c| quantity(c.value.as_ref()));
                format!("{current}/{}", quantity(target.value.as_ref()))
            }
        };
        // Resource and container resource metrics: a value or a utilization.
        let resource = |name: &str, target: &MetricTarget, current: Option<&MetricValueStatus>| {
            if target.average_value.is_some() {
                let current = current.map_or_else(unknown, |c| quantity(c.average_value.as_ref()));
                format!("{name}: {current}/{}", quantity(target.average_value.as_ref()))
            } else {
                let current = current.and_then(|c| c.average_utilization).map_or_else(unknown, |u| format!("{u}%"));
                let target = target.average_utilization.map_or_else(|| "<auto>".to_string(), |u| format!("{u}%"));
                format!("{name}: {current}/{target}")
            }
        };
        let item = match spec.type_.as_str() {
            "External" => spec
                .external
                .as_ref()
                .map(|m| avg_or_value(&m.target, status.and_then(|s| s.external.as_ref()).map(|s| &s.current))),
            "Pods" => spec.pods.as_ref().map(|m| {
                let current = status
                    .and_then(|s| s.pods.as_ref())
                    .map_or_else(unknown, |s| quantity(s.current.average_value.as_ref()));
                format!("{current}/{}", quantity(m.target.average_value.as_ref()))
            }),
            "Object" => spec
                .object
                .as_ref()
                .map(|m| avg_or_value(&m.target, status.and_then(|s| s.object.as_ref()).map(|s| &s.current))),
            "Resource" => spec
                .resource
                .as_ref()
                .map(|m| resource(&m.name, &m.target, status.and_then(|s| s.resource.as_ref()).map(|s| &s.current))),
            "ContainerResource" => spec.container_resource.as_ref().map(|m| {
                resource(&m.name, &m.target, status.and_then(|s| s.container_resource.as_ref()).map(|s| &s.current))
            }),
            _ => None,
        };
        items.push(item.unwrap_or_else(|| "<unknown type>".to_string()));
    }
    if items.len() > MAX {
        let more = items.len() - MAX;
        items.truncate(MAX);
        return format!("{} + {more} more...", items.join(", "));
    }
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    #[test]
    fn targets() {
        let yaml = "
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]
status:
  currentReplicas: 3
  desiredReplicas: 3
  currentMetrics: [{type: Resource, resource: {name: cpu, current: {averageUtilization: 45, averageValue: 90m}}}]
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: fresh, namespace: default}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}, maxReplicas: 5, targetCPUUtilizationPercentage: 50}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: many, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 500Mi}}}
  - {type: Pods, pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: '100'}}}
  - {type: External, external: {metric: {name: queue}, target: {type: Value, value: '30'}}}
status:
  desiredReplicas: 1
  currentMetrics:
  - {type: Resource, resource: {name: memory, current: {averageValue: 200Mi}}}
  - {type: Pods, pods: {metric: {name: qps}, current: {averageValue: '50'}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: none, namespace: default}
spec: {scaleTargetRef: {kind: Deployment, name: x}, maxReplicas: 2}
";
        assert_text(
            &render(yaml, &PrintOptions::default()),
            "
NAME    REFERENCE        TARGETS                                   MINPODS   MAXPODS   REPLICAS   AGE
web     Deployment/web   cpu: 45%/80%                              2         10        3          60m
fresh   Deployment/api   cpu: <unknown>/50%                        1         5         0          60m
many    StatefulSet/db   memory: 200Mi/500Mi, 50/100 + 1 more...   1         3         0          60m
none    Deployment/x     <none>                                    1         2         0          60m
",
        );
    }
}
