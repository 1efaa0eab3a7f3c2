//! The `kubernetes` Service's endpoints, which the API server keeps itself (its endpoint
//! reconciler, `pkg/controlplane/reconcilers`): an Endpoints object and an EndpointSlice, both
//! named `kubernetes`, listing the API server's address and port 6443. The Endpoints object is
//! marked so the mirroring controller leaves it alone; a changed or deleted one is put back at
//! the next tick.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort as CoreEndpointPort, EndpointSubset, Endpoints};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{NAMESPACE, SERVICE};
use crate::apiserver::{ApiError, ApiServer, Reason};
use crate::model::{Kind, Object};

/// The port the API server listens on (`--secure-port`).
pub const SECURE_PORT: i32 = 6443;

fn meta(label: (&str, &str)) -> ObjectMeta {
    ObjectMeta {
        name: Some(SERVICE.into()),
        namespace: Some(NAMESPACE.into()),
        labels: Some([(label.0.to_string(), label.1.to_string())].into()),
        ..Default::default()
    }
}

// Built as typed objects: the reconciler runs every ten seconds for the cluster's life.
fn endpoints(ip: &str) -> Object {
    Object::Endpoints(Box::new(Endpoints {
        metadata: meta(("endpointslice.kubernetes.io/skip-mirror", "true")),
        subsets: Some(vec![EndpointSubset {
            addresses: Some(vec![EndpointAddress { ip: ip.into(), ..Default::default() }]),
            ports: Some(vec![CoreEndpointPort {
                name: Some("https".into()),
                port: SECURE_PORT,
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }]),
    }))
}

fn endpoint_slice(ip: &str) -> Object {
    Object::EndpointSlice(Box::new(EndpointSlice {
        metadata: meta(("kubernetes.io/service-name", SERVICE)),
        address_type: "IPv4".into(),
        endpoints: vec![Endpoint {
            addresses: vec![ip.into()],
            conditions: Some(EndpointConditions { ready: Some(true), ..Default::default() }),
            ..Default::default()
        }],
        ports: Some(vec![EndpointPort {
            name: Some("https".into()),
            port: Some(SECURE_PORT),
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
    }))
}

/// Create or correct both objects so they list the API server at `ip`; `current` gives what
/// exists of a kind.
pub fn reconcile(
    api: &mut ApiServer,
    user: &str,
    ip: &str,
    current: impl Fn(Kind) -> Option<Arc<Object>>,
) -> Result<(), ApiError> {
    for want in [endpoints(ip), endpoint_slice(ip)] {
        let existing = current(want.kind());
        put(api, user, want, existing)?;
    }
    Ok(())
}

/// Create `want`, or update what exists when its labels or content differ.
fn put(api: &mut ApiServer, user: &str, mut want: Object, current: Option<Arc<Object>>) -> Result<(), ApiError> {
    let Some(current) = current else {
        return match api.create(user, NAMESPACE, want) {
            Err(e) if e.reason != Reason::AlreadyExists => Err(e),
            _ => Ok(()),
        };
    };
    let same = current.labels() == want.labels()
        && match (&*current, &want) {
            (Object::Endpoints(c), Object::Endpoints(w)) => c.subsets == w.subsets,
            (Object::EndpointSlice(c), Object::EndpointSlice(w)) => {
                c.endpoints == w.endpoints && c.ports == w.ports && c.address_type == w.address_type
            }
            _ => true,
        };
    if same {
        return Ok(());
    }
    let meta = want.metadata_mut();
    meta.resource_version = current.metadata().resource_version.clone();
    meta.annotations = current.metadata().annotations.clone();
    api.update(user, want).map(|_| ())
}
