//! `kubectl apply`: client-side apply with the last-applied-configuration annotation.
//! Each document succeeds or fails on its own, in order, as kubectl does.

use super::warnings::heard;
use std::sync::Arc;

use serde_json::Value;

use super::resources::settled;
use crate::apiserver::{error::ApiError, patch::three_way_merge};
use crate::client::{Client, InProcess, Response, Waiter};
use crate::model::{decode, parse_documents, DecodeError, Object};
use crate::sim::Cluster;

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The audit user of requests kubectl makes.
pub const USER: &str = "kubectl";

/// What happened to one document: kubectl's output line, or its error line.
pub type DocOutcome = Result<String, String>;

/// Apply every document in `text` (from `source`, a file name or "STDIN"), defaulting the
/// namespace to `namespace`. Components run between documents, as they would while kubectl
/// makes one request after another.
pub fn apply_all(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    text: &str,
    source: &str,
    namespace: &str,
) -> Vec<DocOutcome> {
    let docs = match parse_documents(text) {
        Ok(docs) => docs,
        Err(e) => return vec![Err(format!("error: error parsing {source}: {e}"))],
    };
    if docs.is_empty() {
        return vec![Err("error: no objects passed to apply".to_string())];
    }
    let mut out = Vec::with_capacity(docs.len());
    for doc in docs {
        // Controllers react between requests (a new namespace gets its service account).
        out.push(settled(waiter, apply_object(client, doc, source, namespace)));
    }
    out
}

/// Apply one decoded document (e.g. a Rhai map turned into JSON).
pub fn apply_object(client: &mut dyn Client, doc: Value, source: &str, namespace: &str) -> DocOutcome {
    apply_one(client, doc, source, namespace, false).map(|(line, _)| line)
}

/// Apply one document: kubectl's line (without a dry-run suffix) and the object as it came
/// back. With `client_dry_run` nothing is sent but the read: a new object is the document
/// with its last-applied annotation, `created`; one that exists is printed as the server has
/// it, `configured`, whatever the document says (kubectl v1.32 computes no patch then).
pub fn apply_one(
    client: &mut dyn Client,
    mut doc: Value,
    source: &str,
    namespace: &str,
    client_dry_run: bool,
) -> Result<(String, Arc<Object>), String> {
    let name = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
    let doc_ns = doc.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("").to_string();
    let kind = kind_of(&doc, source)?;
    let info = kind.info();
    if name.is_empty() {
        return Err(match doc.pointer("/metadata/generateName").and_then(Value::as_str) {
            Some(prefix) if !prefix.is_empty() => format!("error: from {prefix}: cannot use generate name with apply"),
            _ => "error: resource name may not be empty".into(),
        });
    }
    let ns = if info.namespaced {
        if doc_ns.is_empty() {
            namespace.to_string()
        } else {
            doc_ns
        }
    } else {
        String::new()
    };
    if info.namespaced {
        doc["metadata"]["namespace"] = Value::String(ns.clone());
    }
    let current = client.get(kind, &ns, &name).map(Response::into_body).ok();
    let annotations_ok = doc.pointer("/metadata/annotations").is_none_or(|a| a.is_object() || a.is_null());
    if !annotations_ok || !doc.get("metadata").is_some_and(Value::is_object) {
        // Let decoding say what is wrong with it, as the API server would.
        let verb = if current.is_some() { "patching" } else { "creating" };
        return Err(match decode(doc) {
            Err(e) => decode_error(&e, verb, source),
            Ok(_) => format!("error: error validating {}: metadata must be an object", q(source)),
        });
    }
    let last_applied = last_applied_json(&doc);
    if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = meta.entry("annotations").or_insert_with(|| Value::Object(Default::default()));
        if annotations.is_null() {
            *annotations = Value::Object(Default::default());
        }
        annotations[LAST_APPLIED] = Value::String(last_applied);
    }
    let shown = info.group_singular();
    match current {
        None => {
            let obj = decode(doc).map_err(|e| decode_error(&e, "creating", source))?;
            if client_dry_run {
                return Ok((format!("{shown}/{name} created"), Arc::new(obj)));
            }
            let created = client.create(&ns, obj).map_err(|e| api_error(&e, "creating", source))?;
            Ok((heard(client, format!("{shown}/{name} created")), created.body))
        }
        Some(current) if client_dry_run => Ok((format!("{shown}/{name} configured"), current)),
        Some(current) => {
            let live = current.to_value();
            let original = current
                .annotations()
                .get(LAST_APPLIED)
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .unwrap_or(Value::Object(Default::default()));
            let merged = three_way_merge(&original, &doc, &live);
            if merged == live {
                return Ok((heard(client, format!("{shown}/{name} unchanged")), current));
            }
            let obj: Object = decode(merged).map_err(|e| decode_error(&e, "patching", source))?;
            let updated = client.update(obj).map_err(|e| api_error(&e, "patching", source))?;
            Ok((heard(client, format!("{shown}/{name} configured")), updated.body))
        }
    }
}

/// [`apply_all`] on a cluster in this process, as kubectl.
pub fn apply_text(cluster: &mut Cluster, text: &str, source: &str, namespace: &str) -> Vec<DocOutcome> {
    InProcess::as_kubectl(cluster, |client, waiter| apply_all(client, waiter, text, source, namespace))
}

/// [`apply_object`] on a cluster in this process, as kubectl, and the cluster's reaction.
pub fn apply_doc(cluster: &mut Cluster, doc: Value, source: &str, namespace: &str) -> DocOutcome {
    InProcess::as_kubectl(cluster, |client, waiter| settled(waiter, apply_object(client, doc, source, namespace)))
}

/// The annotation's value: the manifest as JSON, keys sorted, without the annotation itself.
fn last_applied_json(doc: &Value) -> String {
    let mut copy = doc.clone();
    if let Some(meta) = copy.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = meta.entry("annotations").or_insert_with(|| Value::Object(Default::default()));
        if let Some(a) = annotations.as_object_mut() {
            a.remove(LAST_APPLIED);
        }
    }
    let mut s = serde_json::to_string(&copy).unwrap_or_default();
    s.push('\n');
    s
}

/// The kind of a file's document, or kubectl's error for one it cannot map (an unknown
/// kind, no `kind` at all).
pub fn kind_of(doc: &Value, source: &str) -> Result<crate::model::Kind, String> {
    match decode::kind_of(doc) {
        Ok(kind) => Ok(kind),
        Err(DecodeError::NoMatch { api_version, kind }) => {
            let field = |path: &str| doc.pointer(path).and_then(Value::as_str).unwrap_or("");
            Err(format!(
                "error: resource mapping not found for name: {} namespace: {} from {}: no matches for kind {} in version {}",
                q(field("/metadata/name")),
                q(field("/metadata/namespace")),
                q(source),
                q(&kind),
                q(&api_version)
            ))
        }
        Err(e) => Err(format!("error: error validating {}: error validating data: {e}", q(source))),
    }
}

fn q(s: &str) -> String {
    crate::apiserver::error::quote(s)
}

fn decode_error(e: &DecodeError, verb: &str, source: &str) -> String {
    format!("Error from server (BadRequest): error when {verb} {}: {e}", q(source))
}

fn api_error(e: &ApiError, verb: &str, source: &str) -> String {
    e.kubectl_message_with_source(Some(&format!("error when {verb} {}: ", q(source))))
}
