//! Per-resource strategies, as the apiserver's `pkg/registry/<group>/<resource>`: defaulting,
//! preparing objects for create and update, validation, and the spec/status split.
//! One file per resource; this module dispatches to them. Shared pieces: `meta` (object
//! metadata), `names` (name and key formats), `podspec`/`podvalidation`/`containers`/`volumes`
//! (pod templates), `selector` and `gofmt` (values printed as upstream prints them).

use super::error::FieldError;
use crate::model::{Object, Typed};

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

mod configmap;
mod cron;
mod cronjob;
mod daemonset;
mod deployment;
mod endpoints;
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
pub use meta::validate_object_meta;
pub use status::StatusSplit;

/// What a resource does at each step of a write. Every method has a neutral default,
/// so a resource implements only what it needs.
pub trait Strategy: Typed + StatusSplit + Clone + PartialEq {
    /// Fill in defaults, as the apiserver's defaulting (SetDefaults_*) does.
    fn default(&mut self) {}
    /// Reset what a client may not set on create (usually status).
    fn prepare_for_create(&mut self) {}
    /// Carry over from the stored object what a client may not change on update.
    fn prepare_for_update(&mut self, _old: &Self) {}
    /// Validate a new object. Metadata is validated separately.
    fn validate(&self, _errs: &mut Vec<FieldError>) {}
    /// Validate an update (immutable fields and the like), after `validate` passed.
    fn validate_update(&self, _old: &Self, _errs: &mut Vec<FieldError>) {}
    /// Warnings on create (`WarningsOnCreate`): accepted, but probably not what was meant.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
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

/// Validate an update: the new object on its own, then against the old one.
pub fn validate_update(new: &Object, old: &Object) -> Vec<FieldError> {
    let mut errs = validate(new);
    if errs.is_empty() {
        dispatch2!(new, old, n, o => n.validate_update(o, &mut errs), ());
    }
    errs
}

pub fn spec_changed(new: &Object, old: &Object) -> bool {
    dispatch2!(new, old, n, o => n.spec_changed(o), true)
}

/// Keep `old`'s status in `new` (an update of the main resource ignores status).
pub fn keep_status(new: &mut Object, old: &Object) {
    let mut old = old.clone();
    let status = dispatch!(&mut old, o => o.take_status());
    dispatch!(new, n => { n.take_status(); n.restore_status(status) })
}

/// Keep everything of `old` but `new`'s status (an update of the status subresource).
pub fn only_status(new: &Object, old: &Object) -> Object {
    let mut new = new.clone();
    let status = dispatch!(&mut new, n => n.take_status());
    let mut out = old.clone();
    dispatch!(&mut out, o => { o.take_status(); o.restore_status(status) });
    out
}
