//! What pods use: a usage for each pod of a target, or a load shared by its ready pods. Both
//! show in `kubectl top` and drive the HorizontalPodAutoscaler.

use rhai::plugin::*;

#[export_module]
pub mod load_api {
    use rhai::Map;

    use super::set;

    /// Sets what EACH pod of `target` uses from now on, pods made later included (a busy loop,
    /// a memory leak): `#{cpu: "400m", memory: "200Mi"}`, or a percentage of each container's
    /// request (`cpu: "80%"`). `target` is `pod/NAME`, `deployment/NAME`, `statefulset/NAME`,
    /// `replicaset/NAME` (its pod selector) or a label selector (`app=web`), in the namespace
    /// default. CPU over the container's limit is throttled to it; memory over it gets the
    /// container OOM-killed (exit code 137, `OOMKilled`) and restarted with back-off. `#{}`
    /// goes back to the default (the `kubesim.io/cpu` and `memory` annotations, else what the
    /// container's program uses, else 1m and 4Mi).
    ///
    /// ```rhai
    /// set_usage("deployment/web", #{cpu: "80%", memory: "64Mi"});
    /// kubectl("top pods");
    /// ```
    #[rhai_fn(name = "set_usage", return_raw)]
    pub fn set_usage(ctx: NativeCallContext, target: &str, demand: Map) -> Result<String, Box<EvalAltResult>> {
        set(&ctx, target, "default", demand, false)
    }

    /// `set_usage` for a target in another namespace.
    ///
    /// ```rhai
    /// set_usage("app=worker", #{cpu: "250m"}, "jobs");
    /// ```
    #[rhai_fn(name = "set_usage", return_raw)]
    pub fn set_usage_in(
        ctx: NativeCallContext,
        target: &str,
        demand: Map,
        namespace: &str,
    ) -> Result<String, Box<EvalAltResult>> {
        set(&ctx, target, namespace, demand, false)
    }

    /// Sets the TOTAL demand on `target` from now on, like a stream of requests behind a
    /// Service: `#{cpu: "1500m", memory: "1Gi"}`, shared evenly among its Running and Ready
    /// pods (more pods, less for each), on top of what each uses anyway, and at most each
    /// container's limit. `target` takes the forms of `set_usage`; `#{}` stops the load.
    ///
    /// ```rhai
    /// set_load("deployment/php-apache", #{cpu: "1"});
    /// advance("1m");
    /// kubectl("get hpa");
    /// ```
    #[rhai_fn(name = "set_load", return_raw)]
    pub fn set_load(ctx: NativeCallContext, target: &str, demand: Map) -> Result<String, Box<EvalAltResult>> {
        set(&ctx, target, "default", demand, true)
    }

    /// `set_load` for a target in another namespace.
    ///
    /// ```rhai
    /// set_load("deployment/api", #{cpu: "2"}, "shop");
    /// ```
    #[rhai_fn(name = "set_load", return_raw)]
    pub fn set_load_in(
        ctx: NativeCallContext,
        target: &str,
        demand: Map,
        namespace: &str,
    ) -> Result<String, Box<EvalAltResult>> {
        set(&ctx, target, namespace, demand, true)
    }
}

use controlplane::apiserver::ApiServer;
use controlplane::model::selector::LabelSelector;
use controlplane::model::{Kind, Object};
use controlplane::node::kubelet::load::{Amount, Demand, Selects, Target};
use rhai::{EvalAltResult, NativeCallContext};

use crate::api::current;
use crate::convert::runtime_error;

fn set(
    ctx: &NativeCallContext,
    target: &str,
    namespace: &str,
    demand: rhai::Map,
    total: bool,
) -> Result<String, Box<EvalAltResult>> {
    let what = if total { "set_load" } else { "set_usage" };
    let parsed = parse_demand(what, &demand, total).map_err(runtime_error)?;
    let cluster = current(ctx);
    let mut c = cluster.0.borrow_mut();
    let resolved = resolve(c.api_ref(), target, namespace).map_err(runtime_error)?;
    let Some(kubelets) = c.component_mut::<controlplane::node::kubelet::Kubelets>() else {
        return Err(runtime_error("this cluster has no kubelets"));
    };
    let loads = kubelets.loads_mut();
    if total {
        loads.set_load(resolved, parsed);
    } else {
        loads.set_usage(resolved, parsed);
    }
    let _ = c.settle();
    Ok(describe(target, &demand, total))
}

/// The demand map of `set_usage`/`set_load`.
fn parse_demand(what: &str, map: &rhai::Map, total: bool) -> Result<Demand, String> {
    let mut d = Demand::default();
    for (key, value) in map {
        let milli = match key.as_str() {
            "cpu" => true,
            "memory" => false,
            other => return Err(format!("{what}: unknown resource {other:?} (cpu, memory)")),
        };
        let amount = Amount::parse(value.to_string().trim(), milli).map_err(|e| format!("{what}: {key}: {e}"))?;
        if total && matches!(amount, Amount::PercentOfRequest(_)) {
            return Err(format!(
                "{what}: {key}: a load is a quantity such as \"1500m\" or \"1Gi\" (a percentage of the request is for set_usage)"
            ));
        }
        if milli {
            d.cpu = Some(amount);
        } else {
            d.memory = Some(amount);
        }
    }
    Ok(d)
}

/// The pods `text` names: one pod, a workload's pod selector, or a label selector.
fn resolve(api: &ApiServer, text: &str, namespace: &str) -> Result<Target, String> {
    let selects = match text.split_once('/') {
        Some((kind, name)) if !kind.contains('=') && !kind.contains(',') => {
            let kind = controlplane::kubectl::resources::resolve(kind).map_err(|e| e.replace("error: ", ""))?;
            if !matches!(kind, Kind::Pod | Kind::Deployment | Kind::StatefulSet | Kind::ReplicaSet) {
                return Err(format!(
                    "{text}: a target is pod/NAME, deployment/NAME, statefulset/NAME, replicaset/NAME or a label selector"
                ));
            }
            if kind == Kind::Pod {
                Selects::Pod(name.to_string())
            } else {
                let obj = api.peek(kind, namespace, name).ok_or_else(|| {
                    format!("Error from server (NotFound): {} {name:?} not found", kind.info().group_resource())
                })?;
                let selector = match &*obj {
                    Object::Deployment(d) => d.spec.as_ref().map(|s| &s.selector),
                    Object::StatefulSet(s) => s.spec.as_ref().map(|s| &s.selector),
                    Object::ReplicaSet(r) => r.spec.as_ref().map(|s| &s.selector),
                    _ => {
                        return Err(format!(
                            "{text}: a target is pod/NAME, deployment/NAME, statefulset/NAME, replicaset/NAME or a label selector"
                        ))
                    }
                };
                let selector = selector.ok_or_else(|| format!("{text} has no pod selector"))?;
                Selects::Labels(LabelSelector::from_k8s(selector).map_err(|e| e.to_string())?)
            }
        }
        _ => Selects::Labels(LabelSelector::parse(text).map_err(|e| format!("{text:?}: {e}"))?),
    };
    Ok(Target { name: text.to_string(), namespace: namespace.to_string(), selects })
}

/// What was set, in the script's own words.
fn describe(target: &str, map: &rhai::Map, total: bool) -> String {
    let parts: Vec<String> = ["cpu", "memory"]
        .into_iter()
        .filter_map(|k| map.get(k).map(|v| format!("{k} {}", v.to_string().trim())))
        .collect();
    match (parts.is_empty(), total) {
        (true, true) => format!("{target}: no load"),
        (true, false) => format!("{target}: each pod uses its default"),
        (false, true) => format!("{target}: load {}, shared by its ready pods", parts.join(", ")),
        (false, false) => format!("{target}: each pod uses {}", parts.join(", ")),
    }
}
