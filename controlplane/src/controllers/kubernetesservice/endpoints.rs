//! The `kubernetes` Service's endpoints, which the API server keeps itself (its endpoint
//! reconciler, `pkg/controlplane/reconcilers`): an Endpoints object and an EndpointSlice, both
//! named `kubernetes`, listing the API server's address and port 6443. The Endpoints object is
//! marked so the mirroring controller leaves it alone; a changed or deleted one is put back at
//! the next tick.

use std::sync::Arc;

use serde_json::json;

use super::{NAMESPACE, SERVICE};
use crate::apiserver::{ApiError, ApiServer, Reason};
use crate::model::{decode, Kind, Object};

/// The port the API server listens on (`--secure-port`).
pub const SECURE_PORT: i32 = 6443;

fn endpoints(ip: &str) -> Object {
    decode(json!({"apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": SERVICE, "namespace": NAMESPACE, "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": ip}], "ports": [{"name": "https", "port": SECURE_PORT, "protocol": "TCP"}]}]}))
    .expect("the kubernetes Endpoints decodes")
}

fn endpoint_slice(ip: &str) -> Object {
    decode(json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": SERVICE, "namespace": NAMESPACE, "labels": {"kubernetes.io/service-name": SERVICE}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [ip], "conditions": {"ready": true}}],
        "ports": [{"name": "https", "port": SECURE_PORT, "protocol": "TCP"}]}))
    .expect("the kubernetes EndpointSlice decodes")
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
