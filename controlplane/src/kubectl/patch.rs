//! `kubectl patch (TYPE NAME | TYPE/NAME | -f FILE) (-p PATCH | --patch-file FILE)
//! [--type strategic|merge|json] [--subresource status|scale] [-o yaml|json|name] [--dry-run=client]`.
//!
//! The patch is YAML or JSON, applied by the API server (the strategic merge by its merge keys,
//! json as RFC 6902 operations); kubectl says `patched`, or `patched (no change)` when the
//! object came back as it was. kubesim serves no custom resources, so strategic merge (which
//! kubectl refuses for them) applies to every kind here. With `--subresource=scale` what is
//! read, patched and printed is the object's `autoscaling/v1` Scale (`scale.autoscaling/web
//! patched`).

use serde_json::Value;

use super::command::Input;
use super::create::print_object;
use super::flags::{flag, parse, FlagSpec, Parsed};
use super::printers::yaml::{to_json, to_yaml};
use super::resources::{finish, settled, targets, DryRun};
use crate::apiserver::patch::apply_patch;
use crate::apiserver::scale::scale_json;
use crate::apiserver::{ApiError, PatchType};
use crate::client::{Client, Response, Waiter};
use crate::model::{decode, Kind};

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("patch", Some('p'), true),
    flag("patch-file", None, true),
    flag("type", None, true).with_values(&["json", "merge", "strategic"]),
    flag("subresource", None, true).with_values(&["scale", "status"]),
    flag("namespace", Some('n'), true),
    flag("filename", Some('f'), true),
    flag("output", Some('o'), true).with_values(&["json", "name", "yaml"]),
    flag("dry-run", None, true).with_values(&["client", "none", "server"]),
];

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let (patch_type, patch) = read_patch(&flags, input)?;
    let dry_run = super::resources::dry_run(&flags, client)?;
    let subresource = match flags.get("subresource") {
        None | Some("") => Sub::None,
        Some("status") => Sub::Status,
        Some("scale") => Sub::Scale,
        Some(other) => {
            return Err(format!("error: invalid subresource value: \"{other}\". Must be one of [status scale]"))
        }
    };
    let ns = flags.get("namespace").unwrap_or("default").to_string();
    let objects = objects(&flags, input, &ns)?;
    if objects.is_empty() {
        return Err("error: no objects passed to patch".into());
    }
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    for (kind, ns, name) in objects {
        let ns = if kind.info().namespaced { ns } else { String::new() };
        if subresource == Sub::Scale {
            match patch_scale(client, kind, &ns, &name, (patch_type, &patch), dry_run, flags.get("output")) {
                Ok(line) => lines.push(line),
                Err(e) => errors.push(e),
            }
            continue;
        }
        let result = match dry_run {
            // Client dry run: the patch applied here to what the server has, and nothing sent.
            DryRun::Client => client.get(kind, &ns, &name).map_err(|e| e.kubectl_message()).and_then(|current| {
                let before = current.body;
                let mut doc = before.to_value();
                apply_patch(patch_type, &mut doc, &patch).map_err(|e| format!("error: {e}"))?;
                let after = decode(doc).map_err(|e| format!("error: {e}"))?;
                let op = operation(*before == after);
                print_object(&after, flags.get("output"), &format!("{} {op} (dry run)", after.type_name()))
            }),
            _ => send(client, kind, &ns, &name, patch_type, &patch, subresource == Sub::Status).and_then(
                |(before, after)| {
                    let op = operation(*before == *after);
                    let line = format!("{} {op}{}", after.type_name(), dry_run.suffix());
                    print_object(&after, flags.get("output"), &line)
                },
            ),
        };
        match result {
            Ok(line) => lines.push(line),
            Err(e) => errors.push(e),
        }
    }
    settled(waiter, finish(lines, errors))
}

/// The part of the object a patch is sent to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sub {
    None,
    Status,
    Scale,
}

/// `kubectl patch --subresource=scale`: the Scale read (as the resource builder reads it with
/// the subresource), patched by the server (or here, for a client dry run), and printed.
fn patch_scale(
    client: &mut dyn Client,
    kind: Kind,
    ns: &str,
    name: &str,
    (patch_type, patch): (PatchType, &Value),
    dry_run: DryRun,
    output: Option<&str>,
) -> Result<String, String> {
    let before = client.get_scale(kind, ns, name).map_err(|e| e.kubectl_message())?.into_body();
    let before = scale_json(&before);
    let after = match dry_run {
        DryRun::Client => {
            let mut doc = before.clone();
            apply_patch(patch_type, &mut doc, patch).map_err(|e| format!("error: {e}"))?;
            doc
        }
        _ => {
            let scale = client.patch_scale(kind, ns, name, patch_type, patch).map_err(|e| patch_error(&e))?;
            scale_json(&scale.into_body())
        }
    };
    let line = format!("scale.autoscaling/{name} {}{}", operation(before == after), dry_run.suffix());
    Ok(match output {
        None | Some("") => line,
        Some("yaml") => to_yaml(&after),
        Some("json") => to_json(&after),
        Some(_) => format!("scale.autoscaling/{name}"),
    })
}

fn operation(unchanged: bool) -> &'static str {
    if unchanged {
        "patched (no change)"
    } else {
        "patched"
    }
}

/// Patch one object, giving it as it was and as the server returned it.
fn send(
    client: &mut dyn Client,
    kind: Kind,
    ns: &str,
    name: &str,
    patch_type: PatchType,
    patch: &Value,
    status: bool,
) -> Result<(std::sync::Arc<crate::model::Object>, std::sync::Arc<crate::model::Object>), String> {
    let before = client.get(kind, ns, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let answer = if status {
        client.patch_status(kind, ns, name, patch_type, patch)
    } else {
        client.patch(kind, ns, name, patch_type, patch)
    };
    let after = answer.map(Response::into_body).map_err(|e| patch_error(&e))?;
    Ok((before, after))
}

/// An operation that does not apply is the server's 422, which kubectl prints as an invalid
/// request.
fn patch_error(e: &ApiError) -> String {
    match e.reason {
        crate::apiserver::Reason::Invalid if e.causes.is_empty() => format!("The request is invalid: {}", e.message),
        _ => e.kubectl_message(),
    }
}

/// The patch type and the patch, from `-p` or `--patch-file`, as JSON.
fn read_patch(flags: &Parsed, input: Input<'_>) -> Result<(PatchType, Value), String> {
    let patch_type = match flags.get("type").map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("strategic") => PatchType::Strategic,
        Some("merge") => PatchType::Merge,
        Some("json") => PatchType::Json,
        Some(_) => {
            let given = flags.get("type").unwrap_or_default();
            return Err(format!("error: --type must be one of [json merge strategic], not \"{given}\""));
        }
    };
    let (inline, file) = (flags.get("patch").unwrap_or(""), flags.get("patch-file").unwrap_or(""));
    let text = match (inline.is_empty(), file.is_empty()) {
        (false, false) => return Err("error: cannot specify --patch and --patch-file together".into()),
        (true, true) => {
            return Err("error: must specify --patch or --patch-file containing the contents of the patch".into())
        }
        (false, true) => inline.to_string(),
        (true, false) => input.files.read(file).map_err(|e| format!("error: unable to read patch file: {e}"))?,
    };
    // kubectl reads the patch as YAML (of which JSON is a part).
    let patch: Value = serde_yaml::from_str(&text)
        .map_err(|e| format!("error: unable to parse {:?}: {e}", flags.get("patch").unwrap_or("")))?;
    Ok((patch_type, patch))
}

/// The objects to patch: from `-f` files, or the resource arguments.
fn objects(flags: &Parsed, input: Input<'_>, ns: &str) -> Result<Vec<(Kind, String, String)>, String> {
    if !flags.all("filename").is_empty() {
        if !flags.positional.is_empty() {
            return Err(format!(
                "error: Unexpected args: {:?}\nSee 'kubectl patch -h' for help and examples",
                flags.positional
            ));
        }
        let mut out = Vec::new();
        for (_, doc) in super::files::documents(flags, input, None)? {
            let doc = doc?;
            let kind = crate::model::decode::kind_of(&doc).map_err(|e| format!("error: {e}"))?;
            let name = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
            let doc_ns = doc.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(ns);
            out.push((kind, doc_ns.to_string(), name.to_string()));
        }
        return Ok(out);
    }
    if flags.positional.is_empty() {
        return Err("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'".into());
    }
    let mut out = Vec::new();
    for (kind, name) in targets(&flags.positional)? {
        let Some(name) = name else { return Err("error: resource(s) were provided, but no name was specified".into()) };
        out.push((kind, ns.to_string(), name));
    }
    Ok(out)
}
