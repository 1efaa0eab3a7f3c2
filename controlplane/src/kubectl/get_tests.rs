//! `kubectl get`'s tests: output formats, sorting, messages.
use super::*;
use crate::client::InProcess;
use crate::kubectl::apply::apply_text;
use crate::sim::{Cluster, ClusterConfig};

/// Three pods made a minute apart: web, then db, then cache.
const PODS: [&str; 3] = [
    "apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web, tier: front}}
spec:
  containers:
  - {name: nginx, image: nginx, resources: {requests: {memory: 1Gi}}, ports: [{containerPort: 80}]}
  - {name: sidecar, image: busybox}",
    "apiVersion: v1
kind: Pod
metadata: {name: db, labels: {app: db}}
spec:
  containers:
  - {name: postgres, image: postgres, resources: {requests: {memory: 500Mi}}}",
    "apiVersion: v1
kind: Pod
metadata: {name: cache}
spec:
  containers:
  - {name: redis, image: redis, resources: {requests: {memory: '2'}}}",
];

fn cluster() -> Cluster {
    let mut c = Cluster::new(ClusterConfig::default());
    for doc in PODS {
        for outcome in apply_text(&mut c, doc, "pods.yaml", "default") {
            outcome.expect("test pod applies");
        }
        c.advance(chrono::TimeDelta::seconds(60)).expect("clock advances");
    }
    c
}

/// Run `kubectl get ARGS` on `c` and compare with `expect` (a leading newline is dropped),
/// or with the error text; an `expect` ending in `...` is a prefix.
#[track_caller]
fn check(c: &mut Cluster, args: &str, expect: &str) {
    let words = shell_words::split(args).expect("test args split");
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    // Template files are written under the temporary directory.
    let files = FileAccess::working_directory(&std::env::temp_dir());
    let input = Input {
        stdin: None,
        files: &files,
        interactive: false,
        stdout: Default::default(),
        terminal: Default::default(),
        namespace_from_context: false,
    };
    let got = match InProcess::as_kubectl(c, |client, w| run(client, w, &args, input)) {
        Ok(out) => out,
        Err(e) => e,
    };
    let expect = expect.strip_prefix('\n').unwrap_or(expect);
    let same = match expect.strip_suffix("...") {
        Some(prefix) => got.starts_with(prefix),
        None => got == expect,
    };
    assert!(same, "kubectl get {}\ngot:\n{got}\nexpected:\n{expect}", args.join(" "));
}

#[test]
fn jsonpath_output() {
    let mut c = cluster();
    check(&mut c, "pods -o jsonpath={.items[*].metadata.name}", "cache db web");
    check(&mut c, "pod web -o jsonpath={.spec.containers[*].name}", "nginx sidecar");
    check(
        &mut c,
        r#"pods -o jsonpath='{range .items[*]}{.metadata.name}{"\t"}{.spec.containers[0].image}{"\n"}{end}'"#,
        "cache\tredis\ndb\tpostgres\nweb\tnginx\n",
    );
    check(&mut c, "pod web -o jsonpath --template={.metadata.labels}", r#"{"app":"web","tier":"front"}"#);
    check(&mut c, "pod web -o jsonpath-as-json={.metadata.name}", "[\n    \"web\"\n]\n");
    check(&mut c, "pods -o jsonpath={.items[*].metadata.nope}", "");
    check(
        &mut c,
        "pods -o jsonpath={.items[*].metadata.nope} --allow-missing-template-keys=false",
        "error: error executing jsonpath \"{.items[*].metadata.nope}\": Error executing template: nope is not found. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{.items[*].metadata.nope}\n\tobject given to jsonpath engine was:\n\t\tmap[string]interface {}{\"apiVersion\":\"v1\", \"items\":[]interface {}{map[string]interface {}{\"apiVersion\":\"v1\", \"kind\":\"Pod\", ...",
    );
    check(&mut c, "pods -o jsonpath={.a", "error: error parsing jsonpath {.a, unclosed action");
    check(&mut c, "pods -o jsonpath", "error: template format specified but no template given");
    // `--template` alone is `-o go-template`, not a table that ignores it: over a list,
    // `.metadata.name` is the List's, which has none.
    check(&mut c, "pods --template={{.metadata.name}}", "<no value>");
    check(&mut c, "pods -o go-template={{range.items}}{{.metadata.name}};{{end}}", "cache;db;web;");
    check(&mut c, "pods -o go-template", "error: template format specified but no template given");
    check(
        &mut c,
        "pods -o jsonpath-file=kubesim-nonexistent/t.txt",
        "error: error reading --template kubesim-nonexistent/t.txt, open kubesim-nonexistent/t.txt: no such file or directory",
    );
    check(&mut c, "pods -o jsonpath={.items[*].metadata.name} --sort-by=.metadata.creationTimestamp", "web db cache");
}

#[test]
fn custom_columns_output() {
    let mut c = cluster();
    check(
        &mut c,
        "pods -o custom-columns=NAME:.metadata.name,APP:.metadata.labels.app,IMAGES:.spec.containers[*].image",
        "
NAME    APP      IMAGES
cache   <none>   redis
db      db       postgres
web     web      nginx,busybox
",
    );
    check(
        &mut c,
        "pods --no-headers -o custom-columns=NAME:metadata.name,PORTS:{.spec.containers[*].ports}",
        "
cache   <none>
db      <none>
web     [map[containerPort:80 protocol:TCP]]
",
    );
    check(&mut c, "pod db -o custom-columns=C:.spec.containers[0].name", "C\npostgres\n");
    check(
        &mut c,
        "pods -o custom-columns=NAME",
        "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>",
    );
    check(
        &mut c,
        "pods -o custom-columns=N:.spec.containers[3]",
        "error: array index out of bounds: index 3, length 1",
    );
    let dir = std::env::temp_dir().join(format!("kubesim-cc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cols.txt");
    std::fs::write(&file, "NAME          CREATED\nmetadata.name {.metadata.creationTimestamp}\n").unwrap();
    check(
        &mut c,
        &format!("pods --no-headers -o custom-columns-file={}", file.display()),
        "
NAME    CREATED
cache   2025-01-01T00:02:00Z
db      2025-01-01T00:01:00Z
web     2025-01-01T00:00:00Z
",
    );
    // issue 10: template files are read only where the policy allows, and only regular ones.
    check(
        &mut c,
        "pods -o custom-columns-file=/etc/hostname",
        "error: reading /etc/hostname is not allowed: kubesim may read only under the working directory; run kubesim with --allow-read=/etc/hostname to allow it",
    );
    let dir_arg = dir.display().to_string();
    check(
        &mut c,
        &format!("pods -o jsonpath-file={dir_arg}"),
        &format!("error: error reading --template {dir_arg}, open {dir_arg}: is a directory"),
    );
    check(
        &mut c,
        &format!("pods -o jsonpath-file={dir_arg}/missing"),
        &format!(
            "error: error reading --template {dir_arg}/missing, open {dir_arg}/missing: no such file or directory"
        ),
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sort_by() {
    let mut c = cluster();
    let cols = "-o custom-columns=NAME:.metadata.name,MEMORY:.spec.containers[0].resources.requests.memory";
    check(
        &mut c,
        &format!("pods {cols} --sort-by=.spec.containers[0].resources.requests.memory"),
        "
NAME    MEMORY
cache   2
db      500Mi
web     1Gi
",
    );
    check(&mut c, "pods -o name --sort-by={.metadata.creationTimestamp}", "pod/web\npod/db\npod/cache\n");
    check(&mut c, "pods -o name --sort-by=.metadata.labels.app", "pod/cache\npod/db\npod/web\n");
    check(
        &mut c,
        "pods -o name --sort-by=.metadata.nope",
        "error: couldn't find any field with path \"{.metadata.nope}\" in the list of objects",
    );
    check(
        &mut c,
        "pods -o name --sort-by=.spec.containers",
        "error: Field {.spec.containers} in *unstructured.Unstructured is an unsortable type: interface, err: unsortable type: []interface {}",
    );
    // Tables are sorted per kind.
    check(
        &mut c,
        "pods --sort-by=.metadata.creationTimestamp",
        "
NAME    READY   STATUS             RESTARTS      AGE
web     1/2     CrashLoopBackOff   5 (24s ago)   3m
db      1/1     Running            0             2m
cache   1/1     Running            0             60s
",
    );
    check(&mut c, "pod web --sort-by=.metadata.nope -o name", "pod/web\n");
}

#[test]
fn issue_10_messages_say_what_is_wrong() {
    let mut c = cluster();
    // A sort field no object has is the sorter's error, not "No resources found".
    check(
        &mut c,
        "pods --sort-by=.metadata.nope",
        "error: couldn't find any field with path \"{.metadata.nope}\" in the list of objects",
    );
    check(
        &mut c,
        "nodes --sort-by={.foo}",
        "error: couldn't find any field with path \"{.foo}\" in the list of objects",
    );
    // Nothing found names a namespace only when every kind asked for is namespaced.
    check(&mut c, "pv", "No resources found");
    check(&mut c, "nodes -l x=y", "No resources found");
    check(&mut c, "clusterroles -l x", "No resources found");
    check(&mut c, "pods,nodes -l x=y", "No resources found");
    check(&mut c, "pods -l x=y", "No resources found in default namespace.");
    check(&mut c, "pods -n kube-public", "No resources found in kube-public namespace.");
    // A watch in a script needs a timeout: nothing can interrupt it.
    for args in ["pods -w", "pods --watch", "pods --watch-only", "pods -w --request-timeout=0"] {
        check(&mut c, args, "error: kubectl get -w needs --request-timeout in a script: ...");
    }
}
