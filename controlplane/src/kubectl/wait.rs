//! `kubectl wait --for=condition=C[=value] | --for=delete | --for=create RESOURCE... [--timeout=30s]`:
//! the simulated clock runs until the condition holds for every object, or the timeout.
//!
//! With nothing to wait for, kubectl answers at once (`RunWait`): a name that does not exist
//! is its NotFound error (for a condition); `--all` or a selector that matches nothing is
//! `error: no matching resources found` (for anything but delete, which is then done).

use chrono::Duration;
use serde_json::Value;

use super::flags::{flag, parse, FlagSpec};
use super::resources::{field_selector, label_selector, targets, Scope};
use crate::client::{all_deleted, wait_until, Client, WaitFailure, Waiter};
use crate::model::{Kind, Object};

enum WaitFor {
    Status {
        name: String,
        value: String,
    },
    Delete,
    Create,
    /// `--for=jsonpath='{.status.phase}'=Running`; without a value, the field must exist.
    JsonPath {
        path: super::jsonpath::JsonPath,
        value: Option<String>,
    },
}

fn parse_for(s: &str) -> Result<WaitFor, String> {
    if s == "delete" {
        return Ok(WaitFor::Delete);
    }
    if s == "create" {
        return Ok(WaitFor::Create);
    }
    if let Some(rest) = s.strip_prefix("condition=") {
        let (name, value) = rest.split_once('=').unwrap_or((rest, "true"));
        return Ok(WaitFor::Status { name: name.to_string(), value: value.to_string() });
    }
    if let Some(rest) = s.strip_prefix("jsonpath=") {
        let rest = rest.trim_matches('\'');
        let (template, value) = match rest.rfind("}=") {
            Some(i) => (&rest[..=i], Some(rest[i + 2..].trim_matches('\'').to_string())),
            None => (rest, None),
        };
        let template = if template.starts_with('{') { template.to_string() } else { format!("{{{template}}}") };
        let path = super::jsonpath::parse(&template).map_err(|e| format!("error: {e}"))?;
        return Ok(WaitFor::JsonPath { path, value });
    }
    Err(format!("error: unrecognized condition: {s:?}"))
}

/// Whether `obj` has condition `name` with status `value` (both case-insensitive, as kubectl).
fn has_condition(obj: &Object, name: &str, value: &str) -> bool {
    let doc = obj.to_value();
    doc.pointer("/status/conditions").and_then(Value::as_array).is_some_and(|conds| {
        conds.iter().any(|c| {
            c.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case(name))
                && c.get("status").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case(value))
        })
    })
}

/// kubectl's `errNoMatchingResources`.
const NO_MATCH: &str = "error: no matching resources found";

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("for", None, true),
    flag("timeout", None, true),
    flag("namespace", Some('n'), true),
    flag("all-namespaces", Some('A'), false),
    flag("selector", Some('l'), true),
    flag("field-selector", None, true),
    flag("all", None, false),
];

pub fn run(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let condition = parse_for(flags.get("for").ok_or("error: --for must be set")?)?;
    let timeout = match flags.get("timeout") {
        Some(t) => crate::sim::parse_duration(t).map_err(|e| format!("error: {e}"))?,
        None => Duration::seconds(30),
    };
    let scope = Scope::from_flags(&flags);
    let targets = targets(&flags.positional)?;
    let labels = label_selector(&flags)?;
    let fields = field_selector(&flags)?;
    let listed = flags.is_set("all") || flags.get("selector").is_some() || flags.get("field-selector").is_some();
    if !listed && targets.iter().any(|(_, name)| name.is_none()) {
        return Err("error: resource(s) were provided, but no name was specified".into());
    }
    let deadline = waiter.deadline(timeout).map_err(|e| format!("error: {e}"))?;
    // For delete, the objects as they are now; the condition is that they are gone.
    let (initial, errors) = super::resources::fetch(client, &targets, &scope, &labels, &fields);
    if let Some(e) = errors
        .into_iter()
        .find(|e| !matches!(condition, WaitFor::Create | WaitFor::Delete) || !e.contains("(NotFound)"))
    {
        return Err(e);
    }
    if initial.is_empty() && matches!(condition, WaitFor::Status { .. } | WaitFor::JsonPath { .. }) {
        return Err(NO_MATCH.into());
    }
    let mut check = || -> Result<bool, WaitFailure> {
        Ok(match &condition {
            WaitFor::Delete => all_deleted(client, &initial).map_err(WaitFailure::Api)?,
            WaitFor::Create => {
                let mut all = true;
                for (kind, name) in &targets {
                    all = all && exists(client, *kind, &scope, name.as_deref());
                }
                all
            }
            WaitFor::JsonPath { path, value } => {
                let (now, _) = super::resources::fetch(client, &targets, &scope, &labels, &fields);
                !now.is_empty()
                    && now.iter().all(|o| match path.execute(&o.to_value()) {
                        Ok(found) => match value {
                            Some(v) => &found == v,
                            None => !found.is_empty(),
                        },
                        Err(_) => false,
                    })
            }
            WaitFor::Status { name, value } => {
                let (now, _) = super::resources::fetch(client, &targets, &scope, &labels, &fields);
                !now.is_empty() && now.iter().all(|o| has_condition(o, name, value))
            }
        })
    };
    let met = wait_until(waiter, deadline, &mut check).map_err(|e| e.kubectl_message())?;
    if met {
        let shown: Vec<String> = match &condition {
            WaitFor::Delete => initial.iter().map(|o| o.type_name()).collect(),
            _ => super::resources::fetch(client, &targets, &scope, &labels, &fields)
                .0
                .iter()
                .map(|o| o.type_name())
                .collect(),
        };
        if shown.is_empty() && !matches!(condition, WaitFor::Delete) {
            return Err(NO_MATCH.into());
        }
        return Ok(shown.iter().map(|s| format!("{s} condition met")).collect::<Vec<_>>().join("\n"));
    }
    let (now, _) = super::resources::fetch(client, &targets, &scope, &labels, &fields);
    // kubectl names the resource without its group (`jobs/pi`, `deployments/web`).
    let first = now.first().map(|o| format!("{}/{}", o.info().plural, o.name())).unwrap_or_else(|| "resources".into());
    Err(format!("error: timed out waiting for the condition on {first}"))
}

/// Whether the object `name` names exists (`--for=create`); no name is any.
fn exists(client: &mut dyn Client, kind: Kind, scope: &Scope, name: Option<&str>) -> bool {
    let ns = if kind.info().namespaced { scope.namespace.as_str() } else { "" };
    match name {
        Some(n) => client.get(kind, ns, n).is_ok(),
        None => true,
    }
}
