//! `kubectl get KIND[,KIND...] [NAME...] [-n NS | -A] [-l SELECTOR] [-o wide|yaml|json|name] [--show-labels]`.

use std::sync::Arc;

use super::apply::USER;
use super::flags::{flag, parse, FlagSpec};
use super::printers::{self, PrintOptions};
use crate::apiserver::error::ApiError;
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};
use crate::sim::Cluster;

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("namespace", Some('n'), true),
    flag("all-namespaces", Some('A'), false),
    flag("selector", Some('l'), true),
    flag("field-selector", None, true),
    flag("output", Some('o'), true).with_values(&["json", "name", "wide", "yaml"]),
    flag("show-labels", None, false),
    flag("no-headers", None, false),
];

pub fn run(cluster: &mut Cluster, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let Some((resources, names)) = flags.positional.split_first() else {
        return Err("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.".into());
    };
    let all_namespaces = flags.is_set("all-namespaces");
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    let output = flags.get("output").unwrap_or("");
    let selector = match flags.get("selector") {
        Some(s) => LabelSelector::parse(s).map_err(|e| format!("error: {e}"))?,
        None => LabelSelector::everything(),
    };
    let field_selector = match flags.get("field-selector") {
        Some(s) => FieldSelector::parse(s).map_err(|e| format!("error: {e}"))?,
        None => FieldSelector::everything(),
    };
    // `pod/web` form, or KIND[,KIND] NAME...
    let mut requests: Vec<(Kind, Option<String>)> = Vec::new();
    if resources.contains('/') {
        for r in std::iter::once(resources).chain(names.iter()) {
            let (k, n) = r.split_once('/').ok_or_else(|| "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'".to_string())?;
            requests.push((resolve(k)?, Some(n.to_string())));
        }
    } else {
        for k in resources.split(',') {
            let kind = resolve(k)?;
            if names.is_empty() {
                requests.push((kind, None));
            } else {
                requests.extend(names.iter().map(|n| (kind, Some(n.clone()))));
            }
        }
    }
    let opts = PrintOptions {
        wide: output == "wide",
        with_namespace: all_namespaces,
        show_labels: flags.is_set("show-labels"),
        no_headers: flags.is_set("no-headers"),
    };
    let now = cluster.now();
    let mut sections: Vec<String> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let multi_kind = requests.iter().map(|r| r.0).collect::<std::collections::BTreeSet<_>>().len() > 1;
    let mut kinds_in_order: Vec<Kind> = Vec::new();
    for (k, _) in &requests {
        if !kinds_in_order.contains(k) {
            kinds_in_order.push(*k);
        }
    }
    let mut all_objects: Vec<Arc<Object>> = Vec::new();
    for kind in kinds_in_order {
        let info = kind.info();
        let ns_filter = if !info.namespaced || all_namespaces { None } else { Some(namespace.as_str()) };
        let mut objects: Vec<Arc<Object>> = Vec::new();
        for (_, name) in requests.iter().filter(|r| r.0 == kind) {
            match name {
                Some(n) => match cluster.api().get(USER, kind, ns_filter.unwrap_or(&namespace), n) {
                    Ok(o) => objects.push(o),
                    Err(e) => errors.push(kubectl_error(&e)),
                },
                None => match cluster.api().list_selected(USER, kind, ns_filter, &selector, &field_selector) {
                    Ok(list) => objects.extend(list.items),
                    Err(e) => errors.push(kubectl_error(&e)),
                },
            }
        }
        if objects.is_empty() {
            continue;
        }
        if matches!(output, "" | "wide") {
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
        }
        all_objects.extend(objects);
    }
    let body = match output {
        "" | "wide" => {
            if sections.is_empty() && errors.is_empty() {
                return Ok(printers::no_resources(if all_namespaces { None } else { Some(&namespace) }));
            }
            sections.join("\n")
        }
        other => {
            let refs: Vec<&Object> = all_objects.iter().map(|o| &**o).collect();
            let single = requests.len() == 1 && requests[0].1.is_some() && refs.len() == 1;
            match (other, single) {
                ("yaml", true) => printers::object_yaml(refs[0]),
                ("yaml", false) => printers::list_yaml(&refs),
                ("json", true) => printers::object_json(refs[0]),
                ("json", false) => printers::list_json(&refs),
                ("name", _) => printers::names(&refs),
                (f, _) if ["jsonpath", "custom-columns", "go-template", "template"].iter().any(|p| f.starts_with(p)) => {
                    return Err(format!("error: -o {} is not available in kubesim yet", f.split('=').next().unwrap_or(f)))
                }
                _ => {
                    return Err(format!(
                        "error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"
                    ))
                }
            }
        }
    };
    if errors.is_empty() {
        Ok(body)
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

fn resolve(name: &str) -> Result<Kind, String> {
    Kind::from_resource_name(name).ok_or_else(|| format!("error: the server doesn't have a resource type \"{name}\""))
}

fn kubectl_error(e: &ApiError) -> String {
    e.kubectl_message()
}
