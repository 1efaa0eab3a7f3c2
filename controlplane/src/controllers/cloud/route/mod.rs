//! The route controller (`node-route-controller`, cloud-provider `controllers/route`): every
//! `--route-reconciliation-period` (10s) it makes the cloud's routes match the Nodes' pod
//! CIDRs — a route per node, named by the node's uid, sending its pod CIDR to it — deletes
//! the routes of nodes that are gone or changed, and marks each routed node
//! `NetworkUnavailable=False` (`RouteCreated`), the condition describe node shows.

use crate::model::shared::Node;
use chrono::Duration;
use serde_json::json;

use crate::apiserver::{k8s_time, ApiError, PatchType};
use crate::controllers::runtime::{controller_user, Action, Controller};
use crate::model::{Kind, Typed};
use crate::network::cloud::{CloudHandle, Route};
use crate::sim::component::Ctx;

pub const NAME: &str = "node-route-controller";

/// cloud-controller-manager's `--route-reconciliation-period`.
const PERIOD: i64 = 10;

/// The one key: the periodic reconciliation.
const RECONCILE: &str = "#routes";

pub struct RouteController {
    cloud: CloudHandle,
    user: String,
}

impl RouteController {
    pub fn new(cloud: CloudHandle) -> Self {
        RouteController { cloud, user: controller_user(NAME) }
    }

    /// `updateNetworkingCondition(node, true)`: NetworkUnavailable False, unless it is already.
    fn mark_routed(&self, ctx: &mut Ctx<'_>, node: &Node) -> Result<(), ApiError> {
        let routed = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "NetworkUnavailable" && c.status == "False"));
        if routed {
            return Ok(());
        }
        let now = k8s_time(ctx.now());
        let patch = json!({"status": {"conditions": [{
            "type": "NetworkUnavailable", "status": "False", "reason": "RouteCreated",
            "message": "RouteController created a route", "lastTransitionTime": now, "lastHeartbeatTime": now}]}});
        let name = node.metadata.name.as_deref().unwrap_or("");
        ctx.api.patch_status(&self.user, Kind::Node, "", name, PatchType::Strategic, &patch).map(|_| ())
    }
}

impl Controller for RouteController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Node]
    }

    /// Node events change nothing here: routes are reconciled on the period only, as upstream.
    fn keys_for(
        &mut self,
        _event: &crate::apiserver::WatchEvent,
        _old: Option<&crate::model::Object>,
        _informers: &crate::controllers::Informers,
    ) -> Vec<String> {
        Vec::new()
    }

    fn initial_keys(&self) -> Vec<String> {
        vec![RECONCILE.to_string()]
    }

    /// `reconcile(nodes, routes)`.
    fn reconcile(&mut self, _key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let nodes: Vec<Node> = ctx.informers.list(Kind::Node).filter_map(|o| Node::from_object(o).cloned()).collect();
        let mut wanted: Vec<(String, String)> = Vec::new();
        for node in &nodes {
            let name = node.metadata.name.clone().unwrap_or_default();
            let Some(cidr) = node.spec.as_ref().and_then(|s| s.pod_cidr.clone()).filter(|c| !c.is_empty()) else {
                continue;
            };
            let present = self.cloud.borrow().routes().any(|r| r.target_node == name && r.destination_cidr == cidr);
            if !present {
                let uid = node.metadata.uid.clone().unwrap_or_default();
                self.cloud.borrow_mut().create_route(Route {
                    name: uid,
                    target_node: name.clone(),
                    destination_cidr: cidr.clone(),
                });
            }
            // A failed condition write is tried again on the next period, as upstream's.
            let _ = self.mark_routed(ctx, node);
            wanted.push((name, cidr));
        }
        let stale: Vec<String> = self
            .cloud
            .borrow()
            .routes()
            .filter(|r| !wanted.iter().any(|(n, c)| *n == r.target_node && *c == r.destination_cidr))
            .map(|r| r.name.clone())
            .collect();
        for name in stale {
            self.cloud.borrow_mut().delete_route(&name);
        }
        Ok(Action::RequeueAfter(Duration::seconds(PERIOD)))
    }
}
