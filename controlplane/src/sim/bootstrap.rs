//! The default cluster, as kubeadm (or kind) leaves it: a tainted control-plane node and
//! worker nodes, the system namespaces, the control plane as static pods, kube-proxy and
//! CoreDNS, the `kubernetes` and `kube-dns` Services, and the system priority classes.

use serde_json::json;

use super::cluster::Cluster;
use super::undo::Undo;
use crate::apiserver::error::quote;
use crate::apiserver::{registry, ApiError, ApiServer, FieldError};
use crate::model::value_de::{self, api_quantity};
use crate::model::{decode, decode::decode_one, Kind, Object};
use crate::node::kubelet::{mirror, Kubelets};

/// The audit user of everything the bootstrap writes.
pub const USER: &str = "kubeadm";
pub const KUBERNETES_VERSION: &str = "v1.33.0";
pub const CONTROL_PLANE: &str = "control-plane";

/// A node to create: its name, capacity, labels and taints.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    pub name: String,
    pub cpu: String,
    pub memory: String,
    pub pods: String,
    pub labels: Vec<(String, String)>,
    /// `key=value:Effect` or `key:Effect`.
    pub taints: Vec<(String, String, String)>,
    pub control_plane: bool,
}

impl NodeSpec {
    /// The capacity it is given: cpu, memory and pods with their text.
    pub fn capacity(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [("cpu", self.cpu.as_str()), ("memory", self.memory.as_str()), ("pods", self.pods.as_str())].into_iter()
    }

    pub fn worker(name: &str, cpu: &str, memory: &str, pods: &str) -> Self {
        NodeSpec {
            name: name.into(),
            cpu: cpu.into(),
            memory: memory.into(),
            pods: pods.into(),
            labels: Vec::new(),
            taints: Vec::new(),
            control_plane: false,
        }
    }
}

pub fn bootstrap(cluster: &mut Cluster) {
    let config = cluster.config().clone();
    let mut control_plane = NodeSpec::worker(CONTROL_PLANE, &config.cpu, &config.memory, &config.pods);
    control_plane.control_plane = true;
    if config.ingress {
        // kind's ingress guide labels the node whose ports 80 and 443 the host maps.
        let (k, v) = crate::network::ingress::manifest::NODE_LABEL;
        control_plane.labels.push((k.into(), v.into()));
    }
    let mut nodes = vec![control_plane];
    for i in 1..=config.workers {
        nodes.push(NodeSpec::worker(&format!("node-{i}"), &config.cpu, &config.memory, &config.pods));
    }
    for (index, node) in nodes.iter_mut().enumerate() {
        launch_instance(cluster, node, index);
    }
    let api = cluster.api();
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        create(api, "", &format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}"));
    }
    // ServiceAccount admission needs the default accounts before any pod exists.
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        create(api, ns, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}");
    }
    for sa in ["kube-proxy", "coredns"] {
        create(api, "kube-system", &format!("apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: {sa}}}"));
    }
    for (name, value, desc) in [
        ("system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
        ("system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their current node."),
    ] {
        create(api, "", &format!("apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: {name}}}\nvalue: {value}\ndescription: \"{desc}\"\npreemptionPolicy: PreemptLowerPriority"));
    }
    for (index, node) in nodes.iter().enumerate() {
        add_node(api, node, index);
    }
    let statics = static_pods(api);
    services(api);
    addons(api);
    if config.ingress {
        let objects = crate::network::ingress::manifest::objects();
        for obj in objects.unwrap_or_else(|e| panic!("ingress-nginx manifest: {e}")) {
            let namespace = obj.namespace().to_string();
            api.create(USER, &namespace, obj).unwrap_or_else(|e| panic!("ingress-nginx manifest: {e}"));
        }
    }
    if let Some(kubelets) = cluster.component_mut::<Kubelets>() {
        kubelets.set_static_pods(CONTROL_PLANE, statics);
    }
}

/// In a cloud (`cloud: true`), a node's machine is made before its kubelet registers, and the
/// kubelet (`--cloud-provider=external`) registers the Node with the uninitialized taint, which
/// the cloud node controller removes once it has filled in what the cloud knows.
pub fn launch_instance(cluster: &Cluster, spec: &mut NodeSpec, index: usize) {
    if let Some(mut cloud) = cluster.cloud() {
        cloud.launch_instance(&spec.name, &node_ip(index));
        let taint = crate::controllers::cloud::UNINITIALIZED_TAINT;
        spec.taints.push((taint.to_string(), "true".to_string(), "NoSchedule".to_string()));
    }
}

/// The lowest node index whose pod CIDR no node has: the node IPAM controller hands out the
/// first free range, so a node added after one was removed takes its range.
pub fn free_node_index(api: &ApiServer) -> usize {
    let used: std::collections::BTreeSet<String> = api
        .peek_list(Kind::Node, None)
        .iter()
        .filter_map(|n| match &**n {
            Object::Node(n) => n.spec.as_ref().and_then(|s| s.pod_cidr.clone()),
            _ => None,
        })
        .collect();
    (0..).find(|i| !used.contains(&pod_cidr(*i))).unwrap_or(0)
}

/// A node joining the running cluster: registered as its kubelet does (the DaemonSet
/// controller then gives it its daemon pods). All or nothing: if a step fails, what the
/// earlier ones wrote is taken back.
pub fn join_node(api: &mut ApiServer, spec: &NodeSpec, index: usize) -> Result<Object, ApiError> {
    let mut undo = Undo::new(USER);
    match register_node(api, spec, index, &mut undo) {
        Ok(node) => Ok(node),
        Err(e) => {
            undo.rollback(api);
            Err(e)
        }
    }
}

fn create(api: &mut ApiServer, namespace: &str, yaml: &str) -> Object {
    let obj = decode_one(yaml).unwrap_or_else(|e| panic!("bootstrap manifest: {e}\n{yaml}"));
    (*api.create(USER, namespace, obj).unwrap_or_else(|e| panic!("bootstrap create: {e}\n{yaml}"))).clone()
}

/// Write `status` as the object's status (PUT .../status), as the component that owns it would.
pub(super) fn set_status(api: &mut ApiServer, obj: &Object, status: serde_json::Value) -> Result<(), ApiError> {
    let mut doc = obj.to_value();
    doc["status"] = status;
    let mut obj = decode(doc).map_err(|e| ApiError::bad_request(e.to_string()))?;
    obj.set_resource_version(None);
    api.update_status(USER, obj).map(|_| ())
}

/// The InternalIP of the node with this index (0 is the control plane), as kind numbers them.
pub fn node_ip(index: usize) -> String {
    let n = index + 2;
    format!("172.18.{}.{}", (n / 256) % 256, n % 256)
}

/// The pod CIDR of the node with this index: 10.244.<index>.0/24, continuing into 10.245.0.0/16
/// and beyond past 256 nodes (a real cluster would need a larger `--cluster-cidr` there).
pub fn pod_cidr(index: usize) -> String {
    format!("10.{}.{}.0/24", 244 + (index / 256) % 12, index % 256)
}

/// Register a node (as its kubelet does on start) with Ready status. `index` picks its IP
/// and its pod CIDR (10.244.<index>.0/24). For the default layout, which cannot fail.
pub fn add_node(api: &mut ApiServer, spec: &NodeSpec, index: usize) -> Object {
    try_add_node(api, spec, index).unwrap_or_else(|e| panic!("bootstrap node {}: {e}", spec.name))
}

/// Register a node, or say why the API server refused it (a bad label, a bad quantity, ...).
/// Nothing is left behind on failure.
pub fn try_add_node(api: &mut ApiServer, spec: &NodeSpec, index: usize) -> Result<Object, ApiError> {
    let mut undo = Undo::new(USER);
    register_node(api, spec, index, &mut undo).inspect_err(|_| undo.rollback(api))
}

/// The Node with its status and its Lease, each write noted in `undo`.
fn register_node(api: &mut ApiServer, spec: &NodeSpec, index: usize, undo: &mut Undo) -> Result<Object, ApiError> {
    let mut labels = serde_json::Map::new();
    for (k, v) in [
        ("beta.kubernetes.io/arch", "amd64"),
        ("beta.kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", "amd64"),
        ("kubernetes.io/hostname", spec.name.as_str()),
        ("kubernetes.io/os", "linux"),
    ] {
        labels.insert(k.into(), json!(v));
    }
    if spec.control_plane {
        labels.insert("node-role.kubernetes.io/control-plane".into(), json!(""));
        labels.insert("node.kubernetes.io/exclude-from-external-load-balancers".into(), json!(""));
    }
    for (k, v) in &spec.labels {
        labels.insert(k.clone(), json!(v));
    }
    let mut taints: Vec<serde_json::Value> = spec
        .taints
        .iter()
        .map(|(k, v, e)| json!({"key": k, "value": if v.is_empty() { None } else { Some(v) }, "effect": e}))
        .collect();
    if spec.control_plane {
        taints.push(json!({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}));
    }
    let cidr = pod_cidr(index);
    let doc = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": spec.name, "labels": labels, "annotations": {
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr], "taints": if taints.is_empty() { None } else { Some(taints) }},
    });
    let bad = |e: crate::model::DecodeError| ApiError::bad_request(e.to_string());
    let t = api.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let condition = |type_: &str, status: &str, reason: &str, message: &str| json!({"type": type_, "status": status, "reason": reason, "message": message, "lastHeartbeatTime": t, "lastTransitionTime": t});
    let resources = json!({"cpu": spec.cpu, "memory": spec.memory, "pods": spec.pods, "ephemeral-storage": "100Gi", "hugepages-1Gi": "0", "hugepages-2Mi": "0"});
    let errs: Vec<FieldError> = spec.capacity().filter_map(|(resource, text)| capacity_error(resource, text)).collect();
    if !errs.is_empty() {
        return Err(ApiError::invalid(Kind::Node.info(), &spec.name, errs));
    }
    let status = json!({
        "capacity": resources, "allocatable": resources,
        "conditions": [
            condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        "addresses": [{"type": "InternalIP", "address": node_ip(index)}, {"type": "Hostname", "address": spec.name}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "architecture": "amd64", "bootID": format!("boot-{}", spec.name), "containerRuntimeVersion": "containerd://2.0.3",
            "kernelVersion": "6.8.0-kubesim", "kubeProxyVersion": "", "kubeletVersion": KUBERNETES_VERSION,
            "machineID": format!("machine-{}", spec.name), "operatingSystem": "linux",
            "osImage": "Debian GNU/Linux 12 (bookworm)", "systemUUID": format!("uuid-{}", spec.name)},
    });
    let node = api.create(USER, "", decode(doc).map_err(bad)?)?;
    undo.created(&node);
    set_status(api, &node, status)?;
    // The kubelet's Lease is owned by its Node, so that it goes with the Node.
    let owner =
        serde_json::to_value(mirror::node_owner(&node, false)).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let lease = decode(json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": spec.name, "namespace": "kube-node-lease", "ownerReferences": [owner]},
        "spec": {"holderIdentity": spec.name, "leaseDurationSeconds": 40, "renewTime": api.now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()}}))
    .map_err(bad)?;
    match api.peek(Kind::Lease, "kube-node-lease", &spec.name) {
        None => undo.created(&api.create(USER, "kube-node-lease", lease)?),
        // A Lease an earlier node of that name left: the kubelet takes it over.
        Some(old) => {
            api.update(USER, lease)?;
            undo.replaced(old);
        }
    }
    let registered =
        api.peek(Kind::Node, "", &spec.name).ok_or_else(|| ApiError::not_found(Kind::Node.info(), &spec.name))?;
    Ok((*registered).clone())
}

/// Why a node cannot have `text` as its capacity of `resource`, as the API server would say:
/// a quantity it decodes (within 2^63-1), not negative, whole for pods.
pub fn capacity_error(resource: &str, text: &str) -> Option<FieldError> {
    let field = format!("status.capacity.{resource}");
    match api_quantity(text, &field) {
        Err(value_de::Error::OutOfRange(e)) => Some(FieldError::invalid(field, quote(&e.value), e.detail())),
        Err(e) => Some(FieldError::invalid(field, quote(text), e.to_string())),
        Ok(q) => {
            let mut errs = Vec::new();
            registry::quantity_value(resource, &q.to_k8s(), &field, &mut errs);
            errs.into_iter().next()
        }
    }
}

/// The control plane as static pods, from the manifests kubeadm writes, with the mirror pods
/// the control-plane node's kubelet makes for them. Returns the static pods, for that kubelet.
fn static_pods(api: &mut ApiServer) -> Vec<Object> {
    let node = api.peek(Kind::Node, "", CONTROL_PLANE).expect("the control-plane node registers first");
    let seen = api.now();
    let mut statics = Vec::new();
    // kubeadm's requests: etcd 100m and 100Mi, the API server 250m, the controller manager
    // 200m, the scheduler 100m (so the pods are Burstable).
    let images = [
        ("etcd", "registry.k8s.io/etcd:3.5.21-0".to_string(), "etcd", json!({"cpu": "100m", "memory": "100Mi"})),
        (
            "kube-apiserver",
            format!("registry.k8s.io/kube-apiserver:{KUBERNETES_VERSION}"),
            "kube-apiserver",
            json!({"cpu": "250m"}),
        ),
        (
            "kube-controller-manager",
            format!("registry.k8s.io/kube-controller-manager:{KUBERNETES_VERSION}"),
            "kube-controller-manager",
            json!({"cpu": "200m"}),
        ),
        (
            "kube-scheduler",
            format!("registry.k8s.io/kube-scheduler:{KUBERNETES_VERSION}"),
            "kube-scheduler",
            json!({"cpu": "100m"}),
        ),
    ];
    for (component, image, command, requests) in images {
        let doc = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": component, "namespace": "kube-system",
                "labels": {"component": component, "tier": "control-plane"}},
            "spec": {"hostNetwork": true, "priorityClassName": "system-node-critical", "priority": 2000001000,
                "automountServiceAccountToken": false,
                "containers": [{"name": component, "image": image, "command": [command], "resources": {"requests": requests}}]},
        });
        let Ok(Object::Pod(manifest)) = decode(doc) else { panic!("the {component} manifest decodes") };
        let pod =
            Object::Pod(Box::new(mirror::static_pod(*manifest, &format!("{component}.yaml"), CONTROL_PLANE, seen)));
        // The control-plane node's kubelet runs them (their images are preloaded, as in kind).
        api.create(USER, "kube-system", mirror::mirror_pod(&pod, &node)).expect("the mirror pod is created");
        statics.push(pod);
    }
    statics
}

fn services(api: &mut ApiServer) {
    let kubernetes = crate::controllers::kubernetesservice::ensure(api, USER);
    kubernetes.expect("the kubernetes Service is created");
    let ip = crate::controllers::kubernetesservice::advertise_address();
    let endpoints = crate::controllers::kubernetesservice::endpoints::reconcile(api, USER, &ip, |_| None);
    endpoints.expect("the kubernetes Service's endpoints are created");
    create(api, "kube-system", "apiVersion: v1\nkind: Service\nmetadata: {name: kube-dns, labels: {k8s-app: kube-dns, kubernetes.io/cluster-service: \"true\", kubernetes.io/name: CoreDNS}}\nspec: {clusterIP: 10.96.0.10, selector: {k8s-app: kube-dns}, ports: [{name: dns, port: 53, protocol: UDP, targetPort: 53}, {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}, {name: metrics, port: 9153, protocol: TCP, targetPort: 9153}]}");
}

/// kube-proxy (a DaemonSet) and CoreDNS (a Deployment), as kubeadm installs them.
fn addons(api: &mut ApiServer) {
    create(
        api,
        "kube-system",
        r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, labels: {k8s-app: kube-proxy}}
spec:
  selector: {matchLabels: {k8s-app: kube-proxy}}
  template:
    metadata: {labels: {k8s-app: kube-proxy}}
    spec:
      serviceAccountName: kube-proxy
      hostNetwork: true
      priorityClassName: system-node-critical
      nodeSelector: {kubernetes.io/os: linux}
      tolerations: [{operator: Exists}]
      containers:
      - name: kube-proxy
        image: registry.k8s.io/kube-proxy:v1.33.0
        command: [/usr/local/bin/kube-proxy, --config=/var/lib/kube-proxy/config.conf, --hostname-override=$(NODE_NAME)]
        env: [{name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}]
        securityContext: {privileged: true}
"#,
    );
    create(
        api,
        "kube-system",
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, labels: {k8s-app: kube-dns}}
spec:
  replicas: 2
  selector: {matchLabels: {k8s-app: kube-dns}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      nodeSelector: {kubernetes.io/os: linux}
      tolerations: [{key: CriticalAddonsOnly, operator: Exists}, {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
      containers:
      - name: coredns
        image: registry.k8s.io/coredns/coredns:v1.12.0
        args: [-conf, /etc/coredns/Corefile]
        ports: [{containerPort: 53, name: dns, protocol: UDP}, {containerPort: 53, name: dns-tcp, protocol: TCP}, {containerPort: 9153, name: metrics, protocol: TCP}]
        resources: {limits: {memory: 170Mi}, requests: {cpu: 100m, memory: 70Mi}}
"#,
    );
}
