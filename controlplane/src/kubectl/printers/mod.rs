//! kubectl's printers: tables for `get`, and YAML/JSON/name output.

use chrono::{DateTime, Utc};
use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{Namespace, Node, Pod},
};

use crate::model::{Kind, Object, Typed};

pub mod age;
pub mod table;
pub mod yaml;

pub use table::Table;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintOptions {
    pub wide: bool,
    /// `-A`: a NAMESPACE column first.
    pub with_namespace: bool,
    /// `--show-labels`: a LABELS column last.
    pub show_labels: bool,
    pub no_headers: bool,
}

/// `No resources found in default namespace.`, or `No resources found` without a namespace.
pub fn no_resources(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("No resources found in {ns} namespace."),
        None => "No resources found".to_string(),
    }
}

/// The `kubectl get` table for objects of one kind.
pub fn table(kind: Kind, objects: &[&Object], now: DateTime<Utc>, opts: &PrintOptions) -> Table {
    let (mut headers, rows): (Vec<&str>, Vec<Vec<String>>) = match kind {
        Kind::Pod => (
            vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            objects.iter().filter_map(|o| Pod::from_object(o)).map(|p| pod_row(p, now)).collect(),
        ),
        Kind::Node => (
            vec!["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            objects.iter().filter_map(|o| Node::from_object(o)).map(|n| node_row(n, now)).collect(),
        ),
        Kind::Namespace => (
            vec!["NAME", "STATUS", "AGE"],
            objects
                .iter()
                .filter_map(|o| Namespace::from_object(o))
                .map(|n| {
                    let phase = n.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Active".into());
                    vec![name(&n.metadata), phase, age::age(n.metadata.creation_timestamp.as_ref(), now)]
                })
                .collect(),
        ),
        Kind::Deployment => (
            vec!["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
            objects.iter().filter_map(|o| Deployment::from_object(o)).map(|d| deployment_row(d, now)).collect(),
        ),
        _ => (
            vec!["NAME", "AGE"],
            objects
                .iter()
                .map(|o| vec![o.name().to_string(), age::age(o.metadata().creation_timestamp.as_ref(), now)])
                .collect(),
        ),
    };
    let mut rows = rows;
    if opts.with_namespace && kind.info().namespaced {
        headers.insert(0, "NAMESPACE");
        for (row, o) in rows.iter_mut().zip(objects) {
            row.insert(0, o.namespace().to_string());
        }
    }
    if opts.show_labels {
        headers.push("LABELS");
        for (row, o) in rows.iter_mut().zip(objects) {
            let labels: Vec<String> = o.labels().iter().map(|(k, v)| format!("{k}={v}")).collect();
            row.push(if labels.is_empty() { "<none>".into() } else { labels.join(",") });
        }
    }
    Table { headers: if opts.no_headers { Vec::new() } else { headers.into_iter().map(String::from).collect() }, rows }
}

fn name(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

fn pod_row(p: &Pod, now: DateTime<Utc>) -> Vec<String> {
    let total = p.spec.as_ref().map_or(0, |s| s.containers.len());
    let statuses = p.status.as_ref().and_then(|s| s.container_statuses.as_ref());
    let ready = statuses.map_or(0, |cs| cs.iter().filter(|c| c.ready).count());
    let restarts: i32 = statuses.map_or(0, |cs| cs.iter().map(|c| c.restart_count).sum());
    let mut status = p
        .status
        .as_ref()
        .and_then(|s| s.reason.clone().or_else(|| s.phase.clone()))
        .unwrap_or_else(|| "Pending".into());
    if p.metadata.deletion_timestamp.is_some() {
        status = "Terminating".into();
    }
    vec![
        name(&p.metadata),
        format!("{ready}/{total}"),
        status,
        restarts.to_string(),
        age::age(p.metadata.creation_timestamp.as_ref(), now),
    ]
}

fn node_row(n: &Node, now: DateTime<Utc>) -> Vec<String> {
    let ready =
        n.status.as_ref().and_then(|s| s.conditions.as_ref()).and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"));
    let mut status = match ready.map(|c| c.status.as_str()) {
        Some("True") => "Ready".to_string(),
        Some(_) => "NotReady".to_string(),
        None => "Unknown".to_string(),
    };
    if n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false) {
        status.push_str(",SchedulingDisabled");
    }
    let roles: Vec<&str> = n
        .metadata
        .labels
        .iter()
        .flatten()
        .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
        .filter(|r| !r.is_empty())
        .collect();
    let version =
        n.status.as_ref().and_then(|s| s.node_info.as_ref()).map(|i| i.kubelet_version.clone()).unwrap_or_default();
    vec![
        name(&n.metadata),
        status,
        if roles.is_empty() { "<none>".into() } else { roles.join(",") },
        age::age(n.metadata.creation_timestamp.as_ref(), now),
        version,
    ]
}

fn deployment_row(d: &Deployment, now: DateTime<Utc>) -> Vec<String> {
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let st = d.status.as_ref();
    let ready = st.and_then(|s| s.ready_replicas).unwrap_or(0);
    let updated = st.and_then(|s| s.updated_replicas).unwrap_or(0);
    let available = st.and_then(|s| s.available_replicas).unwrap_or(0);
    vec![
        name(&d.metadata),
        format!("{ready}/{desired}"),
        updated.to_string(),
        available.to_string(),
        age::age(d.metadata.creation_timestamp.as_ref(), now),
    ]
}
