//! `kubectl delete` by name, `-f`, `-l` or `--all`, with `--cascade`, `--grace-period`,
//! `--now` and `--force`. Like kubectl (whose `--wait` defaults to true), it waits for what it
//! deleted to be gone: here the simulated clock moves on while it waits, for at most the
//! grace period and a little more.

use std::sync::Arc;

use chrono::Duration;

use super::command::Input;
use super::flags::{flag, parse, FlagSpec};
use super::resources::{field_selector, finish, label_selector, settled, targets, DryRun, Scope};
use crate::apiserver::{DeleteOptions, Propagation};
use crate::client::{all_deleted, wait_until, Client, Response, WaitFailure, Waiter};
use crate::model::{decode, parse_documents, Object};

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("namespace", Some('n'), true),
    flag("all-namespaces", Some('A'), false),
    flag("selector", Some('l'), true),
    flag("field-selector", None, true),
    flag("all", None, false),
    flag("filename", Some('f'), true),
    flag("recursive", Some('R'), false),
    flag("cascade", None, true).with_values(&["background", "foreground", "orphan"]),
    flag("grace-period", None, true),
    flag("now", None, false),
    flag("force", None, false),
    flag("wait", None, true),
    flag("ignore-not-found", None, false),
    flag("dry-run", None, true).with_values(&["client", "none", "server"]),
];

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let dry_run = super::resources::dry_run(&flags, client)?;
    let propagation = match flags.get("cascade").unwrap_or("background") {
        "background" | "true" => Propagation::Background,
        "foreground" => Propagation::Foreground,
        "orphan" | "false" => Propagation::Orphan,
        other => {
            return Err(format!(
                "error: invalid cascade value ({other}). Must be \"background\", \"foreground\", or \"orphan\""
            ))
        }
    };
    let mut grace: Option<i64> = match flags.get("grace-period") {
        Some(g) => Some(g.parse().map_err(|_| format!("error: invalid argument {g:?} for \"--grace-period\" flag"))?),
        None => None,
    };
    if flags.is_set("now") {
        grace = Some(1);
    }
    let mut lines = Vec::new();
    if flags.is_set("force") {
        if grace.is_none_or(|g| g <= 0) {
            grace = Some(0);
        }
        lines.push("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.".to_string());
    } else if grace == Some(0) {
        // As kubectl: a zero grace period without --force means 1 second.
        grace = Some(1);
    }
    let scope = Scope::from_flags(&flags);
    let (objects, mut errors) = if !flags.all("filename").is_empty() {
        from_files(client, &flags, &scope, input)?
    } else {
        let targets = targets(&flags.positional)?;
        let by_name = targets.iter().any(|t| t.1.is_some());
        let selected = flags.get("selector").is_some() || flags.get("field-selector").is_some() || flags.is_set("all");
        if !by_name && !selected {
            return Err("error: resource(s) were provided, but no name was specified".into());
        }
        if by_name && selected {
            return Err("error: name cannot be provided when a selector is specified".into());
        }
        super::resources::fetch(client, &targets, &scope, &label_selector(&flags)?, &field_selector(&flags)?)
    };
    if flags.is_set("ignore-not-found") {
        errors.retain(|e| !e.starts_with("Error from server (NotFound)"));
    }
    if objects.is_empty() && errors.is_empty() && !flags.is_set("ignore-not-found") {
        return Ok("No resources found".into());
    }
    let opts = DeleteOptions { grace_period_seconds: grace, propagation_policy: Some(propagation), uid: None };
    let mut waiting: Vec<Arc<Object>> = Vec::new();
    for obj in objects {
        let info = obj.info();
        let deleted = match dry_run {
            // Client dry run: nothing sent.
            DryRun::Client => Ok(()),
            _ => client.delete(obj.kind(), obj.namespace(), obj.name(), opts.clone()).map(|_| ()),
        };
        match deleted {
            Ok(()) => {
                let name = crate::apiserver::error::quote(obj.name());
                lines.push(format!("{} {name} deleted{}", info.group_singular(), dry_run.suffix()));
                waiting.push(obj);
            }
            Err(e) => errors.push(e.kubectl_message()),
        }
    }
    if flags.get("wait") != Some("false") && dry_run == DryRun::None {
        if let Err(e) = wait_until_gone(client, waiter, &waiting, grace) {
            errors.push(e);
        }
        finish(lines, errors)
    } else {
        settled(waiter, finish(lines, errors))
    }
}

fn from_files(
    client: &mut dyn Client,
    flags: &super::flags::Parsed,
    scope: &Scope,
    input: Input<'_>,
) -> Result<(Vec<Arc<Object>>, Vec<String>), String> {
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    let typed = super::files::typed_namespace(flags, input);
    for f in flags.all("filename") {
        for (source, text) in super::files::read(f, input, flags.is_set("recursive"), None)? {
            let docs = parse_documents(&text?).map_err(|e| format!("error: error parsing {source}: {e}"))?;
            for doc in docs {
                if let Err(e) = super::files::require_namespace(&doc, typed) {
                    errors.push(e);
                    continue;
                }
                let obj = decode(doc).map_err(|e| format!("error: {e}"))?;
                let ns = if obj.namespace().is_empty() { scope.namespace.as_str() } else { obj.namespace() };
                let ns = if obj.info().namespaced { ns.to_string() } else { String::new() };
                match client.get(obj.kind(), &ns, obj.name()).map(Response::into_body) {
                    Ok(o) => found.push(o),
                    Err(e) => errors.push(e.kubectl_message()),
                }
            }
        }
    }
    Ok((found, errors))
}

/// Let simulated time pass until the deleted objects are gone (kubectl's `--wait`), for at
/// most the longest grace period plus 30 seconds. An error is kubectl's line for it.
pub(super) fn wait_until_gone(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    objects: &[Arc<Object>],
    grace: Option<i64>,
) -> Result<(), String> {
    let longest = objects
        .iter()
        .map(|o| match (&**o, grace) {
            (_, Some(g)) => g,
            (Object::Pod(p), None) => p.spec.as_ref().and_then(|s| s.termination_grace_period_seconds).unwrap_or(30),
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    let waited = waiter
        .deadline(Duration::seconds(longest + 30))
        .map_err(WaitFailure::from)
        .and_then(|deadline| wait_until(waiter, deadline, || all_deleted(client, objects).map_err(WaitFailure::Api)));
    waited.map(|_| ()).map_err(|e| e.kubectl_message())
}
