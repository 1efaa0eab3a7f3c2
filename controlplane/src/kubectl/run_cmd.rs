//! `kubectl run NAME --image=IMAGE [--labels=k=v,...] [--env=K=V] [--port=P] [--restart=...]
//! [--command] [-- ARGS...]`: one pod.

use serde_json::{json, Value};

use super::create::submit;
use super::flags::{flag, parse, FlagSpec};
use crate::client::{Client, Waiter};

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("image", None, true),
    flag("labels", Some('l'), true),
    flag("env", None, true),
    flag("port", None, true),
    flag("restart", None, true).with_values(&["Always", "Never", "OnFailure"]),
    flag("command", None, false),
    flag("namespace", Some('n'), true),
    flag("dry-run", None, true),
    flag("output", Some('o'), true).with_values(&["json", "name", "yaml"]),
    flag("image-pull-policy", None, true),
    flag("annotations", None, true),
];

pub fn run(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let (after, before) = match args.iter().position(|a| *a == "--") {
        Some(i) => (args[i + 1..].iter().map(|s| s.to_string()).collect::<Vec<_>>(), &args[..i]),
        None => (Vec::new(), args),
    };
    let flags = parse(before, FLAGS)?;
    let name = match flags.positional.as_slice() {
        [name] => name.clone(),
        [] => return Err("error: NAME is required for run\nSee 'kubectl run -h' for help and examples".into()),
        [_, extra @ ..] => return Err(format!("error: unexpected arguments: {extra:?}; put a command after --")),
    };
    let image = flags.get("image").ok_or("error: required flag(s) \"image\" not set")?;
    let labels: serde_json::Map<String, Value> = match flags.get("labels") {
        Some(l) => l
            .split(',')
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                    .ok_or(format!("error: invalid label spec: {kv}"))
            })
            .collect::<Result<_, _>>()?,
        None => [("run".to_string(), Value::String(name.clone()))].into_iter().collect(),
    };
    let restart = flags.get("restart").unwrap_or("Always");
    if !matches!(restart, "Always" | "OnFailure" | "Never") {
        return Err(format!("error: invalid restart policy: {restart}"));
    }
    let mut container = json!({"name": name, "image": image, "resources": {}});
    if !after.is_empty() {
        container[if flags.is_set("command") { "command" } else { "args" }] = json!(after);
    }
    let env: Vec<Value> = flags
        .all("env")
        .iter()
        .map(|e| {
            let (k, v) = e.split_once('=').unwrap_or((e, ""));
            json!({"name": k, "value": v})
        })
        .collect();
    if !env.is_empty() {
        container["env"] = Value::Array(env);
    }
    if let Some(p) = flags.get("port") {
        let port: i64 = p.parse().map_err(|_| format!("error: invalid argument {p:?} for \"--port\" flag"))?;
        container["ports"] = json!([{"containerPort": port}]);
    }
    if let Some(policy) = flags.get("image-pull-policy") {
        container["imagePullPolicy"] = json!(policy);
    }
    let doc = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [container], "restartPolicy": restart, "dnsPolicy": "ClusterFirst"},
    });
    submit(client, waiter, &flags, doc, "created")
}
