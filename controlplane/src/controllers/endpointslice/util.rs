//! What the Endpoints and EndpointSlice controllers share, as upstream's `k8s.io/endpointslice`
//! utilities: which pods belong in a Service's endpoints, the port a Service port reaches on a
//! pod, which Services a pod change concerns, and the trigger-time tracker behind the
//! `endpoints.kubernetes.io/last-change-trigger-time` annotation.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::Pod;
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{ObjectReference, Service, ServicePort};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::apiserver::from_k8s_time;
use crate::controllers::informers::Informers;
use crate::model::{Kind, Object};

/// `v1.EndpointsLastChangeTriggerTime`.
pub const LAST_CHANGE_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";
/// `v1.IsHeadlessService`: set on the endpoints of a Service without a cluster IP.
pub const HEADLESS: &str = "service.kubernetes.io/headless";

/// `ShouldPodBeInEndpoints`: a pod with an address that has not finished; a terminating one
/// only when `include_terminating`.
pub fn should_pod_be_in_endpoints(pod: &Pod, include_terminating: bool) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("");
    if matches!(phase, "Succeeded" | "Failed") {
        return false;
    }
    if pod_ip(pod).is_none() {
        return false;
    }
    include_terminating || pod.metadata.deletion_timestamp.is_none()
}

/// The pod's first address (kubesim's pods are single-stack IPv4).
pub fn pod_ip(pod: &Pod) -> Option<&str> {
    let status = pod.status.as_ref()?;
    let first = status.pod_ips.as_ref().and_then(|ips| ips.first()).map(|ip| ip.ip.as_str());
    first.or(status.pod_ip.as_deref()).filter(|ip| !ip.is_empty())
}

/// The reference to a pod that an endpoint address carries.
pub fn pod_reference(pod: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".into()),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        ..ObjectReference::default()
    }
}

/// `podutil.IsPodReady`.
pub fn is_pod_ready(pod: &Pod) -> bool {
    crate::controllers::controller_utils::is_pod_ready(pod)
}

/// `FindPort`: the container port a Service port's `targetPort` names on this pod (a number
/// as it is; a name looked up among the containers' and sidecars' ports of the same
/// protocol). None when the pod has no such named port.
pub fn find_port(pod: &Pod, port: &ServicePort) -> Option<i32> {
    let protocol = port.protocol.as_deref().unwrap_or("TCP");
    match &port.target_port {
        Some(IntOrString::Int(n)) => Some(*n),
        None => Some(port.port),
        Some(IntOrString::String(name)) => {
            let spec = pod.spec.as_ref()?;
            let sidecars =
                spec.init_containers.iter().flatten().filter(|c| c.restart_policy.as_deref() == Some("Always"));
            spec.containers.iter().chain(sidecars).flat_map(|c| c.ports.iter().flatten()).find_map(|p| {
                let same = p.name.as_deref() == Some(name) && p.protocol.as_deref().unwrap_or("TCP") == protocol;
                same.then_some(p.container_port)
            })
        }
    }
}

/// `ShouldSetHostname`: the pod names a hostname and its subdomain is this Service.
pub fn should_set_hostname(pod: &Pod, service: &Service) -> bool {
    let spec = pod.spec.as_ref();
    let hostname = spec.and_then(|s| s.hostname.as_deref()).unwrap_or("");
    let subdomain = spec.and_then(|s| s.subdomain.as_deref()).unwrap_or("");
    !hostname.is_empty()
        && subdomain == service.metadata.name.as_deref().unwrap_or("")
        && pod.metadata.namespace == service.metadata.namespace
}

/// `IsServiceIPSet`: the Service has a cluster IP (is not headless).
pub fn is_service_ip_set(service: &Service) -> bool {
    let ip = service.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()).unwrap_or("");
    !ip.is_empty() && ip != "None"
}

/// Whether the Endpoints and EndpointSlice controllers keep endpoints for this Service: it
/// has a selector and is not ExternalName (others get theirs from the user, or none).
pub fn selects_pods(service: &Service) -> bool {
    let spec = service.spec.as_ref();
    spec.and_then(|s| s.type_.as_deref()) != Some("ExternalName") && spec.and_then(|s| s.selector.as_ref()).is_some()
}

/// A Service's selector matches the labels; a Service without a selector matches nothing.
fn selects(service: &Service, labels: &BTreeMap<String, String>) -> bool {
    match service.spec.as_ref().and_then(|s| s.selector.as_ref()) {
        Some(selector) => selector.iter().all(|(k, v)| labels.get(k) == Some(v)),
        None => false,
    }
}

/// `GetPodServiceMemberships`: the keys of the Services in the pod's namespace that select it.
fn memberships(informers: &Informers, pod: &Object) -> BTreeSet<String> {
    informers
        .services_selecting_any(pod.namespace(), pod.labels())
        .filter(|s| matches!(&***s, Object::Service(svc) if selects(svc, pod.labels())))
        .map(|s| s.key())
        .collect()
}

/// The keys of the Services a pod event concerns (`GetServicesToUpdateOnPodChange`): on an
/// update, none unless what the endpoints show of the pod changed (its labels, hostname and
/// subdomain, deletion, readiness or addresses); when its labels changed, the Services it
/// left or joined too.
pub fn services_for_pod(informers: &Informers, pod: &Object, old: Option<&Object>) -> Vec<String> {
    let (Object::Pod(new_pod), Some(old @ Object::Pod(old_pod))) = (pod, old) else {
        return memberships(informers, pod).into_iter().collect();
    };
    let labels_changed = !pod.same_labels(old) || host_and_domain(new_pod) != host_and_domain(old_pod);
    let pod_changed = new_pod.metadata.deletion_timestamp != old_pod.metadata.deletion_timestamp
        || is_pod_ready(new_pod) != is_pod_ready(old_pod)
        || !pod_ips(new_pod).eq(pod_ips(old_pod));
    if !pod_changed && !labels_changed {
        return Vec::new();
    }
    let mut services = memberships(informers, pod);
    if labels_changed {
        let old_services = memberships(informers, old);
        if pod_changed {
            services.extend(old_services);
        } else {
            // Only the Services it joined or left (`determineNeededServiceUpdates`).
            services = services.symmetric_difference(&old_services).cloned().collect();
        }
    }
    services.into_iter().collect()
}

fn host_and_domain(pod: &Pod) -> (Option<&str>, Option<&str>) {
    let spec = pod.spec.as_ref();
    (spec.and_then(|s| s.hostname.as_deref()), spec.and_then(|s| s.subdomain.as_deref()))
}

fn pod_ips(pod: &Pod) -> impl Iterator<Item = &str> {
    let status = pod.status.as_ref();
    status.and_then(|s| s.pod_ips.as_ref()).into_iter().flatten().map(|ip| ip.ip.as_str())
}

/// `TriggerTimeTracker`: when the change that an endpoints write reflects happened — the
/// Service's creation for a new Service, else the earliest Ready transition among the pods
/// whose transition is newer than at the last sync; None when nothing of that changed.
#[derive(Debug, Default)]
pub struct TriggerTimeTracker {
    services: BTreeMap<String, ServiceState>,
}

#[derive(Debug, Default)]
struct ServiceState {
    pods: BTreeMap<String, DateTime<Utc>>,
    service: Option<DateTime<Utc>>,
}

impl TriggerTimeTracker {
    /// `ComputeEndpointLastChangeTriggerTime`, for the Service at `key` and the pods it selects.
    pub fn compute(&mut self, key: &str, service: &Service, pods: &[&Pod]) -> Option<DateTime<Utc>> {
        let known = self.services.contains_key(key);
        let state = self.services.entry(key.to_string()).or_default();
        let mut min_changed: Option<DateTime<Utc>> = None;
        let mut times = BTreeMap::new();
        for pod in pods {
            let Some(t) = ready_transition(pod) else { continue };
            let name = pod.metadata.name.clone().unwrap_or_default();
            if state.pods.get(&name).is_none_or(|last| t > *last) {
                min_changed = Some(min_changed.map_or(t, |m| m.min(t)));
            }
            times.insert(name, t);
        }
        let created = service.metadata.creation_timestamp.as_ref().map(from_k8s_time);
        if let Some(c) = created.filter(|c| state.service.is_none_or(|last| *c > last)) {
            min_changed = Some(min_changed.map_or(c, |m| m.min(c)));
        }
        state.pods = times;
        state.service = created;
        if !known {
            return created;
        }
        min_changed
    }

    /// Forget a deleted Service.
    pub fn delete_service(&mut self, key: &str) {
        self.services.remove(key);
    }
}

/// `getPodTriggerTime`: the last transition of the pod's Ready condition, whatever its status.
fn ready_transition(pod: &Pod) -> Option<DateTime<Utc>> {
    let conditions = pod.status.as_ref()?.conditions.as_ref()?;
    let ready = conditions.iter().find(|c| c.type_ == "Ready")?;
    ready.last_transition_time.as_ref().map(from_k8s_time)
}

/// The annotation's value: RFC 3339 with the nanoseconds Go prints (none when zero).
pub fn format_trigger_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The Service at `key` and the pods it selects, in name order; None when it is gone.
pub fn service_and_pods<'a>(informers: &'a Informers, key: &str) -> Option<(&'a Service, Vec<&'a Pod>)> {
    let Object::Service(service) = &**informers.get(Kind::Service, key)? else { return None };
    let namespace = service.metadata.namespace.as_deref().unwrap_or("");
    let Some(selector) = service.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
        return Some((service, Vec::new()));
    };
    let pods = informers
        .pods_with_labels(namespace, selector)
        .filter_map(|p| match &**p {
            Object::Pod(pod) => Some(&**pod),
            _ => None,
        })
        .collect();
    Some((service, pods))
}

/// The key of the Service a slice belongs to, when `manager` manages it.
fn slice_service_key(obj: &Object, manager: &str) -> Option<String> {
    let labels = obj.labels();
    if labels.get(super::LABEL_MANAGED_BY).map(String::as_str) != Some(manager) {
        return None;
    }
    let service = labels.get(super::LABEL_SERVICE_NAME).filter(|s| !s.is_empty())?;
    Some(format!("{}/{service}", obj.namespace()))
}

/// The Services a slice event concerns for `manager`: a slice changed or deleted by someone
/// else is put right, and a change of its manager or Service concerns the old and the new.
pub fn slice_service_keys(slice: &Object, old: Option<&Object>, manager: &str) -> Vec<String> {
    let mut keys: Vec<String> = slice_service_key(slice, manager).into_iter().collect();
    keys.extend(old.and_then(|o| slice_service_key(o, manager)).filter(|k| !keys.contains(k)));
    keys
}

/// The slices `manager` made for the Service at `key`, but those being deleted.
pub fn managed_slices(informers: &Informers, key: &str, manager: &str) -> Vec<EndpointSlice> {
    let (namespace, name) = key.split_once('/').unwrap_or(("", key));
    informers
        .slices_of_service(namespace, name)
        .filter(|s| s.metadata().deletion_timestamp.is_none())
        .filter(|s| s.labels().get(super::LABEL_MANAGED_BY).map(String::as_str) == Some(manager))
        .filter_map(|s| match &**s {
            Object::EndpointSlice(slice) => Some((**slice).clone()),
            _ => None,
        })
        .collect()
}
