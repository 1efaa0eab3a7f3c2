//! Conversion between a kind's served versions and its stored version (the apiserver's
//! conversion): autoscaling/v1 HorizontalPodAutoscalers to and from the stored autoscaling/v2.

use serde_json::{json, Map, Value};

use super::kinds::Kind;

/// Convert a document of another served version of `kind` to its stored version.
pub fn to_stored_version(kind: Kind, doc: Value) -> Value {
    match kind {
        Kind::HorizontalPodAutoscaler => hpa_v1_to_v2(doc),
        _ => doc,
    }
}

/// A stored object's document as `api_version` serves it (unchanged when that is the stored
/// version or no conversion exists).
pub fn from_stored_version(kind: Kind, doc: Value, api_version: &str) -> Value {
    match (kind, api_version) {
        (Kind::HorizontalPodAutoscaler, "autoscaling/v1") => hpa_v2_to_v1(doc),
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

const METRIC_SPECS_ANNOTATION: &str = "autoscaling.alpha.kubernetes.io/metrics";
const METRIC_STATUSES_ANNOTATION: &str = "autoscaling.alpha.kubernetes.io/current-metrics";
const CONDITIONS_ANNOTATION: &str = "autoscaling.alpha.kubernetes.io/conditions";

/// autoscaling/v2 → autoscaling/v1, as `Convert_autoscaling_HorizontalPodAutoscaler_To_v1`
/// does: the CPU utilization target and current value become v1's fields; the other metrics,
/// the current metrics and the conditions travel in annotations, JSON in v1's field order.
/// `behavior` has no v1 form and is left out.
fn hpa_v2_to_v1(mut doc: Value) -> Value {
    doc["apiVersion"] = json!("autoscaling/v1");
    let spec = doc.get_mut("spec").and_then(Value::as_object_mut).map(std::mem::take).unwrap_or_default();
    let status = doc.get_mut("status").and_then(Value::as_object_mut).map(std::mem::take).unwrap_or_default();
    let metrics = spec.get("metrics").and_then(Value::as_array).cloned().unwrap_or_default();
    let is_cpu = |m: &Value| m["type"] == "Resource" && m["resource"]["name"] == "cpu";
    let mut v1_spec = Map::new();
    for key in ["scaleTargetRef", "minReplicas", "maxReplicas"] {
        if let Some(v) = spec.get(key) {
            v1_spec.insert(key.into(), v.clone());
        }
    }
    if let Some(target) =
        metrics.iter().find(|m| is_cpu(m)).and_then(|m| m["resource"]["target"].get("averageUtilization"))
    {
        v1_spec.insert("targetCPUUtilizationPercentage".into(), target.clone());
    }
    let other: Vec<String> = metrics
        .iter()
        .filter(|m| !(is_cpu(m) && m["resource"]["target"].get("averageUtilization").is_some()))
        .map(metric_spec_v1)
        .collect();
    let current = status.get("currentMetrics").and_then(Value::as_array).cloned().unwrap_or_default();
    let conditions = status.get("conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut v1_status = Map::new();
    for key in ["observedGeneration", "lastScaleTime"] {
        if let Some(v) = status.get(key) {
            v1_status.insert(key.into(), v.clone());
        }
    }
    // v1's replica counts are not omitempty.
    v1_status.insert("currentReplicas".into(), status.get("currentReplicas").cloned().unwrap_or(json!(0)));
    v1_status.insert("desiredReplicas".into(), status.get("desiredReplicas").cloned().unwrap_or(json!(0)));
    if let Some(u) = current
        .iter()
        .filter(|m| is_cpu(m))
        .filter_map(|m| m["resource"]["current"].get("averageUtilization"))
        .next_back()
    {
        v1_status.insert("currentCPUUtilizationPercentage".into(), u.clone());
    }
    let mut notes = Vec::new();
    if !other.is_empty() {
        notes.push((METRIC_SPECS_ANNOTATION, format!("[{}]", other.join(","))));
    }
    if !current.is_empty() {
        notes.push((
            METRIC_STATUSES_ANNOTATION,
            format!("[{}]", current.iter().map(metric_status_v1).collect::<Vec<_>>().join(",")),
        ));
    }
    if !conditions.is_empty() {
        let fields = ["type", "status", "lastTransitionTime", "reason", "message"];
        let list: Vec<String> = conditions.iter().map(|c| go_object(fields.map(|f| (f, raw(c.get(f)))))).collect();
        notes.push((CONDITIONS_ANNOTATION, format!("[{}]", list.join(","))));
    }
    if !notes.is_empty() {
        let meta = doc["metadata"].as_object_mut();
        if let Some(meta) = meta {
            let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
            for (k, v) in notes {
                annotations[k] = json!(v);
            }
        }
    }
    doc["spec"] = Value::Object(v1_spec);
    doc["status"] = Value::Object(v1_status);
    doc
}

/// A JSON object with its fields in the given order (Go's struct order), absent ones left
/// out; each field's value is JSON text already.
fn go_object<'a>(fields: impl IntoIterator<Item = (&'a str, Option<String>)>) -> String {
    let parts: Vec<String> = fields.into_iter().filter_map(|(k, v)| v.map(|v| format!("{}:{v}", json!(k)))).collect();
    format!("{{{}}}", parts.join(","))
}

/// A field's value as JSON text: label selectors in their Go field order, absent or null as none.
fn raw(v: Option<&Value>) -> Option<String> {
    let v = v.filter(|v| !v.is_null())?;
    match v {
        Value::Object(m) if m.contains_key("matchLabels") || m.contains_key("matchExpressions") => {
            let exprs = m.get("matchExpressions").and_then(Value::as_array).map(|exprs| {
                let items: Vec<String> = exprs
                    .iter()
                    .map(|e| go_object(["key", "operator", "values"].map(|f| (f, raw(e.get(f))))))
                    .collect();
                format!("[{}]", items.join(","))
            });
            Some(go_object([("matchLabels", raw(m.get("matchLabels"))), ("matchExpressions", exprs)]))
        }
        other => Some(other.to_string()),
    }
}

fn cross_ref(r: &Value) -> Option<String> {
    Some(go_object(["kind", "name", "apiVersion"].map(|f| (f, raw(r.get(f))))))
}

fn zero() -> Option<String> {
    Some("\"0\"".into())
}

/// A v2 MetricSpec as v1's (v2beta1's shape): targets flattened into `target*` fields.
fn metric_spec_v1(m: &Value) -> String {
    let ty = m["type"].as_str().unwrap_or_default();
    let body = match ty {
        "Resource" | "ContainerResource" => resource_v1(m, ty, "target", None),
        "Pods" => go_object([
            ("metricName", raw(m["pods"]["metric"].get("name"))),
            ("targetAverageValue", raw(m["pods"]["target"].get("averageValue")).or_else(zero)),
            ("selector", raw(m["pods"]["metric"].get("selector"))),
        ]),
        "Object" => go_object([
            ("target", cross_ref(&m["object"]["describedObject"])),
            ("metricName", raw(m["object"]["metric"].get("name"))),
            ("targetValue", raw(m["object"]["target"].get("value")).or_else(zero)),
            ("selector", raw(m["object"]["metric"].get("selector"))),
            ("averageValue", raw(m["object"]["target"].get("averageValue"))),
        ]),
        "External" => go_object([
            ("metricName", raw(m["external"]["metric"].get("name"))),
            ("metricSelector", raw(m["external"]["metric"].get("selector"))),
            ("targetValue", raw(m["external"]["target"].get("value"))),
            ("targetAverageValue", raw(m["external"]["target"].get("averageValue"))),
        ]),
        _ => "{}".into(),
    };
    tagged(ty, body)
}

/// `{"type":T,"<member>":{...}}`: a v1 MetricSpec or MetricStatus around its source.
fn tagged(ty: &str, body: String) -> String {
    let key = match ty {
        "Resource" => "resource",
        "ContainerResource" => "containerResource",
        "Pods" => "pods",
        "Object" => "object",
        _ => "external",
    };
    format!("{{\"type\":{},{}:{body}}}", json!(ty), json!(key))
}

/// A Resource or ContainerResource source (`side` "target") or status ("current") as v1's:
/// `name`, `<side>AverageUtilization`, `<side>AverageValue` (else `value_default`), and the
/// container's name.
fn resource_v1(m: &Value, ty: &str, side: &str, value_default: Option<String>) -> String {
    let src = if ty == "Resource" { &m["resource"] } else { &m["containerResource"] };
    let (utilization, value) = (format!("{side}AverageUtilization"), format!("{side}AverageValue"));
    let mut fields = vec![
        ("name", raw(src.get("name"))),
        (utilization.as_str(), raw(src[side].get("averageUtilization"))),
        (value.as_str(), raw(src[side].get("averageValue")).or(value_default)),
    ];
    if ty == "ContainerResource" {
        fields.push(("container", raw(src.get("container"))));
    }
    go_object(fields)
}

/// A v2 MetricStatus as v1's.
fn metric_status_v1(m: &Value) -> String {
    let ty = m["type"].as_str().unwrap_or_default();
    let body = match ty {
        "Resource" | "ContainerResource" => resource_v1(m, ty, "current", zero()),
        "Pods" => go_object([
            ("metricName", raw(m["pods"]["metric"].get("name"))),
            ("currentAverageValue", raw(m["pods"]["current"].get("averageValue")).or_else(zero)),
            ("selector", raw(m["pods"]["metric"].get("selector"))),
        ]),
        "Object" => go_object([
            ("target", cross_ref(&m["object"]["describedObject"])),
            ("metricName", raw(m["object"]["metric"].get("name"))),
            ("currentValue", raw(m["object"]["current"].get("value")).or_else(zero)),
            ("selector", raw(m["object"]["metric"].get("selector"))),
            ("averageValue", raw(m["object"]["current"].get("averageValue"))),
        ]),
        "External" => go_object([
            ("metricName", raw(m["external"]["metric"].get("name"))),
            ("metricSelector", raw(m["external"]["metric"].get("selector"))),
            ("currentValue", raw(m["external"]["current"].get("value")).or_else(zero)),
            ("currentAverageValue", raw(m["external"]["current"].get("averageValue"))),
        ]),
        _ => "{}".into(),
    };
    tagged(ty, body)
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

    #[test]
    fn hpa_v2_as_v1_keeps_the_cpu_target_and_carries_the_rest_in_annotations() {
        let v2 = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 5,
                "metrics": [
                    {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
                    {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
                    {"type": "Pods", "pods": {"metric": {"name": "qps", "selector": {"matchLabels": {"a": "b"}}}, "target": {"type": "AverageValue", "averageValue": "1k"}}}],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}}},
            "status": {"currentReplicas": 2, "desiredReplicas": 3,
                "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 70, "averageValue": "350m"}}}],
                "conditions": [{"type": "AbleToScale", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z", "reason": "ReadyForNewScale", "message": "m"}]}});
        let v1 = from_stored_version(Kind::HorizontalPodAutoscaler, v2, "autoscaling/v1");
        assert_eq!(v1["apiVersion"], "autoscaling/v1");
        assert_eq!(
            v1["spec"],
            json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 50})
        );
        assert_eq!(
            v1["status"],
            json!({"currentReplicas": 2, "desiredReplicas": 3, "currentCPUUtilizationPercentage": 70})
        );
        let notes = &v1["metadata"]["annotations"];
        assert_eq!(
            notes[METRIC_SPECS_ANNOTATION],
            r#"[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"100Mi"}},{"type":"Pods","pods":{"metricName":"qps","targetAverageValue":"1k","selector":{"matchLabels":{"a":"b"}}}}]"#
        );
        assert_eq!(
            notes[METRIC_STATUSES_ANNOTATION],
            r#"[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":70,"currentAverageValue":"350m"}}]"#
        );
        assert_eq!(
            notes[CONDITIONS_ANNOTATION],
            r#"[{"type":"AbleToScale","status":"True","lastTransitionTime":"2025-01-01T00:00:00Z","reason":"ReadyForNewScale","message":"m"}]"#
        );
        // Other versions pass through.
        let same = from_stored_version(
            Kind::HorizontalPodAutoscaler,
            json!({"apiVersion": "autoscaling/v2"}),
            "autoscaling/v2",
        );
        assert_eq!(same, json!({"apiVersion": "autoscaling/v2"}));
    }
}
