//! ingress-nginx's writes to the API: the `Sync` event "Scheduled for sync" each time an
//! Ingress of its class is added or updated (its store's event handlers); each running
//! controller pod's leader election (`leader.rs`); and the leader's status syncer, which at
//! once on taking the lead and then every 60 s writes `status.loadBalancer.ingress` of the
//! Ingresses (`--publish-status-address`, else the addresses of the ready controller pods'
//! nodes). Requests are routed in `hop.rs`; this component only writes. It acts when a
//! controller pod exists, so `kubectl apply` of the manifest installs it as
//! `cluster(#{ingress: true})` does.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::model::Pod;
use k8s_openapi::api::networking::v1::{Ingress, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressStatus};

use super::{leader, ours};
use crate::apiserver::{WatchEvent, WatchEventType};
use crate::controllers::Informers;
use crate::events::{EventRecorder, EventType};
use crate::model::{Kind, Object};
use crate::sim::component::{Component, Ctx};
use chrono::{DateTime, Duration, Utc};

const NAME: &str = "nginx-ingress-controller";
const USER: &str = "system:serviceaccount:ingress-nginx:ingress-nginx";

/// How often the leader's status syncer looks at every Ingress (`--status-update-interval`).
pub const STATUS_UPDATE_INTERVAL: i64 = 60;

/// The controller's API writer.
pub struct IngressNginx {
    recorder: EventRecorder,
    /// Ingresses added or changed since the last run (`namespace/name`).
    changed: BTreeSet<String>,
    /// Controller pods that run (`namespace/name`), with whether each leads.
    electors: BTreeMap<String, bool>,
    /// Pods whose election attempt or status sync is due.
    elect_due: BTreeSet<String>,
    sync_due: BTreeSet<String>,
    /// When each leader's next status sync is, so a timer left from an earlier lead is ignored.
    sync_at: BTreeMap<String, DateTime<Utc>>,
    /// Something it watches changed.
    dirty: bool,
}

impl Default for IngressNginx {
    fn default() -> Self {
        IngressNginx {
            recorder: EventRecorder::new(NAME, None, USER),
            changed: BTreeSet::new(),
            electors: BTreeMap::new(),
            elect_due: BTreeSet::new(),
            sync_due: BTreeSet::new(),
            sync_at: BTreeMap::new(),
            dirty: false,
        }
    }
}

/// Whether `pod` runs the controller (`/nginx-ingress-controller` in its command or args).
pub fn is_controller(pod: &Pod) -> bool {
    let spec = pod.spec.iter().flat_map(|s| &s.containers);
    spec.flat_map(|c| c.command.iter().flatten().chain(c.args.iter().flatten()))
        .any(|w| w.rsplit('/').next() == Some("nginx-ingress-controller"))
}

fn ready(pod: &Pod) -> bool {
    let mut conditions = pod.status.iter().flat_map(|s| s.conditions.iter().flatten());
    conditions.any(|c| c.type_ == "Ready" && c.status == "True")
}

fn flag<'a>(pod: &'a Pod, name: &str) -> Option<&'a str> {
    let mut args = pod.spec.iter().flat_map(|s| &s.containers).flat_map(|c| c.args.iter().flatten());
    args.find_map(|a| a.strip_prefix(name)?.strip_prefix('='))
}

/// The addresses the controller in `pods` (the first is the one whose syncer writes) reports.
fn addresses(pods: &[&Pod], informers: &Informers) -> Vec<IngressLoadBalancerIngress> {
    if let Some(list) = flag(pods[0], "--publish-status-address") {
        return list
            .split(',')
            .filter(|a| !a.is_empty())
            .map(|a| match a.parse::<std::net::IpAddr>() {
                Ok(_) => IngressLoadBalancerIngress { ip: Some(a.to_string()), ..Default::default() },
                Err(_) => IngressLoadBalancerIngress { hostname: Some(a.to_string()), ..Default::default() },
            })
            .collect();
    }
    // Without it: each controller pod's node, its ExternalIP, else its InternalIP.
    let mut ips = BTreeSet::new();
    for pod in pods {
        let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else { continue };
        let Some(Object::Node(n)) = informers.get(Kind::Node, node).map(|o| &**o) else { continue };
        let addrs = n.status.iter().flat_map(|s| s.addresses.iter().flatten());
        let pick =
            addrs.clone().find(|a| a.type_ == "ExternalIP").or_else(|| addrs.clone().find(|a| a.type_ == "InternalIP"));
        if let Some(a) = pick {
            ips.insert(a.address.clone());
        }
    }
    ips.into_iter().map(|ip| IngressLoadBalancerIngress { ip: Some(ip), ..Default::default() }).collect()
}

impl Component for IngressNginx {
    fn name(&self) -> &str {
        NAME
    }

    fn watches(&self) -> &[Kind] {
        &[Kind::IngressClass, Kind::Ingress, Kind::Pod, Kind::Node]
    }

    fn on_event(&mut self, event: &WatchEvent, _: Option<&Object>, _: &Informers) {
        // Only the controller's own pods count (a pod's containers never change), so the
        // cluster's other pods, most of the events, do not set off a look at every pod.
        match &*event.object {
            Object::Pod(pod) if !is_controller(pod) => return,
            // Nodes are read for their addresses when the leader writes the status, on its
            // timer: a node's own changes (its heartbeats) set nothing off.
            Object::Node(_) => return,
            _ => {}
        }
        self.dirty = true;
        // The store's add and update handlers record an event for every version they see,
        // its own status writes included (an Ingress shows it again once the leader writes
        // its address).
        if matches!(&*event.object, Object::Ingress(_)) && event.event_type != WatchEventType::Deleted {
            self.changed.insert(event.object.key());
        }
    }

    fn on_timer(&mut self, key: &str) {
        if let Some(pod) = key.strip_prefix("elect:") {
            self.elect_due.insert(pod.to_string());
        } else if let Some(pod) = key.strip_prefix("sync:") {
            self.sync_due.insert(pod.to_string());
        }
    }

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let dirty = std::mem::take(&mut self.dirty);
        if !dirty && self.elect_due.is_empty() && self.sync_due.is_empty() {
            return false;
        }
        let informers = ctx.informers;
        let mut pods: Vec<&Pod> = informers
            .list(Kind::Pod)
            .filter_map(|o| match &**o {
                Object::Pod(p) if is_controller(p) => Some(&**p),
                _ => None,
            })
            .collect();
        pods.sort_by_key(|p| p.metadata.name.clone());
        let mut did = self.elect(ctx, &pods);
        if pods.is_empty() {
            self.changed.clear();
            return did;
        }
        let classes = super::hop::classes(informers);
        let without_class = super::hop::watches_without_class(pods[0]);
        let ingresses: Vec<Arc<Object>> = informers.list(Kind::Ingress).cloned().collect();
        for obj in &ingresses {
            let Object::Ingress(ing) = &**obj else { continue };
            if ours(ing, &classes, without_class) && self.changed.remove(&obj.key()) {
                self.recorder.record(ctx.api, obj, None, EventType::Normal, "Sync", "Scheduled for sync");
                did = true;
            }
        }
        self.changed.clear();
        // The leader's syncer, at its start and every STATUS_UPDATE_INTERVAL.
        let now = ctx.now();
        for key in std::mem::take(&mut self.sync_due) {
            let due = self.sync_at.get(&key).is_none_or(|at| *at <= now);
            if self.electors.get(&key) != Some(&true) || !due {
                continue;
            }
            let interval = Duration::seconds(STATUS_UPDATE_INTERVAL);
            self.sync_at.insert(key.clone(), now + interval);
            ctx.after(interval, format!("sync:{key}"));
            let ready_pods: Vec<&Pod> = pods.iter().copied().filter(|p| ready(p)).collect();
            let Some(leader) = pods.iter().find(|p| pod_key(p) == key) else { continue };
            let want = if flag(leader, "--publish-status-address").is_some() {
                addresses(&[*leader], informers)
            } else if ready_pods.is_empty() {
                continue;
            } else {
                addresses(&ready_pods, informers)
            };
            for obj in &ingresses {
                let Object::Ingress(ing) = &**obj else { continue };
                if !ours(ing, &classes, without_class) {
                    continue;
                }
                let have = ing.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|l| l.ingress.clone());
                if have.as_ref() == Some(&want) {
                    continue;
                }
                let mut updated: Ingress = (**ing).clone();
                updated.status = Some(IngressStatus {
                    load_balancer: Some(IngressLoadBalancerStatus { ingress: Some(want.clone()) }),
                });
                // A conflict or a deleted Ingress: the next sync tries again.
                let _ = ctx.api.update_status(USER, Object::Ingress(Box::new(updated)));
                did = true;
            }
        }
        did
    }
}

fn pod_key(pod: &Pod) -> String {
    format!("{}/{}", pod.metadata.namespace.as_deref().unwrap_or(""), pod.metadata.name.as_deref().unwrap_or(""))
}

fn running(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none() && pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
}

impl IngressNginx {
    /// Each running controller pod's elector: one attempt when it starts, then every retry
    /// period; a pod that becomes leader starts its status syncer. Pods gone stop electing.
    fn elect(&mut self, ctx: &mut Ctx<'_>, pods: &[&Pod]) -> bool {
        let running: BTreeMap<String, &Pod> = pods.iter().filter(|p| running(p)).map(|p| (pod_key(p), *p)).collect();
        self.electors.retain(|k, _| running.contains_key(k));
        let mut did = false;
        for (key, pod) in &running {
            let new = !self.electors.contains_key(key);
            if !new && !self.elect_due.remove(key) {
                continue;
            }
            let was = self.electors.get(key).copied().unwrap_or(false);
            let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
            let identity = pod.metadata.name.as_deref().unwrap_or("");
            let leads = leader::try_acquire_or_renew(ctx.api, USER, namespace, &leader::election_id(pod), identity);
            self.electors.insert(key.clone(), leads);
            ctx.after(leader::retry_period(), format!("elect:{key}"));
            if leads && !was {
                self.sync_at.remove(key);
                self.sync_due.insert(key.clone());
            }
            did = true;
        }
        self.elect_due.retain(|k| running.contains_key(k));
        self.sync_at.retain(|k, _| self.electors.get(k) == Some(&true));
        did
    }
}
