//! GarbageCollector: objects whose owners are gone are deleted (or, if another owner is
//! still there, released); owners deleted in the foreground wait for their dependents; owners
//! deleted with the orphan policy release theirs. It keeps its own graph of owner uid →
//! dependents, as upstream's GraphBuilder does.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::apiserver::{DeleteOptions, Propagation, WatchEvent, WatchEventType};
use crate::controllers::runtime::controller_user;
use crate::model::{Kind, Object, KINDS};
use crate::sim::component::{Component, Ctx};

const NAME: &str = "garbage-collector-controller";
pub const FOREGROUND: &str = "foregroundDeletion";
pub const ORPHAN: &str = "orphan";

/// An object's coordinates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ObjRef {
    kind: Kind,
    namespace: String,
    name: String,
}

#[derive(Default)]
pub struct GarbageCollector {
    kinds: Vec<Kind>,
    /// Live objects by uid.
    alive: BTreeMap<String, ObjRef>,
    /// Owner uid → dependents.
    dependents: BTreeMap<String, BTreeSet<ObjRef>>,
    /// Each object's owner uids, to update the graph when they change.
    owners_of: BTreeMap<ObjRef, Vec<String>>,
    queue: VecDeque<String>,
    queued: BTreeSet<String>,
}

impl GarbageCollector {
    pub fn new() -> Self {
        GarbageCollector { kinds: KINDS.iter().map(|k| k.kind).collect(), ..Default::default() }
    }

    fn enqueue(&mut self, uid: &str) {
        if self.queued.insert(uid.to_string()) {
            self.queue.push_back(uid.to_string());
        }
    }

    fn forget_edges(&mut self, r: &ObjRef) {
        for uid in self.owners_of.remove(r).unwrap_or_default() {
            if let Some(deps) = self.dependents.get_mut(&uid) {
                deps.remove(r);
                if deps.is_empty() {
                    self.dependents.remove(&uid);
                }
            }
        }
    }

    /// Where a dependent's owner reference with `uid` points, for an owner not (yet) seen.
    fn owner_ref_target(&self, uid: &str, deps: &[ObjRef], ctx: &mut Ctx<'_>) -> Option<ObjRef> {
        deps.iter().find_map(|dep| {
            let obj = ctx.api.peek(dep.kind, &dep.namespace, &dep.name)?;
            let r = obj.metadata().owner_references.iter().flatten().find(|r| r.uid == uid)?.clone();
            let kind = Kind::from_api_version_kind(&r.api_version, &r.kind)?;
            let namespace = if kind.info().namespaced { dep.namespace.clone() } else { String::new() };
            Some(ObjRef { kind, namespace, name: r.name })
        })
    }

    /// Act for one owner uid: see the module doc.
    fn reconcile(&mut self, uid: &str, ctx: &mut Ctx<'_>) {
        let user = controller_user(NAME);
        let deps: Vec<ObjRef> = self.dependents.get(uid).map(|d| d.iter().cloned().collect()).unwrap_or_default();
        let owner = self
            .alive
            .get(uid)
            .cloned()
            .or_else(|| self.owner_ref_target(uid, &deps, ctx))
            .and_then(|r| ctx.api.peek(r.kind, &r.namespace, &r.name))
            .filter(|o| o.metadata().uid.as_deref() == Some(uid));
        let Some(owner) = owner else {
            // The owner is gone: dependents with no other live owner go too.
            for dep in deps {
                let Some(obj) = ctx.api.peek(dep.kind, &dep.namespace, &dep.name) else { continue };
                let refs = obj.metadata().owner_references.clone().unwrap_or_default();
                let others_alive = refs.iter().any(|r| r.uid != uid && self.alive.contains_key(&r.uid));
                if others_alive {
                    let mut released = (*obj).clone();
                    released.metadata_mut().owner_references =
                        Some(refs.into_iter().filter(|r| r.uid != uid).collect());
                    let _ = ctx.api.update(&user, released);
                } else if obj.metadata().deletion_timestamp.is_none() {
                    let _ = ctx.api.delete(&user, dep.kind, &dep.namespace, &dep.name, DeleteOptions::default());
                }
            }
            return;
        };
        let finalizers = owner.metadata().finalizers.clone().unwrap_or_default();
        if owner.metadata().deletion_timestamp.is_none() {
            return;
        }
        if finalizers.iter().any(|f| f == ORPHAN) {
            for dep in &deps {
                let Some(obj) = ctx.api.peek(dep.kind, &dep.namespace, &dep.name) else { continue };
                let mut released = (*obj).clone();
                let refs: Vec<_> = obj
                    .metadata()
                    .owner_references
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| r.uid != uid)
                    .collect();
                released.metadata_mut().owner_references = if refs.is_empty() { None } else { Some(refs) };
                let _ = ctx.api.update(&user, released);
            }
            remove_finalizer(ctx, &user, &owner, ORPHAN);
        } else if finalizers.iter().any(|f| f == FOREGROUND) {
            let mut waiting = false;
            for dep in &deps {
                let Some(obj) = ctx.api.peek(dep.kind, &dep.namespace, &dep.name) else { continue };
                waiting = true;
                if obj.metadata().deletion_timestamp.is_none() {
                    let opts =
                        DeleteOptions { propagation_policy: Some(Propagation::Foreground), ..Default::default() };
                    let _ = ctx.api.delete(&user, dep.kind, &dep.namespace, &dep.name, opts);
                }
            }
            if !waiting {
                remove_finalizer(ctx, &user, &owner, FOREGROUND);
            }
        }
    }
}

fn remove_finalizer(ctx: &mut Ctx<'_>, user: &str, owner: &Object, finalizer: &str) {
    let mut done = owner.clone();
    let rest: Vec<String> =
        owner.metadata().finalizers.clone().unwrap_or_default().into_iter().filter(|f| f != finalizer).collect();
    done.metadata_mut().finalizers = if rest.is_empty() { None } else { Some(rest) };
    let _ = ctx.api.update(user, done);
}

impl Component for GarbageCollector {
    fn name(&self) -> &str {
        NAME
    }

    fn watches(&self) -> &[Kind] {
        &self.kinds
    }

    fn on_event(&mut self, event: &WatchEvent, _: &super::Informers) {
        let obj = &event.object;
        let r = ObjRef { kind: obj.kind(), namespace: obj.namespace().to_string(), name: obj.name().to_string() };
        let uid = obj.metadata().uid.clone().unwrap_or_default();
        self.forget_edges(&r);
        let owner_uids: Vec<String> = obj.metadata().owner_references.iter().flatten().map(|o| o.uid.clone()).collect();
        if event.event_type == WatchEventType::Deleted {
            self.alive.remove(&uid);
            // Its dependents lost an owner; its owners may be waiting for it.
            self.enqueue(&uid);
            for o in owner_uids {
                self.enqueue(&o);
            }
            return;
        }
        self.alive.insert(uid.clone(), r.clone());
        for o in &owner_uids {
            self.dependents.entry(o.clone()).or_default().insert(r.clone());
            if !self.alive.contains_key(o) {
                // Possibly dangling (or the owner's event is still to come): check.
                self.enqueue(o);
            }
        }
        self.owners_of.insert(r, owner_uids);
        let fins = obj.metadata().finalizers.as_deref().unwrap_or_default();
        if obj.metadata().deletion_timestamp.is_some() && fins.iter().any(|f| f == FOREGROUND || f == ORPHAN) {
            self.enqueue(&uid);
        }
    }

    fn on_timer(&mut self, key: &str) {
        self.enqueue(key);
    }

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let mut worked = false;
        while let Some(uid) = self.queue.pop_front() {
            self.queued.remove(&uid);
            worked = true;
            self.reconcile(&uid, ctx);
        }
        worked
    }
}
