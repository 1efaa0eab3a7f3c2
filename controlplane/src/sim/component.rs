//! What the cluster runs: components (controllers, later the scheduler and kubelets) that
//! watch the API server and act through it.

use chrono::{DateTime, Duration, Utc};

use super::clock::Clock;
use crate::apiserver::proxy::KubeletServer;
use crate::apiserver::{ApiServer, WatchEvent};
use crate::controllers::Informers;
use crate::model::{Kind, Object};

/// A running part of the cluster. The cluster delivers watch events for the kinds it
/// watches, fires its timers, and calls `run` until no component has work left.
pub trait Component {
    /// The name shown in traces, e.g. `replicaset-controller`.
    fn name(&self) -> &str;
    /// The kinds this component watches, in the order their events are delivered.
    fn watches(&self) -> &[Kind];
    /// A watch event of a watched kind, with the object's previous version (as an informer's
    /// update handler gets old and new) and the cluster's shared informers (already fed with it
    /// and every change up to now): update own caches and enqueue work; do not write here.
    fn on_event(&mut self, event: &WatchEvent, old: Option<&Object>, informers: &Informers);
    /// A timer set through [`Ctx::after`] is due.
    fn on_timer(&mut self, key: &str);
    /// Do the queued work. Returns whether anything was done.
    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool;
    /// The component as `Any`, for the few that the cluster drives directly (a kubelet stopped
    /// by `node_down`, the scheduler asked to explain a decision).
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }
}

/// What a component may use while it runs: the API server, the shared informers, the time,
/// and its timers.
pub struct Ctx<'a> {
    pub api: &'a mut ApiServer,
    pub informers: &'a Informers,
    pub(crate) clock: &'a mut Clock,
    pub(crate) component: usize,
    /// The kubelets, for the API server to reach while it serves this component's requests
    /// for pod metrics (`metrics.k8s.io`) or logs; `None` when no kubelet runs here.
    pub kubelets: Option<&'a dyn KubeletServer>,
}

impl Ctx<'_> {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Be told `key` (through `on_timer`) after `delay` of simulated time.
    pub fn after(&mut self, delay: Duration, key: impl Into<String>) {
        let at = self.clock.now().checked_add_signed(delay).unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.clock.set_timer(at, self.component, key.into());
    }
}
