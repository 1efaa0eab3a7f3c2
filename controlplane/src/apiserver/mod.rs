//! The API server: every read and write of cluster state goes through here. Every request
//! passes one handler chain (`handler.rs`: authentication, audit, authorization); a write then
//! runs the one write skeleton (`genericregistry.rs`): decoded, defaulted, admitted
//! (mutating), validated, admitted (validating) and stored, in kube-apiserver's order, with
//! what differs by resource in its strategy (`registry/`).

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

pub mod admission;
pub mod allocator;
pub mod audit;
pub mod authorization;
mod binding;
pub mod error;
mod eviction;
pub mod exec;
mod finalize;
mod genericregistry;
mod handler;
mod leases;
pub mod metrics;
pub mod names;
pub mod patch;
pub mod proxy;
pub mod registry;
pub mod rest;
pub mod scale;
pub mod scheduling;
mod token;
pub mod user;
pub mod webhook;

use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};
use crate::store::{EventType, Store};
use admission::AdmissionPlugin;
pub use audit::{AuditLog, AuditRecord};
pub use authorization::{AlwaysAllow, Authorizer, Decision};
pub use error::{ApiError, FieldError, Reason};
pub use handler::RequestInfo;
pub use patch::PatchType;
pub use user::UserInfo;

/// How dependents are treated when their owner is deleted (`propagationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Orphan,
    Background,
    Foreground,
}

/// Objects nothing in the cluster acts on: those of `kind` that `applies` picks (all, when
/// None), and the warning the API server gives when one is created.
#[derive(Debug, Clone)]
pub struct Unacted {
    pub kind: Kind,
    pub applies: Option<fn(&Object) -> bool>,
    pub warning: String,
}

/// `metav1.DeleteOptions`, the parts kubesim honours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    pub propagation_policy: Option<Propagation>,
    /// `preconditions.uid`: delete only the object with this uid (a Conflict otherwise).
    pub uid: Option<String>,
}

/// A watch event as the apiserver sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchEvent {
    pub event_type: WatchEventType,
    pub object: Arc<Object>,
    /// The store revision of the change.
    pub revision: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEventType {
    Added,
    Modified,
    Deleted,
}

impl WatchEventType {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventType::Added => "ADDED",
            WatchEventType::Modified => "MODIFIED",
            WatchEventType::Deleted => "DELETED",
        }
    }
}

/// A list response: the items and the revision they were read at.
#[derive(Debug, Clone)]
pub struct ListResult {
    pub items: Vec<Arc<Object>>,
    pub resource_version: i64,
}

pub struct ApiServer {
    store: Store<Object>,
    now: DateTime<Utc>,
    rng: ChaCha8Rng,
    /// The Services' cluster IPs and node ports, for the allocator.
    allocations: allocator::ServiceAllocations,
    authorizer: Box<dyn Authorizer>,
    admission: Vec<Box<dyn AdmissionPlugin>>,
    audit: AuditLog,
    audit_enabled: bool,
    /// The leases of objects with a time to live (Events).
    leases: leases::LeaseManager,
    /// The store's revision at each simulated instant of the last `WATCH_HISTORY_SECONDS`,
    /// oldest first: the compactor forgets the history written before the window.
    checkpoints: VecDeque<(DateTime<Utc>, i64)>,
    /// Warnings of the last write (the `Warning:` headers kubectl prints).
    warnings: Vec<String>,
    /// The warning a create of each kind no controller acts on gets (`set_unacted`).
    unacted: Vec<Unacted>,
    /// The simulated instant (ns) and the count of event names handed out in it.
    event_names: (i64, i64),
    /// The request being served has `dryRun=All` (see [`ApiServer::dry_run`]).
    dry_run: bool,
    /// The key of the update being served, in a buffer every update reuses (a third of the
    /// requests are updates; a key made for each would be an allocation a request).
    update_key: String,
}

/// How long watch history is kept: kube-apiserver's watch cache keeps at least
/// `DefaultEventFreshDuration` (a bookmark's minute and 15 seconds) of each resource's changes,
/// and a watch from a revision before it is answered `Gone`.
const WATCH_HISTORY_SECONDS: i64 = 75;
/// Revisions behind after which the history is compacted at once (keeping half of them), so
/// that a burst of writes cannot keep every version of every object.
const COMPACTION_BACKLOG: i64 = 50_000;

/// A `metav1.Time` for a moment of the simulated clock.
pub fn k8s_time(t: DateTime<Utc>) -> Time {
    Time(k8s_openapi::jiff::Timestamp::from_second(t.timestamp()).unwrap_or_default())
}

/// The moment a `metav1.Time` names, on the simulated clock's calendar.
pub fn from_k8s_time(t: &Time) -> DateTime<Utc> {
    DateTime::from_timestamp(t.0.as_second(), t.0.subsec_nanosecond().unsigned_abs()).unwrap_or_default()
}

impl ApiServer {
    pub fn new(seed: u64, now: DateTime<Utc>) -> Self {
        let mut store = Store::new();
        // An hour of Events is tens of thousands of keys, each written once and deleted an
        // hour later, and listed now and then: their order is made when a list asks for it.
        store.keep_listed(&Kind::Event.info().key_prefix(None));
        ApiServer {
            store,
            now,
            rng: ChaCha8Rng::seed_from_u64(seed),
            allocations: allocator::ServiceAllocations::default(),
            authorizer: Box::new(AlwaysAllow),
            admission: admission::default_chain(),
            audit: AuditLog::default(),
            audit_enabled: true,
            leases: Default::default(),
            checkpoints: VecDeque::new(),
            warnings: Vec::new(),
            unacted: Vec::new(),
            dry_run: false,
            update_key: String::new(),
            event_names: (i64::MIN, 0),
        }
    }

    /// The nanosecond to name the next event with (`<object>.<hex ns>`, as client-go names
    /// them): events made in one simulated instant take its next nanoseconds in the order they
    /// are made, whichever component makes them, so name order is the order they happened.
    pub fn next_event_nanos(&mut self) -> i64 {
        let instant = self.now.timestamp_nanos_opt().unwrap_or(0);
        if self.event_names.0 != instant {
            self.event_names = (instant, 0);
        }
        let n = instant + self.event_names.1;
        self.event_names.1 += 1;
        n
    }

    /// The store behind the API server, read-only (for etcdctl and tests).
    pub fn store(&self) -> &Store<Object> {
        &self.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Set by the cluster as its clock moves. Objects whose time to live ran out (Events, an
    /// hour after their last write) expire now, as etcd revokes their leases: they leave the
    /// store with a DELETED watch event, and no request is audited.
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = now;
        self.store.expire(now.timestamp_nanos_opt().unwrap_or(i64::MAX));
    }

    /// Decide requests with `authorizer` from now on (the default allows every request).
    pub fn set_authorizer(&mut self, authorizer: Box<dyn Authorizer>) {
        self.authorizer = authorizer;
    }

    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    /// Keep at most `limit` audit records (the default is [`AuditLog::DEFAULT_LIMIT`]).
    pub fn set_audit_limit(&mut self, limit: usize) {
        self.audit.set_limit(limit);
    }

    /// Stop (or resume) recording requests, e.g. for very large benchmarks.
    pub fn set_audit(&mut self, enabled: bool) {
        self.audit_enabled = enabled;
    }

    /// Kinds (or objects of a kind) that nothing in this cluster acts on, with the warning a
    /// create of one gets, so no one waits for what will never happen. The cluster sets them
    /// from its controllers.
    pub fn set_unacted(&mut self, unacted: Vec<Unacted>) {
        self.unacted = unacted;
    }

    /// Serve the requests `f` makes with `dryRun=All`, as a client's `?dryRun=All`: each runs
    /// its whole pipeline (authorization, admission, defaulting, validation) and answers with
    /// the object as it would be stored, but the write skeleton stops before the store.
    pub fn dry_run<T>(&mut self, f: impl FnOnce(&mut ApiServer) -> T) -> T {
        self.dry_run = true;
        let result = f(self);
        self.dry_run = false;
        result
    }

    /// The warnings of the most recent create or update, taken (kubectl prints them as `Warning: ...`).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Forget watch history up to `revision` (etcd compaction).
    pub fn compact(&mut self, revision: i64) {
        let _ = self.store.compact(revision);
    }

    /// The compactor: forgets the watch history written more than `WATCH_HISTORY_SECONDS`
    /// ago, as kube-apiserver's watch cache does, and never beyond `seen`, what every component
    /// has read; so an open watch that keeps up (kubectl's `get -w` reads after every moment)
    /// never finds its revision compacted away. (The watch cache also keeps at least 100 events
    /// of a quiet resource, older ones included; nothing here watches from a revision it did
    /// not just read, so one window for every resource is enough.) A burst of writes more than
    /// 50,000 revisions beyond the compacted point compacts at once, keeping the latest 25,000.
    /// So what is kept is a minute or two of changes, however long the cluster runs.
    pub fn compact_seen(&mut self, seen: i64) {
        let revision = self.store.revision();
        match self.checkpoints.back_mut() {
            Some((at, r)) if *at == self.now => *r = revision,
            _ => self.checkpoints.push_back((self.now, revision)),
        }
        // The newest instant before the window stays: a watch that listed in it, before the
        // rest of that instant's writes, may not have read since (a jump of the clock past the
        // window in one step); compacting to the instant before it never passes its revision.
        let window_start = self.now - chrono::Duration::seconds(WATCH_HISTORY_SECONDS);
        let mut target = None;
        while self.checkpoints.get(1).is_some_and(|(at, _)| *at <= window_start) {
            target = self.checkpoints.pop_front().map(|(_, r)| r);
        }
        let compacted = self.store.compacted_revision();
        if let Some(target) = target.map(|t| t.min(seen)).filter(|t| *t > compacted) {
            self.compact(target);
        } else if seen - compacted > COMPACTION_BACKLOG {
            self.compact(seen.min(revision - COMPACTION_BACKLOG / 2));
        }
    }

    // ---- reads -------------------------------------------------------------------------------

    pub fn get(
        &mut self,
        user: impl Into<UserInfo>,
        kind: Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Arc<Object>, ApiError> {
        let info = kind.info();
        let req = RequestInfo { verb: "get", info, sub: "", namespace, name };
        self.serve(user, req, |s, _| s.peek(kind, namespace, name).ok_or_else(|| ApiError::not_found(info, name)))
    }

    /// Read without recording a request: for printing state the user asked about in one go.
    pub fn peek(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Object>> {
        kind.info().with_key(namespace, name, |key| self.store.get(key).map(|kv| kv.value.clone()))
    }

    /// All objects of `kind` (in one namespace, or all when None), in key order, without
    /// recording a request: for completion and other looks that must not change what the
    /// audit log shows.
    /// Whether ingress-nginx is installed: an IngressClass of its controller is stored (its
    /// manifest's), so Ingresses are acted on.
    pub fn ingress_controller_installed(&self) -> bool {
        self.peek_list(Kind::IngressClass, None).iter().any(|o| match &**o {
            Object::IngressClass(c) => {
                c.spec.as_ref().and_then(|s| s.controller.as_deref()) == Some(crate::network::ingress::CONTROLLER)
            }
            _ => false,
        })
    }

    pub fn peek_list(&self, kind: Kind, namespace: Option<&str>) -> Vec<Arc<Object>> {
        let prefix = kind.info().key_prefix(namespace);
        self.store.range(&prefix).map(|kv| kv.value.clone()).collect()
    }

    /// All objects of `kind` (in one namespace, or all when None) that pass `filter`, in key order.
    /// An authorizer that refuses the list gives an empty result (see [`try_list`](Self::try_list)).
    pub fn list(
        &mut self,
        user: impl Into<UserInfo>,
        kind: Kind,
        namespace: Option<&str>,
        filter: impl Fn(&Object) -> bool,
    ) -> ListResult {
        self.try_list(user, kind, namespace, filter)
            .unwrap_or_else(|_| ListResult { items: Vec::new(), resource_version: self.store.revision() })
    }

    /// All objects of `kind` (in one namespace, or all when None) that pass `filter`, in key
    /// order, or the error that refused the request.
    pub fn try_list(
        &mut self,
        user: impl Into<UserInfo>,
        kind: Kind,
        namespace: Option<&str>,
        filter: impl Fn(&Object) -> bool,
    ) -> Result<ListResult, ApiError> {
        let info = kind.info();
        let req = RequestInfo { verb: "list", info, sub: "", namespace: namespace.unwrap_or(""), name: "" };
        self.serve(user, req, |s, _| {
            let prefix = info.key_prefix(namespace);
            let items = s.store.range(&prefix).filter(|kv| filter(&kv.value)).map(|kv| kv.value.clone()).collect();
            Ok(ListResult { items, resource_version: s.store.revision() })
        })
    }

    /// List with kubectl's selectors: a label selector and a field selector (only the field
    /// labels the kind supports; others are a BadRequest, as upstream).
    pub fn list_selected(
        &mut self,
        user: impl Into<UserInfo>,
        kind: Kind,
        namespace: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Result<ListResult, ApiError> {
        if let Some(bad) = fields.fields().find(|f| !crate::model::fields::supports(kind, f)) {
            let info = kind.info();
            let gvr = format!("{}/{}, Resource={}", info.group, info.version, info.plural);
            let err = ApiError::bad_request(format!(
                "Unable to find {} that match label selector {}, field selector {}: {}",
                error::quote(&gvr),
                error::quote(&labels.to_string()),
                error::quote(&fields.to_string()),
                crate::model::field_selector::unsupported_field_error(bad)
            ));
            let req = RequestInfo { verb: "list", info, sub: "", namespace: namespace.unwrap_or(""), name: "" };
            return self.serve(user, req, |_, _| Err(err));
        }
        self.try_list(user, kind, namespace, |o| {
            labels.matches(o.labels()) && fields.matches(|f| crate::model::fields::value(o, f))
        })
    }

    /// Changes to `kind` (in one namespace, or all) since `from` (exclusive), oldest first.
    pub fn watch(
        &mut self,
        user: impl Into<UserInfo>,
        kind: Kind,
        namespace: Option<&str>,
        from: i64,
    ) -> Result<Vec<WatchEvent>, ApiError> {
        let req =
            RequestInfo { verb: "watch", info: kind.info(), sub: "", namespace: namespace.unwrap_or(""), name: "" };
        self.serve(user, req, |s, _| {
            let mut out = Vec::new();
            s.watch_each(kind, namespace, from, |e| out.push(e.clone())).map(|_| out)
        })
    }

    /// Visit changes since `from` (exclusive) without copying them; not recorded (informers
    /// call this on every turn of the event loop).
    pub fn watch_each(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        from: i64,
        f: impl FnMut(&WatchEvent),
    ) -> Result<(), ApiError> {
        self.watch_prefix(&kind.info().key_prefix(namespace), from, f)
    }

    /// Visit the changes of every kind since `from` (exclusive), in revision order: the one
    /// pass over the watch history that feeds the cluster's shared informers.
    pub fn watch_all(&self, from: i64, f: impl FnMut(&WatchEvent)) -> Result<(), ApiError> {
        self.watch_prefix("/registry/", from, f)
    }

    fn watch_prefix(&self, prefix: &str, from: i64, mut f: impl FnMut(&WatchEvent)) -> Result<(), ApiError> {
        self.store
            .for_each_event(prefix, from + 1, |e| {
                let event_type = match e.event_type {
                    EventType::Delete => WatchEventType::Deleted,
                    EventType::Put if e.kv.create_revision == e.kv.mod_revision => WatchEventType::Added,
                    EventType::Put => WatchEventType::Modified,
                };
                f(&WatchEvent { event_type, object: e.kv.value.clone(), revision: e.kv.mod_revision });
            })
            .map_err(|_| ApiError::new(Reason::Gone, "The resourceVersion for the provided watch is too old."))
    }

    pub fn revision(&self) -> i64 {
        self.store.revision()
    }

    // ---- writes ------------------------------------------------------------------------------

    /// Create `obj` in `namespace` (ignored for cluster-scoped kinds).
    pub fn create(&mut self, user: impl Into<UserInfo>, namespace: &str, obj: Object) -> Result<Arc<Object>, ApiError> {
        let info = obj.info();
        let ns = if info.namespaced { namespace } else { "" };
        let name = obj.name().to_string();
        let req = RequestInfo { verb: "create", info, sub: "", namespace: ns, name: &name };
        self.serve(user, req, |s, audit| {
            let created = s.do_create(ns, obj)?;
            // A generated name is learnt now.
            if audit.name.is_empty() {
                audit.name = created.name().to_string().into();
            }
            Ok(created)
        })
    }

    /// Replace an object (PUT). A set `resourceVersion` that is not the current one is a Conflict.
    /// The status is kept as stored: change it with [`update_status`](Self::update_status).
    pub fn update(&mut self, user: impl Into<UserInfo>, obj: Object) -> Result<Arc<Object>, ApiError> {
        let info = obj.info();
        // The key is made once, in the buffer updates reuse; the request's namespace and name
        // are read from it.
        let mut key = std::mem::take(&mut self.update_key);
        info.write_key(&mut key, obj.namespace(), obj.name());
        let (namespace, name) = genericregistry::key_names(info, &key, obj.namespace().len(), obj.name().len());
        let req = RequestInfo { verb: "update", info, sub: "", namespace, name };
        let result = self.serve(user, req, |s, _| s.do_update_at(&key, obj, false));
        self.update_key = key;
        result
    }

    /// Replace an object's status (PUT .../status); everything else is kept as stored.
    pub fn update_status(&mut self, user: impl Into<UserInfo>, obj: Object) -> Result<Arc<Object>, ApiError> {
        let info = obj.info();
        let mut key = std::mem::take(&mut self.update_key);
        info.write_key(&mut key, obj.namespace(), obj.name());
        let (namespace, name) = genericregistry::key_names(info, &key, obj.namespace().len(), obj.name().len());
        let req = RequestInfo { verb: "update", info, sub: "status", namespace, name };
        let result = self.serve(user, req, |s, _| {
            if !info.has_status {
                return Err(ApiError::new(Reason::NotFound, "the server could not find the requested resource"));
            }
            s.do_update_at(&key, obj, true)
        });
        self.update_key = key;
        result
    }

    /// Patch an object (PATCH) with a JSON merge patch or a strategic merge patch.
    pub fn patch(
        &mut self,
        user: impl Into<UserInfo>,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Result<Arc<Object>, ApiError> {
        self.serve_patch(user, "", kind, namespace, name, (patch_type, patch))
    }

    /// Patch an object's status subresource.
    pub fn patch_status(
        &mut self,
        user: impl Into<UserInfo>,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Result<Arc<Object>, ApiError> {
        self.serve_patch(user, "status", kind, namespace, name, (patch_type, patch))
    }

    fn serve_patch(
        &mut self,
        user: impl Into<UserInfo>,
        sub: &'static str,
        kind: Kind,
        namespace: &str,
        name: &str,
        (patch_type, patch): (PatchType, &Value),
    ) -> Result<Arc<Object>, ApiError> {
        let req = RequestInfo { verb: "patch", info: kind.info(), sub, namespace, name };
        self.serve(user, req, |s, _| s.do_patch(kind, namespace, name, patch_type, patch, sub == "status"))
    }

    /// The patch handler: apply the patch to the stored object, then update with the result.
    fn do_patch(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
        status: bool,
    ) -> Result<Arc<Object>, ApiError> {
        let info = kind.info();
        let ns = if info.namespaced { namespace } else { "" };
        let current = self.peek(kind, ns, name).ok_or_else(|| ApiError::not_found(info, name))?;
        if patch::only_plain_metadata(patch_type, patch) {
            // Only the metadata can change: the rest of the object is copied, never decoded.
            let mut obj = (*current).clone();
            if patch::patch_plain_metadata(obj.metadata_mut(), patch_type, patch) {
                return self.do_update(obj, status);
            }
        }
        let mut doc = current.to_value();
        patch::apply_patch(patch_type, &mut doc, patch).map_err(|e| match e {
            // The API server answers 422 for an operation that does not apply.
            patch::PatchError::OperationFailed(why) => ApiError::new(Reason::Invalid, why),
            e => ApiError::bad_request(e.to_string()),
        })?;
        // The patch may not rename or move the object.
        doc["apiVersion"] = Value::String(info.api_version());
        doc["kind"] = Value::String(info.name.to_string());
        let obj = crate::model::decode(doc).map_err(|e| ApiError::bad_request(e.to_string()))?;
        if obj.name() != name || (info.namespaced && obj.namespace() != ns) {
            return Err(ApiError::bad_request("the name of the object and the name in the request do not match"));
        }
        self.do_update(obj, status)
    }

    /// Delete an object. Objects with finalizers, and pods with a grace period, are only marked
    /// (deletionTimestamp) and returned; the rest are removed and returned as they were.
    pub fn delete(
        &mut self,
        user: impl Into<UserInfo>,
        kind: Kind,
        namespace: &str,
        name: &str,
        opts: DeleteOptions,
    ) -> Result<Arc<Object>, ApiError> {
        let info = kind.info();
        let ns = if info.namespaced { namespace } else { "" };
        let req = RequestInfo { verb: "delete", info, sub: "", namespace: ns, name };
        self.serve(user, req, |s, _| s.do_delete(info, ns, name, opts))
    }
}

#[cfg(test)]
mod tests;
