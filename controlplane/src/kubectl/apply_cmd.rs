//! `kubectl apply -f FILE|DIR|- [-n NS] [--dry-run=client|server] [-o yaml|json|name]`.
//! With `--dry-run=client` nothing is sent but reads: each object is printed as kubectl would
//! send it (a new one) or as the server has it (one that exists), with `(dry run)`.

use super::apply::apply_one;
use super::command::Input;
use super::flags::{flag, parse, FlagSpec};
use super::resources::{dry_run, settled, DryRun};
use crate::client::{Client, Waiter};
use crate::model::parse_documents;

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("filename", Some('f'), true),
    flag("namespace", Some('n'), true),
    flag("recursive", Some('R'), false),
    flag("dry-run", None, true).with_values(&["client", "none", "server"]),
    flag("output", Some('o'), true).with_values(&["json", "name", "yaml"]),
];

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    super::flags::no_arguments(&flags, "apply")?;
    let files = flags.all("filename");
    if files.is_empty() {
        return Err("error: must specify one of -f and -k".into());
    }
    let namespace = flags.get("namespace").unwrap_or("default");
    let typed = super::files::typed_namespace(&flags, input);
    let dry_run = dry_run(&flags, client)?;
    let output = flags.get("output").filter(|o| !o.is_empty());
    let mut outcomes = Vec::new();
    let mut objects = Vec::new();
    for f in files {
        for (source, text) in super::files::read(f, input, flags.is_set("recursive"), Some("creating"))? {
            let docs = match text
                .and_then(|t| parse_documents(&t).map_err(|e| format!("error: error parsing {source}: {e}")))
            {
                Ok(docs) if docs.is_empty() => Err("error: no objects passed to apply".to_string()),
                other => other,
            };
            let docs = match docs {
                Ok(docs) => docs,
                Err(e) => {
                    outcomes.push(Err(e));
                    continue;
                }
            };
            for doc in docs {
                let applied = super::files::require_namespace(&doc, typed)
                    .and_then(|()| apply_one(client, doc, &source, namespace, dry_run == DryRun::Client));
                // Controllers react between requests (a new namespace gets its service account).
                let line = settled(
                    waiter,
                    applied.map(|(line, obj)| {
                        objects.push(obj);
                        format!("{line}{}", dry_run.suffix())
                    }),
                );
                outcomes.push(line);
            }
        }
    }
    let (ok, errs): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(Result::is_ok);
    let mut lines: Vec<String> = match output {
        // `-o yaml|json`: the objects instead of the lines, one alone or several as a List.
        Some("yaml") | Some("json") => {
            let refs: Vec<&crate::model::Object> = objects.iter().map(|o| &**o).collect();
            match (output, refs.as_slice()) {
                (Some("yaml"), [one]) => vec![super::printers::object_yaml(one)],
                (Some("yaml"), _) if !refs.is_empty() => vec![super::printers::list_yaml(&refs)],
                (_, [one]) => vec![super::printers::object_json(one)],
                _ if !refs.is_empty() => vec![super::printers::list_json(&refs)],
                _ => Vec::new(),
            }
            .into_iter()
            .map(|t| t.trim_end().to_string())
            .collect()
        }
        Some(_) => objects.iter().map(|o| super::printers::name(o)).collect(),
        None => ok.into_iter().flatten().collect(),
    };
    if errs.is_empty() {
        Ok(lines.join("\n"))
    } else {
        // kubectl prints what worked, then the errors; a script sees the whole as the error.
        lines.extend(errs.into_iter().filter_map(Result::err));
        Err(lines.join("\n"))
    }
}
