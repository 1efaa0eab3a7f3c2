//! The client and waiter of a cluster in the same process: requests are calls on its API
//! server, and waiting runs its components and moves its clock.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::autoscaling::v1::Scale;
use serde_json::Value;

use super::{Answer, Client, Response, User, WaitError, Waiter};
use crate::apiserver::exec::ExecStep;
use crate::apiserver::metrics::{NodeMetrics, PodMetrics};
use crate::apiserver::proxy::KubeletServer;
use crate::apiserver::scheduling::SchedulerServer;
use crate::apiserver::{ApiError, ApiServer, DeleteOptions, ListResult, PatchType, WatchEvent};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};
use crate::node::container::terminal::Input;
use crate::node::kubelet::logs::LogRequest;
use crate::node::kubelet::Kubelets;
use crate::node::runtime::cri::Streams;
use crate::scheduler::Scheduler;
use crate::sim::Cluster;

/// A connection to an in-process cluster. `&InProcess` is both the [`Client`] and the
/// [`Waiter`], so a command can hold both at once.
pub struct InProcess<'a> {
    cluster: RefCell<&'a mut Cluster>,
    user: User,
    /// Requests go with `dryRun=All` (`Client::set_dry_run`).
    dry_run: Cell<bool>,
    /// The warnings of every answer, failures too, each once (`Client::take_warnings`).
    heard: RefCell<Vec<String>>,
}

impl<'a> InProcess<'a> {
    pub fn new(cluster: &'a mut Cluster, user: User) -> InProcess<'a> {
        InProcess { cluster: RefCell::new(cluster), user, dry_run: Cell::new(false), heard: RefCell::new(Vec::new()) }
    }

    /// Run `f` with kubectl's client and waiter on `cluster`.
    pub fn as_kubectl<R>(cluster: &mut Cluster, f: impl FnOnce(&mut dyn Client, &mut dyn Waiter) -> R) -> R {
        let conn = InProcess::new(cluster, super::kubectl_user());
        f(&mut &conn, &mut &conn)
    }

    /// One request: the API server's answer, and on success the warnings it left.
    fn request<T>(&self, f: impl FnOnce(&mut ApiServer, &User) -> Result<T, ApiError>) -> Answer<T> {
        let mut cluster = self.cluster.borrow_mut();
        if self.dry_run.get() {
            return answer(cluster.api(), &self.heard, |api| api.dry_run(|api| f(api, &self.user)));
        }
        answer(cluster.api(), &self.heard, |api| f(api, &self.user))
    }

    /// A request the API server serves by reaching component `C` (a kubelet, the scheduler),
    /// as kube-apiserver dials them; `None` for `C` when the cluster runs none.
    fn request_through<C: 'static, T>(
        &self,
        mut f: impl FnMut(&mut ApiServer, &User, Option<&mut C>) -> Result<T, ApiError>,
    ) -> Answer<T> {
        let mut cluster = self.cluster.borrow_mut();
        let user = &self.user;
        let heard = &self.heard;
        let served = cluster.with_component::<C, _>(|c, ctx| answer(ctx.api, heard, |api| f(api, user, Some(c))));
        match served {
            Some(answer) => answer,
            None => answer(cluster.api(), heard, |api| f(api, user, None)),
        }
    }
}

/// The result of `f` with the warnings it left on `api`, which are also noted in `heard`
/// (an error's too: the server sends its warnings with any answer).
fn answer<T>(
    api: &mut ApiServer,
    heard: &RefCell<Vec<String>>,
    f: impl FnOnce(&mut ApiServer) -> Result<T, ApiError>,
) -> Answer<T> {
    // Warnings left by another client's request are not this one's.
    api.take_warnings();
    let result = f(api);
    let warnings = api.take_warnings();
    let mut heard = heard.borrow_mut();
    for w in &warnings {
        if !heard.contains(w) {
            heard.push(w.clone());
        }
    }
    result.map(|body| Response { body, warnings })
}

impl InProcess<'_> {}

impl Client for &InProcess<'_> {
    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut *self.heard.borrow_mut())
    }
    fn set_dry_run(&mut self, on: bool) {
        self.dry_run.set(on);
    }

    fn get(&mut self, kind: Kind, namespace: &str, name: &str) -> Answer<Arc<Object>> {
        self.request(|api, user| api.get(user, kind, namespace, name))
    }

    fn list(
        &mut self,
        kind: Kind,
        namespace: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Answer<ListResult> {
        self.request(|api, user| api.list_selected(user, kind, namespace, labels, fields))
    }

    fn watch(&mut self, kind: Kind, namespace: Option<&str>, resource_version: i64) -> Answer<Vec<WatchEvent>> {
        self.request(|api, user| api.watch(user, kind, namespace, resource_version))
    }

    fn create(&mut self, namespace: &str, obj: Object) -> Answer<Arc<Object>> {
        self.request(|api, user| api.create(user, namespace, obj))
    }

    fn update(&mut self, obj: Object) -> Answer<Arc<Object>> {
        self.request(|api, user| api.update(user, obj))
    }

    fn update_status(&mut self, obj: Object) -> Answer<Arc<Object>> {
        self.request(|api, user| api.update_status(user, obj))
    }

    fn patch(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Answer<Arc<Object>> {
        self.request(|api, user| api.patch(user, kind, namespace, name, patch_type, patch))
    }

    fn patch_status(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Answer<Arc<Object>> {
        self.request(|api, user| api.patch_status(user, kind, namespace, name, patch_type, patch))
    }

    fn get_scale(&mut self, kind: Kind, namespace: &str, name: &str) -> Answer<Scale> {
        self.request(|api, user| api.get_scale(user, kind, namespace, name))
    }

    fn update_scale(&mut self, kind: Kind, namespace: &str, name: &str, scale: &Scale) -> Answer<Scale> {
        self.request(|api, user| api.update_scale(user, kind, namespace, name, scale))
    }

    fn patch_scale(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Answer<Scale> {
        self.request(|api, user| api.patch_scale(user, kind, namespace, name, patch_type, patch))
    }

    fn delete(&mut self, kind: Kind, namespace: &str, name: &str, opts: DeleteOptions) -> Answer<Arc<Object>> {
        self.request(|api, user| api.delete(user, kind, namespace, name, opts))
    }

    fn create_token(
        &mut self,
        namespace: &str,
        name: &str,
        spec: &k8s_openapi::api::authentication::v1::TokenRequestSpec,
    ) -> Answer<k8s_openapi::api::authentication::v1::TokenRequest> {
        self.request(|api, user| api.create_token(user, namespace, name, spec))
    }

    fn evict(&mut self, namespace: &str, name: &str, grace_period_seconds: Option<i64>) -> Answer<Arc<Object>> {
        self.request(|api, user| api.evict(user, namespace, name, grace_period_seconds))
    }

    fn logs(&mut self, namespace: &str, name: &str, req: &LogRequest) -> Answer<String> {
        self.request_through::<Kubelets, _>(|api, user, k| {
            api.pod_log(user, namespace, name, req, k.map(|k| &*k as &dyn KubeletServer))
        })
    }

    fn exec(
        &mut self,
        namespace: &str,
        name: &str,
        container: &str,
        cmd: &[String],
        streams: Streams,
    ) -> Answer<ExecStep> {
        self.request_through::<Kubelets, _>(|api, user, k| {
            api.pod_exec(user, namespace, name, container, cmd, streams, k.map(|k| k as &mut dyn KubeletServer))
        })
    }

    fn attach(&mut self, namespace: &str, name: &str, container: &str, streams: Streams) -> Answer<ExecStep> {
        self.request_through::<Kubelets, _>(|api, user, k| {
            api.pod_attach(user, namespace, name, container, streams, k.map(|k| k as &mut dyn KubeletServer))
        })
    }

    fn exec_poll(&mut self, step: &ExecStep) -> Answer<ExecStep> {
        self.request_through::<Kubelets, _>(|api, _, k| api.pod_exec_poll(step, k.map(|k| k as &mut dyn KubeletServer)))
    }

    fn stream_input(&mut self, step: &ExecStep, input: Input) -> Answer<()> {
        self.request_through::<Kubelets, _>(|api, _, k| {
            api.pod_stream_input(step, input.clone(), k.map(|k| k as &mut dyn KubeletServer))
        })
    }

    fn stream_close(&mut self, step: &ExecStep) {
        let _ = self.request_through::<Kubelets, _>(|api, _, k| {
            api.pod_stream_close(step, k.map(|k| k as &mut dyn KubeletServer));
            Ok(())
        });
    }

    fn port_forward(&mut self, namespace: &str, name: &str, local: u16, port: u16) -> Answer<()> {
        let uid = self.request(|api, user| api.pod_port_forward(user, namespace, name))?;
        let forward = crate::network::forward::Forward {
            namespace: namespace.to_string(),
            pod: name.to_string(),
            uid: uid.body,
            port,
        };
        self.cluster.borrow_mut().forwards_mut().insert(local, forward);
        Ok(Response { body: (), warnings: uid.warnings })
    }

    fn kubeconfig(&self) -> crate::client::kubeconfig::Kubeconfig {
        self.cluster.borrow().kubeconfig().clone()
    }

    fn set_kubeconfig(&mut self, config: crate::client::kubeconfig::Kubeconfig) {
        *self.cluster.borrow_mut().kubeconfig_mut() = config;
    }

    fn forwarded_ports(&self) -> Vec<u16> {
        self.cluster.borrow_mut().forwards_mut().keys().copied().collect()
    }

    fn node_metrics(&mut self, labels: &LabelSelector) -> Answer<Vec<NodeMetrics>> {
        self.request_through::<Kubelets, _>(|api, user, k| {
            api.list_node_metrics(user, labels, k.map(|k| &*k as &dyn KubeletServer))
        })
    }

    fn pod_metrics(&mut self, namespace: Option<&str>, labels: &LabelSelector) -> Answer<Vec<PodMetrics>> {
        self.request_through::<Kubelets, _>(|api, user, k| {
            api.list_pod_metrics(user, namespace, labels, k.map(|k| &*k as &dyn KubeletServer))
        })
    }

    fn get_pod_metrics(&mut self, namespace: &str, name: &str) -> Answer<PodMetrics> {
        self.request_through::<Kubelets, _>(|api, user, k| {
            api.get_pod_metrics(user, namespace, name, k.map(|k| &*k as &dyn KubeletServer))
        })
    }

    fn scheduling(&mut self, namespace: &str, name: &str, simulate: bool) -> Answer<Option<String>> {
        self.request_through::<Scheduler, _>(|api, user, s| {
            api.pod_scheduling(user, namespace, name, simulate, s.map(|s| s as &mut dyn SchedulerServer))
        })
    }
}

impl Waiter for &InProcess<'_> {
    fn now(&self) -> DateTime<Utc> {
        self.cluster.borrow().now()
    }

    fn deadline(&self, timeout: Duration) -> Result<DateTime<Utc>, WaitError> {
        Ok(self.cluster.borrow().deadline(timeout)?)
    }

    fn settle(&mut self) -> Result<(), WaitError> {
        Ok(self.cluster.borrow_mut().settle()?)
    }

    fn step_toward(&mut self, deadline: DateTime<Utc>) -> Result<bool, WaitError> {
        Ok(self.cluster.borrow_mut().step_toward(deadline)?)
    }

    fn clear_interrupt(&mut self) {
        self.cluster.borrow().clear_interrupt();
    }
}
