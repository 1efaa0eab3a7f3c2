//! The API server: every read and write of cluster state goes through here. A write is
//! decoded, defaulted, admitted (mutating), validated, admitted (validating) and stored, in
//! kube-apiserver's order; every request is recorded in the audit log.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

pub mod admission;
pub mod allocator;
pub mod audit;
mod binding;
pub mod error;
mod eviction;
pub mod names;
pub mod patch;
pub mod registry;

use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, KindInfo, Object};
use crate::store::{Compare, EventType, Op, Store, Txn};
use admission::{AdmissionPlugin, Attributes, Operation};
pub use audit::{AuditLog, AuditRecord};
pub use error::{ApiError, FieldError, Reason};
pub use patch::PatchType;

/// How dependents are treated when their owner is deleted (`propagationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Orphan,
    Background,
    Foreground,
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

/// Who asked for what: one audit record's request half.
struct Request<'a> {
    user: &'a str,
    verb: &'static str,
    info: &'static KindInfo,
    sub: &'static str,
    namespace: &'a str,
    name: &'a str,
}

pub struct ApiServer {
    store: Store<Object>,
    now: DateTime<Utc>,
    rng: ChaCha8Rng,
    admission: Vec<Box<dyn AdmissionPlugin>>,
    audit: AuditLog,
    audit_enabled: bool,
    /// Warnings of the last write (the `Warning:` headers kubectl prints).
    warnings: Vec<String>,
    /// The simulated instant (ns) and the count of event names handed out in it.
    event_names: (i64, i64),
}

/// A namespace keeps its content finalizer (`kubernetes`) until the namespace controller empties it.
fn has_spec_finalizers(obj: &Object) -> bool {
    matches!(obj, Object::Namespace(ns) if ns.spec.as_ref().and_then(|s| s.finalizers.as_ref()).is_some_and(|f| !f.is_empty()))
}

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
        ApiServer {
            store: Store::new(),
            now,
            rng: ChaCha8Rng::seed_from_u64(seed),
            admission: admission::default_chain(),
            audit: AuditLog::default(),
            audit_enabled: true,
            warnings: Vec::new(),
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

    /// Set by the cluster as its clock moves.
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = now;
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

    /// The warnings of the most recent create or update, taken (kubectl prints them as `Warning: ...`).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Forget watch history up to `revision` (etcd compaction).
    pub fn compact(&mut self, revision: i64) {
        let _ = self.store.compact(revision);
    }

    /// Record a request in the audit log and pass its result on.
    fn recorded<T>(&mut self, req: Request<'_>, result: Result<T, ApiError>) -> Result<T, ApiError> {
        let code = match &result {
            Ok(_) if req.verb == "create" => 201,
            Ok(_) => 200,
            Err(e) => e.reason.code(),
        };
        self.record(req, code);
        result
    }

    fn record(&mut self, req: Request<'_>, code: u16) {
        if !self.audit_enabled {
            return;
        }
        let mut resource = req.info.group_resource();
        if !req.sub.is_empty() {
            resource.push('/');
            resource.push_str(req.sub);
        }
        self.audit.push(AuditRecord {
            time: self.now,
            user: req.user.to_string(),
            verb: req.verb,
            resource,
            namespace: req.namespace.to_string(),
            name: req.name.to_string(),
            code,
            revision: self.store.revision(),
        });
    }

    // ---- reads -------------------------------------------------------------------------------

    pub fn get(&mut self, user: &str, kind: Kind, namespace: &str, name: &str) -> Result<Arc<Object>, ApiError> {
        let info = kind.info();
        let result = self.peek(kind, namespace, name).ok_or_else(|| ApiError::not_found(info, name));
        self.recorded(Request { user, verb: "get", info, sub: "", namespace, name }, result)
    }

    /// Read without recording a request: for printing state the user asked about in one go.
    pub fn peek(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Object>> {
        let info = kind.info();
        self.store.get(&info.key(namespace, name)).map(|kv| kv.value.clone())
    }

    /// All objects of `kind` (in one namespace, or all when None), in key order, without
    /// recording a request: for completion and other looks that must not change what the
    /// audit log shows.
    pub fn peek_list(&self, kind: Kind, namespace: Option<&str>) -> Vec<Arc<Object>> {
        let prefix = kind.info().key_prefix(namespace);
        self.store.range(&prefix).map(|kv| kv.value.clone()).collect()
    }

    /// All objects of `kind` (in one namespace, or all when None) that pass `filter`, in key order.
    pub fn list(
        &mut self,
        user: &str,
        kind: Kind,
        namespace: Option<&str>,
        filter: impl Fn(&Object) -> bool,
    ) -> ListResult {
        let info = kind.info();
        let prefix = info.key_prefix(namespace);
        let items: Vec<Arc<Object>> =
            self.store.range(&prefix).filter(|kv| filter(&kv.value)).map(|kv| kv.value.clone()).collect();
        self.record(Request { user, verb: "list", info, sub: "", namespace: namespace.unwrap_or(""), name: "" }, 200);
        ListResult { items, resource_version: self.store.revision() }
    }

    /// List with kubectl's selectors: a label selector and a field selector (only the field
    /// labels the kind supports; others are a BadRequest, as upstream).
    pub fn list_selected(
        &mut self,
        user: &str,
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
            let info = kind.info();
            let req = Request { user, verb: "list", info, sub: "", namespace: namespace.unwrap_or(""), name: "" };
            return self.recorded(req, Err(err));
        }
        Ok(self.list(user, kind, namespace, |o| {
            labels.matches(o.labels()) && fields.matches(|f| crate::model::fields::value(o, f))
        }))
    }

    /// Changes to `kind` (in one namespace, or all) since `from` (exclusive), oldest first.
    pub fn watch(
        &mut self,
        user: &str,
        kind: Kind,
        namespace: Option<&str>,
        from: i64,
    ) -> Result<Vec<WatchEvent>, ApiError> {
        let info = kind.info();
        let mut out = Vec::new();
        let result = self.watch_each(kind, namespace, from, |e| out.push(e.clone())).map(|_| out);
        self.recorded(
            Request { user, verb: "watch", info, sub: "", namespace: namespace.unwrap_or(""), name: "" },
            result,
        )
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
    pub fn create(&mut self, user: &str, namespace: &str, obj: Object) -> Result<Arc<Object>, ApiError> {
        let info = obj.info();
        let ns = if info.namespaced { namespace.to_string() } else { String::new() };
        let name = obj.name().to_string();
        let result = self.do_create(&ns, obj);
        let shown = result.as_ref().map(|o| o.name().to_string()).unwrap_or(name);
        self.recorded(Request { user, verb: "create", info, sub: "", namespace: &ns, name: &shown }, result)
    }

    fn do_create(&mut self, namespace: &str, mut obj: Object) -> Result<Arc<Object>, ApiError> {
        let info = obj.info();
        self.check_namespace(info, namespace, &mut obj)?;
        let meta = obj.metadata_mut();
        if meta.name.as_deref().unwrap_or("").is_empty() {
            if let Some(prefix) = meta.generate_name.clone().filter(|p| !p.is_empty()) {
                meta.name = Some(format!("{prefix}{}", names::random_suffix(&mut self.rng)));
            }
        }
        let meta = obj.metadata_mut();
        meta.uid = Some(names::uid(&mut self.rng));
        meta.creation_timestamp = Some(k8s_time(self.now));
        meta.deletion_timestamp = None;
        meta.deletion_grace_period_seconds = None;
        meta.resource_version = None;
        meta.generation = if info.tracks_generation { Some(1) } else { None };
        registry::prepare_for_create(&mut obj);
        registry::default(&mut obj);
        let name = obj.name().to_string();
        if let Object::Service(svc) = &mut obj {
            let errs = allocator::allocate(svc, None, &self.store, &mut self.rng);
            if !errs.is_empty() {
                return Err(ApiError::invalid(info, &name, errs));
            }
        }
        self.admit(Operation::Create, info, namespace, &name, Some(&mut obj), None)?;
        let errs = registry::validate(&obj);
        if !errs.is_empty() {
            return Err(ApiError::invalid(info, &name, errs));
        }
        self.admit_validate(Operation::Create, info, namespace, &name, Some(&obj), None)?;
        self.warnings = registry::warnings(&obj);
        let key = info.key(namespace, &name);
        let resp = self.store.txn(Txn::new(vec![Compare::absent(key.clone())], vec![Op::Put(key, obj)], vec![]));
        if !resp.succeeded {
            return Err(ApiError::already_exists(info, &name));
        }
        Ok(resp.responses[0].as_ref().map(|kv| kv.value.clone()).expect("a put returns its value"))
    }

    fn check_namespace(&self, info: &KindInfo, namespace: &str, obj: &mut Object) -> Result<(), ApiError> {
        let meta = obj.metadata_mut();
        if !info.namespaced {
            meta.namespace = None;
            return Ok(());
        }
        match meta.namespace.as_deref() {
            None | Some("") => meta.namespace = Some(namespace.to_string()),
            Some(ns) if ns != namespace => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ))
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Replace an object (PUT). A set `resourceVersion` that is not the current one is a Conflict.
    /// The status is kept as stored: change it with [`update_status`](Self::update_status).
    pub fn update(&mut self, user: &str, obj: Object) -> Result<Arc<Object>, ApiError> {
        let info = obj.info();
        let (ns, name) = (obj.namespace().to_string(), obj.name().to_string());
        let result = self.do_update(obj, false);
        self.recorded(Request { user, verb: "update", info, sub: "", namespace: &ns, name: &name }, result)
    }

    /// Replace an object's status (PUT .../status); everything else is kept as stored.
    pub fn update_status(&mut self, user: &str, obj: Object) -> Result<Arc<Object>, ApiError> {
        let info = obj.info();
        let (ns, name) = (obj.namespace().to_string(), obj.name().to_string());
        let result = if info.has_status {
            self.do_update(obj, true)
        } else {
            Err(ApiError::new(Reason::NotFound, "the server could not find the requested resource"))
        };
        self.recorded(Request { user, verb: "update", info, sub: "status", namespace: &ns, name: &name }, result)
    }

    fn do_update(&mut self, mut obj: Object, status_only: bool) -> Result<Arc<Object>, ApiError> {
        let info = obj.info();
        let namespace = if info.namespaced { obj.namespace().to_string() } else { String::new() };
        let name = obj.name().to_string();
        let key = info.key(&namespace, &name);
        let Some(current) = self.store.get(&key).map(|kv| kv.value.clone()) else {
            return Err(ApiError::not_found(info, &name));
        };
        let given_rv = obj.metadata().resource_version.clone().filter(|rv| !rv.is_empty());
        if let Some(rv) = &given_rv {
            if rv.parse::<i64>().ok() != Some(current.resource_version()) {
                return Err(ApiError::conflict(info, &name));
            }
        }
        self.check_namespace(info, &namespace, &mut obj)?;
        if status_only {
            obj = registry::only_status(&obj, &current);
        } else {
            let old = current.metadata();
            let meta = obj.metadata_mut();
            meta.uid = old.uid.clone();
            meta.creation_timestamp = old.creation_timestamp.clone();
            meta.deletion_timestamp = old.deletion_timestamp.clone();
            meta.deletion_grace_period_seconds = old.deletion_grace_period_seconds;
            meta.generation = old.generation;
            meta.generate_name = meta.generate_name.take().or_else(|| old.generate_name.clone());
            if info.has_status {
                registry::keep_status(&mut obj, &current);
            }
            registry::prepare_for_update(&mut obj, &current);
            registry::default(&mut obj);
            if let (Object::Service(svc), Object::Service(old)) = (&mut obj, &*current) {
                let errs = allocator::allocate(svc, Some(old), &self.store, &mut self.rng);
                if !errs.is_empty() {
                    return Err(ApiError::invalid(info, &name, errs));
                }
            }
            self.admit(Operation::Update, info, &namespace, &name, Some(&mut obj), Some(&current))?;
            let errs = registry::validate_update(&obj, &current);
            if !errs.is_empty() {
                return Err(ApiError::invalid(info, &name, errs));
            }
            self.admit_validate(Operation::Update, info, &namespace, &name, Some(&obj), Some(&current))?;
            self.warnings = registry::warnings(&obj);
            if info.tracks_generation && registry::spec_changed(&obj, &current) {
                obj.metadata_mut().generation = Some(current.metadata().generation.unwrap_or(0) + 1);
            }
        }
        obj.metadata_mut().resource_version = current.metadata().resource_version.clone();
        if obj == *current {
            // A no-op update writes nothing, as the real apiserver.
            return Ok(current);
        }
        // An object being deleted goes once its last finalizer is removed.
        self.store_update(info, &name, &current, obj)
    }

    /// Set a namespace's `spec.finalizers` (PUT namespaces/NAME/finalize): the namespace
    /// controller's last step. A namespace being deleted goes once none are left.
    pub fn finalize_namespace(&mut self, user: &str, obj: Object) -> Result<Arc<Object>, ApiError> {
        let info = Kind::Namespace.info();
        let name = obj.name().to_string();
        let result = match (&obj, self.peek(Kind::Namespace, "", &name)) {
            (Object::Namespace(new), Some(current)) => {
                let mut out = (*current).clone();
                if let Object::Namespace(ns) = &mut out {
                    ns.spec.get_or_insert_with(Default::default).finalizers =
                        new.spec.as_ref().and_then(|s| s.finalizers.clone());
                }
                self.store_update(info, &name, &current, out)
            }
            _ => Err(ApiError::not_found(info, &name)),
        };
        self.recorded(Request { user, verb: "update", info, sub: "finalize", namespace: "", name: &name }, result)
    }

    /// Write `obj` over `current` (compare-and-swap on its revision), or remove it when it is
    /// being deleted and nothing holds it any more.
    fn store_update(
        &mut self,
        info: &KindInfo,
        name: &str,
        current: &Arc<Object>,
        obj: Object,
    ) -> Result<Arc<Object>, ApiError> {
        let key = info.key(current.namespace(), name);
        let finalized = obj.metadata().deletion_timestamp.is_some()
            && obj.metadata().finalizers.as_ref().is_none_or(|f| f.is_empty())
            && !self.graceful_pending(&obj)
            && !has_spec_finalizers(&obj);
        let op = if finalized { Op::Delete(key.clone()) } else { Op::Put(key.clone(), obj) };
        let resp =
            self.store.txn(Txn::new(vec![Compare::mod_revision(key, current.resource_version())], vec![op], vec![]));
        if !resp.succeeded {
            return Err(ApiError::conflict(info, name));
        }
        Ok(resp.responses[0].as_ref().map(|kv| kv.value.clone()).unwrap_or_else(|| current.clone()))
    }

    /// A pod in its grace period stays until the kubelet confirms it stopped.
    fn graceful_pending(&self, obj: &Object) -> bool {
        matches!(obj, Object::Pod(_)) && obj.metadata().deletion_grace_period_seconds.unwrap_or(0) > 0
    }

    /// Patch an object (PATCH) with a JSON merge patch or a strategic merge patch.
    pub fn patch(
        &mut self,
        user: &str,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Result<Arc<Object>, ApiError> {
        let info = kind.info();
        let result = self.do_patch(kind, namespace, name, patch_type, patch, false);
        self.recorded(Request { user, verb: "patch", info, sub: "", namespace, name }, result)
    }

    /// Patch an object's status subresource.
    pub fn patch_status(
        &mut self,
        user: &str,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Result<Arc<Object>, ApiError> {
        let info = kind.info();
        let result = self.do_patch(kind, namespace, name, patch_type, patch, true);
        self.recorded(Request { user, verb: "patch", info, sub: "status", namespace, name }, result)
    }

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
        let mut doc = current.to_value();
        patch::apply_patch(patch_type, &mut doc, patch).map_err(|e| ApiError::bad_request(e.to_string()))?;
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
        user: &str,
        kind: Kind,
        namespace: &str,
        name: &str,
        opts: DeleteOptions,
    ) -> Result<Arc<Object>, ApiError> {
        let info = kind.info();
        let ns = if info.namespaced { namespace } else { "" };
        let result = self.do_delete(info, ns, name, opts);
        self.recorded(Request { user, verb: "delete", info, sub: "", namespace: ns, name }, result)
    }

    fn do_delete(
        &mut self,
        info: &'static KindInfo,
        namespace: &str,
        name: &str,
        opts: DeleteOptions,
    ) -> Result<Arc<Object>, ApiError> {
        let key = info.key(namespace, name);
        let Some(current) = self.store.get(&key).map(|kv| kv.value.clone()) else {
            return Err(ApiError::not_found(info, name));
        };
        if let Some(uid) = opts.uid.as_deref().filter(|u| Some(*u) != current.metadata().uid.as_deref()) {
            let have = current.metadata().uid.as_deref().unwrap_or_default();
            return Err(ApiError::conflict_because(
                info,
                name,
                &format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {have}"),
            ));
        }
        self.admit(Operation::Delete, info, namespace, name, None, Some(&current))?;
        let mut obj = (*current).clone();
        let grace = self.grace_period(&obj, opts.grace_period_seconds);
        let meta = obj.metadata_mut();
        let mut finalizers = meta.finalizers.clone().unwrap_or_default();
        match opts.propagation_policy {
            Some(Propagation::Orphan) if !finalizers.iter().any(|f| f == "orphan") => finalizers.push("orphan".into()),
            Some(Propagation::Foreground) if !finalizers.iter().any(|f| f == "foregroundDeletion") => {
                finalizers.push("foregroundDeletion".into())
            }
            _ => {}
        }
        if let Object::Namespace(ns) = &mut obj {
            // The namespace controller empties it, then removes the `kubernetes` finalizer.
            let status = ns.status.get_or_insert_with(Default::default);
            status.phase = Some("Terminating".into());
        }
        if finalizers.is_empty() && grace == 0 && !has_spec_finalizers(&obj) {
            let resp = self.store.txn(Txn::new(
                vec![Compare::mod_revision(key.clone(), current.resource_version())],
                vec![Op::Delete(key)],
                vec![],
            ));
            if !resp.succeeded {
                return Err(ApiError::conflict(info, name));
            }
            return Ok(current);
        }
        let meta = obj.metadata_mut();
        if let Some(existing) = &meta.deletion_timestamp {
            // Already being deleted: only a shorter grace period changes anything.
            let shorter = meta.deletion_grace_period_seconds.is_some_and(|g| grace < g);
            if !shorter && meta.finalizers.as_deref().unwrap_or_default() == finalizers.as_slice() {
                return Ok(current);
            }
            let _ = existing;
        }
        meta.deletion_timestamp = Some(k8s_time(self.now + chrono::Duration::seconds(grace)));
        meta.deletion_grace_period_seconds = Some(grace);
        meta.finalizers = if finalizers.is_empty() { None } else { Some(finalizers) };
        if info.tracks_generation {
            // Marking for deletion bumps the generation, as upstream's BeforeDelete does.
            meta.generation = Some(meta.generation.unwrap_or(0) + 1);
        }
        let resp = self.store.txn(Txn::new(
            vec![Compare::mod_revision(key.clone(), current.resource_version())],
            vec![Op::Put(key, obj)],
            vec![],
        ));
        if !resp.succeeded {
            return Err(ApiError::conflict(info, name));
        }
        Ok(resp.responses[0].as_ref().map(|kv| kv.value.clone()).expect("a put returns its value"))
    }

    /// The grace period of a delete: only pods that a kubelet runs have one.
    fn grace_period(&self, obj: &Object, asked: Option<i64>) -> i64 {
        let Object::Pod(pod) = obj else { return 0 };
        let spec = pod.spec.as_ref();
        let scheduled = spec.and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty());
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if !scheduled || matches!(phase, Some("Succeeded") | Some("Failed")) {
            return 0;
        }
        let grace = asked.or_else(|| spec.and_then(|s| s.termination_grace_period_seconds)).unwrap_or(30);
        grace.max(0)
    }

    // ---- admission ---------------------------------------------------------------------------

    fn admit(
        &self,
        operation: Operation,
        info: &'static KindInfo,
        namespace: &str,
        name: &str,
        object: Option<&mut Object>,
        old: Option<&Object>,
    ) -> Result<(), ApiError> {
        let mut attrs = Attributes { operation, info, namespace, name, object, old };
        for plugin in &self.admission {
            plugin.admit(&mut attrs, &self.store)?;
        }
        Ok(())
    }

    fn admit_validate(
        &self,
        operation: Operation,
        info: &'static KindInfo,
        namespace: &str,
        name: &str,
        object: Option<&Object>,
        old: Option<&Object>,
    ) -> Result<(), ApiError> {
        let attrs = Attributes { operation, info, namespace, name, object, old };
        for plugin in &self.admission {
            plugin.validate(&attrs, &self.store)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
