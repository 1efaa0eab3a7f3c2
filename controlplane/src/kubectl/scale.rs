//! `kubectl scale (KIND/NAME | KIND -l SEL | KIND --all | -f FILE) --replicas=N
//! [--current-replicas=M] [--resource-version=V]` and
//! `kubectl autoscale KIND NAME --min=A --max=B [--cpu-percent=P]`.

use chrono::Duration;
use serde_json::json;

use super::command::Input;
use super::create::{print_object, submit};
use super::flags::{flag, parse, FlagSpec};
use super::resources::{finish, settled, targets, DryRun};
use super::set_image::select_objects;
use crate::apiserver::PatchType;
use crate::client::{wait_until, Client, Response, WaitFailure, Waiter};
use crate::model::{Kind, Object};

pub(super) const AUTOSCALE_FLAGS: &[FlagSpec] = &[
    flag("min", None, true),
    flag("max", None, true),
    flag("cpu-percent", None, true),
    flag("name", None, true),
    flag("namespace", Some('n'), true),
    flag("dry-run", None, true).with_values(&["client", "none", "server"]),
    flag("output", Some('o'), true).with_values(&["json", "name", "yaml"]),
];

pub(super) const SCALE_FLAGS: &[FlagSpec] = &[
    flag("replicas", None, true),
    flag("current-replicas", None, true),
    flag("resource-version", None, true),
    flag("namespace", Some('n'), true),
    flag("timeout", None, true),
    flag("output", Some('o'), true).with_values(&["json", "name", "yaml"]),
    flag("dry-run", None, true).with_values(&["client", "none", "server"]),
    flag("filename", Some('f'), true),
    flag("recursive", Some('R'), false),
    flag("selector", Some('l'), true),
    flag("all", None, false),
];

/// `kubectl scale`, as kubectl's scaler does it: through the `scale` subresource, a merge
/// patch of `spec.replicas` when no precondition is given, or a read of the Scale, the
/// `--current-replicas`/`--resource-version` checks against it, and a `PUT` of it.
/// `--timeout` then waits for the Scale's status to reach the new size.
pub fn scale(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, SCALE_FLAGS)?;
    let int_flag = |name: &str, default: i64| -> Result<i64, String> {
        match flags.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                format!("error: invalid argument {v:?} for \"--{name}\" flag: strconv.ParseInt: parsing {v:?}: invalid syntax")
            }),
        }
    };
    if flags.get("replicas").is_none() {
        return Err("error: required flag(s) \"replicas\" not set".into());
    }
    let replicas = int_flag("replicas", 0)?;
    let current = int_flag("current-replicas", -1)?;
    if replicas < 0 {
        return Err("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0".into());
    }
    if current < -1 {
        return Err("error: The --current-replicas must specify an integer of -1 or greater".into());
    }
    let replicas = i32::try_from(replicas).map_err(|_| format!("error: invalid replicas {replicas}"))?;
    let resource_version = flags.get("resource-version").unwrap_or("").to_string();
    let dry_run = super::resources::dry_run(&flags, client)?;
    let timeout = match flags.get("timeout") {
        None | Some("0") | Some("0s") => None,
        Some(t) => Some(crate::sim::parse_duration(t).map_err(|_| {
            format!("error: invalid argument {t:?} for \"--timeout\" flag: time: invalid duration {t:?}")
        })?),
    };
    // The resource builder's reads: what cannot be read is reported after the rest are scaled.
    let (infos, info_errors) = select_objects(client, &flags, input, &flags.positional)?;
    if !resource_version.is_empty() && infos.len() > 1 {
        return Err("error: cannot use --resource-version with multiple resources".into());
    }
    let precondition = (current != -1 || !resource_version.is_empty()).then_some((current, resource_version.as_str()));
    let mut lines = Vec::new();
    for info in infos {
        let (kind, name, ns) = (info.kind(), info.name().to_string(), info.namespace().to_string());
        let mut obj = (*info).clone();
        if dry_run == DryRun::Client {
            // Printed as it would be, nothing sent and no precondition checked, as kubectl does.
            if let Some(slot) = replicas_of(&mut obj) {
                *slot = Some(replicas);
            }
            lines.push(print_object(&obj, flags.get("output"), &format!("{} scaled (dry run)", obj.type_name()))?);
            continue;
        }
        let result = scale_one(client, kind, &ns, &name, replicas, precondition);
        if let Err(e) = result {
            // kubectl stops at the first object it cannot scale.
            lines.push(e);
            return settled(waiter, Err(lines.join("\n")));
        }
        if let (Some(t), DryRun::None) = (timeout, dry_run) {
            if let Err(e) = wait_for_replicas(client, waiter, kind, &ns, &name, replicas, t) {
                lines.push(e);
                return Err(lines.join("\n"));
            }
        }
        if let Some(slot) = replicas_of(&mut obj) {
            *slot = Some(replicas);
        }
        let line = format!("{} scaled{}", obj.type_name(), dry_run.suffix());
        lines.push(print_object(&obj, flags.get("output"), &line)?);
    }
    if lines.is_empty() && info_errors.is_empty() {
        return Err("error: no objects passed to scale".into());
    }
    settled(waiter, finish(lines, info_errors))
}

/// `ScaleSimple`: a merge patch of the Scale, or with a precondition a read, the check and an
/// update of it.
fn scale_one(
    client: &mut dyn Client,
    kind: Kind,
    ns: &str,
    name: &str,
    replicas: i32,
    precondition: Option<(i64, &str)>,
) -> Result<(), String> {
    let Some((size, resource_version)) = precondition else {
        let patch = json!({"spec": {"replicas": replicas}});
        return client
            .patch_scale(kind, ns, name, PatchType::Merge, &patch)
            .map(|_| ())
            .map_err(|e| e.kubectl_message());
    };
    let mut scale = client.get_scale(kind, ns, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let spec_replicas = scale.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
    if size != -1 && i64::from(spec_replicas) != size {
        return Err(format!("error: Expected replicas to be {size}, was {spec_replicas}"));
    }
    let actual = scale.metadata.resource_version.clone().unwrap_or_default();
    if !resource_version.is_empty() && actual != resource_version {
        return Err(format!("error: Expected resource version to be {resource_version}, was {actual}"));
    }
    scale.spec.get_or_insert_with(Default::default).replicas = Some(replicas);
    client.update_scale(kind, ns, name, &scale).map(|_| ()).map_err(|e| e.kubectl_message())
}

/// `WaitForScaleHasDesiredReplicas`: polls the Scale every second until its status has the
/// new size (or someone else changed the size meanwhile).
fn wait_for_replicas(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    kind: Kind,
    ns: &str,
    name: &str,
    replicas: i32,
    timeout: Duration,
) -> Result<(), String> {
    let deadline = waiter.deadline(timeout).map_err(|e| format!("error: {e}"))?;
    let synced = wait_until(waiter, deadline, || -> Result<bool, WaitFailure> {
        let scale = client.get_scale(kind, ns, name).map_err(WaitFailure::Api)?.into_body();
        let spec = scale.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
        let status = scale.status.as_ref().map_or(0, |s| s.replicas);
        Ok(spec != replicas || status == replicas)
    })
    .map_err(|e| e.kubectl_message())?;
    if synced {
        Ok(())
    } else {
        Err(format!("error: timed out waiting for {name:?} to be synced"))
    }
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

/// `kubectl autoscale` of kubectl v1.32: an `autoscaling/v1` HorizontalPodAutoscaler over a
/// scalable target, `--cpu-percent` its `targetCPUUtilizationPercentage` (the API server's
/// default, 80%, without it); the server stores it as autoscaling/v2. (`--cpu` and
/// `--memory` came with kubectl v1.34's autoscaling/v2.)
pub fn autoscale(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, AUTOSCALE_FLAGS)?;
    let int32 = |name: &str| -> Result<i32, String> {
        match flags.get(name) {
            None => Ok(-1),
            Some(v) => v.parse().map_err(|_| {
                format!("error: invalid argument {v:?} for \"--{name}\" flag: strconv.ParseInt: parsing {v:?}: invalid syntax")
            }),
        }
    };
    if flags.get("max").is_none() {
        return Err("error: required flag(s) \"max\" not set".into());
    }
    let (max, min, cpu) = (int32("max")?, int32("min")?, int32("cpu-percent")?);
    if max < 1 {
        return Err(format!("error: --max=MAXPODS is required and must be at least 1, max: {max}"));
    }
    if max < min {
        return Err(format!("error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: {max}, min: {min}"));
    }
    let targets = targets(&flags.positional)?;
    let [(kind, Some(name))] = targets.as_slice() else {
        return Err("error: You must provide the resource and name to autoscale: kubectl autoscale TYPE NAME".into());
    };
    let ns = flags.get("namespace").unwrap_or("default");
    client.get(*kind, ns, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let info = kind.info();
    if !matches!(kind, Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::ReplicationController) {
        let (group, version) = info
            .api_version()
            .rsplit_once('/')
            .map_or((String::new(), info.api_version()), |(g, v)| (g.to_string(), v.to_string()));
        return Err(format!(
            "error: cannot autoscale a {}: could not find scale subresource for {group}/{version}, Resource={} in discovery information",
            info.name, info.plural
        ));
    }
    let mut spec = json!({"scaleTargetRef": {"apiVersion": info.api_version(), "kind": info.name, "name": name}, "maxReplicas": max});
    if min > 0 {
        spec["minReplicas"] = json!(min);
    }
    if cpu >= 0 {
        spec["targetCPUUtilizationPercentage"] = json!(cpu);
    }
    let hpa_name = flags.get("name").filter(|n| !n.is_empty()).unwrap_or(name);
    let doc = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": hpa_name}, "spec": spec});
    submit(client, waiter, &flags, doc, "autoscaled")
}
