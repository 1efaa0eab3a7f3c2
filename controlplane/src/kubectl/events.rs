//! `kubectl events`: the events of a namespace (or all, `-A`) oldest first (events at the same
//! moment in the list's order), as kubectl's
//! event printer writes them: LAST SEEN with `(xN over D)` for a repeated event, and OBJECT as
//! `Kind/name`; `--for TYPE/NAME` keeps one object's, `--types` some types.

use crate::model::event::Event;
use chrono::{DateTime, Utc};

use super::flags::{flag, parse, FlagSpec};
use super::printers::age::{micro_age, since, to_chrono};
use super::tabwriter::TabWriter;
use crate::client::{Client, Waiter};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("namespace", Some('n'), true),
    flag("all-namespaces", Some('A'), false),
    flag("for", None, true),
    flag("types", None, true),
    flag("no-headers", None, false),
];

/// `printers.GetNewTabWriter`: minwidth 10, padding 3.
const TABLE: TabWriter = TabWriter { min_width: 10, padding: 3 };

/// When an event last happened, for the order.
fn last_seen(e: &Event) -> Option<DateTime<Utc>> {
    let series = e.series.as_ref().and_then(|s| s.last_observed_time.as_ref()).map(|t| to_chrono(t.0));
    series
        .or_else(|| e.last_timestamp.as_ref().map(|t| to_chrono(t.0)))
        .or_else(|| e.event_time.as_ref().map(|t| to_chrono(t.0)))
}

/// kubectl's `getInterval`.
fn interval(e: &Event, now: DateTime<Utc>) -> String {
    let first = match (&e.event_time, &e.first_timestamp) {
        (Some(t), _) => micro_age(Some(t), now),
        (None, Some(t)) => since(t.0, now),
        (None, None) => "<unknown>".to_string(),
    };
    if let Some(s) = &e.series {
        return format!("{} (x{} over {first})", micro_age(s.last_observed_time.as_ref(), now), s.count.unwrap_or(0));
    }
    match (e.count.unwrap_or(0), &e.last_timestamp) {
        (n, Some(t)) if n > 1 => format!("{} (x{n} over {first})", since(t.0, now)),
        _ => first,
    }
}

pub fn run(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    if let Some(extra) = flags.positional.first() {
        return Err(format!("error: unknown command {extra:?} for \"kubectl events\""));
    }
    let all = flags.get("all-namespaces").is_some();
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    let types: Vec<String> = match flags.get("types") {
        None => Vec::new(),
        Some(list) => {
            let types: Vec<String> = list.split(',').map(|t| t.trim().to_string()).collect();
            if types.iter().any(|t| !t.eq_ignore_ascii_case("Normal") && !t.eq_ignore_ascii_case("Warning")) {
                return Err("error: valid --types are Normal or Warning".into());
            }
            types
        }
    };
    let target = match flags.get("for") {
        None => None,
        Some(text) => {
            let (kind, name) = text
                .split_once('/')
                .ok_or_else(|| format!("error: --for must be in resource/name form, not {text:?}"))?;
            let kind: Kind = super::resources::resolve(kind)?;
            Some((kind.info().name.to_string(), name.to_string()))
        }
    };
    let ns = (!all).then_some(namespace.as_str());
    let list = client
        .list(Kind::Event, ns, &LabelSelector::everything(), &FieldSelector::default())
        .map_err(|e| e.kubectl_message())?;
    let mut events: Vec<&Event> = list
        .body
        .items
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => Some(&**e),
            _ => None,
        })
        .filter(|e| {
            target.as_ref().is_none_or(|(kind, name)| {
                e.involved_object.kind.as_deref() == Some(kind) && e.involved_object.name.as_deref() == Some(name)
            })
        })
        .filter(|e| {
            types.is_empty() || types.iter().any(|t| e.type_.as_deref().is_some_and(|et| et.eq_ignore_ascii_case(t)))
        })
        .collect();
    if events.is_empty() {
        return Ok(if all { "No events found.".into() } else { format!("No events found in {namespace} namespace.") });
    }
    events.sort_by_key(|e| last_seen(e));
    let now = waiter.now();
    let mut rows: Vec<Vec<String>> = Vec::new();
    if flags.get("no-headers").is_none() {
        let mut header = vec!["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
        if all {
            header.insert(0, "NAMESPACE");
        }
        rows.push(header.into_iter().map(String::from).collect());
    }
    for e in events {
        let involved = &e.involved_object;
        let mut row = vec![
            interval(e, now),
            e.type_.as_deref().unwrap_or_default().to_string(),
            e.reason.as_deref().unwrap_or_default().to_string(),
            format!("{}/{}", involved.kind.as_deref().unwrap_or(""), involved.name.as_deref().unwrap_or("")),
            e.message.as_deref().unwrap_or("").trim().to_string(),
        ];
        if all {
            row.insert(0, e.metadata.namespace.clone().unwrap_or_default());
        }
        rows.push(row);
    }
    Ok(TABLE.align(&rows, false))
}
