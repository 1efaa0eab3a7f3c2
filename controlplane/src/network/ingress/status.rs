//! ingress-nginx's writes to the API: the `Sync` event "Scheduled for sync" each time an
//! Ingress of its class is added or updated (its store's event handlers), and
//! `status.loadBalancer.ingress` of those Ingresses once a controller pod is ready (its status
//! syncer: `--publish-status-address`, else the addresses of the controller pods' nodes).
//! Requests are routed in `hop.rs`; this component only writes. It acts when a controller pod
//! exists, so `kubectl apply` of the manifest installs it as `cluster(#{ingress: true})` does.

use std::collections::BTreeSet;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::networking::v1::{Ingress, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressStatus};

use super::ours;
use crate::apiserver::{WatchEvent, WatchEventType};
use crate::controllers::Informers;
use crate::events::{EventRecorder, EventType};
use crate::model::{Kind, Object};
use crate::sim::component::{Component, Ctx};

const NAME: &str = "nginx-ingress-controller";
const USER: &str = "system:serviceaccount:ingress-nginx:ingress-nginx";

/// The controller's API writer.
pub struct IngressNginx {
    recorder: EventRecorder,
    /// Ingresses added or changed since the last run (`namespace/name`).
    changed: BTreeSet<String>,
    /// Something it watches changed: check every Ingress's status.
    dirty: bool,
}

impl Default for IngressNginx {
    fn default() -> Self {
        IngressNginx { recorder: EventRecorder::new(NAME, None, USER), changed: BTreeSet::new(), dirty: false }
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
        if let Object::Pod(pod) = &*event.object {
            if !is_controller(pod) {
                return;
            }
        }
        self.dirty = true;
        // The store's add and update handlers record an event for every version they see,
        // its own status writes included (so a new Ingress shows "Scheduled for sync" twice).
        if matches!(&*event.object, Object::Ingress(_)) && event.event_type != WatchEventType::Deleted {
            self.changed.insert(event.object.key());
        }
    }

    fn on_timer(&mut self, _: &str) {}

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        if !std::mem::take(&mut self.dirty) {
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
        if pods.is_empty() {
            self.changed.clear();
            return false;
        }
        pods.sort_by_key(|p| p.metadata.name.clone());
        let classes = super::hop::classes(informers);
        let without_class = super::hop::watches_without_class(pods[0]);
        let ready_pods: Vec<&Pod> = pods.iter().copied().filter(|p| ready(p)).collect();
        let want = if ready_pods.is_empty() { None } else { Some(addresses(&ready_pods, informers)) };
        let ingresses: Vec<Arc<Object>> = informers.list(Kind::Ingress).cloned().collect();
        let mut did = false;
        for obj in ingresses {
            let Object::Ingress(ing) = &*obj else { continue };
            if !ours(ing, &classes, without_class) {
                continue;
            }
            if self.changed.remove(&obj.key()) {
                self.recorder.record(ctx.api, &obj, None, EventType::Normal, "Sync", "Scheduled for sync");
                did = true;
            }
            let Some(want) = &want else { continue };
            let have = ing.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|l| l.ingress.clone());
            if have.as_ref() == Some(want) {
                continue;
            }
            let mut updated: Ingress = (**ing).clone();
            updated.status =
                Some(IngressStatus { load_balancer: Some(IngressLoadBalancerStatus { ingress: Some(want.clone()) }) });
            // A conflict or a deleted Ingress: the next change tries again, as the syncer would.
            let _ = ctx.api.update_status(USER, Object::Ingress(Box::new(updated)));
            did = true;
        }
        self.changed.clear();
        did
    }
}
