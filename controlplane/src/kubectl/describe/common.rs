//! Pieces many describers share, as in kubectl's `describe.go`: label, annotation, taint and
//! toleration blocks, times, the Events section, and the containers, volumes and pod template
//! of workloads.

use std::collections::BTreeMap;

use crate::model::event::Event;
use crate::model::Pod;
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStatus, PodTemplateSpec, Probe, ResourceRequirements, Taint, Toleration, Volume,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::writer::{out, Writer};
use crate::kubectl::apply::LAST_APPLIED;
use crate::kubectl::printers::age::{self, to_chrono};
use crate::model::quantity::Quantity;

/// `maxAnnotationLen`: longer annotations print on lines of their own, cut at this length.
const MAX_ANNOTATION_LEN: usize = 140;

/// A metadata string field, empty when absent.
pub(crate) fn s<T: AsRef<str>>(v: &Option<T>) -> &str {
    v.as_ref().map_or("", AsRef::as_ref)
}

/// A list field that may be absent.
pub(crate) fn list<T>(v: &Option<Vec<T>>) -> &[T] {
    v.as_deref().unwrap_or(&[])
}

/// A resource list that may be absent.
pub(crate) fn quantities(v: &Option<BTreeMap<String, K8sQuantity>>) -> &BTreeMap<String, K8sQuantity> {
    static EMPTY: BTreeMap<String, K8sQuantity> = BTreeMap::new();
    v.as_ref().unwrap_or(&EMPTY)
}

/// A string map (labels, selectors, data) that may be absent.
pub(crate) fn strings(v: &Option<BTreeMap<String, String>>) -> &BTreeMap<String, String> {
    static EMPTY: BTreeMap<String, String> = BTreeMap::new();
    v.as_ref().unwrap_or(&EMPTY)
}

/// Go's `time.Time.Format(time.RFC1123Z)` of a `metav1.Time`, in UTC; the zero time for none.
pub(crate) fn rfc1123z(t: Option<&Time>) -> String {
    match t {
        Some(t) => to_chrono(t.0).format("%a, %d %b %Y %H:%M:%S %z").to_string(),
        None => "Mon, 01 Jan 0001 00:00:00 +0000".to_string(),
    }
}

/// `translateTimestampSince`: the age of a timestamp, `<unknown>` for none.
pub(crate) fn since(t: Option<&Time>, now: DateTime<Utc>) -> String {
    age::age(t, now)
}

/// Go's `%v` of a bool.
pub(crate) fn go_bool(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// `printBool`: `True` / `False`.
pub(crate) fn print_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// `printBoolPtr`: `True`, `False` or `<unset>`.
pub(crate) fn print_bool_ptr(b: Option<bool>) -> &'static str {
    b.map_or("<unset>", print_bool)
}

/// Go's `%v` of a `*bool`: `<nil>` when unset. (Go prints a pointer's address otherwise; the
/// value says more.)
pub(crate) fn go_bool_ptr(b: Option<bool>) -> &'static str {
    b.map_or("<nil>", go_bool)
}

/// Go's `%v` of a string slice: `[a b c]`.
pub(crate) fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// `intstr.IntOrString.String()`.
pub(crate) fn int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// A quantity as the API returned it (the API server already canonicalized it).
pub(crate) fn qty(q: &K8sQuantity) -> &str {
    &q.0
}

/// A quantity of a resource list, parsed; zero when absent or unparseable.
pub(crate) fn parsed(list: &BTreeMap<String, K8sQuantity>, name: &str) -> Quantity {
    list.get(name).and_then(|q| Quantity::from_k8s(q).ok()).unwrap_or_else(Quantity::zero)
}

/// `labels.FormatLabels`: `a=b,c=d` or `<none>`.
pub(crate) fn format_labels(labels: &BTreeMap<String, String>) -> String {
    crate::kubectl::printers::format_labels(labels)
}

/// `printLabelsMultiline`.
pub(crate) fn labels_multiline(w: &mut Writer, title: &str, labels: Option<&BTreeMap<String, String>>) {
    labels_multiline_with_indent(w, "", title, "\t", labels);
}

/// `printLabelsMultilineWithIndent`: `Title:<inner>k=v`, further pairs on lines of their own
/// starting with the same indents, sorted by key; `<none>` when there are none.
pub(crate) fn labels_multiline_with_indent(
    w: &mut Writer,
    initial_indent: &str,
    title: &str,
    inner_indent: &str,
    labels: Option<&BTreeMap<String, String>>,
) {
    out!(w, 0, "{initial_indent}{title}:{inner_indent}");
    let labels = match labels {
        Some(l) if !l.is_empty() => l,
        _ => {
            w.line("<none>");
            return;
        }
    };
    for (i, (k, v)) in labels.iter().enumerate() {
        if i != 0 {
            w.write(0, initial_indent);
            w.write(0, inner_indent);
        }
        out!(w, 0, "{k}={v}\n");
    }
}

/// `printAnnotationsMultiline`: sorted, the last-applied configuration left out; an annotation
/// longer than 140 characters (with its key) or spanning lines prints below its key, each line
/// cut at 138 characters.
pub(crate) fn annotations_multiline(w: &mut Writer, title: &str, annotations: Option<&BTreeMap<String, String>>) {
    out!(w, 0, "{title}:\t");
    let keys: Vec<&String> = annotations.into_iter().flatten().map(|(k, _)| k).filter(|k| *k != LAST_APPLIED).collect();
    if keys.is_empty() {
        w.line("<none>");
        return;
    }
    let annotations = annotations.expect("keys come from the map");
    let indent = "\t";
    for (i, key) in keys.into_iter().enumerate() {
        if i != 0 {
            w.write(0, indent);
        }
        let value = annotations[key].strip_suffix('\n').unwrap_or(&annotations[key]);
        if value.len() + key.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            out!(w, 0, "{key}:\n");
            for line in value.split('\n') {
                out!(w, 0, "{indent}  {}\n", shorten(line, MAX_ANNOTATION_LEN - 2));
            }
        } else {
            out!(w, 0, "{key}: {value}\n");
        }
    }
}

/// `shorten`: the first `max` bytes and `...` (cut back to a character boundary).
fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// `Taint.ToString()`: `key=value:Effect` or `key:Effect`.
pub(crate) fn taint_string(t: &Taint) -> String {
    match t.value.as_deref() {
        Some(v) if !v.is_empty() => format!("{}={}:{}", t.key, v, t.effect),
        _ => format!("{}:{}", t.key, t.effect),
    }
}

/// `printNodeTaintsMultiline`: sorted by effect, then key.
pub(crate) fn taints_multiline(w: &mut Writer, title: &str, taints: &[Taint]) {
    out!(w, 0, "{title}:\t");
    if taints.is_empty() {
        w.line("<none>");
        return;
    }
    let mut sorted: Vec<&Taint> = taints.iter().collect();
    sorted.sort_by(|a, b| (a.effect.as_str(), a.key.as_str()).cmp(&(b.effect.as_str(), b.key.as_str())));
    for (i, t) in sorted.into_iter().enumerate() {
        if i != 0 {
            w.write(0, "\t");
        }
        out!(w, 0, "{}\n", taint_string(t));
    }
}

/// `printPodTolerationsMultiline` (with an initial indent for pod templates): sorted by key;
/// `key=value:Effect`, ` op=Exists` for an Exists toleration without a value, ` for Ns`.
pub(crate) fn tolerations_multiline(w: &mut Writer, initial_indent: &str, title: &str, tolerations: &[Toleration]) {
    out!(w, 0, "{initial_indent}{title}:\t");
    if tolerations.is_empty() {
        w.line("<none>");
        return;
    }
    let mut sorted: Vec<&Toleration> = tolerations.iter().collect();
    sorted.sort_by(|a, b| s(&a.key).cmp(s(&b.key)));
    for (i, t) in sorted.into_iter().enumerate() {
        if i != 0 {
            w.write(0, initial_indent);
            w.write(0, "\t");
        }
        let (key, value, effect) = (s(&t.key), s(&t.value), s(&t.effect));
        w.write(0, key);
        if !value.is_empty() {
            out!(w, 0, "={value}");
        }
        if !effect.is_empty() {
            out!(w, 0, ":{effect}");
        }
        if t.operator.as_deref() == Some("Exists") && value.is_empty() {
            if !key.is_empty() || !effect.is_empty() {
                w.write(0, " op=Exists");
            } else {
                w.write(0, "op=Exists");
            }
        }
        if let Some(secs) = t.toleration_seconds {
            out!(w, 0, " for {secs}s");
        }
        w.write(0, "\n");
    }
}

/// `printController`: `Kind/name` of the controlling owner, if any.
pub(crate) fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    list(&meta.owner_references).iter().find(|r| r.controller == Some(true))
}

pub(crate) fn controlled_by(w: &mut Writer, meta: &ObjectMeta) {
    if let Some(r) = controller_of(meta) {
        out!(w, 0, "Controlled By:\t{}/{}\n", r.kind, r.name);
    }
}

/// `DescribeEvents`: the events sorted by last timestamp, `Age` as `5m`, or `2m (x3 over 5m)`
/// for a repeated event; `<none>` when there are none.
pub(crate) fn describe_events(w: &mut Writer, events: &mut [Event], now: DateTime<Utc>) {
    if events.is_empty() {
        w.write(0, "Events:\t<none>\n");
        return;
    }
    // Go sorts with sort.Sort, which keeps equal elements in order for lists this short.
    events.sort_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0));
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.write(1, "----\t------\t----\t----\t-------\n");
    for e in events.iter() {
        let first = match &e.event_time {
            Some(t) => age::since(t.0, now),
            None => since(e.first_timestamp.as_ref(), now),
        };
        let count = e.count.unwrap_or(0);
        let interval = if let Some(series) = &e.series {
            let last = age::micro_age(series.last_observed_time.as_ref(), now);
            format!("{last} (x{} over {first})", series.count.unwrap_or(0))
        } else if count > 1 {
            format!("{} (x{count} over {first})", since(e.last_timestamp.as_ref(), now))
        } else {
            first
        };
        let component = e.source.as_ref().map(|src| s(&src.component)).unwrap_or("");
        let from = if component.is_empty() { s(&e.reporting_component) } else { component };
        out!(w, 1, "{}\t{}\t{interval}\t{from}\t{}\n", s(&e.type_), s(&e.reason), s(&e.message).trim());
    }
}

// ---- containers, volumes and pod templates ------------------------------------------------------

/// How an env var's `fieldRef` resolves: kubectl resolves `metadata.name` and
/// `metadata.namespace` of the described pod (its scheme knows no other field labels); in a
/// template nothing resolves.
pub(crate) type EnvResolver<'a> = Option<&'a Pod>;

/// `describeContainers`: the `Containers:` (or `Init Containers:`) section.
pub(crate) fn describe_containers(
    w: &mut Writer,
    label: &str,
    containers: &[Container],
    statuses: &[ContainerStatus],
    resolver: EnvResolver<'_>,
    space: &str,
) {
    let none = if containers.is_empty() { " <none>" } else { "" };
    out!(w, 0, "{space}{label}:{none}\n");
    for c in containers {
        let status = statuses.iter().find(|st| st.name == c.name);
        container_basic_info(w, c, status, space);
        container_command(w, c);
        if let Some(st) = status {
            container_state(w, st);
        }
        resources(w, c.resources.as_ref(), 2);
        container_probes(w, c);
        if !list(&c.env_from).is_empty() {
            container_env_from(w, c);
        }
        container_env(w, c, resolver);
        container_mounts(w, c);
    }
}

fn container_basic_info(w: &mut Writer, c: &Container, status: Option<&ContainerStatus>, space: &str) {
    let name_indent = if space.is_empty() { "" } else { " " };
    out!(w, 1, "{name_indent}{}:\n", c.name);
    if let Some(st) = status {
        out!(w, 2, "Container ID:\t{}\n", s(&st.container_id));
    }
    out!(w, 2, "Image:\t{}\n", s(&c.image));
    if let Some(st) = status {
        out!(w, 2, "Image ID:\t{}\n", st.image_id);
    }
    let ports = list(&c.ports);
    let proto = |p: &k8s_openapi::api::core::v1::ContainerPort| s(&p.protocol).to_string();
    let port_string = ports.iter().map(|p| format!("{}/{}", p.container_port, proto(p))).collect::<Vec<_>>().join(", ");
    if port_string.contains(',') {
        out!(w, 2, "Ports:\t{port_string}\n");
    } else {
        out!(w, 2, "Port:\t{}\n", or_none(&port_string));
    }
    let host_ports =
        ports.iter().map(|p| format!("{}/{}", p.host_port.unwrap_or(0), proto(p))).collect::<Vec<_>>().join(", ");
    if host_ports.contains(',') {
        out!(w, 2, "Host Ports:\t{host_ports}\n");
    } else {
        out!(w, 2, "Host Port:\t{}\n", or_none(&host_ports));
    }
    if let Some(profile) = c.security_context.as_ref().and_then(|sc| sc.seccomp_profile.as_ref()) {
        out!(w, 2, "SeccompProfile:\t{}\n", profile.type_);
        if profile.type_ == "Localhost" {
            out!(w, 3, "LocalhostProfile:\t{}\n", s(&profile.localhost_profile));
        }
    }
}

/// `stringOrNone`.
pub(crate) fn or_none(v: &str) -> &str {
    if v.is_empty() {
        "<none>"
    } else {
        v
    }
}

fn container_command(w: &mut Writer, c: &Container) {
    for (title, items) in [("Command", list(&c.command)), ("Args", list(&c.args))] {
        if items.is_empty() {
            continue;
        }
        out!(w, 2, "{title}:\n");
        for item in items {
            for line in item.split('\n') {
                out!(w, 3, "{line}\n");
            }
        }
    }
}

fn container_state(w: &mut Writer, st: &ContainerStatus) {
    describe_state(w, "State", st.state.as_ref());
    if let Some(last) = st.last_state.as_ref().filter(|l| l.terminated.is_some()) {
        describe_state(w, "Last State", Some(last));
    }
    out!(w, 2, "Ready:\t{}\n", print_bool(st.ready));
    out!(w, 2, "Restart Count:\t{}\n", st.restart_count);
}

fn describe_state(w: &mut Writer, name: &str, state: Option<&ContainerState>) {
    let state = state.cloned().unwrap_or_default();
    if let Some(running) = &state.running {
        out!(w, 2, "{name}:\tRunning\n");
        out!(w, 3, "Started:\t{}\n", rfc1123z(running.started_at.as_ref()));
    } else if let Some(waiting) = &state.waiting {
        out!(w, 2, "{name}:\tWaiting\n");
        if !s(&waiting.reason).is_empty() {
            out!(w, 3, "Reason:\t{}\n", s(&waiting.reason));
        }
    } else if let Some(t) = &state.terminated {
        out!(w, 2, "{name}:\tTerminated\n");
        if !s(&t.reason).is_empty() {
            out!(w, 3, "Reason:\t{}\n", s(&t.reason));
        }
        if !s(&t.message).is_empty() {
            out!(w, 3, "Message:\t{}\n", s(&t.message));
        }
        out!(w, 3, "Exit Code:\t{}\n", t.exit_code);
        if let Some(signal) = t.signal.filter(|s| *s > 0) {
            out!(w, 3, "Signal:\t{signal}\n");
        }
        out!(w, 3, "Started:\t{}\n", rfc1123z(t.started_at.as_ref()));
        out!(w, 3, "Finished:\t{}\n", rfc1123z(t.finished_at.as_ref()));
    } else {
        out!(w, 2, "{name}:\tWaiting\n");
    }
}

/// `describeResources`: `Limits:` and `Requests:` with one resource a line, sorted.
pub(crate) fn resources(w: &mut Writer, r: Option<&ResourceRequirements>, level: usize) {
    let Some(r) = r else { return };
    for (title, rl) in [("Limits", &r.limits), ("Requests", &r.requests)] {
        let rl = quantities(rl);
        if !rl.is_empty() {
            out!(w, level, "{title}:\n");
        }
        for (name, q) in rl {
            out!(w, level + 1, "{name}:\t{}\n", qty(q));
        }
    }
}

fn container_probes(w: &mut Writer, c: &Container) {
    for (title, probe) in
        [("Liveness", &c.liveness_probe), ("Readiness", &c.readiness_probe), ("Startup", &c.startup_probe)]
    {
        if let Some(p) = probe {
            out!(w, 2, "{title}:\t{}\n", describe_probe(p));
        }
    }
}

/// `DescribeProbe`: the action and `delay=0s timeout=1s period=10s #success=1 #failure=3`.
pub(crate) fn describe_probe(p: &Probe) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(0),
        p.period_seconds.unwrap_or(0),
        p.success_threshold.unwrap_or(0),
        p.failure_threshold.unwrap_or(0)
    );
    if let Some(exec) = &p.exec {
        return format!("exec {} {attrs}", go_list(list(&exec.command)));
    }
    if let Some(get) = &p.http_get {
        let port = int_or_string(&get.port);
        let host = s(&get.host);
        let host_port = if port.is_empty() { host.to_string() } else { join_host_port(host, &port) };
        let scheme = s(&get.scheme).to_lowercase();
        let path = s(&get.path);
        let mut url = String::new();
        if !scheme.is_empty() {
            url.push_str(&scheme);
            url.push(':');
        }
        if !scheme.is_empty() || !host_port.is_empty() {
            url.push_str("//");
            url.push_str(&host_port);
        }
        if !path.is_empty() && !path.starts_with('/') && !host_port.is_empty() {
            url.push('/');
        }
        url.push_str(path);
        return format!("http-get {url} {attrs}");
    }
    if let Some(tcp) = &p.tcp_socket {
        return format!("tcp-socket {}:{} {attrs}", s(&tcp.host), int_or_string(&tcp.port));
    }
    if let Some(grpc) = &p.grpc {
        return format!("grpc <pod>:{} {} {attrs}", grpc.port, s(&grpc.service));
    }
    format!("unknown {attrs}")
}

/// `net.JoinHostPort`: IPv6 hosts in brackets.
pub(crate) fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn container_env_from(w: &mut Writer, c: &Container) {
    w.write(2, "Environment Variables from:\n");
    for e in list(&c.env_from) {
        let (from, name, optional) = if let Some(r) = &e.config_map_ref {
            ("ConfigMap", r.name.as_str(), r.optional.unwrap_or(false))
        } else if let Some(r) = &e.secret_ref {
            ("Secret", r.name.as_str(), r.optional.unwrap_or(false))
        } else {
            ("", "", false)
        };
        let prefix = s(&e.prefix);
        if prefix.is_empty() {
            out!(w, 3, "{name}\t{from}\tOptional: {}\n", go_bool(optional));
        } else {
            out!(w, 3, "{name}\t{from} with prefix '{prefix}'\tOptional: {}\n", go_bool(optional));
        }
    }
}

fn container_env(w: &mut Writer, c: &Container, resolver: EnvResolver<'_>) {
    let env = list(&c.env);
    let none = if env.is_empty() { "\t<none>" } else { "" };
    out!(w, 2, "Environment:{none}\n");
    for e in env {
        let Some(from) = &e.value_from else {
            for (i, line) in s(&e.value).split('\n').enumerate() {
                if i == 0 {
                    out!(w, 3, "{}:\t{line}\n", e.name);
                } else {
                    out!(w, 3, "\t{line}\n");
                }
            }
            continue;
        };
        if let Some(f) = &from.field_ref {
            let value = match (resolver, f.field_path.as_str()) {
                (Some(pod), "metadata.name") => s(&pod.metadata.name).to_string(),
                (Some(pod), "metadata.namespace") => s(&pod.metadata.namespace).to_string(),
                _ => String::new(),
            };
            out!(w, 3, "{}:\t{value} ({}:{})\n", e.name, s(&f.api_version), f.field_path);
        } else if let Some(r) = &from.resource_field_ref {
            let mut value = container_resource_value(c, &r.resource, r.divisor.as_ref()).unwrap_or_default();
            if value == "0" && matches!(r.resource.as_str(), "limits.cpu" | "limits.memory") {
                value = "node allocatable".to_string();
            }
            out!(w, 3, "{}:\t{value} ({})\n", e.name, r.resource);
        } else if let Some(r) = &from.secret_key_ref {
            out!(
                w,
                3,
                "{}:\t<set to the key '{}' in secret '{}'>\tOptional: {}\n",
                e.name,
                r.key,
                r.name,
                go_bool(r.optional.unwrap_or(false))
            );
        } else if let Some(r) = &from.config_map_key_ref {
            out!(
                w,
                3,
                "{}:\t<set to the key '{}' of config map '{}'>\tOptional: {}\n",
                e.name,
                r.key,
                r.name,
                go_bool(r.optional.unwrap_or(false))
            );
        }
    }
}

/// `ExtractContainerResourceValue`: a container's limit or request divided by the divisor,
/// rounded up (CPU in millicores).
fn container_resource_value(c: &Container, resource: &str, divisor: Option<&K8sQuantity>) -> Option<String> {
    let divisor = divisor
        .and_then(|d| Quantity::from_k8s(d).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(Quantity::from_value(1, Default::default()));
    let empty = ResourceRequirements::default();
    let r = c.resources.as_ref().unwrap_or(&empty);
    let (rl, name) = match resource.split_once('.') {
        Some(("limits", name)) => (quantities(&r.limits), name),
        Some(("requests", name)) => (quantities(&r.requests), name),
        _ => return None,
    };
    let q = parsed(rl, name);
    let value = match name {
        "cpu" => (q.milli_value() as f64 / divisor.milli_value() as f64).ceil(),
        "memory" | "ephemeral-storage" => (q.value() as f64 / divisor.value() as f64).ceil(),
        _ => return None,
    };
    Some((value as i64).to_string())
}

fn container_mounts(w: &mut Writer, c: &Container) {
    let mounts = list(&c.volume_mounts);
    let none = if mounts.is_empty() { "\t<none>" } else { "" };
    out!(w, 2, "Mounts:{none}\n");
    let mut sorted: Vec<_> = mounts.iter().collect();
    sorted.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
    for m in sorted {
        let mut flags = vec![if m.read_only.unwrap_or(false) { "ro".to_string() } else { "rw".to_string() }];
        let sub_path = s(&m.sub_path);
        if !sub_path.is_empty() {
            flags.push(format!("path={}", go_quote(sub_path)));
        }
        out!(w, 3, "{} from {} ({})\n", m.mount_path, m.name, flags.join(","));
    }
    let devices = list(&c.volume_devices);
    if !devices.is_empty() {
        out!(w, 2, "Devices:{none}\n");
        let mut sorted: Vec<_> = devices.iter().collect();
        sorted.sort_by(|a, b| a.device_path.cmp(&b.device_path));
        for d in sorted {
            out!(w, 3, "{} from {}\n", d.device_path, d.name);
        }
    }
}

/// Go's `%q` of a string: double-quoted with backslash escapes.
pub(crate) fn go_quote(v: &str) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// `DescribePodTemplate`.
pub(crate) fn pod_template(w: &mut Writer, template: Option<&PodTemplateSpec>) {
    w.write(0, "Pod Template:\n");
    let Some(template) = template else {
        w.write(1, "<unset>");
        return;
    };
    let meta = template.metadata.clone().unwrap_or_default();
    labels_multiline(w, "  Labels", meta.labels.as_ref());
    if !strings(&meta.annotations).is_empty() {
        annotations_multiline(w, "  Annotations", meta.annotations.as_ref());
    }
    let spec = template.spec.clone().unwrap_or_default();
    if !s(&spec.service_account_name).is_empty() {
        out!(w, 1, "Service Account:\t{}\n", s(&spec.service_account_name));
    }
    if !list(&spec.init_containers).is_empty() {
        describe_containers(w, "Init Containers", list(&spec.init_containers), &[], None, "  ");
    }
    describe_containers(w, "Containers", &spec.containers, &[], None, "  ");
    describe_volumes(w, list(&spec.volumes), "  ");
    topology_spread_constraints(w, list(&spec.topology_spread_constraints), "  ");
    if !s(&spec.priority_class_name).is_empty() {
        out!(w, 1, "Priority Class Name:\t{}\n", s(&spec.priority_class_name));
    }
    labels_multiline(w, "  Node-Selectors", spec.node_selector.as_ref());
    tolerations_multiline(w, "  ", "Tolerations", list(&spec.tolerations));
}

/// `describeTopologySpreadConstraints`: sorted by topology key.
pub(crate) fn topology_spread_constraints(
    w: &mut Writer,
    constraints: &[k8s_openapi::api::core::v1::TopologySpreadConstraint],
    space: &str,
) {
    if constraints.is_empty() {
        return;
    }
    let mut sorted: Vec<_> = constraints.iter().collect();
    sorted.sort_by(|a, b| a.topology_key.cmp(&b.topology_key));
    out!(w, 0, "{space}Topology Spread Constraints:\t");
    for (i, c) in sorted.into_iter().enumerate() {
        if i != 0 {
            out!(w, 0, "{space}\t");
        }
        out!(w, 0, "{}:{} when max skew {} is exceeded", c.topology_key, c.when_unsatisfiable, c.max_skew);
        if let Some(sel) = &c.label_selector {
            out!(w, 0, " for selector {}", crate::kubectl::printers::format_label_selector(Some(sel)));
        }
        w.write(0, "\n");
    }
}

/// `describeVolumes`.
pub(crate) fn describe_volumes(w: &mut Writer, volumes: &[Volume], space: &str) {
    if volumes.is_empty() {
        out!(w, 0, "{space}Volumes:\t<none>\n");
        return;
    }
    out!(w, 0, "{space}Volumes:\n");
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in volumes {
        out!(w, 1, "{name_indent}{}:\n", v.name);
        super::storage::volume_source(w, v);
    }
}

/// `PodRequestsAndLimits` (kubectl's `pkg/util/resource`): the sum over containers, raised to
/// the largest init container (restartable init containers add to both), plus overhead.
pub(crate) fn pod_requests_and_limits(pod: &Pod) -> (BTreeMap<String, Quantity>, BTreeMap<String, Quantity>) {
    let empty = Default::default();
    let spec = pod.spec.as_ref().unwrap_or(&empty);
    let of = |c: &Container, limits: bool| -> BTreeMap<String, Quantity> {
        let r = c.resources.as_ref();
        let rl = r.and_then(|r| if limits { r.limits.as_ref() } else { r.requests.as_ref() });
        rl.into_iter().flatten().filter_map(|(k, q)| Quantity::from_k8s(q).ok().map(|q| (k.clone(), q))).collect()
    };
    let compute = |limits: bool| {
        let mut total: BTreeMap<String, Quantity> = BTreeMap::new();
        for c in &spec.containers {
            add(&mut total, &of(c, limits));
        }
        let mut restartable: BTreeMap<String, Quantity> = BTreeMap::new();
        let mut init: BTreeMap<String, Quantity> = BTreeMap::new();
        for c in list(&spec.init_containers) {
            let own = of(c, limits);
            let effective = if c.restart_policy.as_deref() == Some("Always") {
                add(&mut total, &own);
                add(&mut restartable, &own);
                restartable.clone()
            } else {
                let mut tmp = own;
                add(&mut tmp, &restartable);
                tmp
            };
            max_into(&mut init, &effective);
        }
        max_into(&mut total, &init);
        if let Some(overhead) = &spec.overhead {
            for (k, q) in overhead {
                let Ok(q) = Quantity::from_k8s(q) else { continue };
                if !limits {
                    add(&mut total, &BTreeMap::from([(k.clone(), q)]));
                } else if let Some(v) = total.get_mut(k).filter(|v| !v.is_zero()) {
                    *v = v.saturating_add(&q);
                }
            }
        }
        total
    };
    (compute(false), compute(true))
}

fn add(list: &mut BTreeMap<String, Quantity>, new: &BTreeMap<String, Quantity>) {
    for (k, q) in new {
        match list.get_mut(k) {
            Some(v) => *v = v.saturating_add(q),
            None => {
                list.insert(k.clone(), q.clone());
            }
        }
    }
}

fn max_into(list: &mut BTreeMap<String, Quantity>, new: &BTreeMap<String, Quantity>) {
    for (k, q) in new {
        match list.get_mut(k) {
            Some(v) if q > v => *v = q.clone(),
            Some(_) => {}
            None => {
                list.insert(k.clone(), q.clone());
            }
        }
    }
}

/// `int64(float64(a) / float64(b) * 100)`, as Go converts on amd64 (an infinite or NaN
/// ratio becomes the smallest int64). The operands are exact: upstream's int64 values wrap
/// past 2^63-1 milli-units, which kubesim does not copy.
pub(crate) fn percent(a: i128, b: i128) -> i64 {
    let f = a as f64 / b as f64 * 100.0;
    if f.is_finite() {
        f as i64
    } else {
        i64::MIN
    }
}
