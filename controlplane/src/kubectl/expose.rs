//! `kubectl expose (deployment|replicaset|replicationcontroller|service|pod) NAME --port=P
//! [--target-port=T] [--type=...] [--name=N] [--protocol=TCP]`: a Service for their pods.

use serde_json::{json, Value};

use super::create::submit;
use super::flags::{flag, parse, FlagSpec};
use super::resources::targets;
use crate::client::{Client, Response, Waiter};
use crate::model::Object;

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("port", None, true),
    flag("target-port", None, true),
    flag("type", None, true).with_values(&["ClusterIP", "LoadBalancer", "NodePort"]),
    flag("name", None, true),
    flag("protocol", None, true),
    flag("selector", None, true),
    flag("namespace", Some('n'), true),
    flag("dry-run", None, true),
    flag("output", Some('o'), true),
    flag("cluster-ip", None, true),
];

pub fn run(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let targets = targets(&flags.positional)?;
    let [(kind, Some(name))] = targets.as_slice() else {
        return Err("error: You must provide the resource and name to expose: kubectl expose TYPE NAME".into());
    };
    let ns = flags.get("namespace").unwrap_or("default").to_string();
    let obj = client.get(*kind, &ns, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let (selector, ports) = exposable(&obj)?;
    let selector = match flags.get("selector") {
        Some(s) => s
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect(),
        None => selector,
    };
    let protocol = flags.get("protocol").unwrap_or("TCP");
    // One port from --port, else every port the object has; several are named port-1, port-2...
    let ports: Vec<i64> = match flags.get("port") {
        Some(p) => vec![p.parse().map_err(|_| format!("error: invalid --port {p:?}"))?],
        None if ports.is_empty() => return Err("error: couldn't find port via --port flag or introspection".into()),
        None => ports,
    };
    let target = flags
        .get("target-port")
        .map(|t| t.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(t.to_string())));
    let several = ports.len() > 1;
    let ports: Vec<Value> = ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            let mut entry =
                json!({"port": port, "protocol": protocol, "targetPort": target.clone().unwrap_or(Value::from(*port))});
            if several {
                entry["name"] = json!(format!("port-{}", i + 1));
            }
            entry
        })
        .collect();
    let svc_name = flags.get("name").unwrap_or(name);
    let mut spec = json!({"ports": ports, "selector": selector});
    if let Some(t) = flags.get("type") {
        spec["type"] = json!(t);
    }
    if let Some(ip) = flags.get("cluster-ip") {
        spec["clusterIP"] = json!(ip);
    }
    let labels = obj.metadata().labels.clone().unwrap_or_default();
    let doc =
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc_name, "labels": labels}, "spec": spec});
    submit(client, waiter, &flags, doc, "exposed")
}

/// The selector and container ports of what can be exposed.
fn exposable(obj: &Object) -> Result<(serde_json::Map<String, Value>, Vec<i64>), String> {
    let to_map = |m: Option<&std::collections::BTreeMap<String, String>>| -> serde_json::Map<String, Value> {
        m.into_iter().flatten().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()
    };
    let ports_of = |spec: Option<&k8s_openapi::api::core::v1::PodSpec>| -> Vec<i64> {
        spec.into_iter()
            .flat_map(|s| &s.containers)
            .flat_map(|c| c.ports.iter().flatten())
            .map(|p| p.container_port as i64)
            .collect()
    };
    let no_selector = |kind: &str| format!("error: cannot expose a {kind} without a selector (matchLabels)");
    Ok(match obj {
        Object::Deployment(d) => {
            let spec = d.spec.as_ref();
            let sel = spec.and_then(|s| s.selector.match_labels.as_ref());
            if sel.is_none() {
                return Err(no_selector("Deployment"));
            }
            (to_map(sel), ports_of(spec.and_then(|s| s.template.spec.as_ref())))
        }
        Object::ReplicaSet(r) => {
            let spec = r.spec.as_ref();
            let sel = spec.and_then(|s| s.selector.match_labels.as_ref());
            if sel.is_none() {
                return Err(no_selector("ReplicaSet"));
            }
            (to_map(sel), ports_of(spec.and_then(|s| s.template.as_ref()).and_then(|t| t.spec.as_ref())))
        }
        Object::ReplicationController(r) => {
            let spec = r.spec.as_ref();
            (
                to_map(spec.and_then(|s| s.selector.as_ref())),
                ports_of(spec.and_then(|s| s.template.as_ref()).and_then(|t| t.spec.as_ref())),
            )
        }
        Object::Pod(p) => {
            if p.metadata.labels.as_ref().is_none_or(|l| l.is_empty()) {
                return Err(
                    "error: couldn't retrieve selectors via --selector flag or introspection: the pod has no labels and cannot be exposed"
                        .into(),
                );
            }
            (to_map(p.metadata.labels.as_ref()), ports_of(p.spec.as_deref()))
        }
        Object::Service(s) => {
            let spec = s.spec.as_ref();
            (
                to_map(spec.and_then(|s| s.selector.as_ref())),
                spec.and_then(|s| s.ports.as_ref()).into_iter().flatten().map(|p| p.port as i64).collect(),
            )
        }
        other => {
            return Err(format!("error: cannot expose a {}", other.info().name));
        }
    })
}
