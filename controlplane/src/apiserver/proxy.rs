//! The `pods/log` subresource: the API server finds the pod's node and asks that node's kubelet
//! for the log (`/containerLogs`), as kube-apiserver proxies it. The kubelets answer through
//! [`KubeletServer`], the handle the API server dials them by.

use chrono::{DateTime, Utc};

use super::error::{ApiError, Reason};
use super::{ApiServer, RequestInfo, UserInfo};
use crate::model::{Kind, Object};
use crate::node::container::terminal::Input;
use crate::node::kubelet::logs::{container_id, render, LogRequest};
use crate::node::kubelet::metrics::Usage;
use crate::node::runtime::cri::Streams;

/// What a node's kubelet serves on its port (10250) to the API server and metrics-server.
pub trait KubeletServer {
    /// Whether `node` has a kubelet up to answer.
    fn serving(&self, node: &str) -> bool;
    /// `/containerLogs`: a container's log lines, by runtime id, as of `now`.
    fn container_log(&self, node: &str, container_id: &str, now: DateTime<Utc>) -> Vec<(DateTime<Utc>, String)>;
    /// `/metrics/resource`: the running containers of a pod and their usage; `None` when no
    /// kubelet runs it.
    fn pod_usage(&self, pod: &Object, now: DateTime<Utc>) -> Option<Vec<Usage>>;
    /// `/exec`: start `cmd` in a running container, by runtime id; the stream's id.
    fn exec_start(
        &mut self,
        node: &str,
        container_id: &str,
        cmd: &[String],
        streams: Streams,
        now: DateTime<Utc>,
    ) -> Result<u64, String>;
    /// `/attach`: a stream of a running container's main process, by runtime id.
    fn attach(&mut self, node: &str, container_id: &str, streams: Streams, now: DateTime<Utc>) -> Result<u64, String>;
    /// What the client sends to a stream's stdin.
    fn stream_input(
        &mut self,
        node: &str,
        container_id: &str,
        stream: u64,
        input: Input,
        now: DateTime<Utc>,
    ) -> Result<(), String>;
    /// The client closed a stream.
    fn stream_close(&mut self, node: &str, container_id: &str, stream: u64, now: DateTime<Utc>);
    /// A stream's output since the last poll (an exec'd command run on to `now`) and, once
    /// its process ended, the exit code.
    fn exec_poll(
        &mut self,
        node: &str,
        container_id: &str,
        exec: u64,
        now: DateTime<Utc>,
    ) -> Result<crate::node::container::ExecOutput, String>;
}

impl ApiServer {
    /// `GET pods/NAME/log`: the log `req` names (its container must be given), from the pod's
    /// kubelet, in kubectl's text; empty for a pod not yet on a node. `kubelets` is `None`
    /// when no kubelet can be reached.
    pub fn pod_log(
        &mut self,
        user: impl Into<UserInfo>,
        namespace: &str,
        name: &str,
        req: &LogRequest,
        kubelets: Option<&dyn KubeletServer>,
    ) -> Result<String, ApiError> {
        let request = RequestInfo { verb: "get", info: Kind::Pod.info(), sub: "log", namespace, name };
        self.serve(user, request, |s, _| s.read_log(namespace, name, req, kubelets))
    }

    fn read_log(
        &self,
        namespace: &str,
        name: &str,
        req: &LogRequest,
        kubelets: Option<&dyn KubeletServer>,
    ) -> Result<String, ApiError> {
        let obj = self.peek(Kind::Pod, namespace, name).ok_or_else(|| ApiError::not_found(Kind::Pod.info(), name))?;
        let Object::Pod(pod) = &*obj else { return Err(ApiError::not_found(Kind::Pod.info(), name)) };
        let spec = pod.spec.as_ref();
        let container = req.container.as_deref().unwrap_or_default();
        let Some(node) = spec.and_then(|s| s.node_name.as_deref()).filter(|n| !n.is_empty()) else {
            return Ok(String::new());
        };
        let Some(id) = container_id(pod, container, req.previous).map_err(ApiError::bad_request)? else {
            return Ok(String::new());
        };
        match kubelets.filter(|k| k.serving(node)) {
            Some(kubelet) => Ok(render(&kubelet.container_log(node, &id, self.now), req)),
            None => {
                let ip = pod.status.as_ref().and_then(|s| s.host_ip.as_deref()).unwrap_or_default();
                Err(ApiError::new(
                    Reason::Unknown,
                    format!(
                        "Get \"https://{ip}:10250/containerLogs/{namespace}/{name}/{container}\": dial tcp {ip}:10250: connect: connection refused"
                    ),
                ))
            }
        }
    }
}
