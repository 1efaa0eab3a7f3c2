//! The `kubernetes` Service in `default`, which the API server itself keeps (its
//! `bootstrap-controller` post-start hook, `pkg/controlplane/controller/kubernetesservice`):
//! every 10s (`DefaultEndpointReconcilerInterval`) it creates the Service if it is missing,
//! and its endpoint reconciler puts the Service's Endpoints and EndpointSlice right
//! (`endpoints.rs`). A deleted `kubernetes` Service comes back at the next tick. It runs in
//! kube-apiserver, not kube-controller-manager, and writes through the API server like any
//! client.

pub mod endpoints;

use chrono::Duration;
use serde_json::json;

use super::informers::Informers;
use super::runtime::{Action, Controller};
use crate::apiserver::{ApiError, ApiServer, Reason, WatchEvent};
use crate::model::{decode, Kind, Object};
use crate::sim::component::Ctx;

const NAME: &str = "bootstrap-controller";
/// The API server's loopback client.
const USER: &str = "system:apiserver";
/// `EndpointInterval`.
const PERIOD: i64 = 10;
pub const SERVICE: &str = "kubernetes";
pub const NAMESPACE: &str = "default";
/// The first address of the service CIDR (10.96.0.0/12).
pub const SERVICE_IP: &str = "10.96.0.1";

/// The Service as the controller creates it: port 443 to the API server's 6443, no selector
/// (its endpoints are the API servers themselves).
pub fn service() -> Object {
    decode(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": SERVICE, "namespace": NAMESPACE, "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"ports": [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": 6443}],
            "clusterIP": SERVICE_IP, "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None", "type": "ClusterIP"}}))
    .expect("the kubernetes Service decodes")
}

/// The API server's address: the control-plane node's.
pub fn advertise_address() -> String {
    crate::sim::bootstrap::node_ip(0)
}

/// Create the Service unless it exists (`CreateOrUpdateMasterServiceIfNeeded`).
pub fn ensure(api: &mut ApiServer, user: &str) -> Result<(), ApiError> {
    match api.create(user, NAMESPACE, service()) {
        Err(e) if e.reason != Reason::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// The periodic check, on the controller runtime: its one key is the Service's, requeued every
/// 10s; events do not trigger it (a deleted Service comes back at the next tick, as upstream).
#[derive(Debug, Default)]
pub struct KubernetesServiceController;

impl KubernetesServiceController {
    pub fn new() -> Self {
        KubernetesServiceController
    }
}

impl Controller for KubernetesServiceController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Service, Kind::Endpoints, Kind::EndpointSlice]
    }

    fn keys_for(&mut self, _event: &WatchEvent, _old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        Vec::new()
    }

    fn initial_keys(&self) -> Vec<String> {
        vec![format!("{NAMESPACE}/{SERVICE}")]
    }

    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        // Not reconciled after it exists: a changed Service stays as it is, as upstream.
        if ctx.informers.get(Kind::Service, key).is_none() {
            let _ = ensure(ctx.api, USER);
        }
        let informers = ctx.informers;
        let _ = endpoints::reconcile(ctx.api, USER, &advertise_address(), |kind| informers.get(kind, key).cloned());
        Ok(Action::RequeueAfter(Duration::seconds(PERIOD)))
    }
}
