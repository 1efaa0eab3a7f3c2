//! The Cluster: the composition root. It owns the clock, the API server and the components,
//! and moves time: `step`, `advance`, `run_until`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::clock::{epoch, Clock};
use super::component::{Component, Ctx};
use super::history::{History, Recorder};
use crate::apiserver::proxy::KubeletServer;
use crate::apiserver::{ApiServer, UserInfo, WatchEvent};
use crate::controllers::{self, ControllerComponent, Informers};
use crate::model::{Kind, Object, KINDS};
use crate::network::cloud::{AddressPool, Cloud, CloudHandle};
use crate::node::container::net::{Answered, NetAnswer, NetCall};
use crate::node::kubelet::{KubeletConfig, Kubelets};
use crate::node::runtime::PendingCall;

/// How to build a cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    /// Worker nodes `node-1`..`node-N`.
    pub workers: usize,
    pub seed: u64,
    pub start: DateTime<Utc>,
    /// Worker capacity.
    pub cpu: String,
    pub memory: String,
    pub pods: String,
    /// How long the kubelets take to pull an image.
    pub image_pull: Duration,
    /// kube-controller-manager's `--controllers`: `*`, `name` or `-name` (canonical names or
    /// aliases), the first entry naming a controller deciding.
    pub controllers: Vec<String>,
    /// How many requests the audit log keeps (the newest).
    pub audit_log: usize,
    /// Whether the cluster runs in a (simulated) cloud: kubelets start with
    /// `--cloud-provider=external` and a cloud-controller-manager runs.
    pub cloud: bool,
    /// The addresses the cloud gives load balancers: `a.b.c.d-e.f.g.h` or a CIDR.
    pub lb_pool: String,
    /// cloud-controller-manager's `--controllers`, as `controllers` is kube-controller-manager's.
    pub cloud_controllers: Vec<String>,
    /// Install kind's ingress-nginx (its node label on the control plane, its manifest).
    pub ingress: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            workers: 3,
            seed: 0,
            start: epoch(),
            cpu: "4".into(),
            memory: "8Gi".into(),
            pods: "110".into(),
            image_pull: Duration::seconds(2),
            controllers: controllers::descriptors::default_controllers(),
            audit_log: crate::apiserver::AuditLog::DEFAULT_LIMIT,
            cloud: false,
            lb_pool: crate::network::cloud::DEFAULT_POOL.to_string(),
            cloud_controllers: controllers::descriptors::default_controllers(),
            ingress: false,
        }
    }
}

impl ClusterConfig {
    /// Check what the API server would refuse before anything is built: each node's capacity
    /// (a quantity it takes, not negative, pods whole).
    pub fn validate(&self) -> Result<(), SimError> {
        let node = super::bootstrap::NodeSpec::worker("node", &self.cpu, &self.memory, &self.pods);
        for (option, text) in node.capacity() {
            if let Some(e) = super::bootstrap::capacity_error(option, text) {
                return Err(SimError::BadOption(option, e.message()));
            }
        }
        controllers::descriptors::enabled(&self.controllers)
            .map_err(|e| SimError::BadOption("controllers", e.to_string()))?;
        controllers::cloud::enabled(&self.cloud_controllers)
            .map_err(|e| SimError::BadOption("cloud_controllers", e.to_string()))?;
        AddressPool::parse(&self.lb_pool).map_err(|e| SimError::BadOption("lb_pool", e.to_string()))?;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("cluster option {0}: {1}")]
    BadOption(&'static str, String),
    #[error("interrupted")]
    Interrupted,
    #[error("the simulated clock cannot go that far (it is already {0})")]
    TimeOverflow(String),
    #[error("the cluster did not settle: components kept each other busy for {0} rounds at {1} (a controller loop?)")]
    NoProgress(usize, String),
}

/// How far a long `advance` or `run_until` has got, as told to the hook set with
/// [`Cluster::set_progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Where the clock was when the move began.
    pub from: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub target: DateTime<Utc>,
}

/// Moments run between two calls of the progress hook.
const PROGRESS_EVERY: u64 = 32;

struct ProgressHook {
    report: Box<dyn FnMut(Progress)>,
    from: DateTime<Utc>,
    target: Option<DateTime<Utc>>,
    moments: u64,
}

struct Slot {
    component: Box<dyn Component>,
    /// The store revision up to which watch events were delivered.
    cursor: i64,
    /// Which kinds it watches, by `Kind as usize`.
    watched: Vec<bool>,
}

/// The slot at `index`, with the kubelets when another slot (`kubelets_at`) holds them.
fn with_kubelets(
    components: &mut [Slot],
    index: usize,
    kubelets_at: Option<usize>,
) -> (&mut Slot, Option<&dyn KubeletServer>) {
    let (before, rest) = components.split_at_mut(index);
    let (slot, after) = rest.split_first_mut().expect("a component's index is in range");
    let other = match kubelets_at {
        Some(k) if k < index => before.get_mut(k),
        Some(k) if k > index => after.get_mut(k - index - 1),
        _ => None,
    };
    let kubelets = other
        .and_then(|s| s.component.as_any_mut())
        .and_then(|a| (*a).downcast_ref::<Kubelets>())
        .map(|k| k as &dyn KubeletServer);
    (slot, kubelets)
}

/// The watch history read once for every component: the shared informers and the events not
/// yet delivered to every component.
struct Feed {
    informers: Informers,
    /// Events of the informers' kinds after the oldest component cursor, in revision order,
    /// each with the object's previous version.
    events: VecDeque<(WatchEvent, Option<Arc<Object>>)>,
    /// The revision up to which the history was read.
    pulled: i64,
}

pub struct Cluster {
    api: ApiServer,
    clock: Clock,
    feed: Feed,
    components: Vec<Slot>,
    /// Which slot holds the kubelets, which the API server dials for components' requests.
    kubelets_at: Option<usize>,
    config: ClusterConfig,
    interrupt: Option<Arc<AtomicBool>>,
    progress: Option<ProgressHook>,
    /// Ports of the user's machine forwarded into pods (`kubectl port-forward`).
    forwards: crate::network::forward::Forwards,
    /// kubectl's kubeconfig for this cluster (`kubectl config`).
    kubeconfig: crate::client::kubeconfig::Kubeconfig,
    balancers: crate::network::ingress::balancer::Balancers,
    /// What the ingress-nginx pods last logged of their certificates.
    certificate_log: crate::network::ingress::tls::Logged,
    /// The simulated cloud, when the cluster runs in one.
    cloud: Option<CloudHandle>,
}

/// Rounds of work at one moment before the cluster gives up: far more than any real cascade.
const MAX_ROUNDS: usize = 10_000;

impl Cluster {
    /// A cluster with the default layout of nodes, namespaces and system objects, from options
    /// known to be good ([`ClusterConfig::validate`]).
    pub fn new(config: ClusterConfig) -> Cluster {
        let mut cluster = Cluster::empty(config);
        super::bootstrap::bootstrap(&mut cluster);
        cluster.settle().expect("the default cluster settles");
        cluster
    }

    /// A cluster with only its components: no nodes, no namespaces.
    pub fn empty(config: ClusterConfig) -> Cluster {
        let mut api = ApiServer::new(config.seed, config.start);
        api.set_audit_limit(config.audit_log);
        let mut unacted = controllers::descriptors::unacted_kinds();
        let balanced = config.cloud
            && controllers::cloud::enabled(&config.cloud_controllers)
                .is_ok_and(|on| on.iter().any(|d| d.name == controllers::cloud::service::NAME));
        unacted.push(controllers::descriptors::unbalanced_services(balanced));
        api.set_unacted(unacted);
        let mut cluster = Cluster {
            api,
            clock: Clock::new(config.start),
            feed: Feed { informers: Informers::default(), events: VecDeque::new(), pulled: 0 },
            components: Vec::new(),
            kubelets_at: None,
            config,
            interrupt: None,
            progress: None,
            forwards: Default::default(),
            kubeconfig: Default::default(),
            balancers: Default::default(),
            certificate_log: Default::default(),
            cloud: None,
        };
        // The API server's own controller: not one of kube-controller-manager's, always on.
        cluster.add_component(Box::new(ControllerComponent::new(
            controllers::kubernetesservice::KubernetesServiceController::new(),
        )));
        // Options are validated before a cluster is built; an unknown name here starts nothing.
        let enabled = controllers::descriptors::enabled(&cluster.config.controllers).unwrap_or_default();
        for descriptor in enabled {
            cluster.add_component(descriptor.start());
        }
        if cluster.config.cloud {
            // Validated too: a bad pool or name here runs no cloud-controller-manager.
            if let Ok(pool) = AddressPool::parse(&cluster.config.lb_pool) {
                let cloud = Cloud::handle(pool);
                for descriptor in controllers::cloud::enabled(&cluster.config.cloud_controllers).unwrap_or_default() {
                    cluster.add_component(descriptor.start(&cloud));
                }
                cluster.cloud = Some(cloud);
            }
        }
        cluster.add_component(Box::new(crate::scheduler::Scheduler::new()));
        let kubelet = KubeletConfig { image_pull: cluster.config.image_pull };
        cluster.add_component(Box::new(Kubelets::new(kubelet)));
        cluster.add_component(Box::new(crate::network::proxy::KubeProxies::new()));
        cluster.add_component(Box::new(crate::network::policy::agent::NetworkPolicyAgent));
        cluster.add_component(Box::new(crate::network::ingress::status::IngressNginx::default()));
        // Last: in each round it sees what every other component wrote.
        cluster.add_component(Box::new(Recorder::new()));
        cluster
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// The simulated cloud the cluster runs in (`cloud: true`).
    pub fn cloud(&self) -> Option<std::cell::RefMut<'_, Cloud>> {
        self.cloud.as_ref().map(|c| c.borrow_mut())
    }

    /// Components run in the order they were added: that order is part of determinism.
    pub fn add_component(&mut self, component: Box<dyn Component>) {
        self.pull();
        let mut watched = vec![false; KINDS.len()];
        for &kind in component.watches() {
            watched[kind as usize] = true;
            if !self.feed.informers.has(kind) {
                // A new informer starts from a list of what exists now.
                self.feed.informers.start(kind, self.api.peek_list(kind, None));
            }
        }
        let mut component = component;
        if component.as_any_mut().is_some_and(|a| a.is::<Kubelets>()) {
            self.kubelets_at = Some(self.components.len());
        }
        self.components.push(Slot { component, cursor: self.api.revision(), watched });
    }

    /// The shared informers, as fed so far.
    pub fn informers(&mut self) -> &Informers {
        self.pull();
        &self.feed.informers
    }

    /// The first component of type `T`, for calls the cluster makes on it directly.
    pub fn component_mut<T: 'static>(&mut self) -> Option<&mut T> {
        self.components.iter_mut().find_map(|s| s.component.as_any_mut().and_then(|a| a.downcast_mut::<T>()))
    }

    /// A component of type `T` with the API server and a timer context, for a direct call that
    /// acts through the API (a kubelet stopped or started by a script).
    pub fn with_component<T: 'static, R>(&mut self, f: impl FnOnce(&mut T, &mut Ctx<'_>) -> R) -> Option<R> {
        let index = self
            .components
            .iter_mut()
            .position(|s| s.component.as_any_mut().is_some_and(|a| a.downcast_mut::<T>().is_some()))?;
        self.api.set_now(self.clock.now());
        self.pull();
        let slot = &mut self.components[index];
        let component = slot.component.as_any_mut()?.downcast_mut::<T>()?;
        let informers = &self.feed.informers;
        let mut ctx = Ctx { api: &mut self.api, informers, clock: &mut self.clock, component: index, kubelets: None };
        Some(f(component, &mut ctx))
    }

    /// Carry the network calls containers' processes made in this round and hand back the
    /// answers. Returns whether there were any.
    fn carry_net_calls(&mut self) -> bool {
        let Some(index) = self.kubelets_at else { return false };
        let Some(kubelets) = self.components[index].component.as_any_mut().and_then(|a| a.downcast_mut::<Kubelets>())
        else {
            return false;
        };
        let calls = kubelets.take_net_calls();
        if calls.is_empty() {
            return false;
        }
        let now = self.clock.now();
        for (node, call) in calls {
            let answer = match &call.call {
                NetCall::Api { method, path, body } => Some(self.api_call(&call, method, path, body.as_deref())),
                _ => self.dataplane(|dp| dp.carry(&call)),
            };
            if let (Some(answer), Some(kubelets)) = (answer, self.component_mut::<Kubelets>()) {
                kubelets.net_answer(&node, now, &call, answer);
            }
        }
        true
    }

    /// A container's request to the API server, made as its pod's ServiceAccount.
    fn api_call(&mut self, call: &PendingCall, method: &str, path: &str, body: Option<&str>) -> Answered {
        let now = self.clock.now();
        self.api.set_now(now);
        let pod = self.feed.informers.get(Kind::Pod, &format!("{}/{}", call.namespace, call.pod)).cloned();
        let account = match pod.as_deref() {
            Some(Object::Pod(p)) => p.spec.as_ref().and_then(|s| s.service_account_name.clone()),
            _ => None,
        };
        let user = format!("system:serviceaccount:{}:{}", call.namespace, account.as_deref().unwrap_or("default"));
        let answer = self.api.rest(&UserInfo::authenticated(&user), method, path, body);
        // The `kubernetes` Service's address, which in-cluster clients dial.
        let addr = Some("10.96.0.1:443".to_string());
        Answered { addr, at: now, answer: NetAnswer::Http { status: answer.status, body: answer.body } }
    }

    /// The ports `kubectl port-forward` forwards into pods.
    /// kubectl's kubeconfig for this cluster.
    pub fn kubeconfig(&self) -> &crate::client::kubeconfig::Kubeconfig {
        &self.kubeconfig
    }

    pub fn kubeconfig_mut(&mut self) -> &mut crate::client::kubeconfig::Kubeconfig {
        &mut self.kubeconfig
    }

    pub fn forwards_mut(&mut self) -> &mut crate::network::forward::Forwards {
        &mut self.forwards
    }

    /// The cluster network as it stands at this moment, for requests through it (`curl`).
    /// `None` in a cluster without kubelets.
    pub fn dataplane<R>(&mut self, f: impl FnOnce(&mut crate::network::path::Dataplane<'_>) -> R) -> Option<R> {
        self.pull();
        let now = self.clock.now();
        let mut kubelets = None;
        let mut proxies = None;
        for slot in &mut self.components {
            let Some(any) = slot.component.as_any_mut() else { continue };
            if any.is::<Kubelets>() {
                kubelets = any.downcast_mut::<Kubelets>();
            } else if any.is::<crate::network::proxy::KubeProxies>() {
                proxies = any.downcast_mut::<crate::network::proxy::KubeProxies>();
            }
        }
        let mut dp = crate::network::path::Dataplane {
            informers: &self.feed.informers,
            kubelets: kubelets?,
            proxies,
            forwards: &mut self.forwards,
            balancers: &mut self.balancers,
            certificate_log: &mut self.certificate_log,
            rng: self.api.rng(),
            now,
            published: self.config.ingress.then_some(super::bootstrap::CONTROL_PLANE),
        };
        Some(f(&mut dp))
    }

    /// The object histories, with every write made so far (the writes since the last moment
    /// ran, a script's own, are recorded at the current time, when they were made).
    pub fn history(&mut self) -> Option<&History> {
        let index =
            self.components.iter_mut().position(|s| s.component.as_any_mut().is_some_and(|a| a.is::<Recorder>()))?;
        self.deliver(index);
        let now = self.clock.now();
        let recorder = self.components[index].component.as_any_mut()?.downcast_mut::<Recorder>()?;
        recorder.flush(now);
        Some(recorder.history())
    }

    pub fn component_names(&self) -> Vec<String> {
        self.components.iter().map(|s| s.component.name().to_string()).collect()
    }

    pub fn api(&mut self) -> &mut ApiServer {
        &mut self.api
    }

    pub fn api_ref(&self) -> &ApiServer {
        &self.api
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A flag that, once set, stops a running `advance` or `run_until` (Ctrl-C, a kernel interrupt).
    pub fn set_interrupt(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = Some(flag);
    }

    /// A hook told how far a move of the clock has got, every few moments of a long `advance`
    /// or `run_until` (a front-end draws a progress bar with it). It must not touch the cluster.
    pub fn set_progress(&mut self, report: Option<Box<dyn FnMut(Progress)>>) {
        self.progress = report.map(|report| ProgressHook { report, from: self.clock.now(), target: None, moments: 0 });
    }

    /// One more moment on the way to `target`.
    fn tick(&mut self, target: DateTime<Utc>) {
        let now = self.clock.now();
        if let Some(p) = &mut self.progress {
            if p.target != Some(target) {
                (p.from, p.target, p.moments) = (now, Some(target), 0);
            }
            p.moments += 1;
            if p.moments % PROGRESS_EVERY == 0 {
                (p.report)(Progress { from: p.from, now, target });
            }
        }
    }

    /// The interrupt was handled by whoever waited (an interactive session hands Ctrl-C to
    /// the container): the clock may move again.
    pub fn clear_interrupt(&self) {
        if let Some(f) = &self.interrupt {
            f.store(false, Ordering::Relaxed);
        }
    }

    fn interrupted(&self) -> bool {
        self.interrupt.as_ref().is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// Run all work due now: deliver watch events and let components act, until none has
    /// anything left to do. The clock does not move.
    pub fn settle(&mut self) -> Result<(), SimError> {
        self.api.set_now(self.clock.now());
        for timer in self.clock.take_due() {
            if let Some(slot) = self.components.get_mut(timer.component) {
                slot.component.on_timer(&timer.key);
            }
        }
        for round in 0.. {
            if round >= MAX_ROUNDS {
                return Err(SimError::NoProgress(round, self.clock.now().to_rfc3339()));
            }
            let mut busy = false;
            for index in 0..self.components.len() {
                busy |= self.deliver(index);
                let (slot, kubelets) = with_kubelets(&mut self.components, index, self.kubelets_at);
                let informers = &self.feed.informers;
                let mut ctx = Ctx { api: &mut self.api, informers, clock: &mut self.clock, component: index, kubelets };
                busy |= slot.component.run(&mut ctx);
            }
            busy |= self.carry_net_calls();
            // Timers set for "now" during this round fire in the next one.
            for timer in self.clock.take_due() {
                busy = true;
                if let Some(slot) = self.components.get_mut(timer.component) {
                    slot.component.on_timer(&timer.key);
                }
            }
            // Watch history every component has seen can go: a long cascade (thousands of pods
            // started at one moment) would otherwise keep every version of every object.
            self.compact();
            if !busy {
                break;
            }
        }
        Ok(())
    }

    /// Read the watch history since the last read, once for all components: every kind in one
    /// pass, in revision order, into the shared informers and the queue of events to deliver.
    fn pull(&mut self) {
        let feed = &mut self.feed;
        if feed.pulled >= self.api.revision() {
            return;
        }
        // `pulled` is never behind the compaction point, so this cannot fail.
        let _ = self.api.watch_all(feed.pulled, |e| {
            if let (true, old) = feed.informers.apply(e) {
                feed.events.push_back((e.clone(), old));
            }
        });
        feed.pulled = self.api.revision();
    }

    /// Deliver the watch events component `index` has not seen, after the shared informers
    /// took them in. Returns whether there were any.
    fn deliver(&mut self, index: usize) -> bool {
        self.pull();
        let feed = &self.feed;
        let slot = &mut self.components[index];
        if slot.cursor >= feed.pulled {
            return false;
        }
        let start = feed.events.partition_point(|(e, _)| e.revision <= slot.cursor);
        let mut any = false;
        for (e, old) in feed.events.range(start..) {
            if slot.watched[e.object.kind() as usize] {
                slot.component.on_event(e, old.as_deref(), &feed.informers);
                any = true;
            }
        }
        slot.cursor = feed.pulled;
        any
    }

    /// Drop the events every component has seen, and let the API server's compactor drop the
    /// watch history behind them.
    fn compact(&mut self) {
        let seen = self.components.iter().map(|s| s.cursor).min().unwrap_or(self.feed.pulled).min(self.feed.pulled);
        while self.feed.events.front().is_some_and(|(e, _)| e.revision <= seen) {
            self.feed.events.pop_front();
        }
        self.api.compact_seen(seen);
    }

    /// Run the work due now, then move the clock to the next timer and run what is due then.
    /// Returns the new time (unchanged when no timer is set).
    pub fn step(&mut self) -> Result<DateTime<Utc>, SimError> {
        self.settle()?;
        if let Some(next) = self.clock.next_due() {
            self.clock.move_to(next);
            self.settle()?;
        }
        Ok(self.clock.now())
    }

    /// Move the clock forward by `d`, running everything due on the way, in time order.
    pub fn advance(&mut self, d: Duration) -> Result<(), SimError> {
        let target = self.deadline(d)?;
        self.advance_to(target, &mut |_| false).map(|_| ())
    }

    /// Advance until `pred` holds (checked after each moment's work) or until `timeout` has
    /// passed. Returns whether `pred` came true.
    pub fn run_until(
        &mut self,
        timeout: Duration,
        mut pred: impl FnMut(&mut Cluster) -> bool,
    ) -> Result<bool, SimError> {
        let target = self.clock.now() + timeout;
        self.advance_to(target, &mut pred)
    }

    /// The moment `d` from now, if the calendar reaches it.
    pub fn deadline(&self, d: Duration) -> Result<DateTime<Utc>, SimError> {
        self.clock.now().checked_add_signed(d).ok_or_else(|| SimError::TimeOverflow(self.clock.now().to_rfc3339()))
    }

    fn advance_to(
        &mut self,
        target: DateTime<Utc>,
        pred: &mut dyn FnMut(&mut Cluster) -> bool,
    ) -> Result<bool, SimError> {
        loop {
            self.settle()?;
            if pred(self) {
                return Ok(true);
            }
            if self.interrupted() {
                return Err(SimError::Interrupted);
            }
            self.tick(target);
            match self.clock.next_due() {
                Some(next) if next <= target => self.clock.move_to(next),
                _ => break,
            }
        }
        self.clock.move_to(target);
        self.settle()?;
        Ok(pred(self))
    }

    /// One move toward `deadline`: run the work due now, then jump to the next timer if it is
    /// due by `deadline` (returns false), else to `deadline` itself (returns true). Lets a
    /// caller check its own condition between moments without holding the cluster.
    pub fn step_toward(&mut self, deadline: DateTime<Utc>) -> Result<bool, SimError> {
        self.settle()?;
        if self.interrupted() {
            return Err(SimError::Interrupted);
        }
        self.tick(deadline);
        match self.clock.next_due() {
            Some(next) if next <= deadline => {
                self.clock.move_to(next);
                self.settle()?;
                Ok(false)
            }
            _ => {
                self.clock.move_to(deadline);
                self.settle()?;
                Ok(true)
            }
        }
    }
}
