//! Pods (`describePod`).

use std::collections::BTreeMap;

use crate::model::Pod;
use k8s_openapi::api::core::v1::{Container, PodSpec, ResourceRequirements};

use super::common::*;
use super::writer::{out, Writer};
use super::Ctx;
use crate::model::quantity::Quantity;
use crate::model::{Object, Typed};

/// The annotation a mirror pod carries: the uid its kubelet's events are about.
const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";

pub(super) fn describe_pod(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let pod = Pod::from_object(obj).ok_or("not a pod")?;
    let meta = &pod.metadata;
    // Events about a pod are found without its kind; a mirror pod's under its static pod's uid.
    let events = ctx.show_events.then(|| {
        let uid = match strings(&meta.annotations).get(MIRROR_POD_ANNOTATION) {
            Some(uid) => uid.clone(),
            None => s(&meta.uid).to_string(),
        };
        ctx.search_events(s(&meta.namespace), s(&meta.name), None, Some(&uid))
    });
    let spec = pod.spec.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    if let Some(p) = spec.priority {
        out!(w, 0, "Priority:\t{p}\n");
    }
    if !s(&spec.priority_class_name).is_empty() {
        out!(w, 0, "Priority Class Name:\t{}\n", s(&spec.priority_class_name));
    }
    if !s(&spec.runtime_class_name).is_empty() {
        out!(w, 0, "Runtime Class Name:\t{}\n", s(&spec.runtime_class_name));
    }
    if !s(&spec.service_account_name).is_empty() {
        out!(w, 0, "Service Account:\t{}\n", s(&spec.service_account_name));
    }
    match s(&spec.node_name) {
        "" => w.write(0, "Node:\t<none>\n"),
        node => out!(w, 0, "Node:\t{node}/{}\n", s(&status.host_ip)),
    }
    if let Some(t) = &status.start_time {
        out!(w, 0, "Start Time:\t{}\n", rfc1123z(Some(t)));
    }
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    let phase = s(&status.phase);
    if meta.deletion_timestamp.is_some() && phase != "Failed" && phase != "Succeeded" {
        out!(w, 0, "Status:\tTerminating (lasts {})\n", since(meta.deletion_timestamp.as_ref(), ctx.now));
        out!(w, 0, "Termination Grace Period:\t{}s\n", meta.deletion_grace_period_seconds.unwrap_or(0));
    } else {
        out!(w, 0, "Status:\t{phase}\n");
    }
    if !s(&status.reason).is_empty() {
        out!(w, 0, "Reason:\t{}\n", s(&status.reason));
    }
    if !s(&status.message).is_empty() {
        out!(w, 0, "Message:\t{}\n", s(&status.message));
    }
    if let Some(profile) = spec.security_context.as_ref().and_then(|sc| sc.seccomp_profile.as_ref()) {
        out!(w, 0, "SeccompProfile:\t{}\n", profile.type_);
        if profile.type_ == "Localhost" {
            out!(w, 0, "LocalhostProfile:\t{}\n", s(&profile.localhost_profile));
        }
    }
    out!(w, 0, "IP:\t{}\n", s(&status.pod_ip));
    let ips = list(&status.pod_ips);
    if ips.is_empty() {
        w.write(0, "IPs:\t<none>\n");
    } else {
        w.write(0, "IPs:\n");
        for ip in ips {
            out!(w, 1, "IP:\t{}\n", ip.ip);
        }
    }
    controlled_by(&mut w, meta);
    if !s(&status.nominated_node_name).is_empty() {
        out!(w, 0, "NominatedNodeName:\t{}\n", s(&status.nominated_node_name));
    }
    if let Some(r) = &spec.resources {
        w.write(0, "Resources:\n");
        resources(&mut w, Some(r), 1);
    }
    if !list(&spec.init_containers).is_empty() {
        describe_containers(
            &mut w,
            "Init Containers",
            list(&spec.init_containers),
            list(&status.init_container_statuses),
            Some(pod),
            "",
        );
    }
    describe_containers(&mut w, "Containers", &spec.containers, list(&status.container_statuses), Some(pod), "");
    let ephemeral = list(&spec.ephemeral_containers);
    if !ephemeral.is_empty() {
        let containers: Vec<Container> = ephemeral
            .iter()
            .map(|e| {
                // An ephemeral container has a container's fields under the same names.
                let value = serde_json::to_value(e).unwrap_or_default();
                serde_json::from_value(value).unwrap_or_default()
            })
            .collect();
        describe_containers(
            &mut w,
            "Ephemeral Containers",
            &containers,
            list(&status.ephemeral_container_statuses),
            Some(pod),
            "",
        );
    }
    let conditions = list(&status.conditions);
    let gates = list(&spec.readiness_gates);
    if !gates.is_empty() {
        w.write(0, "Readiness Gates:\n  Type\tStatus\n");
        for g in gates {
            let status =
                conditions.iter().find(|c| c.type_ == g.condition_type).map_or("<none>", |c| c.status.as_str());
            out!(w, 1, "{} \t{status} \n", g.condition_type);
        }
    }
    if !conditions.is_empty() {
        w.write(0, "Conditions:\n  Type\tStatus\n");
        for c in conditions {
            out!(w, 1, "{} \t{} \n", c.type_, c.status);
        }
    }
    describe_volumes(&mut w, list(&spec.volumes), "");
    let qos = match s(&status.qos_class) {
        "" => qos_class(&spec).to_string(),
        q => q.to_string(),
    };
    out!(w, 0, "QoS Class:\t{qos}\n");
    labels_multiline(&mut w, "Node-Selectors", spec.node_selector.as_ref());
    tolerations_multiline(&mut w, "", "Tolerations", list(&spec.tolerations));
    topology_spread_constraints(&mut w, list(&spec.topology_spread_constraints), "");
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

/// `ComputePodQOS` (kubectl's `pkg/util/qos`), for a pod whose status has no QoS class yet:
/// BestEffort without CPU or memory requests and limits; Guaranteed when every container
/// limits both and requests equal limits; else Burstable.
fn qos_class(spec: &PodSpec) -> &'static str {
    let mut requests: BTreeMap<String, Quantity> = BTreeMap::new();
    let mut limits: BTreeMap<String, Quantity> = BTreeMap::new();
    let mut guaranteed = true;
    let mut visit = |r: Option<&ResourceRequirements>| {
        let positive = |rl: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>| {
            rl.into_iter()
                .flatten()
                .filter(|(k, _)| k.as_str() == "cpu" || k.as_str() == "memory")
                .filter_map(|(k, q)| Quantity::from_k8s(q).ok().map(|q| (k.clone(), q)))
                .filter(|(_, q)| q.nanos() > 0)
                .collect::<Vec<_>>()
        };
        for (map, items) in [
            (&mut requests, positive(r.and_then(|r| r.requests.as_ref()))),
            (&mut limits, positive(r.and_then(|r| r.limits.as_ref()))),
        ] {
            for (k, q) in items {
                let sum = match map.get(&k) {
                    Some(v) => v.saturating_add(&q),
                    None => q,
                };
                map.insert(k, sum);
            }
        }
        let limited = positive(r.and_then(|r| r.limits.as_ref()));
        if !(limited.iter().any(|(k, _)| k == "cpu") && limited.iter().any(|(k, _)| k == "memory")) {
            guaranteed = false;
        }
    };
    if let Some(r) = &spec.resources {
        visit(Some(r));
    } else {
        for c in spec.containers.iter().chain(list(&spec.init_containers)) {
            visit(c.resources.as_ref());
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed && requests.iter().all(|(k, q)| limits.get(k) == Some(q)) && requests.len() == limits.len() {
        return "Guaranteed";
    }
    "Burstable"
}
