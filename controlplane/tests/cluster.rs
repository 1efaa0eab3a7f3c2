//! The default cluster, apply, and the first controllers, end to end through the API server.

use controlplane::kubectl::apply::apply_text;
use controlplane::model::Kind;
use controlplane::sim::{parse_duration, Cluster, ClusterConfig};

fn names(cluster: &mut Cluster, kind: Kind, ns: Option<&str>) -> Vec<String> {
    cluster.api().list("test", kind, ns, |_| true).items.iter().map(|o| o.name().to_string()).collect()
}

#[test]
fn default_cluster_layout() {
    let mut c = Cluster::new(ClusterConfig::default());
    assert_eq!(names(&mut c, Kind::Node, None), ["control-plane", "node-1", "node-2", "node-3"]);
    assert_eq!(names(&mut c, Kind::Namespace, None), ["default", "kube-node-lease", "kube-public", "kube-system"]);
    assert_eq!(
        names(&mut c, Kind::Pod, Some("kube-system")),
        [
            "coredns-5bd45dbdd4-2hdbl",
            "coredns-5bd45dbdd4-t9gfl",
            "etcd-control-plane",
            "kube-apiserver-control-plane",
            "kube-controller-manager-control-plane",
            "kube-proxy-7w9dt",
            "kube-proxy-gdh8v",
            "kube-proxy-rsw7s",
            "kube-proxy-xjdw9",
            "kube-scheduler-control-plane"
        ]
    );
    assert_eq!(names(&mut c, Kind::ConfigMap, Some("default")), ["kube-root-ca.crt"]);
    assert_eq!(c.now().to_rfc3339(), "2025-01-01T00:00:00+00:00");
}

#[test]
fn apply_create_configure_unchanged_and_removed_field() {
    let mut c = Cluster::new(ClusterConfig::default());
    let v1 = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, labels: {a: '1', b: '2'}}\ndata: {k: v}\n";
    assert_eq!(apply_text(&mut c, v1, "cm.yaml", "default"), [Ok("configmap/cfg created".to_string())]);
    assert_eq!(apply_text(&mut c, v1, "cm.yaml", "default"), [Ok("configmap/cfg unchanged".to_string())]);
    let v2 = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, labels: {a: '1'}}\ndata: {k: v2}\n";
    assert_eq!(apply_text(&mut c, v2, "cm.yaml", "default"), [Ok("configmap/cfg configured".to_string())]);
    let cm = c.api().get("test", Kind::ConfigMap, "default", "cfg").unwrap();
    assert_eq!(cm.labels().keys().collect::<Vec<_>>(), ["a"], "a label removed from the manifest is removed");
}

#[test]
fn apply_namespace_then_pod_in_one_file() {
    let mut c = Cluster::new(ClusterConfig::default());
    let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: c, image: nginx}]}\n";
    assert_eq!(
        apply_text(&mut c, text, "shop.yaml", "default"),
        [Ok("namespace/shop created".to_string()), Ok("pod/web created".to_string())]
    );
}

#[test]
fn apply_errors_are_per_document() {
    let mut c = Cluster::new(ClusterConfig::default());
    let text = "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: psp}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: nowhere}\nspec: {containers: [{name: c, image: nginx}]}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n";
    assert_eq!(
        apply_text(&mut c, text, "f.yaml", "default"),
        [
            Err("error: resource mapping not found for name: \"psp\" namespace: \"\" from \"f.yaml\": no matches for kind \"PodSecurityPolicy\" in version \"policy/v1beta1\"".to_string()),
            Err("Error from server (NotFound): error when creating \"f.yaml\": namespaces \"nowhere\" not found".to_string()),
            Ok("configmap/ok created".to_string()),
        ]
    );
}

#[test]
fn deleting_a_namespace_empties_it() {
    let mut c = Cluster::new(ClusterConfig::default());
    apply_text(&mut c, "apiVersion: v1\nkind: Namespace\nmetadata: {name: tmp}\nspec: {finalizers: [kubernetes]}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: tmp}\n", "f", "default");
    c.api().delete("kubectl", Kind::Namespace, "", "tmp", Default::default()).unwrap();
    c.advance(parse_duration("5s").unwrap()).unwrap();
    assert!(c.api().peek(Kind::Namespace, "", "tmp").is_none());
    assert!(c.api().peek(Kind::ConfigMap, "tmp", "x").is_none());
    let e = c.api().delete("kubectl", Kind::Namespace, "", "default", Default::default()).unwrap_err();
    assert_eq!(
        e.kubectl_message(),
        "Error from server (Forbidden): namespaces \"default\" is forbidden: this namespace may not be deleted"
    );
}

/// A ConfigMap owned by another (by uid), the way controllers own what they make.
fn owned(c: &mut Cluster, owner: &str, name: &str) {
    let uid = c.api().get("test", Kind::ConfigMap, "default", owner).unwrap().metadata().uid.clone().unwrap();
    apply_text(
        c,
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  ownerReferences: [{{apiVersion: v1, kind: ConfigMap, name: {owner}, uid: {uid}, blockOwnerDeletion: true}}]\n"),
        "f",
        "default",
    );
}

fn exists(c: &mut Cluster, name: &str) -> bool {
    c.api().peek(Kind::ConfigMap, "default", name).is_some()
}

#[test]
fn garbage_collection_follows_owner_references() {
    use controlplane::apiserver::{DeleteOptions, Propagation};
    let mut c = Cluster::new(ClusterConfig::default());
    for (policy, owner) in
        [(None, "bg"), (Some(Propagation::Foreground), "fg"), (Some(Propagation::Orphan), "orphaner")]
    {
        apply_text(&mut c, &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {owner}}}\n"), "f", "default");
        owned(&mut c, owner, &format!("{owner}-child"));
        c.api()
            .delete(
                "kubectl",
                Kind::ConfigMap,
                "default",
                owner,
                DeleteOptions { propagation_policy: policy, ..Default::default() },
            )
            .unwrap();
        c.settle().unwrap();
        assert!(!exists(&mut c, owner), "{owner} is gone");
    }
    assert!(!exists(&mut c, "bg-child"), "background: the dependent goes after its owner");
    assert!(!exists(&mut c, "fg-child"), "foreground: the dependent goes first");
    assert!(exists(&mut c, "orphaner-child"), "orphan: the dependent stays");
    let orphan = c.api().get("test", Kind::ConfigMap, "default", "orphaner-child").unwrap();
    assert!(orphan.metadata().owner_references.is_none(), "and is released");
    // A dependent whose owner never existed is collected.
    apply_text(&mut c, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dangling\n  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: nobody, uid: 00000000-0000-0000-0000-000000000000}]\n", "f", "default");
    c.settle().unwrap();
    assert!(!exists(&mut c, "dangling"));
}

#[test]
fn apply_shows_warnings_and_refuses_node_ports_on_cluster_ip_services() {
    let mut c = Cluster::new(ClusterConfig::default());
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: nginx, ports: [{containerPort: 80}]}, {name: b, image: nginx, ports: [{containerPort: 80}]}]}\n";
    let out = apply_text(&mut c, pod, "p.yaml", "default");
    let line = out[0].as_ref().unwrap();
    assert!(line.starts_with("Warning: ") && line.ends_with("\npod/p created"), "{line}");
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80, nodePort: 30080}]}\n";
    let out = apply_text(&mut c, svc, "s.yaml", "default");
    assert!(
        out[0].as_ref().unwrap_err().contains("nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"),
        "{out:?}"
    );
    // Going from NodePort back to ClusterIP releases the allocated port.
    let np = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: NodePort, ports: [{port: 80}]}\n";
    assert_eq!(apply_text(&mut c, np, "s.yaml", "default"), [Ok("service/s created".to_string())]);
    let cip = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ClusterIP, ports: [{port: 80}]}\n";
    assert_eq!(apply_text(&mut c, cip, "s.yaml", "default"), [Ok("service/s configured".to_string())]);
}

#[test]
fn apply_refuses_generate_name() {
    let mut c = Cluster::new(ClusterConfig::default());
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: c-}\n";
    assert_eq!(
        apply_text(&mut c, text, "f", "default"),
        [Err("error: from c-: cannot use generate name with apply".to_string())]
    );
}

#[test]
fn a_node_with_negative_capacity_is_refused_and_nothing_is_left() {
    use controlplane::sim::bootstrap::{join_node, NodeSpec};
    let mut c = Cluster::new(ClusterConfig::default());
    let err = join_node(c.api(), &NodeSpec::worker("n9", "-1", "8Gi", "110"), 9).unwrap_err();
    assert_eq!(
        err.kubectl_message(),
        "The Node \"n9\" is invalid: status.capacity.cpu: Invalid value: \"-1\": must be greater than or equal to 0"
    );
    assert!(c.api().peek(Kind::Node, "", "n9").is_none());
}

/// `kubectl LINE` on `c`: its output, or its error text.
fn kubectl(c: &mut Cluster, line: &str) -> String {
    controlplane::kubectl::run_line(c, &format!("kubectl {line}"), Default::default()).unwrap_or_else(|e| e)
}

#[test]
fn issue_10_a_joining_node_gets_its_kube_proxy_pod_from_the_daemon_set_controller() {
    use controlplane::sim::bootstrap::{join_node, NodeSpec};
    let mut c = Cluster::new(ClusterConfig::default());
    // The join itself writes only the node's own objects; kube-proxy's pod is the DaemonSet
    // controller's, which fails (and says so) while the service account is missing, and
    // retries with back-off.
    kubectl(&mut c, "delete serviceaccount kube-proxy -n kube-system");
    join_node(c.api(), &NodeSpec::worker("node-4", "4", "8Gi", "110"), 4).unwrap();
    c.settle().unwrap();
    let on_node_4 = "get pods -n kube-system --field-selector spec.nodeName=node-4 -o name";
    assert_eq!(kubectl(&mut c, on_node_4), "");
    let events = kubectl(&mut c, "get events -n kube-system --field-selector reason=FailedCreate");
    assert!(events.contains("serviceaccount \"kube-proxy\" not found"), "{events}");
    let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: kube-proxy}";
    assert_eq!(apply_text(&mut c, sa, "sa.yaml", "kube-system"), [Ok("serviceaccount/kube-proxy created".to_string())]);
    c.advance(parse_duration("30s").unwrap()).unwrap();
    assert!(kubectl(&mut c, on_node_4).starts_with("pod/kube-proxy-"));
}

#[test]
fn issue_10_the_kubernetes_service_comes_back_within_10s() {
    let mut c = Cluster::new(ClusterConfig::default());
    assert_eq!(kubectl(&mut c, "delete svc kubernetes"), "service \"kubernetes\" deleted");
    c.advance(parse_duration("9s").unwrap()).unwrap();
    assert_eq!(names(&mut c, Kind::Service, Some("default")), Vec::<String>::new());
    c.advance(parse_duration("1s").unwrap()).unwrap();
    assert_eq!(names(&mut c, Kind::Service, Some("default")), ["kubernetes"]);
    assert_eq!(
        kubectl(
            &mut c,
            "get svc kubernetes -o jsonpath='{.spec.clusterIP}:{.spec.ports[0].port}->{.spec.ports[0].targetPort}'"
        ),
        "10.96.0.1:443->6443"
    );
}

#[test]
fn issue_10_kubectl_wait_with_nothing_to_wait_for_answers_at_once() {
    let mut c = Cluster::new(ClusterConfig::default());
    let start = c.now();
    for (line, want) in [
        (
            "wait --for=condition=Ready pods --all -n kube-public --timeout=100000h",
            "error: no matching resources found",
        ),
        ("wait --for=condition=Ready pods -l app=none --timeout=100000h", "error: no matching resources found"),
        ("wait --for=jsonpath={.status.phase}=Running pods --all -n kube-public", "error: no matching resources found"),
        ("wait --for=create pods --all -n kube-public --timeout=100000h", "error: no matching resources found"),
        (
            "wait --for=condition=Ready pod/missing --timeout=100000h",
            "Error from server (NotFound): pods \"missing\" not found",
        ),
        ("wait --for=delete pod/missing --timeout=100000h", ""),
        ("wait --for=delete pods --all -n kube-public --timeout=100000h", ""),
        (
            "wait --for=condition=Ready pods --timeout=100000h",
            "error: resource(s) were provided, but no name was specified",
        ),
        ("wait --for=condition=Ready pods --all -n kube-system", "pod/coredns-5bd45dbdd4-2hdbl condition met..."),
    ] {
        let got = kubectl(&mut c, line);
        let same = match want.strip_suffix("...") {
            Some(prefix) => got.starts_with(prefix),
            None => got == want,
        };
        assert!(same, "kubectl {line}\ngot: {got}\nwant: {want}");
    }
    assert_eq!(c.now(), start, "no simulated time passed");
}

/// kind's ingress-nginx with its admission webhook: the certificate Jobs make the Secret as
/// their ServiceAccount and patch its CA into the webhook configuration, the controller leads
/// through its Lease, and an Ingress for a host and path already served is denied.
#[test]
fn ingress_nginx_webhook_is_set_up_by_its_jobs() {
    let mut c = Cluster::new(ClusterConfig { ingress: true, ..ClusterConfig::default() });
    let ingress = |name: &str| {
        format!("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}}}\nspec:\n  ingressClassName: nginx\n  rules: [{{host: a.example, http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: s, port: {{number: 80}}}}}}}}]}}}}]\n")
    };
    let early = apply_text(&mut c, &ingress("early"), "i.yaml", "default");
    assert!(matches!(&early[0], Err(e) if e.contains("connect: connection refused")), "{early:?}");
    c.advance(parse_duration("30s").unwrap()).unwrap();
    let api = c.api();
    let secret = api.peek(Kind::Secret, "ingress-nginx", "ingress-nginx-admission").expect("the create Job's Secret");
    let ca = secret.to_value()["data"]["ca"].clone();
    let hook = api.peek(Kind::ValidatingWebhookConfiguration, "", "ingress-nginx-admission").unwrap();
    assert_eq!(hook.to_value()["webhooks"][0]["clientConfig"]["caBundle"], ca);
    let lease = api.peek(Kind::Lease, "ingress-nginx", "ingress-nginx-leader").expect("the leader's Lease");
    assert!(lease.to_value()["spec"]["holderIdentity"].as_str().unwrap().starts_with("ingress-nginx-controller-"));
    let writers: Vec<String> = api
        .audit_log()
        .iter()
        .filter(|r| r.verb == "create" && r.resource == "secrets" && r.namespace == "ingress-nginx")
        .map(|r| format!("{} {}", r.user, r.code))
        .collect();
    assert_eq!(writers, ["system:serviceaccount:ingress-nginx:ingress-nginx-admission 201"]);
    assert_eq!(
        apply_text(&mut c, &ingress("first"), "i.yaml", "default"),
        [Ok("ingress.networking.k8s.io/first created".to_string())]
    );
    let second = apply_text(&mut c, &ingress("second"), "i.yaml", "default");
    assert_eq!(
        second,
        [Err("Error from server (BadRequest): error when creating \"i.yaml\": admission webhook \"validate.nginx.ingress.kubernetes.io\" denied the request: host \"a.example\" and path \"/\" is already defined in ingress default/first".to_string())]
    );

    // The leader's pod goes: its replacement takes the Lease once it has not been renewed for
    // its 30s, and then writes the address.
    let holder = |c: &mut Cluster| {
        let lease = c.api().peek(Kind::Lease, "ingress-nginx", "ingress-nginx-leader").unwrap();
        lease.to_value()["spec"]["holderIdentity"].as_str().unwrap_or("").to_string()
    };
    let first = holder(&mut c);
    c.api()
        .delete("test", Kind::Pod, "ingress-nginx", &first, controlplane::apiserver::DeleteOptions::default())
        .unwrap();
    c.advance(parse_duration("20s").unwrap()).unwrap();
    assert_eq!(holder(&mut c), first, "the Lease is held until it runs out");
    c.advance(parse_duration("20s").unwrap()).unwrap();
    let second = holder(&mut c);
    assert!(second != first && second.starts_with("ingress-nginx-controller-"), "{second}");
    let lease = c.api().peek(Kind::Lease, "ingress-nginx", "ingress-nginx-leader").unwrap();
    assert_eq!(lease.to_value()["spec"]["leaseTransitions"], 1);
}
