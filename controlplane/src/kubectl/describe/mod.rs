//! `kubectl describe KIND [NAME_PREFIX...] [-n NS | -A] [-l SELECTOR] [--show-events=false]`,
//! also `KIND/NAME...`.
//!
//! As kubectl v1.32 (`pkg/cmd/describe/describe.go` and `pkg/describe/describe.go` in
//! kubernetes/kubectl):
//!
//! - the objects are found as `kubectl get` finds them (names, a selector, or all of a kind);
//!   each is described by its kind's describer, the descriptions separated by a blank line
//!   (kubectl writes two newlines before every description but the first);
//! - `kubectl describe KIND NAME` where no object is named NAME describes every object of the
//!   kind in the namespace whose name starts with NAME, each followed by a blank line, and
//!   fails with the not-found error only when none does. Only that two-word form falls back
//!   to prefixes (`KIND/NAME` and several names do not);
//! - kinds without a describer of their own (Event, Lease, ControllerRevision) get the generic
//!   describer: name, namespace, labels, annotations, then every field of the object with
//!   labels made from the field names (`apiVersion` → `API Version`), then the events;
//! - nothing found prints `No resources found in NS namespace.` (even for cluster-scoped
//!   kinds), or `No resources found` with `-A`.
//!
//! The Events section lists the events whose involved object is the described object (by
//! name, namespace, kind and uid, through an API server field selector), oldest last seen
//! first. Each describer's text goes through Go's tabwriter exactly as kubectl's does
//! ([`writer`]), so columns line up byte for byte with kubectl's.
//!
//! Where kubectl iterates over a Go map (ConfigMap and Secret data, LimitRange resources) its
//! order changes from run to run; here it is sorted by key.
//!
//! The expected outputs in `tests/expected/describe/` were checked against kubectl v1.32.5
//! describing the same objects served by a stub API server: byte for byte the same, trailing
//! spaces and ages included, but for a LimitRange's rows (Go's map order). kubectl v1.33 prints
//! a projected volume's `ConfigMapOptional:`/`SecretOptionalName:` as `Optional:`; this is v1.32.

mod batch;
mod common;
mod config;
mod generic;
mod namespaces;
mod networking;
mod nodes;
mod pods;
mod policy;
mod rbac;
mod storage;
mod workloads;
mod writer;

// `rollout history --revision` prints a revision's pod template as describe does.
pub(in crate::kubectl) use common::pod_template;
pub(in crate::kubectl) use writer::Writer;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::model::event::Event;
use chrono::{DateTime, Utc};

use super::flags::{flag, parse, FlagSpec};
use crate::apiserver::error::{ApiError, Reason};
use crate::client::{Client, Response, Waiter};
use crate::model::field_selector::{escape_value, FieldSelector};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};

/// `DescribePodTemplate` alone, as `kubectl rollout history --revision` prints a revision.
pub(crate) fn pod_template_text(template: &k8s_openapi::api::core::v1::PodTemplateSpec) -> String {
    let mut w = writer::Writer::new();
    common::pod_template(&mut w, Some(template));
    w.finish()
}

/// What a describer may use: the client (describers read related objects and events
/// through it), the time, and whether events are wanted.
pub(crate) struct Ctx<'a> {
    client: &'a mut dyn Client,
    pub now: DateTime<Utc>,
    show_events: bool,
}

impl Ctx<'_> {
    /// The events about `obj` (by namespace, name, kind and uid), or `None` with
    /// `--show-events=false`.
    pub fn events_for(&mut self, obj: &Object) -> Option<Vec<Event>> {
        if !self.show_events {
            return None;
        }
        let meta = obj.metadata();
        let uid = meta.uid.clone().unwrap_or_default();
        Some(self.search_events(obj.namespace(), obj.name(), Some(obj.info().name), Some(&uid)))
    }

    /// `searchEvents`: events in `namespace` (all namespaces for a cluster-scoped object) whose
    /// involved object has this name and namespace, and this kind and uid when given.
    pub fn search_events(&mut self, namespace: &str, name: &str, kind: Option<&str>, uid: Option<&str>) -> Vec<Event> {
        let mut terms = vec![
            format!("involvedObject.name={}", escape_value(name)),
            format!("involvedObject.namespace={}", escape_value(namespace)),
        ];
        if let Some(kind) = kind.filter(|k| !k.is_empty()) {
            terms.push(format!("involvedObject.kind={}", escape_value(kind)));
        }
        if let Some(uid) = uid.filter(|u| !u.is_empty()) {
            terms.push(format!("involvedObject.uid={}", escape_value(uid)));
        }
        let Ok(fields) = FieldSelector::parse(&terms.join(",")) else { return Vec::new() };
        let ns = if namespace.is_empty() { None } else { Some(namespace) };
        match self.client.list(Kind::Event, ns, &LabelSelector::everything(), &fields) {
            Ok(list) => list.body.items.iter().filter_map(|o| Event::from_object(o).cloned()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Objects of `kind` in `namespace` (all when `None`) matching a label selector.
    pub fn list(&mut self, kind: Kind, namespace: Option<&str>, labels: &LabelSelector) -> Vec<Arc<Object>> {
        self.list_selected(kind, namespace, labels, &FieldSelector::everything())
    }

    pub fn list_selected(
        &mut self,
        kind: Kind,
        namespace: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Vec<Arc<Object>> {
        self.client.list(kind, namespace, labels, fields).map(|l| l.body.items).unwrap_or_default()
    }

    pub fn get(&mut self, kind: Kind, namespace: &str, name: &str) -> Result<Arc<Object>, ApiError> {
        self.client.get(kind, namespace, name).map(Response::into_body)
    }
}

type Describer = fn(&mut Ctx<'_>, &Object) -> Result<String, String>;

/// The describer of each kind; the match is exhaustive so a new kind has to choose one.
fn describer(kind: Kind) -> Describer {
    match kind {
        Kind::Namespace => namespaces::describe_namespace,
        Kind::Node => nodes::describe_node,
        Kind::Pod => pods::describe_pod,
        Kind::Service => networking::describe_service,
        Kind::Endpoints => networking::describe_endpoints,
        Kind::ConfigMap => config::describe_configmap,
        Kind::Secret => config::describe_secret,
        Kind::ServiceAccount => config::describe_service_account,
        Kind::PersistentVolume => storage::describe_pv,
        Kind::PersistentVolumeClaim => storage::describe_pvc,
        Kind::ResourceQuota => namespaces::describe_quota,
        Kind::LimitRange => namespaces::describe_limit_range,
        Kind::ReplicationController => workloads::describe_replication_controller,
        Kind::EndpointSlice => networking::describe_endpoint_slice,
        Kind::DaemonSet => workloads::describe_daemon_set,
        Kind::Deployment => workloads::describe_deployment,
        Kind::ReplicaSet => workloads::describe_replica_set,
        Kind::StatefulSet => workloads::describe_stateful_set,
        Kind::HorizontalPodAutoscaler => policy::describe_hpa,
        Kind::CronJob => batch::describe_cron_job,
        Kind::Job => batch::describe_job,
        Kind::IngressClass => networking::describe_ingress_class,
        Kind::Ingress => networking::describe_ingress,
        Kind::NetworkPolicy => networking::describe_network_policy,
        Kind::PodDisruptionBudget => policy::describe_pdb,
        Kind::ClusterRoleBinding | Kind::RoleBinding => rbac::describe_binding,
        Kind::ClusterRole | Kind::Role => rbac::describe_role,
        Kind::PriorityClass => policy::describe_priority_class,
        Kind::StorageClass => storage::describe_storage_class,
        Kind::Event
        | Kind::ControllerRevision
        | Kind::Lease
        | Kind::MutatingWebhookConfiguration
        | Kind::ValidatingWebhookConfiguration => generic::describe,
    }
}

/// What to describe: one kind and either a name or everything (matching the selector).
struct Request {
    kind: Kind,
    name: Option<String>,
}

/// The flags of `kubectl describe`.
pub(in crate::kubectl) const FLAGS: &[FlagSpec] = &[
    flag("namespace", Some('n'), true),
    flag("all-namespaces", Some('A'), false),
    flag("selector", Some('l'), true),
    flag("show-events", None, false),
    flag("chunk-size", None, true),
    flag("filename", Some('f'), true),
];

pub fn run(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    if flags.get("filename").is_some() {
        return Err("error: kubectl describe -f is not available in kubesim yet".into());
    }
    let args = &flags.positional;
    if args.is_empty() {
        return Err("error: You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.".into());
    }
    let all_namespaces = flags.is_set("all-namespaces");
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    let show_events = flags.get("show-events").is_none_or(|v| v != "false");
    let selector = match flags.get("selector") {
        Some(s) => Some(LabelSelector::parse(s).map_err(|e| format!("error: {e}"))?),
        None => None,
    };

    let requests = requests(args)?;
    if selector.is_some() && requests.iter().any(|r| r.name.is_some()) {
        return Err("error: name cannot be provided when a selector is specified".into());
    }
    if all_namespaces && requests.iter().any(|r| r.name.is_some() && r.kind.info().namespaced) {
        return Err("error: a resource cannot be retrieved by name across all namespaces".into());
    }

    let mut ctx = Ctx { client, now: waiter.now(), show_events };
    let selector = selector.unwrap_or_else(LabelSelector::everything);
    let mut objects: Vec<Arc<Object>> = Vec::new();
    let mut errors: Vec<ApiError> = Vec::new();
    for r in &requests {
        let info = r.kind.info();
        match &r.name {
            Some(name) => match ctx.get(r.kind, if info.namespaced { &namespace } else { "" }, name) {
                Ok(o) => objects.push(o),
                Err(e) => errors.push(e),
            },
            None => {
                let ns = (info.namespaced && !all_namespaces).then_some(namespace.as_str());
                objects.extend(ctx.list(r.kind, ns, &selector));
            }
        }
    }

    // `kubectl describe KIND NAME` with no object NAME: the objects whose names start with NAME.
    if args.len() == 2 && errors.len() == 1 && errors[0].reason == Reason::NotFound {
        let not_found = errors[0].kubectl_message();
        if args[0].contains('/') {
            return Err(not_found);
        }
        let kind = requests[0].kind;
        let ns = kind.info().namespaced.then_some(namespace.as_str());
        let prefix = &args[1];
        let mut described = Vec::new();
        for obj in ctx.list(kind, ns, &LabelSelector::everything()) {
            if obj.name().starts_with(prefix.as_str()) {
                described.push((obj.clone(), describer(kind)(&mut ctx, &obj).map_err(|e| format!("error: {e}"))?));
            }
        }
        let mut text = String::new();
        for (obj, s) in described {
            text.push_str(&with_scheduling(ctx.client, &obj, s));
            text.push('\n');
        }
        return if text.is_empty() { Err(not_found) } else { Ok(text) };
    }

    let mut messages: Vec<String> = errors.iter().map(ApiError::kubectl_message).collect();
    let mut described = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        match describer(obj.kind())(&mut ctx, obj) {
            Ok(s) => described.push((i, s)),
            Err(e) => messages.push(format!("error: {e}")),
        }
    }
    let mut text = String::new();
    for (i, s) in described {
        if i > 0 {
            text.push_str("\n\n");
        }
        text.push_str(&with_scheduling(ctx.client, &objects[i], s));
    }
    if objects.is_empty() && messages.is_empty() {
        return Ok(if all_namespaces {
            "No resources found".to_string()
        } else {
            format!("No resources found in {namespace} namespace.")
        });
    }
    if messages.is_empty() {
        return Ok(text);
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&messages.join("\n"));
    Err(text)
}

/// Beyond kubectl: a pod the scheduler has a recorded decision for gets a last section with it
/// (each node's Filter verdict and Score), as `explain_schedule` shows it.
fn with_scheduling(client: &mut dyn Client, obj: &Object, mut text: String) -> String {
    if obj.kind() != Kind::Pod {
        return text;
    }
    let Ok(Response { body: Some(decision), .. }) = client.scheduling(obj.namespace(), obj.name(), false) else {
        return text;
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("Scheduling (kubesim):\n");
    for line in decision.lines() {
        text.push_str("  ");
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// The builder's reading of `KIND[,KIND] [NAME...]` and `KIND/NAME...`.
fn requests(args: &[String]) -> Result<Vec<Request>, String> {
    let resolve = |name: &str| {
        Kind::from_resource_name(name)
            .ok_or_else(|| format!("error: the server doesn't have a resource type \"{name}\""))
    };
    let mut out = Vec::new();
    if args[0].contains('/') {
        for arg in args {
            let (kind, name) = arg.split_once('/').ok_or_else(|| {
                "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'".to_string()
            })?;
            if name.is_empty() {
                return Err("error: arguments in resource/name form must have a single resource and name".into());
            }
            out.push(Request { kind: resolve(kind)?, name: Some(name.to_string()) });
        }
        return Ok(out);
    }
    let kinds: Vec<Kind> = args[0].split(',').filter(|k| !k.is_empty()).map(resolve).collect::<Result<_, _>>()?;
    if kinds.is_empty() {
        return Err(resolve("").err().unwrap_or_default());
    }
    let names = &args[1..];
    if names.iter().any(|n| n.contains('/')) {
        return Err("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'".into());
    }
    if names.is_empty() {
        out.extend(kinds.into_iter().map(|kind| Request { kind, name: None }));
    } else {
        if kinds.len() > 1 {
            return Err("error: you may only specify a single resource type".into());
        }
        out.extend(names.iter().map(|n| Request { kind: kinds[0], name: Some(n.clone()) }));
    }
    Ok(out)
}
