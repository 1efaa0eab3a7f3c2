//! The EndpointSlice mirroring controller (`endpointslice-mirroring-controller`,
//! pkg/controller/endpointslicemirroring): the Endpoints a user writes for a Service without
//! a selector are mirrored into EndpointSlices, so that what reads slices (kube-proxy, DNS)
//! sees them. One slice per set of ports, of at most 1,000 addresses a subset, labelled
//! with the Service's name and owned by the Endpoints object; Endpoints marked
//! `endpointslice.kubernetes.io/skip-mirror` (the `kubernetes` Service's) are left alone, and
//! the slices go when the Service gains a selector or either object is deleted.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EndpointAddress, Endpoints};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::controller_utils::new_controller_ref;
use super::endpoint::repack_subsets;
use super::endpointslice::reconciler::{port_key, recycle, write, Changes, PortKey};
use super::endpointslice::util::{managed_slices, slice_service_keys, LAST_CHANGE_TRIGGER_TIME};
use super::endpointslice::{LABEL_MANAGED_BY, LABEL_SERVICE_NAME};
use super::informers::Informers;
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{ApiError, WatchEvent};
use crate::events::{EventRecorder, EventType};
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

/// The controller's value of the managed-by label.
pub const CONTROLLER_NAME: &str = "endpointslicemirroring-controller.k8s.io";
/// `--mirroring-max-endpoints-per-subset`'s default.
pub const MAX_ENDPOINTS_PER_SUBSET: usize = 1000;
/// Endpoints with this label set to `true` are not mirrored.
pub const SKIP_MIRROR: &str = "endpointslice.kubernetes.io/skip-mirror";
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Leader-election records live on Endpoints too; they are not mirrored.
const LEADER: &str = "control-plane.alpha.kubernetes.io/leader";

pub struct EndpointSliceMirroringController {
    user: String,
    recorder: EventRecorder,
}

impl Default for EndpointSliceMirroringController {
    fn default() -> Self {
        let user = controller_user("endpointslicemirroring-controller");
        let recorder = EventRecorder::new("endpointslice-mirroring-controller", None, &user);
        EndpointSliceMirroringController { user, recorder }
    }
}

/// A mirrored endpoint (`addressToEndpoint`).
fn endpoint(a: &EndpointAddress, ready: bool) -> Endpoint {
    Endpoint {
        addresses: vec![a.ip.clone()],
        conditions: Some(EndpointConditions { ready: Some(ready), ..EndpointConditions::default() }),
        target_ref: a.target_ref.clone(),
        node_name: a.node_name.clone(),
        hostname: a.hostname.clone().filter(|h| !h.is_empty()),
        ..Endpoint::default()
    }
}

/// `newEndpointSlice`: the Endpoints' labels and annotations (but the trigger time and the
/// last-applied configuration), the Service's name and the manager, owned by the Endpoints.
fn new_slice(
    obj: &Object,
    ep: &Endpoints,
    key: &SliceKey,
    ports: Vec<EndpointPort>,
    name: Option<String>,
) -> EndpointSlice {
    let ep_name = ep.metadata.name.clone().unwrap_or_default();
    let mut labels = ep.metadata.labels.clone().unwrap_or_default();
    labels.insert(LABEL_SERVICE_NAME.into(), ep_name.clone());
    labels.insert(LABEL_MANAGED_BY.into(), CONTROLLER_NAME.into());
    let annotations: BTreeMap<String, String> = ep
        .metadata
        .annotations
        .iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != LAST_CHANGE_TRIGGER_TIME && k.as_str() != LAST_APPLIED)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    EndpointSlice {
        metadata: ObjectMeta {
            generate_name: name.is_none().then(|| format!("{ep_name}-")),
            name,
            namespace: ep.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            owner_references: Some(vec![new_controller_ref(obj)]),
            ..ObjectMeta::default()
        },
        address_type: key.0.into(),
        endpoints: Vec::new(),
        ports: Some(ports),
    }
}

/// What slices are grouped by: their address type and their ports.
type SliceKey = (&'static str, PortKey);

/// `getAddressType`: IPv4 or IPv6; None for what is not an IP address.
fn address_type(ip: &str) -> Option<&'static str> {
    match ip.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(_) => Some("IPv4"),
        std::net::IpAddr::V6(_) => Some("IPv6"),
    }
}

fn slice_key(address_type: &str, ports: &[EndpointPort]) -> SliceKey {
    let t = if address_type == "IPv6" { "IPv6" } else { "IPv4" };
    (t, port_key(ports))
}

impl EndpointSliceMirroringController {
    /// `reconcile`: the slices the Endpoints object `obj` should have, against `existing`.
    fn mirror(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        ep: &Endpoints,
        existing: Vec<EndpointSlice>,
    ) -> Result<(), ApiError> {
        // One desired slice per address type and set of ports; what is not an IP address is
        // not mirrored.
        let mut desired: BTreeMap<SliceKey, (Vec<EndpointPort>, Vec<Endpoint>)> = BTreeMap::new();
        let (mut invalid, mut skipped) = (0, 0);
        for subset in repack_subsets(ep.subsets.clone().unwrap_or_default()) {
            let ports: Vec<EndpointPort> = subset
                .ports
                .iter()
                .flatten()
                .map(|p| EndpointPort {
                    name: Some(p.name.clone().unwrap_or_default()),
                    port: Some(p.port),
                    protocol: Some(p.protocol.clone().unwrap_or_else(|| "TCP".into())),
                    app_protocol: p.app_protocol.clone(),
                })
                .collect();
            let ready = subset.addresses.iter().flatten().map(|a| (a, true));
            let not_ready = subset.not_ready_addresses.iter().flatten().map(|a| (a, false));
            let mut added = 0;
            for (a, is_ready) in ready.chain(not_ready) {
                if added >= MAX_ENDPOINTS_PER_SUBSET {
                    skipped += 1;
                    continue;
                }
                let Some(t) = address_type(&a.ip) else {
                    invalid += 1;
                    skipped += 1;
                    continue;
                };
                let entry = desired.entry(slice_key(t, &ports)).or_insert_with(|| (ports.clone(), Vec::new()));
                entry.1.push(endpoint(a, is_ready));
                added += 1;
            }
        }
        if invalid > 0 {
            let msg = format!("Skipped {invalid} invalid IP addresses when mirroring to EndpointSlices");
            self.recorder.record(ctx.api, obj, None, EventType::Warning, "InvalidIPAddress", &msg);
        }
        if skipped > invalid {
            let msg = format!(
                "A max of {MAX_ENDPOINTS_PER_SUBSET} addresses can be mirrored to EndpointSlices per Endpoints subset. {skipped} addresses were skipped"
            );
            self.recorder.record(ctx.api, obj, None, EventType::Warning, "TooManyAddressesToMirror", &msg);
        }
        let mut by_ports: BTreeMap<_, Vec<EndpointSlice>> = BTreeMap::new();
        for s in existing {
            by_ports.entry(slice_key(&s.address_type, s.ports.as_deref().unwrap_or_default())).or_default().push(s);
        }
        let mut changes = Changes::default();
        for (key, (ports, endpoints)) in desired {
            let mut slices = by_ports.remove(&key).unwrap_or_default();
            slices.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
            // All but the first existing slice go; the first is kept if it already says it all.
            let first = if slices.is_empty() { None } else { Some(slices.remove(0)) };
            changes.delete.extend(slices);
            let mut want = new_slice(obj, ep, &key, ports, first.as_ref().and_then(|f| f.metadata.name.clone()));
            want.endpoints = endpoints;
            match first {
                Some(f)
                    if f.endpoints == want.endpoints
                        && f.metadata.labels == want.metadata.labels
                        && f.metadata.annotations.clone().unwrap_or_default()
                            == want.metadata.annotations.clone().unwrap_or_default() => {}
                Some(f) => {
                    want.metadata.resource_version = f.metadata.resource_version;
                    changes.update.push(want);
                }
                None => changes.create.push(want),
            }
        }
        // Slices of ports no longer wanted go.
        changes.delete.extend(by_ports.into_values().flatten());
        let types: Vec<String> = changes.create.iter().map(|s| s.address_type.clone()).collect();
        recycle(&mut changes, |s| types.contains(&s.address_type));
        let namespace = ep.metadata.namespace.as_deref().unwrap_or("");
        let what = format!("Endpoints {namespace}/{}", ep.metadata.name.as_deref().unwrap_or(""));
        write(ctx.api, &self.user, namespace, &what, ep.metadata.deletion_timestamp.is_none(), changes)
    }
}

impl Controller for EndpointSliceMirroringController {
    fn name(&self) -> &'static str {
        "endpointslice-mirroring-controller"
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Endpoints, Kind::Service, Kind::EndpointSlice]
    }

    fn keys_for(&mut self, event: &WatchEvent, old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        match &*event.object {
            Object::Endpoints(_) | Object::Service(_) => vec![event.object.key()],
            Object::EndpointSlice(_) => slice_service_keys(&event.object, old, CONTROLLER_NAME),
            _ => Vec::new(),
        }
    }

    /// `syncEndpoints`: mirror the Endpoints of a Service without a selector; otherwise
    /// delete what was mirrored.
    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers = ctx.informers;
        let existing = managed_slices(informers, key, CONTROLLER_NAME);
        let service = informers.get(Kind::Service, key).map(|s| &**s);
        let selectorless =
            matches!(service, Some(Object::Service(s)) if s.spec.as_ref().and_then(|s| s.selector.as_ref()).is_none());
        let endpoints = informers.get(Kind::Endpoints, key).cloned();
        let mirror = match endpoints.as_deref() {
            Some(Object::Endpoints(ep)) if selectorless => {
                let labels = ep.metadata.labels.as_ref();
                let skip = labels.and_then(|l| l.get(SKIP_MIRROR)).is_some_and(|v| v == "true");
                let leader = ep.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(LEADER));
                (!skip && !leader).then_some(ep)
            }
            _ => None,
        };
        let result = match (mirror, endpoints.as_deref()) {
            (Some(ep), Some(obj)) => self.mirror(ctx, obj, ep, existing),
            _ => {
                let changes = Changes { delete: existing, ..Changes::default() };
                let namespace = key.split_once('/').map_or("", |(ns, _)| ns);
                write(ctx.api, &self.user, namespace, &format!("Endpoints {key}"), false, changes)
            }
        };
        result.map(|()| Action::AwaitChange)
    }
}
