//! One pod's path through the cluster, for `trace(pod)`: every write about it the API server
//! handled (who asked, and the etcd revision it made), the events recorded about it, and the
//! CRI calls its kubelet made with what containerd and the shims did for them, merged in the
//! order they happened, with simulated timestamps.

use crate::apiserver::AuditLog;
use crate::model::{Kind, Object};
use crate::node::kubelet::Kubelets;
use crate::node::runtime::CriCall;
use crate::sim::Cluster;

fn short(id: &str) -> &str {
    &id[..id.len().min(13)]
}

fn component(user: &str) -> String {
    match user.strip_prefix("system:node:") {
        Some(node) => format!("kubelet ({node})"),
        None => user.to_string(),
    }
}

/// The lines of one CRI call: the kubelet's request, then containerd's and the shim's part.
fn cri_lines(
    c: &CriCall,
    node: &str,
    pod_ip: &str,
    host_network: bool,
    pid: Option<u32>,
) -> Vec<(String, String, String)> {
    let network =
        if host_network { "; it shares the node's network".to_string() } else { format!("; CNI gives it {pod_ip}") };
    let kubelet = format!("kubelet ({node})");
    let call = |detail: String| (kubelet.clone(), "CRI".to_string(), format!("{} {detail}", c.call));
    let runtime = |who: &str, what: String| (who.to_string(), String::new(), what);
    match c.call {
        "RunPodSandbox" => vec![
            call(c.subject.clone()),
            runtime("containerd", format!("starts containerd-shim-runc-v2 for sandbox {}", short(&c.id))),
            runtime("shim", format!("runs the pause container (registry.k8s.io/pause:3.10){network}")),
        ],
        "PullImage" => vec![
            call(format!("\"{}\"", c.subject)),
            runtime("containerd", format!("resolves \"{}\" and unpacks its layers", c.subject)),
        ],
        "CreateContainer" => vec![
            call(c.subject.clone()),
            runtime("containerd", format!("creates container {} ({}) in the sandbox", short(&c.id), c.subject)),
        ],
        "StartContainer" => vec![
            call(format!("{} ({})", c.subject, short(&c.id))),
            runtime(
                "shim",
                format!(
                    "runc starts the task of {}{}",
                    short(&c.id),
                    pid.map(|p| format!(", pid {p}")).unwrap_or_default()
                ),
            ),
        ],
        "StopContainer" => vec![
            call(format!("{} ({})", c.subject, short(&c.id))),
            runtime("shim", format!("sends SIGTERM to {}, SIGKILL when the timeout ends", short(&c.id))),
        ],
        _ => vec![call(if c.subject.is_empty() { short(&c.id).to_string() } else { c.subject.clone() })],
    }
}

/// The trace of pod `namespace/name` as text, or kubectl's error when there is no such pod.
pub fn trace(cluster: &mut Cluster, namespace: &str, name: &str) -> Result<String, String> {
    let Some(obj) = cluster.api_ref().peek(Kind::Pod, namespace, name) else {
        return Err(format!("Error from server (NotFound): pods \"{name}\" not found"));
    };
    let Object::Pod(pod) = &*obj else { return Err(format!("{name} is not a pod")) };
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    // A mirror pod's containers and kubelet events are its static pod's.
    let runtime_uid = crate::node::kubelet::mirror::runtime_uid(&obj);
    let node = pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
    let pod_ip = pod.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default();
    let key = Kind::Pod.info().key(namespace, name);
    let host_network = pod.spec.as_ref().and_then(|s| s.host_network) == Some(true);
    let (calls, pids): (Vec<CriCall>, Vec<Option<u32>>) = match cluster.component_mut::<Kubelets>() {
        Some(k) if !node.is_empty() => {
            let calls = k.cri_calls(&node, &runtime_uid);
            let pids = calls.iter().map(|c| k.kubelet(&node).and_then(|kl| kl.runtime.pid(&c.id))).collect();
            (calls, pids)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let api = cluster.api_ref();
    let audit: &AuditLog = api.audit_log();
    let event_prefix = format!("{name}.");
    let mut rows: Vec<(String, String, String, String)> = Vec::new();
    let mut next_call = 0;
    let mut last_revision = audit.iter().next().map(|r| r.revision).unwrap_or(0);
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    for (i, r) in audit.positioned() {
        while next_call < calls.len() && calls[next_call].mark <= i {
            let c = &calls[next_call];
            for (who, to, what) in cri_lines(c, &node, &pod_ip, host_network, pids[next_call]) {
                rows.push((time(c.time), who, to, what));
            }
            next_call += 1;
        }
        let changed = r.revision > last_revision;
        last_revision = r.revision;
        let write = matches!(r.verb, "create" | "update" | "patch" | "delete");
        if !write || r.namespace != namespace {
            continue;
        }
        if r.resource.starts_with("pods") && r.name == name {
            let what = format!("{} {} {namespace}/{name} ({})", r.verb, r.resource, r.code);
            rows.push((time(r.time), component(r.user), "kube-apiserver".into(), what));
            if changed {
                let gone = r.verb == "delete"
                    && api.peek(Kind::Pod, namespace, name).is_none_or(|p| p.resource_version() < r.revision);
                let op = if gone { "delete" } else { "put" };
                rows.push((
                    time(r.time),
                    "kube-apiserver".into(),
                    "etcd".into(),
                    format!("{op} {key} (revision {})", r.revision),
                ));
            }
        } else if r.resource == "events" && r.name.starts_with(&event_prefix) && changed {
            let Some(ev) = api.peek(Kind::Event, namespace, r.name) else { continue };
            let Object::Event(ev) = &*ev else { continue };
            let about = ev.involved_object.uid.as_deref();
            if about != Some(uid.as_str()) && about != Some(runtime_uid.as_str()) {
                continue;
            }
            let from = ev.source.as_ref().and_then(|s| s.component.as_deref()).unwrap_or_default().to_string();
            let again = if r.verb == "update" { " (again)" } else { "" };
            let what =
                format!("event {}{again}: {}", ev.reason.as_deref().unwrap_or(""), ev.message.as_deref().unwrap_or(""));
            let who = if r.user.starts_with("system:node:") { component(r.user) } else { from };
            rows.push((time(r.time), who, String::new(), what));
        }
    }
    for (c, pid) in calls[next_call..].iter().zip(&pids[next_call..]) {
        for (who, to, what) in cri_lines(c, &node, &pod_ip, host_network, *pid) {
            rows.push((time(c.time), who, to, what));
        }
    }
    let mut out =
        format!("pod {namespace}/{name} (uid {uid}) on {}\n", if node.is_empty() { "no node yet" } else { &node });
    let lines: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(t, who, to, what)| {
            let arrow = if to.is_empty() { String::new() } else { format!("→ {to}") };
            vec![t, who, arrow, what]
        })
        .collect();
    out.push_str(&crate::kubectl::printers::table::render_rows(&lines));
    Ok(out)
}
