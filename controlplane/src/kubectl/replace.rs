//! `kubectl replace -f FILE [--force]`: each object in the files sent whole in place of the
//! live one (an update). Without a resourceVersion in the file the live one's is taken, so
//! the update overwrites; with one, a stale version is the server's Conflict. `--force`
//! deletes the object, waits until it is gone, and creates it again. `--dry-run=client` sends
//! nothing: each object is printed as it would be sent, `replaced (dry run)`.

use std::sync::Arc;

use serde_json::Value;

use super::command::Input;
use super::delete::wait_until_gone;
use super::flags::{flag, parse, FlagSpec};
use super::resources::{finish, settled, DryRun};
use crate::apiserver::DeleteOptions;
use crate::client::{Client, Response, Waiter};
use crate::model::decode::decode;
use crate::model::Object;

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("filename", Some('f'), true),
    flag("namespace", Some('n'), true),
    flag("recursive", Some('R'), false),
    flag("force", None, false),
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
    super::flags::no_arguments(&flags, "replace")?;
    if flags.all("filename").is_empty() {
        return Err("error: must specify --filename to replace".into());
    }
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    let (force, output) = (flags.is_set("force"), flags.get("output"));
    let dry_run = super::resources::dry_run(&flags, client)?;
    // kubectl's --force would delete and create for real whatever --dry-run says; refused here.
    match (force, dry_run) {
        (true, DryRun::Server) => return Err("error: --dry-run=server cannot be used with --force".into()),
        (true, DryRun::Client) => return Err("error: --dry-run=client cannot be used with --force".into()),
        _ => {}
    }
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    for (source, doc) in super::files::documents(&flags, input, Some("replacing"))? {
        let result = doc.and_then(|doc| match (force, dry_run) {
            (_, DryRun::Client) => object(doc, &source, &namespace).map(Arc::new),
            (false, _) => replace(client, doc, &source, &namespace),
            (true, _) => force_replace(client, waiter, doc, &source, &namespace, &mut lines),
        });
        let line = |o: &Object| format!("{} replaced{}", o.type_name(), dry_run.suffix());
        match result.and_then(|o| super::create::print_object(&o, output, &line(&o))) {
            Ok(line) => lines.push(line),
            Err(e) => errors.push(e),
        }
        if let Err(e) = waiter.settle() {
            errors.push(format!("error: {e}"));
        }
    }
    settled(waiter, finish(lines, errors))
}

/// The object a document describes, in its namespace (the document's, else `-n`'s).
fn object(doc: Value, source: &str, namespace: &str) -> Result<Object, String> {
    let mut obj = decode(doc).map_err(|e| format!("error: error validating {source:?}: {e}"))?;
    if obj.info().namespaced && obj.namespace().is_empty() {
        obj.metadata_mut().namespace = Some(namespace.to_string());
    }
    Ok(obj)
}

fn replace(client: &mut dyn Client, doc: Value, source: &str, namespace: &str) -> Result<Arc<Object>, String> {
    let mut obj = object(doc, source, namespace)?;
    let context = format!("error when replacing {source:?}: ");
    if obj.resource_version_str().is_none() {
        // kubectl's overwrite: the live version, so the update does not conflict.
        if let Ok(live) = client.get(obj.kind(), obj.namespace(), obj.name()) {
            obj.set_resource_version(live.body.resource_version_str().map(str::to_string));
        }
    }
    client.update(obj).map(Response::into_body).map_err(|e| e.kubectl_message_with_source(Some(&context)))
}

/// Delete, wait until gone, create: kubectl's `--force`, which prints the deletion first.
fn force_replace(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    doc: Value,
    source: &str,
    namespace: &str,
    lines: &mut Vec<String>,
) -> Result<Arc<Object>, String> {
    let mut obj = object(doc, source, namespace)?;
    let (kind, ns, name) = (obj.kind(), obj.namespace().to_string(), obj.name().to_string());
    match client.delete(kind, &ns, &name, DeleteOptions::default()) {
        Ok(deleted) => {
            lines.push(format!("{} {} deleted", kind.info().group_singular(), crate::apiserver::error::quote(&name)));
            wait_until_gone(client, waiter, &[deleted.body], None)?;
        }
        Err(e) if e.reason == crate::apiserver::Reason::NotFound => {}
        Err(e) => return Err(e.kubectl_message()),
    }
    obj.set_resource_version(None);
    let meta = obj.metadata_mut();
    meta.uid = None;
    meta.creation_timestamp = None;
    let context = format!("error when creating {source:?}: ");
    client.create(&ns, obj).map(Response::into_body).map_err(|e| e.kubectl_message_with_source(Some(&context)))
}
