//! `kubectl get KIND [NAME] -w | --watch | --watch-only [--request-timeout=D]`: the list, then
//! each change as it happens, in simulated time. The watch moves the clock through the
//! [`Waiter`] and ends at the request timeout (simulated) or when the session is interrupted
//! (Ctrl-C, a notebook's stop button). Each line goes to the front-end's [`super::Stdout`] as
//! it is printed (else it is returned when the watch ends). A script cannot be interrupted by
//! hand, so there a watch needs a timeout.
//!
//! As kubectl prints it: a table's header once, then one row per change (each change a row of
//! its own, aligned on its own, as kubectl flushes its tab writer per event); `-o yaml` one
//! document per object with `---` between; `-o json` and `-o name` one object per change.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::command::Input;
use super::get::Format;
use super::printers::{self, PrintOptions};
use super::stdout::Printed;
use crate::apiserver::WatchEvent;
use crate::client::{Client, Response, WaitError, Waiter};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::Object;
use crate::sim::SimError;

/// What `get` parsed, that the watch needs.
pub struct WatchRequest<'a> {
    pub targets: &'a [(crate::model::Kind, Option<String>)],
    pub namespace: &'a str,
    pub all_namespaces: bool,
    pub labels: &'a LabelSelector,
    pub fields: &'a FieldSelector,
    pub format: &'a Format,
    pub opts: PrintOptions,
    pub watch_only: bool,
    pub request_timeout: Option<&'a str>,
}

/// Why a watch without a timeout is refused where nothing can interrupt it.
const NEEDS_TIMEOUT: &str = "error: kubectl get -w needs --request-timeout in a script: simulated time would run \
without end, and nothing can interrupt a script; add e.g. --request-timeout=60s (simulated time)";

/// A field selector no object matches (a name cannot be empty): a list that only tells the
/// store's revision.
static NO_OBJECT: std::sync::LazyLock<FieldSelector> =
    std::sync::LazyLock::new(|| FieldSelector::parse("metadata.name=").unwrap_or_else(|_| FieldSelector::everything()));

/// How far the clock moves toward the end of a watch without a timeout before it looks again.
const CHUNK: i64 = 3600;

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    req: &WatchRequest<'_>,
    input: Input<'_>,
) -> Result<String, String> {
    let timeout = match req.request_timeout {
        None | Some("") | Some("0") => None,
        Some(t) => Some(request_timeout(t)?),
    };
    if timeout.is_none() && !input.interactive {
        return Err(NEEDS_TIMEOUT.into());
    }
    let kinds: Vec<_> = req.targets.iter().map(|t| t.0).collect();
    let Some(&kind) = kinds.first() else { return Err("error: you must specify the type of resource".into()) };
    if kinds.iter().any(|k| *k != kind) || req.targets.iter().filter(|t| t.1.is_some()).count() > 1 {
        return Err(format!(
            "error: watch is only supported on individual resources and resource collections, but {} resources were found",
            req.targets.len()
        ));
    }
    let name = req.targets[0].1.clone();
    let ns = (kind.info().namespaced && !req.all_namespaces).then_some(req.namespace);
    let matches = |o: &Object| {
        name.as_deref().is_none_or(|n| o.name() == n)
            && req.labels.matches(o.labels())
            && req.fields.matches(|f| crate::model::fields::value(o, f))
    };
    let listed =
        client.list(kind, ns, req.labels, req.fields).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let mut printer = Printer { out: Printed::new(input.stdout), printed: 0, format: req.format, opts: req.opts };
    let initial: Vec<Arc<Object>> = listed.items.into_iter().filter(|o| matches(o)).collect();
    if !req.watch_only {
        printer.print(&initial, waiter.now())?;
    }
    match follow(client, waiter, &mut printer, kind, ns, listed.resource_version, timeout, &matches) {
        Ok(()) => Ok(printer.out.done()),
        Err(e) => Err(printer.out.failed(&e)),
    }
}

/// Print each change from `revision` on, moving the clock, until the timeout or an interrupt.
#[allow(clippy::too_many_arguments)]
fn follow(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    printer: &mut Printer<'_, '_>,
    kind: crate::model::Kind,
    ns: Option<&str>,
    mut revision: i64,
    timeout: Option<Duration>,
    matches: &dyn Fn(&Object) -> bool,
) -> Result<(), String> {
    let end = match timeout {
        Some(t) => Some(waiter.deadline(t).map_err(|e| format!("error: {e}"))?),
        None => None,
    };
    loop {
        let moved = step(waiter, end)?;
        if moved == Moved::Interrupted {
            // The watch ends, as kubectl's does on Ctrl-C, with what it printed.
            return Ok(());
        }
        let now = waiter.now();
        for event in changes(client, kind, ns, &mut revision)? {
            // A deleted object is printed too, as it was last.
            if matches(&event.object) {
                printer.print(std::slice::from_ref(&event.object), now)?;
            }
        }
        if moved == Moved::End {
            return Ok(());
        }
    }
}

/// How far one move of a watch's clock got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Moved {
    /// Something may have changed; the watch goes on.
    On,
    /// The watch's end (its timeout) has come.
    End,
    /// The user interrupted it (Ctrl-C, a notebook's stop button).
    Interrupted,
}

/// Let time pass until something may have changed, toward `end` (a watch's timeout), or
/// without one an hour at a time until the user interrupts.
pub(super) fn step(waiter: &mut dyn Waiter, end: Option<DateTime<Utc>>) -> Result<Moved, String> {
    let deadline = match end {
        Some(end) => end,
        None => waiter.deadline(Duration::seconds(CHUNK)).map_err(|e| format!("error: {e}"))?,
    };
    match waiter.step_toward(deadline) {
        Ok(true) if end.is_some() => Ok(Moved::End),
        Ok(_) => Ok(Moved::On),
        Err(WaitError::Cluster(SimError::Interrupted)) => Ok(Moved::Interrupted),
        Err(e) => Err(format!("error: {e}")),
    }
}

/// The changes to `kind` since `revision`, oldest first; `revision` becomes the store's now,
/// so that the next look starts there even when nothing of this kind changed (the API server
/// forgets old history every few minutes).
pub(super) fn changes(
    client: &mut dyn Client,
    kind: crate::model::Kind,
    ns: Option<&str>,
    revision: &mut i64,
) -> Result<Vec<WatchEvent>, String> {
    let events = client.watch(kind, ns, *revision).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    *revision = store_revision(client, kind, ns)?;
    Ok(events)
}

/// The store's revision now, from a list that matches nothing.
pub(super) fn store_revision(
    client: &mut dyn Client,
    kind: crate::model::Kind,
    ns: Option<&str>,
) -> Result<i64, String> {
    client
        .list(kind, ns, &LabelSelector::everything(), &NO_OBJECT)
        .map(|r| r.body.resource_version)
        .map_err(|e| e.kubectl_message())
}

/// kubectl's `--request-timeout`: a whole number of seconds, or one with a unit.
pub(super) fn request_timeout(t: &str) -> Result<Duration, String> {
    let bad = || {
        "error: invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)".to_string()
    };
    if let Ok(secs) = t.parse::<i64>() {
        return if secs < 0 { Err(bad()) } else { Ok(Duration::seconds(secs)) };
    }
    crate::sim::parse_duration(t).map_err(|_| bad())
}

/// Prints objects as a watch does, remembering what it printed before.
struct Printer<'a, 'o> {
    out: Printed<'o>,
    printed: usize,
    format: &'a Format,
    opts: PrintOptions,
}

impl Printer<'_, '_> {
    fn print(&mut self, objects: &[Arc<Object>], now: chrono::DateTime<chrono::Utc>) -> Result<(), String> {
        if objects.is_empty() {
            return Ok(());
        }
        let refs: Vec<&Object> = objects.iter().map(|o| &**o).collect();
        match self.format {
            Format::Table => {
                let opts = PrintOptions { no_headers: self.opts.no_headers || self.printed > 0, ..self.opts };
                self.out.print(&printers::table(refs[0].kind(), &refs, now, &opts).render());
            }
            format => {
                for obj in &refs {
                    let text = match format {
                        Format::Yaml if self.printed > 0 => format!("---\n{}", printers::object_yaml(obj)),
                        Format::Yaml => printers::object_yaml(obj),
                        Format::Json => printers::object_json(obj),
                        Format::Name => format!("{}\n", printers::name(obj)),
                        // Custom columns have their header once, before the first object.
                        Format::CustomColumns(_) if self.printed > 0 => {
                            let text = format.print_one(obj)?;
                            text.split_once('\n').map(|(_, rows)| rows.to_string()).unwrap_or_default()
                        }
                        other => other.print_one(obj)?,
                    };
                    self.out.print(&text);
                    self.printed += 1;
                }
                return Ok(());
            }
        }
        self.printed += refs.len();
        Ok(())
    }
}
