//! Container lifecycle hooks as the kubelet's handler runner runs them
//! (`pkg/kubelet/lifecycle/handlers.go`): a postStart handler right after its container
//! starts, a preStop handler before its stop signal ([`pre_stop`]). An exec handler runs in
//! the container through the runtime's `ExecSync`, an httpGet one is a request to the pod as
//! an httpGet probe's, and a sleep one waits. What fails is reported in the handler runner's
//! words.

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::core::v1::{Container, LifecycleHandler, Probe};

use crate::model::selector::go_quote;
use crate::node::container::shell;
use crate::node::runtime::Containerd;

/// How long a postStart hook may run here. Upstream gives an exec hook no limit; a hook that
/// never ends is taken as still running, and the container runs on.
pub const POST_START_LIMIT: Duration = Duration::seconds(120);

/// The least grace the stop signal gets after a preStop hook (`minimumGracePeriodInSeconds`).
const MINIMUM_GRACE_SECONDS: i64 = 2;

/// The kubelet's `killContainer` before the stop signal: the container's preStop handler
/// runs at `at` for at most `grace` seconds, and the signal follows when it ends, with what is
/// left of the grace period (at least 2s). The moment of the signal and its grace, and the
/// handler runner's message when it failed.
pub fn pre_stop(
    rt: &mut Containerd,
    id: &str,
    c: &Container,
    pod: &str,
    pod_ip: &str,
    at: DateTime<Utc>,
    grace: i64,
) -> (DateTime<Utc>, i64, Option<String>) {
    let Some(handler) = c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()).filter(|_| grace > 0) else {
        return (at, grace, None);
    };
    let (result, took) = run(rt, id, c, pod, pod_ip, handler, at, Duration::seconds(grace));
    let took = took.num_seconds().clamp(0, grace);
    (at + Duration::seconds(took), (grace - took).max(MINIMUM_GRACE_SECONDS), result.err())
}

/// Run `handler` for container `id` (of `c`, in the pod `pod` as the kubelet formats it, at
/// `pod_ip`) at `at`, an exec or sleep handler for at most `limit`: `Err` with the handler
/// runner's message when it fails, and how long it took.
#[allow(clippy::too_many_arguments)]
pub fn run(
    rt: &mut Containerd,
    id: &str,
    c: &Container,
    pod: &str,
    pod_ip: &str,
    handler: &LifecycleHandler,
    at: DateTime<Utc>,
    limit: Duration,
) -> (Result<(), String>, Duration) {
    if let Some(e) = &handler.exec {
        let cmd = e.command.clone().unwrap_or_default();
        // A program of the image's own that kubesim does not run: it succeeds, as for probes.
        if !cmd.first().is_some_and(|first| shell::knows(first)) {
            return (Ok(()), Duration::zero());
        }
        let (out, ended) = match rt.exec_sync_until(at, id, &cmd, limit) {
            Ok(done) => done,
            Err(_) => return (Ok(()), Duration::zero()),
        };
        let result = match out.code {
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
        return (result, ended - at);
    }
    if let Some(h) = &handler.http_get {
        let probe = Probe { http_get: Some(h.clone()), timeout_seconds: Some(10), ..Default::default() };
        let result = super::prober::run(rt, id, c, pod_ip, &probe, at).map_err(|e| {
            format!(
                "HTTP lifecycle hook ({}) for Container {} in Pod {} failed - error: {e}",
                h.path.as_deref().unwrap_or(""),
                go_quote(&c.name),
                go_quote(pod)
            )
        });
        return (result, Duration::zero());
    }
    // The sleep action (`sleep: {seconds: N}`) waits, no longer than it may.
    if let Some(sleep) = &handler.sleep {
        return (Ok(()), Duration::seconds(sleep.seconds.max(0)).min(limit));
    }
    (Ok(()), Duration::zero())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::runtime::cri::{ContainerConfig, PodSandboxConfig};
    use crate::node::runtime::{ImageService, RuntimeService};

    /// A running busybox `sleep infinity` container whose preStop handler is `yaml`.
    fn pre_stop_after(yaml: &str, grace: i64) -> (i64, i64, Option<String>) {
        let t0 = DateTime::<Utc>::from_timestamp(1_735_689_600, 0).unwrap_or_default();
        let mut rt = Containerd::new("n", Duration::seconds(2), &[], t0);
        let sandbox =
            PodSandboxConfig { name: "p".into(), namespace: "default".into(), uid: "u".into(), ..Default::default() };
        let sb = rt.run_pod_sandbox(t0, &sandbox).unwrap();
        let t = rt.pull_image(t0, "busybox", &sandbox).done_at;
        let words = ["sleep", "infinity"].map(String::from).to_vec();
        let config =
            ContainerConfig { name: "c".into(), image: "busybox".into(), command: words, ..Default::default() };
        let id = rt.create_container(t, &sb, &config).unwrap();
        rt.start_container(t, &id).unwrap();
        let c: Container = serde_yaml::from_str(&format!("name: c\nlifecycle:\n  preStop: {yaml}")).unwrap();
        let (at, left, failed) = pre_stop(&mut rt, &id, &c, "p_default(u)", "10.0.0.1", t, grace);
        ((at - t).num_seconds(), left, failed)
    }

    #[test]
    fn pre_stop_runs_before_the_signal_within_the_grace_period() {
        assert_eq!(pre_stop_after("{sleep: {seconds: 5}}", 30), (5, 25, None));
        assert_eq!(pre_stop_after("{exec: {command: [sh, -c, 'sleep 3']}}", 30), (3, 27, None));
        // It may take the whole grace period; the signal then gets the 2s minimum.
        assert_eq!(pre_stop_after("{exec: {command: [sh, -c, 'sleep 60']}}", 10), (10, 2, None));
        assert_eq!(pre_stop_after("{sleep: {seconds: 60}}", 10), (10, 2, None));
        // No grace: no handler.
        assert_eq!(pre_stop_after("{sleep: {seconds: 5}}", 0), (0, 0, None));
        let (after, left, failed) = pre_stop_after("{exec: {command: [sh, -c, 'echo no >&2; exit 4']}}", 30);
        assert_eq!((after, left), (0, 30));
        assert!(failed.is_some_and(|m| m.contains("exited with 4: no")));
    }
}
