//! The controller runtime shared by every controller: informers (caches kept up to date by
//! watch events), a de-duplicating work queue, and requeue-after, as client-go and
//! kube-runtime provide. A controller only implements [`Controller`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use chrono::Duration;

use crate::apiserver::{WatchEvent, WatchEventType};
use crate::model::{Kind, Object};
use crate::sim::component::{Component, Ctx};

/// What to do with a key after reconciling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Done until something changes.
    AwaitChange,
    /// Look again after this long, even if nothing changes.
    RequeueAfter(Duration),
}

/// Caches of watched objects by kind and `namespace/name` key. Like a reflector's store, they
/// may lag behind the API server by the events not yet delivered.
#[derive(Debug, Default)]
pub struct Informers {
    caches: BTreeMap<Kind, BTreeMap<String, Arc<Object>>>,
}

impl Informers {
    pub fn get(&self, kind: Kind, key: &str) -> Option<&Arc<Object>> {
        self.caches.get(&kind).and_then(|c| c.get(key))
    }

    /// All cached objects of `kind`, in key order.
    pub fn list(&self, kind: Kind) -> impl Iterator<Item = &Arc<Object>> {
        self.caches.get(&kind).into_iter().flat_map(|c| c.values())
    }

    /// Cached objects of `kind` in one namespace, in key order.
    pub fn list_namespace<'a>(&'a self, kind: Kind, namespace: &'a str) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        let prefix = format!("{namespace}/");
        let start = prefix.clone();
        self.caches
            .get(&kind)
            .into_iter()
            .flat_map(move |c| c.range(start.clone()..))
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v)
    }

    fn apply(&mut self, event: &WatchEvent) {
        let cache = self.caches.entry(event.object.kind()).or_default();
        let key = event.object.key();
        match event.event_type {
            WatchEventType::Deleted => {
                cache.remove(&key);
            }
            _ => {
                cache.insert(key, event.object.clone());
            }
        }
    }
}

/// A controller: level-triggered, idempotent `reconcile(key)`.
pub trait Controller {
    /// As in kube-controller-manager's `--controllers` (e.g. `replicaset-controller`).
    fn name(&self) -> &'static str;
    /// The kinds whose informers it needs; events of the first kind enqueue their own key.
    fn watches(&self) -> &'static [Kind];
    /// Keys to enqueue for an event (event handlers only enqueue). By default: the object's own
    /// key for the first watched kind.
    fn keys_for(&self, event: &WatchEvent, _informers: &Informers) -> Vec<String> {
        if Some(&event.object.kind()) == self.watches().first() {
            vec![event.object.key()]
        } else {
            Vec::new()
        }
    }
    /// Move the object at `key` one step toward its spec.
    fn reconcile(&mut self, key: &str, informers: &Informers, ctx: &mut Ctx<'_>) -> Action;
}

/// Runs a [`Controller`] as a cluster [`Component`].
pub struct ControllerComponent<C: Controller> {
    controller: C,
    informers: Informers,
    queue: VecDeque<String>,
    queued: BTreeSet<String>,
}

impl<C: Controller> ControllerComponent<C> {
    pub fn new(controller: C) -> Self {
        ControllerComponent {
            controller,
            informers: Informers::default(),
            queue: VecDeque::new(),
            queued: BTreeSet::new(),
        }
    }

    fn enqueue(&mut self, key: String) {
        if self.queued.insert(key.clone()) {
            self.queue.push_back(key);
        }
    }
}

impl<C: Controller> Component for ControllerComponent<C> {
    fn name(&self) -> &str {
        self.controller.name()
    }

    fn watches(&self) -> &[Kind] {
        self.controller.watches()
    }

    fn on_event(&mut self, event: &WatchEvent) {
        self.informers.apply(event);
        for key in self.controller.keys_for(event, &self.informers) {
            self.enqueue(key);
        }
    }

    fn on_timer(&mut self, key: &str) {
        self.enqueue(key.to_string());
    }

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let mut worked = false;
        while let Some(key) = self.queue.pop_front() {
            self.queued.remove(&key);
            worked = true;
            if let Action::RequeueAfter(d) = self.controller.reconcile(&key, &self.informers, ctx) {
                ctx.after(d, key);
            }
        }
        worked
    }
}

/// The audit user of a kube-controller-manager controller.
pub fn controller_user(name: &str) -> String {
    format!("system:serviceaccount:kube-system:{name}")
}
