//! `kubectl rollout status TYPE/NAME [--watch=false] [--revision=N] [--timeout=D]`, as
//! kubectl's: the object's status message when it is listed and then on every watch event that
//! adds or modifies it (kubectl de-duplicates nothing: two events with the same counts print
//! the same line twice), until the rollout is done, the object is deleted, the timeout comes,
//! or the user interrupts. Each line goes to the front-end's [`super::Stdout`] as it is
//! printed, through the same clock-moving watch as `get -w`.

use chrono::Duration;

use super::command::Input;
use super::flags::Parsed;
use super::rollout::{status_line, REVISION};
use super::rollout_history::revision_flag;
use super::stdout::Printed;
use super::watch::{changes, step, store_revision, Moved};
use crate::apiserver::WatchEventType;
use crate::client::{Client, Response, Waiter};
use crate::model::{Kind, Object};

/// Without `--timeout` kubectl waits until the rollout is done. Where nothing can interrupt
/// (a script), the simulation stops after this much cluster time.
const SCRIPT_TIMEOUT_MINUTES: i64 = 10;

pub(super) fn status(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    (kind, ns, name): (Kind, &str, &str),
    flags: &Parsed,
    input: Input<'_>,
) -> Result<String, String> {
    let watch = match flags.get("watch") {
        None | Some("true") => true,
        Some("false") => false,
        Some(v) => {
            return Err(format!(
            "error: invalid argument {v:?} for \"-w, --watch\" flag: strconv.ParseBool: parsing {v:?}: invalid syntax"
        ))
        }
    };
    let revision = revision_flag(flags, "revision")?;
    if revision < 0 {
        return Err(format!("error: revision must be a positive integer: {revision}"));
    }
    let timeout = match flags.get("timeout") {
        None | Some("0") | Some("0s") => None,
        Some(t) => Some(crate::sim::parse_duration(t).map_err(|_| {
            format!("error: invalid argument {t:?} for \"--timeout\" flag: time: invalid duration {t:?}")
        })?),
    };
    let timeout = match timeout {
        None if !input.interactive => Some(Duration::minutes(SCRIPT_TIMEOUT_MINUTES)),
        t => t,
    };
    let end = timeout.map(|t| waiter.deadline(t)).transpose().map_err(|e| format!("error: {e}"))?;
    // As kubectl: the object is got first (a missing one is the server's NotFound), then
    // listed and watched from the list's revision.
    let obj = client.get(kind, ns, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let mut from = store_revision(client, kind, Some(ns))?;
    let mut out = Printed::new(input.stdout);
    let report = |out: &mut Printed<'_>, obj: &Object| -> Result<bool, String> {
        pinned(obj, revision)?;
        let (line, done) = status_line(obj)?;
        out.print(&format!("{line}\n"));
        Ok(done || !watch)
    };
    let outcome = (|| {
        if report(&mut out, &obj)? {
            return Ok(());
        }
        loop {
            let moved = step(waiter, end)?;
            if moved == Moved::Interrupted {
                return Ok(());
            }
            for event in changes(client, kind, Some(ns), &mut from)? {
                if event.object.name() != name {
                    continue;
                }
                match event.event_type {
                    // Not to watch a new object of the same name by mistake.
                    WatchEventType::Deleted => return Err("error: object has been deleted".to_string()),
                    _ => {
                        if report(&mut out, &event.object)? {
                            return Ok(());
                        }
                    }
                }
            }
            if moved == Moved::End {
                return Err("error: timed out waiting for the condition".to_string());
            }
        }
    })();
    match outcome {
        Ok(()) => Ok(out.done()),
        Err(e) => Err(out.failed(&e)),
    }
}

/// `--revision=N` pins a Deployment's status to revision N: a newer rollout is an error
/// (DaemonSets and StatefulSets ignore it, as kubectl's viewers do).
fn pinned(obj: &Object, revision: i64) -> Result<(), String> {
    let Object::Deployment(d) = obj else { return Ok(()) };
    if revision == 0 {
        return Ok(());
    }
    let name = obj.name();
    let running = match d.metadata.annotations.as_ref().and_then(|a| a.get(REVISION)) {
        None => 0,
        Some(v) => v.parse::<i64>().map_err(|_| {
            format!("error: cannot get the revision of deployment {name:?}: strconv.ParseInt: parsing {v:?}: invalid syntax")
        })?,
    };
    if running != revision {
        return Err(format!("error: desired revision ({revision}) is different from the running revision ({running})"));
    }
    Ok(())
}
