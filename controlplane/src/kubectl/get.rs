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
use super::gotemplate::GoTemplate;
use serde_json::Value;

use super::command::Input;
use super::jsonpath;
use super::printers::custom_columns::CustomColumns;
use super::printers::{self, PrintOptions};
use super::sort;
use crate::apiserver::error::{ApiError, Reason};
use crate::client::{Client, Waiter};
use crate::fileaccess::{FileAccess, FileError};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("filename", Some('f'), true),
    flag("recursive", Some('R'), false),
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
    flag("ignore-not-found", None, false),
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
    let flags = parse(args, FLAGS)?;
    if !flags.all("filename").is_empty() {
        return from_files(client, waiter, &flags, input);
    }
    run_parsed(client, waiter, &flags, input, &[])
}

/// `get` with its flags parsed; `namespaces`, when given, is the namespace of each resource
/// argument in turn (the objects of `-f` files), in place of `-n`'s.
fn run_parsed(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    flags: &super::flags::Parsed,
    input: Input<'_>,
    namespaces: &[String],
) -> Result<(String, Vec<printers::Table>), String> {
    let files = input.files;
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
    let ignore_not_found = flags.is_set("ignore-not-found");
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
        for (i, (_, name)) in requests.iter().enumerate().filter(|(_, r)| r.0 == kind) {
            let ns = namespaces.get(i).map_or(ns_filter.unwrap_or(&namespace), String::as_str);
            match name {
                Some(n) => match client.get(kind, ns, n) {
                    Ok(o) => objects.push(o.body),
                    Err(e) if ignore_not_found && e.reason == Reason::NotFound => {}
                    Err(e) => errors.push(kubectl_error(&e)),
                },
                None => match client.list(kind, ns_filter, &selector, &field_selector) {
                    Ok(list) => objects.extend(list.body.items),
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
            // With --ignore-not-found, nothing found prints nothing.
            if sections.is_empty() && errors.is_empty() && ignore_not_found {
                return Ok((super::warnings::heard(client, String::new()), tables));
            }
            if sections.is_empty() && errors.is_empty() {
                let none = printers::no_resources(in_namespace.then_some(namespace.as_str()));
                return Ok((super::warnings::heard(client, none), tables));
            }
            sections.join("\n")
        }
        format => {
            // One object named (`get pod web`) is printed alone, and a failure to get it is
            // all kubectl prints (`printGeneric`'s single item implied), with no empty list.
            let single_implied = requests.len() == 1 && requests[0].1.is_some();
            if single_implied && !errors.is_empty() {
                return Err(super::warnings::heard(client, errors.join("\n")));
            }
            if all_objects.is_empty() && ignore_not_found && errors.is_empty() {
                return Ok((super::warnings::heard(client, String::new()), tables));
            }
            let single = single_implied && all_objects.len() == 1;
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
                (Format::GoTemplate(template), single) => {
                    let value = if single { refs[0].to_value() } else { list_value(&refs) };
                    match template.execute(&value) {
                        Ok(text) => text,
                        Err(e) => {
                            errors.push(e);
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
    let body = super::warnings::heard(client, body);
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
    GoTemplate(GoTemplate),
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
            Format::GoTemplate(template) => template.execute(&obj.to_value()),
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
                if arg.is_empty() {
                    return Err("error: template format specified but no template given".into());
                }
                let template = if name.ends_with("file") {
                    files.read(&arg).map_err(|e| template_error(&e, |io| {
                        format!("error: error reading --template {arg}, {}", go_open_error(&arg, io))
                    }))?
                } else {
                    arg
                };
                Format::GoTemplate(GoTemplate::parse(&template, allow_missing_keys)?)
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
pub(super) fn go_open_error(path: &str, e: &std::io::Error) -> String {
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
#[path = "get_tests.rs"]
mod tests;

/// `get -f FILE|DIR|URL|-`: the objects the files name, each kind's found as `KIND/NAME` in
/// the namespace its document names (else `-n`'s), in the documents' order, with the other
/// flags; a watch watches each namespace's in turn.
fn from_files(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    flags: &super::flags::Parsed,
    input: Input<'_>,
) -> Result<(String, Vec<printers::Table>), String> {
    if !flags.positional.is_empty() {
        return Err(
            "error: when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well"
                .into(),
        );
    }
    let namespace = flags.get("namespace").unwrap_or("default");
    let (mut targets, mut namespaces) = (Vec::new(), Vec::new());
    let mut errors = Vec::new();
    for (source, doc) in super::files::documents(flags, input, None)? {
        let doc = match doc {
            Ok(doc) => doc,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let name = doc.pointer("/metadata/name").and_then(|n| n.as_str()).unwrap_or("");
        let kind = match super::apply::kind_of(&doc, &source) {
            Ok(kind) => kind,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let ns = doc.pointer("/metadata/namespace").and_then(|n| n.as_str()).unwrap_or(namespace);
        targets.push(format!("{}/{name}", kind.info().group_resource_name));
        namespaces.push(ns.to_string());
    }
    let mut each = flags.clone();
    each.values.remove("filename");
    each.values.remove("recursive");
    let mut results = Vec::new();
    if flags.is_set("watch") || flags.is_set("watch-only") {
        // A watch follows one namespace: each namespace's objects are watched in turn.
        let mut by_namespace: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (t, ns) in targets.into_iter().zip(namespaces) {
            by_namespace.entry(ns).or_default().push(t);
        }
        for (ns, targets) in by_namespace {
            each.positional = targets;
            each.values.insert("namespace", vec![ns]);
            results.push(run_parsed(client, waiter, &each, input, &[]));
        }
    } else if !targets.is_empty() {
        each.positional = targets;
        results.push(run_parsed(client, waiter, &each, input, &namespaces));
    }
    let (mut texts, mut tables) = (Vec::new(), Vec::new());
    for result in results {
        match result {
            Ok((text, t)) => {
                texts.push(text);
                tables.extend(t);
            }
            Err(e) => errors.push(e),
        }
    }
    let mut texts: Vec<String> = texts.iter().map(|t| t.trim_end().to_string()).filter(|t| !t.is_empty()).collect();
    if errors.is_empty() {
        Ok((texts.join("\n"), tables))
    } else {
        texts.extend(errors);
        Err(texts.join("\n"))
    }
}
