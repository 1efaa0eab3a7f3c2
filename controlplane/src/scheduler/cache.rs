//! The scheduler's cache of the cluster: one `NodeInfo` per node (in a `Vec`, by the order
//! nodes appeared) with what its pods request, the host ports they use and the images it
//! holds, kept up to date from watch events and from the scheduler's own decisions (an
//! assumed pod counts on its node from the moment it is chosen, before the binding lands).

use std::collections::BTreeMap;

use crate::fasthash::HashMap;
use std::sync::Arc;

use crate::model::shared::Node;
use k8s_openapi::api::core::v1::{ContainerImage, Taint};

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
    /// The images the node holds, from `status.images`: each name's number in the cache's
    /// image table and the image's size in bytes, in number order. A few dozen at most (the
    /// kubelet reports 50), so a binary search finds one sooner than hashing its name would.
    pub images: Vec<(u32, i64)>,
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
            images: Vec::new(),
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

    /// Take the node's fields from a new version of it; its images are the caller's.
    fn set_node(&mut self, obj: Arc<Object>) {
        if let Object::Node(n) = &*obj {
            let spec = n.spec.as_ref();
            self.unschedulable = spec.and_then(|s| s.unschedulable).unwrap_or(false);
            // Most versions are heartbeats that change neither: compared, not copied.
            let taints = spec.and_then(|s| s.taints.as_deref()).unwrap_or_default();
            if self.taints != taints {
                self.taints = taints.to_vec();
            }
            match &n.metadata.labels {
                Some(labels) if *labels != self.labels => self.labels = labels.clone(),
                None => self.labels.clear(),
                _ => {}
            }
            self.allocatable = Resources::from_list(n.status.as_ref().and_then(|s| s.allocatable.as_ref()));
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

/// A Node's `status.images`, if it lists any.
fn node_images(obj: &Object) -> Option<&[ContainerImage]> {
    match obj {
        Object::Node(n) => n.status.as_ref()?.images.as_deref(),
        _ => None,
    }
}

/// The images that nodes hold, each name numbered once so that scoring compares numbers, with
/// how many nodes hold each. A name no node holds any longer gives its number back.
#[derive(Default)]
struct ImageTable {
    ids: HashMap<String, u32>,
    /// Nodes holding each image, by number (0 for a number given back).
    nodes: Vec<usize>,
    free: Vec<u32>,
}

impl ImageTable {
    /// Count a node's images, numbering new names: the node's list of (number, size).
    fn hold(&mut self, images: &[ContainerImage]) -> Vec<(u32, i64)> {
        let mut held: Vec<(u32, i64)> = Vec::new();
        for image in images {
            for name in image.names.iter().flatten() {
                let name = normalized_image(name);
                let id = match self.ids.get(&name) {
                    Some(&id) => id,
                    None => {
                        let id = match self.free.pop() {
                            Some(id) => id,
                            None => {
                                self.nodes.push(0);
                                (self.nodes.len() - 1) as u32
                            }
                        };
                        self.ids.insert(name, id);
                        id
                    }
                };
                // A name listed twice counts once, with the size listed last (as a map keeps it).
                match held.iter_mut().find(|(h, _)| *h == id) {
                    Some(h) => h.1 = image.size_bytes.unwrap_or(0),
                    None => {
                        held.push((id, image.size_bytes.unwrap_or(0)));
                        self.nodes[id as usize] += 1;
                    }
                }
            }
        }
        // In number order: ImageLocality finds each of a pod's images by a binary search.
        held.sort_unstable_by_key(|h| h.0);
        held
    }

    /// Uncount a node's images.
    fn release(&mut self, held: &[(u32, i64)]) {
        for &(id, _) in held {
            let n = &mut self.nodes[id as usize];
            *n -= 1;
            if *n == 0 {
                // Rare (an image leaves its last node), and the table is a few dozen names.
                self.ids.retain(|_, held| *held != id);
                self.free.push(id);
            }
        }
    }
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
    /// The images nodes hold, numbered, with how many nodes hold each.
    images: ImageTable,
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
        if old.as_deref().and_then(node_images) != node_images(&obj) {
            let info = &mut self.infos[i];
            self.images.release(&info.images);
            info.images = self.images.hold(node_images(&obj).unwrap_or_default());
        }
        self.infos[i].set_node(obj);
        old
    }

    pub fn remove_node(&mut self, name: &str) {
        let Some(&i) = self.by_name.get(name) else { return };
        let info = &mut self.infos[i];
        self.images.release(&info.images);
        info.images.clear();
        info.node = None;
        self.order.retain(|&j| j != i);
    }

    /// The number of `image` (normalized) in the image table and how many nodes hold it;
    /// `None` when no node does.
    pub fn image(&self, image: &str) -> Option<(u32, usize)> {
        let &id = self.images.ids.get(image)?;
        Some((id, self.images.nodes[id as usize]))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::decode::decode_one;

    fn node(name: &str, images: &[(&[&str], i64)]) -> Arc<Object> {
        let images: Vec<String> = images
            .iter()
            .map(|(names, size)| format!("{{names: [{}], sizeBytes: {size}}}", names.join(", ")))
            .collect();
        let yaml = format!(
            "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nstatus: {{images: [{}]}}\n",
            images.join(", ")
        );
        Arc::new(decode_one(&yaml).unwrap())
    }

    fn held(cache: &Cache, name: &str) -> Vec<(String, usize, i64)> {
        let info = cache.node(name).unwrap();
        let mut out: Vec<(String, usize, i64)> = info
            .images
            .iter()
            .map(|&(id, size)| {
                let image = cache.images.ids.iter().find(|(_, &held)| held == id).unwrap().0.clone();
                let (same, nodes) = cache.image(&image).unwrap();
                assert_eq!(same, id);
                (image, nodes, size)
            })
            .collect();
        out.sort();
        out
    }

    /// Image names are numbered once, counted per node (a name listed twice once), and give
    /// their number back when no node holds them; a heartbeat with the same images keeps them.
    #[test]
    fn image_table_counts_nodes_and_reuses_numbers() {
        let mut cache = Cache::default();
        cache.set_node(node("a", &[(&["nginx", "nginx:latest"], 10), (&["busybox:1.36"], 2)]));
        cache.set_node(node("b", &[(&["docker.io/library/nginx:latest"], 11)]));
        assert_eq!(
            held(&cache, "a"),
            [("docker.io/library/busybox:1.36".into(), 1, 2), ("docker.io/library/nginx:latest".into(), 2, 10)]
        );
        assert_eq!(held(&cache, "b"), [("docker.io/library/nginx:latest".into(), 2, 11)]);
        let before = cache.node("a").unwrap().images.clone();
        cache.set_node(node("a", &[(&["nginx", "nginx:latest"], 10), (&["busybox:1.36"], 2)]));
        assert_eq!(cache.node("a").unwrap().images, before, "unchanged images are kept as they were");

        // busybox leaves its only node; its number serves the next new image.
        let busybox = cache.image("docker.io/library/busybox:1.36").unwrap().0;
        cache.set_node(node("a", &[(&["nginx"], 10)]));
        assert_eq!(cache.image("docker.io/library/busybox:1.36"), None);
        cache.set_node(node("a", &[(&["nginx"], 10), (&["redis:7"], 5)]));
        assert_eq!(cache.image("docker.io/library/redis:7"), Some((busybox, 1)));
        cache.remove_node("b");
        assert_eq!(cache.image("docker.io/library/nginx:latest").map(|(_, n)| n), Some(1));
        cache.remove_node("a");
        assert!(cache.images.ids.is_empty());
        assert!(cache.images.nodes.iter().all(|&n| n == 0));
    }
}
