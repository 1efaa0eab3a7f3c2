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
    /// `"gpu=true:NoSchedule"` or maps `#{key, value, effect}`). The node registers Ready, as
    /// a kubelet would on start, with its kube-proxy pod. If anything is refused, nothing is
    /// added.
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
            for (k, v) in map {
                if v.is_map() || v.is_array() {
                    return Err(runtime_error(format!(
                        "add_node: label {:?} must be a string, not {}",
                        k.as_str(),
                        v.type_name()
                    )));
                }
                node.labels.push((k.to_string(), v.to_string()));
            }
        }
        if let Some(taints) = spec.get("taints") {
            let list = taints
                .clone()
                .try_cast::<Array>()
                .ok_or_else(|| runtime_error(format!("add_node: taints must be an array ({TAINT_FORMS})")))?;
            for t in &list {
                node.taints.push(super::taint(t)?);
            }
        }
        if c.api_ref().peek(Kind::Node, "", &name).is_some() {
            return Err(runtime_error(format!("Error from server (AlreadyExists): nodes \"{name}\" already exists")));
        }
        let index = bootstrap::free_node_index(c.api_ref());
        bootstrap::launch_instance(&c, &mut node, index);
        if let Err(e) = bootstrap::join_node(c.api(), &node, index) {
            if let Some(mut cloud) = c.cloud() {
                cloud.remove_instance(&name);
            }
            return Err(runtime_error(e.kubectl_message()));
        }
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
    /// its Lease with it (the Node owns it), and the pod garbage collector force-deletes its
    /// pods 40s later. A node that does not exist is an error and changes nothing.
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

/// The forms a taint of `add_node` takes.
const TAINT_FORMS: &str = "a taint is \"key=value:Effect\", \"key:Effect\" or #{key, value, effect}";

/// One taint of `add_node` as (key, value, effect), split as `kubectl taint` splits a spec;
/// the API server judges the parts (its error names the allowed effects).
fn taint(t: &rhai::Dynamic) -> Result<(String, String, String), Box<EvalAltResult>> {
    let invalid = |what: String| crate::convert::runtime_error(format!("add_node: {what} ({TAINT_FORMS})"));
    if let Some(map) = t.clone().try_cast::<Map>() {
        let mut parts = [String::new(), String::new(), String::new()];
        for (k, v) in map {
            let slot = match k.as_str() {
                "key" => 0,
                "value" => 1,
                "effect" => 2,
                other => return Err(invalid(format!("unknown taint field {other:?}"))),
            };
            parts[slot] = v.to_string();
        }
        let [key, value, effect] = parts;
        return Ok((key, value, effect));
    }
    if !t.is_string() {
        return Err(invalid(format!("a taint cannot be {}", t.type_name())));
    }
    let spec = t.to_string();
    let parts: Vec<&str> = spec.split(':').collect();
    let (kv, effect) = match parts[..] {
        [kv, effect] => (kv, effect),
        _ => return Err(invalid(format!("invalid taint spec: {spec:?}"))),
    };
    let (key, value) = match kv.split('=').collect::<Vec<_>>()[..] {
        [key] => (key, ""),
        [key, value] => (key, value),
        _ => return Err(invalid(format!("invalid taint spec: {spec:?}"))),
    };
    Ok((key.to_string(), value.to_string(), effect.to_string()))
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
