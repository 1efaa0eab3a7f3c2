//! The one write skeleton every resource shares, after k8s.io/apiserver's
//! `registry/generic/registry.Store`: create, update and delete run the same steps for every
//! kind, and what differs by resource is a hook of its strategy (`registry::Strategy`):
//! PrepareForCreate/Update, defaulting, BeginCreate/Update (a Service's allocations),
//! Validate, CheckGracefulDelete (a pod's grace period), BeforeDelete and
//! ShouldDeleteDuringUpdate (a namespace's finalize), and TTLFunc (Events expire). Admission
//! runs inside, mutating before validation and validating after, and every check runs before
//! the single store transaction that makes the write. A dry run (`dryRun=All`) runs them all
//! and stops before that transaction.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::admission::{Attributes, Operation};
use super::error::{ApiError, FieldError};
use super::registry::{self, StrategyContext};
use super::{k8s_time, names, ApiServer, DeleteOptions, Propagation};
use crate::model::{Kind, KindInfo, Object};
use crate::store::{Compare, Op, Txn};

impl ApiServer {
    pub(super) fn do_create(&mut self, namespace: &str, mut obj: Object) -> Result<Arc<Object>, ApiError> {
        let info = obj.info();
        check_namespace(info, namespace, &mut obj)?;
        let meta = obj.metadata_mut();
        // Mutating admission runs before the name is generated upstream, so its refusals name
        // the object by its prefix (`pods "web-" is forbidden: ...`).
        let mut admitted_as = None;
        if meta.name.as_deref().unwrap_or("").is_empty() {
            if let Some(prefix) = meta.generate_name.clone().filter(|p| !p.is_empty()) {
                meta.name = Some(format!("{prefix}{}", names::random_suffix(&mut self.rng)));
                admitted_as = Some(prefix);
            }
        }
        let meta = obj.metadata_mut();
        meta.uid = Some(names::uid(&mut self.rng));
        meta.creation_timestamp = Some(k8s_time(self.now));
        meta.deletion_timestamp = None;
        meta.deletion_grace_period_seconds = None;
        meta.generation = if info.tracks_generation { Some(1) } else { None };
        obj.set_resource_version(None);
        registry::prepare_for_create(&mut obj);
        registry::default(&mut obj);
        // The name is read back from the key, which is made once (nothing renames the object
        // from here on).
        let key = info.key(namespace, obj.name());
        let (_, name) = key_names(info, &key, namespace.len(), obj.name().len());
        let errs = registry::begin_create(
            &mut obj,
            &mut StrategyContext { store: &self.store, allocations: &mut self.allocations, rng: &mut self.rng },
        );
        invalid(info, name, errs)?;
        self.admit(Operation::Create, info, namespace, admitted_as.as_deref().unwrap_or(name), Some(&mut obj), None)?;
        invalid(info, name, registry::validate(&obj))?;
        self.admit_validate(Operation::Create, info, namespace, name, Some(&obj), None)?;
        self.warnings = registry::warnings(&obj);
        let unacted = self.unacted.iter().find(|u| u.kind == info.kind && u.applies.is_none_or(|f| f(&obj)));
        if let Some(u) = unacted {
            if !(info.kind == Kind::Ingress && self.ingress_controller_installed()) {
                self.warnings.push(u.warning.clone());
            }
        }
        if self.dry_run {
            return match self.store.get(&key) {
                Some(_) => Err(ApiError::already_exists(info, name)),
                None => Ok(Arc::new(obj)),
            };
        }
        let ttl = registry::ttl_seconds(&obj);
        let resp = self.store.txn(Txn::one(Compare::absent(&*key), Op::Put(key.as_str().into(), obj)));
        if !resp.succeeded {
            return Err(ApiError::already_exists(info, name));
        }
        self.renew_lease(&key, ttl);
        Ok(resp.responses[0].as_ref().map(|kv| kv.value.clone()).expect("a put returns its value"))
    }

    /// Replace the stored object with `obj` (a status-only write keeps all but its status).
    pub(super) fn do_update(&mut self, obj: Object, status_only: bool) -> Result<Arc<Object>, ApiError> {
        let key = obj.info().key(obj.namespace(), obj.name());
        self.do_update_at(&key, obj, status_only)
    }

    /// [`do_update`](Self::do_update) with the object's key already made (`KindInfo::key`),
    /// as a request that names the object in its audit record has it.
    pub(super) fn do_update_at(
        &mut self,
        key: &str,
        mut obj: Object,
        status_only: bool,
    ) -> Result<Arc<Object>, ApiError> {
        let info = obj.info();
        let (namespace, name) = key_names(info, key, obj.namespace().len(), obj.name().len());
        let Some(current) = self.store.get(key).map(|kv| kv.value.clone()) else {
            return Err(ApiError::not_found(info, name));
        };
        if let Some(rv) = obj.resource_version_str().filter(|rv| !rv.is_empty()) {
            // The text the server wrote is the current one; any other is read as a number.
            if Some(rv) != current.resource_version_str() && rv.parse::<i64>().ok() != Some(current.resource_version())
            {
                return Err(ApiError::conflict(info, name));
            }
        }
        check_namespace(info, namespace, &mut obj)?;
        if status_only {
            obj = registry::only_status(obj, &current);
        } else {
            keep_server_fields(&mut obj, current.metadata());
            if info.has_status {
                registry::keep_status(&mut obj, &current);
            }
            registry::prepare_for_update(&mut obj, &current);
            registry::default_update(&mut obj, &current);
            let errs = registry::begin_update(
                &mut obj,
                &current,
                &mut StrategyContext { store: &self.store, allocations: &mut self.allocations, rng: &mut self.rng },
            );
            invalid(info, name, errs)?;
            self.admit(Operation::Update, info, namespace, name, Some(&mut obj), Some(&current))?;
            invalid(info, name, registry::validate_update(&obj, &current))?;
            self.admit_validate(Operation::Update, info, namespace, name, Some(&obj), Some(&current))?;
            self.warnings = registry::warnings(&obj);
            if info.tracks_generation && registry::spec_changed(&obj, &current) {
                obj.metadata_mut().generation = Some(current.metadata().generation.unwrap_or(0) + 1);
            }
        }
        if obj.resource_version_str() != current.resource_version_str() {
            obj.set_resource_version(current.resource_version_str().map(str::to_string));
        }
        if obj.same_as(&current) {
            // A no-op update writes nothing, as the real apiserver.
            return Ok(current);
        }
        self.store_update(info, key, name, &current, obj)
    }

    /// Write `obj` over `current` (compare-and-swap on its revision), or remove it when it is
    /// being deleted and nothing holds it any more (`ShouldDeleteDuringUpdate`): no
    /// finalizer, no grace period left (a pod waits for its kubelet), no strategy's hold.
    pub(super) fn store_update(
        &mut self,
        info: &KindInfo,
        key: &str,
        name: &str,
        current: &Arc<Object>,
        obj: Object,
    ) -> Result<Arc<Object>, ApiError> {
        let meta = obj.metadata();
        let finalized = meta.deletion_timestamp.is_some()
            && meta.finalizers.as_ref().is_none_or(|f| f.is_empty())
            && meta.deletion_grace_period_seconds.unwrap_or(0) <= 0
            && !registry::held(&obj);
        if self.dry_run {
            return Ok(if finalized { current.clone() } else { Arc::new(obj) });
        }
        let ttl = registry::ttl_seconds(&obj);
        let op = if finalized { Op::Delete(key.into()) } else { Op::Put(key.into(), obj) };
        let resp = self.store.txn(Txn::one(Compare::mod_revision(key, current.resource_version()), op));
        if !resp.succeeded {
            return Err(ApiError::conflict(info, name));
        }
        if !finalized {
            self.renew_lease(key, ttl);
        }
        Ok(resp.responses[0].as_ref().map(|kv| kv.value.clone()).unwrap_or_else(|| current.clone()))
    }

    /// Delete: removed at once, or only marked (deletionTimestamp) while finalizers, a grace
    /// period or the strategy hold it; a second delete changes only a shorter grace period.
    pub(super) fn do_delete(
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
        let grace = registry::grace_period(&current, opts.grace_period_seconds);
        let mut finalizers = current.metadata().finalizers.clone().unwrap_or_default();
        let policy_finalizer = match opts.propagation_policy {
            Some(Propagation::Orphan) => Some("orphan"),
            Some(Propagation::Foreground) => Some("foregroundDeletion"),
            _ => None,
        };
        if let Some(f) = policy_finalizer.filter(|f| !finalizers.iter().any(|have| have == f)) {
            finalizers.push(f.into());
        }
        // What holds an object is never what `before_delete` changes (a namespace's
        // `spec.finalizers`, its status phase), so the stored object answers, and an object
        // removed at once is not copied.
        if finalizers.is_empty() && grace == 0 && !registry::held(&current) {
            if self.dry_run {
                return Ok(current);
            }
            let resp = self.store.txn(Txn::one(
                Compare::mod_revision(&*key, current.resource_version()),
                Op::Delete(key.as_str().into()),
            ));
            if !resp.succeeded {
                return Err(ApiError::conflict(info, name));
            }
            return Ok(current);
        }
        let mut obj = (*current).clone();
        registry::before_delete(&mut obj);
        let meta = obj.metadata_mut();
        if meta.deletion_timestamp.is_some() {
            // Already being deleted: only a shorter grace period changes anything.
            let shorter = meta.deletion_grace_period_seconds.is_some_and(|g| grace < g);
            if !shorter && meta.finalizers.as_deref().unwrap_or_default() == finalizers.as_slice() {
                return Ok(current);
            }
        }
        meta.deletion_timestamp = Some(k8s_time(self.now + chrono::Duration::seconds(grace)));
        meta.deletion_grace_period_seconds = Some(grace);
        meta.finalizers = if finalizers.is_empty() { None } else { Some(finalizers) };
        if info.tracks_generation {
            // Marking for deletion bumps the generation, as upstream's BeforeDelete does.
            meta.generation = Some(meta.generation.unwrap_or(0) + 1);
        }
        self.store_update(info, &key, name, &current, obj)
    }

    /// Attach the written key to a lease of the strategy's time to live, if it has one.
    fn renew_lease(&mut self, key: &str, ttl_seconds: Option<i64>) {
        if let Some(ttl) = ttl_seconds {
            let expiry = self.leases.lease(self.now, ttl);
            self.store.attach_lease(key, expiry.timestamp_nanos_opt().unwrap_or(i64::MAX));
        }
    }

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

/// An Invalid error when validation found anything.
fn invalid(info: &KindInfo, name: &str, errs: Vec<FieldError>) -> Result<(), ApiError> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(info, name, errs))
    }
}

/// The object's namespace is the request's (cluster-scoped kinds have none).
fn check_namespace(info: &KindInfo, namespace: &str, obj: &mut Object) -> Result<(), ApiError> {
    // Read first: the metadata of `model::shared`'s kinds is shared, and writing it copies it.
    if !info.namespaced {
        if obj.metadata().namespace.is_some() {
            obj.metadata_mut().namespace = None;
        }
        return Ok(());
    }
    match obj.metadata().namespace.as_deref() {
        None | Some("") => obj.metadata_mut().namespace = Some(namespace.to_string()),
        Some(ns) if ns != namespace => {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ))
        }
        Some(_) => {}
    }
    Ok(())
}

/// The metadata an update cannot change, kept from the stored version `old`. Written only where
/// it differs: the metadata of `model::shared`'s kinds is shared with the version it was read
/// from, and writing it would copy it.
fn keep_server_fields(obj: &mut Object, old: &ObjectMeta) {
    let meta = obj.metadata();
    let unchanged = meta.uid == old.uid
        && meta.creation_timestamp == old.creation_timestamp
        && meta.deletion_timestamp == old.deletion_timestamp
        && meta.deletion_grace_period_seconds == old.deletion_grace_period_seconds
        && meta.generation == old.generation
        && (meta.generate_name.is_some() || old.generate_name.is_none())
        && !meta.owner_references.as_ref().is_some_and(Vec::is_empty);
    if unchanged {
        return;
    }
    let meta = obj.metadata_mut();
    meta.uid = old.uid.clone();
    meta.creation_timestamp = old.creation_timestamp.clone();
    meta.deletion_timestamp = old.deletion_timestamp.clone();
    meta.deletion_grace_period_seconds = old.deletion_grace_period_seconds;
    meta.generation = old.generation;
    meta.generate_name = meta.generate_name.take().or_else(|| old.generate_name.clone());
    // An empty list is stored as none, as Go's `omitempty` writes it (a released dependent's
    // last owner reference removed by a patch).
    if meta.owner_references.as_ref().is_some_and(Vec::is_empty) {
        meta.owner_references = None;
    }
}

/// The namespace and name at the end of `key` (`.../<namespace>/<name>`, or `.../<name>` for a
/// cluster-scoped kind, whose namespace is then empty), given their lengths.
pub(super) fn key_names<'k>(
    info: &KindInfo,
    key: &'k str,
    namespace_len: usize,
    name_len: usize,
) -> (&'k str, &'k str) {
    let name_at = key.len() - name_len;
    let namespace = if info.namespaced { &key[name_at - 1 - namespace_len..name_at - 1] } else { "" };
    (namespace, &key[name_at..])
}
