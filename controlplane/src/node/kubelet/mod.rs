//! The kubelet, one per node, all hosted by one component ([`Kubelets`]): the cluster hands
//! every watch event to every component, so thousands of nodes share one watcher.
//!
//! Each [`Kubelet`] runs the pods bound to its node (a [`worker::PodWorker`] per pod), talks
//! to its own simulated containerd through the CRI traits, gives pods addresses from the
//! node's pod CIDR ([`ipam`]), renews the node's Lease and reports its status
//! ([`heartbeat`]). Everything it writes goes through the API server as `system:node:<node>`.
//!
//! A Node that appears gets a kubelet; a deleted Node's kubelet goes. [`Kubelets::stop`] and
//! [`Kubelets::start`] stop and restart one node's kubelet (its containers keep running).
//! A node's static pods ([`mirror`]) are handed to its kubelet when it starts.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

pub mod admission;
pub mod dns;
pub mod envvars;
pub mod eviction;
pub mod heartbeat;
pub mod hooks;
pub mod ipam;
pub mod load;
pub mod logs;
pub mod metrics;
pub mod mirror;
pub mod prober;
pub mod probes;
mod start;
pub mod status;
pub mod volumes;
pub mod worker;

use crate::apiserver::{ApiServer, WatchEvent, WatchEventType};
use crate::controllers::Informers;
use crate::events::EventRecorder;
use crate::model::{Kind, Object};
use crate::node::container::fs::Shared;
use crate::node::runtime::{images, Containerd};
use crate::scheduler::framework::Resources;
use crate::sim::component::{Component, Ctx};
use worker::PodWorker;

/// How the kubelets of a cluster behave.
#[derive(Debug, Clone, PartialEq)]
pub struct KubeletConfig {
    /// How long pulling an image takes (2s by default).
    pub image_pull: Duration,
}

impl Default for KubeletConfig {
    fn default() -> Self {
        KubeletConfig { image_pull: Duration::seconds(2) }
    }
}

/// What a pod worker uses while it syncs.
pub struct Env<'a> {
    pub api: &'a mut ApiServer,
    pub now: DateTime<Utc>,
    pub user: &'a str,
    pub runtime: &'a mut Containerd,
    pub recorder: &'a mut EventRecorder,
    pub ipam: &'a mut ipam::Ipam,
    pub node_ip: &'a str,
    /// The Node as last seen, for the owner of mirror pods.
    pub node: Option<&'a Arc<Object>>,
    /// The node's allocatable: what a container's unset limits are in the downward API.
    pub allocatable: &'a Resources,
    /// The node's disk, where hostPath volumes are.
    pub host: &'a Shared,
    /// The files of PersistentVolumes not on a node, by volume name.
    pub claims: &'a mut BTreeMap<String, Shared>,
    /// The shared informers: the kubelet's service lister reads the Services from them.
    pub informers: &'a Informers,
    /// The Service variables made from them, kept until a Service changes.
    pub services: &'a mut envvars::ServiceEnvs,
}

impl Env<'_> {
    /// Stamp the runtime's next calls with the API server's audit position (for `trace`).
    pub fn mark(&mut self) {
        self.runtime.mark = self.api.audit_log().written();
    }
}

/// The kubelet of one node.
pub struct Kubelet {
    pub node: String,
    /// `system:node:<node>`, the audit user of its requests.
    pub user: String,
    running: bool,
    pub runtime: Containerd,
    /// Boxed: a worker is large, and a map's nodes hold their values inline, spare slots
    /// too (a removal shifted whole workers).
    pods: BTreeMap<String, Box<PodWorker>>,
    /// The uids of its pods with an emptyDir `sizeLimit`: the only ones the eviction pass
    /// can evict, and so the only ones it looks at.
    size_limited: BTreeSet<String>,
    ipam: ipam::Ipam,
    recorder: EventRecorder,
    node_ip: String,
    /// The Node as the kubelet's watch last saw it.
    node_obj: Option<Arc<Object>>,
    lease: Option<Arc<Object>>,
    last_report: Option<DateTime<Utc>>,
    images_reported: usize,
    /// The node's allocatable, which admission checks pods against.
    allocatable: Resources,
    /// The node's disk (hostPath volumes): it outlives pods, and goes with the Node.
    pub disk: Shared,
}

impl Kubelet {
    fn new(node: &Arc<Object>, config: &KubeletConfig, now: DateTime<Utc>) -> Self {
        let name = node.name().to_string();
        let user = format!("system:node:{name}");
        let mut k = Kubelet {
            runtime: Containerd::new(&name, config.image_pull, &images::preloaded(), now),
            recorder: EventRecorder::new("kubelet", Some(&name), &user),
            node: name,
            user,
            running: true,
            pods: BTreeMap::new(),
            size_limited: BTreeSet::new(),
            ipam: ipam::Ipam::new(None),
            node_ip: String::new(),
            node_obj: None,
            lease: None,
            last_report: None,
            images_reported: images::preloaded().len(),
            allocatable: Resources::default(),
            disk: volumes::host::node_disk(),
        };
        k.learn_node(node);
        k
    }

    /// Take the node's InternalIP and pod CIDR once they are known, its allocatable as it is.
    fn learn_node(&mut self, node: &Arc<Object>) {
        self.node_obj = Some(node.clone());
        let Object::Node(n) = &**node else { return };
        self.allocatable = Resources::from_list(n.status.as_ref().and_then(|s| s.allocatable.as_ref()));
        if !self.ipam.has_range() {
            self.ipam = ipam::Ipam::new(n.spec.as_ref().and_then(|s| s.pod_cidr.as_deref()));
        }
        if self.node_ip.is_empty() {
            let addresses = n.status.as_ref().and_then(|s| s.addresses.as_ref());
            let ip = addresses.and_then(|a| a.iter().find(|a| a.type_ == "InternalIP")).map(|a| a.address.clone());
            self.node_ip = ip.unwrap_or_default();
        }
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// The pod workers, by pod uid.
    pub fn workers(&self) -> impl Iterator<Item = &PodWorker> {
        self.pods.values().map(|w| &**w)
    }

    /// The pod worker for a pod uid (a mirror pod's finds its static pod's).
    pub fn worker(&self, uid: &str) -> Option<&PodWorker> {
        self.pods
            .get(uid)
            .or_else(|| {
                self.pods.values().find(|w| w.mirror.as_ref().is_some_and(|m| m.metadata().uid.as_deref() == Some(uid)))
            })
            .map(|w| &**w)
    }

    /// Run these static pods (from the node's manifest directory); their uids, to sync.
    fn add_static_pods(&mut self, pods: Vec<Arc<Object>>, now: DateTime<Utc>) -> Vec<String> {
        let mut uids = Vec::new();
        for pod in pods {
            let worker = PodWorker::new_static(pod, now);
            uids.push(worker.uid.clone());
            self.pods.insert(worker.uid.clone(), Box::new(worker));
        }
        uids
    }

    /// A mirror pod's watch event, for the static pod of that name: `None` when this node has
    /// no such static pod; else the static pod's uid if it must sync now (its mirror pod went,
    /// is being deleted, or is not its own).
    fn on_mirror(&mut self, e: &WatchEvent) -> Option<Option<String>> {
        let obj = &e.object;
        let w = self
            .pods
            .values_mut()
            .find(|w| w.is_static && w.pod.name() == obj.name() && w.pod.namespace() == obj.namespace())?;
        let uid = obj.metadata().uid.as_deref();
        let current = w.mirror.as_ref().and_then(|m| m.metadata().uid.clone());
        if current.is_some() && current.as_deref() != uid {
            // News of a mirror pod already replaced.
            return Some(None);
        }
        if e.event_type == WatchEventType::Deleted {
            w.mirror = None;
            return Some(Some(w.uid.clone()));
        }
        w.mirror = Some(obj.clone());
        let stale = obj.metadata().deletion_timestamp.is_some() || !mirror::is_mirror_of(obj, &w.pod);
        Some(stale.then(|| w.uid.clone()))
    }

    /// Sync one pod; returns when it wants the next sync.
    fn sync_pod(
        &mut self,
        api: &mut ApiServer,
        informers: &Informers,
        uid: &str,
        claims: &mut BTreeMap<String, Shared>,
        services: &mut envvars::ServiceEnvs,
    ) -> Option<DateTime<Utc>> {
        let now = api.now();
        let worker = self.pods.get_mut(uid)?;
        let mut env = Env {
            api,
            now,
            user: &self.user,
            runtime: &mut self.runtime,
            recorder: &mut self.recorder,
            ipam: &mut self.ipam,
            node_ip: &self.node_ip,
            node: self.node_obj.as_ref(),
            allocatable: &self.allocatable,
            host: &self.disk,
            claims,
            informers,
            services,
        };
        let next = worker.sync(&mut env);
        if worker.gone {
            self.pods.remove(uid);
            self.size_limited.remove(uid);
        }
        next
    }
}

/// What is queued for a node's kubelet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Work {
    Lease,
    NodeStatus,
    Eviction,
}

/// All the kubelets of the cluster, as one component.
pub struct Kubelets {
    config: KubeletConfig,
    nodes: BTreeMap<String, Kubelet>,
    /// Pods to sync: (node, uid).
    dirty: BTreeSet<(String, String)>,
    /// Heartbeat work due: (node, what), in order and without repeats.
    due: Vec<(String, Work)>,
    /// Heartbeat work to come, by when: one clock timer per moment serves every node's work
    /// then (the nodes' leases, statuses and eviction checks mostly fall on the same moments).
    /// Each moment's list is in order and without repeats, as `due`.
    beats: BTreeMap<DateTime<Utc>, Vec<(String, Work)>>,
    /// Container processes whose runtime timer fired: (node, container id).
    procs_due: BTreeSet<(String, String)>,
    /// Pods whose kubelet-written volumes are to be rewritten at their next periodic sync
    /// (an object they were read from changed): (node, uid).
    refresh: BTreeSet<(String, String)>,
    /// Kubelets that just appeared and need their heartbeat timers.
    fresh: Vec<String>,
    /// Static pods for nodes whose kubelet has not started yet: each node's manifests.
    static_pods: BTreeMap<String, Vec<Arc<Object>>>,
    /// The time of the last run (watch events carry none).
    now: DateTime<Utc>,
    /// What the script says pods use (`set_usage`, `set_load`).
    loads: load::Loads,
    /// The rules changed: every pod's memory is to be checked against its limits.
    memory_check: bool,
    /// The files of PersistentVolumes that are not on one node, by volume name: they outlive
    /// pods and nodes.
    claims: BTreeMap<String, Shared>,
    /// Each namespace's Service variables, until a Service changes.
    service_envs: envvars::ServiceEnvs,
}

/// The timer of a moment with heartbeat work: the moment as seconds since the epoch and
/// nanoseconds (`b:1735689610.0`), exactly.
const BEAT_KEY: &str = "b:";
const POD_KEY: &str = "p:";
const PROC_KEY: &str = "r:";

fn beat_moment(key: &str) -> Option<DateTime<Utc>> {
    let (secs, nanos) = key.split_once('.')?;
    DateTime::<Utc>::from_timestamp(secs.parse().ok()?, nanos.parse().ok()?)
}

impl Work {
    /// How long after one heartbeat of this kind the next comes.
    fn period(self) -> Duration {
        match self {
            Work::Lease => Duration::seconds(heartbeat::LEASE_RENEW),
            Work::NodeStatus => Duration::seconds(heartbeat::STATUS_UPDATE),
            Work::Eviction => Duration::seconds(eviction::MONITORING_PERIOD),
        }
    }
}

/// Sort a list of heartbeat works and drop repeats, unless it is in order already (the usual
/// case, found in one pass).
fn in_order(works: &mut Vec<(String, Work)>) {
    if !works.is_sorted_by(|a, b| a < b) {
        works.sort();
        works.dedup();
    }
}

impl Kubelets {
    /// Queue each node's next heartbeat work one period from now, setting the timer of a
    /// moment when its first work comes.
    ///
    /// Every kind of work has the same period, so a moment's works are usually the next
    /// moment's as they are, in the order they were done: the list is kept as it comes and
    /// only checked to be in order, where a set would be built entry by entry.
    fn beat_all_after(&mut self, ctx: &mut Ctx<'_>, works: Vec<(String, Work)>) {
        let mut by_period: Vec<(Duration, Vec<(String, Work)>)> = Vec::new();
        for (node, work) in works {
            let period = work.period();
            match by_period.iter_mut().find(|(p, _)| *p == period) {
                Some((_, list)) => list.push((node, work)),
                None => by_period.push((period, vec![(node, work)])),
            }
        }
        by_period.sort_by_key(|(period, _)| *period);
        for (period, works) in by_period {
            let at = ctx.now().checked_add_signed(period).unwrap_or(DateTime::<Utc>::MAX_UTC);
            let list = self.beats.entry(at).or_default();
            if list.is_empty() {
                let key = format!("{BEAT_KEY}{}.{}", at.timestamp(), at.timestamp_subsec_nanos());
                ctx.after(period, key);
                *list = works;
            } else {
                list.extend(works);
            }
            in_order(list);
        }
    }

    pub fn new(config: KubeletConfig) -> Self {
        Kubelets {
            config,
            nodes: BTreeMap::new(),
            dirty: BTreeSet::new(),
            due: Vec::new(),
            beats: BTreeMap::new(),
            procs_due: BTreeSet::new(),
            refresh: BTreeSet::new(),
            fresh: Vec::new(),
            static_pods: BTreeMap::new(),
            now: DateTime::<Utc>::MIN_UTC,
            loads: load::Loads::default(),
            memory_check: false,
            claims: BTreeMap::new(),
            service_envs: envvars::ServiceEnvs::default(),
        }
    }

    pub fn config(&self) -> &KubeletConfig {
        &self.config
    }

    /// Change how long image pulls take, for kubelets made from now on and pulls to come.
    pub fn set_image_pull(&mut self, d: Duration) {
        self.config.image_pull = d;
    }

    /// Put static pods (made with [`mirror::static_pod`]) in a node's manifest directory: its
    /// kubelet runs them, now or when it starts.
    pub fn set_static_pods(&mut self, node: &str, pods: Vec<Object>) {
        let pods: Vec<Arc<Object>> = pods.into_iter().map(Arc::new).collect();
        match self.nodes.get_mut(node) {
            Some(k) => {
                for uid in k.add_static_pods(pods, self.now) {
                    self.dirty.insert((node.to_string(), uid));
                }
            }
            None => {
                self.static_pods.insert(node.to_string(), pods);
            }
        }
    }

    pub fn kubelet(&self, node: &str) -> Option<&Kubelet> {
        self.nodes.get(node)
    }

    pub fn kubelet_mut(&mut self, node: &str) -> Option<&mut Kubelet> {
        self.nodes.get_mut(node)
    }

    pub fn node_names(&self) -> Vec<String> {
        self.nodes.keys().cloned().collect()
    }

    /// Stop a node's kubelet: no pod syncs, no status, no lease renewals. Its containers keep
    /// running. False if there is no such kubelet.
    pub fn stop(&mut self, node: &str) -> bool {
        match self.nodes.get_mut(node) {
            Some(k) => {
                k.running = false;
                true
            }
            None => false,
        }
    }

    /// Start a stopped kubelet again: it renews its lease, reports its status and syncs all
    /// its pods at once. False if there is no such kubelet.
    pub fn start(&mut self, node: &str, ctx: &mut Ctx<'_>) -> bool {
        let Some(k) = self.nodes.get_mut(node) else { return false };
        if k.running {
            return true;
        }
        k.running = true;
        k.renew_lease(ctx.api);
        k.sync_node_status(ctx.api, true);
        let uids: Vec<String> = k.pods.keys().cloned().collect();
        for uid in uids {
            self.dirty.insert((node.to_string(), uid));
        }
        true
    }

    /// A connection to `ip:port` on `node`'s pod network (for `req`, the server's answer).
    /// `None`: the node is cut off (its kubelet stopped) or no running pod there has the
    /// address, so the connection times out.
    pub fn serve(
        &mut self,
        node: &str,
        now: DateTime<Utc>,
        ip: &str,
        port: u16,
        req: Option<&crate::node::container::http::HttpRequest<'_>>,
    ) -> Option<crate::node::runtime::Conn> {
        let k = self.nodes.get_mut(node).filter(|k| k.running)?;
        k.runtime.serve(now, ip, port, req)
    }

    /// Write `line` to the log of container `container` of the pod at `ip` on `node`.
    pub fn log_line(&mut self, node: &str, now: DateTime<Utc>, ip: &str, container: &str, line: &str) {
        if let Some(k) = self.nodes.get_mut(node).filter(|k| k.running) {
            k.runtime.log_line(now, ip, container, line);
        }
    }

    /// The network calls containers made since the last take, by node.
    pub fn take_net_calls(&mut self) -> Vec<(String, crate::node::runtime::PendingCall)> {
        let mut out = Vec::new();
        // Called after every round of every moment: most nodes have none.
        for (name, k) in self.nodes.iter_mut().filter(|(_, k)| k.runtime.has_net_calls()) {
            out.extend(k.runtime.take_net_calls().into_iter().map(|c| (name.clone(), c)));
        }
        out
    }

    /// Hand a call's answer back to the process on `node` that made it.
    pub fn net_answer(
        &mut self,
        node: &str,
        now: DateTime<Utc>,
        call: &crate::node::runtime::PendingCall,
        answer: crate::node::container::net::Answered,
    ) {
        if let Some(k) = self.nodes.get_mut(node) {
            // Its wake is set as a timer in the kubelets' next run.
            k.runtime.net_answer(now, call, answer);
        }
    }

    pub fn is_running(&self, node: &str) -> Option<bool> {
        self.nodes.get(node).map(|k| k.running)
    }

    fn on_pod(&mut self, e: &WatchEvent) {
        let obj = &e.object;
        let Some(node) = worker::spec_of(obj).and_then(|s| s.node_name.as_deref()).filter(|n| !n.is_empty()) else {
            return;
        };
        let Some(kubelet) = self.nodes.get_mut(node) else { return };
        if obj.annotations().contains_key(mirror::CONFIG_MIRROR) {
            if let Some(sync) = kubelet.on_mirror(e) {
                if let Some(uid) = sync {
                    self.dirty.insert((node.to_string(), uid));
                }
                return;
            }
        }
        let uid = obj.metadata().uid.clone().unwrap_or_default();
        let key = (node.to_string(), uid.clone());
        match e.event_type {
            WatchEventType::Deleted => {
                if let Some(w) = kubelet.pods.get_mut(&uid) {
                    w.gone = true;
                    self.dirty.insert(key);
                }
            }
            _ => match kubelet.pods.get_mut(&uid) {
                Some(w) => {
                    let deleting = obj.metadata().deletion_timestamp.is_some();
                    let was_deleting = w.pod.metadata().deletion_timestamp.is_some();
                    let (old, new) = (w.pod.metadata(), obj.metadata());
                    if w.volumes.from_pod()
                        && !w.pod.shares_metadata(obj)
                        && (old.labels != new.labels || old.annotations != new.annotations)
                    {
                        self.refresh.insert(key.clone());
                    }
                    w.pod = obj.clone();
                    if deleting && !was_deleting {
                        self.dirty.insert(key);
                    }
                }
                None => {
                    let phase = worker::pod_of(obj).and_then(|p| p.status.as_ref()).and_then(|s| s.phase.as_deref());
                    if matches!(phase, Some("Succeeded" | "Failed")) {
                        return;
                    }
                    let mut w = PodWorker::new(obj.clone(), self.now);
                    if let Some(pod) = worker::pod_of(obj) {
                        let admitted = kubelet.pods.values().filter_map(|w| admission::counts(w));
                        w.rejected = admission::admit(pod, &kubelet.allocatable, admitted).err();
                        if eviction::size_limited(pod) {
                            kubelet.size_limited.insert(uid.clone());
                        }
                    }
                    kubelet.pods.insert(uid, Box::new(w));
                    self.dirty.insert(key);
                }
            },
        }
    }

    /// A ConfigMap or Secret changed: the pods that mount it see the change at their next
    /// periodic sync.
    fn on_volume_source(&mut self, e: &WatchEvent) {
        let (kind, ns, name) = (e.object.kind(), e.object.namespace(), e.object.name());
        for (node, k) in &self.nodes {
            for (uid, w) in &k.pods {
                if w.pod.namespace() == ns && w.volumes.uses(kind, name) {
                    self.refresh.insert((node.clone(), uid.clone()));
                }
            }
        }
    }

    fn on_node(&mut self, e: &WatchEvent) {
        let name = e.object.name().to_string();
        match e.event_type {
            WatchEventType::Deleted => {
                self.nodes.remove(&name);
                self.dirty.retain(|(n, _)| *n != name);
            }
            _ => match self.nodes.get_mut(&name) {
                None => {
                    let mut kubelet = Kubelet::new(&e.object, &self.config, self.now);
                    // The node's manifests stay with that machine: a node registered later
                    // under the same name starts without them.
                    let statics = self.static_pods.remove(&name).unwrap_or_default();
                    for uid in kubelet.add_static_pods(statics, self.now) {
                        self.dirty.insert((name.clone(), uid));
                    }
                    self.nodes.insert(name.clone(), kubelet);
                    self.fresh.push(name);
                }
                // A node registers first and gets its addresses and pod CIDR after.
                Some(k) => k.learn_node(&e.object),
            },
        }
    }
}

impl Kubelets {
    /// Pods whose container ended outside its timer (a probe's exec, an exec'd `kill`).
    fn take_exited(&mut self) {
        for (node, k) in self.nodes.iter_mut() {
            for uid in k.runtime.take_exited() {
                self.dirty.insert((node.clone(), uid.to_string()));
            }
        }
    }

    /// Set the runtime timers the nodes' container processes asked for.
    fn schedule_procs(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        for (node, k) in self.nodes.iter_mut() {
            for (at, id) in k.runtime.take_wakes() {
                ctx.after((at - now).max(Duration::zero()), [PROC_KEY, node.as_str(), "/", id.as_str()].concat());
            }
        }
    }
}

impl Component for Kubelets {
    fn name(&self) -> &str {
        "kubelet"
    }

    fn watches(&self) -> &[Kind] {
        // Services for the containers' service environment variables (the service lister).
        &[
            Kind::Node,
            Kind::Pod,
            Kind::ConfigMap,
            Kind::Secret,
            Kind::PersistentVolumeClaim,
            Kind::PersistentVolume,
            Kind::Service,
        ]
    }

    fn on_event(&mut self, event: &WatchEvent, _: Option<&crate::model::Object>, _: &crate::controllers::Informers) {
        match event.object.kind() {
            Kind::Node => self.on_node(event),
            Kind::Pod => self.on_pod(event),
            Kind::ConfigMap | Kind::Secret => self.on_volume_source(event),
            Kind::Service => self.service_envs.forget(),
            // A volume's files go with it (and an unbound claim's with the claim).
            Kind::PersistentVolume if event.event_type == WatchEventType::Deleted => {
                self.claims.remove(event.object.name());
            }
            Kind::PersistentVolumeClaim if event.event_type == WatchEventType::Deleted => {
                let uid = event.object.metadata().uid.as_deref().unwrap_or_default();
                self.claims.remove(&volumes::host::unbound_key(uid));
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, key: &str) {
        if let Some(rest) = key.strip_prefix(POD_KEY) {
            if let Some((node, uid)) = rest.split_once('/') {
                self.dirty.insert((node.to_string(), uid.to_string()));
            }
        } else if let Some(rest) = key.strip_prefix(PROC_KEY) {
            if let Some((node, id)) = rest.split_once('/') {
                self.procs_due.insert((node.to_string(), id.to_string()));
            }
        } else if let Some(at) = key.strip_prefix(BEAT_KEY).and_then(beat_moment) {
            while let Some(entry) = self.beats.first_entry().filter(|e| *e.key() <= at) {
                let works = entry.remove();
                // Usually nothing else is due: the moment's list becomes the work due as it is.
                if self.due.is_empty() {
                    self.due = works;
                } else {
                    self.due.extend(works);
                    in_order(&mut self.due);
                }
            }
        }
    }

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let now = ctx.now();
        self.now = now;
        let mut busy = false;
        let mut fresh = Vec::new();
        for node in std::mem::take(&mut self.fresh) {
            if self.nodes.contains_key(&node) {
                for work in [Work::Lease, Work::NodeStatus, Work::Eviction] {
                    fresh.push((node.clone(), work));
                }
            }
        }
        self.beat_all_after(ctx, fresh);
        let due = std::mem::take(&mut self.due);
        let mut again = Vec::with_capacity(due.len());
        let mut due = due.into_iter().peekable();
        while let Some(first) = due.next() {
            // A node's works of the moment, in order (they sort by node): one look-up for them.
            let node = first.0.clone();
            let mut works = [Some(first), None, None];
            for slot in &mut works[1..] {
                *slot = due.next_if(|(n, _)| *n == node);
            }
            let Some(k) = self.nodes.get_mut(&node) else { continue };
            let mut evicted = false;
            for (name, work) in works.into_iter().flatten() {
                // A stopped kubelet keeps its timers ticking, but does nothing on them.
                match work {
                    Work::Lease if k.running => k.renew_lease(ctx.api),
                    Work::NodeStatus if k.running => k.sync_node_status(ctx.api, false),
                    Work::Eviction if k.running => {
                        for uid in k.eviction_pass(ctx.api) {
                            self.dirty.insert((node.clone(), uid));
                        }
                        evicted = true;
                    }
                    _ => {}
                }
                again.push((name, work));
                busy = true;
            }
            // A load's shares change as pods come and go (the eviction check is the node's
            // last work of a moment).
            if evicted && !self.loads.is_empty() {
                let killed = self.enforce_memory_limits(now, Some(&node), None);
                self.dirty.extend(killed);
            }
        }
        self.beat_all_after(ctx, again);
        // Containers' processes run on the runtime's own timers; one that ends wakes its pod.
        for (node, id) in std::mem::take(&mut self.procs_due) {
            let Some(k) = self.nodes.get_mut(&node) else { continue };
            busy = true;
            if let Some(uid) = k.runtime.wake(now, &id) {
                self.dirty.insert((node, uid.to_string()));
            }
        }
        for (node, uid) in std::mem::take(&mut self.refresh) {
            let Some(w) = self.nodes.get_mut(&node).and_then(|k| k.pods.get_mut(&uid)) else { continue };
            let at = w.volumes.next_sync(now);
            if w.volumes.refresh_at.is_none_or(|r| at < r) {
                w.volumes.refresh_at = Some(at);
            }
            if w.wake.is_none_or(|pending| pending <= now || at < pending) {
                w.wake = Some(at);
                ctx.after(at - now, [POD_KEY, node.as_str(), "/", uid.as_str()].concat());
            }
        }
        if std::mem::take(&mut self.memory_check) {
            let killed = self.enforce_memory_limits(now, None, None);
            self.dirty.extend(killed);
        }
        self.take_exited();
        while let Some((node, uid)) = self.dirty.pop_first() {
            let Some(k) = self.nodes.get_mut(&node) else { continue };
            if !k.running {
                continue;
            }
            busy = true;
            let next = k.sync_pod(ctx.api, ctx.informers, &uid, &mut self.claims, &mut self.service_envs);
            // A container it started may be asked for more memory than its limit.
            let limited =
                self.nodes.get(&node).and_then(|k| k.pods.get(&uid)).is_some_and(|w| metrics::has_memory_limit(&w.pod));
            if limited {
                for again in self.enforce_memory_limits(now, Some(&node), Some(&uid)) {
                    self.dirty.insert(again);
                }
            }
            let Some(k) = self.nodes.get_mut(&node) else { continue };
            if let (Some(at), Some(w)) = (next, k.pods.get_mut(&uid)) {
                if w.wake.is_none_or(|pending| pending <= now || at < pending) {
                    w.wake = Some(at);
                    ctx.after(at - now, [POD_KEY, node.as_str(), "/", uid.as_str()].concat());
                }
            }
        }
        self.schedule_procs(ctx);
        busy
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}
