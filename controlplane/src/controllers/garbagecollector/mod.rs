//! GarbageCollector: objects whose owners are gone are deleted (or, if another owner is
//! still there, released); owners deleted in the foreground wait for their dependents; owners
//! deleted with the orphan policy release theirs. It keeps its own graph of owner uid →
//! dependents, as upstream's GraphBuilder does, built in its event handler; its work-queue keys
//! are owner uids. Events are not tracked (upstream's `ignoredResources`).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::apiserver::{ApiError, DeleteOptions, Propagation, WatchEvent, WatchEventType};
use crate::controllers::informers::Informers;
use crate::controllers::runtime::{controller_user, Action, Controller};
use crate::fasthash::HashMap;
use crate::model::{Kind, Object, KINDS};
use crate::sim::component::Ctx;

const NAME: &str = "garbage-collector-controller";
pub const FOREGROUND: &str = "foregroundDeletion";
pub const ORPHAN: &str = "orphan";

/// An object's coordinates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct ObjRef {
    kind: Kind,
    namespace: String,
    name: String,
}

/// Every kind but the ignored ones (`DefaultIgnoredResources`: core and events.k8s.io Events).
static TRACKED: LazyLock<Vec<Kind>> =
    LazyLock::new(|| KINDS.iter().map(|k| k.kind).filter(|k| *k != Kind::Event).collect());

pub struct GarbageCollector {
    /// Who it acts as (made once: it syncs an owner for most deletions).
    user: String,
    /// Live objects by uid.
    /// (The three graph tables are only looked up, never walked: hash maps, whose order
    /// decides nothing.)
    alive: HashMap<String, ObjRef>,
    /// Owner uid → dependents.
    dependents: HashMap<String, BTreeSet<ObjRef>>,
    /// Each object's owner uids, to update the graph when they change.
    owners_of: HashMap<ObjRef, Vec<String>>,
}

impl Default for GarbageCollector {
    fn default() -> Self {
        Self::new()
    }
}

impl GarbageCollector {
    pub fn new() -> Self {
        GarbageCollector {
            user: controller_user(NAME),
            alive: HashMap::default(),
            dependents: HashMap::default(),
            owners_of: HashMap::default(),
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

    /// Whether the graph already has `obj` as it is: seen alive under its uid and coordinates,
    /// with the owners of `old`, its previous version, the same as its own.
    fn graph_holds(&self, obj: &Object, old: Option<&Object>) -> bool {
        let meta = obj.metadata();
        if old.is_some_and(|o| o.shares_metadata(obj)) {
            // The very metadata of the version before (a status write of a kind whose versions
            // share it): the same uid, coordinates and owners, so only whether it is known.
            return self.alive.contains_key(meta.uid.as_deref().unwrap_or_default());
        }
        let Some(old) = old.filter(|o| o.metadata().uid == meta.uid) else { return false };
        fn owners(m: &ObjectMeta) -> impl Iterator<Item = &str> {
            m.owner_references.iter().flatten().map(|r| r.uid.as_str())
        }
        let known = self.alive.get(meta.uid.as_deref().unwrap_or_default());
        known.is_some_and(|r| r.kind == obj.kind() && r.namespace == obj.namespace() && r.name == obj.name())
            && owners(old.metadata()).eq(owners(meta))
    }

    /// Act for one owner uid: see the module doc.
    fn sync(&mut self, uid: &str, ctx: &mut Ctx<'_>) {
        let user: &str = &self.user;
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
                    let _ = ctx.api.update(user, released);
                } else if obj.metadata().deletion_timestamp.is_none() {
                    let _ = ctx.api.delete(user, dep.kind, &dep.namespace, &dep.name, DeleteOptions::default());
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
                let _ = ctx.api.update(user, released);
            }
            remove_finalizer(ctx, user, &owner, ORPHAN);
        } else if finalizers.iter().any(|f| f == FOREGROUND) {
            let mut waiting = false;
            for dep in &deps {
                let Some(obj) = ctx.api.peek(dep.kind, &dep.namespace, &dep.name) else { continue };
                waiting = true;
                if obj.metadata().deletion_timestamp.is_none() {
                    let opts =
                        DeleteOptions { propagation_policy: Some(Propagation::Foreground), ..Default::default() };
                    let _ = ctx.api.delete(user, dep.kind, &dep.namespace, &dep.name, opts);
                }
            }
            if !waiting {
                remove_finalizer(ctx, user, &owner, FOREGROUND);
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

impl Controller for GarbageCollector {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &TRACKED
    }

    /// The graph builder: keep the graph up to date and name the owners to look at.
    fn keys_for(&mut self, event: &WatchEvent, old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        let mut keys = Vec::new();
        let obj = &event.object;
        if event.event_type == WatchEventType::Modified && self.graph_holds(obj, old) {
            // Most changes (statuses, leases) leave the graph as it is, and then nothing is to
            // be looked at again (upstream's `processGraphChanges` enqueues nothing for an update
            // whose references did not change): an owner missing when the object came was
            // looked at then, and one deleted since was looked at for its deletion.
            let meta = obj.metadata();
            let fins = meta.finalizers.as_deref().unwrap_or_default();
            if meta.deletion_timestamp.is_some() && fins.iter().any(|f| f == FOREGROUND || f == ORPHAN) {
                keys.push(meta.uid.clone().unwrap_or_default());
            }
            return keys;
        }
        let r = ObjRef { kind: obj.kind(), namespace: obj.namespace().to_string(), name: obj.name().to_string() };
        let uid = obj.metadata().uid.clone().unwrap_or_default();
        self.forget_edges(&r);
        let owner_uids: Vec<String> = obj.metadata().owner_references.iter().flatten().map(|o| o.uid.clone()).collect();
        if event.event_type == WatchEventType::Deleted {
            self.alive.remove(&uid);
            // Its dependents lost an owner; its owners may be waiting for it.
            keys.push(uid);
            keys.extend(owner_uids);
            return keys;
        }
        self.alive.insert(uid.clone(), r.clone());
        for o in &owner_uids {
            self.dependents.entry(o.clone()).or_default().insert(r.clone());
            if !self.alive.contains_key(o) {
                // Possibly dangling (or the owner's event is still to come): check.
                keys.push(o.clone());
            }
        }
        self.owners_of.insert(r, owner_uids);
        let fins = obj.metadata().finalizers.as_deref().unwrap_or_default();
        if obj.metadata().deletion_timestamp.is_some() && fins.iter().any(|f| f == FOREGROUND || f == ORPHAN) {
            keys.push(uid);
        }
        keys
    }

    fn reconcile(&mut self, uid: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        self.sync(uid, ctx);
        Ok(Action::AwaitChange)
    }
}
