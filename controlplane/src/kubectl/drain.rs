//! `kubectl cordon`, `uncordon` and `drain`. Drain cordons the node, then evicts its pods
//! through the eviction API (PodDisruptionBudgets may refuse; kubectl retries every 5
//! seconds, here in simulated time) and waits for them to be gone.

use std::sync::Arc;

use chrono::Duration;

use super::flags::{flag, parse, FlagSpec};
use super::resources::{finish, label_selector, modify, settled};
use crate::apiserver::error::{ApiError, Reason};
use crate::client::{all_deleted, is_deleted, wait_until, Client, Response, WaitError, Waiter};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};

/// The nodes a command names (by name or `-l`).
fn nodes(client: &mut dyn Client, names: &[String], selector: Option<&LabelSelector>) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for n in names {
        let n = n.strip_prefix("node/").or_else(|| n.strip_prefix("nodes/")).unwrap_or(n);
        client.get(Kind::Node, "", n).map(Response::into_body).map_err(|e| e.kubectl_message())?;
        out.push(n.to_string());
    }
    if let Some(sel) = selector {
        let list = client.list(Kind::Node, None, sel, &FieldSelector::everything()).map_err(|e| e.kubectl_message())?;
        out.extend(list.body.items.iter().map(|o| o.name().to_string()));
    }
    if out.is_empty() {
        return Err("error: resource(s) were provided, but no name was specified".into());
    }
    Ok(out)
}

/// Set `spec.unschedulable`; kubectl's line for the node.
fn set_unschedulable(client: &mut dyn Client, node: &str, value: bool) -> Result<String, String> {
    let verb = if value { "cordoned" } else { "uncordoned" };
    let mut already = false;
    modify(client, Kind::Node, "", node, |obj| {
        if let Object::Node(n) = obj {
            let spec = n.spec.get_or_insert_with(Default::default);
            already = spec.unschedulable.unwrap_or(false) == value;
            spec.unschedulable = if value { Some(true) } else { None };
        }
        Ok(())
    })?;
    Ok(if already { format!("node/{node} already {verb}") } else { format!("node/{node} {verb}") })
}

pub(super) const CORDON_FLAGS: &[FlagSpec] = &[flag("selector", Some('l'), true), flag("dry-run", None, true)];

pub(super) const DRAIN_FLAGS: &[FlagSpec] = &[
    flag("ignore-daemonsets", None, false),
    flag("delete-emptydir-data", None, false),
    flag("force", None, false),
    flag("grace-period", None, true),
    flag("timeout", None, true),
    flag("selector", Some('l'), true),
    flag("pod-selector", None, true),
    flag("disable-eviction", None, false),
];

pub fn cordon(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str], value: bool) -> Result<String, String> {
    let flags = parse(args, CORDON_FLAGS)?;
    let sel = flags.get("selector").map(|_| label_selector(&flags)).transpose()?;
    let mut lines = Vec::new();
    for node in nodes(client, &flags.positional, sel.as_ref())? {
        lines.push(set_unschedulable(client, &node, value)?);
    }
    settled(waiter, Ok(lines.join("\n")))
}

pub fn drain(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, DRAIN_FLAGS)?;
    let sel = flags.get("selector").map(|_| label_selector(&flags)).transpose()?;
    let pod_selector = match flags.get("pod-selector") {
        Some(s) => LabelSelector::parse(s).map_err(|e| format!("error: {e}"))?,
        None => LabelSelector::everything(),
    };
    let grace: Option<i64> = flags.get("grace-period").and_then(|g| g.parse().ok()).filter(|g: &i64| *g >= 0);
    let timeout = match flags.get("timeout") {
        Some(t) => crate::sim::parse_duration(t).map_err(|e| format!("error: {e}"))?,
        None => Duration::seconds(60),
    };
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for node in nodes(client, &flags.positional, sel.as_ref())? {
        lines.push(set_unschedulable(client, &node, true)?);
        let pods = client
            .list(Kind::Pod, None, &pod_selector, &FieldSelector::one_term_equal("spec.nodeName", &node))
            .map(Response::into_body)
            .map_err(|e| e.kubectl_message())?
            .items;
        let mut fatal: Vec<(String, Vec<String>)> = Vec::new();
        let mut warnings: Vec<(String, Vec<String>)> = Vec::new();
        let mut to_evict: Vec<Arc<Object>> = Vec::new();
        for pod in pods {
            let Object::Pod(p) = &*pod else { continue };
            let id = format!("{}/{}", pod.namespace(), pod.name());
            let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
            if pod.annotations().contains_key("kubernetes.io/config.mirror") {
                continue;
            }
            let finished = matches!(phase, Some("Succeeded" | "Failed"));
            let controller = pod
                .metadata()
                .owner_references
                .iter()
                .flatten()
                .find(|r| r.controller == Some(true))
                .map(|r| r.kind.clone());
            if controller.as_deref() == Some("DaemonSet") {
                if flags.is_set("ignore-daemonsets") {
                    push(&mut warnings, "ignoring DaemonSet-managed Pods", id);
                } else {
                    push(&mut fatal, "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)", id);
                }
                continue;
            }
            if !finished && controller.is_none() {
                if flags.is_set("force") {
                    push(&mut warnings, "deleting Pods that declare no controller", id.clone());
                } else {
                    push(
                        &mut fatal,
                        "cannot delete cannot delete Pods that declare no controller (use --force to override)",
                        id.clone(),
                    );
                    continue;
                }
            }
            let local = p
                .spec
                .as_ref()
                .and_then(|s| s.volumes.as_ref())
                .is_some_and(|vs| vs.iter().any(|v| v.empty_dir.is_some()));
            if !finished && local {
                if flags.is_set("delete-emptydir-data") {
                    push(&mut warnings, "deleting Pods with local storage", id);
                } else {
                    push(
                        &mut fatal,
                        "cannot delete Pods with local storage (use --delete-emptydir-data to override)",
                        id,
                    );
                    continue;
                }
            }
            to_evict.push(pod);
        }
        if !fatal.is_empty() {
            let msgs: Vec<String> = fatal.iter().map(|(m, ids)| format!("{m}: {}", ids.join(", "))).collect();
            let joined = if msgs.len() == 1 { msgs[0].clone() } else { format!("[{}]", msgs.join(", ")) };
            errors.push(format!(
                "error: unable to drain node {node:?} due to error: {joined}, continuing command...\nThere are pending nodes to be drained:\n {node}\n{}",
                msgs.join("\n")
            ));
            continue;
        }
        if !warnings.is_empty() {
            let msgs: Vec<String> = warnings.iter().map(|(m, ids)| format!("{m}: {}", ids.join(", "))).collect();
            lines.push(format!("Warning: {}", msgs.join("; ")));
        }
        match evict_all(client, waiter, &to_evict, grace, timeout, flags.is_set("disable-eviction"), &mut lines) {
            Ok(()) => lines.push(format!("node/{node} drained")),
            Err(Failure::Other(e)) => errors.push(e),
            Err(Failure::Pending(err)) => {
                // As kubectl: the pods still to go, then the node the command stopped at.
                let mut pending = Vec::new();
                for p in &to_evict {
                    if client.get(Kind::Pod, p.namespace(), p.name()).is_ok() {
                        pending.push(format!("pod/{}", p.name()));
                    }
                }
                let mut text = String::new();
                if !pending.is_empty() {
                    text.push_str(&format!(
                        "There are pending pods in node {node:?} when an error occurred: {err}\n{}\n",
                        pending.join("\n")
                    ));
                }
                text.push_str(&format!(
                    "error: unable to drain node {node:?}, aborting command...\n\nThere are pending nodes to be drained:\n {node}\nerror: {err}"
                ));
                errors.push(text);
                break;
            }
        }
    }
    settled(waiter, finish(lines, errors))
}

fn push(groups: &mut Vec<(String, Vec<String>)>, message: &str, id: String) {
    match groups.iter_mut().find(|(m, _)| m == message) {
        Some((_, ids)) => ids.push(id),
        None => groups.push((message.to_string(), vec![id])),
    }
}

/// Why a drain stopped: pods left when the timeout came (kubectl's aggregate of per-pod
/// errors), or another error, already in kubectl's words.
enum Failure {
    Pending(String),
    Other(String),
}

impl From<WaitError> for Failure {
    fn from(e: WaitError) -> Failure {
        Failure::Other(format!("error: {e}"))
    }
}

/// Evict (or delete) each pod, retrying refused evictions every 5 s of simulated time, then
/// wait for them to be gone, all within `timeout`.
fn evict_all(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    pods: &[Arc<Object>],
    grace: Option<i64>,
    timeout: Duration,
    delete: bool,
    lines: &mut Vec<String>,
) -> Result<(), Failure> {
    let deadline = waiter.deadline(timeout)?;
    let mut pending: Vec<&Arc<Object>> = pods.iter().collect();
    let mut evicted: Vec<&Arc<Object>> = Vec::new();
    while !pending.is_empty() {
        let mut retry = Vec::new();
        for pod in pending {
            if !delete {
                lines.push(format!("evicting pod {}/{}", pod.namespace(), pod.name()));
            }
            let result = if delete {
                let opts = crate::apiserver::DeleteOptions { grace_period_seconds: grace, ..Default::default() };
                client.delete(Kind::Pod, pod.namespace(), pod.name(), opts).map(Response::into_body)
            } else {
                client.evict(pod.namespace(), pod.name(), grace).map(Response::into_body)
            };
            match result {
                Ok(_) => evicted.push(pod),
                Err(e) if e.reason == Reason::NotFound => {}
                Err(e) if e.reason == Reason::TooManyRequests => {
                    lines.push(format!(
                        "error when evicting pods/{:?} -n {:?} (will retry after 5s): {}",
                        pod.name(),
                        pod.namespace(),
                        e.message
                    ));
                    retry.push(pod);
                }
                Err(e) => return Err(Failure::Other(e.kubectl_message())),
            }
        }
        pending = retry;
        if !pending.is_empty() {
            // kubectl sleeps 5s between tries and looks at its global timeout after the sleep.
            let Ok(t) = waiter.deadline(Duration::seconds(5)) else { break };
            while !waiter.step_toward(t)? {}
            if t > deadline {
                let errors: Vec<String> = pending
                    .iter()
                    .map(|p| {
                        format!(
                            "error when evicting pods/{:?} -n {:?}: global timeout reached: {}",
                            p.name(),
                            p.namespace(),
                            crate::sim::clock::go_duration(timeout)
                        )
                    })
                    .collect();
                return Err(Failure::Pending(crate::model::validation::aggregate(errors).unwrap_or_default()));
            }
        }
    }
    // Wait for the evicted pods to be gone, as kubectl does.
    let api = |e: ApiError| Failure::Other(e.kubectl_message());
    wait_until(waiter, deadline, || all_deleted(client, &evicted).map_err(api))?;
    for pod in &evicted {
        if is_deleted(client, pod).map_err(api)? {
            lines.push(format!("pod/{} {}", pod.name(), if delete { "deleted" } else { "evicted" }));
        }
    }
    Ok(())
}
