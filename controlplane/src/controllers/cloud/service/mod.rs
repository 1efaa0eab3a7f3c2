//! The service controller (`service-lb-controller`, cloud-provider `controllers/service`): a
//! Service of type LoadBalancer without a `loadBalancerClass` gets the
//! `service.kubernetes.io/load-balancer-cleanup` finalizer, a load balancer of the cloud over
//! the nodes it may send to, and that balancer's address in `status.loadBalancer.ingress`
//! (ipMode VIP), with the EnsuringLoadBalancer / EnsuredLoadBalancer events. When the Service
//! goes, or stops being a LoadBalancer, the balancer is deleted (its address returns to the
//! pool) and the finalizer removed: DeletingLoadBalancer / DeletedLoadBalancer. A failure (the
//! pool used up) is a SyncLoadBalancerFailed event and a retry, 5s doubling to 300s. Node
//! changes move every balancer's hosts (UpdatedLoadBalancer).

mod balancer;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::shared::Node;
use chrono::Duration;
use k8s_openapi::api::core::v1::{LoadBalancerIngress, LoadBalancerStatus, Service};
use serde_json::json;

pub use balancer::FINALIZER;
use balancer::{
    balancer, balancer_name, balances_to, has_finalizer, needs_cleanup, needs_update, requested_ip, status_equal,
    status_of, wants_load_balancer,
};

use crate::apiserver::{ApiError, PatchType, Reason, WatchEvent, WatchEventType};
use crate::controllers::runtime::{controller_user, Action, Controller};
use crate::controllers::Informers;
use crate::events::{EventRecorder, EventType};
use crate::model::{Kind, Object, Typed};
use crate::network::cloud::CloudHandle;
use crate::sim::component::Ctx;

pub const NAME: &str = "service-lb-controller";

/// The key of the node sync (upstream's separate node queue): `#` is in no object key.
const NODES: &str = "#nodes";

/// The service queue's rate limiter: `minRetryDelay` doubling to `maxRetryDelay`.
const MIN_RETRY_SECONDS: i64 = 5;
const MAX_RETRY_SECONDS: i64 = 300;

pub struct ServiceController {
    cloud: CloudHandle,
    user: String,
    recorder: EventRecorder,
    /// The last Service seen under each key being balanced (upstream's `serviceCache`), so a
    /// Service deleted and made again under its name has its old balancer removed first.
    cache: BTreeMap<String, Arc<Object>>,
    /// Events the update handler found (a Type change, ...), written when the key is synced.
    pending: BTreeMap<String, Vec<(&'static str, String)>>,
}

impl ServiceController {
    pub fn new(cloud: CloudHandle) -> Self {
        let user = controller_user(NAME);
        ServiceController {
            cloud,
            // The recorder's source is the controller's older name, as upstream's.
            recorder: EventRecorder::new("service-controller", None, &user),
            user,
            cache: BTreeMap::new(),
            pending: BTreeMap::new(),
        }
    }

    fn event(&mut self, ctx: &mut Ctx<'_>, obj: &Object, type_: EventType, reason: &str, message: &str) {
        self.recorder.record(ctx.api, obj, None, type_, reason, message);
    }

    /// The names of the nodes balancers may send to, sorted.
    fn hosts(informers: &Informers) -> Vec<String> {
        informers
            .list(Kind::Node)
            .filter_map(|o| Node::from_object(o))
            .filter(|n| balances_to(n))
            .filter_map(|n| n.metadata.name.clone())
            .collect()
    }

    /// `processServiceCreateOrUpdate` and `syncLoadBalancerIfNeeded`.
    fn sync(&mut self, key: &str, obj: Arc<Object>, ctx: &mut Ctx<'_>) -> Result<(), ApiError> {
        let Some(svc) = Service::from_object(&obj) else { return Ok(()) };
        if let Some(cached) = self.cache.get(key).cloned() {
            if cached.metadata().uid != obj.metadata().uid {
                self.delete_balancer(&cached, ctx);
            }
        }
        self.cache.insert(key.to_string(), obj.clone());
        let previous = status_of(svc);
        let (namespace, name) = (obj.namespace().to_string(), obj.name().to_string());
        let new_status = if !wants_load_balancer(svc) || needs_cleanup(svc) {
            let lb = balancer_name(svc);
            if self.cloud.borrow().load_balancer(&lb).is_some() {
                self.event(ctx, &obj, EventType::Normal, "DeletingLoadBalancer", "Deleting load balancer");
                self.cloud.borrow_mut().delete_load_balancer(&lb);
            }
            if has_finalizer(svc) {
                // The others stay; none left is no list at all, as the API server stores it.
                let rest: Vec<&String> =
                    svc.metadata.finalizers.iter().flatten().filter(|f| f.as_str() != FINALIZER).collect();
                let rest = if rest.is_empty() { serde_json::Value::Null } else { json!(rest) };
                let patch = json!({"metadata": {"finalizers": rest}});
                match ctx.api.patch(&self.user, Kind::Service, &namespace, &name, PatchType::Merge, &patch) {
                    Err(e) if e.reason != Reason::NotFound => {
                        return Err(failed(format!("failed to remove load balancer cleanup finalizer: {}", e.message)))
                    }
                    _ => {}
                }
            }
            self.event(ctx, &obj, EventType::Normal, "DeletedLoadBalancer", "Deleted load balancer");
            self.cache.remove(key);
            LoadBalancerStatus::default()
        } else {
            self.event(ctx, &obj, EventType::Normal, "EnsuringLoadBalancer", "Ensuring load balancer");
            if !has_finalizer(svc) {
                let patch = json!({"metadata": {"finalizers": [FINALIZER]}});
                ctx.api
                    .patch(&self.user, Kind::Service, &namespace, &name, PatchType::Strategic, &patch)
                    .map_err(|e| failed(format!("failed to add load balancer cleanup finalizer: {}", e.message)))?;
            }
            let hosts = Self::hosts(ctx.informers);
            if hosts.is_empty() {
                let message = "There are no available nodes for LoadBalancer";
                self.event(ctx, &obj, EventType::Warning, "UnAvailableLoadBalancer", message);
            }
            let ensured = requested_ip(svc).and_then(|ip| {
                let wanted = balancer(svc, key, hosts);
                self.cloud.borrow_mut().ensure_load_balancer(&balancer_name(svc), wanted, ip).map_err(|e| e.to_string())
            });
            let address = match ensured {
                Ok(address) => address,
                Err(e) => {
                    let message = format!("Error syncing load balancer: failed to ensure load balancer: {e}");
                    self.event(ctx, &obj, EventType::Warning, "SyncLoadBalancerFailed", &message);
                    return Err(failed(message));
                }
            };
            self.event(ctx, &obj, EventType::Normal, "EnsuredLoadBalancer", "Ensured load balancer");
            LoadBalancerStatus {
                ingress: Some(vec![LoadBalancerIngress {
                    ip: Some(address.to_string()),
                    ip_mode: Some("VIP".into()),
                    ..Default::default()
                }]),
            }
        };
        if !status_equal(&previous, &new_status) {
            let load_balancer = match &new_status.ingress {
                Some(ingress) => json!({"ingress": ingress}),
                None => json!({"ingress": null}),
            };
            let patch = json!({"status": {"loadBalancer": load_balancer}});
            match ctx.api.patch_status(&self.user, Kind::Service, &namespace, &name, PatchType::Merge, &patch) {
                Err(e) if e.reason != Reason::NotFound => {
                    return Err(failed(format!("failed to update load balancer status: {}", e.message)))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `processLoadBalancerDelete`: the balancer of a Service that is gone.
    fn delete_balancer(&mut self, svc_obj: &Object, ctx: &mut Ctx<'_>) {
        let Some(svc) = Service::from_object(svc_obj) else { return };
        if !wants_load_balancer(svc) {
            return;
        }
        self.event(ctx, svc_obj, EventType::Normal, "DeletingLoadBalancer", "Deleting load balancer");
        self.cloud.borrow_mut().delete_load_balancer(&balancer_name(svc));
        self.event(ctx, svc_obj, EventType::Normal, "DeletedLoadBalancer", "Deleted load balancer");
    }

    /// `syncNodes`: every balancer sends to the nodes it may now.
    fn sync_nodes(&mut self, ctx: &mut Ctx<'_>) {
        let hosts = Self::hosts(ctx.informers);
        let services: Vec<Arc<Object>> = self.cache.values().cloned().collect();
        for obj in services {
            let Some(svc) = Service::from_object(&obj) else { continue };
            if !wants_load_balancer(svc) {
                continue;
            }
            let lb = balancer_name(svc);
            let changed = self.cloud.borrow().load_balancer(&lb).is_some_and(|b| b.hosts != hosts);
            if changed && self.cloud.borrow_mut().update_hosts(&lb, hosts.clone()) {
                if hosts.is_empty() {
                    let message = "There are no available nodes for LoadBalancer";
                    self.event(ctx, &obj, EventType::Warning, "UnAvailableLoadBalancer", message);
                } else {
                    let message = "Updated load balancer with new hosts";
                    self.event(ctx, &obj, EventType::Normal, "UpdatedLoadBalancer", message);
                }
            }
        }
    }
}

fn failed(message: String) -> ApiError {
    ApiError::new(Reason::InternalError, message)
}

impl Controller for ServiceController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Service, Kind::Node]
    }

    /// Upstream's handlers: a Service that wants a balancer or needs one cleaned up; a Service
    /// change the balancer must follow; any Node added or deleted, or one whose eligibility
    /// changed. Deletions of Services need nothing: the finalizer brings them as updates.
    fn keys_for(&mut self, event: &WatchEvent, old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        let obj = &event.object;
        match obj.kind() {
            Kind::Service => {
                let Some(svc) = Service::from_object(obj) else { return Vec::new() };
                let wanted = match (event.event_type, old.and_then(Service::from_object)) {
                    (WatchEventType::Deleted, _) => false,
                    (_, None) => wants_load_balancer(svc) || needs_cleanup(svc),
                    (_, Some(old)) => {
                        let mut events = Vec::new();
                        let update = needs_update(old, svc, &mut events);
                        if !events.is_empty() {
                            self.pending.entry(obj.key()).or_default().extend(events);
                        }
                        update || needs_cleanup(svc)
                    }
                };
                if wanted {
                    vec![obj.key()]
                } else {
                    Vec::new()
                }
            }
            Kind::Node => {
                let was = old.and_then(Node::from_object).map(balances_to);
                let is = Node::from_object(obj).map(balances_to);
                match event.event_type {
                    WatchEventType::Modified if was == is => Vec::new(),
                    _ => vec![NODES.to_string()],
                }
            }
            _ => Vec::new(),
        }
    }

    fn retry_after(&self, failures: u32) -> Option<Duration> {
        let seconds = MIN_RETRY_SECONDS.saturating_mul(1i64 << failures.min(16));
        Some(Duration::seconds(seconds.min(MAX_RETRY_SECONDS)))
    }

    /// `syncService`, or the node sync.
    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        if key == NODES {
            self.sync_nodes(ctx);
            return Ok(Action::AwaitChange);
        }
        let pending = self.pending.remove(key).unwrap_or_default();
        let Some(obj) = ctx.informers.get(Kind::Service, key).cloned() else {
            // Gone without the finalizer's path: what the cache knows is cleaned up.
            if let Some(cached) = self.cache.remove(key) {
                self.delete_balancer(&cached, ctx);
            }
            return Ok(Action::AwaitChange);
        };
        for (reason, message) in pending {
            self.event(ctx, &obj, EventType::Normal, reason, &message);
        }
        self.sync(key, obj, ctx)?;
        Ok(Action::AwaitChange)
    }
}
