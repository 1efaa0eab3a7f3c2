//! Per-resource strategies, as the apiserver's `pkg/registry/<group>/<resource>`: defaulting,
//! preparing objects for create and update, validation, and the spec/status split.
//! One file per resource; this module dispatches to them. Shared pieces: `meta` (object
//! metadata), `names` (name and key formats), `podspec`/`podvalidation`/`containers`/`volumes`
//! (pod templates), `selector` and `gofmt` (values printed as upstream prints them).

use rand_chacha::ChaCha8Rng;

use super::error::FieldError;
use crate::model::{Object, Typed};
use crate::store::Store;

mod containers;
mod gofmt;
mod intorpercent;
mod meta;
mod names;
mod podspec;
mod podvalidation;
mod selector;
mod status;
mod strategies;
mod volumes;

mod admissionregistration;
mod configmap;
pub mod cron;
mod cronjob;
mod daemonset;
mod deployment;
mod endpoints;
mod event;
mod hpa;
mod ingress;
mod job;
mod limitrange;
mod namespace;
mod networkpolicy;
mod node;
mod pdb;
mod persistentvolume;
mod persistentvolumeclaim;
mod pod;
mod priorityclass;
mod rbac;
mod replicaset;
mod replicationcontroller;
mod secret;
mod service;
mod statefulset;
mod storageclass;
#[cfg(test)]
mod tests;

pub use containers::quantity_value;
pub use event::EVENT_TTL_SECONDS;
pub use meta::validate_object_meta;
pub use status::StatusSplit;

/// What a strategy hook that takes from the cluster sees: the store (what others hold) and
/// the seeded RNG (random picks), as the Service REST storage sees its allocators.
pub struct StrategyContext<'a> {
    pub store: &'a Store<Object>,
    /// What Services hold of the ClusterIP range and the node ports.
    pub allocations: &'a mut crate::apiserver::allocator::ServiceAllocations,
    pub rng: &'a mut ChaCha8Rng,
}

/// What a resource does at each step of a write. Every method has a neutral default,
/// so a resource implements only what it needs. The write skeleton that calls them, in
/// genericregistry.Store's order, is `apiserver/genericregistry.rs`.
pub trait Strategy: Typed + StatusSplit + Clone + PartialEq {
    /// Fill in defaults, as the apiserver's defaulting (SetDefaults_*) does.
    fn default(&mut self) {}
    /// Defaults on an update of `old`. A kind whose spec is shared skips the defaults of a
    /// spec that is the very one stored: it was defaulted when it was written, and defaulting
    /// it again would copy it for nothing.
    fn default_update(&mut self, _old: &Self) {
        self.default()
    }
    /// Reset what a client may not set on create (usually status).
    fn prepare_for_create(&mut self) {}
    /// Carry over from the stored object what a client may not change on update.
    fn prepare_for_update(&mut self, _old: &Self) {}
    /// Validate a new object. Metadata is validated separately.
    fn validate(&self, _errs: &mut Vec<FieldError>) {}
    /// Validate an update (immutable fields and the like), after `validate` passed.
    fn validate_update(&self, _old: &Self, _errs: &mut Vec<FieldError>) {}
    /// Whether everything `validate` reads is as in `old`, which passed it when it was written,
    /// so that an update may skip it (its answer would be the same). A kind opts in by
    /// comparing what its `validate` reads.
    fn validates_as(&self, _old: &Self) -> bool {
        false
    }
    /// Warnings on create (`WarningsOnCreate`): accepted, but probably not what was meant.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
    /// Take what a new object needs from the cluster, after defaulting and before admission
    /// (`BeginCreate`: a Service's ClusterIP and NodePorts).
    fn begin_create(&mut self, _ctx: &mut StrategyContext<'_>) -> Vec<FieldError> {
        Vec::new()
    }
    /// The same for an update of `old` (`BeginUpdate`). What an object held is free again once
    /// it is gone from the store, which is where allocation looks.
    fn begin_update(&mut self, _old: &Self, _ctx: &mut StrategyContext<'_>) -> Vec<FieldError> {
        Vec::new()
    }
    /// The grace period a delete gives (`RESTGracefulDeleteStrategy.CheckGracefulDelete`):
    /// 0 removes the object at once, more marks it and waits.
    fn grace_period(&self, _asked: Option<i64>) -> i64 {
        0
    }
    /// Change the object as its deletion begins (`BeforeDelete`). It must not change what
    /// `held` reads: the write skeleton asks `held` of the stored object, before any copy.
    fn before_delete(&mut self) {}
    /// Whether something other than `metadata.finalizers` keeps a deleted object
    /// (the negation of the store's `ShouldDeleteDuringUpdate`).
    fn held(&self) -> bool {
        false
    }
    /// How long the object lives after its last write (`TTLFunc`), in seconds.
    fn ttl_seconds(&self) -> Option<i64> {
        None
    }
    /// Whether the spec differs from `old`'s: a change bumps `metadata.generation`.
    fn spec_changed(&self, old: &Self) -> bool {
        let mut a = self.clone();
        let mut b = old.clone();
        a.take_status();
        b.take_status();
        *a.meta_mut() = Default::default();
        *b.meta_mut() = Default::default();
        a != b
    }
}

/// `match` an object over every kind, binding its typed value to `$o` (from the list of kinds).
macro_rules! dispatch {
    ($obj:expr, $o:ident => $body:expr) => {
        crate::model::kinds::for_each_kind!(dispatch_arms ($obj, $o => $body))
    };
}

macro_rules! dispatch_arms {
    (($obj:expr, $o:ident => $body:expr) $($variant:ident : $ty:ty = $info:tt)*) => {
        match $obj { $(Object::$variant($o) => $body,)* }
    };
}

/// `match` two objects of the same kind; `$mismatch` when their kinds differ.
macro_rules! dispatch2 {
    ($new:expr, $old:expr, $n:ident, $o:ident => $body:expr, $mismatch:expr) => {
        crate::model::kinds::for_each_kind!(dispatch2_arms ($new, $old, $n, $o => $body, $mismatch))
    };
}

macro_rules! dispatch2_arms {
    (($new:expr, $old:expr, $n:ident, $o:ident => $body:expr, $mismatch:expr) $($variant:ident : $ty:ty = $info:tt)*) => {
        match ($new, $old) { $((Object::$variant($n), Object::$variant($o)) => $body,)* _ => $mismatch }
    };
}

pub fn default(obj: &mut Object) {
    dispatch!(obj, o => o.default())
}

/// Whether an update carries the very spec stored (shared with it, not a copy).
pub(crate) fn same_spec<T>(new: &Option<crate::model::Shared<T>>, old: &Option<crate::model::Shared<T>>) -> bool {
    matches!((new, old), (Some(n), Some(o)) if crate::model::Shared::same(n, o))
}

/// Defaults on an update of `old` (see [`Strategy::default_update`]); the two are of one kind.
pub fn default_update(new: &mut Object, old: &Object) {
    dispatch2!(new, old, n, o => n.default_update(o), ())
}

pub fn prepare_for_create(obj: &mut Object) {
    dispatch!(obj, o => o.prepare_for_create())
}

/// Prepare an update of `old` to `new` (after `keep_status`, before defaulting).
pub fn prepare_for_update(new: &mut Object, old: &Object) {
    dispatch2!(new, old, n, o => n.prepare_for_update(o), ())
}

/// Warnings a create of `obj` draws, as kubectl prints them after `Warning: `.
pub fn warnings(obj: &Object) -> Vec<String> {
    dispatch!(obj, o => o.warnings())
}

/// Validate a new object: metadata, then the resource's own rules.
pub fn validate(obj: &Object) -> Vec<FieldError> {
    let mut errs = validate_object_meta(obj.info(), obj.metadata());
    dispatch!(obj, o => o.validate(&mut errs));
    errs
}

/// Validate an update: the new object on its own, then against the old one. What is as the
/// old object had it is not validated again (a status writer, a lease renewal or a finalizer
/// patch leaves most of the object as it was): the old object passed the same rules.
pub fn validate_update(new: &Object, old: &Object) -> Vec<FieldError> {
    let mut errs = if meta::validates_as(new.metadata(), old.metadata()) {
        Vec::new()
    } else {
        validate_object_meta(new.info(), new.metadata())
    };
    if !dispatch2!(new, old, n, o => n.validates_as(o), false) {
        dispatch!(new, o => o.validate(&mut errs));
    }
    if errs.is_empty() {
        dispatch2!(new, old, n, o => n.validate_update(o, &mut errs), ());
    }
    errs
}

/// Take what `obj` needs from the cluster on create (see [`Strategy::begin_create`]).
pub fn begin_create(obj: &mut Object, ctx: &mut StrategyContext<'_>) -> Vec<FieldError> {
    dispatch!(obj, o => o.begin_create(ctx))
}

/// Take what `new` needs from the cluster on update of `old`.
pub fn begin_update(new: &mut Object, old: &Object, ctx: &mut StrategyContext<'_>) -> Vec<FieldError> {
    dispatch2!(new, old, n, o => n.begin_update(o, ctx), Vec::new())
}

/// The grace period a delete of `obj` gives, `asked` being the request's.
pub fn grace_period(obj: &Object, asked: Option<i64>) -> i64 {
    dispatch!(obj, o => o.grace_period(asked))
}

pub fn before_delete(obj: &mut Object) {
    dispatch!(obj, o => o.before_delete())
}

/// Whether something other than finalizers and a grace period keeps deleted `obj`.
pub fn held(obj: &Object) -> bool {
    dispatch!(obj, o => o.held())
}

pub fn ttl_seconds(obj: &Object) -> Option<i64> {
    dispatch!(obj, o => o.ttl_seconds())
}

pub fn spec_changed(new: &Object, old: &Object) -> bool {
    dispatch2!(new, old, n, o => n.spec_changed(o), true)
}

/// Keep `old`'s status in `new` (an update of the main resource ignores status). The stored
/// object at a key is always of the key's kind, so the kinds match.
pub fn keep_status(new: &mut Object, old: &Object) {
    dispatch2!(new, old, n, o => o.copy_status_to(n), ())
}

/// Keep everything of `old` but `new`'s status (an update of the status subresource): `new`
/// keeps its status and gets a copy of the rest of `old`, whose status is not copied.
pub fn only_status(mut new: Object, old: &Object) -> Object {
    // `deploymentStatusStrategy` keeps only the spec and labels: the Deployment controller
    // writes the revision annotation with its status.
    let annotations = match &mut new {
        Object::Deployment(n) => Some(n.metadata.annotations.take()),
        _ => None,
    };
    dispatch2!(&mut new, old, n, o => o.copy_rest_to(n), ());
    if let (Object::Deployment(n), Some(annotations)) = (&mut new, annotations) {
        n.metadata.annotations = annotations;
    }
    new
}
