//! The kinds registry: every kind kubesim serves, with its group/version, plural resource name,
//! short names, scope and etcd key prefix. Every layer (apply, kubectl, the store) asks this table,
//! so `kubectl api-resources` prints exactly what the cluster knows.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::Metadata;

use super::object::Typed;

/// The API groups the kinds' types come from, by the names the list of kinds uses.
pub mod api {
    pub use crate::model::{event, shared};
    pub use k8s_openapi::api::{
        admissionregistration::v1 as admissionregistration, apps::v1 as apps, autoscaling::v2 as autoscaling,
        batch::v1 as batch, coordination::v1 as coordination, core::v1 as core, discovery::v1 as discovery,
        networking::v1 as networking, policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling,
        storage::v1 as storage,
    };
}

/// Static facts about one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    pub kind: Kind,
    /// API group; empty for the core group.
    pub group: &'static str,
    /// The version objects are stored and served in.
    pub version: &'static str,
    /// Other versions accepted on input (converted to `version`).
    pub other_versions: &'static [&'static str],
    pub name: &'static str,
    /// Plural resource name, as in URLs and `kubectl get`.
    pub plural: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub namespaced: bool,
    /// etcd key prefix under `/registry/` (the real apiserver's, e.g. `minions` for nodes).
    pub etcd_prefix: &'static str,
    /// Whether the kind has a status subresource.
    pub has_status: bool,
    /// Whether a spec change bumps `metadata.generation`.
    pub tracks_generation: bool,
    /// [`KindInfo::group_resource`] and [`KindInfo::api_version`], spelled out once: every
    /// request's audit record and every event names them.
    pub group_resource_name: &'static str,
    pub api_version_name: &'static str,
}

/// `grouped` for a kind of a named group, `core` for the core group's (a `const` choice, for
/// the static table of kinds).
const fn by_group(group: &str, grouped: &'static str, core: &'static str) -> &'static str {
    if group.is_empty() {
        core
    } else {
        grouped
    }
}

impl KindInfo {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        self.api_version_name.to_string()
    }

    /// `pods` or `deployments.apps`: the name kubectl uses in messages.
    pub fn group_resource(&self) -> String {
        self.group_resource_name.to_string()
    }

    /// `pod` or `deployment.apps`: the name kubectl prints before `/name`.
    pub fn group_singular(&self) -> String {
        if self.group.is_empty() {
            self.singular.to_string()
        } else {
            format!("{}.{}", self.singular, self.group)
        }
    }

    /// The etcd key of one object: `/registry/<prefix>/<namespace>/<name>`.
    pub fn key(&self, namespace: &str, name: &str) -> String {
        // Built by hand: every request makes keys, and `format!` costs several times more.
        let mut key = self.key_prefix(Some(namespace));
        key.push_str(name);
        key
    }

    /// Write the etcd key of one object into `key` (cleared first): for a caller that reuses
    /// one buffer for the keys of many requests.
    pub fn write_key(&self, key: &mut String, namespace: &str, name: &str) {
        key.clear();
        self.write_prefix(key, Some(namespace));
        key.push_str(name);
    }

    /// Call `f` with the key of `namespace/name`, written in a buffer the thread reuses: for
    /// look-ups, which keep no key (a key made for each would be an allocation a request).
    pub fn with_key<R>(&self, namespace: &str, name: &str, f: impl FnOnce(&str) -> R) -> R {
        use std::cell::Cell;
        thread_local! {
            static BUF: Cell<String> = const { Cell::new(String::new()) };
        }
        // Taken out while `f` runs, so a look-up within `f` makes its own.
        let mut key = BUF.take();
        self.write_key(&mut key, namespace, name);
        let r = f(&key);
        BUF.set(key);
        r
    }

    /// The key prefix of all objects of this kind, or of one namespace's.
    pub fn key_prefix(&self, namespace: Option<&str>) -> String {
        let mut key =
            String::with_capacity(KEY_ROOT.len() + self.etcd_prefix.len() + namespace.map_or(0, str::len) + 40);
        self.write_prefix(&mut key, namespace);
        key
    }

    /// Append the key prefix (`/registry/<prefix>/`, and `<namespace>/` for a namespaced kind).
    fn write_prefix(&self, key: &mut String, namespace: Option<&str>) {
        key.push_str(KEY_ROOT);
        key.push_str(self.etcd_prefix);
        key.push('/');
        if let Some(ns) = namespace.filter(|_| self.namespaced) {
            key.push_str(ns);
            key.push('/');
        }
    }
}

/// The kinds whose `kind` is `name`, in the kinds' order (a table made once).
fn named(name: &str) -> &'static [&'static KindInfo] {
    static BY_NAME: std::sync::LazyLock<crate::fasthash::HashMap<&'static str, Vec<&'static KindInfo>>> =
        std::sync::LazyLock::new(|| {
            let mut by_name = crate::fasthash::HashMap::<&'static str, Vec<&'static KindInfo>>::default();
            for k in KINDS {
                by_name.entry(k.name).or_default().push(k);
            }
            by_name
        });
    BY_NAME.get(name).map_or(&[], Vec::as_slice)
}

/// Where every object's key starts, as kube-apiserver's etcd prefix.
const KEY_ROOT: &str = "/registry/";

/// Generates what this module declares from the list of kinds: the `Kind` and `Object` enums,
/// the `KINDS` table and the glue between a kind and its k8s-openapi type.
macro_rules! kinds {
    (() $( $variant:ident : $ty:ty = {
        group: $group:literal, version: $version:literal, others: [$($other:literal),*],
        plural: $plural:literal, singular: $singular:literal, short: [$($short:literal),*],
        namespaced: $ns:literal, etcd: $etcd:literal, status: $status:tt, generation: $gen:literal
    } )* ) => {
        /// Every kind kubesim serves.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind { $($variant),* }

        /// Static table of all kinds, in `kubectl api-resources` order (core group first).
        pub static KINDS: &[KindInfo] = &[
            $(KindInfo {
                kind: Kind::$variant, group: $group, version: $version, other_versions: &[$($other),*],
                name: stringify!($variant), plural: $plural, singular: $singular,
                short_names: &[$($short),*], namespaced: $ns, etcd_prefix: $etcd,
                has_status: $status, tracks_generation: $gen,
                group_resource_name: by_group($group, concat!($plural, ".", $group), $plural),
                api_version_name: by_group($group, concat!($group, "/", $version), $version),
            }),*
        ];

        impl Kind {
            /// The kind's JSON schema as k8s-openapi describes it (the doc comment of every
            /// field): the kind's own schema, with every type it refers to under `$defs`.
            /// Generated on each call, for `kubectl explain`; nothing else needs it.
            pub fn json_schema(self) -> serde_json::Value {
                let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
                match self { $(Kind::$variant => generator.into_root_schema_for::<$ty>().to_value()),* }
            }
        }

        /// A typed object of any served kind. Objects stay typed in memory; they are
        /// serialised only when a user asks for YAML or JSON.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Object { $($variant(Box<$ty>)),* }

        impl Object {
            pub fn kind(&self) -> Kind {
                match self { $(Object::$variant(_) => Kind::$variant),* }
            }
            pub fn metadata(&self) -> &ObjectMeta {
                match self { $(Object::$variant(o) => o.metadata()),* }
            }
            pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
                match self { $(Object::$variant(o) => o.metadata_mut()),* }
            }
            /// The object as JSON, with `apiVersion` and `kind` set.
            pub fn to_value(&self) -> serde_json::Value {
                let v = match self { $(Object::$variant(o) => serde_json::to_value(o)),* };
                v.unwrap_or(serde_json::Value::Null)
            }
            /// Decode a document of the given kind from any deserializer.
            pub fn deserialize_kind<'de, D: serde::Deserializer<'de>>(kind: Kind, de: D) -> Result<Object, D::Error> {
                Ok(match kind { $(Kind::$variant => Object::$variant(Box::new(<$ty as serde::Deserialize>::deserialize(de)?))),* })
            }
            /// Decode JSON of the given kind (its `apiVersion` must be the stored version).
            pub fn from_value(kind: Kind, value: serde_json::Value) -> Result<Object, serde_json::Error> {
                Ok(match kind { $(Kind::$variant => Object::$variant(Box::new(serde_json::from_value(value)?))),* })
            }
        }

        $(
            impl Typed for $ty {
                const KIND: Kind = Kind::$variant;
                fn from_object(obj: &Object) -> Option<&Self> {
                    match obj { Object::$variant(o) => Some(o), _ => None }
                }
                fn from_object_mut(obj: &mut Object) -> Option<&mut Self> {
                    match obj { Object::$variant(o) => Some(o), _ => None }
                }
                fn into_object(self) -> Object {
                    Object::$variant(Box::new(self))
                }
            }
        )*
    };
}

/// The one list of kinds: one entry per kind kubesim serves, in `kubectl api-resources` order
/// (core group first), `Variant: group_module::Type = { facts }`. Every other per-kind list is
/// generated from it: `for_each_kind!(callback (args))` invokes `callback!` with `(args)`
/// followed by every entry, its type as a full path. A new kind is one entry here, plus its
/// strategy, printer and describer.
macro_rules! for_each_kind {
    ($callback:ident $args:tt) => {
        $crate::model::kinds::for_each_kind! { @paths $callback $args
            Namespace: core::Namespace = { group: "", version: "v1", others: [], plural: "namespaces", singular: "namespace", short: ["ns"], namespaced: false, etcd: "namespaces", status: true, generation: false }
            Node: shared::Node = { group: "", version: "v1", others: [], plural: "nodes", singular: "node", short: ["no"], namespaced: false, etcd: "minions", status: true, generation: false }
            Pod: shared::Pod = { group: "", version: "v1", others: [], plural: "pods", singular: "pod", short: ["po"], namespaced: true, etcd: "pods", status: true, generation: false }
            Service: core::Service = { group: "", version: "v1", others: [], plural: "services", singular: "service", short: ["svc"], namespaced: true, etcd: "services/specs", status: true, generation: false }
            Endpoints: core::Endpoints = { group: "", version: "v1", others: [], plural: "endpoints", singular: "endpoints", short: ["ep"], namespaced: true, etcd: "services/endpoints", status: false, generation: false }
            ConfigMap: core::ConfigMap = { group: "", version: "v1", others: [], plural: "configmaps", singular: "configmap", short: ["cm"], namespaced: true, etcd: "configmaps", status: false, generation: false }
            Secret: core::Secret = { group: "", version: "v1", others: [], plural: "secrets", singular: "secret", short: [], namespaced: true, etcd: "secrets", status: false, generation: false }
            ServiceAccount: core::ServiceAccount = { group: "", version: "v1", others: [], plural: "serviceaccounts", singular: "serviceaccount", short: ["sa"], namespaced: true, etcd: "serviceaccounts", status: false, generation: false }
            PersistentVolume: core::PersistentVolume = { group: "", version: "v1", others: [], plural: "persistentvolumes", singular: "persistentvolume", short: ["pv"], namespaced: false, etcd: "persistentvolumes", status: true, generation: false }
            PersistentVolumeClaim: core::PersistentVolumeClaim = { group: "", version: "v1", others: [], plural: "persistentvolumeclaims", singular: "persistentvolumeclaim", short: ["pvc"], namespaced: true, etcd: "persistentvolumeclaims", status: true, generation: false }
            ResourceQuota: core::ResourceQuota = { group: "", version: "v1", others: [], plural: "resourcequotas", singular: "resourcequota", short: ["quota"], namespaced: true, etcd: "resourcequotas", status: true, generation: false }
            LimitRange: core::LimitRange = { group: "", version: "v1", others: [], plural: "limitranges", singular: "limitrange", short: ["limits"], namespaced: true, etcd: "limitranges", status: false, generation: false }
            Event: event::Event = { group: "", version: "v1", others: [], plural: "events", singular: "event", short: ["ev"], namespaced: true, etcd: "events", status: false, generation: false }
            ReplicationController: core::ReplicationController = { group: "", version: "v1", others: [], plural: "replicationcontrollers", singular: "replicationcontroller", short: ["rc"], namespaced: true, etcd: "controllers", status: true, generation: true }
            MutatingWebhookConfiguration: admissionregistration::MutatingWebhookConfiguration = { group: "admissionregistration.k8s.io", version: "v1", others: [], plural: "mutatingwebhookconfigurations", singular: "mutatingwebhookconfiguration", short: [], namespaced: false, etcd: "mutatingwebhookconfigurations", status: false, generation: true }
            ValidatingWebhookConfiguration: admissionregistration::ValidatingWebhookConfiguration = { group: "admissionregistration.k8s.io", version: "v1", others: [], plural: "validatingwebhookconfigurations", singular: "validatingwebhookconfiguration", short: [], namespaced: false, etcd: "validatingwebhookconfigurations", status: false, generation: true }
            EndpointSlice: discovery::EndpointSlice = { group: "discovery.k8s.io", version: "v1", others: [], plural: "endpointslices", singular: "endpointslice", short: [], namespaced: true, etcd: "endpointslices", status: false, generation: false }
            ControllerRevision: apps::ControllerRevision = { group: "apps", version: "v1", others: [], plural: "controllerrevisions", singular: "controllerrevision", short: [], namespaced: true, etcd: "controllerrevisions", status: false, generation: false }
            DaemonSet: apps::DaemonSet = { group: "apps", version: "v1", others: [], plural: "daemonsets", singular: "daemonset", short: ["ds"], namespaced: true, etcd: "daemonsets", status: true, generation: true }
            Deployment: apps::Deployment = { group: "apps", version: "v1", others: [], plural: "deployments", singular: "deployment", short: ["deploy"], namespaced: true, etcd: "deployments", status: true, generation: true }
            ReplicaSet: apps::ReplicaSet = { group: "apps", version: "v1", others: [], plural: "replicasets", singular: "replicaset", short: ["rs"], namespaced: true, etcd: "replicasets", status: true, generation: true }
            StatefulSet: apps::StatefulSet = { group: "apps", version: "v1", others: [], plural: "statefulsets", singular: "statefulset", short: ["sts"], namespaced: true, etcd: "statefulsets", status: true, generation: true }
            HorizontalPodAutoscaler: autoscaling::HorizontalPodAutoscaler = { group: "autoscaling", version: "v2", others: ["v1"], plural: "horizontalpodautoscalers", singular: "horizontalpodautoscaler", short: ["hpa"], namespaced: true, etcd: "horizontalpodautoscalers", status: true, generation: true }
            CronJob: shared::CronJob = { group: "batch", version: "v1", others: [], plural: "cronjobs", singular: "cronjob", short: ["cj"], namespaced: true, etcd: "cronjobs", status: true, generation: true }
            Job: shared::Job = { group: "batch", version: "v1", others: [], plural: "jobs", singular: "job", short: [], namespaced: true, etcd: "jobs", status: true, generation: true }
            Lease: shared::Lease = { group: "coordination.k8s.io", version: "v1", others: [], plural: "leases", singular: "lease", short: [], namespaced: true, etcd: "leases", status: false, generation: false }
            IngressClass: networking::IngressClass = { group: "networking.k8s.io", version: "v1", others: [], plural: "ingressclasses", singular: "ingressclass", short: [], namespaced: false, etcd: "ingressclasses", status: false, generation: true }
            Ingress: networking::Ingress = { group: "networking.k8s.io", version: "v1", others: [], plural: "ingresses", singular: "ingress", short: ["ing"], namespaced: true, etcd: "ingress", status: true, generation: true }
            NetworkPolicy: networking::NetworkPolicy = { group: "networking.k8s.io", version: "v1", others: [], plural: "networkpolicies", singular: "networkpolicy", short: ["netpol"], namespaced: true, etcd: "networkpolicies", status: false, generation: true }
            PodDisruptionBudget: policy::PodDisruptionBudget = { group: "policy", version: "v1", others: [], plural: "poddisruptionbudgets", singular: "poddisruptionbudget", short: ["pdb"], namespaced: true, etcd: "poddisruptionbudgets", status: true, generation: true }
            ClusterRoleBinding: rbac::ClusterRoleBinding = { group: "rbac.authorization.k8s.io", version: "v1", others: [], plural: "clusterrolebindings", singular: "clusterrolebinding", short: [], namespaced: false, etcd: "clusterrolebindings", status: false, generation: false }
            ClusterRole: rbac::ClusterRole = { group: "rbac.authorization.k8s.io", version: "v1", others: [], plural: "clusterroles", singular: "clusterrole", short: [], namespaced: false, etcd: "clusterroles", status: false, generation: false }
            RoleBinding: rbac::RoleBinding = { group: "rbac.authorization.k8s.io", version: "v1", others: [], plural: "rolebindings", singular: "rolebinding", short: [], namespaced: true, etcd: "rolebindings", status: false, generation: false }
            Role: rbac::Role = { group: "rbac.authorization.k8s.io", version: "v1", others: [], plural: "roles", singular: "role", short: [], namespaced: true, etcd: "roles", status: false, generation: false }
            PriorityClass: scheduling::PriorityClass = { group: "scheduling.k8s.io", version: "v1", others: [], plural: "priorityclasses", singular: "priorityclass", short: ["pc"], namespaced: false, etcd: "priorityclasses", status: false, generation: false }
            StorageClass: storage::StorageClass = { group: "storage.k8s.io", version: "v1", others: [], plural: "storageclasses", singular: "storageclass", short: ["sc"], namespaced: false, etcd: "storageclasses", status: false, generation: false }
        }
    };
    (@paths $callback:ident $args:tt $($variant:ident : $module:ident :: $ty:ident = $info:tt)*) => {
        $callback! { $args $($variant : $crate::model::kinds::api::$module::$ty = $info)* }
    };
}
pub(crate) use for_each_kind;

for_each_kind!(kinds());

impl Kind {
    pub fn info(self) -> &'static KindInfo {
        // KINDS is in declaration order, the same as the enum's discriminants.
        &KINDS[self as usize]
    }

    /// Look a kind up by `apiVersion` and `kind`, as in a manifest.
    pub fn from_api_version_kind(api_version: &str, kind: &str) -> Option<Kind> {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        // By the kind's name first (a table, not a walk of the kinds): every owner reference a
        // controller or the garbage collector follows is looked up here.
        named(kind)
            .iter()
            .find(|k| k.group == group && (k.version == version || k.other_versions.contains(&version)))
            .map(|k| k.kind)
    }

    /// The first kind (in the kinds' order) whose `kind` is `name`, whatever its group.
    pub fn first_named(name: &str) -> Option<&'static KindInfo> {
        named(name).first().copied()
    }

    /// Look a kind up by any name kubectl accepts for a resource: plural, singular, short name
    /// or kind, optionally qualified by group (`deployments.apps`) or version and group
    /// (`deployments.v1.apps`). Case-insensitive, as kubectl is.
    pub fn from_resource_name(name: &str) -> Option<Kind> {
        let lower = name.to_ascii_lowercase();
        let (base, qualifier) = match lower.split_once('.') {
            Some((b, q)) => (b.to_string(), Some(q.to_string())),
            None => (lower, None),
        };
        KINDS
            .iter()
            .find(|k| {
                let name_matches = k.plural == base
                    || k.singular == base
                    || k.name.eq_ignore_ascii_case(&base)
                    || k.short_names.contains(&base.as_str());
                let group_matches = match &qualifier {
                    None => true,
                    Some(q) => q == k.group || q.split_once('.').is_some_and(|(v, g)| v == k.version && g == k.group),
                };
                name_matches && group_matches
            })
            .map(|k| k.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key written in the reused buffer is the key `key` makes, also for a look-up made
    /// within another.
    #[test]
    fn keys_in_the_buffer_are_the_keys() {
        let (pod, node) = (Kind::Pod.info(), Kind::Node.info());
        let nested = pod.with_key("default", "web", |outer| {
            let inner = node.with_key("default", "node-1", str::to_string);
            (outer.to_string(), inner)
        });
        assert_eq!(nested, (pod.key("default", "web"), node.key("", "node-1")));
        assert_eq!(nested.1, "/registry/minions/node-1");
        assert_eq!(pod.with_key("kube-system", "a", str::to_string), "/registry/pods/kube-system/a");
    }

    /// The names spelled out in the table are the group's and version's joined as upstream does.
    #[test]
    fn spelled_out_names_join_group_plural_and_version() {
        for k in KINDS {
            let (resource, version) = if k.group.is_empty() {
                (k.plural.to_string(), k.version.to_string())
            } else {
                (format!("{}.{}", k.plural, k.group), format!("{}/{}", k.group, k.version))
            };
            assert_eq!((k.group_resource_name, k.api_version_name), (resource.as_str(), version.as_str()));
        }
    }

    #[test]
    fn table_order_matches_enum() {
        for (i, info) in KINDS.iter().enumerate() {
            assert_eq!(info.kind as usize, i, "{}", info.name);
        }
    }

    #[test]
    fn resource_names() {
        let check = |name: &str, expect: Option<Kind>| assert_eq!(Kind::from_resource_name(name), expect, "{name}");
        check("pods", Some(Kind::Pod));
        check("po", Some(Kind::Pod));
        check("Pod", Some(Kind::Pod));
        check("deploy", Some(Kind::Deployment));
        check("deployment.apps", Some(Kind::Deployment));
        check("deployments.v1.apps", Some(Kind::Deployment));
        check("deployments.batch", None);
        check("ep", Some(Kind::Endpoints));
        check("hpa", Some(Kind::HorizontalPodAutoscaler));
        check("netpol", Some(Kind::NetworkPolicy));
        check("foo", None);
    }

    #[test]
    fn manifest_kinds() {
        assert_eq!(Kind::from_api_version_kind("apps/v1", "Deployment"), Some(Kind::Deployment));
        assert_eq!(
            Kind::from_api_version_kind("autoscaling/v1", "HorizontalPodAutoscaler"),
            Some(Kind::HorizontalPodAutoscaler)
        );
        assert_eq!(Kind::from_api_version_kind("extensions/v1beta1", "Deployment"), None);
        assert_eq!(Kind::from_api_version_kind("v1", "Deployment"), None);
    }

    /// Every entry of the list of kinds agrees with its k8s-openapi type and round-trips
    /// through it.
    #[test]
    fn entries_agree_with_their_types() {
        use k8s_openapi::Resource;
        use std::any::TypeId;
        macro_rules! check_types {
            (() $($variant:ident : $ty:ty = $info:tt)*) => {{
                let mut seen = Vec::new();
                $(
                    let info = Kind::$variant.info();
                    seen.push(info.kind);
                    assert_eq!(<$ty as Typed>::KIND, Kind::$variant);
                    assert_eq!(<$ty as Resource>::KIND, info.name);
                    assert_eq!(<$ty as Resource>::GROUP, info.group, "{}", info.name);
                    assert_eq!(<$ty as Resource>::VERSION, info.version, "{}", info.name);
                    assert_eq!(<$ty as Resource>::API_VERSION, info.api_version(), "{}", info.name);
                    assert_eq!(<$ty as Resource>::URL_PATH_SEGMENT, info.plural, "{}", info.name);
                    let namespaced = TypeId::of::<<$ty as Resource>::Scope>() == TypeId::of::<k8s_openapi::NamespaceResourceScope>();
                    assert_eq!(namespaced, info.namespaced, "{}", info.name);
                    let obj = Object::named(Kind::$variant, Some("ns"), "x");
                    assert_eq!(obj.kind(), Kind::$variant);
                    let typed = <$ty as Typed>::from_object(&obj).expect("the object is of its kind's type");
                    assert_eq!(typed.clone().into_object(), obj);
                    assert_eq!(Object::from_value(Kind::$variant, obj.to_value()).ok(), Some(obj));
                )*
                seen
            }};
        }
        let seen = for_each_kind!(check_types());
        assert_eq!(seen, KINDS.iter().map(|k| k.kind).collect::<Vec<_>>(), "the list and the table agree");
    }

    /// Every name kubectl or a manifest uses finds its own kind, and no name is taken twice.
    #[test]
    fn entries_are_found_by_their_names() {
        let mut names = std::collections::BTreeMap::new();
        let mut prefixes = Vec::new();
        for info in KINDS {
            let check = |found: Option<Kind>, by: &str| assert_eq!(found, Some(info.kind), "{} by {by}", info.name);
            check(Kind::from_api_version_kind(&info.api_version(), info.name), "apiVersion and kind");
            for other in info.other_versions {
                let api_version = format!("{}/{other}", info.group);
                check(Kind::from_api_version_kind(&api_version, info.name), &api_version);
            }
            let mut resource_names = vec![info.plural, info.singular, info.name];
            resource_names.extend(info.short_names);
            for name in resource_names {
                check(Kind::from_resource_name(name), name);
                if !info.group.is_empty() {
                    check(Kind::from_resource_name(&format!("{name}.{}", info.group)), name);
                    check(Kind::from_resource_name(&format!("{name}.{}.{}", info.version, info.group)), name);
                }
                let taken = names.insert(name.to_ascii_lowercase(), info.name);
                assert!(taken.is_none_or(|k| k == info.name), "{name} names {} and {}", taken.unwrap_or(""), info.name);
            }
            prefixes.push(info.key_prefix(None));
        }
        for a in &prefixes {
            assert_eq!(prefixes.iter().filter(|b| b.starts_with(a.as_str())).count(), 1, "{a} holds only its kind");
        }
    }

    #[test]
    fn etcd_keys() {
        assert_eq!(Kind::Pod.info().key("default", "web"), "/registry/pods/default/web");
        assert_eq!(Kind::Node.info().key("", "node-1"), "/registry/minions/node-1");
        assert_eq!(Kind::Deployment.info().key_prefix(None), "/registry/deployments/");
    }
}
