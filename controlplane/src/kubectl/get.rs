//! `kubectl get KIND[,KIND...] [NAME...] [-n NS | -A] [-l SELECTOR] [-o FORMAT] [--sort-by=JSONPATH]
//! [--show-labels]`, where FORMAT is `wide`, `yaml`, `json`, `name`, `jsonpath=TEMPLATE`,
//! `jsonpath-as-json=TEMPLATE`, `jsonpath-file=FILE` (or `jsonpath` with `--template`),
//! `custom-columns=SPEC` or `custom-columns-file=FILE`.
//!
//! As in kubectl, a table (`-o wide` or none) is printed per kind and `--sort-by` sorts each
//! kind's rows; any other format prints one object when one name of one kind was asked for,
//! and otherwise a `List` of everything found, sorted as a whole. A sort field that no
//! object has is the sorter's error (`couldn't find any field with path ...`) for every format:
//! kubectl's own table path drops that error and says `No resources found` although there are
//! objects (kubernetes/kubectl#1343, an open bug), which misleads, so kubesim does not copy it.
//! Rows of named objects (`get pods a b`) are not sorted in table output.
//!
//! `-w`/`--watch`/`--watch-only` hand the request to [`super::watch`], which moves the clock.

use std::sync::Arc;

use super::flags::{flag, parse, FlagSpec};
use serde_json::Value;

use super::command::Input;
use super::jsonpath;
use super::printers::custom_columns::CustomColumns;
use super::printers::{self, PrintOptions};
use super::sort;
use crate::apiserver::error::ApiError;
use crate::client::{Client, Response, Waiter};
use crate::fileaccess::{FileAccess, FileError};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("namespace", Some('n'), true),
    flag("all-namespaces", Some('A'), false),
    flag("selector", Some('l'), true),
    flag("field-selector", None, true),
    flag("output", Some('o'), true).with_values(&[
        "custom-columns=",
        "custom-columns-file=",
        "json",
        "jsonpath=",
        "jsonpath-as-json=",
        "jsonpath-file=",
        "name",
        "wide",
        "yaml",
    ]),
    flag("show-labels", None, false),
    flag("no-headers", None, false),
    flag("sort-by", None, true),
    flag("template", None, true),
    flag("allow-missing-template-keys", None, false),
    flag("watch", Some('w'), false),
    flag("watch-only", None, false),
    flag("request-timeout", None, true),
];

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    run_tables(client, waiter, args, input).map(|(text, _)| text)
}

/// As [`run`], also giving the tables printed (one per kind), for front-ends that can show
/// tables richly.
pub fn run_tables(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<(String, Vec<printers::Table>), String> {
    let files = input.files;
    let flags = parse(args, FLAGS)?;
    if flags.positional.is_empty() {
        return Err("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.".into());
    }
    let all_namespaces = flags.is_set("all-namespaces");
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    let output = flags.get("output").unwrap_or("");
    let format = Format::parse(
        output,
        flags.get("template").unwrap_or(""),
        flags.is_set("no-headers"),
        flags.get("allow-missing-template-keys") != Some("false"),
        files,
    )?;
    let sort_by = flags.get("sort-by").filter(|s| !s.is_empty());
    let selector = match flags.get("selector") {
        Some(s) => LabelSelector::parse(s).map_err(|e| format!("error: {e}"))?,
        None => LabelSelector::everything(),
    };
    let field_selector = match flags.get("field-selector") {
        Some(s) => FieldSelector::parse(s).map_err(|e| format!("error: {e}"))?,
        None => FieldSelector::everything(),
    };
    // `pod/web` form, or KIND[,KIND] NAME..., with `all` for kubectl's "all" category.
    let requests = super::resources::targets(&flags.positional)?;
    let opts = PrintOptions {
        wide: output == "wide",
        with_namespace: all_namespaces,
        show_labels: flags.is_set("show-labels"),
        no_headers: flags.is_set("no-headers"),
    };
    if flags.is_set("watch") || flags.is_set("watch-only") {
        let req = super::watch::WatchRequest {
            targets: &requests,
            namespace: &namespace,
            all_namespaces,
            labels: &selector,
            fields: &field_selector,
            format: &format,
            opts,
            watch_only: flags.is_set("watch-only"),
            request_timeout: flags.get("request-timeout"),
        };
        return super::watch::run(client, waiter, &req, input).map(|text| (text, Vec::new()));
    }
    let now = waiter.now();
    let mut sections: Vec<String> = Vec::new();
    let mut tables: Vec<printers::Table> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let multi_kind = requests.iter().map(|r| r.0).collect::<std::collections::BTreeSet<_>>().len() > 1;
    let mut kinds_in_order: Vec<Kind> = Vec::new();
    for (k, _) in &requests {
        if !kinds_in_order.contains(k) {
            kinds_in_order.push(*k);
        }
    }
    // kubectl names the namespace only when every kind asked for lives in one.
    let in_namespace = !all_namespaces && kinds_in_order.iter().all(|k| k.info().namespaced);
    let mut all_objects: Vec<Arc<Object>> = Vec::new();
    for kind in kinds_in_order {
        let info = kind.info();
        let ns_filter = if !info.namespaced || all_namespaces { None } else { Some(namespace.as_str()) };
        let mut objects: Vec<Arc<Object>> = Vec::new();
        for (_, name) in requests.iter().filter(|r| r.0 == kind) {
            match name {
                Some(n) => match client.get(kind, ns_filter.unwrap_or(&namespace), n).map(Response::into_body) {
                    Ok(o) => objects.push(o),
                    Err(e) => errors.push(kubectl_error(&e)),
                },
                None => match client.list(kind, ns_filter, &selector, &field_selector).map(Response::into_body) {
                    Ok(list) => objects.extend(list.items),
                    Err(e) => errors.push(kubectl_error(&e)),
                },
            }
        }
        if objects.is_empty() {
            continue;
        }
        if let (Some(field), Format::Table) = (sort_by, &format) {
            let named = requests.iter().any(|r| r.0 == kind && r.1.is_some());
            if !named {
                let values: Vec<Value> = objects.iter().map(|o| o.to_value()).collect();
                match sort::sort_table_order(&values, field) {
                    Ok(order) => objects = order.into_iter().map(|i| objects[i].clone()).collect(),
                    Err(e) if e.starts_with("Field ") => return Err(e),
                    Err(e) => return Err(format!("error: {e}")),
                }
            }
        }
        if matches!(format, Format::Table) {
            let refs: Vec<&Object> = objects.iter().map(|o| &**o).collect();
            let mut table = printers::table(kind, &refs, now, &opts);
            if multi_kind {
                // With several kinds, kubectl prefixes names with their type.
                for row in &mut table.rows {
                    let col = usize::from(opts.with_namespace);
                    if let Some(cell) = row.get_mut(col) {
                        *cell = format!("{}/{}", info.group_singular(), cell);
                    }
                }
            }
            sections.push(table.render());
            tables.push(table);
        }
        all_objects.extend(objects);
    }
    let body = match format {
        Format::Table => {
            if sections.is_empty() && errors.is_empty() {
                return Ok((printers::no_resources(in_namespace.then_some(namespace.as_str())), tables));
            }
            sections.join("\n")
        }
        format => {
            let single = requests.len() == 1 && requests[0].1.is_some() && all_objects.len() == 1;
            if let (Some(field), false) = (sort_by, single) {
                let values: Vec<Value> = all_objects.iter().map(|o| o.to_value()).collect();
                let order = sort::sort_order(&values, field).map_err(|e| format!("error: {e}"))?;
                all_objects = order.into_iter().map(|i| all_objects[i].clone()).collect();
            }
            let refs: Vec<&Object> = all_objects.iter().map(|o| &**o).collect();
            match (format, single) {
                (Format::Yaml, true) => printers::object_yaml(refs[0]),
                (Format::Yaml, false) => printers::list_yaml(&refs),
                (Format::Json, true) => printers::object_json(refs[0]),
                (Format::Json, false) => printers::list_json(&refs),
                (Format::Name, _) => printers::names(&refs),
                (Format::JsonPath { template, allow_missing_keys, as_json }, single) => {
                    let value = if single { refs[0].to_value() } else { list_value(&refs) };
                    match jsonpath::print(&template, &value, allow_missing_keys, as_json) {
                        Ok(text) => text,
                        Err(e) => {
                            errors.push(format!("error: {e}"));
                            String::new()
                        }
                    }
                }
                (Format::CustomColumns(printer), _) => {
                    let values: Vec<Value> = refs.iter().map(|o| o.to_value()).collect();
                    match printer.print(&values) {
                        Ok(text) => text,
                        Err(e) => {
                            errors.push(format!("error: {e}"));
                            String::new()
                        }
                    }
                }
                (Format::Table, _) => String::new(),
            }
        }
    };
    if errors.is_empty() {
        Ok((body, tables))
    } else {
        let mut text = body;
        for e in errors {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&e);
        }
        Err(text)
    }
}

/// What `-o` asks for.
pub(super) enum Format {
    Table,
    Yaml,
    Json,
    Name,
    JsonPath { template: String, allow_missing_keys: bool, as_json: bool },
    CustomColumns(CustomColumns),
}

impl Format {
    /// One object in a template format (`jsonpath`, `custom-columns`), as a watch prints it.
    pub(super) fn print_one(&self, obj: &Object) -> Result<String, String> {
        match self {
            Format::JsonPath { template, allow_missing_keys, as_json } => {
                jsonpath::print(template, &obj.to_value(), *allow_missing_keys, *as_json)
                    .map_err(|e| format!("error: {e}"))
            }
            Format::CustomColumns(printer) => printer.print(&[obj.to_value()]).map_err(|e| format!("error: {e}")),
            Format::Yaml => Ok(printers::object_yaml(obj)),
            Format::Json => Ok(printers::object_json(obj)),
            Format::Name | Format::Table => Ok(format!("{}\n", printers::name(obj))),
        }
    }

    /// kubectl's printer flags: `-o FORMAT[=ARG]`, `--template`, `--no-headers`,
    /// `--allow-missing-template-keys`. Template files are opened through `files`.
    fn parse(
        output: &str,
        template: &str,
        no_headers: bool,
        allow_missing_keys: bool,
        files: &FileAccess,
    ) -> Result<Format, String> {
        let (name, arg) = match output.split_once('=') {
            Some((name, arg)) if template.is_empty() => (name, arg.to_string()),
            // kubectl takes `--template` alone as `-o go-template`.
            _ if output.is_empty() && !template.is_empty() => ("go-template", template.to_string()),
            _ => (output, template.to_string()),
        };
        Ok(match name {
            "" | "wide" => Format::Table,
            "yaml" => Format::Yaml,
            "json" => Format::Json,
            "name" => Format::Name,
            "jsonpath" | "jsonpath-as-json" | "jsonpath-file" => {
                if arg.is_empty() {
                    return Err("error: template format specified but no template given".into());
                }
                let template = if name == "jsonpath-file" {
                    files.read(&arg).map_err(|e| template_error(&e, |io| {
                        format!("error: error reading --template {arg}, {}", go_open_error(&arg, io))
                    }))?
                } else {
                    arg
                };
                // kubectl parses the template before it asks for anything.
                jsonpath::parse(&template).map_err(|e| format!("error: {}", jsonpath::parse_error(&template, &e)))?;
                Format::JsonPath { template, allow_missing_keys, as_json: name == "jsonpath-as-json" }
            }
            "custom-columns" => Format::CustomColumns(
                CustomColumns::from_spec(&arg, no_headers).map_err(|e| format!("error: {e}"))?,
            ),
            "custom-columns-file" => {
                if arg.is_empty() {
                    return Err("error: custom-columns format specified but no custom columns given".into());
                }
                let text = files.read(&arg).map_err(|e| {
                    template_error(&e, |io| format!("error: error reading template {arg}, {}", go_open_error(&arg, io)))
                })?;
                Format::CustomColumns(CustomColumns::from_template(&text).map_err(|e| format!("error: {e}"))?)
            }
            "go-template" | "go-template-file" | "template" | "templatefile" => {
                return Err(format!(
                    "error: -o {name} is not available in kubesim yet; -o jsonpath=TEMPLATE or -o custom-columns=SPEC print the same fields"
                ))
            }
            _ => {
                return Err(format!(
                    "error: unable to match a printer suitable for the output format \"{output}\", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"
                ))
            }
        })
    }
}

/// A template file that could not be read: kubectl's words for the OS's errors, the policy's
/// own for what it refuses.
fn template_error(e: &FileError, kubectl: impl FnOnce(&std::io::Error) -> String) -> String {
    match e.io_error() {
        Some(io) => kubectl(io),
        None => format!("error: {e}"),
    }
}

/// Go's `*PathError` text for a file that cannot be opened.
fn go_open_error(path: &str, e: &std::io::Error) -> String {
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => e.to_string(),
    };
    format!("open {path}: {reason}")
}

/// The `List` kubectl hands to a template printer for several objects.
fn list_value(objs: &[&Object]) -> Value {
    serde_json::json!({
        "apiVersion": "v1",
        "items": objs.iter().map(|o| o.to_value()).collect::<Vec<_>>(),
        "kind": "List",
        "metadata": { "resourceVersion": "" },
    })
}

fn kubectl_error(e: &ApiError) -> String {
    e.kubectl_message()
}

#[cfg(test)]
mod tests {
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
        let input = Input { stdin: None, files: &files, interactive: false };
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
        // `--template` alone is `-o go-template`, not a table that ignores it.
        check(
            &mut c,
            "pods --template={{.metadata.name}}",
            "error: -o go-template is not available in kubesim yet; ...",
        );
        check(
            &mut c,
            "pods -o jsonpath-file=kubesim-nonexistent/t.txt",
            "error: error reading --template kubesim-nonexistent/t.txt, open kubesim-nonexistent/t.txt: no such file or directory",
        );
        check(
            &mut c,
            "pods -o jsonpath={.items[*].metadata.name} --sort-by=.metadata.creationTimestamp",
            "web db cache",
        );
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
}
