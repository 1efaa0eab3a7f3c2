//! `kubectl taint nodes NAME KEY[=VALUE]:EFFECT[-] ... [--overwrite]` (or `-l` / `--all`).

use k8s_openapi::api::core::v1::Taint;

use super::flags::{flag, parse, FlagSpec};
use super::resources::{field_selector, finish, label_selector, modify, settled, targets, Scope};
use crate::client::{Client, Waiter};
use crate::model::{Kind, Object};

const EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

enum Change {
    Add(Taint),
    /// Remove taints with this key (and this effect, when given).
    Remove(String, Option<String>),
}

fn parse_change(spec: &str) -> Result<Change, String> {
    let invalid = || format!("error: invalid taint spec: {spec}");
    if let Some(body) = spec.strip_suffix('-') {
        let (key, effect) = match body.split_once(':') {
            Some((k, e)) => (k.split('=').next().unwrap_or(k), Some(e.to_string())),
            None => (body.split('=').next().unwrap_or(body), None),
        };
        if key.is_empty() || effect.as_deref().is_some_and(|e| !EFFECTS.contains(&e)) {
            return Err(invalid());
        }
        return Ok(Change::Remove(key.to_string(), effect));
    }
    let (kv, effect) = spec.split_once(':').ok_or_else(invalid)?;
    if !EFFECTS.contains(&effect) {
        return Err(format!("error: invalid taint effect: {effect}, unsupported taint effect"));
    }
    let (key, value) = match kv.split_once('=') {
        Some((k, v)) => (k, Some(v.to_string())),
        None => (kv, None),
    };
    if key.is_empty() {
        return Err(invalid());
    }
    Ok(Change::Add(Taint { key: key.to_string(), value, effect: effect.to_string(), time_added: None }))
}

pub(super) const FLAGS: &[FlagSpec] =
    &[flag("overwrite", None, false), flag("selector", Some('l'), true), flag("all", None, false)];

pub fn run(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let (resource, rest) = flags.positional.split_first().ok_or("error: at least one taint update is required")?;
    if Kind::from_resource_name(resource) != Some(Kind::Node)
        && !resource.starts_with("node/")
        && !resource.starts_with("nodes/")
    {
        return Err(format!("error: invalid resource type {resource}, only node types are supported"));
    }
    let mut positional = vec![resource.clone()];
    let mut specs = Vec::new();
    for a in rest {
        if a.contains(':') || a.ends_with('-') {
            specs.push(a.clone());
        } else {
            positional.push(a.clone());
        }
    }
    if specs.is_empty() {
        return Err("error: at least one taint update is required".into());
    }
    let changes = specs.iter().map(|s| parse_change(s)).collect::<Result<Vec<_>, _>>()?;
    let targets = targets(&positional)?;
    let scope = Scope { namespace: String::new(), all_namespaces: true };
    let (nodes, mut errors) =
        super::resources::fetch(client, &targets, &scope, &label_selector(&flags)?, &field_selector(&flags)?);
    let overwrite = flags.is_set("overwrite");
    let mut lines = Vec::new();
    for node in nodes {
        let mut removed_only = true;
        let result = modify(client, Kind::Node, "", node.name(), |obj| {
            let Object::Node(n) = obj else { return Ok(()) };
            let name = n.metadata.name.clone().unwrap_or_default();
            let taints = n.spec.get_or_insert_with(Default::default).taints.get_or_insert_with(Vec::new);
            for change in &changes {
                match change {
                    Change::Add(t) => {
                        removed_only = false;
                        if let Some(existing) = taints.iter_mut().find(|e| e.key == t.key && e.effect == t.effect) {
                            if !overwrite {
                                return Err(format!("error: node {name} already has {} taint(s) with same effect(s) and --overwrite is false", t.key));
                            }
                            *existing = t.clone();
                        } else {
                            taints.push(t.clone());
                        }
                    }
                    Change::Remove(key, effect) => {
                        let before = taints.len();
                        taints.retain(|e| !(&e.key == key && effect.as_ref().is_none_or(|ef| &e.effect == ef)));
                        if taints.len() == before {
                            let shown = match effect {
                                Some(e) => format!("{key}:{e}"),
                                None => key.clone(),
                            };
                            return Err(format!("error: taint {shown:?} not found"));
                        }
                    }
                }
            }
            if taints.is_empty() {
                if let Some(spec) = n.spec.as_mut() {
                    spec.taints = None;
                }
            }
            Ok(())
        });
        match result {
            Ok(o) => lines.push(format!("{} {}", o.type_name(), if removed_only { "untainted" } else { "tainted" })),
            Err(e) => errors.push(e),
        }
    }
    settled(waiter, finish(lines, errors))
}
