//! The `kubernetes` Service in `default`, which the API server itself keeps (its
//! `bootstrap-controller` post-start hook, `pkg/controlplane/controller/kubernetesservice`):
//! every 10s (`DefaultEndpointReconcilerInterval`) it creates the Service if it is missing. A
//! deleted `kubernetes` Service comes back at the next tick. It runs in kube-apiserver, not
//! kube-controller-manager, and writes through the API server like any client.

use chrono::Duration;
use serde_json::json;

use crate::apiserver::{ApiError, ApiServer, Reason, WatchEvent, WatchEventType};
use crate::model::{decode, Kind, Object};
use crate::sim::component::{Component, Ctx};

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

/// Create the Service unless it exists (`CreateOrUpdateMasterServiceIfNeeded`).
pub fn ensure(api: &mut ApiServer, user: &str) -> Result<(), ApiError> {
    match api.create(user, NAMESPACE, service()) {
        Err(e) if e.reason != Reason::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

pub struct KubernetesServiceController {
    /// Whether the watch has the Service (the service lister).
    exists: bool,
    due: bool,
}

impl Default for KubernetesServiceController {
    fn default() -> Self {
        Self::new()
    }
}

impl KubernetesServiceController {
    pub fn new() -> Self {
        KubernetesServiceController { exists: false, due: true }
    }
}

impl Component for KubernetesServiceController {
    fn name(&self) -> &str {
        NAME
    }

    fn watches(&self) -> &[Kind] {
        &[Kind::Service]
    }

    fn on_event(&mut self, event: &WatchEvent, _: &super::Informers) {
        if event.object.name() == SERVICE && event.object.namespace() == NAMESPACE {
            self.exists = event.event_type != WatchEventType::Deleted;
        }
    }

    fn on_timer(&mut self, _key: &str) {
        self.due = true;
    }

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        if !self.due {
            return false;
        }
        self.due = false;
        // Not reconciled after it exists: a changed Service stays as it is, as upstream.
        if !self.exists {
            let _ = ensure(ctx.api, USER);
        }
        ctx.after(Duration::seconds(PERIOD), "sync");
        true
    }
}
