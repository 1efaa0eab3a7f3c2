//! Container logs, as the kubelet serves `/containerLogs`: the log of the container the pod's
//! status names (`--previous`: the one before), checked as `validateContainerLogStatus` does.

use crate::model::Pod;
use chrono::{DateTime, Utc};

use super::Kubelets;
use crate::node::container::terminal::Input;
use crate::node::runtime::cri::Streams;
use crate::node::runtime::CriCall;

/// Which log to read, with kubectl's flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogRequest {
    pub container: Option<String>,
    pub previous: bool,
    pub tail: Option<usize>,
    pub timestamps: bool,
}

/// The container id (without `containerd://`) whose log the request reads, or the API
/// server's error text (without the `Error from server (BadRequest): ` kubectl adds).
pub fn container_id(pod: &Pod, container: &str, previous: bool) -> Result<Option<String>, String> {
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let spec = pod.spec.as_ref();
    let known = spec
        .is_some_and(|s| s.containers.iter().chain(s.init_containers.iter().flatten()).any(|c| c.name == container));
    if !known {
        return Err(format!("container {container} is not valid for pod {name}"));
    }
    let status = pod.status.as_ref();
    let cs = status
        .and_then(|s| {
            s.container_statuses
                .iter()
                .flatten()
                .chain(s.init_container_statuses.iter().flatten())
                .find(|c| c.name == container)
        })
        .cloned();
    let waiting_to_start =
        |reason: &str| Err(format!("container \"{container}\" in pod \"{name}\" is waiting to start: {reason}"));
    let Some(cs) = cs else {
        return waiting_to_start("ContainerCreating");
    };
    let strip = |id: &Option<String>| id.as_deref().map(|i| i.rsplit("://").next().unwrap_or(i).to_string());
    let last = cs.last_state.as_ref().and_then(|l| l.terminated.as_ref());
    if previous {
        return match last.and_then(|t| strip(&t.container_id)) {
            Some(id) => Ok(Some(id)),
            None => Err(format!("previous terminated container \"{container}\" in pod \"{name}\" not found")),
        };
    }
    let state = cs.state.clone().unwrap_or_default();
    if state.running.is_some() {
        return Ok(strip(&cs.container_id));
    }
    if let Some(t) = &state.terminated {
        return strip(&t.container_id)
            .map(Some)
            .ok_or_else(|| format!("container \"{container}\" in pod \"{name}\" is terminated"));
    }
    if let Some(id) = last.and_then(|t| strip(&t.container_id)) {
        return Ok(Some(id));
    }
    let reason = state.waiting.and_then(|w| w.reason).unwrap_or_default();
    match reason.as_str() {
        "ErrImagePull" => waiting_to_start("image can't be pulled"),
        "ImagePullBackOff" => waiting_to_start("trying and failing to pull image"),
        _ => waiting_to_start(&reason),
    }
}

impl Kubelets {
    /// The log lines of a container on a node, by runtime id, as of `now`.
    pub fn container_log(&self, node: &str, id: &str, now: DateTime<Utc>) -> Option<Vec<(DateTime<Utc>, String)>> {
        self.kubelet(node)?.runtime.container_log(now, id)
    }

    /// The CRI calls a node's runtime recorded for one pod.
    pub fn cri_calls(&self, node: &str, pod_uid: &str) -> Vec<CriCall> {
        self.kubelet(node).map(|k| k.runtime.calls_for(pod_uid)).unwrap_or_default()
    }
}

/// What the kubelets serve the API server (`/containerLogs`, `/metrics/resource`, `/exec`,
/// `/attach`).
impl crate::apiserver::proxy::KubeletServer for Kubelets {
    fn serving(&self, node: &str) -> bool {
        self.is_running(node) == Some(true)
    }

    fn container_log(&self, node: &str, container_id: &str, now: DateTime<Utc>) -> Vec<(DateTime<Utc>, String)> {
        Kubelets::container_log(self, node, container_id, now).unwrap_or_default()
    }

    fn pod_usage(&self, pod: &crate::model::Object, now: DateTime<Utc>) -> Option<Vec<super::metrics::Usage>> {
        Kubelets::pod_usage(self, pod, now)
    }

    fn exec_start(
        &mut self,
        node: &str,
        container_id: &str,
        cmd: &[String],
        streams: Streams,
        now: DateTime<Utc>,
    ) -> Result<u64, String> {
        let k = self.kubelet_mut(node).ok_or("no such node")?;
        k.runtime.exec_start(now, container_id, cmd, streams).map_err(|e| e.to_string())
    }

    fn attach(&mut self, node: &str, container_id: &str, streams: Streams, now: DateTime<Utc>) -> Result<u64, String> {
        let k = self.kubelet_mut(node).ok_or("no such node")?;
        k.runtime.attach(now, container_id, streams).map_err(|e| e.to_string())
    }

    fn stream_input(
        &mut self,
        node: &str,
        container_id: &str,
        stream: u64,
        input: Input,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let k = self.kubelet_mut(node).ok_or("no such node")?;
        k.runtime.exec_input(now, container_id, stream, input).map_err(|e| e.to_string())
    }

    fn stream_close(&mut self, node: &str, container_id: &str, stream: u64, now: DateTime<Utc>) {
        if let Some(k) = self.kubelet_mut(node) {
            k.runtime.detach(now, container_id, stream);
        }
    }

    fn exec_poll(
        &mut self,
        node: &str,
        container_id: &str,
        exec: u64,
        now: DateTime<Utc>,
    ) -> Result<crate::node::container::ExecOutput, String> {
        let k = self.kubelet_mut(node).ok_or("no such node")?;
        k.runtime.exec_poll(now, container_id, exec).map_err(|e| e.to_string())
    }
}

/// kubectl's text for log lines.
pub fn render(lines: &[(DateTime<Utc>, String)], req: &LogRequest) -> String {
    let skip = req.tail.map(|n| lines.len().saturating_sub(n)).unwrap_or(0);
    let mut out = String::new();
    for (t, line) in &lines[skip..] {
        if req.timestamps {
            out.push_str(&t.format("%Y-%m-%dT%H:%M:%S%.9fZ ").to_string());
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(status: serde_json::Value, container: &str, previous: bool, expect: &str) {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            "status": status,
        }))
        .unwrap();
        let got = match container_id(&pod, container, previous) {
            Ok(id) => format!("ok {id:?}"),
            Err(e) => e,
        };
        assert_eq!(got, expect);
    }

    #[test]
    fn which_container() {
        let waiting = |r: &str| serde_json::json!({"containerStatuses": [{"name": "c", "image": "nginx", "imageID": "", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": r}}}]});
        check(
            waiting("ContainerCreating"),
            "c",
            false,
            "container \"c\" in pod \"web\" is waiting to start: ContainerCreating",
        );
        check(
            waiting("ImagePullBackOff"),
            "c",
            false,
            "container \"c\" in pod \"web\" is waiting to start: trying and failing to pull image",
        );
        check(waiting("ContainerCreating"), "x", false, "container x is not valid for pod web");
        check(waiting("ContainerCreating"), "c", true, "previous terminated container \"c\" in pod \"web\" not found");
        let crash = serde_json::json!({"containerStatuses": [{"name": "c", "image": "nginx", "imageID": "", "ready": false, "restartCount": 1,
            "containerID": "containerd://b", "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1, "containerID": "containerd://a"}}}]});
        check(crash.clone(), "c", false, "ok Some(\"a\")");
        check(crash, "c", true, "ok Some(\"a\")");
    }
}
