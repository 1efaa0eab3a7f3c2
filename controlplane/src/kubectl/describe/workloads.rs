//! Workloads: Deployments, ReplicaSets, ReplicationControllers, DaemonSets, StatefulSets.

use std::sync::Arc;

use crate::model::Pod;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::ReplicationController;

use super::common::*;
use super::writer::{out, Writer};
use super::Ctx;
use crate::controllers::deployment::util::equal_ignore_hash;
use crate::kubectl::printers::selector_string;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};

/// `getPodStatusForController`: the phases of the pods in the namespace that match the
/// selector and are controlled by the owner with this uid: running, waiting (pending),
/// succeeded, failed.
fn pod_statuses(ctx: &mut Ctx<'_>, namespace: &str, selector: &LabelSelector, uid: &str) -> (u32, u32, u32, u32) {
    let mut counts = (0, 0, 0, 0);
    for obj in ctx.list(Kind::Pod, Some(namespace), selector) {
        let Some(pod) = Pod::from_object(&obj) else { continue };
        if controller_of(&pod.metadata).is_none_or(|r| r.uid != uid) {
            continue;
        }
        match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
            Some("Running") => counts.0 += 1,
            Some("Pending") => counts.1 += 1,
            Some("Succeeded") => counts.2 += 1,
            Some("Failed") => counts.3 += 1,
            _ => {}
        }
    }
    counts
}

fn pods_status_line(w: &mut Writer, (running, waiting, succeeded, failed): (u32, u32, u32, u32)) {
    out!(w, 0, "Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n");
}

fn label_selector(sel: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>) -> LabelSelector {
    match sel {
        Some(sel) => LabelSelector::from_k8s(sel).unwrap_or_else(|_| LabelSelector::nothing()),
        None => LabelSelector::nothing(),
    }
}

pub(super) fn describe_deployment(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let d = Deployment::from_object(obj).ok_or("not a deployment")?;
    let meta = &d.metadata;
    let spec = d.spec.clone().unwrap_or_default();
    let status = d.status.clone().unwrap_or_default();
    let selector = selector_string(Some(&spec.selector)).map_err(|e| e.to_string())?;
    let events = ctx.events_for(obj);
    let (old, new) = replica_sets_of(ctx, d);

    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    out!(w, 0, "CreationTimestamp:\t{}\n", rfc1123z(meta.creation_timestamp.as_ref()));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "Selector:\t{selector}\n");
    out!(
        w,
        0,
        "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
        spec.replicas.unwrap_or(1),
        status.updated_replicas.unwrap_or(0),
        status.replicas.unwrap_or(0),
        status.available_replicas.unwrap_or(0),
        status.unavailable_replicas.unwrap_or(0)
    );
    let strategy = spec.strategy.clone().unwrap_or_default();
    out!(w, 0, "StrategyType:\t{}\n", s(&strategy.type_));
    out!(w, 0, "MinReadySeconds:\t{}\n", spec.min_ready_seconds.unwrap_or(0));
    if let Some(ru) = &strategy.rolling_update {
        let show = |v: &Option<k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>| {
            v.as_ref().map_or("0".to_string(), int_or_string)
        };
        out!(
            w,
            0,
            "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
            show(&ru.max_unavailable),
            show(&ru.max_surge)
        );
    }
    pod_template(&mut w, Some(&spec.template));
    let conditions = list(&status.conditions);
    if !conditions.is_empty() {
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n");
        w.write(1, "----\t------\t------\n");
        for c in conditions {
            out!(w, 1, "{} \t{}\t{}\n", c.type_, c.status, s(&c.reason));
        }
    }
    if !old.is_empty() || new.is_some() {
        out!(w, 0, "OldReplicaSets:\t{}\n", replica_sets_line(&old));
        out!(w, 0, "NewReplicaSet:\t{}\n", replica_sets_line(&new.into_iter().collect::<Vec<_>>()));
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

/// `printReplicaSetsByLabels`: `name (2/3 replicas created), ...` or `<none>`.
fn replica_sets_line(sets: &[Arc<Object>]) -> String {
    let items: Vec<String> = sets
        .iter()
        .filter_map(|o| ReplicaSet::from_object(o))
        .map(|rs| {
            let current = rs.status.as_ref().map_or(0, |s| s.replicas);
            let desired = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            format!("{} ({current}/{desired} replicas created)", s(&rs.metadata.name))
        })
        .collect();
    if items.is_empty() {
        "<none>".to_string()
    } else {
        items.join(", ")
    }
}

/// kubectl's `GetAllReplicaSetsInChunks`: the ReplicaSets the deployment controls, oldest
/// first; the new one is the oldest whose template is the deployment's (ignoring the
/// `pod-template-hash` label), the old ones the others that still want replicas.
fn replica_sets_of(ctx: &mut Ctx<'_>, d: &Deployment) -> (Vec<Arc<Object>>, Option<Arc<Object>>) {
    let spec = d.spec.clone().unwrap_or_default();
    let uid = s(&d.metadata.uid).to_string();
    let selector = label_selector(Some(&spec.selector));
    let mut owned: Vec<Arc<Object>> = ctx
        .list(Kind::ReplicaSet, Some(s(&d.metadata.namespace)), &selector)
        .into_iter()
        .filter(|o| controller_of(o.metadata()).is_some_and(|r| r.uid == uid))
        .collect();
    owned.sort_by(|a, b| {
        let key = |o: &Arc<Object>| (o.metadata().creation_timestamp.as_ref().map(|t| t.0), o.name().to_string());
        key(a).cmp(&key(b))
    });
    let new = owned.iter().find(|o| {
        ReplicaSet::from_object(o)
            .and_then(|rs| rs.spec.as_ref())
            .and_then(|s| s.template.as_ref())
            .is_some_and(|t| equal_ignore_hash(t, &spec.template))
    });
    let new = new.cloned();
    let old = owned
        .into_iter()
        .filter(|o| new.as_ref().is_none_or(|n| n.metadata().uid != o.metadata().uid))
        .filter(|o| {
            ReplicaSet::from_object(o).and_then(|rs| rs.spec.as_ref()).and_then(|s| s.replicas).unwrap_or(1) != 0
        })
        .collect();
    (old, new)
}

fn replica_set_conditions(w: &mut Writer, conditions: &[(String, String, String)]) {
    if conditions.is_empty() {
        return;
    }
    w.write(0, "Conditions:\n  Type\tStatus\tReason\n");
    w.write(1, "----\t------\t------\n");
    for (type_, status, reason) in conditions {
        out!(w, 1, "{type_} \t{status}\t{reason}\n");
    }
}

pub(super) fn describe_replica_set(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let rs = ReplicaSet::from_object(obj).ok_or("not a replica set")?;
    let meta = &rs.metadata;
    let spec = rs.spec.clone().unwrap_or_default();
    let status = rs.status.clone().unwrap_or_default();
    let selector = label_selector(Some(&spec.selector));
    let counts = pod_statuses(ctx, s(&meta.namespace), &selector, s(&meta.uid));
    let events = ctx.events_for(obj);
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    out!(w, 0, "Selector:\t{}\n", crate::kubectl::printers::format_label_selector(Some(&spec.selector)));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    controlled_by(&mut w, meta);
    out!(w, 0, "Replicas:\t{} current / {} desired\n", status.replicas, spec.replicas.unwrap_or(1));
    w.write(0, "Pods Status:\t");
    let (running, waiting, succeeded, failed) = counts;
    out!(w, 0, "{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n");
    pod_template(&mut w, spec.template.as_ref());
    let conditions: Vec<_> = list(&status.conditions)
        .iter()
        .map(|c| (c.type_.clone(), c.status.clone(), s(&c.reason).to_string()))
        .collect();
    replica_set_conditions(&mut w, &conditions);
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

pub(super) fn describe_replication_controller(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let rc = ReplicationController::from_object(obj).ok_or("not a replication controller")?;
    let meta = &rc.metadata;
    let spec = rc.spec.clone().unwrap_or_default();
    let status = rc.status.clone().unwrap_or_default();
    let selector_map = strings(&spec.selector);
    let selector =
        if selector_map.is_empty() { LabelSelector::everything() } else { LabelSelector::from_labels(selector_map) };
    let counts = pod_statuses(ctx, s(&meta.namespace), &selector, s(&meta.uid));
    let events = ctx.events_for(obj);
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    out!(w, 0, "Selector:\t{}\n", format_labels(selector_map));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "Replicas:\t{} current / {} desired\n", status.replicas, spec.replicas.unwrap_or(1));
    pods_status_line(&mut w, counts);
    pod_template(&mut w, spec.template.as_ref());
    let conditions: Vec<_> = list(&status.conditions)
        .iter()
        .map(|c| (c.type_.clone(), c.status.clone(), s(&c.reason).to_string()))
        .collect();
    replica_set_conditions(&mut w, &conditions);
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

pub(super) fn describe_daemon_set(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let ds = DaemonSet::from_object(obj).ok_or("not a daemon set")?;
    let meta = &ds.metadata;
    let spec = ds.spec.clone().unwrap_or_default();
    let status = ds.status.clone().unwrap_or_default();
    let selector_text = selector_string(Some(&spec.selector))?;
    let selector = label_selector(Some(&spec.selector));
    let counts = pod_statuses(ctx, s(&meta.namespace), &selector, s(&meta.uid));
    let events = ctx.events_for(obj);
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Selector:\t{selector_text}\n");
    let node_selector = spec.template.spec.as_ref().map(|s| strings(&s.node_selector).clone()).unwrap_or_default();
    out!(w, 0, "Node-Selector:\t{}\n", format_labels(&node_selector));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "Desired Number of Nodes Scheduled: {}\n", status.desired_number_scheduled);
    out!(w, 0, "Current Number of Nodes Scheduled: {}\n", status.current_number_scheduled);
    out!(w, 0, "Number of Nodes Scheduled with Up-to-date Pods: {}\n", status.updated_number_scheduled.unwrap_or(0));
    out!(w, 0, "Number of Nodes Scheduled with Available Pods: {}\n", status.number_available.unwrap_or(0));
    out!(w, 0, "Number of Nodes Misscheduled: {}\n", status.number_misscheduled);
    pods_status_line(&mut w, counts);
    pod_template(&mut w, Some(&spec.template));
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

pub(super) fn describe_stateful_set(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let sts = StatefulSet::from_object(obj).ok_or("not a stateful set")?;
    let meta = &sts.metadata;
    let spec = sts.spec.clone().unwrap_or_default();
    let status = sts.status.clone().unwrap_or_default();
    let selector_text = selector_string(Some(&spec.selector))?;
    let selector = label_selector(Some(&spec.selector));
    let counts = pod_statuses(ctx, s(&meta.namespace), &selector, s(&meta.uid));
    let events = ctx.events_for(obj);
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    out!(w, 0, "CreationTimestamp:\t{}\n", rfc1123z(meta.creation_timestamp.as_ref()));
    out!(w, 0, "Selector:\t{selector_text}\n");
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "Replicas:\t{} desired | {} total\n", spec.replicas.unwrap_or(1), status.replicas);
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    out!(w, 0, "Update Strategy:\t{}\n", s(&strategy.type_));
    if let Some(ru) = &strategy.rolling_update {
        if let Some(partition) = ru.partition {
            out!(w, 1, "Partition:\t{partition}\n");
            if let Some(max) = &ru.max_unavailable {
                out!(w, 1, "MaxUnavailable:\t{}\n", int_or_string(max));
            }
        }
    }
    pods_status_line(&mut w, counts);
    pod_template(&mut w, Some(&spec.template));
    let templates = list(&spec.volume_claim_templates);
    if templates.is_empty() {
        w.write(0, "Volume Claims:\t<none>\n");
    } else {
        w.write(0, "Volume Claims:\n");
        for pvc in templates {
            let pvc_meta = &pvc.metadata;
            let pvc_spec = pvc.spec.clone().unwrap_or_default();
            out!(w, 1, "Name:\t{}\n", s(&pvc_meta.name));
            let class = match strings(&pvc_meta.annotations).get("volume.beta.kubernetes.io/storage-class") {
                Some(c) => c.clone(),
                None => s(&pvc_spec.storage_class_name).to_string(),
            };
            out!(w, 1, "StorageClass:\t{class}\n");
            labels_multiline_with_indent(&mut w, "  ", "Labels", "\t", pvc_meta.labels.as_ref());
            labels_multiline_with_indent(&mut w, "  ", "Annotations", "\t", pvc_meta.annotations.as_ref());
            let capacity = pvc_spec.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get("storage"));
            out!(w, 1, "Capacity:\t{}\n", capacity.map_or("<default>", qty));
            out!(w, 1, "Access Modes:\t{}\n", go_list(list(&pvc_spec.access_modes)));
        }
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}
