//! `kubectl label` and `kubectl annotate`: `KEY=VALUE` sets, `KEY-` removes, `--overwrite`
//! to change an existing value; by name, `-l` or `--all`.

use std::collections::BTreeMap;

use super::flags::{flag, parse, FlagSpec};
use super::resources::{field_selector, finish, label_selector, modify, settled, targets, Scope};
use crate::client::{Client, Waiter};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Labels,
    Annotations,
}

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("overwrite", None, false),
    flag("namespace", Some('n'), true),
    flag("all-namespaces", Some('A'), false),
    flag("selector", Some('l'), true),
    flag("field-selector", None, true),
    flag("all", None, false),
    flag("list", None, false),
];

pub fn run(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str], which: Which) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let (changes, resources): (Vec<&String>, Vec<String>) = {
        let (c, r): (Vec<&String>, Vec<&String>) =
            flags.positional.iter().partition(|a| a.contains('=') || (a.ends_with('-') && !a.contains('/')));
        (c, r.into_iter().cloned().collect())
    };
    let mut set = BTreeMap::new();
    let mut remove = Vec::new();
    for c in &changes {
        if let Some((k, v)) = c.split_once('=') {
            if k.is_empty() {
                return Err(format!("error: invalid label spec: {c}"));
            }
            set.insert(k.to_string(), v.to_string());
        } else if let Some(k) = c.strip_suffix('-') {
            remove.push(k.to_string());
        }
    }
    let verb = if which == Which::Labels { "label" } else { "annotate" };
    if changes.is_empty() && !flags.is_set("list") {
        return Err(format!(
            "error: at least one {} update is required",
            if which == Which::Labels { "label" } else { "annotation" }
        ));
    }
    let targets = targets(&resources)?;
    let scope = Scope::from_flags(&flags);
    let by_name = targets.iter().any(|t| t.1.is_some());
    if !by_name && flags.get("selector").is_none() && !flags.is_set("all") {
        return Err("error: resource(s) were provided, but no name was specified".into());
    }
    let (objects, mut errors) =
        super::resources::fetch(client, &targets, &scope, &label_selector(&flags)?, &field_selector(&flags)?);
    let mut lines = Vec::new();
    let overwrite = flags.is_set("overwrite");
    for obj in objects {
        let mut changed = false;
        let result = modify(client, obj.kind(), obj.namespace(), obj.name(), |o| {
            let meta = o.metadata_mut();
            let map = match which {
                Which::Labels => meta.labels.get_or_insert_with(BTreeMap::new),
                Which::Annotations => meta.annotations.get_or_insert_with(BTreeMap::new),
            };
            for (k, v) in &set {
                if let Some(old) = map.get(k) {
                    if old != v && !overwrite {
                        return Err(format!("error: '{k}' already has a value ({old}), and --overwrite is false"));
                    }
                }
                changed |= map.get(k) != Some(v);
                map.insert(k.clone(), v.clone());
            }
            for k in &remove {
                changed |= map.remove(k).is_some();
            }
            if map.is_empty() {
                match which {
                    Which::Labels => meta.labels = None,
                    Which::Annotations => meta.annotations = None,
                }
            }
            Ok(())
        });
        match result {
            Ok(o) if changed => lines.push(format!("{} {}", o.type_name(), past(verb, set.is_empty()))),
            Ok(o) => lines.push(format!("{} not {}", o.type_name(), past(verb, false))),
            Err(e) => errors.push(e),
        }
    }
    settled(waiter, finish(lines, errors))
}

fn past(verb: &str, removed: bool) -> &'static str {
    match (verb, removed) {
        ("label", true) => "unlabeled",
        ("label", false) => "labeled",
        (_, _) => "annotated",
    }
}
