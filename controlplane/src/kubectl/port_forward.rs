//! `kubectl port-forward TYPE/NAME [LOCAL_PORT:]REMOTE_PORT...`: ports of the user's machine
//! forwarded into one pod (of a workload or a Service, the first as `kubectl logs` picks it;
//! a Service's port translated to its target port on that pod). Real kubectl holds the
//! terminal until Ctrl-C; here the forwarding goes on in the background, until the pod goes,
//! so the next line can use it (`curl("http://localhost:8080")`).

use crate::model::Pod;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::flags::{flag, parse, FlagSpec};
use crate::client::{Client, Response, Waiter};
use crate::model::{Kind, Object};

pub(super) const FLAGS: &[FlagSpec] =
    &[flag("namespace", Some('n'), true), flag("address", None, true), flag("pod-running-timeout", None, true)];

const USAGE: &str = "error: TYPE/NAME and list of ports are required for port-forward\nSee 'kubectl port-forward -h' for help and examples";

/// One `LOCAL:REMOTE` pair as kubectl parses it (`8080:80`, `80`, `:80`).
fn port_pair(text: &str) -> Result<(Option<u16>, String), String> {
    let (local, remote) = match text.split_once(':') {
        Some((l, r)) => (l, r),
        None => (text, text),
    };
    let local = match local {
        "" => None,
        l => Some(l.parse::<u16>().map_err(|_| {
            format!("error: Error parsing local port '{l}': strconv.ParseUint: parsing \"{l}\": invalid syntax")
        })?),
    };
    if remote.is_empty() {
        return Err(format!("error: Error parsing remote port '{remote}': empty"));
    }
    Ok((local, remote.to_string()))
}

/// `translateServicePortToTargetPort`: a Service's port as the port of `pod` it reaches.
fn target_port(svc: &Service, pod: &Pod, remote: &str) -> Result<u16, String> {
    let ports = svc.spec.as_ref().and_then(|s| s.ports.as_ref()).cloned().unwrap_or_default();
    let port =
        ports.iter().find(|p| p.port.to_string() == remote || p.name.as_deref() == Some(remote)).ok_or_else(|| {
            format!(
                "error: Service {} does not have a service port {remote}",
                svc.metadata.name.as_deref().unwrap_or("")
            )
        })?;
    match port.target_port.clone().unwrap_or(IntOrString::Int(port.port)) {
        IntOrString::Int(n) => u16::try_from(n).map_err(|_| format!("error: invalid target port {n}")),
        IntOrString::String(name) => container_port(pod, &name),
    }
}

/// A named port of the pod's containers.
fn container_port(pod: &Pod, name: &str) -> Result<u16, String> {
    let containers = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.name.as_deref() == Some(name))
        .and_then(|p| u16::try_from(p.container_port).ok())
        .ok_or_else(|| {
            format!("error: Pod '{}' does not have a named port '{name}'", pod.metadata.name.as_deref().unwrap_or(""))
        })
}

pub fn run(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    if let Some(a) = flags.get("address").filter(|a| !a.split(',').all(|a| matches!(a, "localhost" | "127.0.0.1"))) {
        return Err(format!(
            "error: --address {a}: kubesim forwards only on localhost, the one address of the user's machine it models"
        ));
    }
    let [target, ports @ ..] = flags.positional.as_slice() else { return Err(USAGE.into()) };
    if ports.is_empty() {
        return Err(USAGE.into());
    }
    let pairs = ports.iter().map(|p| port_pair(p)).collect::<Result<Vec<_>, _>>()?;
    let (kind, name) = match target.split_once('/') {
        Some((t, n)) => (super::resources::resolve(t)?, n.to_string()),
        None => (Kind::Pod, target.clone()),
    };
    waiter.settle().map_err(|e| format!("error: {e}"))?;
    let get = |client: &mut dyn Client, kind: Kind, name: &str| {
        client.get(kind, &namespace, name).map(Response::into_body).map_err(|e| e.kubectl_message())
    };
    let pod_name = super::logs::attachable_pod(client, &namespace, target, "attach to")?.0;
    let pod_obj = get(client, Kind::Pod, &pod_name)?;
    let Object::Pod(pod) = &*pod_obj else { return Err(USAGE.into()) };
    let phase = pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
    if phase != "Running" {
        return Err(format!("error: unable to forward port because pod is not running. Current status={phase}"));
    }
    let service = match kind {
        Kind::Service => match &*get(client, Kind::Service, &name)? {
            Object::Service(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    };
    let taken = client.forwarded_ports();
    let mut out = String::new();
    for (local, remote) in pairs {
        let remote_port = match &service {
            Some(svc) => target_port(svc, pod, &remote)?,
            None => match remote.parse::<u16>() {
                Ok(p) => p,
                Err(_) => container_port(pod, &remote)?,
            },
        };
        // `:80` takes a free local port; kubectl's comes from the kernel.
        let local = local.unwrap_or_else(|| (32768..=60999).find(|p| !taken.contains(p)).unwrap_or(60999));
        if taken.contains(&local) || client.forwarded_ports().contains(&local) {
            return Err(format!(
                "Unable to listen on port {local}: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:{local}: bind: address already in use unable to create listener: Error listen tcp6 [::1]:{local}: bind: address already in use]\nerror: unable to listen on any of the requested ports: [{{{local} {remote_port}}}]"
            ));
        }
        client.port_forward(&namespace, &pod_name, local, remote_port).map_err(|e| e.kubectl_message())?;
        out.push_str(&format!(
            "Forwarding from 127.0.0.1:{local} -> {remote_port}\nForwarding from [::1]:{local} -> {remote_port}\n"
        ));
    }
    Ok(out.trim_end().to_string())
}
