use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::*;
use crate::kubectl::{apply::apply_text, run_line_with, Input};
use crate::sim::{Cluster, ClusterConfig};

/// A client that passes every request on and writes down what it asked for.
struct Recording<'c> {
    inner: &'c mut dyn Client,
    requests: Vec<String>,
}

impl Recording<'_> {
    fn note(&mut self, verb: &str, what: String) {
        self.requests.push(format!("{verb} {what}"));
    }
}

fn at(kind: Kind, namespace: &str, name: &str) -> String {
    format!("{} {namespace}/{name}", kind.info().plural)
}

impl Client for Recording<'_> {
    fn take_warnings(&mut self) -> Vec<String> {
        self.inner.take_warnings()
    }
    fn set_dry_run(&mut self, on: bool) {
        self.inner.set_dry_run(on);
    }
    fn get(&mut self, kind: Kind, namespace: &str, name: &str) -> Answer<Arc<Object>> {
        self.note("get", at(kind, namespace, name));
        self.inner.get(kind, namespace, name)
    }
    fn list(
        &mut self,
        kind: Kind,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Answer<ListResult> {
        self.note("list", format!("{} {}/ {labels} {fields}", kind.info().plural, ns.unwrap_or("")));
        self.inner.list(kind, ns, labels, fields)
    }
    fn watch(&mut self, kind: Kind, ns: Option<&str>, rv: i64) -> Answer<Vec<WatchEvent>> {
        self.note("watch", at(kind, ns.unwrap_or(""), ""));
        self.inner.watch(kind, ns, rv)
    }
    fn create(&mut self, namespace: &str, obj: Object) -> Answer<Arc<Object>> {
        self.note("create", at(obj.kind(), namespace, obj.name()));
        self.inner.create(namespace, obj)
    }
    fn update(&mut self, obj: Object) -> Answer<Arc<Object>> {
        self.note("update", at(obj.kind(), obj.namespace(), obj.name()));
        self.inner.update(obj)
    }
    fn update_status(&mut self, obj: Object) -> Answer<Arc<Object>> {
        self.note("update-status", at(obj.kind(), obj.namespace(), obj.name()));
        self.inner.update_status(obj)
    }
    fn patch(&mut self, kind: Kind, ns: &str, name: &str, t: PatchType, patch: &Value) -> Answer<Arc<Object>> {
        self.note("patch", at(kind, ns, name));
        self.inner.patch(kind, ns, name, t, patch)
    }
    fn patch_status(&mut self, kind: Kind, ns: &str, name: &str, t: PatchType, patch: &Value) -> Answer<Arc<Object>> {
        self.note("patch-status", at(kind, ns, name));
        self.inner.patch_status(kind, ns, name, t, patch)
    }
    fn get_scale(&mut self, kind: Kind, ns: &str, name: &str) -> Answer<Scale> {
        self.note("get-scale", at(kind, ns, name));
        self.inner.get_scale(kind, ns, name)
    }
    fn update_scale(&mut self, kind: Kind, ns: &str, name: &str, scale: &Scale) -> Answer<Scale> {
        self.note("update-scale", at(kind, ns, name));
        self.inner.update_scale(kind, ns, name, scale)
    }
    fn patch_scale(&mut self, kind: Kind, ns: &str, name: &str, t: PatchType, patch: &Value) -> Answer<Scale> {
        self.note("patch-scale", at(kind, ns, name));
        self.inner.patch_scale(kind, ns, name, t, patch)
    }
    fn delete(&mut self, kind: Kind, ns: &str, name: &str, opts: DeleteOptions) -> Answer<Arc<Object>> {
        self.note("delete", at(kind, ns, name));
        self.inner.delete(kind, ns, name, opts)
    }
    fn kubeconfig(&self) -> crate::client::kubeconfig::Kubeconfig {
        self.inner.kubeconfig()
    }
    fn set_kubeconfig(&mut self, config: crate::client::kubeconfig::Kubeconfig) {
        self.inner.set_kubeconfig(config)
    }
    fn create_token(
        &mut self,
        ns: &str,
        name: &str,
        spec: &k8s_openapi::api::authentication::v1::TokenRequestSpec,
    ) -> Answer<k8s_openapi::api::authentication::v1::TokenRequest> {
        self.note("create-token", at(Kind::ServiceAccount, ns, name));
        self.inner.create_token(ns, name, spec)
    }
    fn evict(&mut self, ns: &str, name: &str, grace: Option<i64>) -> Answer<Arc<Object>> {
        self.note("evict", at(Kind::Pod, ns, name));
        self.inner.evict(ns, name, grace)
    }
    fn logs(&mut self, ns: &str, name: &str, req: &LogRequest) -> Answer<String> {
        self.note("get-log", at(Kind::Pod, ns, name));
        self.inner.logs(ns, name, req)
    }
    fn exec(
        &mut self,
        ns: &str,
        name: &str,
        container: &str,
        cmd: &[String],
        streams: crate::node::runtime::cri::Streams,
    ) -> Answer<crate::apiserver::exec::ExecStep> {
        self.note("create-exec", at(Kind::Pod, ns, name));
        self.inner.exec(ns, name, container, cmd, streams)
    }
    fn attach(
        &mut self,
        ns: &str,
        name: &str,
        container: &str,
        streams: crate::node::runtime::cri::Streams,
    ) -> Answer<crate::apiserver::exec::ExecStep> {
        self.note("create-attach", at(Kind::Pod, ns, name));
        self.inner.attach(ns, name, container, streams)
    }
    fn exec_poll(&mut self, step: &crate::apiserver::exec::ExecStep) -> Answer<crate::apiserver::exec::ExecStep> {
        self.inner.exec_poll(step)
    }
    fn stream_input(
        &mut self,
        step: &crate::apiserver::exec::ExecStep,
        input: crate::node::container::terminal::Input,
    ) -> Answer<()> {
        self.inner.stream_input(step, input)
    }
    fn stream_close(&mut self, step: &crate::apiserver::exec::ExecStep) {
        self.inner.stream_close(step)
    }
    fn port_forward(&mut self, namespace: &str, name: &str, local: u16, port: u16) -> Answer<()> {
        self.note("create", format!("pods/portforward {namespace}/{name}"));
        self.inner.port_forward(namespace, name, local, port)
    }
    fn forwarded_ports(&self) -> Vec<u16> {
        self.inner.forwarded_ports()
    }
    fn node_metrics(&mut self, labels: &LabelSelector) -> Answer<Vec<NodeMetrics>> {
        self.note("list", "nodes.metrics.k8s.io".into());
        self.inner.node_metrics(labels)
    }
    fn pod_metrics(&mut self, ns: Option<&str>, labels: &LabelSelector) -> Answer<Vec<PodMetrics>> {
        self.note("list", format!("pods.metrics.k8s.io {}/", ns.unwrap_or("")));
        self.inner.pod_metrics(ns, labels)
    }
    fn get_pod_metrics(&mut self, ns: &str, name: &str) -> Answer<PodMetrics> {
        self.note("get", format!("pods.metrics.k8s.io {ns}/{name}"));
        self.inner.get_pod_metrics(ns, name)
    }
    fn scheduling(&mut self, ns: &str, name: &str, simulate: bool) -> Answer<Option<String>> {
        self.note("get-scheduling", at(Kind::Pod, ns, name));
        self.inner.scheduling(ns, name, simulate)
    }
}

/// A default cluster with one running pod `web`.
fn cluster() -> Cluster {
    let mut c = Cluster::new(ClusterConfig::default());
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {app: web}}\nspec: {containers: [{name: app, image: nginx}]}\n";
    for outcome in apply_text(&mut c, pod, "pod.yaml", "default") {
        outcome.expect("the pod applies");
    }
    c.advance(Duration::seconds(30)).expect("the clock moves");
    c
}

/// The requests `line` makes, and the audit records it leaves (`verb resource ns/name`).
fn requests(c: &mut Cluster, line: &str) -> (Result<String, String>, Vec<String>, Vec<String>) {
    let before = c.api_ref().audit_log().len();
    let (out, requests) = InProcess::as_kubectl(c, |client, waiter| {
        let mut recording = Recording { inner: client, requests: Vec::new() };
        let out = run_line_with(&mut recording, waiter, line, Input::default()).map(|o| o.text);
        (out, recording.requests)
    });
    let audited = c
        .api_ref()
        .audit_log()
        .iter()
        .skip(before)
        .filter(|r| r.user == "kubectl")
        .map(|r| format!("{} {} {}/{}", r.verb, r.resource, r.namespace, r.name))
        .collect();
    (out, requests, audited)
}

#[test]
fn a_command_makes_exactly_the_requests_expected() {
    let mut c = cluster();
    let (out, made, audited) = requests(&mut c, "kubectl label pod web tier=front");
    assert_eq!(out, Ok("pod/web labeled".to_string()));
    // The resource builder's read, then the read-modify-write.
    let label = ["get pods default/web", "get pods default/web", "update pods default/web"];
    assert_eq!(made, label);
    assert_eq!(audited, label);

    let (out, made, audited) = requests(&mut c, "get pods -l app=web");
    assert!(out.as_ref().is_ok_and(|t| t.contains("web ")), "{out:?}");
    assert_eq!(made, ["list pods default/ app=web "]);
    assert_eq!(audited, ["list pods default/"]);

    // describe reads the pod, its events and the scheduler's decision, all as requests.
    let (out, made, audited) = requests(&mut c, "describe pod web");
    assert!(out.as_ref().is_ok_and(|t| t.contains("Scheduling (kubesim):")), "{out:?}");
    assert_eq!(made[0], "get pods default/web");
    assert!(made[1].starts_with("list events default/ "), "{made:?}");
    assert_eq!(made.last().map(String::as_str), Some("get-scheduling pods default/web"));
    assert_eq!(audited.last().map(String::as_str), Some("get pods/scheduling default/web"));
    assert_eq!(made.len(), audited.len());

    // Logs and metrics are served through the API server.
    let (_, made, audited) = requests(&mut c, "logs web");
    assert_eq!(made, ["get pods default/web", "get-log pods default/web"]);
    assert_eq!(audited, ["get pods default/web", "get pods/log default/web"]);
    let (out, made, audited) = requests(&mut c, "top pod");
    assert!(out.as_ref().is_ok_and(|t| t.starts_with("NAME")), "{out:?}");
    assert_eq!(made, ["list pods.metrics.k8s.io default/"]);
    assert_eq!(audited, ["list pods.metrics.k8s.io default/"]);
    let (_, made, audited) = requests(&mut c, "top node");
    assert_eq!(made, ["list nodes /  ", "list nodes.metrics.k8s.io"]);
    assert_eq!(audited, ["list nodes /", "list nodes.metrics.k8s.io /"]);
}

#[test]
fn kubectl_scale_goes_through_the_scale_subresource() {
    let mut c = cluster();
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: w}}\n    spec: {containers: [{name: app, image: nginx}]}\n";
    for outcome in apply_text(&mut c, deploy, "deploy.yaml", "default") {
        outcome.expect("the deployment applies");
    }
    // Without a precondition: the builder's read, then one merge patch of the Scale.
    let (out, made, audited) = requests(&mut c, "scale deployment web --replicas=3");
    assert_eq!(out, Ok("deployment.apps/web scaled".to_string()));
    assert_eq!(made, ["get deployments default/web", "patch-scale deployments default/web"]);
    assert_eq!(audited, ["get deployments.apps default/web", "patch deployments.apps/scale default/web"]);
    // With one: the Scale read and checked, then written whole.
    let (out, made, _) = requests(&mut c, "scale deployment web --current-replicas=3 --replicas=1");
    assert_eq!(out, Ok("deployment.apps/web scaled".to_string()));
    assert_eq!(
        made,
        ["get deployments default/web", "get-scale deployments default/web", "update-scale deployments default/web"]
    );
    let (out, made, _) = requests(&mut c, "scale deployment web --current-replicas=3 --replicas=2");
    assert_eq!(out, Err("error: Expected replicas to be 3, was 1".to_string()));
    assert_eq!(made, ["get deployments default/web", "get-scale deployments default/web"]);
    // A client dry run reads and sends nothing else.
    let (out, made, _) = requests(&mut c, "scale deployment web --replicas=5 --dry-run=client");
    assert_eq!(out, Ok("deployment.apps/web scaled (dry run)".to_string()));
    assert_eq!(made, ["get deployments default/web"]);
}

/// A waiter that cannot let time pass.
struct Stuck {
    now: DateTime<Utc>,
}

impl Waiter for Stuck {
    fn now(&self) -> DateTime<Utc> {
        self.now
    }
    fn deadline(&self, timeout: Duration) -> Result<DateTime<Utc>, WaitError> {
        Ok(self.now + timeout)
    }
    fn settle(&mut self) -> Result<(), WaitError> {
        Err(SimError::NoProgress(100, self.now.to_rfc3339()).into())
    }
    fn step_toward(&mut self, _: DateTime<Utc>) -> Result<bool, WaitError> {
        Err(SimError::Interrupted.into())
    }
}

#[test]
fn a_waiter_error_reaches_the_user() {
    let mut c = cluster();
    let now = c.now();
    let conn = InProcess::new(&mut c, crate::client::kubectl_user());
    let run = |line: &str| run_line_with(&mut &conn, &mut Stuck { now }, line, Input::default()).map(|o| o.text);
    // The write happened; the cluster could not react to it, and the user is told.
    let stuck = "error: the cluster did not settle: components kept each other busy for 100 rounds at 2025-01-01T00:00:30+00:00 (a controller loop?)";
    assert_eq!(run("label pod web tier=front"), Err(format!("pod/web labeled\n{stuck}")));
    assert_eq!(run("delete pod web"), Err(format!("pod \"web\" deleted\n{stuck}")));
    assert_eq!(run("wait --for=delete pod/web"), Err(stuck.to_string()));
}

#[test]
fn an_interrupted_wait_says_so() {
    let mut c = cluster();
    c.set_interrupt(Arc::new(AtomicBool::new(true)));
    let out =
        crate::kubectl::run_line(&mut c, "wait --for=condition=Ready=false pod/web --timeout=1m", Input::default());
    assert_eq!(out, Err("error: interrupted".to_string()));
}

#[test]
fn a_stopped_kubelet_serves_no_logs_and_no_metrics() {
    let mut c = cluster();
    let node = c.api_ref().peek(Kind::Pod, "default", "web").and_then(|p| match &*p {
        Object::Pod(p) => p.spec.as_ref().and_then(|s| s.node_name.clone()),
        _ => None,
    });
    let node = node.expect("web is scheduled");
    let ip = match c.api_ref().peek(Kind::Pod, "default", "web").as_deref() {
        Some(Object::Pod(p)) => p.status.as_ref().and_then(|s| s.host_ip.clone()).unwrap_or_default(),
        _ => String::new(),
    };
    c.with_component::<crate::node::kubelet::Kubelets, _>(|k, _| k.stop(&node));
    let mut run = |line: &str| crate::kubectl::run_line(&mut c, line, Input::default());
    assert_eq!(
        run("logs web"),
        Err(format!("Error from server: Get \"https://{ip}:10250/containerLogs/default/web/app\": dial tcp {ip}:10250: connect: connection refused"))
    );
    assert_eq!(run("top pod web"), Err("error: Metrics not available for pod default/web, age: 30s".to_string()));
    let nodes = run("top node").expect("top node");
    assert!(nodes.lines().any(|l| l.starts_with(&node) && l.contains("<unknown>")), "{nodes}");
    assert_eq!(run("logs nope"), Err("Error from server (NotFound): pods \"nope\" not found".to_string()));
}

#[test]
fn a_watch_from_a_resource_version_sees_the_changes_since() {
    let mut c = cluster();
    let conn = InProcess::new(&mut c, crate::client::kubectl_user());
    let mut client = &conn;
    let all = LabelSelector::everything();
    let from = client.list(Kind::ConfigMap, Some("default"), &all, &FieldSelector::everything()).unwrap().body;
    let cm =
        crate::model::decode(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}));
    client.create("default", cm.expect("a config map")).expect("created");
    client.delete(Kind::ConfigMap, "default", "c", DeleteOptions::default()).expect("deleted");
    let events = client.watch(Kind::ConfigMap, Some("default"), from.resource_version).expect("watched").body;
    let seen: Vec<_> = events.iter().map(|e| (e.event_type.as_str(), e.object.name().to_string())).collect();
    assert_eq!(seen, [("ADDED", "c".to_string()), ("DELETED", "c".to_string())]);
}
