//! Shared informers, as client-go's `SharedInformerFactory` and `cache.Indexer` provide: one
//! cache per kind, owned by the cluster and fed once from the watch history, which every
//! component reads. Objects are the store's own `Arc<Object>`s, never copies. Indexes: by
//! namespace (the `namespace/name` key order), pods by node (`spec.nodeName`), and objects by
//! the uid of their controlling owner (pods without one: orphans, by namespace), and nodes by
//! their InternalIP and pod CIDR (the packet path's "whose address is this"), pods by label
//! and Services by the labels they select (what Services select which pods, without a walk
//! of every pod or Service in the namespace).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::ops::Bound;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::apiserver::{WatchEvent, WatchEventType};
use crate::fasthash::HashMap;
use crate::model::{Kind, Object, KINDS};
use crate::network::cidr::Cidr;

/// One kind's cache and its indexes.
#[derive(Debug, Default)]
struct Informer {
    /// Objects by key, for look-ups: a hash finds a key faster than a search that compares
    /// long, alike keys (`default/tick-3-29444160-x7k2p`) at every level.
    items: HashMap<Arc<str>, Arc<Object>>,
    /// The same keys in order, for lists (the namespace index).
    order: BTreeSet<Arc<str>>,
    /// Controlling owner uid → keys of the objects it controls.
    by_controller: Index,
    /// Pods only: node name ("" for unbound pods) → pods by key. It holds the objects
    /// themselves: the periodic controllers walk every pod by node, and a lookup per pod would
    /// cost them a chain of key comparisons each.
    by_node: BTreeMap<String, BTreeMap<String, Arc<Object>>>,
    /// Nodes only: their addresses.
    addresses: NodeAddresses,
    /// Pods: (namespace, label, value) → keys of the pods with it. Services: the same of
    /// their selectors' pairs; an empty selector (which selects everything) under no label.
    /// EndpointSlices: their `kubernetes.io/service-name` label only.
    /// Keyed by [`label_key`].
    by_label: Index,
    /// How many objects `by_label` holds in each namespace: a pod's event in a namespace
    /// where no Service selects anything looks nothing up.
    labelled: HashMap<Box<str>, usize>,
}

/// An index from a value to the keys of the objects with it, in key order. Only looked up by
/// value, never walked, so a hash table.
type Index = HashMap<Box<str>, BTreeSet<String>>;

/// The label by which EndpointSlices are found for their Service.
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// What `by_label` indexes an object under, borrowed: a pod's labels, a Service's selector,
/// an EndpointSlice's Service. Compared as it is (a pod's status write changes none of it),
/// made into pairs only when it changed.
enum Labelled<'a> {
    Map(&'a BTreeMap<String, String>),
    Service(&'a str),
}

impl PartialEq for Labelled<'_> {
    /// The same map at once (versions that share their metadata), else by its contents.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Labelled::Map(a), Labelled::Map(b)) => std::ptr::eq(*a, *b) || a == b,
            (Labelled::Service(a), Labelled::Service(b)) => a == b,
            _ => false,
        }
    }
}

impl<'a> Labelled<'a> {
    fn of(obj: &'a Object) -> Option<Labelled<'a>> {
        match obj {
            Object::Pod(_) => Some(Labelled::Map(obj.labels())),
            Object::EndpointSlice(_) => Some(Labelled::Service(obj.labels().get(SERVICE_NAME_LABEL)?)),
            Object::Service(s) => Some(Labelled::Map(s.spec.as_ref()?.selector.as_ref()?)),
            _ => None,
        }
    }

    /// The (label, value) pairs; an empty selector (which selects everything) is one pair
    /// ("", ""). A pod without labels has none.
    fn pairs(&self, obj: &Object) -> Vec<(&'a str, &'a str)> {
        match self {
            Labelled::Map(m) if m.is_empty() && obj.kind() == Kind::Service => vec![("", "")],
            Labelled::Map(m) => m.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
            Labelled::Service(name) => vec![(SERVICE_NAME_LABEL, name)],
        }
    }
}

/// Nodes by InternalIP, and by pod CIDR (per prefix length, by network address).
#[derive(Debug, Default)]
struct NodeAddresses {
    ips: BTreeMap<Ipv4Addr, BTreeSet<String>>,
    cidrs: BTreeMap<u8, BTreeMap<Ipv4Addr, BTreeSet<String>>>,
}

impl NodeAddresses {
    fn of(obj: &Object) -> (Option<Ipv4Addr>, Option<Cidr>) {
        match obj {
            Object::Node(n) => {
                let cidr = n.spec.as_ref().and_then(|s| s.pod_cidr.as_deref()).and_then(Cidr::parse);
                (crate::network::path::internal_ip(n), cidr)
            }
            _ => (None, None),
        }
    }

    fn update(&mut self, name: &str, old: Option<&Object>, new: Option<&Object>) {
        let (old, new) =
            (old.map(NodeAddresses::of).unwrap_or_default(), new.map(NodeAddresses::of).unwrap_or_default());
        if old == new {
            return;
        }
        if let Some(ip) = old.0 {
            remove_name(&mut self.ips, ip, name);
        }
        if let Some(c) = old.1 {
            if let Some(nets) = self.cidrs.get_mut(&c.prefix) {
                remove_name(nets, c.addr, name);
                if nets.is_empty() {
                    self.cidrs.remove(&c.prefix);
                }
            }
        }
        if let Some(ip) = new.0 {
            self.ips.entry(ip).or_default().insert(name.to_string());
        }
        if let Some(c) = new.1 {
            self.cidrs.entry(c.prefix).or_default().entry(c.addr).or_default().insert(name.to_string());
        }
    }
}

fn remove_name(map: &mut BTreeMap<Ipv4Addr, BTreeSet<String>>, key: Ipv4Addr, name: &str) {
    if let Some(names) = map.get_mut(&key) {
        names.remove(name);
        if names.is_empty() {
            map.remove(&key);
        }
    }
}

/// The caches of every kind some component watches. Like a reflector's store, they may lag
/// behind the API server by the writes made since they were last fed.
#[derive(Debug)]
pub struct Informers {
    /// By `Kind as usize`; None for kinds nobody watches.
    kinds: Vec<Option<Informer>>,
    /// Reused to build keys, so an update of a known object allocates nothing.
    scratch: String,
}

impl Default for Informers {
    fn default() -> Self {
        Informers { kinds: KINDS.iter().map(|_| None).collect(), scratch: String::new() }
    }
}

/// The node a pod is bound to, "" if none.
pub fn node_name(pod: &Object) -> &str {
    match pod {
        Object::Pod(p) => p.spec.as_ref().and_then(|s| s.node_name.as_deref()).unwrap_or(""),
        _ => "",
    }
}

/// An object's controlling owner reference (`metav1.GetControllerOf`).
pub fn controller_of(obj: &Object) -> Option<&OwnerReference> {
    controller_ref(obj.metadata())
}

/// The controlling owner reference in `meta`, for typed objects as well.
pub fn controller_ref(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references.iter().flatten().find(|r| r.controller == Some(true))
}

/// The uid of an object's controlling owner.
pub fn controller_uid(obj: &Object) -> Option<&str> {
    controller_of(obj).map(|r| r.uid.as_str())
}

/// The uid under which `by_controller` indexes an object: its controller's; pods and
/// ReplicaSets without a controller under [`ORPHAN`], for the controllers that may adopt them.
fn owner_index(obj: &Object) -> Option<&str> {
    controller_uid(obj).or(matches!(obj.kind(), Kind::Pod | Kind::ReplicaSet).then_some(ORPHAN))
}

/// No uid is empty, so the empty one indexes the pods without a controller.
const ORPHAN: &str = "";

fn write_key(out: &mut String, obj: &Object) {
    out.clear();
    if obj.info().namespaced {
        out.push_str(obj.namespace());
        out.push('/');
        out.push_str(obj.name());
    } else {
        out.push_str(obj.name());
    }
}

/// The `namespace/name` keys of one namespace, from keys in order starting at `namespace`:
/// those of namespaces that extend its name with a character before `/` (`default-2` after
/// `default`) come first and are passed over, and the namespace's own end at the first key
/// that does not start with `namespace/` (no key needs to be made to start from).
fn in_namespace<'a, K: AsRef<str> + 'a>(
    keys: impl Iterator<Item = &'a K> + 'a,
    namespace: &'a str,
) -> impl Iterator<Item = &'a K> + 'a {
    let rest = move |k: &&K| k.as_ref().strip_prefix(namespace).map(|rest| rest.starts_with('/'));
    keys.skip_while(move |k| rest(k) == Some(false)).take_while(move |k| rest(k) == Some(true))
}

/// The `by_label` key of a (namespace, label, value) pair, written into `buf`: the parts
/// joined by NUL, which none of them can hold (the API server validates namespaces, label
/// keys and values, and selectors), so that a look-up needs no copies of them.
fn label_key<'b>(buf: &'b mut String, namespace: &str, label: &str, value: &str) -> &'b str {
    buf.clear();
    for (i, part) in [namespace, label, value].into_iter().enumerate() {
        if i > 0 {
            buf.push('\0');
        }
        buf.push_str(part);
    }
    buf
}

fn index_remove(index: &mut Index, value: &str, key: &str) {
    if let Some(keys) = index.get_mut(value) {
        keys.remove(key);
        if keys.is_empty() {
            index.remove(value);
        }
    }
}

fn index_insert(index: &mut Index, value: &str, key: &str) {
    match index.get_mut(value) {
        Some(keys) => {
            keys.insert(key.to_string());
        }
        None => {
            index.insert(value.into(), BTreeSet::from([key.to_string()]));
        }
    }
}

impl Informer {
    /// Apply a change; returns the object's previous version.
    fn apply(&mut self, key: &str, event_type: WatchEventType, obj: &Arc<Object>) -> Option<Arc<Object>> {
        let old = if event_type == WatchEventType::Deleted {
            let old = self.items.remove(key);
            if old.is_some() {
                self.order.remove(key);
            }
            old
        } else if let Some(slot) = self.items.get_mut(key) {
            Some(std::mem::replace(slot, obj.clone()))
        } else {
            let key: Arc<str> = Arc::from(key);
            self.order.insert(key.clone());
            self.items.insert(key, obj.clone());
            None
        };
        let new = (event_type != WatchEventType::Deleted).then_some(&**obj);
        let (old_owner, new_owner) = (old.as_deref().and_then(owner_index), new.and_then(owner_index));
        if old_owner != new_owner {
            if let Some(uid) = old_owner {
                index_remove(&mut self.by_controller, uid, key);
            }
            if let Some(uid) = new_owner {
                index_insert(&mut self.by_controller, uid, key);
            }
        }
        if obj.kind() == Kind::Node {
            self.addresses.update(key, old.as_deref(), new);
        }
        if matches!(obj.kind(), Kind::Pod | Kind::Service | Kind::EndpointSlice) {
            let (was, is) = (old.as_deref().and_then(Labelled::of), new.and_then(Labelled::of));
            if was != is {
                let namespace = obj.namespace();
                match (was.is_some(), is.is_some()) {
                    (false, true) => match self.labelled.get_mut(namespace) {
                        Some(n) => *n += 1,
                        None => {
                            self.labelled.insert(namespace.into(), 1);
                        }
                    },
                    (true, false) => {
                        if let Some(n) = self.labelled.get_mut(namespace) {
                            *n -= 1;
                            if *n == 0 {
                                self.labelled.remove(namespace);
                            }
                        }
                    }
                    _ => {}
                }
                let old_pairs = was.map(|l| l.pairs(obj));
                let new_pairs = is.map(|l| l.pairs(obj));
                let mut index = String::new();
                for (k, v) in old_pairs.iter().flatten() {
                    index_remove(&mut self.by_label, label_key(&mut index, namespace, k, v), key);
                }
                for (k, v) in new_pairs.iter().flatten() {
                    index_insert(&mut self.by_label, label_key(&mut index, namespace, k, v), key);
                }
            }
        }
        if obj.kind() == Kind::Pod {
            let (old_node, new_node) = (old.as_deref().map(node_name), new.map(node_name));
            if old_node != new_node {
                if let Some(pods) = old_node.and_then(|node| self.by_node.get_mut(node)) {
                    pods.remove(key);
                    if pods.is_empty() {
                        self.by_node.remove(old_node.unwrap_or_default());
                    }
                }
            }
            if let Some(node) = new_node {
                match self.by_node.get_mut(node) {
                    Some(pods) => match pods.get_mut(key) {
                        Some(slot) => *slot = obj.clone(),
                        None => {
                            pods.insert(key.to_string(), obj.clone());
                        }
                    },
                    None => {
                        self.by_node.insert(node.to_string(), BTreeMap::from([(key.to_string(), obj.clone())]));
                    }
                }
            }
        }
        old
    }
}

impl Informers {
    fn informer(&self, kind: Kind) -> Option<&Informer> {
        self.kinds.get(kind as usize).and_then(Option::as_ref)
    }

    /// Whether `kind` has a cache.
    pub fn has(&self, kind: Kind) -> bool {
        self.informer(kind).is_some()
    }

    /// Start the cache of `kind` from a list of what exists (a reflector's initial List).
    pub(crate) fn start(&mut self, kind: Kind, items: Vec<Arc<Object>>) {
        if self.has(kind) {
            return;
        }
        let mut informer = Informer::default();
        let mut key = String::new();
        for obj in items {
            write_key(&mut key, &obj);
            informer.apply(&key, WatchEventType::Added, &obj);
        }
        self.kinds[kind as usize] = Some(informer);
    }

    /// Keep the cache of the event's kind (if it has one) up to date. Returns whether the kind
    /// has a cache, and the object's previous version.
    pub(crate) fn apply(&mut self, event: &WatchEvent) -> (bool, Option<Arc<Object>>) {
        let Some(Some(informer)) = self.kinds.get_mut(event.object.kind() as usize) else { return (false, None) };
        write_key(&mut self.scratch, &event.object);
        (true, informer.apply(&self.scratch, event.event_type, &event.object))
    }

    pub fn get(&self, kind: Kind, key: &str) -> Option<&Arc<Object>> {
        self.informer(kind)?.items.get(key)
    }

    /// All cached objects of `kind`, in key order.
    pub fn list(&self, kind: Kind) -> impl Iterator<Item = &Arc<Object>> {
        self.informer(kind).into_iter().flat_map(|i| i.order.iter().filter_map(|k| i.items.get(&**k)))
    }

    /// Cached objects of `kind` in one namespace, in key order (the namespace index).
    pub fn list_namespace<'a>(&'a self, kind: Kind, namespace: &'a str) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        self.informer(kind).into_iter().flat_map(move |i| {
            in_namespace(i.order.range::<str, _>((Bound::Included(namespace), Bound::Unbounded)), namespace)
                .filter_map(|k| i.items.get(&**k))
        })
    }

    /// The pods bound to `node` ("" for unbound pods), in key order.
    pub fn pods_on_node<'a>(&'a self, node: &str) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        let informer = self.informer(Kind::Pod);
        informer.and_then(|i| i.by_node.get(node)).into_iter().flat_map(|pods| pods.values())
    }

    /// Every pod, grouped by node name (unbound pods first), in key order within a node.
    pub fn pods_by_node(&self) -> impl Iterator<Item = &Arc<Object>> {
        let informer = self.informer(Kind::Pod);
        informer.into_iter().flat_map(|i| i.by_node.values().flat_map(|pods| pods.values()))
    }

    /// The names of the nodes that pods are bound to, in order.
    pub fn nodes_with_pods(&self) -> impl Iterator<Item = &str> {
        self.informer(Kind::Pod)
            .into_iter()
            .flat_map(|i| i.by_node.keys())
            .map(String::as_str)
            .filter(|n| !n.is_empty())
    }

    /// The pods of `namespace` whose labels hold every pair of `selector` (all of them for an
    /// empty one), in key order: the pods with the selector's rarest pair, checked for the rest.
    pub fn pods_with_labels<'a>(
        &'a self,
        namespace: &'a str,
        selector: &'a BTreeMap<String, String>,
    ) -> Box<dyn Iterator<Item = &'a Arc<Object>> + 'a> {
        let Some(informer) = self.informer(Kind::Pod) else { return Box::new(std::iter::empty()) };
        if selector.is_empty() {
            return Box::new(self.list_namespace(Kind::Pod, namespace));
        }
        let mut rarest: Option<&BTreeSet<String>> = None;
        let mut index = String::new();
        for (k, v) in selector {
            let keys = informer.by_label.get(label_key(&mut index, namespace, k, v));
            let Some(keys) = keys else { return Box::new(std::iter::empty()) };
            if rarest.is_none_or(|r| keys.len() < r.len()) {
                rarest = Some(keys);
            }
        }
        let matches = move |o: &&Arc<Object>| selector.iter().all(|(k, v)| o.labels().get(k) == Some(v));
        Box::new(rarest.into_iter().flatten().filter_map(|k| informer.items.get(k.as_str())).filter(matches))
    }

    /// The EndpointSlices of the Service `namespace/service` (by their
    /// `kubernetes.io/service-name` label), in key order.
    pub fn slices_of_service<'a>(
        &'a self,
        namespace: &str,
        service: &str,
    ) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        let informer = self.informer(Kind::EndpointSlice);
        let mut index = String::new();
        let keys = informer.and_then(|i| i.by_label.get(label_key(&mut index, namespace, SERVICE_NAME_LABEL, service)));
        keys.into_iter().flatten().filter_map(move |k| informer?.items.get(k.as_str()))
    }

    /// The Services of `namespace` whose selector may select a pod with `labels`: those with a
    /// selector pair among the labels, or an empty selector; in key order. The caller checks
    /// the whole selector.
    pub fn services_selecting_any<'a>(
        &'a self,
        namespace: &str,
        labels: &BTreeMap<String, String>,
    ) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        let informer = self.informer(Kind::Service);
        let mut keys: BTreeSet<&'a str> = BTreeSet::new();
        if let Some(i) = informer.filter(|i| i.labelled.contains_key(namespace)) {
            let pairs = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).chain([("", "")]);
            let mut index = String::new();
            for (k, v) in pairs {
                let found = i.by_label.get(label_key(&mut index, namespace, k, v));
                keys.extend(found.into_iter().flatten().map(String::as_str));
            }
        }
        keys.into_iter().filter_map(move |k| informer?.items.get(k))
    }

    /// The node whose InternalIP is `ip` (the first by name, should two claim it).
    pub fn node_with_ip(&self, ip: Ipv4Addr) -> Option<&str> {
        let names = self.informer(Kind::Node)?.addresses.ips.get(&ip)?;
        names.first().map(String::as_str)
    }

    /// The node whose pod CIDR holds `ip` (the first by name, should two overlap).
    pub fn node_with_pod_ip(&self, ip: Ipv4Addr) -> Option<&str> {
        let cidrs = &self.informer(Kind::Node)?.addresses.cidrs;
        cidrs.iter().find_map(|(prefix, nets)| nets.get(&Cidr::around(ip, *prefix).addr)?.first().map(String::as_str))
    }

    /// The pods or ReplicaSets of `namespace` without a controlling owner, in key order.
    pub fn orphans<'a>(&'a self, kind: Kind, namespace: &'a str) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        let informer = self.informer(kind);
        let keys = informer.and_then(|i| i.by_controller.get(ORPHAN));
        keys.into_iter()
            .flat_map(move |k| {
                in_namespace(k.range::<str, _>((Bound::Included(namespace), Bound::Unbounded)), namespace)
            })
            .filter_map(move |k| informer?.items.get(k.as_str()))
    }

    /// The objects of `kind` whose controlling owner has `uid`, in key order.
    pub fn controlled_by<'a>(&'a self, kind: Kind, uid: &str) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        let informer = self.informer(kind);
        let keys = informer.and_then(|i| i.by_controller.get(uid));
        keys.into_iter().flatten().filter_map(move |k| informer?.items.get(k.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, node: Option<&str>, owner: Option<&str>) -> Arc<Object> {
        let mut v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        if let Some(n) = node {
            v["spec"]["nodeName"] = json!(n);
        }
        if let Some(uid) = owner {
            v["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": "rs", "uid": uid, "controller": true}]);
        }
        Arc::new(crate::model::decode(v).expect("pod decodes"))
    }

    fn event(event_type: WatchEventType, object: Arc<Object>) -> WatchEvent {
        WatchEvent { event_type, object, revision: 0 }
    }

    #[test]
    fn indexes_follow_changes() {
        let mut informers = Informers::default();
        informers.start(Kind::Pod, vec![pod("a", None, Some("u1"))]);
        assert_eq!(informers.pods_on_node("").count(), 1);
        let (watched, old) = informers.apply(&event(WatchEventType::Modified, pod("a", Some("n1"), Some("u2"))));
        assert!(watched && old.is_some());
        assert_eq!(informers.pods_on_node("").count(), 0);
        assert_eq!(informers.pods_on_node("n1").map(|p| p.name().to_string()).collect::<Vec<_>>(), ["a"]);
        assert_eq!(informers.nodes_with_pods().collect::<Vec<_>>(), ["n1"]);
        assert_eq!(informers.controlled_by(Kind::Pod, "u1").count(), 0);
        assert_eq!(informers.controlled_by(Kind::Pod, "u2").count(), 1);
        informers.apply(&event(WatchEventType::Deleted, pod("a", Some("n1"), Some("u2"))));
        assert_eq!(informers.list(Kind::Pod).count(), 0);
        assert_eq!(informers.nodes_with_pods().count(), 0);
        assert_eq!(informers.controlled_by(Kind::Pod, "u2").count(), 0);
        // Pods without a controller are indexed as orphans, by namespace.
        informers.apply(&event(WatchEventType::Added, pod("b", None, None)));
        assert_eq!(informers.orphans(Kind::Pod, "default").map(|p| p.name()).collect::<Vec<_>>(), ["b"]);
        assert_eq!(informers.orphans(Kind::Pod, "defaul").count(), 0);
        informers.apply(&event(WatchEventType::Modified, pod("b", None, Some("u3"))));
        assert_eq!(informers.orphans(Kind::Pod, "default").count(), 0);
        // A kind nobody watches has no cache.
        assert!(!informers.has(Kind::Node));
    }

    #[test]
    fn replica_sets_without_a_controller_are_orphans_and_config_maps_are_not() {
        let rs = |name: &str, owner: Option<&str>| {
            let mut v = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"selector": {"matchLabels": {"app": "a"}}}});
            if let Some(uid) = owner {
                v["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "Deployment",
                    "name": "d", "uid": uid, "controller": true}]);
            }
            Arc::new(crate::model::decode(v).expect("replica set decodes"))
        };
        let cm = Arc::new(
            crate::model::decode(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "c", "namespace": "default"}}))
            .expect("config map decodes"),
        );
        let mut informers = Informers::default();
        informers.start(Kind::ReplicaSet, vec![rs("a", None), rs("b", Some("d1"))]);
        informers.start(Kind::ConfigMap, vec![cm]);
        assert_eq!(informers.orphans(Kind::ReplicaSet, "default").map(|o| o.name()).collect::<Vec<_>>(), ["a"]);
        assert_eq!(informers.controlled_by(Kind::ReplicaSet, "d1").map(|o| o.name()).collect::<Vec<_>>(), ["b"]);
        informers.apply(&event(WatchEventType::Modified, rs("a", Some("d1"))));
        assert_eq!(informers.orphans(Kind::ReplicaSet, "default").count(), 0);
        assert_eq!(informers.controlled_by(Kind::ReplicaSet, "d1").count(), 2);
        assert_eq!(informers.orphans(Kind::ConfigMap, "default").count(), 0, "only kinds a controller adopts");
    }

    #[test]
    fn nodes_are_found_by_address_and_pod_cidr() {
        let node = |name: &str, ip: &str, cidr: &str| {
            let v = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
                "spec": {"podCIDR": cidr},
                "status": {"addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}]}});
            Arc::new(crate::model::decode(v).expect("node decodes"))
        };
        let ip = |s: &str| s.parse::<Ipv4Addr>().expect("an address");
        let mut informers = Informers::default();
        informers.start(
            Kind::Node,
            vec![node("a", "172.18.0.2", "10.244.0.0/24"), node("b", "172.18.0.3", "10.244.1.0/24")],
        );
        assert_eq!(informers.node_with_ip(ip("172.18.0.3")), Some("b"));
        assert_eq!(informers.node_with_ip(ip("10.244.1.7")), None);
        assert_eq!(informers.node_with_pod_ip(ip("10.244.1.7")), Some("b"));
        assert_eq!(informers.node_with_pod_ip(ip("10.244.2.7")), None);
        // A change of address moves the node; a deleted node is gone from both.
        informers.apply(&event(WatchEventType::Modified, node("b", "172.18.0.9", "10.244.2.0/24")));
        assert_eq!(informers.node_with_ip(ip("172.18.0.3")), None);
        assert_eq!(informers.node_with_ip(ip("172.18.0.9")), Some("b"));
        assert_eq!(informers.node_with_pod_ip(ip("10.244.1.7")), None);
        assert_eq!(informers.node_with_pod_ip(ip("10.244.2.7")), Some("b"));
        informers.apply(&event(WatchEventType::Deleted, node("b", "172.18.0.9", "10.244.2.0/24")));
        assert_eq!(informers.node_with_ip(ip("172.18.0.9")), None);
        assert_eq!(informers.node_with_pod_ip(ip("10.244.2.7")), None);
        assert_eq!(informers.node_with_pod_ip(ip("10.244.0.1")), Some("a"));
    }

    #[test]
    fn pods_are_found_by_label_and_services_by_selector() {
        let labelled = |name: &str, labels: serde_json::Value| {
            let v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", "labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
            Arc::new(crate::model::decode(v).expect("pod decodes"))
        };
        let service = |name: &str, selector: Option<serde_json::Value>| {
            let mut v = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
                "spec": {"ports": [{"port": 80}]}});
            if let Some(s) = selector {
                v["spec"]["selector"] = s;
            }
            Arc::new(crate::model::decode(v).expect("service decodes"))
        };
        let names = |it: &mut dyn Iterator<Item = &Arc<Object>>| it.map(|o| o.name().to_string()).collect::<Vec<_>>();
        let mut informers = Informers::default();
        informers.start(
            Kind::Pod,
            vec![
                labelled("a", json!({"app": "web", "tier": "front"})),
                labelled("b", json!({"app": "web"})),
                labelled("c", json!({"app": "db"})),
            ],
        );
        let sel = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let web: BTreeMap<String, String> = sel(&[("app", "web")]);
        assert_eq!(names(&mut informers.pods_with_labels("default", &web)), ["a", "b"]);
        let front: BTreeMap<String, String> = sel(&[("app", "web"), ("tier", "front")]);
        assert_eq!(names(&mut informers.pods_with_labels("default", &front)), ["a"]);
        let none: BTreeMap<String, String> = sel(&[("app", "cache")]);
        assert!(names(&mut informers.pods_with_labels("default", &none)).is_empty());
        assert_eq!(names(&mut informers.pods_with_labels("default", &BTreeMap::new())), ["a", "b", "c"]);
        assert!(names(&mut informers.pods_with_labels("other", &web)).is_empty());
        // A relabelled pod moves.
        informers.apply(&event(WatchEventType::Modified, labelled("b", json!({"app": "db"}))));
        assert_eq!(names(&mut informers.pods_with_labels("default", &web)), ["a"]);

        informers.start(
            Kind::Service,
            vec![
                service("all", Some(json!({}))),
                service("db", Some(json!({"app": "db"}))),
                service("manual", None),
                service("web", Some(json!({"app": "web", "tier": "front"}))),
            ],
        );
        let labels: BTreeMap<String, String> = sel(&[("app", "web")]);
        assert_eq!(names(&mut informers.services_selecting_any("default", &labels)), ["all", "web"]);
        let labels: BTreeMap<String, String> = sel(&[("app", "db")]);
        assert_eq!(names(&mut informers.services_selecting_any("default", &labels)), ["all", "db"]);
        informers.apply(&event(WatchEventType::Deleted, service("db", Some(json!({"app": "db"})))));
        assert_eq!(names(&mut informers.services_selecting_any("default", &labels)), ["all"]);
        // The namespace's count of selecting Services follows them; "manual" selects nothing.
        let counted = |i: &Informers| i.informer(Kind::Service).and_then(|s| s.labelled.get("default").copied());
        assert_eq!(counted(&informers), Some(2));
        informers.apply(&event(WatchEventType::Modified, service("all", None)));
        informers.apply(&event(WatchEventType::Deleted, service("web", Some(json!({"app": "web", "tier": "front"})))));
        assert_eq!(counted(&informers), None);
        assert!(names(&mut informers.services_selecting_any("default", &labels)).is_empty());
        informers.apply(&event(WatchEventType::Added, service("web", Some(json!({"app": "web"})))));
        let labels: BTreeMap<String, String> = sel(&[("app", "web")]);
        assert_eq!(names(&mut informers.services_selecting_any("default", &labels)), ["web"]);
        assert_eq!(counted(&informers), Some(1));
    }

    #[test]
    fn kinds_index_their_table() {
        // The caches are found by `Kind as usize`: the enum and `KINDS` share one order.
        for (i, info) in KINDS.iter().enumerate() {
            assert_eq!(info.kind as usize, i, "{}", info.name);
        }
    }

    #[test]
    fn namespace_lists_stop_at_the_namespace() {
        let mut informers = Informers::default();
        let in_ns = |name: &str, namespace: &str| {
            let mut p = (*pod(name, None, None)).clone();
            p.metadata_mut().namespace = Some(namespace.into());
            Arc::new(p)
        };
        // `default-2` sorts before `default/`, `defaults` after it; `d` before both.
        let pods = [("x", "default-2"), ("y", "default-2"), ("a", "default"), ("b", "default"), ("s", "defaults")];
        let mut all: Vec<Arc<Object>> = pods.iter().map(|(n, ns)| in_ns(n, ns)).collect();
        all.push(in_ns("d", "d"));
        informers.start(Kind::Pod, all);
        let names = |it: &mut dyn Iterator<Item = &Arc<Object>>| it.map(|o| o.name().to_string()).collect::<Vec<_>>();
        assert_eq!(names(&mut informers.list_namespace(Kind::Pod, "default")), ["a", "b"]);
        assert_eq!(names(&mut informers.list_namespace(Kind::Pod, "default-2")), ["x", "y"]);
        assert_eq!(names(&mut informers.list_namespace(Kind::Pod, "defaults")), ["s"]);
        assert_eq!(names(&mut informers.list_namespace(Kind::Pod, "d")), ["d"]);
        assert!(names(&mut informers.list_namespace(Kind::Pod, "def")).is_empty());
        // The pods have no owner: the orphans of a namespace are its pods.
        assert_eq!(names(&mut informers.orphans(Kind::Pod, "default")), ["a", "b"]);
        assert_eq!(names(&mut informers.orphans(Kind::Pod, "default-2")), ["x", "y"]);
    }
}
