//! The cloud node lifecycle controller (`cloud-node-lifecycle-controller`, cloud-provider
//! `controllers/nodelifecycle`): every `--node-monitor-period` (5s) it looks at the Nodes that
//! are not Ready and deletes those whose machine the cloud no longer has, with a `DeletingNode`
//! event. A Ready Node is left alone whatever the cloud says: the kubelet on it still reports.

use crate::model::shared::Node;
use chrono::Duration;

use crate::apiserver::{ApiError, DeleteOptions, Reason};
use crate::controllers::runtime::{controller_user, Action, Controller};
use crate::events::{EventRecorder, EventType};
use crate::model::{Kind, Typed};
use crate::network::cloud::CloudHandle;
use crate::sim::component::Ctx;

pub const NAME: &str = "cloud-node-lifecycle-controller";

/// cloud-controller-manager's `--node-monitor-period`.
const MONITOR_PERIOD: i64 = 5;

/// The one key: the periodic monitor pass.
const MONITOR: &str = "#monitor";

pub struct CloudNodeLifecycleController {
    cloud: CloudHandle,
    user: String,
    recorder: EventRecorder,
}

impl CloudNodeLifecycleController {
    pub fn new(cloud: CloudHandle) -> Self {
        let user = controller_user(NAME);
        CloudNodeLifecycleController { cloud, recorder: EventRecorder::new(NAME, None, &user), user }
    }
}

/// The Ready condition's status, Unknown when the node has none.
fn ready(node: &Node) -> &str {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
        .map_or("Unknown", |c| c.status.as_str())
}

impl Controller for CloudNodeLifecycleController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Node]
    }

    /// Node events change nothing here: the pass runs on its period only, as upstream's.
    fn keys_for(
        &mut self,
        _event: &crate::apiserver::WatchEvent,
        _old: Option<&crate::model::Object>,
        _informers: &crate::controllers::Informers,
    ) -> Vec<String> {
        Vec::new()
    }

    fn initial_keys(&self) -> Vec<String> {
        vec![MONITOR.to_string()]
    }

    /// `MonitorNodes`.
    fn reconcile(&mut self, _key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let nodes: Vec<_> = ctx.informers.list(Kind::Node).cloned().collect();
        for obj in nodes {
            let Some(node) = Node::from_object(&obj) else { continue };
            if ready(node) == "True" {
                continue;
            }
            let name = obj.name().to_string();
            let exists = {
                let cloud = self.cloud.borrow();
                match node.spec.as_ref().and_then(|s| s.provider_id.as_deref()).filter(|p| !p.is_empty()) {
                    Some(id) => cloud.instance_exists(id),
                    None => cloud.instance(&name).is_ok(),
                }
            };
            if exists {
                continue;
            }
            let message = format!("Deleting node {name} because it does not exist in the cloud provider");
            self.recorder.record(ctx.api, &obj, None, EventType::Normal, "DeletingNode", &message);
            match ctx.api.delete(&self.user, Kind::Node, "", &name, DeleteOptions::default()) {
                Ok(_) => {}
                Err(e) if e.reason == Reason::NotFound => {}
                Err(e) => {
                    let message = format!("Failed deleting node {name}: {}", e.message);
                    self.recorder.record(ctx.api, &obj, None, EventType::Warning, "DeleteNodeFailed", &message);
                }
            }
        }
        Ok(Action::RequeueAfter(Duration::seconds(MONITOR_PERIOD)))
    }
}
