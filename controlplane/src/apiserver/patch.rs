//! Patches: JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch for the
//! list fields Kubernetes merges by key, and the three-way merge behind `kubectl apply`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json`: a list of operations (add, remove, replace, move, copy,
    /// test) on JSON pointers.
    Json,
    /// `application/merge-patch+json`: maps merge, lists are replaced, null deletes.
    Merge,
    /// `application/strategic-merge-patch+json`: as Merge, but lists with a merge key
    /// (containers by name, ports by containerPort, ...) merge element by element.
    Strategic,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("the patch is not a JSON object")]
    NotAnObject,
    /// A JSON patch that is not a list of operations (the API server's 400).
    #[error("{0}")]
    NotOperations(String),
    /// An operation that does not apply to the object (the API server's 422).
    #[error("{0}")]
    OperationFailed(String),
}

pub fn apply_patch(patch_type: PatchType, doc: &mut Value, patch: &Value) -> Result<(), PatchError> {
    match patch_type {
        PatchType::Json => {
            // Read from the patch where it is, not from a copy of it.
            let ops = <json_patch::Patch as serde::Deserialize>::deserialize(patch)
                .map_err(|e| PatchError::NotOperations(e.to_string()))?;
            // All or nothing: the crate leaves the document as it was when an operation fails.
            return json_patch::patch(doc, &ops).map_err(|e| PatchError::OperationFailed(e.to_string()));
        }
        _ if !patch.is_object() => return Err(PatchError::NotAnObject),
        PatchType::Merge => merge_patch(doc, patch),
        PatchType::Strategic => strategic_patch(doc, patch, ""),
    }
    Ok(())
}

/// The metadata fields a patch may change without the whole object's round trip through JSON:
/// lists and maps of strings, which decode alike alone and inside the object.
const PLAIN_METADATA: [&str; 3] = ["finalizers", "labels", "annotations"];

/// Which of [`PLAIN_METADATA`] `patch` touches, when it can change nothing else (the Job
/// controller's removal of its tracking finalizer, a label or annotation patch).
fn plain_metadata_touched(patch_type: PatchType, patch: &Value) -> Option<[bool; 3]> {
    let mut touched = [false; 3];
    let mut touch = |field: &str| match PLAIN_METADATA.iter().position(|f| *f == field) {
        Some(i) => {
            touched[i] = true;
            true
        }
        None => false,
    };
    let plain = match patch_type {
        PatchType::Json => patch.as_array().is_some_and(|ops| {
            ops.iter().all(|op| {
                let Some(op) = op.as_object() else { return false };
                let path = op.get("path").and_then(Value::as_str).and_then(|p| p.strip_prefix("/metadata/"));
                matches!(op.get("op").and_then(Value::as_str), Some("add" | "remove" | "replace" | "test"))
                    && op.keys().all(|k| matches!(k.as_str(), "op" | "path" | "value"))
                    && path.is_some_and(|p| touch(p.split('/').next().unwrap_or("")))
            })
        }),
        PatchType::Merge | PatchType::Strategic => patch.as_object().is_some_and(|p| {
            p.len() == 1
                && p.get("metadata").and_then(Value::as_object).is_some_and(|m| {
                    m.keys().all(|k| {
                        let directive =
                            k.strip_prefix("$deleteFromPrimitiveList/").or(k.strip_prefix("$setElementOrder/"));
                        touch(directive.unwrap_or(k))
                    })
                })
        }),
    };
    plain.then_some(touched)
}

/// Whether `patch` can change nothing but [`PLAIN_METADATA`].
pub fn only_plain_metadata(patch_type: PatchType, patch: &Value) -> bool {
    plain_metadata_touched(patch_type, patch).is_some()
}

/// Apply `patch` to the metadata fields [`PLAIN_METADATA`] names, when it changes nothing else
/// and applies cleanly: what the patch of the whole object would give, without turning the
/// object into JSON and back. Only the fields the patch names make the round trip; the rest
/// cannot change. Returns false, with `meta` as it was, to leave the patch to the whole object
/// (and its errors).
pub fn patch_plain_metadata(meta: &mut ObjectMeta, patch_type: PatchType, patch: &Value) -> bool {
    let Some(touched) = plain_metadata_touched(patch_type, patch) else { return false };
    if patch_type == PatchType::Json && touched == [true, false, false] {
        if let Some(finalizers) = finalizer_operations(meta.finalizers.as_ref(), patch) {
            meta.finalizers = finalizers;
            return true;
        }
    }
    let mut fields = Map::new();
    let mut put = |i: usize, v: Option<Value>| {
        if let Some(v) = v {
            fields.insert(PLAIN_METADATA[i].to_string(), v);
        }
    };
    put(0, meta.finalizers.as_ref().filter(|_| touched[0]).and_then(|f| serde_json::to_value(f).ok()));
    put(1, meta.labels.as_ref().filter(|_| touched[1]).and_then(|l| serde_json::to_value(l).ok()));
    put(2, meta.annotations.as_ref().filter(|_| touched[2]).and_then(|a| serde_json::to_value(a).ok()));
    let mut doc = Value::Object(Map::from_iter([("metadata".to_string(), Value::Object(fields))]));
    if apply_patch(patch_type, &mut doc, patch).is_err() {
        return false;
    }
    let Value::Object(mut root) = doc else { return false };
    let Some(Value::Object(mut fields)) = root.remove("metadata") else { return false };
    if !root.is_empty() {
        return false;
    }
    fn take<T: serde::de::DeserializeOwned>(fields: &mut Map<String, Value>, name: &str) -> Option<Option<T>> {
        match fields.remove(name) {
            None | Some(Value::Null) => Some(None),
            Some(v) => serde_json::from_value(v).ok().map(Some),
        }
    }
    let finalizers = if touched[0] { take(&mut fields, "finalizers") } else { Some(None) };
    let labels = if touched[1] { take(&mut fields, "labels") } else { Some(None) };
    let annotations = if touched[2] { take(&mut fields, "annotations") } else { Some(None) };
    // Anything else the patch left is for the whole object's decoding to judge.
    let (Some(finalizers), Some(labels), Some(annotations), true) =
        (finalizers, labels, annotations, fields.is_empty())
    else {
        return false;
    };
    if touched[0] {
        meta.finalizers = finalizers;
    }
    if touched[1] {
        meta.labels = labels;
    }
    if touched[2] {
        meta.annotations = annotations;
    }
    true
}

/// A JSON patch of `test` and `remove` operations on the finalizers (the Job controller's
/// removal of its tracking finalizer, on every pod it counts) applied to the list itself, as
/// RFC 6902 applies them to its JSON. None for any other operation, or one that does not
/// apply: the round trip through JSON gives those their result and their error.
fn finalizer_operations(finalizers: Option<&Vec<String>>, patch: &Value) -> Option<Option<Vec<String>>> {
    let mut list = finalizers.cloned();
    for op in patch.as_array()? {
        let op = op.as_object()?;
        let at = match op.get("path")?.as_str()?.strip_prefix("/metadata/finalizers")? {
            "" => None,
            index => {
                // An array index as RFC 6901 writes it: digits without a leading zero.
                let i: usize = index.strip_prefix('/')?.parse().ok()?;
                (index[1..] == *i.to_string()).then_some(i)?;
                Some(i)
            }
        };
        match (op.get("op")?.as_str()?, at) {
            ("test", None) => {
                let want = op.get("value")?.as_array()?;
                let have = list.as_ref()?;
                let same = want.len() == have.len() && want.iter().zip(have).all(|(w, h)| w.as_str() == Some(h));
                if !same {
                    return None;
                }
            }
            ("test", Some(i)) if list.as_ref()?.get(i)?.as_str() == op.get("value")?.as_str()? => {}
            ("remove", None) => {
                list.as_ref()?;
                list = None;
            }
            ("remove", Some(i)) if i < list.as_ref()?.len() => {
                list.as_mut()?.remove(i);
            }
            _ => return None,
        }
    }
    Some(list)
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(doc: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *doc = patch.clone();
        return;
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        // `$patch: replace`: this map replaces the original instead of merging into it.
        let mut replaced = p.clone();
        replaced.remove("$patch");
        *doc = Value::Object(replaced);
        return;
    }
    if !doc.is_object() {
        *doc = Value::Object(Map::new());
    }
    let d = doc.as_object_mut().expect("made an object above");
    for (k, v) in p {
        if v.is_null() {
            d.remove(k);
        } else {
            merge_patch(d.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// The merge key of a list field, from the field's name and its parent's (`patchMergeKey` in
/// the API types). None: the list is replaced whole.
pub fn merge_key(parent: &str, field: &str) -> Option<&'static str> {
    Some(match field {
        "containers" | "initContainers" | "ephemeralContainers" | "volumes" | "env" | "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "ownerReferences" => "uid",
        "conditions" => "type",
        "topologySpreadConstraints" => "topologyKey",
        // A container's ports merge by containerPort; a Service's by port.
        "ports" if parent == "containers" || parent == "initContainers" => "containerPort",
        "ports" if parent == "spec" => "port",
        _ => return None,
    })
}

/// Whether a list of scalars merges as a set (`patchStrategy:"merge"` without a merge key):
/// `metadata.finalizers`.
fn merges_as_set(parent: &str, field: &str) -> bool {
    parent == "metadata" && field == "finalizers"
}

/// Strategic merge patch: like merge patch, but keyed lists merge by element.
fn strategic_patch(doc: &mut Value, patch: &Value, parent: &str) {
    let Value::Object(p) = patch else {
        *doc = patch.clone();
        return;
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        // `$patch: replace`: this map replaces the original instead of merging into it.
        let mut replaced = p.clone();
        replaced.remove("$patch");
        *doc = Value::Object(replaced);
        return;
    }
    if !doc.is_object() {
        *doc = Value::Object(Map::new());
    }
    let d = doc.as_object_mut().expect("made an object above");
    // `$deleteFromPrimitiveList/<field>`: these values leave the list, before anything merges.
    for (k, v) in p {
        let (Some(field), Value::Array(gone)) = (k.strip_prefix("$deleteFromPrimitiveList/"), v) else { continue };
        if let Some(Value::Array(existing)) = d.get_mut(field) {
            existing.retain(|e| !gone.contains(e));
        }
    }
    for (k, v) in p {
        if k.starts_with("$deleteFromPrimitiveList/") {
            continue;
        }
        match (v, merge_key(parent, k), d.get_mut(k)) {
            (Value::Null, _, _) => {
                d.remove(k);
            }
            // A list of scalars with the merge strategy is a set: the patch's values are added.
            (Value::Array(items), None, Some(Value::Array(existing))) if merges_as_set(parent, k) => {
                for item in items {
                    if !existing.contains(item) {
                        existing.push(item.clone());
                    }
                }
            }
            (Value::Array(items), Some(key), Some(Value::Array(existing))) => {
                for item in items {
                    let id = item.get(key);
                    let found = existing.iter_mut().find(|e| id.is_some() && e.get(key) == id);
                    match found {
                        Some(e) if is_delete(item) => *e = Value::Null,
                        Some(e) => strategic_patch(e, item, k),
                        // Deleting what is not there changes nothing.
                        None if is_delete(item) => {}
                        None => existing.push(item.clone()),
                    }
                }
                existing.retain(|e| !e.is_null());
            }
            (Value::Object(_), _, Some(existing)) => strategic_patch(existing, v, k),
            (Value::Array(items), Some(_), _) => {
                d.insert(k.clone(), Value::Array(items.iter().filter(|i| !is_delete(i)).cloned().collect()));
            }
            _ => {
                d.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A keyed list's `{"$patch": "delete"}` directive.
fn is_delete(item: &Value) -> bool {
    item.get("$patch").and_then(Value::as_str) == Some("delete")
}

/// kubectl apply's three-way merge: the result of applying `modified` (the new manifest) to
/// `current` (the live object), where `original` (the last applied manifest) tells which
/// fields the user removed since. Fields set by the system (status, nodeName, clusterIP, ...)
/// appear in neither manifest and so are kept.
pub fn three_way_merge(original: &Value, modified: &Value, current: &Value) -> Value {
    merge3(Some(original), modified, current, "")
}

fn merge3(original: Option<&Value>, modified: &Value, current: &Value, parent: &str) -> Value {
    match (modified, current) {
        (Value::Object(m), Value::Object(c)) => {
            let mut out = c.clone();
            let o = original.and_then(Value::as_object);
            // Fields the user removed from the manifest since the last apply go.
            if let Some(o) = o {
                for k in o.keys() {
                    if !m.contains_key(k) {
                        out.remove(k);
                    }
                }
            }
            for (k, mv) in m {
                if mv.is_null() {
                    out.remove(k);
                    continue;
                }
                let ov = o.and_then(|o| o.get(k));
                let merged = match c.get(k) {
                    Some(cv) => merge_field(ov, mv, cv, parent, k),
                    None => mv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        _ => modified.clone(),
    }
}

fn merge_field(original: Option<&Value>, modified: &Value, current: &Value, parent: &str, field: &str) -> Value {
    match (modified, current, merge_key(parent, field)) {
        (Value::Array(m), Value::Array(c), Some(key)) => {
            let o = original.and_then(Value::as_array);
            let find = |list: &[Value], id: &Value| list.iter().find(|e| e.get(key) == Some(id)).cloned();
            let mut out = Vec::with_capacity(m.len().max(c.len()));
            for mv in m {
                let Some(id) = mv.get(key) else {
                    out.push(mv.clone());
                    continue;
                };
                let ov = o.and_then(|o| find(o, id));
                out.push(match find(c, id) {
                    Some(cv) => merge3(ov.as_ref(), mv, &cv, field),
                    None => mv.clone(),
                });
            }
            // Elements the system added (in neither manifest) stay; ones the user removed go.
            for cv in c {
                let Some(id) = cv.get(key) else { continue };
                let in_modified = m.iter().any(|e| e.get(key) == Some(id));
                let in_original = o.is_some_and(|o| o.iter().any(|e| e.get(key) == Some(id)));
                if !in_modified && !in_original {
                    out.push(cv.clone());
                }
            }
            Value::Array(out)
        }
        (Value::Object(_), Value::Object(_), _) => merge3(original, modified, current, field),
        _ => modified.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The finalizers' own JSON patch gives what the patch of the metadata as JSON gives, and
    /// leaves to it what it cannot apply.
    #[test]
    fn finalizer_operations_as_json_patch_has_them() {
        let list = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let cases = [
            (
                list(&["a", "b"]),
                json!([{"op": "test", "path": "/metadata/finalizers/1", "value": "b"}, {"op": "remove", "path": "/metadata/finalizers/1"}]),
            ),
            (
                list(&["a"]),
                json!([{"op": "test", "path": "/metadata/finalizers", "value": ["a"]}, {"op": "remove", "path": "/metadata/finalizers"}]),
            ),
            (list(&["a", "b"]), json!([{"op": "remove", "path": "/metadata/finalizers/0"}])),
            (list(&["a", "b"]), json!([{"op": "test", "path": "/metadata/finalizers/1", "value": "a"}])),
            (list(&["a"]), json!([{"op": "test", "path": "/metadata/finalizers", "value": ["b"]}])),
            (list(&["a"]), json!([{"op": "remove", "path": "/metadata/finalizers/01"}])),
            (list(&["a"]), json!([{"op": "remove", "path": "/metadata/finalizers/1"}])),
            (None, json!([{"op": "remove", "path": "/metadata/finalizers"}])),
            (list(&["a"]), json!([{"op": "add", "path": "/metadata/finalizers/-", "value": "b"}])),
        ];
        for (finalizers, patch) in cases {
            let mut doc = json!({"metadata": {}});
            if let Some(f) = &finalizers {
                doc["metadata"]["finalizers"] = json!(f);
            }
            let generic = apply_patch(PatchType::Json, &mut doc, &patch).ok().map(|()| {
                serde_json::from_value::<Option<Vec<String>>>(doc["metadata"]["finalizers"].clone()).unwrap()
            });
            match finalizer_operations(finalizers.as_ref(), &patch) {
                Some(typed) => assert_eq!(Some(typed), generic, "{patch}"),
                // Left to the round trip: an add, or an operation that fails there too.
                None => assert!(generic.is_none() || patch[0]["op"] == "add", "{patch}"),
            }
        }
    }

    #[test]
    fn merge_patch_rfc7386() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}, "l": [3]}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}, "l": [3]}));
    }

    #[test]
    fn strategic_merges_containers_by_name() {
        let mut doc = json!({"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}});
        apply_patch(PatchType::Strategic, &mut doc, &json!({"spec": {"containers": [{"name": "b", "image": "y:2"}]}}))
            .unwrap();
        assert_eq!(
            doc,
            json!({"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:2"}]}})
        );
        apply_patch(
            PatchType::Strategic,
            &mut doc,
            &json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}),
        )
        .unwrap();
        assert_eq!(doc["spec"]["containers"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn strategic_replace_directive_replaces_a_map() {
        let mut doc = json!({"spec": {"template": {"metadata": {"labels": {"a": "1"}}, "spec": {"x": 1}}, "keep": 1}});
        let patch = json!({"spec": {"template": {"$patch": "replace", "spec": {"y": 2}}}});
        apply_patch(PatchType::Strategic, &mut doc, &patch).unwrap();
        assert_eq!(doc, json!({"spec": {"template": {"spec": {"y": 2}}, "keep": 1}}));
    }

    #[test]
    fn issue_12_deleting_a_missing_item_inserts_nothing() {
        let mut doc = json!({"spec": {"containers": [{"name": "a", "image": "x:1"}]}});
        let delete_b = json!({"spec": {"containers": [{"name": "b", "$patch": "delete"}]}});
        apply_patch(PatchType::Strategic, &mut doc, &delete_b).unwrap();
        assert_eq!(doc, json!({"spec": {"containers": [{"name": "a", "image": "x:1"}]}}));
        let mut empty = json!({"spec": {}});
        apply_patch(PatchType::Strategic, &mut empty, &delete_b).unwrap();
        assert_eq!(empty, json!({"spec": {"containers": []}}));
    }

    #[test]
    fn issue_13_finalizers_merge_as_a_set_and_delete_from_primitive_list() {
        // The Job controller's adoption patch adds its finalizer to the pod's own.
        let mut doc = json!({"metadata": {"finalizers": ["example.com/keep"]}});
        let adopt = json!({"metadata": {"finalizers": ["batch.kubernetes.io/job-tracking", "example.com/keep"]}});
        apply_patch(PatchType::Strategic, &mut doc, &adopt).unwrap();
        assert_eq!(doc, json!({"metadata": {"finalizers": ["example.com/keep", "batch.kubernetes.io/job-tracking"]}}));
        // Its release patch takes it out again, leaving the rest.
        let release =
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["batch.kubernetes.io/job-tracking"]}});
        apply_patch(PatchType::Strategic, &mut doc, &release).unwrap();
        assert_eq!(doc, json!({"metadata": {"finalizers": ["example.com/keep"]}}));
        // Other lists of scalars are still replaced whole; a merge patch replaces finalizers.
        let mut args = json!({"spec": {"args": ["a", "b"]}});
        apply_patch(PatchType::Strategic, &mut args, &json!({"spec": {"args": ["c"]}})).unwrap();
        assert_eq!(args, json!({"spec": {"args": ["c"]}}));
        apply_patch(PatchType::Merge, &mut doc, &json!({"metadata": {"finalizers": ["x"]}})).unwrap();
        assert_eq!(doc, json!({"metadata": {"finalizers": ["x"]}}));
    }

    #[test]
    fn json_patch_rfc6902_all_or_nothing() {
        let mut doc = json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"image": "a"}]}}}});
        let ops = json!([{"op": "replace", "path": "/spec/replicas", "value": 3},
                         {"op": "add", "path": "/spec/template/spec/containers/0/args", "value": ["-v"]}]);
        apply_patch(PatchType::Json, &mut doc, &ops).unwrap();
        assert_eq!(doc["spec"]["replicas"], 3);
        assert_eq!(doc["spec"]["template"]["spec"]["containers"][0]["args"], json!(["-v"]));
        let before = doc.clone();
        let bad = json!([{"op": "replace", "path": "/spec/replicas", "value": 9},
                         {"op": "remove", "path": "/spec/nope"}]);
        assert!(matches!(apply_patch(PatchType::Json, &mut doc, &bad), Err(PatchError::OperationFailed(_))));
        assert_eq!(doc, before);
        assert!(matches!(
            apply_patch(PatchType::Json, &mut doc, &json!({"op": "x"})),
            Err(PatchError::NotOperations(_))
        ));
    }

    #[test]
    fn three_way_removes_dropped_fields_and_keeps_system_ones() {
        let original = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 3}});
        let modified = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"replicas": 5}});
        let current = json!({"metadata": {"labels": {"a": "1", "b": "2", "sys": "x"}, "uid": "u"}, "spec": {"replicas": 3, "clusterIP": "10.96.0.5"}, "status": {"ok": true}});
        let merged = three_way_merge(&original, &modified, &current);
        assert_eq!(
            merged,
            json!({"metadata": {"labels": {"a": "1", "sys": "x"}, "uid": "u"}, "spec": {"replicas": 5, "clusterIP": "10.96.0.5"}, "status": {"ok": true}})
        );
    }

    #[test]
    fn three_way_keyed_lists() {
        let original = json!({"spec": {"containers": [{"name": "a", "image": "x:1", "args": ["-v"]}, {"name": "gone", "image": "g"}]}});
        let modified = json!({"spec": {"containers": [{"name": "a", "image": "x:2"}]}});
        let current = json!({"spec": {"containers": [
            {"name": "a", "image": "x:1", "args": ["-v"], "terminationMessagePath": "/dev/termination-log"},
            {"name": "gone", "image": "g"},
            {"name": "sidecar", "image": "s"}]}});
        let merged = three_way_merge(&original, &modified, &current);
        assert_eq!(
            merged,
            json!({"spec": {"containers": [
                {"name": "a", "image": "x:2", "terminationMessagePath": "/dev/termination-log"},
                {"name": "sidecar", "image": "s"}]}})
        );
    }

    /// The metadata shortcut gives what the patch of the whole object gives, for patches that
    /// touch some of the plain fields and leave the others, and refuses what fails.
    #[test]
    fn plain_metadata_patches_match_the_whole_object_patch() {
        let meta: ObjectMeta = serde_json::from_value(json!({"name": "p", "namespace": "default",
            "labels": {"app": "web", "job-name": "j"}, "annotations": {"a": "1"},
            "finalizers": ["batch.kubernetes.io/job-tracking", "example.com/x"]}))
        .expect("metadata");
        let cases = [
            (
                PatchType::Strategic,
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["batch.kubernetes.io/job-tracking"]}}),
            ),
            (PatchType::Merge, json!({"metadata": {"labels": {"job-name": null, "tier": "x"}}})),
            (PatchType::Merge, json!({"metadata": {"annotations": null}})),
            (PatchType::Json, json!([{"op": "remove", "path": "/metadata/finalizers/0"}])),
            (PatchType::Json, json!([{"op": "add", "path": "/metadata/annotations/b", "value": "2"}])),
            (PatchType::Json, json!([{"op": "test", "path": "/metadata/labels/app", "value": "db"}])),
            (PatchType::Strategic, json!({"metadata": {"labels": {"app": "db"}, "finalizers": ["example.com/y"]}})),
        ];
        for (patch_type, patch) in cases {
            assert!(only_plain_metadata(patch_type, &patch), "{patch}");
            let mut doc = json!({"metadata": serde_json::to_value(&meta).expect("json")});
            let whole = apply_patch(patch_type, &mut doc, &patch)
                .map(|_| serde_json::from_value::<ObjectMeta>(doc["metadata"].clone()).expect("metadata"));
            let mut fast = meta.clone();
            let applied = patch_plain_metadata(&mut fast, patch_type, &patch);
            match whole {
                Ok(whole) => {
                    assert!(applied, "{patch}");
                    assert_eq!(fast, whole, "{patch}");
                }
                Err(_) => {
                    assert!(!applied, "{patch}");
                    assert_eq!(fast, meta, "a refused patch leaves the metadata as it was: {patch}");
                }
            }
        }
        assert!(!only_plain_metadata(PatchType::Merge, &json!({"metadata": {"name": "q"}})));
        assert!(!only_plain_metadata(PatchType::Merge, &json!({"spec": {}, "metadata": {"labels": {}}})));
    }
}
