//! Strategy tests, data-driven: a manifest goes through create (prepare, default, validate) as
//! the API server runs it; a second document in the same text is applied as an update of the
//! first. The expectation is the exact error list, a fragment of the stored JSON, or warnings.

use serde_json::{json, Value};

use super::*;
use crate::model::{decode, parse_documents};

enum Expect<'a> {
    Errors(&'a [&'a str]),
    /// No errors, and the JSON at this pointer equals the value.
    Json(&'a str, Value),
    Warnings(&'a [&'a str]),
}
use Expect::*;

/// Create the first document (then update it with the second, if any) and compare.
fn check(yaml: &str, expect: Expect) {
    let docs = parse_documents(yaml).expect("yaml");
    let mut stored: Option<Object> = None;
    let mut errs = Vec::new();
    let mut last = None;
    for doc in docs {
        let mut obj = decode(doc).expect("decodes");
        if obj.info().namespaced && obj.metadata().namespace.is_none() {
            obj.metadata_mut().namespace = Some("default".into());
        }
        match &stored {
            None => {
                obj.metadata_mut().uid = Some("7d6f0e4a-0000-4000-8000-000000000001".into());
                prepare_for_create(&mut obj);
                default(&mut obj);
                errs = validate(&obj);
            }
            Some(old) => {
                let meta = obj.metadata_mut();
                meta.uid = old.metadata().uid.clone();
                if meta.annotations.is_none() {
                    meta.annotations = old.metadata().annotations.clone();
                }
                keep_status(&mut obj, old);
                prepare_for_update(&mut obj, old);
                default(&mut obj);
                errs = validate_update(&obj, old);
            }
        }
        if errs.is_empty() {
            stored = Some(obj.clone());
        }
        last = Some(obj);
    }
    let obj = last.expect("a document");
    let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
    match expect {
        Errors(want) => assert_eq!(shown, want, "\n{yaml}"),
        Json(pointer, want) => {
            assert_eq!(shown, Vec::<String>::new(), "\n{yaml}");
            assert_eq!(obj.to_value().pointer(pointer), Some(&want), "{pointer} of\n{yaml}");
        }
        Warnings(want) => {
            assert_eq!(shown, Vec::<String>::new(), "\n{yaml}");
            assert_eq!(warnings(&obj), want, "\n{yaml}");
        }
    }
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n";

fn pod(spec: &str) -> String {
    format!("{POD}{spec}")
}

#[test]
fn metadata() {
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Web_1}",
        Errors(&[
            r#"metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
        ]),
    );
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {}",
        Errors(&["metadata.name: Required value: name or generateName is required"]),
    );
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: Cfg-, name: cfg-x}",
        Errors(&[
            r#"metadata.generateName: Invalid value: "Cfg-": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
        ]),
    );
    check(
        "apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\nspec: {ports: [{port: 80}]}",
        Errors(&[
            r#"metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"#,
        ]),
    );
    check(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team.a}",
        Errors(&[r#"metadata.name: Invalid value: "team.a": must not contain dots"#]),
    );
    check(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'system:a/b'}",
        Errors(&[r#"metadata.name: Invalid value: "system:a/b": may not contain '/'"#]),
    );
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {'a/b/c': x, ok: 'bad value'}}",
        Errors(&[
            r#"metadata.labels: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"#,
            r#"metadata.labels: Invalid value: "bad value": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"#,
        ]),
    );
    let big = "x".repeat(256 * 1024);
    check(
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, annotations: {{a: {big}}}}}"),
        Errors(&["metadata.annotations: Too long: may not be more than 262144 bytes"]),
    );
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, finalizers: [custom]}",
        Errors(&[
            r#"metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified"#,
        ]),
    );
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  ownerReferences:\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: a, uid: '1', controller: true}\n  - {apiVersion: batch/v1, kind: Job, name: b, uid: '2', controller: true}",
        Errors(&[
            r#"metadata.ownerReferences: Invalid value: []v1.OwnerReference{...}: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and Job/b"#,
        ]),
    );
}

#[test]
fn pod_defaults() {
    let yaml = pod("  containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]");
    check(
        &yaml,
        Json(
            "/spec",
            json!({
                "containers": [{"name": "web", "image": "nginx", "imagePullPolicy": "Always",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}], "resources": {},
                    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
                "dnsPolicy": "ClusterFirst", "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0, "restartPolicy": "Always", "schedulerName": "default-scheduler", "securityContext": {},
                "terminationGracePeriodSeconds": 30
            }),
        ),
    );
    check(&yaml, Json("/status", json!({"phase": "Pending", "qosClass": "BestEffort"})));
    check(
        &pod("  containers: [{name: c, image: 'nginx:1.25'}]"),
        Json("/spec/containers/0/imagePullPolicy", json!("IfNotPresent")),
    );
    check(
        &pod("  containers: [{name: c, image: 'nginx:latest'}]"),
        Json("/spec/containers/0/imagePullPolicy", json!("Always")),
    );
    let limits = pod("  containers: [{name: c, image: nginx, resources: {limits: {cpu: 500m, memory: 128Mi}}}]");
    check(&limits, Json("/spec/containers/0/resources/requests", json!({"cpu": "500m", "memory": "128Mi"})));
    check(&limits, Json("/status/qosClass", json!("Guaranteed")));
    check(
        &pod("  containers: [{name: c, image: nginx, resources: {requests: {cpu: 100m}}}]"),
        Json("/status/qosClass", json!("Burstable")),
    );
}

#[test]
fn pod_validation() {
    check(&pod("  containers: []"), Errors(&["spec.containers: Required value"]));
    check(
        &pod("  containers: [{name: '', image: nginx}, {name: Web, image: nginx}]"),
        Errors(&[
            "spec.containers[0].name: Required value",
            r#"spec.containers[1].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"#,
        ]),
    );
    check(
        &pod("  containers: [{name: a, image: nginx}, {name: a}]"),
        Errors(&["spec.containers[1].image: Required value", r#"spec.containers[1].name: Duplicate value: "a""#]),
    );
    check(
        &pod("  restartPolicy: Sometimes\n  dnsPolicy: Magic\n  containers: [{name: a, image: nginx, imagePullPolicy: Often}]"),
        Errors(&[
            r#"spec.containers[0].imagePullPolicy: Unsupported value: "Often": supported values: "Always", "IfNotPresent", "Never""#,
            r#"spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never""#,
            r#"spec.dnsPolicy: Unsupported value: "Magic": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None""#,
        ]),
    );
    check(
        &pod("  containers: [{name: a, image: nginx, resources: {requests: {cpu: '2'}, limits: {cpu: '1'}}}]"),
        Errors(&[
            r#"spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1"#,
        ]),
    );
    check(
        &pod("  volumes: [{name: data, emptyDir: {}}, {name: data, emptyDir: {}}]\n  containers: [{name: a, image: nginx, volumeMounts: [{name: logs, mountPath: /logs}]}]"),
        Errors(&[r#"spec.volumes[1].name: Duplicate value: "data""#, r#"spec.containers[0].volumeMounts[0].name: Not found: "logs""#]),
    );
    check(
        &pod("  containers: [{name: a, image: nginx, env: [{name: 'A=B', value: x}, {name: ''}]}]"),
        Errors(&[
            r#"spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='"#,
            "spec.containers[0].env[1].name: Required value",
        ]),
    );
    check(
        &pod("  containers: [{name: a, image: nginx, ports: [{containerPort: 80, hostPort: 8080}]}, {name: b, image: nginx, ports: [{containerPort: 81, hostPort: 8080}]}]"),
        Errors(&[r#"spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080""#]),
    );
    check(
        &pod("  containers: [{name: a, image: nginx, ports: [{containerPort: 80}]}, {name: b, image: nginx, ports: [{containerPort: 80}]}]"),
        Warnings(&["spec.containers[1].ports[0]: duplicate port definition with spec.containers[0].ports[0]"]),
    );
    check(
        &pod("  containers: [{name: a, image: nginx, ports: [{containerPort: 0, protocol: HTTP}]}]"),
        Errors(&[
            "spec.containers[0].ports[0].containerPort: Required value",
            r#"spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP""#,
        ]),
    );
}

#[test]
fn pod_updates() {
    let base = pod("  containers: [{name: a, image: 'nginx:1'}]");
    check(
        &format!("{base}\n---\n{}", pod("  containers: [{name: a, image: 'nginx:2'}]")),
        Json("/spec/containers/0/image", json!("nginx:2")),
    );
    check(
        &format!("{base}\n---\n{}", pod("  nodeName: node-1\n  containers: [{name: a, image: 'nginx:1'}]")),
        Json("/spec/nodeName", json!("node-1")),
    );
    check(
        &format!("{base}\n---\n{}", pod("  containers: [{name: a, image: 'nginx:1', ports: [{containerPort: 80}]}]")),
        Errors(&["spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"]),
    );
    check(
        &format!("{base}\n---\n{}", pod("  containers: [{name: a, image: 'nginx:1'}, {name: b, image: 'nginx:1'}]")),
        Errors(&["spec.containers: Forbidden: pod updates may not add or remove containers"]),
    );
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";

#[test]
fn deployments() {
    let ok = format!("{DEPLOY}spec:\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: web, image: nginx}}]}}");
    check(
        &ok,
        Json(
            "/spec",
            json!({
                "progressDeadlineSeconds": 600, "replicas": 1, "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                    "containers": [{"name": "web", "image": "nginx", "imagePullPolicy": "Always", "resources": {},
                        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
                    "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                    "securityContext": {}, "terminationGracePeriodSeconds": 30}}
            }),
        ),
    );
    check(
        &format!("{DEPLOY}spec:\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: web, image: nginx}}]}}"),
        Errors(&[
            "spec.selector: Required value",
            r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`"#,
        ]),
    );
    check(
        &format!("{DEPLOY}spec:\n  replicas: -1\n  selector: {{matchLabels: {{app: api}}}}\n  strategy: {{rollingUpdate: {{maxSurge: 0, maxUnavailable: 0}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{restartPolicy: Never, containers: [{{name: web, image: nginx}}]}}"),
        Errors(&[
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`"#,
            r#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
            r#"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0"#,
        ]),
    );
    check(
        &format!(
            "{ok}\n---\n{}",
            ok.replace("app: web}}\n  template", "app: web, tier: fe}}\n  template")
                .replace("labels: {app: web}", "labels: {app: web, tier: fe}")
        ),
        Errors(&[
            r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"fe"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#,
        ]),
    );
}

#[test]
fn generation_counts_deployment_annotations() {
    let a: Object = decode_doc(&format!("{DEPLOY}spec: {{selector: {{matchLabels: {{a: b}}}}}}"));
    let mut b = a.clone();
    b.metadata_mut().annotations = Some([("note".to_string(), "x".to_string())].into());
    assert!(spec_changed(&b, &a), "an annotation change bumps a Deployment's generation");
    let mut c = a.clone();
    c.metadata_mut().labels = Some([("x".to_string(), "y".to_string())].into());
    assert!(!spec_changed(&c, &a));
}

fn decode_doc(yaml: &str) -> Object {
    crate::model::decode::decode_one(yaml).expect("decodes")
}

#[test]
fn replicasets_and_controllers() {
    check(
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs}\nspec:\n  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: nginx}]}}",
        Json("/spec/replicas", json!(1)),
    );
    let rc = "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: nginx}]}}";
    check(rc, Json("/spec/selector", json!({"app": "a"})));
    check(rc, Json("/metadata/labels", json!({"app": "a"})));
    check(
        "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n  selector: {app: b}\n  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: nginx}]}}",
        Errors(&[r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`"#]),
    );
}

const DS: &str = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds}\nspec:\n  selector: {matchLabels: {app: d}}\n  template: {metadata: {labels: {app: d}}, spec: {containers: [{name: c, image: nginx}]}}";

#[test]
fn daemonsets() {
    check(
        DS,
        Json(
            "/spec/updateStrategy",
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
        ),
    );
    check(DS, Json("/spec/revisionHistoryLimit", json!(10)));
    check(DS, Json("/metadata/annotations", json!({"deprecated.daemonset.template.generation": "1"})));
    let changed = DS.replace("image: nginx", "image: 'nginx:2'");
    check(
        &format!("{DS}\n---\n{changed}"),
        Json("/metadata/annotations", json!({"deprecated.daemonset.template.generation": "2"})),
    );
}

const STS: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, image: postgres}]}}";

#[test]
fn statefulsets() {
    check(STS, Json("/spec/podManagementPolicy", json!("OrderedReady")));
    check(STS, Json("/spec/updateStrategy", json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})));
    check(
        STS,
        Json("/spec/persistentVolumeClaimRetentionPolicy", json!({"whenDeleted": "Retain", "whenScaled": "Retain"})),
    );
    check(STS, Json("/spec/revisionHistoryLimit", json!(10)));
    check(
        &format!("{STS}\n---\n{}", STS.replace("serviceName: db", "serviceName: other")),
        Errors(&["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]),
    );
    check(
        &format!("{STS}\n---\n{}", STS.replace("serviceName: db", "serviceName: db\n  replicas: 3")),
        Json("/spec/replicas", json!(3)),
    );
}

const JOB: &str = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi}\nspec:\n  template: {spec: {restartPolicy: Never, containers: [{name: pi, image: perl}]}}";
const UID: &str = "7d6f0e4a-0000-4000-8000-000000000001";

#[test]
fn jobs() {
    check(JOB, Json("/spec/selector", json!({"matchLabels": {"batch.kubernetes.io/controller-uid": UID}})));
    let labels = json!({"batch.kubernetes.io/controller-uid": UID, "batch.kubernetes.io/job-name": "pi", "controller-uid": UID, "job-name": "pi"});
    check(JOB, Json("/spec/template/metadata/labels", labels.clone()));
    check(JOB, Json("/metadata/labels", labels));
    for (field, value) in [
        ("completions", json!(1)),
        ("parallelism", json!(1)),
        ("backoffLimit", json!(6)),
        ("completionMode", json!("NonIndexed")),
        ("suspend", json!(false)),
        ("podReplacementPolicy", json!("TerminatingOrFailed")),
        ("manualSelector", json!(false)),
    ] {
        check(JOB, Json(&format!("/spec/{field}"), value));
    }
    check(
        &JOB.replace("restartPolicy: Never, ", ""),
        Errors(&[r#"spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never""#]),
    );
    check(
        &format!(
            "{JOB}\n---\n{}",
            JOB.replace(
                "spec:\n  template: {spec:",
                &format!("spec:\n  completions: 3\n  selector: {{matchLabels: {{batch.kubernetes.io/controller-uid: {UID}}}}}\n  template: {{metadata: {{labels: {{batch.kubernetes.io/controller-uid: {UID}, batch.kubernetes.io/job-name: pi, controller-uid: {UID}, job-name: pi}}}}, spec:")
            )
        ),
        Errors(&["spec.completions: Invalid value: 3: field is immutable"]),
    );
    check(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: Pi.x}\nspec:\n  template: {spec: {restartPolicy: Never, containers: [{name: pi, image: perl}]}}",
        Errors(&[r#"metadata.name: Invalid value: "Pi.x": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#]),
    );
    check(
        &JOB.replace("name: pi}", "name: pi.v1}"),
        Warnings(&["metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]"]),
    );
}

const CRON: &str = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: hello}\nspec:\n  schedule: '*/5 * * * *'\n  jobTemplate: {spec: {template: {spec: {restartPolicy: OnFailure, containers: [{name: c, image: busybox}]}}}}";

#[test]
fn cronjobs() {
    for (field, value) in [
        ("concurrencyPolicy", json!("Allow")),
        ("suspend", json!(false)),
        ("successfulJobsHistoryLimit", json!(3)),
        ("failedJobsHistoryLimit", json!(1)),
    ] {
        check(CRON, Json(&format!("/spec/{field}"), value));
    }
    check(
        &CRON.replace("'*/5 * * * *'", "'*/5 * * *'"),
        Errors(&[r#"spec.schedule: Invalid value: "*/5 * * *": expected exactly 5 fields, found 4: [*/5 * * *]"#]),
    );
    check(
        &CRON.replace("'*/5 * * * *'", "'61 * * * *'"),
        Errors(&[r#"spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61"#]),
    );
    check(
        &CRON.replace("  schedule:", "  timeZone: Mars/Olympus\n  schedule:"),
        Errors(&[r#"spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus"#]),
    );
    check(
        &CRON.replace("  schedule:", "  timeZone: Asia/Tokyo\n  schedule:"),
        Json("/spec/timeZone", json!("Asia/Tokyo")),
    );
    check(
        &CRON.replace("'*/5 * * * *'", "'CRON_TZ=UTC 0 * * * *'"),
        Errors(&[
            r#"spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"#,
        ]),
    );
    let long = "a".repeat(53);
    check(
        &CRON.replace("name: hello", &format!("name: {long}")),
        Errors(&[&format!("metadata.name: Invalid value: \"{long}\": must be no more than 52 characters")]),
    );
}

const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n";

#[test]
fn services() {
    check(
        &format!("{SVC}  selector: {{app: web}}\n  ports: [{{port: 80}}]"),
        Json(
            "/spec",
            json!({
                "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "selector": {"app": "web"},
                "sessionAffinity": "None", "type": "ClusterIP"
            }),
        ),
    );
    check(&format!("{SVC}  ports: [{{port: 80}}]"), Json("/status", json!({"loadBalancer": {}})));
    check(
        &format!("{SVC}  type: NodePort\n  ports: [{{port: 80, targetPort: http}}]"),
        Json("/spec/externalTrafficPolicy", json!("Cluster")),
    );
    check(
        &format!("{SVC}  type: NodePort\n  ports: [{{port: 80, targetPort: http}}]"),
        Json("/spec/ports/0/targetPort", json!("http")),
    );
    check(&format!("{SVC}  clusterIP: None"), Json("/spec/ipFamilyPolicy", json!("RequireDualStack")));
    check(&format!("{SVC}  clusterIP: None"), Json("/spec/clusterIPs", json!(["None"])));
    check(&format!("{SVC}  selector: {{app: web}}"), Errors(&["spec.ports: Required value"]));
    check(
        &format!("{SVC}  ports: [{{port: 80}}, {{port: 80, name: b}}]"),
        Errors(&[
            "spec.ports[0].name: Required value",
            r#"spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}"#,
        ]),
    );
    check(
        &format!("{SVC}  ports: [{{port: 80, nodePort: 30080}}]"),
        Errors(&["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]),
    );
    check(
        &format!("{SVC}  type: Balanced\n  ports: [{{port: 70000}}]"),
        Errors(&[
            "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            r#"spec.type: Unsupported value: "Balanced": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort""#,
        ]),
    );
    let fixed = format!("{SVC}  clusterIP: 10.96.0.20\n  ports: [{{port: 80}}]");
    check(
        &format!("{fixed}\n---\n{}", fixed.replace("10.96.0.20", "10.96.0.21")),
        Errors(&[r#"spec.clusterIPs[0]: Invalid value: []string{"10.96.0.21"}: may not change once set"#]),
    );
}

#[test]
fn namespaces_and_nodes() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}";
    check(ns, Json("/metadata/labels", json!({"kubernetes.io/metadata.name": "team-a"})));
    check(ns, Json("/spec/finalizers", json!(["kubernetes"])));
    check(ns, Json("/status/phase", json!("Active")));
    check(&format!("{ns}\n---\n{ns}\nspec: {{finalizers: []}}"), Json("/spec/finalizers", json!(["kubernetes"])));
    let node = "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {capacity: {cpu: '4', pods: '110'}}";
    check(node, Json("/status/allocatable", json!({"cpu": "4", "pods": "110"})));
    check(
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nspec: {taints: [{key: a, effect: NoSchedule}, {key: a, effect: NoSchedule}, {key: b, effect: Never}]}",
        Errors(&[
            r#"metadata.taints[1]: Duplicate value: core.Taint{Key:"a", Value:"", Effect:"NoSchedule", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair"#,
            r#"metadata.taints[2].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute""#,
        ]),
    );
}

#[test]
fn configmaps_and_secrets() {
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {'a b': x}",
        Errors(&[
            r#"data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"#,
        ]),
    );
    // issue 10: the whole object is too large, reported on upstream's empty path.
    let big = "x".repeat(super::configmap::MAX_SIZE + 1);
    check(
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata: {{a: {big}}}"),
        Errors(&["[]: Too long: may not be more than 1048576 bytes"]),
    );
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {user: admin}";
    check(secret, Json("/type", json!("Opaque")));
    check(secret, Json("/data", json!({"user": "YWRtaW4="})));
    check(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\ndata: {tls.crt: eA==}",
        Errors(&["data[tls.key]: Required value"]),
    );
    check(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: eA==}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\ndata: {tls.crt: eA==, tls.key: eA==}",
        Errors(&[r#"type: Invalid value: "kubernetes.io/tls": field is immutable"#]),
    );
}

#[test]
fn volumes_and_claims() {
    let pv = "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv1}\nspec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /data}}";
    check(pv, Json("/spec/persistentVolumeReclaimPolicy", json!("Retain")));
    check(pv, Json("/spec/volumeMode", json!("Filesystem")));
    check(pv, Json("/status", json!({"phase": "Pending"})));
    check(
        "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv1}\nspec: {capacity: {storage: 1Gi}, hostPath: {path: /data}}",
        Errors(&["spec.accessModes: Required value"]),
    );
    let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}";
    check(pvc, Json("/spec/volumeMode", json!("Filesystem")));
    check(pvc, Json("/status", json!({"phase": "Pending"})));
    check(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {}",
        Errors(&[
            "spec.accessModes: Required value: at least 1 access mode is required",
            "spec.resources[storage]: Required value",
        ]),
    );
}

#[test]
fn autoscaling_and_policy() {
    let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, maxReplicas: 5}";
    check(hpa, Json("/spec/minReplicas", json!(1)));
    check(
        hpa,
        Json(
            "/spec/metrics",
            json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]),
        ),
    );
    check(
        &hpa.replace("maxReplicas: 5}", "maxReplicas: 5, behavior: {scaleDown: {stabilizationWindowSeconds: 60}}}"),
        Json(
            "/spec/behavior",
            json!({
                "scaleDown": {"policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}], "selectPolicy": "Max", "stabilizationWindowSeconds": 60},
                "scaleUp": {"policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}], "selectPolicy": "Max", "stabilizationWindowSeconds": 0}
            }),
        ),
    );
    check(
        &hpa.replace("maxReplicas: 5", "minReplicas: 7, maxReplicas: 5"),
        Errors(&["spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`"]),
    );
    check(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {minAvailable: 1, maxUnavailable: 1, selector: {matchLabels: {app: a}}}",
        Errors(&["spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0xc000010000), Selector:(*v1.LabelSelector)(0xc000010000), MaxUnavailable:(*intstr.IntOrString)(0xc000010000), UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: minAvailable and maxUnavailable cannot be both set"]),
    );
    check(
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: top}\nvalue: 2000000000",
        Errors(&["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"]),
    );
    check(
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000",
        Json("/preemptionPolicy", json!("PreemptLowerPriority")),
    );
}

#[test]
fn networking_and_storage() {
    check(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec: {rules: [{http: {paths: [{path: /, backend: {service: {name: web, port: {number: 80}}}}]}}]}",
        Errors(&["spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"]),
    );
    check(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec: {rules: [{http: {paths: [{path: web, pathType: Prefix, backend: {service: {name: web}}}]}}]}",
        Errors(&[
            r#"spec.rules[0].http.paths[0].path: Invalid value: "web": must be an absolute path"#,
            "spec.rules[0].http.paths[0].backend: Required value: port name or number is required",
        ]),
    );
    check(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {podSelector: {}, egress: [{ports: [{port: 53}]}]}",
        Json("/spec", json!({"egress": [{"ports": [{"port": 53, "protocol": "TCP"}]}], "podSelector": {}, "policyTypes": ["Ingress", "Egress"]})),
    );
    let sc = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: standard}\nprovisioner: rancher.io/local-path";
    check(sc, Json("/reclaimPolicy", json!("Delete")));
    check(sc, Json("/volumeBindingMode", json!("Immediate")));
    check(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules: [{resources: [pods]}]",
        Errors(&[
            "rules[0].verbs: Required value: verbs must contain at least one value",
            "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
        ]),
    );
    check(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb}\nroleRef: {kind: Role, name: r}\nsubjects: [{kind: User, name: jane}]",
        Json("/subjects/0/apiGroup", json!("rbac.authorization.k8s.io")),
    );
}
