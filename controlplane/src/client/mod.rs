//! The client kubectl reaches the cluster with, after client-go: a [`Client`] makes requests
//! (each answer comes with the server's warnings, as `rest.Result` carries them) and a
//! [`Waiter`] lets time pass while a command waits. In-process both are [`InProcess`], over a
//! `Cluster`; over HTTP they would be a REST client and a watch with a timeout.

mod inprocess;
pub mod kubeconfig;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::autoscaling::v1::Scale;
use serde_json::Value;

use crate::apiserver::exec::ExecStep;
use crate::apiserver::metrics::{NodeMetrics, PodMetrics};
use crate::apiserver::{ApiError, DeleteOptions, ListResult, PatchType, WatchEvent};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};
use crate::node::container::terminal::Input;
use crate::node::kubelet::logs::LogRequest;
use crate::node::runtime::cri::Streams;
use crate::sim::SimError;

pub use inprocess::InProcess;

/// Who makes the requests: the API server's `UserInfo` (a name and its groups).
pub use crate::apiserver::user::UserInfo as User;

/// kubectl's user. The audit log has always named kubectl's requests `kubectl`; the groups are
/// those of the admin credentials kubeadm writes (`system:masters`).
pub fn kubectl_user() -> User {
    User::new(crate::kubectl::apply::USER, ["system:masters", crate::apiserver::user::ALL_AUTHENTICATED])
}

/// An answer: its body and the warnings the server sent with it (kubectl's `Warning:` lines).
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    pub body: T,
    pub warnings: Vec<String>,
}

impl<T> Response<T> {
    pub fn new(body: T) -> Response<T> {
        Response { body, warnings: Vec::new() }
    }

    pub fn into_body(self) -> T {
        self.body
    }
}

pub type Answer<T> = Result<Response<T>, ApiError>;

/// The API verbs, as client-go's dynamic client has them.
pub trait Client {
    fn get(&mut self, kind: Kind, namespace: &str, name: &str) -> Answer<Arc<Object>>;
    /// Objects of `kind` in `namespace` (all namespaces when `None`) matching both selectors.
    fn list(
        &mut self,
        kind: Kind,
        namespace: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Answer<ListResult>;
    /// Changes to `kind` after `resource_version`, oldest first.
    fn watch(&mut self, kind: Kind, namespace: Option<&str>, resource_version: i64) -> Answer<Vec<WatchEvent>>;
    /// The server's warnings heard since the last take, from every answer (failures too),
    /// each once: kubectl's deduplicating warning writer prints them.
    fn take_warnings(&mut self) -> Vec<String> {
        Vec::new()
    }
    /// Send the writes that follow with `dryRun=All` (kubectl's `--dry-run=server`): the API
    /// server checks and answers them but stores nothing.
    fn set_dry_run(&mut self, on: bool);
    fn create(&mut self, namespace: &str, obj: Object) -> Answer<Arc<Object>>;
    fn update(&mut self, obj: Object) -> Answer<Arc<Object>>;
    fn update_status(&mut self, obj: Object) -> Answer<Arc<Object>>;
    fn patch(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Answer<Arc<Object>>;
    /// `PATCH KIND/NAME/status`.
    fn patch_status(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Answer<Arc<Object>>;
    /// `GET KIND/NAME/scale`.
    fn get_scale(&mut self, kind: Kind, namespace: &str, name: &str) -> Answer<Scale>;
    /// `PUT KIND/NAME/scale`.
    fn update_scale(&mut self, kind: Kind, namespace: &str, name: &str, scale: &Scale) -> Answer<Scale>;
    /// `PATCH KIND/NAME/scale`.
    fn patch_scale(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Answer<Scale>;
    fn delete(&mut self, kind: Kind, namespace: &str, name: &str, opts: DeleteOptions) -> Answer<Arc<Object>>;
    /// kubectl's kubeconfig (its contexts and their namespaces).
    fn kubeconfig(&self) -> kubeconfig::Kubeconfig;
    /// Write kubectl's kubeconfig.
    fn set_kubeconfig(&mut self, config: kubeconfig::Kubeconfig);
    /// `POST serviceaccounts/NAME/token`: a token for the account.
    fn create_token(
        &mut self,
        namespace: &str,
        name: &str,
        spec: &k8s_openapi::api::authentication::v1::TokenRequestSpec,
    ) -> Answer<k8s_openapi::api::authentication::v1::TokenRequest>;
    /// `POST pods/NAME/eviction`.
    fn evict(&mut self, namespace: &str, name: &str, grace_period_seconds: Option<i64>) -> Answer<Arc<Object>>;
    /// `GET pods/NAME/log`: the log `req` names, from the pod's kubelet.
    fn logs(&mut self, namespace: &str, name: &str, req: &LogRequest) -> Answer<String>;
    /// `POST pods/NAME/exec`: `cmd` started in `container` and run up to now.
    fn exec(
        &mut self,
        namespace: &str,
        name: &str,
        container: &str,
        cmd: &[String],
        streams: Streams,
    ) -> Answer<ExecStep>;
    /// `POST pods/NAME/attach`: a stream of `container`'s main process.
    fn attach(&mut self, namespace: &str, name: &str, container: &str, streams: Streams) -> Answer<ExecStep>;
    /// An exec's or attach's stream, on to now: what it gave since the last poll.
    fn exec_poll(&mut self, step: &ExecStep) -> Answer<ExecStep>;
    /// Send `input` down a stream's stdin.
    fn stream_input(&mut self, step: &ExecStep, input: Input) -> Answer<()>;
    /// Hang up a stream.
    fn stream_close(&mut self, step: &ExecStep);
    /// `pods/portforward`: forward local port `local` to `port` of the pod, until the pod goes.
    fn port_forward(&mut self, namespace: &str, name: &str, local: u16, port: u16) -> Answer<()>;
    /// The local ports forwarded so far.
    fn forwarded_ports(&self) -> Vec<u16>;
    /// `LIST nodes.metrics.k8s.io` with a label selector.
    fn node_metrics(&mut self, labels: &LabelSelector) -> Answer<Vec<NodeMetrics>>;
    /// `LIST pods.metrics.k8s.io` in a namespace (all when `None`) with a label selector.
    fn pod_metrics(&mut self, namespace: Option<&str>, labels: &LabelSelector) -> Answer<Vec<PodMetrics>>;
    /// `GET pods.metrics.k8s.io/NAME`.
    fn get_pod_metrics(&mut self, namespace: &str, name: &str) -> Answer<PodMetrics>;
    /// `GET pods/NAME/scheduling` (kubesim's): the scheduler's recorded decision for the pod,
    /// or with `simulate` (when none is kept) what it would decide now.
    fn scheduling(&mut self, namespace: &str, name: &str, simulate: bool) -> Answer<Option<String>>;
}

/// Why a wait ended before its condition or deadline.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The cluster could not move on (interrupted, stuck, or out of time to move to).
    #[error(transparent)]
    Cluster(#[from] SimError),
}

/// Why a wait whose condition makes requests failed: the wait, or a request.
#[derive(Debug, thiserror::Error)]
pub enum WaitFailure {
    #[error(transparent)]
    Wait(#[from] WaitError),
    #[error("{}", .0.kubectl_message())]
    Api(ApiError),
}

impl WaitFailure {
    /// The error as kubectl prints it.
    pub fn kubectl_message(&self) -> String {
        match self {
            WaitFailure::Wait(e) => format!("error: {e}"),
            WaitFailure::Api(e) => e.kubectl_message(),
        }
    }
}

/// What lets time pass while a command waits, and the client's clock.
pub trait Waiter {
    /// The client's time (kubectl's ages and timestamps are relative to it).
    fn now(&self) -> DateTime<Utc>;
    /// The moment `timeout` from now.
    fn deadline(&self, timeout: Duration) -> Result<DateTime<Utc>, WaitError>;
    /// Let the cluster react to the requests made so far, without letting time pass.
    fn settle(&mut self) -> Result<(), WaitError>;
    /// Let time pass toward `deadline` until something may have changed; true once it is reached.
    fn step_toward(&mut self, deadline: DateTime<Utc>) -> Result<bool, WaitError>;
    /// The user's interrupt was handled (passed on to a container as Ctrl-C): time may pass
    /// again.
    fn clear_interrupt(&mut self) {}
}

/// Let time pass until `done` holds (true) or `deadline` comes (false), looking after each
/// change, as kubectl's watch-based waits do.
pub fn wait_until<E: From<WaitError>>(
    waiter: &mut dyn Waiter,
    deadline: DateTime<Utc>,
    mut done: impl FnMut() -> Result<bool, E>,
) -> Result<bool, E> {
    loop {
        waiter.settle()?;
        if done()? {
            return Ok(true);
        }
        if waiter.step_toward(deadline)? {
            return Ok(false);
        }
    }
}

/// Whether every one of `objects` is gone.
pub fn all_deleted<T: AsRef<Object>>(client: &mut dyn Client, objects: &[T]) -> Result<bool, ApiError> {
    for obj in objects {
        if !is_deleted(client, obj.as_ref())? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `obj` is gone: no object of its name, or one with another uid (made again since).
pub fn is_deleted(client: &mut dyn Client, obj: &Object) -> Result<bool, ApiError> {
    match client.get(obj.kind(), obj.namespace(), obj.name()) {
        Ok(now) => Ok(now.body.metadata().uid != obj.metadata().uid),
        Err(e) if e.reason == crate::apiserver::Reason::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}
