//! The `pods/exec` subresource: the API server checks the pod and container
//! (`ExecLocation`), then hands the command to the pod's kubelet, which runs it in the
//! container (`/exec`). Time is simulated, so the stream is a session the client polls:
//! each poll runs the command up to the present, and the client lets time pass in between.

use super::error::{ApiError, Reason};
use super::proxy::KubeletServer;
use super::{ApiServer, RequestInfo, UserInfo};
use crate::model::{Kind, Object};
use crate::node::container::ExecOutput;

/// An exec in progress: where it runs, and what it has given so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecStep {
    pub node: String,
    pub container_id: String,
    pub exec: u64,
    pub output: ExecOutput,
}

impl ApiServer {
    /// `POST pods/NAME/exec`: start `cmd` in `container` and run it up to now.
    pub fn pod_exec(
        &mut self,
        user: impl Into<UserInfo>,
        namespace: &str,
        name: &str,
        container: &str,
        cmd: &[String],
        kubelets: Option<&mut dyn KubeletServer>,
    ) -> Result<ExecStep, ApiError> {
        let request = RequestInfo { verb: "create", info: Kind::Pod.info(), sub: "exec", namespace, name };
        self.serve(user, request, |s, _| s.start_exec(namespace, name, container, cmd, kubelets))
    }

    fn start_exec(
        &self,
        namespace: &str,
        name: &str,
        container: &str,
        cmd: &[String],
        kubelets: Option<&mut dyn KubeletServer>,
    ) -> Result<ExecStep, ApiError> {
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
        // The kubelet finds the running container of that name (`findContainer`).
        let status = pod.status.clone().unwrap_or_default();
        let running = status
            .container_statuses
            .iter()
            .flatten()
            .chain(status.init_container_statuses.iter().flatten())
            .find(|c| c.name == container && c.state.as_ref().is_some_and(|s| s.running.is_some()))
            .and_then(|c| c.container_id.clone());
        let upgrade =
            |msg: String| ApiError::new(Reason::InternalError, format!("unable to upgrade connection: {msg}"));
        let Some(id) = running.map(|id| id.rsplit("://").next().unwrap_or(&id).to_string()) else {
            return Err(upgrade(format!("container not found ({container:?})")));
        };
        let Some(kubelet) = kubelets.filter(|k| k.serving(&node)) else {
            let ip = status.host_ip.unwrap_or_default();
            return Err(upgrade(format!("dial tcp {ip}:10250: connect: connection refused")));
        };
        let exec = kubelet
            .exec_start(&node, &id, cmd, self.now)
            .map_err(|_| upgrade(format!("container not found ({container:?})")))?;
        let output = kubelet.exec_poll(&node, &id, exec, self.now).map_err(upgrade)?;
        Ok(ExecStep { node, container_id: id, exec, output })
    }

    /// The same exec's stream, run on to now (the connection is open: no new request).
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
}
