//! Object types whose large, seldom changed parts are shared between versions.
//!
//! Every write stores a new version of an object, and most writes change little of it: a
//! status write leaves the spec as it was, a label or finalizer patch the spec and status. A
//! [`Shared`] part is reference-counted, so a version copied from another holds the same spec
//! until something changes it (Go's API server gets the same from shallow struct copies).
//! A pod's spec is most of its size (k8s-openapi lays a `Container` out in 2.1 KB and a
//! `Volume` in 3.2 KB before their strings), and pods are most of what a cluster writes.
//!
//! The metadata of pods, Jobs, CronJobs, Leases and Nodes is shared too, but for its `resourceVersion`, which
//! every write changes: a version keeps that apart (`resource_version`), and its shared
//! metadata holds none. Read and set it through `Object::resource_version_str` and
//! `Object::set_resource_version` (or the typed field); JSON and YAML put it in its place.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::coordination::v1 as coordination;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A part shared between versions: a clone shares it, a change copies it first when another
/// version holds it too. Reads see the value itself (`Deref`), and so does serde: JSON, YAML
/// and schemas are the value's own.
pub struct Shared<T>(Arc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Shared(Arc::new(value))
    }

    /// Whether two versions hold the very same part (then it is equal without comparing).
    pub fn same(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// The value, copied only when another version holds it too.
    pub fn into_inner(this: Self) -> T
    where
        T: Clone,
    {
        Arc::unwrap_or_clone(this.0)
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Self {
        Shared::new(value)
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Shared::new(T::default())
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Shared::same(self, other) || *self.0 == *other.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Shared::new)
    }
}

/// A part of a kind: `shared` parts are [`Shared`], `plain` ones held as k8s-openapi holds them.
macro_rules! part {
    (@ty shared $t:ty) => { Option<Shared<$t>> };
    (@ty plain $t:ty) => { Option<$t> };
    (@ours shared $e:expr) => { $e.map(Shared::new) };
    (@ours plain $e:expr) => { $e };
    (@theirs shared $e:expr) => { $e.map(Shared::into_inner) };
    (@theirs plain $e:expr) => { $e };
}

/// The traits a kind of ours takes from the k8s-openapi type it stands for: its API
/// facts (`Resource`, `ListableResource`) and its schema.
macro_rules! as_k8s_openapis {
    ($ours:ty, $theirs:ty) => {
        impl k8s_openapi::Resource for $ours {
            const API_VERSION: &'static str = <$theirs as k8s_openapi::Resource>::API_VERSION;
            const GROUP: &'static str = <$theirs as k8s_openapi::Resource>::GROUP;
            const KIND: &'static str = <$theirs as k8s_openapi::Resource>::KIND;
            const VERSION: &'static str = <$theirs as k8s_openapi::Resource>::VERSION;
            const URL_PATH_SEGMENT: &'static str = <$theirs as k8s_openapi::Resource>::URL_PATH_SEGMENT;
            type Scope = <$theirs as k8s_openapi::Resource>::Scope;
        }

        impl k8s_openapi::ListableResource for $ours {
            const LIST_KIND: &'static str = <$theirs as k8s_openapi::ListableResource>::LIST_KIND;
        }

        impl schemars::JsonSchema for $ours {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                <$theirs>::schema_name()
            }
            fn schema_id() -> std::borrow::Cow<'static, str> {
                <$theirs>::schema_id()
            }
            fn inline_schema() -> bool {
                <$theirs>::inline_schema()
            }
            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <$theirs>::json_schema(generator)
            }
        }
    };
}
pub(crate) use as_k8s_openapis;

/// A kind as k8s-openapi declares it (the same JSON, schema and traits), with its metadata
/// [`Shared`] and its `resourceVersion` apart, and each of its other parts (`spec`, `status`)
/// shared or plain as named.
macro_rules! shared_kind {
    ($($name:ident: $module:ident :: $theirs:ident { $($part:ident: $ty:ident $how:ident),* };)*) => {$(
        #[doc = concat!(stringify!($name), ", as k8s-openapi's, with its metadata shared between versions.")]
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            /// All of `metadata` but `resourceVersion` (always `None` here).
            pub metadata: Shared<ObjectMeta>,
            /// `metadata.resourceVersion`: the one part of the metadata every write changes.
            pub resource_version: Option<String>,
            $(pub $part: part!(@ty $how $module::$ty),)*
        }

        impl $name {
            /// The object from k8s-openapi's parts, `metadata.resourceVersion` moved to its own
            /// place.
            pub fn new(mut metadata: ObjectMeta, $($part: Option<$module::$ty>),*) -> Self {
                let resource_version = metadata.resource_version.take();
                $name { metadata: Shared::new(metadata), resource_version, $($part: part!(@ours $how $part)),* }
            }

            /// The whole metadata, `resourceVersion` in it: a copy, for output.
            pub fn full_metadata(&self) -> ObjectMeta {
                let mut m = (*self.metadata).clone();
                m.resource_version = self.resource_version.clone();
                m
            }
        }

        as_k8s_openapis!($name, $module::$theirs);

        impl k8s_openapi::Metadata for $name {
            type Ty = ObjectMeta;
            /// All of it but `resourceVersion` (see the module doc).
            fn metadata(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn metadata_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }

        impl From<$module::$theirs> for $name {
            fn from(o: $module::$theirs) -> Self {
                $name::new(o.metadata, $(o.$part),*)
            }
        }

        impl From<$name> for $module::$theirs {
            fn from(o: $name) -> Self {
                let mut metadata = Shared::into_inner(o.metadata);
                metadata.resource_version = o.resource_version;
                $module::$theirs { metadata, $($part: part!(@theirs $how o.$part)),* }
            }
        }

        impl Serialize for $name {
            /// k8s-openapi's layout: `apiVersion`, `kind`, `metadata`, then the parts set.
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use k8s_openapi::Resource;
                use serde::ser::SerializeStruct;
                let fields = 3 $(+ usize::from(self.$part.is_some()))*;
                let mut state = serializer.serialize_struct(Self::KIND, fields)?;
                state.serialize_field("apiVersion", Self::API_VERSION)?;
                state.serialize_field("kind", Self::KIND)?;
                if self.resource_version.is_some() {
                    state.serialize_field("metadata", &self.full_metadata())?;
                } else {
                    state.serialize_field("metadata", &*self.metadata)?;
                }
                $(
                    if let Some(part) = &self.$part {
                        state.serialize_field(stringify!($part), part)?;
                    }
                )*
                state.end()
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $module::$theirs::deserialize(deserializer).map($name::from)
            }
        }
    )*};
}

// The kinds written most: pods, and the Jobs and CronJobs that carry a pod template (their
// specs are large and seldom change), the Leases every node renews every ten seconds (their
// small spec changes with each renewal), and the Nodes whose status the kubelets and the node
// controller write.
shared_kind! {
    Pod: core::Pod { spec: PodSpec shared, status: PodStatus shared };
    Job: batch::Job { spec: JobSpec shared, status: JobStatus plain };
    CronJob: batch::CronJob { spec: CronJobSpec shared, status: CronJobStatus plain };
    Lease: coordination::Lease { spec: LeaseSpec plain };
    Node: core::Node { spec: NodeSpec plain, status: NodeStatus plain };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_has_k8s_openapis_json_and_a_copy_shares_its_spec_until_changed() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\n";
        let theirs: core::Pod = serde_yaml::from_str(yaml).unwrap();
        let ours: Pod = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&theirs).unwrap());
        assert_eq!(core::Pod::from(ours.clone()), theirs);
        let mut copy = ours.clone();
        assert!(Shared::same(copy.spec.as_ref().unwrap(), ours.spec.as_ref().unwrap()));
        copy.spec.as_mut().unwrap().node_name = Some("n".into());
        assert!(!Shared::same(copy.spec.as_ref().unwrap(), ours.spec.as_ref().unwrap()));
        assert_eq!(ours.spec.as_ref().unwrap().node_name, None, "the original is unchanged");
        assert_ne!(copy, ours);
    }

    #[test]
    fn a_resource_version_is_kept_apart_and_written_in_its_place() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, resourceVersion: '42', labels: {a: b}}\nspec:\n  containers: [{name: c, image: nginx}]\n";
        let theirs: core::Pod = serde_yaml::from_str(yaml).unwrap();
        let ours: Pod = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(ours.resource_version.as_deref(), Some("42"));
        assert_eq!(ours.metadata.resource_version, None, "the shared metadata holds none");
        assert_eq!(serde_json::to_value(&ours).unwrap(), serde_json::to_value(&theirs).unwrap());
        assert_eq!(core::Pod::from(ours.clone()), theirs);
        let mut next = ours.clone();
        next.resource_version = Some("43".into());
        assert!(Shared::same(&next.metadata, &ours.metadata));
        assert_ne!(next, ours);
        assert_eq!(next.full_metadata().resource_version.as_deref(), Some("43"));
    }

    /// The JSON of `yaml` decoded as k8s-openapi's type and as ours.
    fn both_json<Theirs, Ours>(yaml: &str) -> (serde_json::Value, serde_json::Value)
    where
        Theirs: serde::de::DeserializeOwned + Serialize,
        Ours: serde::de::DeserializeOwned + Serialize,
    {
        let theirs: Theirs = serde_yaml::from_str(yaml).unwrap();
        let ours: Ours = serde_yaml::from_str(yaml).unwrap();
        (serde_json::to_value(&theirs).unwrap(), serde_json::to_value(&ours).unwrap())
    }

    #[test]
    fn jobs_and_cronjobs_have_k8s_openapis_json() {
        let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: busybox}]\n      restartPolicy: Never\nstatus: {active: 1}\n";
        let (theirs, ours) = both_json::<batch::Job, Job>(job);
        assert_eq!(ours, theirs);
        let cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n  jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: busybox}]}}}}\n";
        let (theirs, ours) = both_json::<batch::CronJob, CronJob>(cron);
        assert_eq!(ours, theirs);
        assert!(
            serde_yaml::from_str::<Job>("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n").is_err(),
            "k8s-openapi's checks"
        );
    }
}
