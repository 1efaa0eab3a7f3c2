//! The cloud node controller (`cloud-node-controller`, cloud-provider
//! `controllers/node/node_controller.go`): a Node its kubelet registered with the
//! `node.cloudprovider.kubernetes.io/uninitialized` taint gets what the cloud knows of its
//! machine — `spec.providerID`, the instance-type labels, the addresses — and loses the taint,
//! with a `Synced` event. A machine the cloud does not know is retried with back-off.

use crate::model::shared::Node;
use k8s_openapi::api::core::v1::NodeAddress;

use super::UNINITIALIZED_TAINT;
use crate::apiserver::{ApiError, PatchType, Reason};
use crate::controllers::runtime::{controller_user, Action, Controller};
use crate::events::{EventRecorder, EventType};
use crate::model::{Kind, Typed};
use crate::network::cloud::{CloudHandle, Instance};
use crate::sim::component::Ctx;

pub const NAME: &str = "cloud-node-controller";

/// `v1.LabelInstanceTypeStable` and the beta label the controller still writes.
const INSTANCE_TYPE_LABELS: [&str; 2] = ["node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"];

pub struct CloudNodeController {
    cloud: CloudHandle,
    user: String,
    recorder: EventRecorder,
}

impl CloudNodeController {
    pub fn new(cloud: CloudHandle) -> Self {
        let user = controller_user(NAME);
        CloudNodeController { cloud, recorder: EventRecorder::new(NAME, None, &user), user }
    }
}

fn cloud_tainted(node: &Node) -> bool {
    node.spec.as_ref().and_then(|s| s.taints.as_ref()).is_some_and(|ts| ts.iter().any(|t| t.key == UNINITIALIZED_TAINT))
}

/// `getNodeModifiersFromCloudProvider` and the taint's removal, applied to a copy.
fn initialized(node: &Node, instance: &Instance) -> Node {
    let mut node = node.clone();
    let spec = node.spec.get_or_insert_with(Default::default);
    if spec.provider_id.as_deref().unwrap_or("").is_empty() {
        spec.provider_id = Some(instance.provider_id.clone());
    }
    if let Some(taints) = spec.taints.as_mut() {
        taints.retain(|t| t.key != UNINITIALIZED_TAINT);
        if taints.is_empty() {
            spec.taints = None;
        }
    }
    let labels = node.metadata.labels.get_or_insert_with(Default::default);
    for key in INSTANCE_TYPE_LABELS {
        labels.insert(key.to_string(), instance.instance_type.to_string());
    }
    node
}

/// `updateNodeAddress`: the cloud's addresses, with the kubelet's Hostname kept when the cloud
/// names none. None when nothing changes.
fn cloud_addresses(node: &Node, instance: &Instance) -> Option<Vec<NodeAddress>> {
    let mut addresses = vec![NodeAddress { type_: "InternalIP".into(), address: instance.internal_ip.clone() }];
    let current = node.status.as_ref().and_then(|s| s.addresses.clone()).unwrap_or_default();
    addresses.extend(current.iter().filter(|a| a.type_ == "Hostname").cloned());
    (addresses != current).then_some(addresses)
}

impl Controller for CloudNodeController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Node]
    }

    /// `syncNode`: only a Node that still has the cloud taint is initialized.
    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let Some(obj) = ctx.informers.get(Kind::Node, key).cloned() else { return Ok(Action::AwaitChange) };
        let Some(node) = Node::from_object(&obj) else { return Ok(Action::AwaitChange) };
        if !cloud_tainted(node) {
            return Ok(Action::AwaitChange);
        }
        let instance = self.cloud.borrow().instance(key).cloned().map_err(|e| {
            ApiError::new(Reason::InternalError, format!("failed to get instance metadata for node {key}: {e}"))
        })?;
        let written = match ctx.api.update(&self.user, initialized(node, &instance).into_object()) {
            Err(e) if e.reason == Reason::NotFound => return Ok(Action::AwaitChange),
            other => other?,
        };
        if let Some(addresses) = Node::from_object(&written).and_then(|n| cloud_addresses(n, &instance)) {
            let patch = serde_json::json!({"status": {"addresses": addresses}});
            ctx.api.patch_status(&self.user, Kind::Node, "", key, PatchType::Merge, &patch)?;
        }
        self.recorder.record(ctx.api, &obj, None, EventType::Normal, "Synced", "Node synced successfully");
        Ok(Action::AwaitChange)
    }
}
