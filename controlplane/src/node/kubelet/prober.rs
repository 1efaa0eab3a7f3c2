//! Running one probe, as the kubelet's prober does: an exec probe's command runs in the
//! container through the runtime's `ExecSync` (its exit code decides, its output is the
//! failure message); tcpSocket and httpGet connect to the pod's address, where the runtime's
//! network namespace says who listens and what its server answers.

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::node::container::shell;
use crate::node::runtime::containerd::Dial;
use crate::node::runtime::Containerd;
use crate::sim::bootstrap::KUBERNETES_VERSION;

/// The User-Agent of the kubelet's HTTP probes: `kube-probe/<major>.<minor>`.
fn agent() -> String {
    let v = KUBERNETES_VERSION.trim_start_matches('v');
    let minor: Vec<&str> = v.split('.').take(2).collect();
    format!("kube-probe/{}", minor.join("."))
}

/// A probe's port: a number, or the name of one of the container's ports.
fn port(c: &Container, p: &IntOrString) -> Option<u16> {
    match p {
        IntOrString::Int(n) => u16::try_from(*n).ok(),
        IntOrString::String(name) => c
            .ports
            .iter()
            .flatten()
            .find(|cp| cp.name.as_deref() == Some(name.as_str()))
            .and_then(|cp| u16::try_from(cp.container_port).ok()),
    }
}

/// The address the kubelet's requests come from: the pod network's gateway on the node.
fn gateway(pod_ip: &str) -> String {
    match pod_ip.rsplit_once('.') {
        Some((net, _)) => format!("{net}.1"),
        None => pod_ip.to_string(),
    }
}

/// Run `probe` against container `id` (of `c`, in a pod at `pod_ip`) at `at`: `Ok` when it
/// succeeds, else the failure's text as the kubelet's event gives it. A probe the kubelet
/// could not run at all (an unknown port name, a container that is gone) counts for nothing
/// upstream; here it counts as a success.
pub fn run(
    rt: &mut Containerd,
    id: &str,
    c: &Container,
    pod_ip: &str,
    probe: &Probe,
    at: DateTime<Utc>,
) -> Result<(), String> {
    let timeout = Duration::seconds(i64::from(probe.timeout_seconds.filter(|t| *t > 0).unwrap_or(1)));
    if let Some(e) = &probe.exec {
        let cmd = e.command.clone().unwrap_or_default();
        // A program of the image's own that kubesim does not run (`pg_isready`): it succeeds.
        let Some(first) = cmd.first() else { return Ok(()) };
        if !shell::knows(first) {
            return Ok(());
        }
        return match rt.exec_sync(at, id, &cmd, timeout) {
            Ok(out) if out.code == Some(0) => Ok(()),
            Ok(out) => {
                let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&out.stderr));
                Err(text.trim_end_matches('\n').to_string())
            }
            Err(_) => Ok(()),
        };
    }
    if let Some(t) = &probe.tcp_socket {
        let Some(p) = port(c, &t.port) else { return Ok(()) };
        let host = t.host.clone().unwrap_or_else(|| pod_ip.to_string());
        return match rt.dial(at, id, p, None) {
            Dial::Refused => Err(format!("dial tcp {host}:{p}: connect: connection refused")),
            Dial::Open(_) => Ok(()),
        };
    }
    if let Some(h) = &probe.http_get {
        let Some(p) = port(c, &h.port) else { return Ok(()) };
        let host = h.host.clone().unwrap_or_else(|| pod_ip.to_string());
        let scheme = h.scheme.as_deref().unwrap_or("HTTP").to_ascii_lowercase();
        let path = h.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".into());
        let url = format!("{scheme}://{host}:{p}{}", h.path.as_deref().unwrap_or(""));
        return match rt.dial(at, id, p, Some((&path, &gateway(pod_ip), &agent()))) {
            Dial::Refused => Err(format!("Get \"{url}\": dial tcp {host}:{p}: connect: connection refused")),
            Dial::Open(None) => Err(format!("Get \"{url}\": EOF")),
            Dial::Open(Some(code)) if (200..400).contains(&code) => Ok(()),
            Dial::Open(Some(code)) => Err(format!("HTTP probe failed with statuscode: {code}")),
        };
    }
    if let Some(g) = &probe.grpc {
        let Ok(p) = u16::try_from(g.port) else { return Ok(()) };
        return match rt.dial(at, id, p, None) {
            Dial::Refused => Err(format!(
                "timeout: failed to connect service \"{pod_ip}:{p}\" within {}s: context deadline exceeded",
                timeout.num_seconds()
            )),
            Dial::Open(_) => Ok(()),
        };
    }
    Ok(())
}
