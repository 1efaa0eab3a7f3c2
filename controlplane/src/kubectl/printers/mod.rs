//! kubectl's output printers: the `kubectl get` tables, `-o yaml`, `-o json` and `-o name`.
//!
//! In a real cluster the API server builds `kubectl get` tables (the handlers in
//! `pkg/printers/internalversion/printers.go`, or the default `NAME  CREATED AT` table of
//! `k8s.io/apiserver/pkg/registry/rest/table.go` for kinds without a handler) and kubectl
//! decorates and prints them (`k8s.io/cli-runtime/pkg/printers/tableprinter.go`). Here both
//! halves are one step: [`table`] gives the [`Table`] kubectl would print, with the columns of
//! each kind in one file per resource family, and [`Table::render`] gives its text.
//!
//! Cells are computed from the object as stored. Where kube-apiserver's defaulting would have
//! filled an absent field before the printer saw it, the printer uses that default: replicas 1
//! (deployments, replicasets, replicationcontrollers, statefulsets), service type ClusterIP
//! and port protocol TCP, secret type Opaque, cronjob suspend false, HPA minReplicas 1,
//! priority class preemption policy PreemptLowerPriority, volume and claim phase Pending,
//! volume mode Filesystem, volume reclaim policy Retain. Quantities print as stored: the API
//! server, not the printer, is where kubectl's canonical forms (`1Gi` for `1024Mi`) come from.
//!
//! Architecture Invariant: printers only read objects and the time they are given; they never
//! ask the API server or the clock, so the same objects and `now` print the same text.

pub mod age;
pub mod custom_columns;
pub mod table;
pub mod yaml;

mod admissionregistration;
mod autoscaling;
mod batch;
mod config;
mod coordination;
mod default;
mod events;
pub(crate) mod json;
mod namespaces;
mod networking;
mod nodes;
mod pods;
mod policy;
mod rbac;
mod storage;
mod workloads;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};

use crate::model::{Kind, Object, Typed};

pub use age::{age, human_duration};
pub use table::{render_tabbed, Table};
pub use yaml::{list_json, list_yaml, name, names, object_json, object_yaml, printable, to_json, to_yaml};

/// The `kubectl get` flags that shape a table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrintOptions {
    /// `-o wide`: add the kind's extra columns.
    pub wide: bool,
    /// `-A`: a NAMESPACE column first (only for namespaced kinds, as kubectl does).
    pub with_namespace: bool,
    /// `--show-labels`: a LABELS column last, `k=v,k2=v2` or `<none>`.
    pub show_labels: bool,
    /// `--no-headers`.
    pub no_headers: bool,
}

/// The table `kubectl get <kind>` prints for `objects`, in the order given, at time `now`.
/// Objects of another kind than `kind` are left out.
pub fn table(kind: Kind, objects: &[&Object], now: DateTime<Utc>, opts: &PrintOptions) -> Table {
    let ctx = Ctx { now, wide: opts.wide };
    let (columns, row) = printer(kind);
    let shown: Vec<bool> = columns.iter().map(|c| opts.wide || !c.wide).collect();
    let with_namespace = opts.with_namespace && kind.info().namespaced;

    let mut headers = Vec::new();
    if !opts.no_headers {
        if with_namespace {
            headers.push("NAMESPACE".to_string());
        }
        headers.extend(columns.iter().zip(&shown).filter(|(_, s)| **s).map(|(c, _)| c.name.to_string()));
        if opts.show_labels {
            headers.push("LABELS".to_string());
        }
    }

    let mut rows = Vec::with_capacity(objects.len());
    for obj in objects {
        let Some(cells) = row(obj, &ctx) else { continue };
        let mut out = Vec::with_capacity(cells.len() + 2);
        if with_namespace {
            out.push(obj.namespace().to_string());
        }
        out.extend(cells.into_iter().zip(&shown).filter(|(_, s)| **s).map(|(c, _)| c));
        if opts.show_labels {
            out.push(format_labels(obj.labels()));
        }
        rows.push(out);
    }
    Table { headers, rows }
}

/// What kubectl prints on stderr when a `get` finds nothing: `No resources found in default
/// namespace.` for a namespaced kind in one namespace, `No resources found` for a
/// cluster-scoped kind or with `-A` (pass `None`). Without a trailing newline.
pub fn no_resources(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("No resources found in {ns} namespace."),
        None => "No resources found".to_string(),
    }
}

/// One column of a kind's table. Wide columns are the server's priority-1 columns, shown only
/// with `-o wide`; row functions always produce every cell and [`table`] drops the hidden ones.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub name: &'static str,
    pub wide: bool,
}

pub(crate) const fn col(name: &'static str) -> Column {
    Column { name, wide: false }
}

pub(crate) const fn wide(name: &'static str) -> Column {
    Column { name, wide: true }
}

/// What a row function may depend on besides the object.
pub(crate) struct Ctx {
    pub now: DateTime<Utc>,
    /// Some cells differ with `-o wide` (load balancer addresses are not shortened).
    pub wide: bool,
}

impl Ctx {
    pub fn age(&self, t: Option<&Time>) -> String {
        age::age(t, self.now)
    }
}

type RowFn = fn(&Object, &Ctx) -> Option<Vec<String>>;

/// Typed row function adapter: `None` when the object is not a `T`.
fn typed<T: Typed>(obj: &Object, ctx: &Ctx, row: fn(&T, &Ctx) -> Vec<String>) -> Option<Vec<String>> {
    T::from_object(obj).map(|t| row(t, ctx))
}

/// The columns and row function of each kind. The match is exhaustive on purpose: a new kind
/// must choose its printer (or [`default`], the server's table for kinds without one).
fn printer(kind: Kind) -> (&'static [Column], RowFn) {
    match kind {
        Kind::Namespace => (namespaces::COLUMNS, |o, c| typed(o, c, namespaces::row)),
        Kind::Node => (nodes::COLUMNS, |o, c| typed(o, c, nodes::row)),
        Kind::Pod => (pods::COLUMNS, |o, c| typed(o, c, pods::row)),
        Kind::Service => (networking::SERVICE_COLUMNS, |o, c| typed(o, c, networking::service_row)),
        Kind::Endpoints => (networking::ENDPOINTS_COLUMNS, |o, c| typed(o, c, networking::endpoints_row)),
        Kind::ConfigMap => (config::CONFIGMAP_COLUMNS, |o, c| typed(o, c, config::configmap_row)),
        Kind::Secret => (config::SECRET_COLUMNS, |o, c| typed(o, c, config::secret_row)),
        Kind::ServiceAccount => (config::SERVICEACCOUNT_COLUMNS, |o, c| typed(o, c, config::serviceaccount_row)),
        Kind::PersistentVolume => (storage::PV_COLUMNS, |o, c| typed(o, c, storage::pv_row)),
        Kind::PersistentVolumeClaim => (storage::PVC_COLUMNS, |o, c| typed(o, c, storage::pvc_row)),
        Kind::ResourceQuota => (policy::QUOTA_COLUMNS, |o, c| typed(o, c, policy::quota_row)),
        Kind::LimitRange => (default::COLUMNS, default::row),
        Kind::Event => (events::COLUMNS, |o, c| typed(o, c, events::row)),
        Kind::ReplicationController => (workloads::RC_COLUMNS, |o, c| typed(o, c, workloads::rc_row)),
        Kind::MutatingWebhookConfiguration => {
            (admissionregistration::COLUMNS, |o, c| typed(o, c, admissionregistration::mutating_row))
        }
        Kind::ValidatingWebhookConfiguration => {
            (admissionregistration::COLUMNS, |o, c| typed(o, c, admissionregistration::validating_row))
        }
        Kind::EndpointSlice => (networking::SLICE_COLUMNS, |o, c| typed(o, c, networking::slice_row)),
        Kind::ControllerRevision => (workloads::REVISION_COLUMNS, |o, c| typed(o, c, workloads::revision_row)),
        Kind::DaemonSet => (workloads::DS_COLUMNS, |o, c| typed(o, c, workloads::ds_row)),
        Kind::Deployment => (workloads::DEPLOY_COLUMNS, |o, c| typed(o, c, workloads::deploy_row)),
        Kind::ReplicaSet => (workloads::RS_COLUMNS, |o, c| typed(o, c, workloads::rs_row)),
        Kind::StatefulSet => (workloads::STS_COLUMNS, |o, c| typed(o, c, workloads::sts_row)),
        Kind::HorizontalPodAutoscaler => (autoscaling::COLUMNS, |o, c| typed(o, c, autoscaling::row)),
        Kind::CronJob => (batch::CRONJOB_COLUMNS, |o, c| typed(o, c, batch::cronjob_row)),
        Kind::Job => (batch::JOB_COLUMNS, |o, c| typed(o, c, batch::job_row)),
        Kind::Lease => (coordination::COLUMNS, |o, c| typed(o, c, coordination::row)),
        Kind::IngressClass => (networking::INGRESSCLASS_COLUMNS, |o, c| typed(o, c, networking::ingressclass_row)),
        Kind::Ingress => (networking::INGRESS_COLUMNS, |o, c| typed(o, c, networking::ingress_row)),
        Kind::NetworkPolicy => (networking::NETPOL_COLUMNS, |o, c| typed(o, c, networking::netpol_row)),
        Kind::PodDisruptionBudget => (policy::PDB_COLUMNS, |o, c| typed(o, c, policy::pdb_row)),
        Kind::ClusterRoleBinding => (rbac::BINDING_COLUMNS, |o, c| typed(o, c, rbac::cluster_role_binding_row)),
        Kind::ClusterRole => (default::COLUMNS, default::row),
        Kind::RoleBinding => (rbac::BINDING_COLUMNS, |o, c| typed(o, c, rbac::role_binding_row)),
        Kind::Role => (default::COLUMNS, default::row),
        Kind::PriorityClass => (policy::PRIORITYCLASS_COLUMNS, |o, c| typed(o, c, policy::priorityclass_row)),
        Kind::StorageClass => (storage::SC_COLUMNS, |o, c| typed(o, c, storage::sc_row)),
    }
}

// Formatting helpers shared by the row functions.

/// `labels.FormatLabels`: `k=v,k2=v2` sorted by key, or `<none>`.
pub(crate) fn format_labels(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "<none>".to_string();
    }
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// `labels.FormatLabels` of an optional map.
pub(crate) fn format_label_map(labels: Option<&BTreeMap<String, String>>) -> String {
    format_labels(labels.unwrap_or(&BTreeMap::new()))
}

/// `metav1.LabelSelectorAsSelector(sel).String()`: requirements sorted by key, `k=v`,
/// `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by commas; empty for a nil or empty
/// selector; an error for an unknown operator or a wrong number of values.
pub(crate) fn selector_string(sel: Option<&LabelSelector>) -> Result<String, String> {
    let Some(sel) = sel else { return Ok(String::new()) };
    let mut reqs: Vec<(String, String)> = Vec::new();
    for (k, v) in sel.match_labels.iter().flatten() {
        reqs.push((k.clone(), format!("{k}={v}")));
    }
    for e in sel.match_expressions.iter().flatten() {
        let mut values = e.values.clone().unwrap_or_default();
        values.sort();
        let list = values.join(",");
        let text = match e.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => {
                return Err("for 'in', 'notin' operators, values set can't be empty".to_string())
            }
            "Exists" | "DoesNotExist" if !values.is_empty() => {
                return Err("values set must be empty for exists and does not exist".to_string())
            }
            "In" => format!("{} in ({list})", e.key),
            "NotIn" => format!("{} notin ({list})", e.key),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            op => return Err(format!("\"{op}\" is not a valid label selector operator")),
        };
        reqs.push((e.key.clone(), text));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(reqs.into_iter().map(|(_, t)| t).collect::<Vec<_>>().join(","))
}

/// `metav1.FormatLabelSelector`: the selector, `<none>` when it selects everything or
/// nothing, `<error>` when it is invalid.
pub(crate) fn format_label_selector(sel: Option<&LabelSelector>) -> String {
    match selector_string(sel) {
        Ok(s) if s.is_empty() => "<none>".to_string(),
        Ok(s) => s,
        Err(_) => "<error>".to_string(),
    }
}

/// `layoutContainerCells`: container names and images, comma-separated.
pub(crate) fn layout_containers(containers: &[Container]) -> (String, String) {
    let names = containers.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(",");
    let images = containers.iter().map(|c| c.image.as_deref().unwrap_or("")).collect::<Vec<_>>().join(",");
    (names, images)
}

/// A list field that may be absent.
pub(crate) fn list<T>(v: &Option<Vec<T>>) -> &[T] {
    v.as_deref().unwrap_or(&[])
}

/// `a,b,c + N more...` after `max` items (printers.go `listWithMoreString`), `<unset>` for none.
pub(crate) fn list_with_more(items: &[String], max: usize) -> String {
    let shown = items.iter().take(max).cloned().collect::<Vec<_>>().join(",");
    if items.len() > max {
        return format!("{shown} + {} more...", items.len() - max);
    }
    if shown.is_empty() {
        return "<unset>".to_string();
    }
    shown
}

#[cfg(test)]
pub(crate) mod testing {
    //! Shared by the printer tests: objects from YAML documents, printed at a fixed time.

    use super::*;
    use crate::model::decode::{decode, parse_documents};

    /// The time every printer test prints at: one hour after the default creation time.
    pub const NOW: &str = "2025-01-01T01:00:00Z";

    pub fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(NOW).unwrap().with_timezone(&Utc)
    }

    /// Decode every document; a document without `metadata.creationTimestamp` gets
    /// 2025-01-01T00:00:00Z, so its AGE prints as `60m`.
    pub fn objects(yaml: &str) -> Vec<Object> {
        parse_documents(yaml)
            .unwrap()
            .into_iter()
            .map(|mut doc| {
                let meta = doc["metadata"].as_object_mut().expect("metadata");
                meta.entry("creationTimestamp").or_insert_with(|| "2025-01-01T00:00:00Z".into());
                decode(doc).unwrap_or_else(|e| panic!("{e}"))
            })
            .collect()
    }

    /// The rendered table of every object in `yaml`, all of the first document's kind.
    pub fn render(yaml: &str, opts: &PrintOptions) -> String {
        let objs = objects(yaml);
        let refs: Vec<&Object> = objs.iter().collect();
        table(objs[0].kind(), &refs, now(), opts).render()
    }

    /// Compare with an expected text written as a raw string that starts with a newline.
    #[track_caller]
    pub fn assert_text(got: &str, expect: &str) {
        let expect = expect.strip_prefix('\n').unwrap_or(expect);
        assert!(got == expect, "got:\n{got}\nexpected:\n{expect}");
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn check(yaml: &str, opts: PrintOptions, expect: &str) {
        assert_text(&render(yaml, &opts), expect);
    }

    const PODS: &str = "
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web, tier: front}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns-abc, namespace: kube-system}
spec: {containers: [{name: c, image: coredns}]}
";

    #[test]
    fn decorations() {
        let opts = PrintOptions::default();
        check(
            PODS,
            opts,
            "
NAME          READY   STATUS   RESTARTS   AGE
web           0/1              0          60m
coredns-abc   0/1              0          60m
",
        );
        check(
            PODS,
            PrintOptions { with_namespace: true, show_labels: true, ..opts },
            "
NAMESPACE     NAME          READY   STATUS   RESTARTS   AGE   LABELS
default       web           0/1              0          60m   app=web,tier=front
kube-system   coredns-abc   0/1              0          60m   <none>
",
        );
        check(
            PODS,
            PrintOptions { no_headers: true, ..opts },
            "
web           0/1         0     60m
coredns-abc   0/1         0     60m
",
        );
    }

    #[test]
    fn cluster_scoped_kinds_get_no_namespace_column() {
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\nstatus: {phase: Active}";
        check(
            yaml,
            PrintOptions { with_namespace: true, ..Default::default() },
            "
NAME   STATUS   AGE
dev    Active   60m
",
        );
    }

    #[test]
    fn objects_of_another_kind_are_left_out_and_empty_tables_print_nothing() {
        let objs = objects(PODS);
        let refs: Vec<&Object> = objs.iter().collect();
        let t = table(Kind::Node, &refs, now(), &PrintOptions::default());
        assert_eq!(t.headers[0], "NAME");
        assert!(t.rows.is_empty());
        assert_eq!(t.render(), "");
        assert_eq!(no_resources(Some("default")), "No resources found in default namespace.");
        assert_eq!(no_resources(None), "No resources found");
    }

    #[test]
    fn every_kind_has_a_printer() {
        for info in crate::model::KINDS {
            let obj = Object::named(info.kind, info.namespaced.then_some("default"), "x");
            let t = table(info.kind, &[&obj], now(), &PrintOptions { wide: true, ..Default::default() });
            assert_eq!(t.rows.len(), 1, "{}", info.name);
            assert_eq!(t.rows[0].len(), t.headers.len(), "{}", info.name);
        }
    }

    #[test]
    fn selectors() {
        let req = |key: &str, op: &str, values: &[&str]| LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        };
        let sel = LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: Some(vec![
                req("tier", "In", &["front", "back"]),
                req("env", "NotIn", &["prod"]),
                req("canary", "DoesNotExist", &[]),
                req("zone", "Exists", &[]),
            ]),
        };
        assert_eq!(format_label_selector(Some(&sel)), "app=web,!canary,env notin (prod),tier in (back,front),zone");
        assert_eq!(format_label_selector(None), "<none>");
        assert_eq!(format_label_selector(Some(&LabelSelector::default())), "<none>");
        let bad = LabelSelector { match_expressions: Some(vec![req("a", "Near", &["b"])]), ..Default::default() };
        assert_eq!(format_label_selector(Some(&bad)), "<error>");
        assert_eq!(selector_string(Some(&LabelSelector::default())), Ok(String::new()));
    }
}
