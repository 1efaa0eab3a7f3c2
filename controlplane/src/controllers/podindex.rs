//! Pods by the node they are bound to: the `spec.nodeName` index that the node lifecycle,
//! taint eviction and pod garbage collection controllers keep over their pod informer.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::apiserver::{WatchEvent, WatchEventType};
use crate::model::Object;

#[derive(Debug, Default)]
pub struct PodsByNode {
    /// node name → pod key (`namespace/name`) → pod. Unbound pods are under "".
    by_node: BTreeMap<String, BTreeMap<String, Arc<Object>>>,
    node_of: HashMap<String, String>,
}

/// The node a pod is bound to, "" if none.
pub fn node_name(pod: &Object) -> &str {
    match pod {
        Object::Pod(p) => p.spec.as_ref().and_then(|s| s.node_name.as_deref()).unwrap_or(""),
        _ => "",
    }
}

impl PodsByNode {
    /// Keep the index up to date with a pod watch event. Returns the pod's previous version.
    pub fn apply(&mut self, event: &WatchEvent) -> Option<Arc<Object>> {
        let key = event.object.key();
        let old = self.remove(&key);
        if event.event_type != WatchEventType::Deleted {
            let node = node_name(&event.object).to_string();
            self.by_node.entry(node.clone()).or_default().insert(key.clone(), event.object.clone());
            self.node_of.insert(key, node);
        }
        old
    }

    fn remove(&mut self, key: &str) -> Option<Arc<Object>> {
        let node = self.node_of.remove(key)?;
        let pods = self.by_node.get_mut(&node)?;
        let old = pods.remove(key);
        if pods.is_empty() {
            self.by_node.remove(&node);
        }
        old
    }

    pub fn get(&self, key: &str) -> Option<&Arc<Object>> {
        let node = self.node_of.get(key)?;
        self.by_node.get(node)?.get(key)
    }

    /// The pods bound to `node`, in key order.
    pub fn on_node<'a>(&'a self, node: &str) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        self.by_node.get(node).into_iter().flat_map(|m| m.values())
    }

    /// Every pod, grouped by node name, in key order within each node.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Object>> {
        self.by_node.values().flat_map(|m| m.values())
    }

    /// The names of the nodes that have pods bound to them.
    pub fn nodes(&self) -> impl Iterator<Item = &str> {
        self.by_node.keys().map(String::as_str).filter(|n| !n.is_empty())
    }
}
