//! `kubectl apply -f FILE|DIR|- [-n NS] [--dry-run=server]`.

use super::apply::apply_all;
use super::command::Input;
use super::flags::{flag, parse, FlagSpec};
use super::resources::server_dry_run;
use crate::client::{Client, Waiter};

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("filename", Some('f'), true),
    flag("namespace", Some('n'), true),
    flag("recursive", Some('R'), false),
    flag("dry-run", None, true).with_values(&["none", "server"]),
];

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    if let Some(extra) = flags.positional.first() {
        return Err(format!("error: Unexpected args: [{extra}]\nSee 'kubectl apply -h' for help and examples"));
    }
    let files = flags.all("filename");
    if files.is_empty() {
        return Err("error: must specify one of -f and -k".into());
    }
    let namespace = flags.get("namespace").unwrap_or("default");
    let dry_run = server_dry_run("apply", &flags, client)?;
    let mut outcomes = Vec::new();
    for f in files {
        for (source, text) in super::files::read(f, input, flags.is_set("recursive"), Some("creating"))? {
            match text {
                Ok(text) => outcomes.extend(apply_all(client, waiter, &text, &source, namespace)),
                Err(e) => outcomes.push(Err(e)),
            }
        }
    }
    let (ok, errs): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(Result::is_ok);
    let ok: Vec<String> = ok.into_iter().flatten().map(|line| format!("{line}{}", dry_run.suffix())).collect();
    if errs.is_empty() {
        Ok(ok.join("\n"))
    } else {
        // kubectl prints what worked, then the errors; a script sees the whole as the error.
        let mut lines = ok;
        lines.extend(errs.into_iter().filter_map(Result::err));
        Err(lines.join("\n"))
    }
}
