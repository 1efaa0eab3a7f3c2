//! The EndpointSlice reconciler (`k8s.io/endpointslice`'s `Reconciler`): from a Service and
//! the pods it selects, the endpoints each slice should hold, grouped by the ports they resolve
//! to; then the fewest writes that get there — existing slices keep the endpoints still wanted
//! and are filled up first, leftovers go into the unchanged slice they fit best, or new slices
//! of at most 100; a slice left empty is deleted, or reused for a slice that would be created;
//! a Service with no endpoints keeps one empty placeholder slice.

use std::collections::{BTreeMap, VecDeque};

use crate::model::Pod;
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::util::{
    find_port, format_trigger_time, is_pod_ready, is_service_ip_set, pod_ip, pod_reference, should_pod_be_in_endpoints,
    should_set_hostname, HEADLESS, LAST_CHANGE_TRIGGER_TIME,
};
use crate::apiserver::{ApiError, ApiServer, DeleteOptions, Reason};
use crate::controllers::controller_utils::{is_namespace_terminating, new_controller_ref};
use crate::controllers::informers::Informers;
use crate::model::{Kind, Object};

/// `--max-endpoints-per-slice`'s default.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;
/// `discovery.LabelServiceName`.
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
/// `discovery.LabelManagedBy`.
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
/// The controller's value of the managed-by label.
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
/// kubesim's pods and Services are IPv4 only.
const ADDRESS_TYPE: &str = "IPv4";

/// A set of ports, as the key slices are grouped by (`PortMapKey`).
pub(crate) type PortKey = Vec<(String, i32, String, String)>;

pub(crate) fn port_key(ports: &[EndpointPort]) -> PortKey {
    let mut key: PortKey = ports
        .iter()
        .map(|p| {
            let name = p.name.clone().unwrap_or_default();
            let proto = p.protocol.clone().unwrap_or_default();
            (name, p.port.unwrap_or(0), proto, p.app_protocol.clone().unwrap_or_default())
        })
        .collect();
    key.sort();
    key
}

/// What identifies an endpoint across syncs (`hashEndpoint`): its addresses, hostname and pod.
fn endpoint_key(e: &Endpoint) -> (Vec<String>, Option<String>, Option<String>, Option<String>) {
    let target = e.target_ref.as_ref();
    (
        e.addresses.clone(),
        e.hostname.clone(),
        target.and_then(|t| t.namespace.clone()),
        target.and_then(|t| t.name.clone()),
    )
}

/// `getEndpointPorts`: the Service's ports as this pod serves them; a port whose named
/// target the pod lacks is left out.
fn endpoint_ports(service: &Service, pod: &Pod) -> Vec<EndpointPort> {
    let ports = service.spec.as_ref().and_then(|s| s.ports.as_deref()).unwrap_or_default();
    ports
        .iter()
        .filter_map(|sp| {
            let port = find_port(pod, sp)?;
            Some(EndpointPort {
                name: Some(sp.name.clone().unwrap_or_default()),
                port: Some(port),
                protocol: Some(sp.protocol.clone().unwrap_or_else(|| "TCP".into())),
                app_protocol: sp.app_protocol.clone(),
            })
        })
        .collect()
}

/// `podToEndpoint`.
fn pod_to_endpoint(pod: &Pod, zone: Option<String>, service: &Service) -> Endpoint {
    let publish = service.spec.as_ref().and_then(|s| s.publish_not_ready_addresses).unwrap_or(false);
    let serving = is_pod_ready(pod);
    let terminating = pod.metadata.deletion_timestamp.is_some();
    // A terminating endpoint is never ready, unless not-ready addresses are published.
    let ready = publish || (serving && !terminating);
    let node = pod.spec.as_ref().and_then(|s| s.node_name.clone()).filter(|n| !n.is_empty());
    Endpoint {
        addresses: pod_ip(pod).map(str::to_string).into_iter().collect(),
        conditions: Some(EndpointConditions {
            ready: Some(ready),
            serving: Some(serving),
            terminating: Some(terminating),
        }),
        target_ref: Some(pod_reference(pod)),
        node_name: node,
        zone,
        hostname: should_set_hostname(pod, service)
            .then(|| pod.spec.as_ref().and_then(|s| s.hostname.clone()))
            .flatten(),
        ..Endpoint::default()
    }
}

/// `setEndpointSliceLabels`: the Service's labels (but the reserved ones), the headless mark,
/// the Service's name and the manager. The bool says whether the copied labels changed.
fn slice_labels(
    slice_labels: Option<&BTreeMap<String, String>>,
    service: &Service,
) -> (BTreeMap<String, String>, bool) {
    let reserved = |k: &str| k == LABEL_SERVICE_NAME || k == LABEL_MANAGED_BY || k == HEADLESS;
    let copy = |m: Option<&BTreeMap<String, String>>| -> BTreeMap<String, String> {
        m.into_iter().flatten().filter(|(k, _)| !reserved(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    let mut labels = copy(service.metadata.labels.as_ref());
    let changed = copy(slice_labels) != labels;
    if !is_service_ip_set(service) {
        labels.insert(HEADLESS.into(), String::new());
    }
    labels.insert(LABEL_SERVICE_NAME.into(), service.metadata.name.clone().unwrap_or_default());
    labels.insert(LABEL_MANAGED_BY.into(), CONTROLLER_NAME.into());
    (labels, changed)
}

/// `newEndpointSlice`: an unnamed slice (the API server names it from `<service>-`).
fn new_slice(service: &Service, service_obj: &Object, ports: Vec<EndpointPort>) -> EndpointSlice {
    let name = service.metadata.name.clone().unwrap_or_default();
    let (labels, _) = slice_labels(None, service);
    EndpointSlice {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}-")),
            namespace: service.metadata.namespace.clone(),
            labels: Some(labels),
            owner_references: Some(vec![new_controller_ref(service_obj)]),
            ..ObjectMeta::default()
        },
        address_type: ADDRESS_TYPE.into(),
        endpoints: Vec::new(),
        ports: Some(ports),
    }
}

/// `ownedBy`.
fn owned_by(slice: &EndpointSlice, service: &Service) -> bool {
    slice
        .metadata
        .owner_references
        .iter()
        .flatten()
        .any(|o| Some(&o.uid) == service.metadata.uid.as_ref() && o.kind == "Service" && o.api_version == "v1")
}

/// The writes a sync makes.
#[derive(Default)]
pub(crate) struct Changes {
    pub create: Vec<EndpointSlice>,
    pub update: Vec<EndpointSlice>,
    pub delete: Vec<EndpointSlice>,
}

/// Bring the slices of `service` (its `existing` managed slices, not being deleted) in line
/// with the pods it selects.
pub fn reconcile(
    api: &mut ApiServer,
    user: &str,
    informers: &Informers,
    service_obj: &Object,
    pods: &[&Pod],
    existing: Vec<EndpointSlice>,
    trigger: Option<DateTime<Utc>>,
) -> Result<(), ApiError> {
    let Object::Service(service) = service_obj else { return Ok(()) };
    let mut changes = Changes::default();
    let (mut ours, theirs): (Vec<EndpointSlice>, Vec<EndpointSlice>) =
        existing.into_iter().partition(|s| s.address_type == ADDRESS_TYPE && owned_by(s, service));
    // Slices of another address type, or of an older Service of the same name, go.
    changes.delete.extend(theirs);
    let existing_count = ours.len() + changes.delete.len();
    ours.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));

    // The desired endpoints, grouped by the ports they resolve to.
    let publish = service.spec.as_ref().and_then(|s| s.publish_not_ready_addresses).unwrap_or(false);
    let mut desired: BTreeMap<PortKey, (Vec<EndpointPort>, Vec<Endpoint>)> = BTreeMap::new();
    let mut missing_node = None;
    for pod in pods {
        if !should_pod_be_in_endpoints(pod, true) {
            continue;
        }
        let ports = endpoint_ports(service, pod);
        let node_name = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).unwrap_or("");
        let node = informers.get(Kind::Node, node_name);
        if node.is_none() && !publish {
            // Left out, and the Service synced again later (the pod GC will remove the pod).
            missing_node.get_or_insert_with(|| (pod.metadata.name.clone().unwrap_or_default(), node_name.to_string()));
            continue;
        }
        let zone = node.and_then(|n| n.labels().get("topology.kubernetes.io/zone").filter(|z| !z.is_empty()).cloned());
        let endpoint = pod_to_endpoint(pod, zone, service);
        if endpoint.addresses.is_empty() {
            continue;
        }
        desired.entry(port_key(&ports)).or_insert_with(|| (ports, Vec::new())).1.push(endpoint);
    }

    let mut by_ports: BTreeMap<PortKey, Vec<EndpointSlice>> = BTreeMap::new();
    for slice in ours {
        by_ports.entry(port_key(slice.ports.as_deref().unwrap_or_default())).or_default().push(slice);
    }
    for (key, slices) in std::mem::take(&mut by_ports) {
        match desired.remove(&key) {
            Some((ports, endpoints)) => by_port_mapping(service, service_obj, slices, ports, endpoints, &mut changes),
            None => changes.delete.extend(slices),
        }
    }
    for (_, (ports, endpoints)) in desired {
        by_port_mapping(service, service_obj, Vec::new(), ports, endpoints, &mut changes);
    }

    // A Service with no endpoints keeps one empty slice.
    if existing_count == changes.delete.len() && changes.create.is_empty() {
        let placeholder = new_slice(service, service_obj, Vec::new());
        let same = |s: &EndpointSlice| {
            s.metadata.namespace == placeholder.metadata.namespace
                && s.metadata.labels == placeholder.metadata.labels
                && s.metadata.owner_references == placeholder.metadata.owner_references
                && s.address_type == placeholder.address_type
                && s.endpoints.is_empty()
                && s.ports.as_deref().unwrap_or_default().is_empty()
        };
        if changes.delete.len() == 1 && same(&changes.delete[0]) {
            changes.delete.clear();
        } else {
            changes.create.push(placeholder);
        }
    }
    finalize(api, user, service, changes, trigger)?;
    match missing_node {
        Some((pod, node)) => Err(ApiError::new(
            Reason::NotFound,
            format!(
                "skipping Pod {pod} for Service {}/{}: Node {node} Not Found",
                service.metadata.namespace.as_deref().unwrap_or(""),
                service.metadata.name.as_deref().unwrap_or("")
            ),
        )),
        None => Ok(()),
    }
}

/// `reconcileByPortMapping`: the slices of one set of ports.
fn by_port_mapping(
    service: &Service,
    service_obj: &Object,
    existing: Vec<EndpointSlice>,
    ports: Vec<EndpointPort>,
    endpoints: Vec<Endpoint>,
    changes: &mut Changes,
) {
    // The wanted endpoints not yet placed, in pod order.
    let mut wanted: Vec<Option<Endpoint>> = endpoints.into_iter().map(Some).collect();
    let index: BTreeMap<_, usize> =
        wanted.iter().enumerate().filter_map(|(i, e)| Some((endpoint_key(e.as_ref()?), i))).collect();
    let mut update: Vec<EndpointSlice> = Vec::new();
    let mut unchanged: Vec<EndpointSlice> = Vec::new();

    // 1. Keep what is still wanted in each slice, in its wanted form.
    for mut slice in existing {
        let mut kept = Vec::new();
        let mut changed = false;
        for e in &slice.endpoints {
            if let Some(got) = index.get(&endpoint_key(e)).and_then(|i| wanted[*i].take()) {
                changed |= got != *e;
                kept.push(got);
            }
        }
        let (labels, labels_changed) = slice_labels(slice.metadata.labels.as_ref(), service);
        if changed || kept.len() != slice.endpoints.len() {
            if kept.is_empty() {
                changes.delete.push(slice);
            } else {
                slice.endpoints = kept;
                slice.metadata.labels = Some(labels);
                update.push(slice);
            }
        } else if labels_changed {
            slice.metadata.labels = Some(labels);
            update.push(slice);
        } else {
            unchanged.push(slice);
        }
    }
    let mut left: VecDeque<Endpoint> = wanted.into_iter().flatten().collect();

    // 2. Fill the slices being written anyway, the fullest first.
    if !left.is_empty() && !update.is_empty() {
        update.sort_by_key(|s| std::cmp::Reverse(s.endpoints.len()));
        for slice in &mut update {
            while slice.endpoints.len() < MAX_ENDPOINTS_PER_SLICE {
                let Some(e) = left.pop_front() else { break };
                slice.endpoints.push(e);
            }
        }
    }

    // 3. The rest into the unchanged slice it fits best, else into new slices.
    while !left.is_empty() {
        let fill = if left.len() < MAX_ENDPOINTS_PER_SLICE { slice_to_fill(&unchanged, left.len()) } else { None };
        let mut slice = match fill {
            Some(i) => unchanged.remove(i),
            None => new_slice(service, service_obj, ports.clone()),
        };
        while slice.endpoints.len() < MAX_ENDPOINTS_PER_SLICE {
            let Some(e) = left.pop_front() else { break };
            slice.endpoints.push(e);
        }
        if slice.metadata.name.is_some() {
            update.push(slice);
        } else {
            changes.create.push(slice);
        }
    }
    changes.update.extend(update);
}

/// `getSliceToFill`: the slice that `n` more endpoints would bring closest to full.
fn slice_to_fill(slices: &[EndpointSlice], n: usize) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, s) in slices.iter().enumerate() {
        let Some(diff) = MAX_ENDPOINTS_PER_SLICE.checked_sub(n + s.endpoints.len()) else { continue };
        if best.is_none_or(|(d, _)| diff < d) {
            best = Some((diff, i));
            if diff == 0 {
                break;
            }
        }
    }
    best.map(|(_, i)| i)
}

/// `addTriggerTimeAnnotation`.
fn set_trigger_time(slice: &mut EndpointSlice, trigger: Option<DateTime<Utc>>) {
    let annotations = slice.metadata.annotations.get_or_insert_with(BTreeMap::new);
    match trigger {
        Some(t) => {
            annotations.insert(LAST_CHANGE_TRIGGER_TIME.into(), format_trigger_time(t));
        }
        None => {
            annotations.remove(LAST_CHANGE_TRIGGER_TIME);
        }
    }
}

/// `finalize`: a slice to create takes the place of one to delete where it can; then the
/// writes, with the trigger time.
fn finalize(
    api: &mut ApiServer,
    user: &str,
    service: &Service,
    mut changes: Changes,
    trigger: Option<DateTime<Utc>>,
) -> Result<(), ApiError> {
    recycle(&mut changes, |s| s.address_type == ADDRESS_TYPE && owned_by(s, service));
    for slice in changes.create.iter_mut().chain(changes.update.iter_mut()) {
        set_trigger_time(slice, trigger);
    }
    let namespace = service.metadata.namespace.as_deref().unwrap_or("");
    let what = format!("Service {namespace}/{}", service.metadata.name.as_deref().unwrap_or(""));
    write(api, user, namespace, &what, service.metadata.deletion_timestamp.is_none(), changes)
}

/// Slices to create take the names of slices to delete that `reusable` allows: they become
/// updates (`recycleSlices`).
pub(crate) fn recycle(changes: &mut Changes, reusable: impl Fn(&EndpointSlice) -> bool) {
    let mut i = 0;
    while i < changes.delete.len() && !changes.create.is_empty() {
        if reusable(&changes.delete[i]) {
            let old = changes.delete.remove(i);
            let mut slice = changes.create.pop().unwrap_or_default();
            slice.metadata.name = old.metadata.name;
            slice.metadata.generate_name = old.metadata.generate_name;
            slice.metadata.resource_version = old.metadata.resource_version;
            if slice.metadata.annotations.is_none() {
                slice.metadata.annotations = old.metadata.annotations;
            }
            changes.update.push(slice);
        } else {
            i += 1;
        }
    }
}

/// The creates (unless `create` is false: the owner is being deleted), updates and deletes
/// of a sync, in that order; errors in upstream's words, for `what` (`Service ns/name`).
pub(crate) fn write(
    api: &mut ApiServer,
    user: &str,
    namespace: &str,
    what: &str,
    create: bool,
    changes: Changes,
) -> Result<(), ApiError> {
    if create {
        for slice in changes.create {
            if let Err(e) = api.create(user, namespace, Object::EndpointSlice(Box::new(slice))) {
                // A terminating namespace refuses every create: drop the sync.
                if is_namespace_terminating(&e) {
                    return Ok(());
                }
                return Err(ApiError::new(
                    e.reason,
                    format!("failed to create EndpointSlice for {what}: {}", e.message),
                ));
            }
        }
    }
    for slice in changes.update {
        let name = slice.metadata.name.clone().unwrap_or_default();
        api.update(user, Object::EndpointSlice(Box::new(slice))).map_err(|e| {
            ApiError::new(e.reason, format!("failed to update {name} EndpointSlice for {what}: {}", e.message))
        })?;
    }
    for slice in changes.delete {
        let name = slice.metadata.name.clone().unwrap_or_default();
        match api.delete(user, Kind::EndpointSlice, namespace, &name, DeleteOptions::default()) {
            Err(e) if e.reason != Reason::NotFound => {
                let msg = format!("failed to delete {name} EndpointSlice for {what}: {}", e.message);
                return Err(ApiError::new(e.reason, msg));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::ObjectReference;

    use super::*;
    use crate::model::decode;

    fn service() -> (Service, Object) {
        let obj = decode(serde_json::json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "default", "uid": "svc-uid"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], "clusterIP": "10.96.0.50"}}))
        .expect("the service decodes");
        let Object::Service(s) = &obj else { unreachable!("a Service") };
        ((**s).clone(), obj)
    }

    fn endpoint(i: usize) -> Endpoint {
        Endpoint {
            addresses: vec![format!("10.244.{}.{}", i / 250, i % 250 + 2)],
            target_ref: Some(ObjectReference { name: Some(format!("web-{i}")), ..ObjectReference::default() }),
            ..Endpoint::default()
        }
    }

    fn named(mut s: EndpointSlice, name: &str) -> EndpointSlice {
        s.metadata.name = Some(name.into());
        s
    }

    #[test]
    fn at_most_100_endpoints_a_slice() {
        let (svc, obj) = service();
        let mut changes = Changes::default();
        by_port_mapping(&svc, &obj, Vec::new(), Vec::new(), (0..250).map(endpoint).collect(), &mut changes);
        let sizes: Vec<usize> = changes.create.iter().map(|s| s.endpoints.len()).collect();
        assert_eq!(sizes, vec![100, 100, 50]);
        assert!(changes.update.is_empty() && changes.delete.is_empty());
        let labels = changes.create[0].metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get(LABEL_SERVICE_NAME).map(String::as_str), Some("web"));
        assert_eq!(labels.get(LABEL_MANAGED_BY).map(String::as_str), Some(CONTROLLER_NAME));
        assert_eq!(changes.create[0].metadata.generate_name.as_deref(), Some("web-"));
    }

    #[test]
    fn a_changed_slice_is_filled_first_and_an_emptied_one_deleted() {
        let (svc, obj) = service();
        let mut first = Changes::default();
        by_port_mapping(&svc, &obj, Vec::new(), Vec::new(), (0..150).map(endpoint).collect(), &mut first);
        let existing = vec![named(first.create[0].clone(), "web-aaaaa"), named(first.create[1].clone(), "web-bbbbb")];
        // Ten pods of the full slice go, five new ones come: they fill the slice being written.
        let wanted: Vec<Endpoint> = (10..155).map(endpoint).collect();
        let mut changes = Changes::default();
        by_port_mapping(&svc, &obj, existing.clone(), Vec::new(), wanted, &mut changes);
        assert!(changes.create.is_empty() && changes.delete.is_empty());
        let updated: Vec<(Option<&str>, usize)> =
            changes.update.iter().map(|s| (s.metadata.name.as_deref(), s.endpoints.len())).collect();
        assert_eq!(updated, vec![(Some("web-aaaaa"), 95)]);
        // Every pod of the second slice goes: it is deleted.
        let mut changes = Changes::default();
        by_port_mapping(&svc, &obj, existing, Vec::new(), (0..100).map(endpoint).collect(), &mut changes);
        let deleted: Vec<Option<&str>> = changes.delete.iter().map(|s| s.metadata.name.as_deref()).collect();
        assert_eq!(deleted, vec![Some("web-bbbbb")]);
        assert!(changes.update.is_empty() && changes.create.is_empty());
    }

    #[test]
    fn the_slice_that_fits_best_takes_the_leftovers() {
        let slice = |n: usize| EndpointSlice { endpoints: (0..n).map(endpoint).collect(), ..EndpointSlice::default() };
        let slices = vec![slice(90), slice(60), slice(95)];
        assert_eq!(slice_to_fill(&slices, 5), Some(2));
        assert_eq!(slice_to_fill(&slices, 10), Some(0));
        assert_eq!(slice_to_fill(&slices, 50), None);
    }
}
