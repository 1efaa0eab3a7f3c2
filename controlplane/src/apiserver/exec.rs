//! The `pods/exec` and `pods/attach` subresources: the API server checks the pod and
//! container (`ExecLocation`, `AttachLocation`), then hands the stream to the pod's kubelet,
//! which runs the command in the container (`/exec`) or connects to its main process
//! (`/attach`). Time is simulated, so a stream is a session the client polls: each poll gives
//! what the process wrote since the last, and the client lets time pass in between and sends
//! its stdin as it comes.

use super::error::{ApiError, Reason};
use super::proxy::KubeletServer;
use super::{ApiServer, RequestInfo, UserInfo};
use crate::model::{Kind, Object};
use crate::node::container::terminal::Input;
use crate::node::container::ExecOutput;
use crate::node::runtime::cri::Streams;

/// A stream in progress (an exec or an attach): where it runs, and what it gave at the last
/// poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecStep {
    pub node: String,
    pub container_id: String,
    pub exec: u64,
    pub output: ExecOutput,
}

impl ApiServer {
    /// `POST pods/NAME/exec`: start `cmd` in `container` and run it up to now.
    #[allow(clippy::too_many_arguments)]
    pub fn pod_exec(
        &mut self,
        user: impl Into<UserInfo>,
        namespace: &str,
        name: &str,
        container: &str,
        cmd: &[String],
        streams: Streams,
        kubelets: Option<&mut dyn KubeletServer>,
    ) -> Result<ExecStep, ApiError> {
        let request = RequestInfo { verb: "create", info: Kind::Pod.info(), sub: "exec", namespace, name };
        self.serve(user, request, |s, _| {
            let (node, id, kubelet) = s.locate(namespace, name, container, kubelets)?;
            let exec = kubelet
                .exec_start(&node, &id, cmd, streams, s.now)
                .map_err(|_| upgrade(format!("container not found ({container:?})")))?;
            let output = kubelet.exec_poll(&node, &id, exec, s.now).map_err(upgrade)?;
            Ok(ExecStep { node, container_id: id, exec, output })
        })
    }

    /// `POST pods/NAME/portforward`: a connection into the pod's network namespace through
    /// its kubelet. Returns the pod's uid.
    pub fn pod_port_forward(
        &mut self,
        user: impl Into<UserInfo>,
        namespace: &str,
        name: &str,
    ) -> Result<String, ApiError> {
        let request = RequestInfo { verb: "create", info: Kind::Pod.info(), sub: "portforward", namespace, name };
        self.serve(user, request, |s, _| {
            let obj = s.peek(Kind::Pod, namespace, name).ok_or_else(|| ApiError::not_found(Kind::Pod.info(), name))?;
            let Object::Pod(pod) = &*obj else { return Err(ApiError::not_found(Kind::Pod.info(), name)) };
            if pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_none_or(str::is_empty) {
                return Err(ApiError::bad_request(format!("pod {name} does not have a host assigned")));
            }
            Ok(pod.metadata.uid.clone().unwrap_or_default())
        })
    }

    /// `POST pods/NAME/attach`: a stream of `container`'s main process from now on.
    pub fn pod_attach(
        &mut self,
        user: impl Into<UserInfo>,
        namespace: &str,
        name: &str,
        container: &str,
        streams: Streams,
        kubelets: Option<&mut dyn KubeletServer>,
    ) -> Result<ExecStep, ApiError> {
        let request = RequestInfo { verb: "create", info: Kind::Pod.info(), sub: "attach", namespace, name };
        self.serve(user, request, |s, _| {
            let (node, id, kubelet) = s.locate(namespace, name, container, kubelets)?;
            let exec = kubelet
                .attach(&node, &id, streams, s.now)
                .map_err(|_| upgrade(format!("container not found ({container:?})")))?;
            Ok(ExecStep { node, container_id: id, exec, output: ExecOutput::default() })
        })
    }

    /// The pod, container and kubelet a stream reaches (`ExecLocation`/`AttachLocation`),
    /// and the running container the kubelet finds by that name (`findContainer`).
    fn locate<'k>(
        &self,
        namespace: &str,
        name: &str,
        container: &str,
        kubelets: Option<&'k mut dyn KubeletServer>,
    ) -> Result<(String, String, &'k mut dyn KubeletServer), ApiError> {
        let obj = self.peek(Kind::Pod, namespace, name).ok_or_else(|| ApiError::not_found(Kind::Pod.info(), name))?;
        let Object::Pod(pod) = &*obj else { return Err(ApiError::not_found(Kind::Pod.info(), name)) };
        let spec = pod.spec.clone().unwrap_or_default();
        let known = spec.containers.iter().chain(spec.init_containers.iter().flatten()).any(|c| c.name == container);
        if !known {
            return Err(ApiError::bad_request(format!("container {container} is not valid for pod {name}")));
        }
        let Some(node) = spec.node_name.clone().filter(|n| !n.is_empty()) else {
            return Err(ApiError::bad_request(format!("pod {name} does not have a host assigned")));
        };
        let status = pod.status.clone().unwrap_or_default();
        let running = status
            .container_statuses
            .iter()
            .flatten()
            .chain(status.init_container_statuses.iter().flatten())
            .find(|c| c.name == container && c.state.as_ref().is_some_and(|s| s.running.is_some()))
            .and_then(|c| c.container_id.clone());
        let Some(id) = running.map(|id| id.rsplit("://").next().unwrap_or(&id).to_string()) else {
            return Err(upgrade(format!("container not found ({container:?})")));
        };
        let Some(kubelet) = kubelets.filter(|k| k.serving(&node)) else {
            let ip = status.host_ip.as_deref().unwrap_or_default();
            return Err(upgrade(format!("dial tcp {ip}:10250: connect: connection refused")));
        };
        Ok((node, id, kubelet))
    }

    /// The same stream, on to now (the connection is open: no new request): what it gave
    /// since the last poll.
    pub fn pod_exec_poll(
        &mut self,
        step: &ExecStep,
        kubelets: Option<&mut dyn KubeletServer>,
    ) -> Result<ExecStep, ApiError> {
        let Some(kubelet) = kubelets else {
            return Err(ApiError::new(Reason::InternalError, "error: the exec stream was closed"));
        };
        let output = kubelet
            .exec_poll(&step.node, &step.container_id, step.exec, self.now)
            .map_err(|e| ApiError::new(Reason::InternalError, format!("error: {e}")))?;
        Ok(ExecStep { output, ..step.clone() })
    }

    /// Send `input` down the stream's stdin.
    pub fn pod_stream_input(
        &mut self,
        step: &ExecStep,
        input: Input,
        kubelets: Option<&mut dyn KubeletServer>,
    ) -> Result<(), ApiError> {
        let Some(kubelet) = kubelets else {
            return Err(ApiError::new(Reason::InternalError, "error: the exec stream was closed"));
        };
        kubelet
            .stream_input(&step.node, &step.container_id, step.exec, input, self.now)
            .map_err(|e| ApiError::new(Reason::InternalError, format!("error: {e}")))
    }

    /// The client hung up.
    pub fn pod_stream_close(&mut self, step: &ExecStep, kubelets: Option<&mut dyn KubeletServer>) {
        if let Some(kubelet) = kubelets {
            kubelet.stream_close(&step.node, &step.container_id, step.exec, self.now);
        }
    }
}

fn upgrade(msg: String) -> ApiError {
    ApiError::new(Reason::InternalError, format!("unable to upgrade connection: {msg}"))
}
