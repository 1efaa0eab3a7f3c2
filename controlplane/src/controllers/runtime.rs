//! The controller runtime every controller runs on, as client-go's workqueue and kube-runtime's
//! controller provide: a de-duplicating work queue fed by the shared informers' events, per-key
//! exponential back-off on error (`ItemExponentialFailureRateLimiter`), requeue-after on the
//! simulated clock, owner triggers and periodic resync. A controller only implements
//! [`Controller`].

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};

use super::informers::{controller_of, Informers};
use crate::apiserver::{ApiError, WatchEvent};
use crate::fasthash::{HashMap, HashSet};
use crate::model::{Kind, Object};
use crate::sim::component::{Component, Ctx};

/// What to do with a key after reconciling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Done until something changes.
    AwaitChange,
    /// Look again after this long, even if nothing changes.
    RequeueAfter(Duration),
    /// Look again through the queue's rate limiter (`AddRateLimited`): its per-item back-off
    /// starts again at 5ms (a success forgets the failures), but the whole controller's queue
    /// passes at most 10 keys a second after a burst of 100.
    RequeueRateLimited,
}

/// `DefaultControllerRateLimiter`'s per-item part: 5ms, doubling per failure, at most 1000s.
pub const BACKOFF_BASE_MS: i64 = 5;
pub const BACKOFF_MAX_MS: i64 = 1_000_000;

/// The delay before retrying a key that has failed `failures` times in a row (0 = first).
pub fn backoff(failures: u32) -> Duration {
    let ms = BACKOFF_BASE_MS.saturating_mul(1i64.checked_shl(failures.min(62)).unwrap_or(i64::MAX));
    Duration::milliseconds(ms.clamp(BACKOFF_BASE_MS, BACKOFF_MAX_MS))
}

/// `DefaultControllerRateLimiter`'s overall part: a token bucket of 10 qps with a burst of 100.
const BUCKET_QPS: f64 = 10.0;
const BUCKET_BURST: f64 = 100.0;

/// golang.org/x/time/rate's limiter as the workqueue uses it (`Reserve().Delay()`): a token is
/// always taken, and when none is left the delay is how long until it will have been.
struct Bucket {
    tokens: f64,
    last: Option<DateTime<Utc>>,
}

impl Bucket {
    fn reserve(&mut self, now: DateTime<Utc>) -> Duration {
        let elapsed =
            self.last.map_or(0.0, |last| (now - last).num_microseconds().unwrap_or(i64::MAX).max(0) as f64 / 1e6);
        self.tokens = (self.tokens + elapsed * BUCKET_QPS).min(BUCKET_BURST) - 1.0;
        self.last = Some(now);
        if self.tokens >= 0.0 {
            return Duration::zero();
        }
        Duration::microseconds((-self.tokens / BUCKET_QPS * 1e6).ceil() as i64)
    }
}

/// The timer key of a periodic resync: `#` is in no object key, so it never names one.
const RESYNC: &str = "#resync";

/// A controller: level-triggered, idempotent `reconcile(key)`. Keys are `namespace/name` (or
/// `name`) of the first watched kind, as client-go's `MetaNamespaceKeyFunc`, unless the
/// controller enqueues its own (`keys_for`, `initial_keys`).
pub trait Controller {
    /// As in kube-controller-manager (e.g. `namespace-controller`): the component's name.
    fn name(&self) -> &'static str;
    /// The kinds whose informers it reads; their events go to `keys_for`.
    fn watches(&self) -> &'static [Kind];
    /// Kinds whose objects it controls: a change to one enqueues the key of its controlling
    /// owner when that owner is of the first watched kind (`enqueueController`).
    fn owns(&self) -> &'static [Kind] {
        &[]
    }
    /// Keys to enqueue for an event, given the object's previous version (event handlers only
    /// enqueue). By default: the object's own key for the first watched kind.
    fn keys_for(&mut self, event: &WatchEvent, _old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        if Some(&event.object.kind()) == self.watches().first() {
            vec![event.object.key()]
        } else {
            Vec::new()
        }
    }
    /// Keys queued when the controller starts (a periodic controller's one key).
    fn initial_keys(&self) -> Vec<String> {
        Vec::new()
    }
    /// Every key of the first watched kind is enqueued again this often (an informer's resync).
    fn resync_period(&self) -> Option<Duration> {
        None
    }
    /// The delay before retrying a key that failed `failures` times in a row (0 = first),
    /// when the controller's queue has a rate limiter of its own; None: the default one's.
    fn retry_after(&self, _failures: u32) -> Option<Duration> {
        None
    }
    /// Move the object at `key` one step toward its spec. An error retries the key with
    /// back-off; success forgets its failures.
    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError>;
}

/// Runs a [`Controller`] as a cluster [`Component`].
pub struct ControllerComponent<C: Controller> {
    controller: C,
    queue: VecDeque<String>,
    queued: HashSet<String>,
    /// Keys that failed, with how many times in a row (the rate limiter's `NumRequeues`).
    failures: HashMap<String, u32>,
    bucket: Bucket,
    started: bool,
}

impl<C: Controller> ControllerComponent<C> {
    pub fn new(controller: C) -> Self {
        let mut component = ControllerComponent {
            controller,
            queue: VecDeque::new(),
            queued: HashSet::default(),
            failures: HashMap::default(),
            bucket: Bucket { tokens: BUCKET_BURST, last: None },
            started: false,
        };
        for key in component.controller.initial_keys() {
            component.enqueue(key);
        }
        component
    }

    pub fn controller(&self) -> &C {
        &self.controller
    }

    fn enqueue(&mut self, key: String) {
        if !self.queued.contains(&key) {
            self.queued.insert(key.clone());
            self.queue.push_back(key);
        }
    }

    /// The controlling owner's key, when its kind is the controller's own.
    fn owner_key(&self, obj: &Object) -> Option<String> {
        let primary = *self.controller.watches().first()?;
        let owner = controller_of(obj)?;
        // The kind's name first: most owners are another controller's, rejected without a
        // walk of the kinds table.
        if owner.kind != primary.info().name
            || Kind::from_api_version_kind(&owner.api_version, &owner.kind) != Some(primary)
        {
            return None;
        }
        Some(if primary.info().namespaced {
            crate::model::object::namespaced_key(obj.namespace(), &owner.name)
        } else {
            owner.name.clone()
        })
    }
}

impl<C: Controller + 'static> Component for ControllerComponent<C> {
    fn name(&self) -> &str {
        self.controller.name()
    }

    fn watches(&self) -> &[Kind] {
        self.controller.watches()
    }

    fn on_event(&mut self, event: &WatchEvent, old: Option<&Object>, informers: &Informers) {
        for key in self.controller.keys_for(event, old, informers) {
            self.enqueue(key);
        }
        if self.controller.owns().contains(&event.object.kind()) {
            // A controller ref that changed tells the old owner too (`updatePod`), first.
            let new = self.owner_key(&event.object);
            if let Some(old) = old.and_then(|o| self.owner_key(o)).filter(|o| Some(o) != new.as_ref()) {
                self.enqueue(old);
            }
            if let Some(key) = new {
                self.enqueue(key);
            }
        }
    }

    fn on_timer(&mut self, key: &str) {
        if key == RESYNC {
            // Which keys is known only with the informers: `run` enqueues them.
            self.started = false;
        } else {
            self.enqueue(key.to_string());
        }
    }

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let mut worked = false;
        if !self.started {
            self.started = true;
            if let Some(period) = self.controller.resync_period() {
                if let Some(kind) = self.controller.watches().first() {
                    for obj in ctx.informers.list(*kind) {
                        self.enqueue(obj.key());
                    }
                }
                ctx.after(period, RESYNC);
            }
        }
        while let Some(key) = self.queue.pop_front() {
            self.queued.remove(&key);
            worked = true;
            match self.controller.reconcile(&key, ctx) {
                Ok(action) => {
                    self.failures.remove(&key);
                    match action {
                        Action::AwaitChange => {}
                        Action::RequeueAfter(d) => ctx.after(d, key),
                        Action::RequeueRateLimited => {
                            let delay = backoff(0).max(self.bucket.reserve(ctx.now()));
                            ctx.after(delay, key);
                        }
                    }
                }
                Err(_) => {
                    let failures = self.failures.entry(key.clone()).or_insert(0);
                    let delay = match self.controller.retry_after(*failures) {
                        Some(delay) => delay,
                        None => backoff(*failures).max(self.bucket.reserve(ctx.now())),
                    };
                    *failures = failures.saturating_add(1);
                    ctx.after(delay, key);
                }
            }
        }
        worked
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

/// The audit user of a kube-controller-manager controller.
pub fn controller_user(name: &str) -> String {
    format!("system:serviceaccount:kube-system:{name}")
}

/// The key of a controller that keeps one object per namespace (`ServiceAccountsController`,
/// `RootCACertPublisher`): the namespace, queued by its own events and by those of the kept
/// object (`kept` named `name`), so that a deleted one is made again.
pub fn namespace_key(event: &WatchEvent, kept: Kind, name: &str) -> Vec<String> {
    let o = &event.object;
    match o.kind() {
        Kind::Namespace => vec![o.name().to_string()],
        k if k == kept && o.name() == name => vec![o.namespace().to_string()],
        _ => Vec::new(),
    }
}
