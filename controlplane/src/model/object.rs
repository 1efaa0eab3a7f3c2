//! Helpers over typed objects: names, labels, and the store's revision stamp.

use std::collections::BTreeMap;

use super::kinds::{Kind, KindInfo, Object};
use crate::store::Revisioned;

impl Object {
    pub fn info(&self) -> &'static KindInfo {
        self.kind().info()
    }

    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        self.metadata().namespace.as_deref().unwrap_or("")
    }

    /// `namespace/name`, or `name` for cluster-scoped objects: the work-queue key.
    pub fn key(&self) -> String {
        if self.info().namespaced {
            namespaced_key(self.namespace(), self.name())
        } else {
            self.name().to_string()
        }
    }

    /// Whether two versions hold the very same metadata (most writes of the kinds in
    /// `shared.rs` share it): then every field of it is equal without comparing.
    pub fn shares_metadata(&self, other: &Object) -> bool {
        std::ptr::eq(self.metadata(), other.metadata())
    }

    /// Whether two versions' labels are the same: at once when they share their metadata,
    /// else by comparing them.
    pub fn same_labels(&self, other: &Object) -> bool {
        self.shares_metadata(other) || self.labels() == other.labels()
    }

    pub fn labels(&self) -> &BTreeMap<String, String> {
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        self.metadata().labels.as_ref().unwrap_or(&EMPTY)
    }

    pub fn annotations(&self) -> &BTreeMap<String, String> {
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        self.metadata().annotations.as_ref().unwrap_or(&EMPTY)
    }

    pub fn resource_version(&self) -> i64 {
        self.resource_version_str().and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    /// `metadata.resourceVersion` as written (pods, Jobs, CronJobs, Leases and Nodes keep it apart from the
    /// metadata their versions share: `model::shared`).
    pub fn resource_version_str(&self) -> Option<&str> {
        match self {
            Object::Pod(o) => o.resource_version.as_deref(),
            Object::Job(o) => o.resource_version.as_deref(),
            Object::CronJob(o) => o.resource_version.as_deref(),
            Object::Lease(o) => o.resource_version.as_deref(),
            Object::Node(o) => o.resource_version.as_deref(),
            o => o.metadata().resource_version.as_deref(),
        }
    }

    /// Set (or clear) `metadata.resourceVersion`.
    pub fn set_resource_version(&mut self, rv: Option<String>) {
        *self.resource_version_mut() = rv;
    }

    fn resource_version_mut(&mut self) -> &mut Option<String> {
        match self {
            Object::Pod(o) => &mut o.resource_version,
            Object::Job(o) => &mut o.resource_version,
            Object::CronJob(o) => &mut o.resource_version,
            Object::Lease(o) => &mut o.resource_version,
            Object::Node(o) => &mut o.resource_version,
            o => &mut o.metadata_mut().resource_version,
        }
    }

    /// `pod/web` or `deployment.apps/web`, as kubectl prints an object's name.
    pub fn type_name(&self) -> String {
        format!("{}/{}", self.info().group_singular(), self.name())
    }

    /// A fresh object of `kind` with only its name (and namespace) set.
    pub fn named(kind: Kind, namespace: Option<&str>, name: &str) -> Object {
        let info = kind.info();
        let value = serde_json::json!({
            "apiVersion": info.api_version(),
            "kind": info.name,
            "metadata": { "name": name, "namespace": namespace },
        });
        Object::from_value(kind, value).expect("a bare object of a served kind always decodes")
    }
}

impl Revisioned for Object {
    fn set_revision(&mut self, revision: i64) {
        // Written over the version's own text (a copy of the last revision's, as long or
        // one digit shorter): no allocation, no formatter.
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(revision);
        match self.resource_version_mut() {
            Some(text) => {
                text.clear();
                text.push_str(digits);
            }
            none => *none = Some(digits.to_string()),
        }
    }
}

/// Typed access to one kind inside an `Object`: `Pod::from_object(&obj)`. Every kind's type
/// implements it (from the list of kinds).
pub trait Typed: Sized {
    /// The kind of this type.
    const KIND: Kind;
    fn from_object(obj: &Object) -> Option<&Self>;
    fn from_object_mut(obj: &mut Object) -> Option<&mut Self>;
    fn into_object(self) -> Object;
}

/// `namespace/name`, the key a namespaced object has in caches and work queues (built by hand:
/// every watch event makes keys, and `format!` costs several times more).
pub fn namespaced_key(namespace: &str, name: &str) -> String {
    let mut key = String::with_capacity(namespace.len() + 1 + name.len());
    key.push_str(namespace);
    key.push('/');
    key.push_str(name);
    key
}
