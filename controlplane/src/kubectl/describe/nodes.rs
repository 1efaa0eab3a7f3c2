//! Nodes (`describeNode`, `describeNodeResource`).

use std::collections::BTreeMap;

use crate::model::shared::Lease;
use crate::model::shared::Node;
use crate::model::Pod;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

use super::common::*;
use super::writer::{out, Writer};
use super::Ctx;
use crate::model::field_selector::FieldSelector;
use crate::model::quantity::Quantity;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};

/// `node-role.kubernetes.io/<role>` labels name a node's roles, as does `kubernetes.io/role`.
fn roles(node: &Node) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    for (k, v) in strings(&node.metadata.labels) {
        let role = if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
            role
        } else if k == "kubernetes.io/role" {
            v.as_str()
        } else {
            continue;
        };
        if !role.is_empty() && !roles.iter().any(|r| r == role) {
            roles.push(role.to_string());
        }
    }
    roles.sort();
    roles
}

pub(super) fn describe_node(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let node = Node::from_object(obj).ok_or("not a node")?;
    let meta = &node.metadata;
    let name = s(&meta.name);
    let fields = FieldSelector::parse(&format!(
        "spec.nodeName={},status.phase!=Succeeded,status.phase!=Failed",
        crate::model::field_selector::escape_value(name)
    ))
    .map_err(|e| e.to_string())?;
    let pods = ctx.list_selected(Kind::Pod, None, &LabelSelector::everything(), &fields);
    // Controllers record node events under the node's uid, kubelets under its name.
    let events = ctx.show_events.then(|| {
        let mut events = ctx.search_events("", name, Some("Node"), Some(s(&meta.uid)));
        events.extend(ctx.search_events("", name, Some("Node"), Some(name)));
        events
    });
    let lease = ctx.get(Kind::Lease, "kube-node-lease", name);

    let spec = node.spec.clone().unwrap_or_default();
    let status = node.status.clone().unwrap_or_default();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{name}\n");
    let roles = roles(node);
    out!(w, 0, "Roles:\t{}\n", if roles.is_empty() { "<none>".to_string() } else { roles.join(",") });
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "CreationTimestamp:\t{}\n", rfc1123z(meta.creation_timestamp.as_ref()));
    taints_multiline(&mut w, "Taints", list(&spec.taints));
    out!(w, 0, "Unschedulable:\t{}\n", go_bool(spec.unschedulable.unwrap_or(false)));
    match lease.as_deref().map(Lease::from_object) {
        Ok(Some(lease)) => {
            let spec = lease.spec.clone().unwrap_or_default();
            w.write(0, "Lease:\n");
            out!(w, 1, "HolderIdentity:\t{}\n", spec.holder_identity.as_deref().unwrap_or("<unset>"));
            let micro = |t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime>| {
                t.map_or("<unset>".to_string(), |t| {
                    rfc1123z(Some(&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(t.0)))
                })
            };
            out!(w, 1, "AcquireTime:\t{}\n", micro(spec.acquire_time.as_ref()));
            out!(w, 1, "RenewTime:\t{}\n", micro(spec.renew_time.as_ref()));
        }
        Ok(None) => {}
        Err(e) => out!(w, 0, "Lease:\tFailed to get lease: {}\n", e.message),
    }
    let conditions = list(&status.conditions);
    if !conditions.is_empty() {
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n");
        for c in conditions {
            out!(
                w,
                1,
                "{} \t{} \t{} \t{} \t{} \t{}\n",
                c.type_,
                c.status,
                rfc1123z(c.last_heartbeat_time.as_ref()),
                rfc1123z(c.last_transition_time.as_ref()),
                s(&c.reason),
                s(&c.message)
            );
        }
    }
    w.write(0, "Addresses:\n");
    for a in list(&status.addresses) {
        out!(w, 1, "{}:\t{}\n", a.type_, a.address);
    }
    for (title, resources) in [("Capacity", &status.capacity), ("Allocatable", &status.allocatable)] {
        let resources = quantities(resources);
        if !resources.is_empty() {
            out!(w, 0, "{title}:\n");
            for (k, q) in resources {
                out!(w, 0, "  {k}:\t{}\n", qty(q));
            }
        }
    }
    let info = status.node_info.clone().unwrap_or_default();
    w.write(0, "System Info:\n");
    out!(w, 0, "  Machine ID:\t{}\n", info.machine_id);
    out!(w, 0, "  System UUID:\t{}\n", info.system_uuid);
    out!(w, 0, "  Boot ID:\t{}\n", info.boot_id);
    out!(w, 0, "  Kernel Version:\t{}\n", info.kernel_version);
    out!(w, 0, "  OS Image:\t{}\n", info.os_image);
    out!(w, 0, "  Operating System:\t{}\n", info.operating_system);
    out!(w, 0, "  Architecture:\t{}\n", info.architecture);
    out!(w, 0, "  Container Runtime Version:\t{}\n", info.container_runtime_version);
    out!(w, 0, "  Kubelet Version:\t{}\n", info.kubelet_version);
    out!(w, 0, "  Kube-Proxy Version:\t{}\n", info.kube_proxy_version);
    if !s(&spec.pod_cidr).is_empty() {
        out!(w, 0, "PodCIDR:\t{}\n", s(&spec.pod_cidr));
    }
    if !list(&spec.pod_cidrs).is_empty() {
        out!(w, 0, "PodCIDRs:\t{}\n", list(&spec.pod_cidrs).join(","));
    }
    if !s(&spec.provider_id).is_empty() {
        out!(w, 0, "ProviderID:\t{}\n", s(&spec.provider_id));
    }
    let pods: Vec<&Pod> = pods.iter().filter_map(|o| Pod::from_object(o)).collect();
    let allocatable = if quantities(&status.allocatable).is_empty() { &status.capacity } else { &status.allocatable };
    node_resources(&mut w, &pods, quantities(allocatable), ctx);
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

/// `describeNodeResource`: the node's pods with their requests and limits as shares of the
/// allocatable resources, then the totals.
fn node_resources(w: &mut Writer, pods: &[&Pod], allocatable: &BTreeMap<String, K8sQuantity>, ctx: &Ctx<'_>) {
    out!(w, 0, "Non-terminated Pods:\t({} in total)\n", pods.len());
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n");
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n");
    let cpu = parsed(allocatable, "cpu").exact_milli_value();
    let memory = parsed(allocatable, "memory").exact_value();
    let zero = Quantity::zero();
    let mut total_requests: BTreeMap<String, Quantity> = BTreeMap::new();
    let mut total_limits: BTreeMap<String, Quantity> = BTreeMap::new();
    for pod in pods {
        let (requests, limits) = pod_requests_and_limits(pod);
        let get = |m: &BTreeMap<String, Quantity>, k: &str| m.get(k).cloned().unwrap_or_else(|| zero.clone());
        let (cpu_req, cpu_lim) = (get(&requests, "cpu"), get(&limits, "cpu"));
        let (mem_req, mem_lim) = (get(&requests, "memory"), get(&limits, "memory"));
        out!(
            w,
            1,
            "{}\t{}\t\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{}\n",
            s(&pod.metadata.namespace),
            s(&pod.metadata.name),
            cpu_req,
            percent(cpu_req.exact_milli_value(), cpu),
            cpu_lim,
            percent(cpu_lim.exact_milli_value(), cpu),
            mem_req,
            percent(mem_req.exact_value(), memory),
            mem_lim,
            percent(mem_lim.exact_value(), memory),
            since(pod.metadata.creation_timestamp.as_ref(), ctx.now)
        );
        sum_into(&mut total_requests, requests);
        sum_into(&mut total_limits, limits);
    }
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n");
    w.write(1, "Resource\tRequests\tLimits\n");
    w.write(1, "--------\t--------\t------\n");
    let get = |m: &BTreeMap<String, Quantity>, k: &str| m.get(k).cloned().unwrap_or_else(Quantity::zero);
    let share = |used: i128, of: i128| if of != 0 { percent(used, of) } else { 0 };
    let (req, lim) = (get(&total_requests, "cpu"), get(&total_limits, "cpu"));
    out!(
        w,
        1,
        "cpu\t{req} ({}%)\t{lim} ({}%)\n",
        share(req.exact_milli_value(), cpu),
        share(lim.exact_milli_value(), cpu)
    );
    let hugepages = allocatable.keys().map(String::as_str).filter(|k| k.starts_with("hugepages-"));
    for resource in ["memory", "ephemeral-storage"].into_iter().chain(hugepages) {
        let of = parsed(allocatable, resource).exact_value();
        let (req, lim) = (get(&total_requests, resource), get(&total_limits, resource));
        out!(
            w,
            1,
            "{resource}\t{req} ({}%)\t{lim} ({}%)\n",
            share(req.exact_value(), of),
            share(lim.exact_value(), of)
        );
    }
    for resource in allocatable.keys().filter(|k| is_extended(k)) {
        out!(w, 1, "{resource}\t{}\t{}\n", get(&total_requests, resource), get(&total_limits, resource));
    }
}

fn sum_into(total: &mut BTreeMap<String, Quantity>, add: BTreeMap<String, Quantity>) {
    for (k, q) in add {
        match total.get_mut(&k) {
            Some(v) => *v = v.saturating_add(&q),
            None => {
                total.insert(k, q);
            }
        }
    }
}

/// Neither a standard container resource (cpu, memory, ephemeral-storage, hugepages-*) nor
/// `pods`: an extended resource such as `nvidia.com/gpu`.
fn is_extended(name: &str) -> bool {
    let standard = ["cpu", "memory", "ephemeral-storage", "pods"];
    !standard.contains(&name) && !name.starts_with("hugepages-")
}
