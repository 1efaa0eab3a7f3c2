//! The Endpoints controller (`endpoints-controller`, pkg/controller/endpoint): for each Service
//! with a selector (not ExternalName), an Endpoints object of the same name whose subsets list
//! the selected pods' addresses, ready or not ready, by the ports they serve; deleted with the
//! Service. More than 1,000 addresses are truncated, with the over-capacity annotation.

mod repack;

use std::collections::BTreeMap;

use crate::model::Pod;
use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub use self::repack::repack_subsets;
use super::endpointslice::util::{
    find_port, format_trigger_time, is_pod_ready, is_service_ip_set, pod_ip, pod_reference, selects_pods,
    service_and_pods, services_for_pod, should_pod_be_in_endpoints, should_set_hostname, TriggerTimeTracker, HEADLESS,
    LAST_CHANGE_TRIGGER_TIME,
};
use super::informers::Informers;
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{ApiError, DeleteOptions, Reason, WatchEvent, WatchEventType};
use crate::events::{EventRecorder, EventType};
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

/// `maxCapacity`: the most addresses an Endpoints object holds.
pub const MAX_CAPACITY: usize = 1000;
/// `v1.EndpointsOverCapacity`.
pub const OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";

pub struct EndpointsController {
    user: String,
    recorder: EventRecorder,
    triggers: TriggerTimeTracker,
}

impl Default for EndpointsController {
    fn default() -> Self {
        let user = controller_user("endpoint-controller");
        let recorder = EventRecorder::new("endpoint-controller", None, &user);
        EndpointsController { user, recorder, triggers: TriggerTimeTracker::default() }
    }
}

/// `podToEndpointAddressForService`, with the hostname when the pod is in the Service's
/// subdomain.
fn address(pod: &Pod, service: &Service) -> Option<EndpointAddress> {
    let spec = pod.spec.as_ref();
    Some(EndpointAddress {
        ip: pod_ip(pod)?.to_string(),
        node_name: Some(spec.and_then(|s| s.node_name.clone()).unwrap_or_default()),
        hostname: should_set_hostname(pod, service).then(|| spec.and_then(|s| s.hostname.clone())).flatten(),
        target_ref: Some(pod_reference(pod)),
    })
}

/// The subsets of `service`'s pods before repacking: one per address and port
/// (`addEndpointSubset`), ready when the pod is or not-ready addresses are published.
fn subsets(service: &Service, pods: &[&Pod]) -> Vec<EndpointSubset> {
    let spec = service.spec.as_ref();
    let publish = spec.and_then(|s| s.publish_not_ready_addresses).unwrap_or(false);
    let ports = spec.and_then(|s| s.ports.as_deref()).unwrap_or_default();
    let headless = spec.and_then(|s| s.cluster_ip.as_deref()) == Some("None");
    let mut out = Vec::new();
    for pod in pods {
        if !should_pod_be_in_endpoints(pod, publish) {
            continue;
        }
        let Some(epa) = address(pod, service) else { continue };
        let ready = publish || is_pod_ready(pod);
        let subset = |ports: Option<Vec<EndpointPort>>| EndpointSubset {
            addresses: ready.then(|| vec![epa.clone()]),
            not_ready_addresses: (!ready).then(|| vec![epa.clone()]),
            ports,
        };
        if ports.is_empty() {
            // A headless Service may have no ports.
            if headless {
                out.push(subset(None));
            }
            continue;
        }
        for sp in ports {
            let Some(port) = find_port(pod, sp) else { continue };
            out.push(subset(Some(vec![EndpointPort {
                name: sp.name.clone(),
                port,
                protocol: sp.protocol.clone(),
                app_protocol: sp.app_protocol.clone(),
            }])));
        }
    }
    repack_subsets(out)
}

fn count(subsets: &[EndpointSubset]) -> (usize, usize) {
    subsets.iter().fold((0, 0), |(r, n), s| {
        (r + s.addresses.as_ref().map_or(0, Vec::len), n + s.not_ready_addresses.as_ref().map_or(0, Vec::len))
    })
}

/// `truncateEndpoints`: over capacity, each subset keeps its share (rounded up) of the room,
/// ready addresses first. True when it truncated.
fn truncate(subsets: &mut [EndpointSubset]) -> bool {
    let (ready, not_ready) = count(subsets);
    if ready + not_ready <= MAX_CAPACITY {
        return false;
    }
    let truncate_ready = ready > MAX_CAPACITY;
    let (max, total) = if truncate_ready { (MAX_CAPACITY, ready) } else { (MAX_CAPACITY - ready, not_ready) };
    let mut room = max;
    for s in subsets.iter_mut() {
        let list = if truncate_ready { &mut s.addresses } else { &mut s.not_ready_addresses };
        let n = list.as_ref().map_or(0, Vec::len);
        let share = ((n as f64 / total as f64) * max as f64).ceil() as usize;
        let keep = share.min(room);
        if let Some(l) = list.as_mut() {
            l.truncate(keep);
        }
        room -= list.as_ref().map_or(0, Vec::len);
        if truncate_ready {
            s.not_ready_addresses = Some(Vec::new());
        }
    }
    true
}

fn labels_or_empty(labels: Option<&BTreeMap<String, String>>) -> BTreeMap<String, String> {
    labels.cloned().unwrap_or_default()
}

impl Controller for EndpointsController {
    fn name(&self) -> &'static str {
        "endpoints-controller"
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Service, Kind::Pod, Kind::Endpoints]
    }

    fn keys_for(&mut self, event: &WatchEvent, old: Option<&Object>, informers: &Informers) -> Vec<String> {
        match &*event.object {
            Object::Service(_) => vec![event.object.key()],
            Object::Pod(_) => services_for_pod(informers, &event.object, old),
            // A deleted Endpoints object of a Service comes back.
            Object::Endpoints(_) if event.event_type == WatchEventType::Deleted => vec![event.object.key()],
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers = ctx.informers;
        let Some((service, pods)) = service_and_pods(informers, key) else {
            self.triggers.delete_service(key);
            let (namespace, name) = key.split_once('/').unwrap_or(("", key));
            return match ctx.api.delete(&self.user, Kind::Endpoints, namespace, name, DeleteOptions::default()) {
                Err(e) if e.reason != Reason::NotFound => Err(e),
                _ => Ok(Action::AwaitChange),
            };
        };
        if !selects_pods(service) {
            return Ok(Action::AwaitChange);
        }
        let trigger = self.triggers.compute(key, service, &pods);
        let subsets = subsets(service, &pods);
        let service_labels = labels_or_empty(service.metadata.labels.as_ref());
        let current = match informers.get(Kind::Endpoints, key).map(|o| &**o) {
            Some(Object::Endpoints(ep)) => Some((**ep).clone()),
            _ => None,
        };
        if let Some(ep) = &current {
            let mut labels = labels_or_empty(ep.metadata.labels.as_ref());
            labels.remove(HEADLESS);
            let (r, n) = count(ep.subsets.as_deref().unwrap_or_default());
            let capacity_ok = r + n <= MAX_CAPACITY
                && !ep.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(OVER_CAPACITY));
            if ep.subsets.as_deref().unwrap_or_default() == subsets.as_slice()
                && labels == service_labels
                && capacity_ok
            {
                return Ok(Action::AwaitChange);
            }
        }
        let create = current.is_none();
        let mut ep = current.unwrap_or_else(|| Endpoints {
            metadata: ObjectMeta {
                name: service.metadata.name.clone(),
                namespace: service.metadata.namespace.clone(),
                ..ObjectMeta::default()
            },
            subsets: None,
        });
        let mut subsets = subsets;
        let truncated = truncate(&mut subsets);
        ep.subsets = (!subsets.is_empty()).then_some(subsets);
        let mut labels = service_labels;
        if is_service_ip_set(service) {
            labels.remove(HEADLESS);
        } else {
            labels.insert(HEADLESS.into(), String::new());
        }
        ep.metadata.labels = Some(labels);
        let annotations = ep.metadata.annotations.get_or_insert_with(BTreeMap::new);
        match trigger {
            Some(t) => annotations.insert(LAST_CHANGE_TRIGGER_TIME.into(), format_trigger_time(t)),
            None => annotations.remove(LAST_CHANGE_TRIGGER_TIME),
        };
        match truncated {
            true => annotations.insert(OVER_CAPACITY.into(), "truncated".into()),
            false => annotations.remove(OVER_CAPACITY),
        };
        let namespace = service.metadata.namespace.clone().unwrap_or_default();
        let name = service.metadata.name.clone().unwrap_or_default();
        let obj = Object::Endpoints(Box::new(ep));
        let result = if create {
            ctx.api.create(&self.user, &namespace, obj.clone())
        } else {
            ctx.api.update(&self.user, obj.clone())
        };
        if let Err(e) = result {
            if create && e.reason == Reason::Forbidden && super::controller_utils::is_namespace_terminating(&e) {
                return Ok(Action::AwaitChange);
            }
            let (reason, message) = if create {
                (
                    "FailedToCreateEndpoint",
                    format!("Failed to create endpoint for service {namespace}/{name}: {}", e.message),
                )
            } else {
                ("FailedToUpdateEndpoint", format!("Failed to update endpoint {namespace}/{name}: {}", e.message))
            };
            self.recorder.record(ctx.api, &obj, None, EventType::Warning, reason, &message);
            return Err(e);
        }
        Ok(Action::AwaitChange)
    }
}
