//! `kubectl scale KIND/NAME --replicas=N [--current-replicas=M]` and
//! `kubectl autoscale KIND NAME --min=A --max=B [--cpu-percent=P]`.

use serde_json::json;

use super::create::submit;
use super::flags::{flag, parse, FlagSpec};
use super::resources::{finish, modify, settled, targets, DryRun};
use crate::client::{Client, Response, Waiter};
use crate::model::{Kind, Object};

pub(super) const SCALE_FLAGS: &[FlagSpec] = &[
    flag("replicas", None, true),
    flag("current-replicas", None, true),
    flag("namespace", Some('n'), true),
    flag("timeout", None, true),
    flag("dry-run", None, true).with_values(&["client", "none", "server"]),
];

pub(super) const AUTOSCALE_FLAGS: &[FlagSpec] = &[
    flag("min", None, true),
    flag("max", None, true),
    flag("cpu-percent", None, true),
    flag("name", None, true),
    flag("namespace", Some('n'), true),
    flag("dry-run", None, true),
    flag("output", Some('o'), true),
];

pub fn scale(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, SCALE_FLAGS)?;
    let replicas: i32 =
        flags.get("replicas").ok_or("error: required flag(s) \"replicas\" not set")?.parse().map_err(|_| {
            "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0".to_string()
        })?;
    if replicas < 0 {
        return Err("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0".into());
    }
    let current: Option<i32> = flags.get("current-replicas").and_then(|c| c.parse().ok());
    let ns = flags.get("namespace").unwrap_or("default").to_string();
    let dry_run = super::resources::dry_run(&flags, client)?;
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    for (kind, name) in targets(&flags.positional)? {
        let Some(name) = name else {
            return Err("error: resource(s) were provided, but no name was specified".into());
        };
        let change = |obj: &mut Object| {
            let resource = obj.info().group_resource();
            let slot = replicas_of(obj).ok_or_else(|| format!("error: no scale subresource for {resource}"))?;
            if let Some(c) = current {
                if slot.unwrap_or(1) != c {
                    return Err(format!("error: Expected replicas to be {c}, was {}", slot.unwrap_or(1)));
                }
            }
            *slot = Some(replicas);
            Ok(())
        };
        let result = match dry_run {
            // Client dry run: checked here against what the server has, and nothing sent.
            DryRun::Client => client
                .get(kind, &ns, &name)
                .map_err(|e| e.kubectl_message())
                .and_then(|o| change(&mut (*o.body).clone()).map(|()| o.body)),
            _ => modify(client, kind, &ns, &name, change),
        };
        match result {
            Ok(o) => lines.push(format!("{} scaled{}", o.type_name(), dry_run.suffix())),
            Err(e) => errors.push(e),
        }
    }
    settled(waiter, finish(lines, errors))
}

/// The `spec.replicas` of a scalable kind.
fn replicas_of(obj: &mut Object) -> Option<&mut Option<i32>> {
    match obj {
        Object::Deployment(d) => Some(&mut d.spec.get_or_insert_with(Default::default).replicas),
        Object::ReplicaSet(r) => Some(&mut r.spec.get_or_insert_with(Default::default).replicas),
        Object::StatefulSet(s) => Some(&mut s.spec.get_or_insert_with(Default::default).replicas),
        Object::ReplicationController(r) => Some(&mut r.spec.get_or_insert_with(Default::default).replicas),
        _ => None,
    }
}

pub fn autoscale(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, AUTOSCALE_FLAGS)?;
    let targets = targets(&flags.positional)?;
    let [(kind, Some(name))] = targets.as_slice() else {
        return Err("error: You must provide the resource and name to autoscale: kubectl autoscale TYPE NAME".into());
    };
    if !matches!(kind, Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::ReplicationController) {
        return Err(format!("error: cannot autoscale a {}: not scalable", kind.info().name));
    }
    let max: i32 = flags
        .get("max")
        .ok_or("error: required flag(s) \"max\" not set")?
        .parse()
        .map_err(|_| "error: --max must be a number".to_string())?;
    let min: Option<i32> =
        flags.get("min").map(|m| m.parse().map_err(|_| "error: --min must be a number".to_string())).transpose()?;
    if max < 1 || min.is_some_and(|m| m > max) {
        return Err(
            "error: --max=MAXPODS is required and must be at least 1, max must be greater than or equal to min".into(),
        );
    }
    let ns = flags.get("namespace").unwrap_or("default");
    client.get(*kind, ns, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let info = kind.info();
    let mut spec = json!({"scaleTargetRef": {"apiVersion": info.api_version(), "kind": info.name, "name": name}, "maxReplicas": max});
    if let Some(m) = min {
        spec["minReplicas"] = json!(m);
    }
    if let Some(cpu) = flags.get("cpu-percent") {
        let p: i32 = cpu.parse().map_err(|_| "error: --cpu-percent must be a number".to_string())?;
        spec["metrics"] = json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": p}}}]);
    }
    let hpa_name = flags.get("name").unwrap_or(name);
    let doc = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": hpa_name}, "spec": spec});
    submit(client, waiter, &flags, doc, "autoscaled")
}
