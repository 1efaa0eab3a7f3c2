//! Growing and breaking the cluster: nodes at run time.

use rhai::plugin::*;
use rhai::{Array, Map};

#[export_module]
pub mod nodes_api {
    use controlplane::model::Kind;
    use controlplane::sim::bootstrap::{self, NodeSpec};

    use crate::api::current;
    use crate::convert::runtime_error;

    /// Adds a worker node: `#{name, cpu, memory, pods, labels, taints}` (`cpu` "4", `memory`
    /// "8Gi" and `pods` "110" by default; `labels` a map; `taints` strings like
    /// `"gpu=true:NoSchedule"`). The node registers Ready, as a kubelet would on start.
    ///
    /// ```rhai
    /// add_node(#{name: "gpu-1", cpu: "8", memory: "32Gi", labels: #{accelerator: "a100"}, taints: ["gpu=true:NoSchedule"]});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn add_node(ctx: NativeCallContext, spec: Map) -> Result<String, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        let defaults = c.config().clone();
        let text =
            |key: &str, default: &str| spec.get(key).map(|v| v.to_string()).unwrap_or_else(|| default.to_string());
        let name = spec
            .get("name")
            .map(|v| v.to_string())
            .ok_or_else(|| runtime_error("add_node needs a name: add_node(#{name: \"node-4\"})"))?;
        let mut node = NodeSpec::worker(
            &name,
            &text("cpu", &defaults.cpu),
            &text("memory", &defaults.memory),
            &text("pods", &defaults.pods),
        );
        for (key, _) in spec.iter() {
            if !["name", "cpu", "memory", "pods", "labels", "taints"].contains(&key.as_str()) {
                return Err(runtime_error(format!(
                    "add_node: unknown field {key:?} (name, cpu, memory, pods, labels, taints)"
                )));
            }
        }
        if let Some(labels) = spec.get("labels") {
            let map =
                labels.clone().try_cast::<Map>().ok_or_else(|| runtime_error("add_node: labels must be a map"))?;
            node.labels = map.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        }
        if let Some(taints) = spec.get("taints") {
            let list = taints
                .clone()
                .try_cast::<Array>()
                .ok_or_else(|| runtime_error("add_node: taints must be an array of \"key=value:Effect\" strings"))?;
            for t in list {
                let t = t.to_string();
                let (kv, effect) = t.split_once(':').ok_or_else(|| {
                    runtime_error(format!("add_node: invalid taint {t:?}: expected key=value:Effect"))
                })?;
                if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect) {
                    return Err(runtime_error(format!(
                        "add_node: invalid taint effect {effect:?} (NoSchedule, PreferNoSchedule, NoExecute)"
                    )));
                }
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                node.taints.push((k.to_string(), v.to_string(), effect.to_string()));
            }
        }
        if c.api_ref().peek(Kind::Node, "", &name).is_some() {
            return Err(runtime_error(format!("Error from server (AlreadyExists): nodes \"{name}\" already exists")));
        }
        let index = bootstrap::free_node_index(c.api_ref());
        bootstrap::join_node(c.api(), &node, index).map_err(|e| runtime_error(e.kubectl_message()))?;
        let _ = c.settle();
        Ok(format!("node/{name} created"))
    }

    /// Cuts a node off: its kubelet stops reporting (no lease renewals, no status, no pod
    /// changes), while its containers keep running. After 50s the node lifecycle controller
    /// marks it `NotReady` and taints it; its pods are evicted 300s later.
    ///
    /// ```rhai
    /// node_down("node-2");
    /// advance("60s");
    /// kubectl("get nodes");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn node_down(ctx: NativeCallContext, name: &str) -> Result<String, Box<EvalAltResult>> {
        switch_kubelet(&ctx, name, false)
    }

    /// Lets a node's kubelet report again: it renews its lease, posts its status, and finishes
    /// what happened meanwhile (pods deleted while it was away go).
    ///
    /// ```rhai
    /// node_up("node-2");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn node_up(ctx: NativeCallContext, name: &str) -> Result<String, Box<EvalAltResult>> {
        switch_kubelet(&ctx, name, true)
    }

    /// Removes a node from the cluster, as `kubectl delete node` does: the Node object goes,
    /// and the pod garbage collector force-deletes its pods 40s later.
    ///
    /// ```rhai
    /// remove_node("node-3");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn remove_node(ctx: NativeCallContext, name: &str) -> Result<String, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        c.api()
            .delete(controlplane::kubectl::apply::USER, Kind::Node, "", name, Default::default())
            .map_err(|e| runtime_error(e.kubectl_message()))?;
        let _ = c.settle();
        Ok(format!("node \"{name}\" deleted"))
    }
}

/// Stop or start the kubelet of node `name`.
fn switch_kubelet(ctx: &NativeCallContext, name: &str, on: bool) -> Result<String, Box<EvalAltResult>> {
    use controlplane::node::kubelet::Kubelets;
    let cluster = crate::api::current(ctx);
    let mut c = cluster.0.borrow_mut();
    if c.api_ref().peek(controlplane::model::Kind::Node, "", name).is_none() {
        return Err(crate::convert::runtime_error(format!("Error from server (NotFound): nodes \"{name}\" not found")));
    }
    let done = c.with_component::<Kubelets, _>(|k, ctx| if on { k.start(name, ctx) } else { k.stop(name) });
    if done != Some(true) {
        return Err(crate::convert::runtime_error(format!("node {name:?} has no kubelet")));
    }
    let _ = c.settle();
    Ok(format!(
        "node/{name} {}",
        if on { "up: its kubelet reports again" } else { "down: its kubelet stopped reporting" }
    ))
}
