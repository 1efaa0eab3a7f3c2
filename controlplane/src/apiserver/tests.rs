use super::*;
use crate::model::decode::decode_one;

/// An API server with the namespaces `default` and `kube-system`, each with its default
/// ServiceAccount (what admission needs to let a pod in).
pub(super) fn server() -> ApiServer {
    let mut api = ApiServer::new(0, DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap().with_timezone(&Utc));
    for ns in ["default", "kube-system"] {
        api.create(
            "test",
            "",
            decode_one(&format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}")).unwrap(),
        )
        .unwrap();
        api.create("test", ns, decode_one("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}").unwrap())
            .unwrap();
    }
    api
}

fn pod(name: &str) -> Object {
    decode_one(&format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {{app: web}}}}\nspec: {{containers: [{{name: c, image: nginx}}]}}")).unwrap()
}

fn cm(name: &str, data: &str) -> Object {
    decode_one(&format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{k: \"{data}\"}}"))
        .unwrap()
}

#[test]
fn create_sets_system_fields() {
    let mut api = server();
    let p = api.create("kubectl", "default", pod("web")).unwrap();
    let m = p.metadata();
    assert_eq!(m.namespace.as_deref(), Some("default"));
    assert_eq!(m.uid.as_ref().map(String::len), Some(36));
    assert_eq!(m.creation_timestamp, Some(k8s_time(api.now())));
    assert_eq!(p.resource_version_str(), Some(api.revision().to_string().as_str()));
    let Object::Pod(pod) = &*p else { panic!() };
    let spec = pod.spec.as_ref().unwrap();
    assert_eq!(spec.service_account_name.as_deref(), Some("default"), "ServiceAccount admission");
    assert_eq!(spec.tolerations.as_ref().unwrap().len(), 2, "DefaultTolerationSeconds admission");
    assert!(spec.volumes.as_ref().unwrap()[0].name.starts_with("kube-api-access-"));
}

#[test]
fn already_exists_and_not_found() {
    let mut api = server();
    api.create("kubectl", "default", pod("web")).unwrap();
    let e = api.create("kubectl", "default", pod("web")).unwrap_err();
    assert_eq!(e.kubectl_message(), "Error from server (AlreadyExists): pods \"web\" already exists");
    let e = api.get("kubectl", Kind::Pod, "default", "nope").unwrap_err();
    assert_eq!(e.kubectl_message(), "Error from server (NotFound): pods \"nope\" not found");
}

#[test]
fn generate_name() {
    let mut api = server();
    let obj = decode_one("apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: cfg-}").unwrap();
    let created = api.create("kubectl", "default", obj).unwrap();
    assert!(created.name().starts_with("cfg-") && created.name().len() == 9, "{}", created.name());
}

#[test]
fn stale_update_conflicts() {
    let mut api = server();
    let first = api.create("kubectl", "default", cm("c", "1")).unwrap();
    let mut a = (*first).clone();
    let mut b = (*first).clone();
    if let Object::ConfigMap(c) = &mut a {
        c.data.as_mut().unwrap().insert("k".into(), "2".into());
    }
    api.update("kubectl", a).unwrap();
    if let Object::ConfigMap(c) = &mut b {
        c.data.as_mut().unwrap().insert("k".into(), "3".into());
    }
    let e = api.update("kubectl", b).unwrap_err();
    assert_eq!(e.reason, Reason::Conflict);
    assert_eq!(
        e.message,
        "Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your changes to the latest version and try again"
    );
}

#[test]
fn noop_update_writes_nothing() {
    let mut api = server();
    let c = api.create("kubectl", "default", cm("c", "1")).unwrap();
    let rev = api.revision();
    api.update("kubectl", (*c).clone()).unwrap();
    assert_eq!(api.revision(), rev);
}

#[test]
fn generation_bumps_on_spec_change_only() {
    let mut api = server();
    let d = decode_one("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1, selector: {matchLabels: {app: d}}, template: {metadata: {labels: {app: d}}, spec: {containers: [{name: c, image: nginx}]}}}").unwrap();
    let d = api.create("kubectl", "default", d).unwrap();
    assert_eq!(d.metadata().generation, Some(1));
    let mut labelled = (*d).clone();
    labelled.metadata_mut().labels = Some([("x".to_string(), "y".to_string())].into());
    let d = api.update("kubectl", labelled).unwrap();
    assert_eq!(d.metadata().generation, Some(1), "a label change is not a spec change");
    let mut scaled = (*d).clone();
    if let Object::Deployment(dep) = &mut scaled {
        dep.spec.as_mut().unwrap().replicas = Some(3);
    }
    let d = api.update("kubectl", scaled).unwrap();
    assert_eq!(d.metadata().generation, Some(2));
}

#[test]
fn status_is_its_own_subresource() {
    let mut api = server();
    let p = api.create("kubectl", "default", pod("web")).unwrap();
    let mut with_status = (*p).clone();
    if let Object::Pod(pod) = &mut with_status {
        pod.status =
            Some(k8s_openapi::api::core::v1::PodStatus { phase: Some("Running".into()), ..Default::default() }.into());
    }
    let p = api.update("kubectl", with_status.clone()).unwrap();
    let phase = |o: &Object| match o {
        Object::Pod(p) => p.status.as_ref().and_then(|s| s.phase.clone()),
        _ => None,
    };
    assert_eq!(phase(&p).as_deref(), Some("Pending"), "a main-resource update keeps the stored status");
    with_status.set_resource_version(None);
    let before = p.clone();
    let p = api.update_status("kubelet", with_status).unwrap();
    assert_eq!(phase(&p).as_deref(), Some("Running"));
    // The new version shares the stored metadata; only its resourceVersion is its own.
    let (Object::Pod(old), Object::Pod(new)) = (&*before, &*p) else { panic!() };
    assert!(crate::model::Shared::same(&old.metadata, &new.metadata), "a status write shares the metadata");
    assert_eq!(p.resource_version_str(), Some(api.revision().to_string().as_str()));
    assert_ne!(before.resource_version(), p.resource_version());
    assert_eq!(p.to_value()["metadata"]["resourceVersion"], api.revision().to_string(), "JSON has it in its place");
    assert_eq!(before.to_value()["metadata"]["resourceVersion"], before.resource_version().to_string());
}

#[test]
fn patches() {
    let mut api = server();
    api.create("kubectl", "default", pod("web")).unwrap();
    let patched = api
        .patch("kubectl", Kind::Pod, "default", "web", PatchType::Strategic, &serde_json::json!({"metadata": {"labels": {"tier": "fe"}}, "spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}))
        .unwrap();
    assert_eq!(patched.labels().get("tier").map(String::as_str), Some("fe"));
    let Object::Pod(p) = &*patched else { panic!() };
    let spec = p.spec.as_ref().unwrap();
    assert_eq!(spec.containers.len(), 1);
    assert_eq!(spec.containers[0].image.as_deref(), Some("nginx:2"));
    let e = api.patch("kubectl", Kind::Pod, "default", "none", PatchType::Merge, &serde_json::json!({})).unwrap_err();
    assert_eq!(e.reason, Reason::NotFound);
}

#[test]
fn finalizers_hold_deletion() {
    let mut api = server();
    let mut c = cm("c", "1");
    c.metadata_mut().finalizers = Some(vec!["example.com/hold".into()]);
    api.create("kubectl", "default", c).unwrap();
    let marked = api.delete("kubectl", Kind::ConfigMap, "default", "c", DeleteOptions::default()).unwrap();
    assert!(marked.metadata().deletion_timestamp.is_some());
    assert!(api.peek(Kind::ConfigMap, "default", "c").is_some());
    let mut released = (*marked).clone();
    released.metadata_mut().finalizers = None;
    api.update("controller", released).unwrap();
    assert!(api.peek(Kind::ConfigMap, "default", "c").is_none(), "gone once the last finalizer is removed");
}

#[test]
fn foreground_and_orphan_add_finalizers() {
    let mut api = server();
    for (name, propagation, finalizer) in
        [("a", Propagation::Foreground, "foregroundDeletion"), ("b", Propagation::Orphan, "orphan")]
    {
        api.create("kubectl", "default", cm(name, "1")).unwrap();
        let opts = DeleteOptions { propagation_policy: Some(propagation), ..Default::default() };
        let deleted = api.delete("kubectl", Kind::ConfigMap, "default", name, opts).unwrap();
        assert_eq!(deleted.metadata().finalizers.as_deref(), Some(&[finalizer.to_string()][..]));
    }
}

#[test]
fn graceful_pod_deletion() {
    let mut api = server();
    // An unscheduled pod goes at once.
    api.create("kubectl", "default", pod("p1")).unwrap();
    api.delete("kubectl", Kind::Pod, "default", "p1", DeleteOptions::default()).unwrap();
    assert!(api.peek(Kind::Pod, "default", "p1").is_none());
    // A pod bound to a node waits out its grace period for the kubelet.
    let mut bound = pod("p2");
    if let Object::Pod(p) = &mut bound {
        p.spec.as_mut().unwrap().node_name = Some("node-1".into());
    }
    api.create("kubectl", "default", bound).unwrap();
    let marked = api.delete("kubectl", Kind::Pod, "default", "p2", DeleteOptions::default()).unwrap();
    assert_eq!(marked.metadata().deletion_grace_period_seconds, Some(30));
    assert!(api.peek(Kind::Pod, "default", "p2").is_some());
    api.delete(
        "kubelet",
        Kind::Pod,
        "default",
        "p2",
        DeleteOptions { grace_period_seconds: Some(0), ..Default::default() },
    )
    .unwrap();
    assert!(api.peek(Kind::Pod, "default", "p2").is_none());
}

#[test]
fn watch_events() {
    let mut api = server();
    let from = api.revision();
    api.create("kubectl", "default", cm("c", "1")).unwrap();
    api.patch("kubectl", Kind::ConfigMap, "default", "c", PatchType::Merge, &serde_json::json!({"data": {"k": "2"}}))
        .unwrap();
    api.delete("kubectl", Kind::ConfigMap, "default", "c", DeleteOptions::default()).unwrap();
    let events = api.watch("kubectl", Kind::ConfigMap, Some("default"), from).unwrap();
    let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["ADDED", "MODIFIED", "DELETED"]);
    api.compact(api.revision());
    assert_eq!(api.watch("kubectl", Kind::ConfigMap, None, from).unwrap_err().reason, Reason::Gone);
}

/// A watch that reads after every change is never compacted away: each run of the compactor
/// forgets only the history up to the run before (a kubectl `get -w` in a notebook failed
/// with `Gone` when a run fell between two of its reads).
#[test]
fn issue_12_the_compactor_keeps_an_interval_of_history() {
    let mut api = server();
    let start = api.now();
    let mut watched = api.revision();
    let mut seen = Vec::new();
    for minute in 1..=30 {
        api.set_now(start + chrono::Duration::minutes(minute));
        api.create("kubectl", "default", cm(&format!("c{minute}"), "1")).unwrap();
        // Every component has read everything: the compactor may go as far as it likes.
        api.compact_seen(api.revision());
        let events = api.watch("kubectl", Kind::ConfigMap, Some("default"), watched).unwrap();
        seen.extend(events.iter().map(|e| e.object.name().to_string()));
        watched = api.revision();
    }
    assert_eq!(seen.len(), 30, "{seen:?}");
    // History is forgotten all the same: what was written more than 75 seconds before.
    let compacted = api.store.compacted_revision();
    assert!(compacted > 0 && compacted < api.revision(), "{compacted}");
    assert_eq!(api.watch("kubectl", Kind::ConfigMap, None, compacted - 1).unwrap_err().reason, Reason::Gone);
    assert!(api.watch("kubectl", Kind::ConfigMap, None, compacted).is_ok());
}

/// The watch history is the last 75 seconds of changes, as kube-apiserver's watch cache keeps
/// (`DefaultEventFreshDuration`): a watch from a revision written just inside the window is
/// served, one from before it is answered `Gone`, and nothing older is kept.
#[test]
fn the_watch_history_is_the_last_75_seconds() {
    let mut api = server();
    let start = api.now();
    let mut written = Vec::new();
    for step in 1..=60 {
        api.set_now(start + chrono::Duration::seconds(10 * step));
        api.create("kubectl", "default", cm(&format!("c{step}"), "1")).unwrap();
        api.compact_seen(api.revision());
        written.push(api.revision());
    }
    // Now is 600 s; the window starts at 525 s: the history since the end of the instant
    // before the last one before it (510 s, the 51st write) is kept.
    let at = |seconds: usize| written[seconds / 10 - 1];
    assert_eq!(api.store.compacted_revision(), at(510));
    assert!(api.watch("kubectl", Kind::ConfigMap, None, at(510)).is_ok());
    assert_eq!(api.watch("kubectl", Kind::ConfigMap, None, at(500)).unwrap_err().reason, Reason::Gone);
    // Components that have not read everything hold the compactor back.
    api.set_now(start + chrono::Duration::seconds(900));
    api.compact_seen(at(530));
    assert_eq!(api.store.compacted_revision(), at(530));
}

/// A watch lists, more is written in the same instant, and the clock then jumps past the
/// window in one step before the watch reads again: its revision is still served.
#[test]
fn a_watch_that_listed_before_a_jump_of_the_clock_is_not_compacted_away() {
    let mut api = server();
    let start = api.now();
    api.create("kubectl", "default", cm("a", "1")).unwrap();
    api.compact_seen(api.revision());
    let listed = api.revision();
    api.create("kubectl", "default", cm("b", "1")).unwrap();
    api.compact_seen(api.revision());
    api.set_now(start + chrono::Duration::seconds(100));
    api.create("kubectl", "default", cm("c", "1")).unwrap();
    api.compact_seen(api.revision());
    let events = api.watch("kubectl", Kind::ConfigMap, None, listed).unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.object.name()).collect();
    assert_eq!(names, ["b", "c"]);
}

#[test]
fn audit_records_every_request() {
    let mut api = server();
    let before = api.audit_log().written();
    api.create("kubectl", "default", pod("web")).unwrap();
    let _ = api.get("kube-scheduler", Kind::Pod, "default", "missing");
    let log: Vec<_> = api.audit_log().since(before).collect();
    assert_eq!(log.len(), 2);
    assert_eq!((log[0].verb, log[0].resource, log[0].code), ("create", "pods", 201));
    assert_eq!((log[1].user, log[1].code), ("kube-scheduler", 404));
}

fn service(yaml_spec: &str) -> Object {
    decode_one(&format!("apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec: {yaml_spec}")).unwrap()
}

#[test]
fn services_get_cluster_ips_and_node_ports() {
    let mut api = server();
    let svc = api
        .create("kubectl", "default", service("{type: NodePort, selector: {app: web}, ports: [{port: 80}]}"))
        .unwrap();
    let Object::Service(s) = &*svc else { panic!() };
    let spec = s.spec.as_ref().unwrap();
    let ip: std::net::Ipv4Addr = spec.cluster_ip.as_deref().unwrap().parse().unwrap();
    assert_eq!(ip.octets()[0..2], [10, ip.octets()[1]]);
    assert!((96..112).contains(&ip.octets()[1]), "{ip} is in 10.96.0.0/12");
    let np = spec.ports.as_ref().unwrap()[0].node_port.unwrap();
    assert!((30086..=32767).contains(&np), "{np} is in the dynamic band");
    // An update that does not mention them keeps both.
    let mut again = service("{type: NodePort, selector: {app: web}, ports: [{port: 80}]}");
    again.metadata_mut().namespace = Some("default".into());
    let updated = api.update("kubectl", again).unwrap();
    let Object::Service(u) = &*updated else { panic!() };
    assert_eq!(u.spec.as_ref().unwrap().cluster_ip, spec.cluster_ip);
    assert_eq!(u.spec.as_ref().unwrap().ports.as_ref().unwrap()[0].node_port, Some(np));
}

#[test]
fn taken_or_foreign_cluster_ips_are_refused() {
    let mut api = server();
    api.create("kubectl", "default", service("{clusterIP: 10.96.0.50, ports: [{port: 80}]}")).unwrap();
    let mut dup = service("{clusterIP: 10.96.0.50, ports: [{port: 80}]}");
    dup.metadata_mut().name = Some("t".into());
    let e = api.create("kubectl", "default", dup).unwrap_err();
    assert_eq!(
        e.kubectl_message(),
        "The Service \"t\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.50\"}: failed to allocate IP 10.96.0.50: provided IP is already allocated"
    );
    let mut far = service("{clusterIP: 192.168.0.1, ports: [{port: 80}]}");
    far.metadata_mut().name = Some("u".into());
    let e = api.create("kubectl", "default", far).unwrap_err();
    assert!(e.message.contains("is not in the valid range. The range of valid IPs is 10.96.0.0/12"), "{}", e.message);
    let mut port = service("{type: NodePort, ports: [{port: 80, nodePort: 80}]}");
    port.metadata_mut().name = Some("v".into());
    let e = api.create("kubectl", "default", port).unwrap_err();
    assert!(e.message.contains("spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"), "{}", e.message);
}

#[test]
fn addresses_and_node_ports_are_free_again_once_their_service_goes() {
    // The allocator follows the store's changes: a deleted Service's address and node port
    // are free, an updated one's old port too, before and after the history is compacted.
    let mut api = server();
    let named = |name: &str, spec: &str| {
        let mut s = service(spec);
        s.metadata_mut().name = Some(name.into());
        s.metadata_mut().namespace = Some("default".into());
        s
    };
    api.create(
        "kubectl",
        "default",
        named("a", "{clusterIP: 10.96.0.50, type: NodePort, ports: [{port: 80, nodePort: 30500}]}"),
    )
    .unwrap();
    let taken = api.create("kubectl", "default", named("b", "{clusterIP: 10.96.0.50, ports: [{port: 80}]}"));
    assert!(taken.is_err(), "10.96.0.50 is a's");
    let taken = api.create("kubectl", "default", named("b", "{type: NodePort, ports: [{port: 80, nodePort: 30500}]}"));
    assert!(taken.is_err(), "30500 is a's");
    // a moves to another node port: 30500 is free.
    api.update("kubectl", named("a", "{clusterIP: 10.96.0.50, type: NodePort, ports: [{port: 80, nodePort: 30501}]}"))
        .unwrap();
    api.create("kubectl", "default", named("b", "{type: NodePort, ports: [{port: 80, nodePort: 30500}]}")).unwrap();
    api.delete("kubectl", Kind::Service, "default", "a", DeleteOptions::default()).unwrap();
    api.create("kubectl", "default", named("c", "{clusterIP: 10.96.0.50, ports: [{port: 80}]}")).unwrap();
    let revision = api.revision();
    api.compact(revision);
    api.delete("kubectl", Kind::Service, "default", "c", DeleteOptions::default()).unwrap();
    api.create(
        "kubectl",
        "default",
        named("d", "{clusterIP: 10.96.0.50, type: NodePort, ports: [{port: 80, nodePort: 30501}]}"),
    )
    .unwrap();
    let taken = api.create("kubectl", "default", named("e", "{clusterIP: 10.96.0.50, ports: [{port: 80}]}"));
    assert!(taken.is_err(), "10.96.0.50 is d's");
}

#[test]
fn list_by_field_selector() {
    let mut api = server();
    api.create("kubectl", "default", pod("a")).unwrap();
    let mut bound = pod("b");
    if let Object::Pod(p) = &mut bound {
        p.spec.as_mut().unwrap().node_name = Some("node-1".into());
    }
    api.create("kubectl", "default", bound).unwrap();
    let everything = LabelSelector::everything();
    let on_node = FieldSelector::parse("spec.nodeName=node-1").unwrap();
    let names: Vec<_> = api
        .list_selected("kubectl", Kind::Pod, None, &everything, &on_node)
        .unwrap()
        .items
        .iter()
        .map(|o| o.name().to_string())
        .collect();
    assert_eq!(names, ["b"]);
    let bad = FieldSelector::parse("foo=bar").unwrap();
    let e = api.list_selected("kubectl", Kind::Pod, None, &everything, &bad).unwrap_err();
    assert_eq!(
        e.kubectl_message(),
        "Error from server (BadRequest): Unable to find \"/v1, Resource=pods\" that match label selector \"\", field selector \"foo=bar\": field label not supported: foo"
    );
}

/// Refuses what nodes may not do here (deleting anything) and every write of `mallory`.
struct Denying;

impl Authorizer for Denying {
    fn authorize(&self, attrs: &authorization::Attributes<'_>) -> Decision {
        if attrs.user.in_group(user::NODES_GROUP) && attrs.verb() == "delete" {
            return Decision::Deny("nodes may not delete".into());
        }
        if &*attrs.user.name == "mallory" && attrs.verb() != "get" {
            return Decision::NoOpinion(String::new());
        }
        Decision::Allow
    }
}

/// Counts the requests that reach admission.
struct Counting(std::rc::Rc<std::cell::Cell<usize>>);

impl AdmissionPlugin for Counting {
    fn name(&self) -> &'static str {
        "Counting"
    }
    fn admit(&self, _attrs: &mut admission::Attributes<'_>, _store: &Store<Object>) -> Result<(), ApiError> {
        self.0.set(self.0.get() + 1);
        Ok(())
    }
}

#[test]
fn issue_11_a_denying_authorizer_stops_a_request_before_admission_and_changes_nothing() {
    let mut api = server();
    api.create("kubectl", "default", pod("web")).unwrap();
    let admitted = std::rc::Rc::new(std::cell::Cell::new(0));
    api.admission.push(Box::new(Counting(admitted.clone())));
    api.set_authorizer(Box::new(Denying));
    let (revision, audited) = (api.revision(), api.audit_log().written());

    let e = api.create("mallory", "default", pod("evil")).unwrap_err();
    assert_eq!(
        e.kubectl_message(),
        "Error from server (Forbidden): pods \"evil\" is forbidden: User \"mallory\" cannot create resource \"pods\" in API group \"\" in the namespace \"default\""
    );
    let e = api.delete("system:node:node-1", Kind::Pod, "default", "web", DeleteOptions::default()).unwrap_err();
    assert_eq!(
        e.message,
        "pods \"web\" is forbidden: User \"system:node:node-1\" cannot delete resource \"pods\" in API group \"\" in the namespace \"default\": nodes may not delete"
    );
    let e = api.finalize_namespace("mallory", api.peek(Kind::Namespace, "", "default").unwrap().as_ref().clone());
    assert!(e
        .unwrap_err()
        .message
        .ends_with("cannot update resource \"namespaces/finalize\" in API group \"\" at the cluster scope"));
    assert!(api.try_list("mallory", Kind::Pod, None, |_| true).is_err());
    assert!(api.list("mallory", Kind::Pod, None, |_| true).items.is_empty());

    assert_eq!(admitted.get(), 0, "no refused request reached admission");
    assert_eq!(api.revision(), revision, "a refused request writes nothing");
    assert!(api.peek(Kind::Pod, "default", "evil").is_none() && api.peek(Kind::Pod, "default", "web").is_some());
    // Refused requests are audited, with the code they were answered with.
    let records: Vec<(&str, &str, u16)> = api.audit_log().since(audited).map(|r| (r.user, r.verb, r.code)).collect();
    assert_eq!(
        records,
        [
            ("mallory", "create", 403),
            ("system:node:node-1", "delete", 403),
            ("mallory", "update", 403),
            ("mallory", "list", 403),
            ("mallory", "list", 403)
        ]
    );
    // What the authorizer allows goes on through admission as before.
    assert!(api.get("mallory", Kind::Pod, "default", "web").is_ok());
    api.create("kubectl", "default", pod("ok")).unwrap();
    assert_eq!(admitted.get(), 1);
}

fn event(name: &str) -> Object {
    decode_one(&format!("apiVersion: v1\nkind: Event\nmetadata: {{name: {name}}}\ninvolvedObject: {{kind: Pod, name: web, namespace: default}}\nreason: Test\nmessage: hello")).unwrap()
}

#[test]
fn issue_11_events_expire_an_hour_after_their_last_update() {
    let mut api = server();
    let start = api.now();
    let at = |s: i64| start + chrono::Duration::seconds(s);
    api.create("kubectl", "default", event("a")).unwrap();
    api.set_now(at(1800));
    api.create("kubectl", "default", event("b")).unwrap();
    // An update renews the lease: `a` now lives until an hour after this.
    let mut a = (*api.peek(Kind::Event, "default", "a").unwrap()).clone();
    if let Object::Event(ev) = &mut a {
        ev.count = Some(2);
    }
    api.set_now(at(3000));
    api.update("kubectl", a).unwrap();
    let revision = api.revision();

    api.set_now(at(3600 + 1800));
    assert!(api.peek(Kind::Event, "default", "b").is_some(), "b was written an hour ago: its lease has a minute more");
    api.set_now(at(3660 + 1800));
    assert!(api.peek(Kind::Event, "default", "b").is_none(), "b expired");
    assert!(api.peek(Kind::Event, "default", "a").is_some(), "a was updated since");
    api.set_now(at(3660 + 3000));
    assert!(api.peek(Kind::Event, "default", "a").is_none());
    let events = api.watch("kubectl", Kind::Event, None, revision).unwrap();
    let seen: Vec<(&str, WatchEventType)> = events.iter().map(|e| (e.object.name(), e.event_type)).collect();
    assert_eq!(seen, [("b", WatchEventType::Deleted), ("a", WatchEventType::Deleted)]);
    assert_eq!(api.store().lease_count(), 0);
    // Expiry is etcd's, not a request: nothing is audited for it.
    assert!(api.audit_log().iter().all(|r| r.verb != "delete"));
    // Other kinds have no time to live.
    api.create("kubectl", "default", cm("c", "v")).unwrap();
    api.set_now(at(365 * 86_400));
    assert!(api.peek(Kind::ConfigMap, "default", "c").is_some());
}

#[test]
fn issue_12_mutating_admission_names_a_generated_pod_by_its_prefix() {
    // Upstream generates the name after mutating admission, so a controller's refused
    // creations all read `pods "web-" is forbidden`, and their events fold into one.
    let mut api = server();
    let doc = "apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-, labels: {app: web}}\nspec: {priorityClassName: nope, containers: [{name: c, image: nginx}]}";
    let err = api.create("test", "default", decode_one(doc).unwrap()).unwrap_err();
    assert_eq!(err.message, "pods \"web-\" is forbidden: no PriorityClass with name nope was found");
    let mut named = pod("web-1");
    if let Object::Pod(p) = &mut named {
        p.spec.as_mut().unwrap().priority_class_name = Some("nope".into());
    }
    let err = api.create("test", "default", named).unwrap_err();
    assert_eq!(err.message, "pods \"web-1\" is forbidden: no PriorityClass with name nope was found");
}

#[test]
fn issue_12_a_patch_removing_the_last_owner_reference_leaves_none() {
    // A controller releasing a pod deletes its reference by uid; Go omits the empty list.
    let mut api = server();
    let mut p = pod("web");
    p.metadata_mut().owner_references = Some(vec![k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
        api_version: "apps/v1".into(),
        kind: "ReplicaSet".into(),
        name: "web".into(),
        uid: "u-1".into(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }]);
    api.create("test", "default", p).unwrap();
    let patch = serde_json::json!({"metadata": {"ownerReferences": [{"$patch": "delete", "uid": "u-1"}]}});
    let released = api.patch("test", Kind::Pod, "default", "web", PatchType::Strategic, &patch).unwrap();
    assert_eq!(released.metadata().owner_references, None);
}

#[test]
fn a_dry_run_checks_everything_and_stores_nothing() {
    let mut api = server();
    api.create("kubectl", "default", cm("kept", "1")).unwrap();
    let revision = api.revision();
    // Create: admitted and defaulted (the pod gets its service account), not stored.
    let p = api.dry_run(|api| api.create("kubectl", "default", pod("web"))).unwrap();
    let Object::Pod(pod_spec) = &*p else { panic!() };
    assert_eq!(pod_spec.spec.as_ref().unwrap().service_account_name.as_deref(), Some("default"));
    assert_eq!(p.resource_version_str(), None);
    // Update, patch and delete: answered with what they would make, nothing written.
    let mut update = cm("kept", "2");
    update.metadata_mut().namespace = Some("default".into());
    let changed = api.dry_run(|api| api.update("kubectl", update)).unwrap();
    assert_eq!(changed.to_value()["data"]["k"], "2");
    let patched = api
        .dry_run(|api| {
            api.patch(
                "kubectl",
                Kind::ConfigMap,
                "default",
                "kept",
                PatchType::Merge,
                &serde_json::json!({"data": {"k": "3"}}),
            )
        })
        .unwrap();
    assert_eq!(patched.to_value()["data"]["k"], "3");
    api.dry_run(|api| api.delete("kubectl", Kind::ConfigMap, "default", "kept", DeleteOptions::default())).unwrap();
    assert_eq!(api.revision(), revision, "nothing stored");
    assert_eq!(api.get("kubectl", Kind::ConfigMap, "default", "kept").unwrap().to_value()["data"]["k"], "1");
    assert!(api.get("kubectl", Kind::Pod, "default", "web").is_err());
    // Refusals are the same as for a real write.
    let e = api.dry_run(|api| api.create("kubectl", "default", cm("kept", "4"))).unwrap_err();
    assert_eq!(e.kubectl_message(), "Error from server (AlreadyExists): configmaps \"kept\" already exists");
    // Later requests are real again.
    api.create("kubectl", "default", pod("web")).unwrap();
    assert!(api.revision() > revision);
}

#[test]
fn versions_share_a_pods_spec_until_a_write_changes_it() {
    let spec_of = |o: &Object| match o {
        Object::Pod(p) => p.spec.clone().unwrap(),
        _ => panic!("a pod"),
    };
    let merge = |api: &mut ApiServer, patch: serde_json::Value| {
        api.patch("kubectl", Kind::Pod, "default", "web", PatchType::Merge, &patch).unwrap()
    };
    let mut api = server();
    let created = api.create("kubectl", "default", pod("web")).unwrap();
    let labelled = merge(&mut api, serde_json::json!({"metadata": {"labels": {"tier": "a"}}}));
    assert!(crate::model::Shared::same(&spec_of(&created), &spec_of(&labelled)), "a label patch keeps the spec");
    let mut status = (*labelled).clone();
    if let Object::Pod(p) = &mut status {
        p.spec = None;
        p.status.get_or_insert_with(Default::default).phase = Some("Running".into());
    }
    let running = api.update_status("kubelet", status).unwrap();
    assert!(crate::model::Shared::same(&spec_of(&labelled), &spec_of(&running)), "a status write keeps the spec");
    let deadline = merge(&mut api, serde_json::json!({"spec": {"activeDeadlineSeconds": 60}}));
    assert!(!crate::model::Shared::same(&spec_of(&running), &spec_of(&deadline)), "a spec change copies it");
    assert_eq!(spec_of(&running).active_deadline_seconds, None, "and leaves the older version as it was");
    assert_eq!(spec_of(&deadline).active_deadline_seconds, Some(60));
}

/// Every shared kind (and one that is not) reads, writes and prints its resourceVersion in
/// its place, through the create, a status write and a main-resource update.
#[test]
fn every_shared_kind_keeps_its_resource_version_in_its_place() {
    let mut api = server();
    let docs = [
        ("default", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}"),
        ("default", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]"),
        ("default", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj}\nspec:\n  schedule: '* * * * *'\n  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}"),
        ("default", "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l}\nspec: {holderIdentity: a}"),
        ("", "apiVersion: v1\nkind: Node\nmetadata: {name: n}"),
        ("default", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {k: v}"),
    ];
    for (ns, doc) in docs {
        let created = api.create("kubectl", ns, decode_one(doc).unwrap()).unwrap();
        let kind = created.kind();
        let rv = |o: &Object| o.resource_version_str().map(str::to_string);
        assert_eq!(rv(&created), Some(api.revision().to_string()), "{kind:?} created");
        assert_eq!(created.to_value()["metadata"]["resourceVersion"], api.revision().to_string(), "{kind:?}");
        // A stale resourceVersion is refused; the current one is taken.
        let mut stale = (*created).clone();
        stale.metadata_mut().labels.get_or_insert_with(Default::default).insert("a".into(), "b".into());
        stale.set_resource_version(Some((created.resource_version() - 1).to_string()));
        assert!(api.update("kubectl", stale.clone()).is_err(), "{kind:?} with a stale resourceVersion");
        stale.set_resource_version(rv(&created));
        let updated = api.update("kubectl", stale).unwrap();
        assert_eq!(updated.resource_version(), api.revision(), "{kind:?} updated");
        assert_eq!(updated.labels().get("a").map(String::as_str), Some("b"));
        // Decoding its own JSON gives the object back, resourceVersion and all.
        let again = crate::model::decode(updated.to_value()).unwrap();
        assert_eq!(again, *updated, "{kind:?} through JSON");
        assert_eq!(rv(&again), rv(&updated));
    }
}
