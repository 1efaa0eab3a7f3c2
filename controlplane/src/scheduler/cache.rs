//! The scheduler's cache of the cluster: one `NodeInfo` per node (in a `Vec`, by the order
//! nodes appeared) with what its pods request, the host ports they use and the images it
//! holds, kept up to date from watch events and from the scheduler's own decisions (an
//! assumed pod counts on its node from the moment it is chosen, before the binding lands).

use std::collections::BTreeMap;

use crate::fasthash::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Taint};

use super::framework::{AffinityTerm, HostPort, PodInfo, Resources};
use crate::model::Object;

/// One node and what is placed on it (`framework.NodeInfo`).
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub name: Arc<str>,
    /// The Node object; `None` for a node that pods name but that does not exist (yet).
    pub node: Option<Arc<Object>>,
    pub allocatable: Resources,
    pub requested: Resources,
    /// Requests with the scoring defaults for containers that state none.
    pub non_zero_cpu: i128,
    pub non_zero_memory: i128,
    pub pods: Vec<Arc<PodInfo>>,
    pub used_ports: Vec<HostPort>,
    /// Image name → size in bytes, from `status.images` (looked up for every pod scored on
    /// the node, never walked in an order that shows).
    pub images: HashMap<String, i64>,
    /// Pods here with any pod (anti-)affinity, and with required anti-affinity.
    pub pods_with_affinity: usize,
    pub pods_with_required_anti_affinity: usize,
    /// Pods here whose terms count when scoring other pods.
    pub pods_with_scoring_terms: usize,
    /// Copies of the fields every cycle reads, kept beside the counters so that checking a
    /// node for a plain pod does not touch the Node object.
    unschedulable: bool,
    taints: Vec<Taint>,
    labels: BTreeMap<String, String>,
}

impl NodeInfo {
    fn new(name: &str) -> NodeInfo {
        NodeInfo {
            name: name.into(),
            node: None,
            allocatable: Resources::default(),
            requested: Resources::default(),
            non_zero_cpu: 0,
            non_zero_memory: 0,
            pods: Vec::new(),
            used_ports: Vec::new(),
            images: HashMap::default(),
            pods_with_affinity: 0,
            pods_with_required_anti_affinity: 0,
            pods_with_scoring_terms: 0,
            unschedulable: false,
            taints: Vec::new(),
            labels: BTreeMap::new(),
        }
    }

    pub fn node(&self) -> Option<&Node> {
        match self.node.as_deref() {
            Some(Object::Node(n)) => Some(n),
            _ => None,
        }
    }

    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    pub fn taints(&self) -> &[Taint] {
        &self.taints
    }

    pub fn unschedulable(&self) -> bool {
        self.unschedulable
    }

    fn set_node(&mut self, obj: Arc<Object>) {
        if let Object::Node(n) = &*obj {
            let spec = n.spec.as_ref();
            self.unschedulable = spec.and_then(|s| s.unschedulable).unwrap_or(false);
            self.taints = spec.and_then(|s| s.taints.clone()).unwrap_or_default();
            self.labels = n.metadata.labels.clone().unwrap_or_default();
            let status = n.status.as_ref();
            self.allocatable = Resources::from_list(status.and_then(|s| s.allocatable.as_ref()));
            self.images.clear();
            for image in status.and_then(|s| s.images.as_ref()).into_iter().flatten() {
                for name in image.names.iter().flatten() {
                    self.images.insert(normalized_image(name), image.size_bytes.unwrap_or(0));
                }
            }
        }
        self.node = Some(obj);
    }

    pub(crate) fn add_pod(&mut self, pod: Arc<PodInfo>) {
        self.requested.add(&pod.requests);
        self.non_zero_cpu += pod.non_zero_cpu;
        self.non_zero_memory += pod.non_zero_memory;
        self.used_ports.extend(pod.host_ports.iter().cloned());
        if pod.has_affinity() {
            self.pods_with_affinity += 1;
        }
        if !pod.required_anti_affinity.is_empty() {
            self.pods_with_required_anti_affinity += 1;
        }
        if pod.has_scoring_terms() {
            self.pods_with_scoring_terms += 1;
        }
        self.pods.push(pod);
    }

    pub(crate) fn remove_pod(&mut self, key: &str) -> Option<Arc<PodInfo>> {
        let i = self.pods.iter().position(|p| p.key == key)?;
        let pod = self.pods.swap_remove(i);
        self.requested.sub(&pod.requests);
        self.non_zero_cpu -= pod.non_zero_cpu;
        self.non_zero_memory -= pod.non_zero_memory;
        for port in &pod.host_ports {
            if let Some(j) = self.used_ports.iter().position(|p| p == port) {
                self.used_ports.swap_remove(j);
            }
        }
        if pod.has_affinity() {
            self.pods_with_affinity -= 1;
        }
        if !pod.required_anti_affinity.is_empty() {
            self.pods_with_required_anti_affinity -= 1;
        }
        if pod.has_scoring_terms() {
            self.pods_with_scoring_terms -= 1;
        }
        Some(pod)
    }
}

/// `nginx` and `docker.io/library/nginx:latest` are the same image (as upstream's ImageLocality normalizes).
pub fn normalized_image(name: &str) -> String {
    let mut n = name.to_string();
    let last = n.rsplit('/').next().unwrap_or("");
    if !last.contains(':') && !last.contains('@') {
        n.push_str(":latest");
    }
    if !n.contains('/') {
        n = format!("docker.io/library/{n}");
    } else if let Some((first, _)) = n.split_once('/') {
        if !first.contains('.') && !first.contains(':') && first != "localhost" {
            n = format!("docker.io/{n}");
        }
    }
    n
}

/// A namespace and a set of labels that several pods may share.
pub type LabelSet = (String, BTreeMap<String, String>);

/// Something shared by many pods (a label set, an affinity term) and how many of those pods
/// each node holds (by stable node index).
pub struct Group<T> {
    pub what: T,
    pub nodes: HashMap<u32, i64>,
}

/// Add `delta` to the count of `key` on `node`. A group with no pods left on any node goes,
/// so label sets that are never seen again (each Job's pods have their own) do not pile up.
fn count<T>(map: &mut HashMap<String, Group<T>>, key: String, what: impl FnOnce() -> T, node: usize, delta: i64) {
    use std::collections::hash_map::Entry;
    let mut entry = match map.entry(key) {
        Entry::Occupied(e) => e,
        Entry::Vacant(_) if delta <= 0 => return,
        Entry::Vacant(e) => e.insert_entry(Group { what: what(), nodes: HashMap::default() }),
    };
    let group = entry.get_mut();
    let n = group.nodes.entry(node as u32).or_insert(0);
    *n += delta;
    if *n <= 0 {
        group.nodes.remove(&(node as u32));
    }
    if group.nodes.is_empty() {
        entry.remove();
    }
}

fn label_set_key(pod: &PodInfo) -> String {
    let mut key = pod.namespace.clone();
    for (k, v) in &pod.labels {
        key.push('\0');
        key.push_str(k);
        key.push('=');
        key.push_str(v);
    }
    key
}

/// Every node and every assigned (or assumed) pod the scheduler knows of.
#[derive(Default)]
pub struct Cache {
    infos: Vec<NodeInfo>,
    by_name: HashMap<Arc<str>, usize>,
    /// Indices of nodes that exist, in the order they appeared: the order nodes are checked in.
    order: Vec<usize>,
    /// Assigned pods: key → (node index).
    pods: HashMap<String, usize>,
    namespaces: BTreeMap<String, BTreeMap<String, String>>,
    /// Image → how many nodes hold it.
    image_nodes: HashMap<String, usize>,
    /// Assigned pods grouped by namespace and labels, with how many of each group each node
    /// holds: pod affinity terms are matched once per group rather than once per pod.
    label_sets: HashMap<String, Group<LabelSet>>,
    /// Required anti-affinity terms of assigned pods, grouped by their content, with how many
    /// pods on each node carry each.
    anti_terms: HashMap<String, Group<AffinityTerm>>,
    /// Pods anywhere with pod (anti-)affinity terms; InterPodAffinity skips work when zero.
    pub pods_with_affinity: usize,
    /// Pods anywhere whose terms count when scoring other pods.
    pub pods_with_scoring_terms: usize,
    /// PodDisruptionBudgets by `namespace/name`: preemption prefers victims they allow.
    pdbs: BTreeMap<String, Arc<Object>>,
}

impl Cache {
    /// The nodes that exist, in order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &NodeInfo> + '_ {
        self.order.iter().map(|&i| &self.infos[i])
    }

    pub fn num_nodes(&self) -> usize {
        self.order.len()
    }

    /// The `i`-th existing node (0 ≤ i < num_nodes).
    pub fn node_at(&self, i: usize) -> &NodeInfo {
        &self.infos[self.order[i]]
    }

    /// The position (as for `node_at`) of the node called `name`, if it exists.
    pub fn position(&self, name: &str) -> Option<usize> {
        let &i = self.by_name.get(name)?;
        self.order.iter().position(|&j| j == i)
    }

    /// The stable index of the `i`-th existing node (it stays valid after nodes come and go).
    pub fn index_at(&self, i: usize) -> u32 {
        self.order[i] as u32
    }

    /// The name of the node with stable index `index`.
    pub fn name_of(&self, index: u32) -> &str {
        self.infos.get(index as usize).map(|n| &*n.name).unwrap_or("")
    }

    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.by_name.get(name).map(|&i| &self.infos[i]).filter(|n| n.node.is_some())
    }

    pub fn namespace_labels(&self, ns: &str) -> Option<&BTreeMap<String, String>> {
        self.namespaces.get(ns)
    }

    pub fn set_pdb(&mut self, key: String, pdb: Option<Arc<Object>>) {
        match pdb {
            Some(p) => self.pdbs.insert(key, p),
            None => self.pdbs.remove(&key),
        };
    }

    /// The PodDisruptionBudgets, in key order.
    pub fn pdbs(&self) -> impl Iterator<Item = &Arc<Object>> {
        self.pdbs.values()
    }

    pub fn set_namespace(&mut self, name: &str, labels: Option<BTreeMap<String, String>>) {
        match labels {
            Some(l) => self.namespaces.insert(name.to_string(), l),
            None => self.namespaces.remove(name),
        };
    }

    fn index(&mut self, name: &str) -> usize {
        if let Some(&i) = self.by_name.get(name) {
            return i;
        }
        let info = NodeInfo::new(name);
        self.by_name.insert(info.name.clone(), self.infos.len());
        self.infos.push(info);
        self.infos.len() - 1
    }

    /// A node added or changed. Returns the node as it was before, if it existed.
    pub fn set_node(&mut self, obj: Arc<Object>) -> Option<Arc<Object>> {
        let i = self.index(obj.name());
        let old = self.infos[i].node.take();
        if old.is_none() {
            self.order.push(i);
        }
        self.count_images(i, -1);
        self.infos[i].set_node(obj);
        self.count_images(i, 1);
        old
    }

    pub fn remove_node(&mut self, name: &str) {
        let Some(&i) = self.by_name.get(name) else { return };
        self.count_images(i, -1);
        self.infos[i].images.clear();
        self.infos[i].node = None;
        self.order.retain(|&j| j != i);
    }

    fn count_images(&mut self, i: usize, delta: isize) {
        for image in self.infos[i].images.keys() {
            let n = self.image_nodes.entry(image.clone()).or_insert(0);
            *n = n.saturating_add_signed(delta);
        }
    }

    /// How many nodes hold `image` (normalized).
    pub fn image_nodes(&self, image: &str) -> usize {
        self.image_nodes.get(image).copied().unwrap_or(0)
    }

    pub fn has_pod(&self, key: &str) -> bool {
        self.pods.contains_key(key)
    }

    /// The node a pod is assigned or assumed to.
    pub fn pod_node(&self, key: &str) -> Option<&NodeInfo> {
        self.pods.get(key).map(|&i| &self.infos[i])
    }

    /// Count `pod` on `node` (an assigned pod seen in a watch event, or one the scheduler just chose).
    pub fn add_pod(&mut self, pod: Arc<PodInfo>, node: &str) {
        self.remove_pod(&pod.key);
        let i = self.index(node);
        if pod.has_affinity() {
            self.pods_with_affinity += 1;
        }
        if pod.has_scoring_terms() {
            self.pods_with_scoring_terms += 1;
        }
        self.pods.insert(pod.key.clone(), i);
        self.group(&pod, i, 1);
        self.infos[i].add_pod(pod);
    }

    fn group(&mut self, pod: &PodInfo, node: usize, delta: i64) {
        let what = || (pod.namespace.clone(), pod.labels.clone());
        count(&mut self.label_sets, label_set_key(pod), what, node, delta);
        for term in &pod.required_anti_affinity {
            count(&mut self.anti_terms, term.identity(), || term.clone(), node, delta);
        }
    }

    /// Assigned pods by namespace and labels, with their count per node.
    pub fn label_sets(&self) -> impl Iterator<Item = &Group<LabelSet>> + '_ {
        self.label_sets.values().filter(|g| !g.nodes.is_empty())
    }

    /// The required anti-affinity terms of assigned pods, with their count per node.
    pub fn anti_terms(&self) -> impl Iterator<Item = &Group<AffinityTerm>> + '_ {
        self.anti_terms.values().filter(|g| !g.nodes.is_empty())
    }

    /// The node with stable index `index`, if it exists.
    pub fn info(&self, index: u32) -> Option<&NodeInfo> {
        self.infos.get(index as usize).filter(|n| n.node.is_some())
    }

    pub fn remove_pod(&mut self, key: &str) -> Option<Arc<PodInfo>> {
        let i = self.pods.remove(key)?;
        let pod = self.infos[i].remove_pod(key)?;
        self.group(&pod, i, -1);
        if pod.has_affinity() {
            self.pods_with_affinity -= 1;
        }
        if pod.has_scoring_terms() {
            self.pods_with_scoring_terms -= 1;
        }
        Some(pod)
    }

    /// Replace a cached pod's object (labels changed) keeping its node.
    /// A newer version of an assigned pod whose labels and spec the cache already has (a status
    /// write): only the object is swapped, so the cache never keeps an older version alive.
    pub fn refresh_pod(&mut self, key: &str, obj: &Arc<Object>) {
        let Some(&i) = self.pods.get(key) else { return };
        if let Some(p) = self.infos[i].pods.iter_mut().find(|p| p.key == key) {
            Arc::make_mut(p).obj = obj.clone();
        }
    }

    pub fn update_pod(&mut self, pod: Arc<PodInfo>) {
        if let Some(&i) = self.pods.get(&pod.key) {
            let node = self.infos[i].name.clone();
            self.add_pod(pod, &node);
        }
    }
}
