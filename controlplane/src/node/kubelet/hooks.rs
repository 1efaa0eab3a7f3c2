//! Container lifecycle hooks as the kubelet's handler runner runs them
//! (`pkg/kubelet/lifecycle/handlers.go`): a postStart handler right after its container
//! starts. An exec handler runs in the container through the runtime's `ExecSync`, an httpGet
//! one is a request to the pod as an httpGet probe's, and a sleep one waits. What fails is
//! reported in the handler runner's words.

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::core::v1::{Container, LifecycleHandler, Probe};

use crate::model::selector::go_quote;
use crate::node::container::shell;
use crate::node::runtime::Containerd;

/// How long a hook may run here. Upstream gives an exec hook no limit; a hook that never ends
/// is taken as still running, and the container runs on.
const HOOK_LIMIT_SECONDS: i64 = 120;

/// Run `handler` for container `id` (of `c`, in the pod `pod` as the kubelet formats it, at
/// `pod_ip`) at `at`: `Err` with the event's message when it fails.
pub fn run(
    rt: &mut Containerd,
    id: &str,
    c: &Container,
    pod: &str,
    pod_ip: &str,
    handler: &LifecycleHandler,
    at: DateTime<Utc>,
) -> Result<(), String> {
    if let Some(e) = &handler.exec {
        let cmd = e.command.clone().unwrap_or_default();
        // A program of the image's own that kubesim does not run: it succeeds, as for probes.
        if !cmd.first().is_some_and(|first| shell::knows(first)) {
            return Ok(());
        }
        let out = match rt.exec_sync(at, id, &cmd, Duration::seconds(HOOK_LIMIT_SECONDS)) {
            Ok(out) => out,
            Err(_) => return Ok(()),
        };
        return match out.code {
            None | Some(0) => Ok(()),
            Some(code) => {
                let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
                output.push_str(&stderr);
                Err(format!(
                    "Exec lifecycle hook ([{}]) for Container {} in Pod {} failed - error: command '{}' exited with {code}: {stderr}, message: {}",
                    cmd.join(" "),
                    go_quote(&c.name),
                    go_quote(pod),
                    cmd.join(" "),
                    go_quote(&output)
                ))
            }
        };
    }
    if let Some(h) = &handler.http_get {
        let probe = Probe { http_get: Some(h.clone()), timeout_seconds: Some(10), ..Default::default() };
        return super::prober::run(rt, id, c, pod_ip, &probe, at).map_err(|e| {
            format!(
                "HTTP lifecycle hook ({}) for Container {} in Pod {} failed - error: {e}",
                h.path.as_deref().unwrap_or(""),
                go_quote(&c.name),
                go_quote(pod)
            )
        });
    }
    Ok(())
}
