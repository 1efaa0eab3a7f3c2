//! Golden tests: a cluster built from manifests (statuses set through the API server, a few
//! events recorded), `kubectl describe ...` run on it, and the whole output compared with
//! `controlplane/tests/expected/describe/NAME.txt`. `UPDATE_EXPECT=1` rewrites the files.

use crate::client::InProcess;
use std::path::PathBuf;

use chrono::Duration;
use serde_json::{json, Value};

use crate::apiserver::k8s_time;
use crate::kubectl::apply::apply_text;
use crate::model::{decode, Kind, Object};
use crate::sim::{Cluster, ClusterConfig};

const USER: &str = "test";

/// The one check: describe `args` on `cluster` and compare with the expected file `name`.
#[track_caller]
fn check(cluster: &mut Cluster, args: &str, name: &str) {
    let words: Vec<&str> = args.split_whitespace().collect();
    let got = match InProcess::as_kubectl(cluster, |c, w| super::run(c, w, &words)) {
        Ok(text) => text,
        Err(text) => format!("{text}\n[exit 1]\n"),
    };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/expected/describe").join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create the expected directory");
        std::fs::write(&path, &got).expect("write the expected file");
        return;
    }
    let want =
        std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("no {} (UPDATE_EXPECT=1 writes it)", path.display()));
    assert!(
        got == want,
        "kubectl describe {args}: output differs from {}\n--- got:\n{got}--- want:\n{want}",
        path.display()
    );
}

/// A default cluster with `manifests` applied (each must apply). Its kubelets are stopped
/// once the static pods run, and its workload controllers are off, so that the pods and
/// statuses the tests write stay as they are.
fn cluster(manifests: &str) -> Cluster {
    cluster_with(
        &[
            "*",
            "-replicaset-controller",
            "-replicationcontroller-controller",
            "-deployment-controller",
            "-job-controller",
            "-cronjob-controller",
        ],
        manifests,
    )
}

/// The default cluster as it starts, every controller on (CoreDNS's pods come from its
/// Deployment), its kubelets stopped once its pods run.
fn default_cluster() -> Cluster {
    cluster_with(&["*"], "")
}

fn cluster_with(controllers: &[&str], manifests: &str) -> Cluster {
    let controllers = controllers.iter().map(|c| c.to_string()).collect();
    let mut c = Cluster::new(ClusterConfig { controllers, ..Default::default() });
    if let Some(kubelets) = c.component_mut::<crate::node::kubelet::Kubelets>() {
        for node in kubelets.node_names() {
            kubelets.stop(&node);
        }
    }
    if !manifests.trim().is_empty() {
        for outcome in apply_text(&mut c, manifests, "test.yaml", "default") {
            outcome.unwrap_or_else(|e| panic!("{e}"));
        }
    }
    c
}

fn get(c: &mut Cluster, kind: Kind, ns: &str, name: &str) -> Value {
    c.api().get(USER, kind, ns, name).unwrap_or_else(|e| panic!("{e}")).to_value()
}

/// Replace an object's status through the API server's status subresource.
fn set_status(c: &mut Cluster, kind: Kind, ns: &str, name: &str, status: Value) {
    let mut doc = get(c, kind, ns, name);
    doc["status"] = status;
    let mut obj = decode(doc).unwrap_or_else(|e| panic!("{e}"));
    obj.metadata_mut().resource_version = None;
    c.api().update_status(USER, obj).unwrap_or_else(|e| panic!("{e}"));
    c.settle().expect("settles");
}

fn uid(c: &mut Cluster, kind: Kind, ns: &str, name: &str) -> String {
    get(c, kind, ns, name)["metadata"]["uid"].as_str().unwrap_or("").to_string()
}

/// `ownerReferences` naming the controlling object.
fn owned_by(c: &mut Cluster, kind: Kind, ns: &str, name: &str) -> Value {
    let info = kind.info();
    json!([{"apiVersion": info.api_version(), "kind": info.name, "name": name, "uid": uid(c, kind, ns, name),
        "controller": true, "blockOwnerDeletion": true}])
}

/// A core/v1 Event about an object, as a component records one: first seen `first` ago, last
/// seen `last` ago, `count` times.
#[allow(clippy::too_many_arguments)]
fn event(
    c: &mut Cluster,
    kind: Kind,
    ns: &str,
    name: &str,
    type_: &str,
    reason: &str,
    from: &str,
    message: &str,
    (first, last, count): (i64, i64, i32),
) {
    let object = get(c, kind, ns, name);
    let now = c.now();
    let seq = c.api().list(USER, Kind::Event, None, |_| true).items.len();
    let event_ns = if ns.is_empty() { "default" } else { ns };
    let doc = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{name}.{seq}"), "namespace": event_ns},
        "involvedObject": {"apiVersion": kind.info().api_version(), "kind": kind.info().name, "name": name,
            "namespace": if ns.is_empty() { None } else { Some(ns) }, "uid": object["metadata"]["uid"]},
        "type": type_, "reason": reason, "message": message, "source": {"component": from},
        "firstTimestamp": k8s_time(now - Duration::seconds(first)), "lastTimestamp": k8s_time(now - Duration::seconds(last)),
        "count": count,
    });
    let obj: Object = decode(doc).unwrap_or_else(|e| panic!("{e}"));
    c.api().create(USER, event_ns, obj).unwrap_or_else(|e| panic!("{e}"));
}

fn advance(c: &mut Cluster, seconds: i64) {
    c.advance(Duration::seconds(seconds)).expect("advances");
}

const WEB_POD: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {mode: production}
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: front}
  annotations: {team: shop}
spec:
  nodeName: node-1
  containers:
  - name: nginx
    image: nginx:1.27
    command: [nginx, -g, daemon off;]
    ports: [{containerPort: 80}]
    resources:
      requests: {cpu: 250m, memory: 64Mi}
      limits: {cpu: 500m, memory: 128Mi}
    env:
    - {name: MODE, valueFrom: {configMapKeyRef: {name: web-config, key: mode}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: GREETING, value: hello}
    readinessProbe: {httpGet: {path: /healthz, port: 80}}
    volumeMounts: [{name: cache, mountPath: /cache}]
  volumes:
  - {name: cache, emptyDir: {}}
"#;

fn running_web() -> Cluster {
    let mut c = cluster(WEB_POD);
    advance(&mut c, 2);
    let started = k8s_time(c.now());
    let crashed = k8s_time(c.now() - Duration::seconds(2));
    set_status(
        &mut c,
        Kind::Pod,
        "default",
        "web",
        json!({
            "phase": "Running", "hostIP": "172.18.0.3", "hostIPs": [{"ip": "172.18.0.3"}],
            "podIP": "10.244.1.5", "podIPs": [{"ip": "10.244.1.5"}], "startTime": started, "qosClass": "Burstable",
            "conditions": [
                {"type": "PodReadyToStartContainers", "status": "True"}, {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": "True"}, {"type": "ContainersReady", "status": "True"},
                {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": "nginx", "image": "nginx:1.27", "imageID": "docker.io/library/nginx@sha256:0a1b",
                "containerID": "containerd://3f2e", "ready": true, "started": true, "restartCount": 1,
                "state": {"running": {"startedAt": started}},
                "lastState": {"terminated": {"exitCode": 137, "reason": "Error", "startedAt": crashed, "finishedAt": started}}}],
        }),
    );
    advance(&mut c, 300);
    event(
        &mut c,
        Kind::Pod,
        "default",
        "web",
        "Normal",
        "Scheduled",
        "default-scheduler",
        "Successfully assigned default/web to node-1",
        (302, 302, 1),
    );
    event(
        &mut c,
        Kind::Pod,
        "default",
        "web",
        "Normal",
        "Pulled",
        "kubelet",
        "Container image \"nginx:1.27\" already present on machine",
        (300, 120, 3),
    );
    event(
        &mut c,
        Kind::Pod,
        "default",
        "web",
        "Warning",
        "BackOff",
        "kubelet",
        "Back-off restarting failed container nginx in pod web_default",
        (200, 200, 1),
    );
    c
}

#[test]
fn pod_running_with_events() {
    let mut c = running_web();
    check(&mut c, "pod web", "pod-running");
}

#[test]
fn pod_pending_without_node_or_events() {
    // A pod for a scheduler that does not run stays unassigned, with no events.
    let mut c = cluster("apiVersion: v1\nkind: Pod\nmetadata: {name: lonely}\nspec: {schedulerName: my-scheduler, containers: [{name: app, image: busybox, args: [sleep, '3600']}]}\n");
    advance(&mut c, 45);
    check(&mut c, "pods lonely", "pod-pending");
}

#[test]
fn pod_with_init_container_and_terminated_state() {
    let mut c = cluster(
        r#"
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Pod
metadata: {name: batch-1}
spec:
  restartPolicy: Never
  nodeName: node-2
  priorityClassName: system-cluster-critical
  initContainers:
  - {name: wait, image: busybox, command: [sh, -c, 'until nslookup db; do sleep 1; done']}
  containers:
  - name: work
    image: busybox
    command: [sh, -c, exit 3]
    env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}]
    envFrom: [{configMapRef: {name: settings, optional: true}, prefix: CFG_}]
    resources: {limits: {cpu: '1', memory: 1Gi}}
    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, initialDelaySeconds: 5}
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: data}}
  - {name: conf, configMap: {name: settings}}
  - {name: creds, secret: {secretName: db}}
  - {name: host, hostPath: {path: /var/log, type: Directory}}
  tolerations: [{operator: Exists}, {key: dedicated, operator: Equal, value: batch, effect: NoSchedule}]
  nodeSelector: {disk: ssd}
"#,
    );
    advance(&mut c, 10);
    let t = |s: i64| k8s_time(c.now() - Duration::seconds(s));
    let (t10, t8, t5) = (t(10), t(8), t(5));
    set_status(
        &mut c,
        Kind::Pod,
        "default",
        "batch-1",
        json!({
            "phase": "Failed", "hostIP": "172.18.0.4", "podIP": "10.244.2.7", "podIPs": [{"ip": "10.244.2.7"}], "startTime": t10,
            "qosClass": "Guaranteed",
            "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "False"}],
            "initContainerStatuses": [{"name": "wait", "image": "busybox", "imageID": "", "ready": true, "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": t10, "finishedAt": t8}}}],
            "containerStatuses": [{"name": "work", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0,
                "state": {"terminated": {"exitCode": 3, "reason": "Error", "message": "exit status 3", "startedAt": t8, "finishedAt": t5}}}],
        }),
    );
    check(&mut c, "pod/batch-1", "pod-failed-init");
}

#[test]
fn pod_waiting_and_terminating() {
    let mut c = cluster("apiVersion: v1\nkind: Pod\nmetadata: {name: stuck}\nspec: {nodeName: node-3, terminationGracePeriodSeconds: 30, containers: [{name: app, image: nginx:nope}]}\n");
    set_status(
        &mut c,
        Kind::Pod,
        "default",
        "stuck",
        json!({"phase": "Pending", "hostIP": "172.18.0.5", "qosClass": "BestEffort",
            "containerStatuses": [{"name": "app", "image": "nginx:nope", "imageID": "", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}]}),
    );
    event(
        &mut c,
        Kind::Pod,
        "default",
        "stuck",
        "Warning",
        "Failed",
        "kubelet",
        "Failed to pull image \"nginx:nope\": not found",
        (0, 0, 1),
    );
    c.api().delete(USER, Kind::Pod, "default", "stuck", Default::default()).expect("deletes");
    advance(&mut c, 12);
    check(&mut c, "pod stuck", "pod-terminating");
}

#[test]
fn static_pod_events_are_found_by_the_mirror_uid() {
    let mut c = default_cluster();
    // The kubelet records events about the static pod, whose uid the mirror annotation holds.
    advance(&mut c, 600);
    check(&mut c, "pod etcd-control-plane -n kube-system", "pod-static");
}

#[test]
fn node_with_pods_lease_and_events() {
    let mut c = running_web();
    let apply = "apiVersion: v1\nkind: Pod\nmetadata: {name: side, namespace: kube-system}\nspec: {nodeName: node-1, containers: [{name: c, image: busybox, resources: {requests: {cpu: 100m, memory: 1Gi, ephemeral-storage: 1Gi}}}]}\n";
    for o in apply_text(&mut c, apply, "t.yaml", "default") {
        o.unwrap();
    }
    advance(&mut c, 60);
    // The node lifecycle controller records events under the node's uid, the kubelet under its name.
    event(
        &mut c,
        Kind::Node,
        "",
        "node-1",
        "Normal",
        "RegisteredNode",
        "node-controller",
        "Node node-1 event: Registered Node node-1 in Controller",
        (366, 366, 1),
    );
    let doc = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "node-1.kubelet", "namespace": "default"},
        "involvedObject": {"kind": "Node", "name": "node-1", "uid": "node-1"},
        "type": "Normal", "reason": "Starting", "message": "Starting kubelet.", "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": k8s_time(c.now() - Duration::seconds(367)), "lastTimestamp": k8s_time(c.now() - Duration::seconds(367)), "count": 1});
    c.api().create(USER, "default", decode(doc).unwrap()).unwrap();
    check(&mut c, "node node-1", "node");
    check(&mut c, "nodes control-plane", "node-control-plane");
}

const WEB_DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80, name: http}, {containerPort: 443, name: https}]
        resources: {requests: {cpu: 100m}}
"#;

/// A deployment in the middle of a rollout: the old ReplicaSet (nginx:1.26) scaled to 1, the
/// new one (the deployment's template) at 3, with their pods.
fn rolled_out_web() -> Cluster {
    let mut c = cluster(WEB_DEPLOYMENT);
    let owner = owned_by(&mut c, Kind::Deployment, "default", "web");
    let template = get(&mut c, Kind::Deployment, "default", "web")["spec"]["template"].clone();
    for (name, hash, replicas, image) in
        [("web-6d4cf56db6", "6d4cf56db6", 1, "nginx:1.26"), ("web-7c5ddbdf54", "7c5ddbdf54", 3, "nginx:1.27")]
    {
        let mut t = template.clone();
        t["metadata"]["labels"]["pod-template-hash"] = json!(hash);
        t["spec"]["containers"][0]["image"] = json!(image);
        let doc = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": "web", "pod-template-hash": hash},
                "annotations": {"deployment.kubernetes.io/revision": if replicas == 1 { "1" } else { "2" }},
                "ownerReferences": owner},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web", "pod-template-hash": hash}}, "template": t}});
        c.api().create(USER, "default", decode(doc).unwrap()).unwrap();
        advance(&mut c, 30);
        set_status(
            &mut c,
            Kind::ReplicaSet,
            "default",
            name,
            json!({"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas, "fullyLabeledReplicas": replicas, "observedGeneration": 1}),
        );
        let rs_owner = owned_by(&mut c, Kind::ReplicaSet, "default", name);
        for i in 0..replicas {
            let pod = format!("{name}-p{i}");
            let doc = json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": pod, "namespace": "default", "labels": {"app": "web", "pod-template-hash": hash}, "ownerReferences": rs_owner},
                "spec": t["spec"]});
            c.api().create(USER, "default", decode(doc).unwrap()).unwrap();
            let phase = if i == 2 { "Pending" } else { "Running" };
            set_status(&mut c, Kind::Pod, "default", &pod, json!({"phase": phase}));
        }
    }
    let t = k8s_time(c.now());
    set_status(
        &mut c,
        Kind::Deployment,
        "default",
        "web",
        json!({"replicas": 4, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3, "unavailableReplicas": 1, "observedGeneration": 1,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability.", "lastUpdateTime": t, "lastTransitionTime": t},
                {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated", "message": "ReplicaSet \"web-7c5ddbdf54\" is progressing.", "lastUpdateTime": t, "lastTransitionTime": t}]}),
    );
    event(
        &mut c,
        Kind::Deployment,
        "default",
        "web",
        "Normal",
        "ScalingReplicaSet",
        "deployment-controller",
        "Scaled up replica set web-6d4cf56db6 to 3",
        (60, 60, 1),
    );
    event(
        &mut c,
        Kind::Deployment,
        "default",
        "web",
        "Normal",
        "ScalingReplicaSet",
        "deployment-controller",
        "Scaled up replica set web-7c5ddbdf54 to 3 from 0",
        (30, 30, 1),
    );
    advance(&mut c, 90);
    c
}

#[test]
fn deployment_mid_rollout() {
    let mut c = rolled_out_web();
    check(&mut c, "deployment web", "deployment");
}

#[test]
fn deployment_without_replica_sets_or_status() {
    let mut c = cluster(WEB_DEPLOYMENT);
    check(&mut c, "deploy/web --show-events=false", "deployment-new");
}

#[test]
fn replica_set_with_pod_counts() {
    let mut c = rolled_out_web();
    check(&mut c, "rs web-7c5ddbdf54", "replicaset");
}

#[test]
fn daemon_set_of_the_default_cluster() {
    let mut c = default_cluster();
    check(&mut c, "ds kube-proxy -n kube-system", "daemonset");
}

#[test]
fn stateful_set_with_claim_templates() {
    let mut c = cluster(
        r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: postgres
        image: postgres:17
        env: [{name: PGDATA, value: /var/lib/postgresql/data/pgdata}]
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: standard
      resources: {requests: {storage: 1Gi}}
"#,
    );
    set_status(
        &mut c,
        Kind::StatefulSet,
        "default",
        "db",
        json!({"replicas": 2, "readyReplicas": 1, "currentReplicas": 2, "updatedReplicas": 2, "availableReplicas": 1}),
    );
    check(&mut c, "statefulset db", "statefulset");
}

#[test]
fn job_complete_and_cron_job() {
    let mut c = cluster(
        r#"
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: report, image: busybox, command: [sh, -c, 'echo done']}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 2
  parallelism: 2
  ttlSecondsAfterFinished: 100
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: perl:5.34, command: [perl, -Mbignum=bpi, -wle, print bpi(200)]}]
"#,
    );
    let start = k8s_time(c.now());
    advance(&mut c, 75);
    let done = k8s_time(c.now());
    set_status(
        &mut c,
        Kind::Job,
        "default",
        "pi",
        json!({"startTime": start, "completionTime": done, "succeeded": 2, "active": 0, "ready": 0, "terminating": 0,
        "conditions": [{"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}]}),
    );
    event(
        &mut c,
        Kind::Job,
        "default",
        "pi",
        "Normal",
        "SuccessfulCreate",
        "job-controller",
        "Created pod: pi-x7k2p",
        (75, 75, 1),
    );
    event(&mut c, Kind::Job, "default", "pi", "Normal", "Completed", "job-controller", "Job completed", (0, 0, 1));
    let scheduled = k8s_time(c.now());
    set_status(
        &mut c,
        Kind::CronJob,
        "default",
        "report",
        json!({"lastScheduleTime": scheduled,
        "active": [{"apiVersion": "batch/v1", "kind": "Job", "name": "report-28950000", "namespace": "default"}]}),
    );
    advance(&mut c, 20);
    check(&mut c, "job pi", "job");
    check(&mut c, "cronjob report", "cronjob");
}

#[test]
fn replication_controller() {
    let mut c = cluster("apiVersion: v1\nkind: ReplicationController\nmetadata: {name: legacy}\nspec: {replicas: 2, selector: {app: legacy}, template: {metadata: {labels: {app: legacy}}, spec: {containers: [{name: c, image: nginx}]}}}\n");
    set_status(&mut c, Kind::ReplicationController, "default", "legacy", json!({"replicas": 0}));
    check(&mut c, "rc legacy", "replicationcontroller");
}

#[test]
fn services_with_endpoint_slices() {
    let mut c = running_web();
    let manifests = r#"
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, nodePort: 30080}
  - {name: metrics, port: 9090, targetPort: metrics}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abcde, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}, {name: metrics, port: 9090, protocol: TCP}]
endpoints:
- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-1, targetRef: {kind: Pod, name: web, namespace: default}}
- {addresses: [10.244.2.6], conditions: {ready: true}, nodeName: node-2}
- {addresses: [10.244.3.7], conditions: {ready: false}, nodeName: node-3}
- {addresses: [10.244.3.8]}
- {addresses: [10.244.1.9], conditions: {ready: true}}
"#;
    for o in apply_text(&mut c, manifests, "t.yaml", "default") {
        o.unwrap();
    }
    check(&mut c, "svc web", "service-nodeport");
    check(&mut c, "service kubernetes", "service-kubernetes");
    check(&mut c, "endpointslice web-abcde", "endpointslice");
}

#[test]
fn endpoints_subsets() {
    let mut c = cluster("apiVersion: v1\nkind: Endpoints\nmetadata: {name: ext}\nsubsets:\n- addresses: [{ip: 192.168.0.10}, {ip: 192.168.0.11}]\n  notReadyAddresses: [{ip: 192.168.0.12}]\n  ports: [{name: db, port: 5432, protocol: TCP}]\n- addresses: [{ip: 192.168.0.20}]\n  ports: [{port: 80, protocol: TCP}]\n");
    check(&mut c, "endpoints ext", "endpoints");
}

#[test]
fn namespaces_with_and_without_quotas() {
    let mut c = cluster(
        r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: shop}
spec: {hard: {requests.cpu: '2', limits.memory: 4Gi, pods: '10'}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: best-effort, namespace: shop}
spec: {hard: {pods: '5'}, scopes: [BestEffort]}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 512Mi}
    defaultRequest: {cpu: 100m}
    max: {cpu: '2'}
    maxLimitRequestRatio: {cpu: '4'}
  - type: Pod
    max: {memory: 2Gi}
"#,
    );
    set_status(
        &mut c,
        Kind::ResourceQuota,
        "shop",
        "compute",
        json!({"hard": {"requests.cpu": "2", "limits.memory": "4Gi", "pods": "10"}, "used": {"requests.cpu": "250m", "limits.memory": "0", "pods": "1"}}),
    );
    set_status(
        &mut c,
        Kind::ResourceQuota,
        "shop",
        "best-effort",
        json!({"hard": {"pods": "5"}, "used": {"pods": "0"}}),
    );
    check(&mut c, "namespace default", "namespace-default");
    check(&mut c, "ns shop", "namespace-quotas");
    check(&mut c, "quota compute -n shop", "resourcequota");
    check(&mut c, "quota best-effort -n shop", "resourcequota-scopes");
    check(&mut c, "limitrange defaults -n shop", "limitrange");
}

#[test]
fn config_maps_secrets_and_service_accounts() {
    let mut c = cluster(
        r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, labels: {app: web}}
data:
  mode: production
  nginx.conf: |
    server {
      listen 80;
    }
binaryData: {logo.png: iVBORw0KGgo=}
---
apiVersion: v1
kind: Secret
metadata: {name: db}
type: Opaque
stringData: {password: s3cret, user: admin}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder}
secrets: [{name: db}, {name: gone}]
imagePullSecrets: [{name: registry}]
"#,
    );
    event(&mut c, Kind::ConfigMap, "default", "settings", "Normal", "Updated", "test", "edited", (0, 0, 1));
    check(&mut c, "cm settings", "configmap");
    check(&mut c, "secret db", "secret");
    check(&mut c, "sa builder", "serviceaccount");
    check(&mut c, "serviceaccount default", "serviceaccount-default");
}

#[test]
fn storage_volumes_claims_and_classes() {
    let mut c = running_web();
    let manifests = r#"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: standard, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: rancher.io/local-path
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-data}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  storageClassName: standard
  claimRef: {namespace: default, name: data}
  hostPath: {path: /mnt/data}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [node-1, node-2]}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-nfs}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteMany]
  persistentVolumeReclaimPolicy: Recycle
  nfs: {server: 172.17.0.2, path: /exports}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  volumeName: pv-data
  resources: {requests: {storage: 5Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: waiting}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0}
spec:
  containers: [{name: db, image: postgres, volumeMounts: [{name: data, mountPath: /data, subPath: pg}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
"#;
    for o in apply_text(&mut c, manifests, "t.yaml", "default") {
        o.unwrap();
    }
    set_status(&mut c, Kind::PersistentVolume, "", "pv-data", json!({"phase": "Bound"}));
    set_status(&mut c, Kind::PersistentVolume, "", "pv-nfs", json!({"phase": "Available"}));
    set_status(
        &mut c,
        Kind::PersistentVolumeClaim,
        "default",
        "data",
        json!({"phase": "Bound", "accessModes": ["ReadWriteOnce", "ReadOnlyMany"], "capacity": {"storage": "5Gi"}}),
    );
    set_status(&mut c, Kind::PersistentVolumeClaim, "default", "waiting", json!({"phase": "Pending"}));
    event(
        &mut c,
        Kind::PersistentVolumeClaim,
        "default",
        "waiting",
        "Normal",
        "FailedBinding",
        "persistentvolume-controller",
        "no persistent volumes available for this claim and no storage class is set",
        (40, 5, 9),
    );
    check(&mut c, "pv pv-data", "pv-hostpath");
    check(&mut c, "pv pv-nfs", "pv-nfs");
    check(&mut c, "pvc", "pvc");
    check(&mut c, "sc standard", "storageclass");
}

#[test]
fn ingresses_classes_and_network_policies() {
    let mut c = running_web();
    let manifests = r#"
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints: [{addresses: [10.244.1.5], conditions: {ready: true}}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  ingressClassName: nginx
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: grpc}}}}
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: catch-all}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-access}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {team: ops}}
      podSelector: {matchLabels: {role: admin}}
    ports: [{port: 5432}]
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
  egress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all}
spec:
  podSelector: {}
  ingress: [{}]
"#;
    for o in apply_text(&mut c, manifests, "t.yaml", "default") {
        o.unwrap();
    }
    set_status(
        &mut c,
        Kind::Ingress,
        "default",
        "shop",
        json!({"loadBalancer": {"ingress": [{"ip": "172.18.0.100"}]}}),
    );
    check(&mut c, "ingress shop", "ingress");
    check(&mut c, "ing catch-all", "ingress-default-backend");
    check(&mut c, "ingressclass nginx", "ingressclass");
    check(&mut c, "netpol db-access", "networkpolicy");
    check(&mut c, "networkpolicy allow-all", "networkpolicy-allow-all");
}

#[test]
fn autoscalers_budgets_and_priority_classes() {
    let mut c = rolled_out_web();
    let manifests = r#"
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
  - type: Resource
    resource: {name: memory, target: {type: AverageValue, averageValue: 100Mi}}
  - type: Pods
    pods: {metric: {name: requests_per_second}, target: {type: AverageValue, averageValue: "100"}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000000
description: For the shop's front end.
"#;
    for o in apply_text(&mut c, manifests, "t.yaml", "default") {
        o.unwrap();
    }
    set_status(
        &mut c,
        Kind::HorizontalPodAutoscaler,
        "default",
        "web",
        json!({"currentReplicas": 3, "desiredReplicas": 3,
        "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 45, "averageValue": "45m"}}}],
        "conditions": [
            {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale", "message": "recommended size matches current size"},
            {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound", "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)"}]}),
    );
    set_status(
        &mut c,
        Kind::PodDisruptionBudget,
        "default",
        "web",
        json!({"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 3}),
    );
    check(&mut c, "hpa web", "hpa");
    check(&mut c, "pdb web", "pdb");
    check(&mut c, "priorityclass high system-node-critical", "priorityclasses");
}

#[test]
fn roles_and_bindings() {
    let mut c = cluster(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader}
rules:
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get, watch, list]
- apiGroups: [""]
  resources: [pods]
  verbs: [delete]
- apiGroups: [apps]
  resources: [deployments]
  resourceNames: [web]
  verbs: [get, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: metrics}
rules:
- nonResourceURLs: [/metrics, /healthz]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods}
subjects:
- {kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: builder, namespace: default}
roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
"#,
    );
    check(&mut c, "role pod-reader", "role");
    check(&mut c, "clusterrole metrics", "clusterrole");
    check(&mut c, "rolebinding read-pods", "rolebinding");
}

#[test]
fn generic_describer_for_leases_and_events() {
    let mut c = running_web();
    check(&mut c, "lease node-1 -n kube-node-lease", "lease");
    // Event names count the events before them; the static pods' twelve come first.
    check(&mut c, "events web.13", "event");
}

#[test]
fn several_objects_prefixes_and_errors() {
    let mut c = cluster("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-a, labels: {tier: x}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-b}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n");
    // Two objects: two newlines between descriptions.
    check(&mut c, "configmap app-a app-b --show-events=false", "several");
    // No exact match: every object whose name starts with the word, each followed by a blank line.
    check(&mut c, "cm app --show-events=false", "prefix");
    check(&mut c, "cm -l tier=x --show-events=false", "selector");
    check(&mut c, "cm app-a nope --show-events=false", "several-one-missing");
    let run = |c: &mut Cluster, args: &str| {
        InProcess::as_kubectl(c, |c, w| super::run(c, w, &args.split_whitespace().collect::<Vec<_>>()))
    };
    let not_found = Err("Error from server (NotFound): configmaps \"nope\" not found".to_string());
    assert_eq!(run(&mut c, "cm nope"), not_found);
    assert_eq!(run(&mut c, "cm/nope"), not_found);
    assert_eq!(run(&mut c, "pods"), Ok("No resources found in default namespace.".to_string()));
    assert_eq!(run(&mut c, "pods -n kube-public"), Ok("No resources found in kube-public namespace.".to_string()));
    assert_eq!(run(&mut c, "pods -A -l app=none"), Ok("No resources found".to_string()));
    assert_eq!(
        run(&mut c, ""),
        Err("error: You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.".to_string())
    );
    assert_eq!(run(&mut c, "foo bar"), Err("error: the server doesn't have a resource type \"foo\"".to_string()));
    assert_eq!(
        run(&mut c, "cm app-a -A"),
        Err("error: a resource cannot be retrieved by name across all namespaces".to_string())
    );
    assert_eq!(
        run(&mut c, "cm app-a -l a=b"),
        Err("error: name cannot be provided when a selector is specified".to_string())
    );
    assert_eq!(run(&mut c, "cm,secret app-a"), Err("error: you may only specify a single resource type".to_string()));
    assert!(run(&mut c, "node node-1 -A").is_ok(), "cluster-scoped objects can be named with -A");
    assert_eq!(run(&mut c, ", x"), Err("error: the server doesn't have a resource type \"\"".to_string()));
    // KIND/NAME forms never fall back to prefixes: one missing object hides the other's description.
    assert_eq!(run(&mut c, "cm/app-a cm/nope"), not_found);
    assert_eq!(run(&mut c, "cm/nope cm/app-a"), not_found);
    assert_eq!(
        run(&mut c, "cm nope1 nope2"),
        Err("Error from server (NotFound): configmaps \"nope1\" not found\nError from server (NotFound): configmaps \"nope2\" not found".to_string())
    );
}

#[test]
fn through_the_command_line() {
    let mut c = default_cluster();
    let text = crate::kubectl::run_line(&mut c, "kubectl describe ns kube-public", Default::default()).unwrap();
    assert!(text.starts_with("Name:         kube-public\n"), "{text}");
}

#[test]
fn the_default_cluster() {
    let mut c = default_cluster();
    advance(&mut c, 3600);
    check(&mut c, "nodes", "default-nodes");
    check(&mut c, "pods -n kube-system", "default-kube-system-pods");
    check(&mut c, "deploy coredns -n kube-system", "default-coredns");
    check(&mut c, "svc -A", "default-services");
    check(&mut c, "namespaces", "default-namespaces");
    check(&mut c, "priorityclass", "default-priorityclasses");
}

#[test]
fn events_of_the_events_api_and_series() {
    let mut c =
        cluster("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {schedulerName: my-scheduler, containers: [{name: c, image: busybox}]}\n");
    advance(&mut c, 400);
    let uid = uid(&mut c, Kind::Pod, "default", "p");
    let now = c.now();
    let micro = |s: i64| (now - Duration::seconds(s)).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    // An event recorded through events.k8s.io: eventTime and a series, no first/last timestamps.
    let doc = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.series", "namespace": "default"},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "p", "namespace": "default", "uid": uid},
        "type": "Warning", "reason": "FailedScheduling", "message": "0/4 nodes are available: 4 Insufficient cpu.  ",
        "reportingComponent": "default-scheduler", "reportingInstance": "default-scheduler-control-plane",
        "eventTime": micro(390), "series": {"count": 7, "lastObservedTime": micro(30)}, "action": "Scheduling"});
    c.api().create(USER, "default", decode(doc).unwrap()).unwrap();
    let doc = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.single", "namespace": "default"},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "p", "namespace": "default", "uid": uid},
        "type": "Normal", "reason": "Nominated", "message": "Pod should schedule on node: node-1",
        "reportingComponent": "default-scheduler", "eventTime": micro(5)});
    c.api().create(USER, "default", decode(doc).unwrap()).unwrap();
    // An event about another object of the same name is not this pod's.
    let doc = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.other", "namespace": "default"},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "p", "namespace": "default", "uid": "an-older-pod"},
        "type": "Normal", "reason": "Killing", "message": "Stopping container c", "source": {"component": "kubelet"},
        "firstTimestamp": k8s_time(now - Duration::seconds(1000)), "lastTimestamp": k8s_time(now - Duration::seconds(1000)), "count": 1});
    c.api().create(USER, "default", decode(doc).unwrap()).unwrap();
    check(&mut c, "pod p", "pod-event-series");
}

#[test]
fn assorted_fields() {
    let mut c = cluster(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: gadget, labels: {app: gadget}}
spec:
  nodeName: node-1
  readinessGates: [{conditionType: example.com/feature-1}, {conditionType: example.com/feature-2}]
  topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: gadget}}}
  - {maxSkew: 2, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}
  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: gadget:1
    args: ["--config", "line one\nline two"]
    ports: [{containerPort: 8080, hostPort: 18080, protocol: TCP}]
    securityContext: {seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}}
    livenessProbe: {tcpSocket: {port: 8080}, periodSeconds: 5, failureThreshold: 2}
    startupProbe: {grpc: {port: 9000, service: health}}
    readinessProbe: {httpGet: {host: 10.0.0.1, scheme: HTTPS, path: ready, port: https}}
    env:
    - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
    - {name: MEM_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
    - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: MULTI, value: "first\nsecond"}
    resources: {requests: {cpu: 250m}}
    volumeMounts: [{name: scratch, mountPath: /scratch}, {name: info, mountPath: /etc/info, readOnly: true}]
  volumes:
  - name: scratch
    ephemeral:
      volumeClaimTemplate:
        metadata: {labels: {type: scratch}}
        spec: {accessModes: [ReadWriteOnce], storageClassName: fast, resources: {requests: {storage: 1Gi}}}
  - name: info
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: cpu, resourceFieldRef: {containerName: main, resource: requests.cpu}}
  - name: secrets
    csi: {driver: secrets-store.csi.k8s.io, readOnly: true, volumeAttributes: {secretProviderClass: vault}}
  - name: bundle
    projected:
      sources:
      - secret: {name: tls}
      - configMap: {name: ca, optional: true}
  - name: mem
    emptyDir: {medium: Memory, sizeLimit: 64Mi}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, annotations: {note: "a very long annotation value that goes on and on and on and on and on and on and on and on and on and on and on and on and on"}}
spec:
  strategy: {type: Recreate}
  minReadySeconds: 10
  selector: {matchExpressions: [{key: app, operator: In, values: [batch, worker]}]}
  template:
    metadata: {labels: {app: batch}, annotations: {prometheus.io/scrape: "true"}}
    spec:
      serviceAccountName: builder
      priorityClassName: system-cluster-critical
      initContainers: [{name: init, image: busybox, command: ["true"]}]
      containers: [{name: work, image: busybox}]
      volumes: [{name: cfg, configMap: {name: cfg, optional: true}}]
      tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-local, annotations: {volume.beta.kubernetes.io/storage-class: local}}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOncePod]
  volumeMode: Block
  local: {path: /mnt/disks/ssd1}
  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [node-1]}]}, {matchExpressions: [{key: zone, operator: Exists}]}]}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-csi}
spec:
  capacity: {storage: 1Ti}
  accessModes: [ReadWriteMany]
  persistentVolumeReclaimPolicy: Delete
  csi: {driver: ebs.csi.aws.com, volumeHandle: vol-0abc, fsType: ext4, volumeAttributes: {partition: "1", tier: gold}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: batch}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: batch}
  maxReplicas: 5
  metrics:
  - type: External
    external: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: "30"}}
  - type: External
    external: {metric: {name: backlog}, target: {type: Value, value: "100"}}
  - type: Object
    object: {metric: {name: hits}, describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: main}, target: {type: Value, value: 10k}}
  - type: ContainerResource
    containerResource: {name: cpu, container: work, target: {type: Utilization, averageUtilization: 70}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: static}
spec:
  defaultBackend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static-assets}}
  rules:
  - host: static.example.com
"#,
    );
    set_status(
        &mut c,
        Kind::Pod,
        "default",
        "gadget",
        json!({"phase": "Pending", "conditions": [{"type": "example.com/feature-1", "status": "False"}, {"type": "PodScheduled", "status": "True"}]}),
    );
    set_status(
        &mut c,
        Kind::HorizontalPodAutoscaler,
        "default",
        "batch",
        json!({"currentReplicas": 1, "desiredReplicas": 1,
        "currentMetrics": [{"type": "External", "external": {"metric": {"name": "queue_depth"}, "current": {"averageValue": "12"}}},
            {"type": "External", "external": {"metric": {"name": "backlog"}, "current": {"value": "40"}}}]}),
    );
    check(&mut c, "pod gadget", "assorted-pod");
    check(&mut c, "deployment batch", "assorted-deployment");
    check(&mut c, "pv pv-local pv-csi", "assorted-pvs");
    check(&mut c, "hpa batch", "assorted-hpa");
    check(&mut c, "ingress static", "assorted-ingress");
}

#[test]
fn every_kind_describes_a_bare_object_and_every_object_of_the_default_cluster() {
    let mut c = default_cluster();
    let now = c.now();
    for info in crate::model::KINDS {
        let obj = Object::named(info.kind, info.namespaced.then_some("default"), "x");
        let text = InProcess::as_kubectl(&mut c, |client, _| {
            let mut ctx = super::Ctx { client, now, show_events: true };
            super::describer(info.kind)(&mut ctx, &obj)
        })
        .unwrap_or_else(|e| panic!("{}: {e}", info.name));
        assert!(text.starts_with("Name:"), "{}: {text}", info.name);
        let all = InProcess::as_kubectl(&mut c, |client, w| super::run(client, w, &[info.plural, "-A"]))
            .unwrap_or_else(|e| panic!("{}: {e}", info.name));
        assert!(all.starts_with("Name:") || all == "No resources found", "{}: {all}", info.name);
    }
}
