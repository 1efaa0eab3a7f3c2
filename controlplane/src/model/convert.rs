//! Conversion of other served versions to the stored version (the apiserver's conversion).

use serde_json::{json, Value};

use super::kinds::Kind;

/// Convert a document of another served version of `kind` to its stored version.
pub fn to_stored_version(kind: Kind, doc: Value) -> Value {
    match kind {
        Kind::HorizontalPodAutoscaler => hpa_v1_to_v2(doc),
        _ => doc,
    }
}

/// autoscaling/v1 → autoscaling/v2: `targetCPUUtilizationPercentage` becomes a Resource metric.
fn hpa_v1_to_v2(mut doc: Value) -> Value {
    doc["apiVersion"] = json!("autoscaling/v2");
    if let Some(spec) = doc.get_mut("spec").and_then(Value::as_object_mut) {
        if let Some(target) = spec.remove("targetCPUUtilizationPercentage") {
            spec.insert(
                "metrics".into(),
                json!([{ "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": target } } }]),
            );
        }
    }
    if let Some(status) = doc.get_mut("status").and_then(Value::as_object_mut) {
        if let Some(current) = status.remove("currentCPUUtilizationPercentage") {
            status.insert(
                "currentMetrics".into(),
                json!([{ "type": "Resource", "resource": { "name": "cpu", "current": { "averageUtilization": current } } }]),
            );
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hpa_v1() {
        let v1 = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 5, "targetCPUUtilizationPercentage": 50}});
        let v2 = to_stored_version(Kind::HorizontalPodAutoscaler, v1);
        assert_eq!(v2["apiVersion"], "autoscaling/v2");
        assert_eq!(v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 50);
        assert!(v2["spec"].get("targetCPUUtilizationPercentage").is_none());
    }
}
