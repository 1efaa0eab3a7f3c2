//! `kubectl set SUBCOMMAND`: `image KIND/NAME CONTAINER=IMAGE ...` (`*=IMAGE` for every
//! container) here; `env`, `resources`, `selector` and `serviceaccount` in their files. All
//! of them change objects through [`update_objects`] and find a workload's pod template with
//! [`pod_spec`].

use std::sync::Arc;

use super::command::Input;
use super::flags::{flag, parse, FlagSpec, Parsed};
use super::resources::{finish, modify, settled, targets, DryRun, Scope};
use crate::client::{Client, Waiter};
use crate::model::Object;
use k8s_openapi::api::core::v1::{Container, PodSpec};

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("namespace", Some('n'), true),
    flag("all", None, false),
    flag("selector", Some('l'), true),
    flag("output", Some('o'), true).with_values(&["json", "name", "yaml"]),
    flag("dry-run", None, true).with_values(&["client", "none", "server"]),
    flag("filename", Some('f'), true),
    flag("recursive", Some('R'), false),
    flag("local", None, false),
    // env
    flag("containers", Some('c'), true),
    flag("env", Some('e'), true),
    flag("from", None, true),
    flag("prefix", None, true),
    flag("keys", None, true),
    flag("list", None, false),
    flag("overwrite", None, false),
    // resources
    flag("limits", None, true),
    flag("requests", None, true),
    // selector
    flag("resource-version", None, true),
];

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let (what, rest) =
        args.split_first().ok_or("error: Unexpected args: []\nSee 'kubectl set -h' for help and examples")?;
    match *what {
        "image" => image(client, waiter, rest, input),
        "env" => super::set_env::run(client, waiter, rest, input),
        "resources" => super::set_resources::resources(client, waiter, rest, input),
        "selector" => super::set_resources::selector(client, waiter, rest, input),
        "serviceaccount" | "sa" => super::set_resources::serviceaccount(client, waiter, rest, input),
        other => Err(format!(
            "error: unknown command \"{other}\" for \"kubectl set\" (image, env, resources, selector, serviceaccount)"
        )),
    }
}

/// What a set command prints for an object it left as it was.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Unchanged {
    /// Nothing (`set env`: an empty patch is not sent).
    Silent,
    /// `info: deployments.apps/web was not changed`, among the errors (`set resources`).
    Info,
    /// The usual line (`set serviceaccount` sends its patch anyway).
    Print,
}

/// Change each object `resources` name (or `-l`/`--all` select) with `change`, and print
/// `TYPE/NAME DONE` (or the object, with `-o`) for each, as the set commands do.
/// `--dry-run=client` and `--local` change a copy and send nothing; `--dry-run=server` sends
/// the change to be checked, not stored.
#[allow(clippy::too_many_arguments)]
pub(super) fn update_objects(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    flags: &Parsed,
    input: Input<'_>,
    resources: &[String],
    done: &str,
    unchanged: Unchanged,
    mut change: impl FnMut(&mut Object) -> Result<(), String>,
) -> Result<String, String> {
    let dry_run = super::resources::dry_run(flags, client)?;
    let local = flags.is_set("local");
    let (objects, mut errors) = select_objects(client, flags, input, resources)?;
    let mut lines = Vec::new();
    for before in objects {
        let resource = format!("{}/{}", before.info().group_resource(), before.name());
        let after: Result<Arc<Object>, String> = if dry_run == DryRun::Client || local {
            let mut copy = (*before).clone();
            change(&mut copy).map(|()| Arc::new(copy))
        } else {
            modify(client, before.kind(), before.namespace(), before.name(), &mut change)
        };
        let after = match after {
            Ok(a) => a,
            Err(e) if e.starts_with("error: ") || e.starts_with("Error from server") || e.starts_with("The ") => {
                errors.push(e);
                continue;
            }
            Err(e) => {
                errors.push(format!("error: {resource} {e}"));
                continue;
            }
        };
        if *after == *before {
            match unchanged {
                Unchanged::Silent => continue,
                Unchanged::Info => {
                    errors.push(format!("info: {resource} was not changed"));
                    continue;
                }
                Unchanged::Print => {}
            }
        }
        let suffix = if local && dry_run == DryRun::Server { "" } else { dry_run.suffix() };
        let line = format!("{} {done}{suffix}", after.type_name());
        match super::create::print_object(&after, flags.get("output"), &line) {
            Ok(text) => lines.push(text),
            Err(e) => errors.push(e),
        }
    }
    settled(waiter, finish(lines, errors))
}

/// The objects `resources` name, or `-l`/`--all` select, or the files of `-f` name (as they
/// are on the server, or with `--local` as the files have them), and kubectl's errors for
/// those missing.
pub(super) fn select_objects(
    client: &mut dyn Client,
    flags: &Parsed,
    input: Input<'_>,
    resources: &[String],
) -> Result<(Vec<Arc<Object>>, Vec<String>), String> {
    if flags.is_set("all") && flags.get("selector").is_some() {
        return Err("error: cannot set --all and --selector at the same time".into());
    }
    let from_files = !flags.all("filename").is_empty();
    if flags.is_set("local") && (!from_files || !resources.is_empty()) {
        return Err(LOCAL_NEEDS_FILES.into());
    }
    if from_files {
        return Ok(file_objects(client, flags, input));
    }
    if resources.is_empty() {
        return Err("error: one or more resources must be specified as <resource> <name> or <resource>/<name>".into());
    }
    let targets = targets(resources)?;
    if !targets.iter().any(|t| t.1.is_some()) && flags.get("selector").is_none() && !flags.is_set("all") {
        return Err("error: resource(s) were provided, but no name was specified".into());
    }
    let labels = super::resources::label_selector(flags)?;
    let everything = crate::model::field_selector::FieldSelector::everything();
    let scope = Scope::from_flags(flags);
    Ok(super::resources::fetch(client, &targets, &scope, &labels, &everything))
}

/// kubectl's `resource.LocalResourceError`.
const LOCAL_NEEDS_FILES: &str = "error: you must specify resources by --filename when --local is set.
Example resource specifications include:
   '-f rsrc.yaml'
   '--filename=rsrc.json'";

/// The objects of the `-f` files: as written with `--local`, else their live versions.
fn file_objects(client: &mut dyn Client, flags: &Parsed, input: Input<'_>) -> (Vec<Arc<Object>>, Vec<String>) {
    let namespace = flags.get("namespace").unwrap_or("default");
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    let documents = match super::files::documents(flags, input, None) {
        Ok(d) => d,
        Err(e) => return (found, vec![e]),
    };
    for (source, doc) in documents {
        let obj = doc.and_then(|doc| {
            crate::model::decode::decode(doc).map_err(|e| format!("error: error validating {source:?}: {e}"))
        });
        let mut obj = match obj {
            Ok(o) => o,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if obj.info().namespaced && obj.namespace().is_empty() {
            obj.metadata_mut().namespace = Some(namespace.to_string());
        }
        if flags.is_set("local") {
            found.push(Arc::new(obj));
            continue;
        }
        match client.get(obj.kind(), obj.namespace(), obj.name()) {
            Ok(live) => found.push(live.body),
            Err(e) => errors.push(e.kubectl_message()),
        }
    }
    (found, errors)
}

/// The containers and init containers of `spec` whose names match the glob `pattern`
/// (kubectl's `-c`, `*` by default), in that order.
pub(super) fn select_containers<'a>(spec: &'a mut PodSpec, pattern: &str) -> Vec<&'a mut Container> {
    spec.containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
        .filter(|c| glob_match(pattern, &c.name))
        .collect()
}

/// Go's `filepath.Match` for names: `*` any run of characters, `?` one, others themselves.
fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn image(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str], input: Input<'_>) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let (pairs, resources): (Vec<&String>, Vec<String>) = {
        let (p, r): (Vec<&String>, Vec<&String>) = flags.positional.iter().partition(|a| a.contains('='));
        (p, r.into_iter().cloned().collect())
    };
    if pairs.is_empty() {
        return Err("error: at least one image update is required".into());
    }
    let updates: Vec<(String, String)> =
        pairs.iter().filter_map(|p| p.split_once('=')).map(|(c, i)| (c.to_string(), i.to_string())).collect();
    update_objects(client, waiter, &flags, input, &resources, "image updated", Unchanged::Silent, |obj| {
        let shown = obj.type_name();
        let spec = pod_spec(obj).ok_or_else(|| format!("error: {shown} has no pod template"))?;
        for (container, image) in &updates {
            let mut found = false;
            for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
                if container == "*" || &c.name == container {
                    c.image = Some(image.clone());
                    found = true;
                }
            }
            if !found {
                return Err(format!("error: unable to find container named \"{container}\""));
            }
        }
        Ok(())
    })
}

/// The pod spec inside an object with containers.
pub fn pod_spec(obj: &mut Object) -> Option<&mut PodSpec> {
    match obj {
        Object::Pod(p) => p.spec.as_deref_mut(),
        Object::Deployment(d) => d.spec.as_mut().and_then(|s| s.template.spec.as_mut()),
        Object::ReplicaSet(r) => r.spec.as_mut().and_then(|s| s.template.as_mut()).and_then(|t| t.spec.as_mut()),
        Object::DaemonSet(d) => d.spec.as_mut().and_then(|s| s.template.spec.as_mut()),
        Object::StatefulSet(s) => s.spec.as_mut().and_then(|s| s.template.spec.as_mut()),
        Object::ReplicationController(r) => {
            r.spec.as_mut().and_then(|s| s.template.as_mut()).and_then(|t| t.spec.as_mut())
        }
        Object::Job(j) => j.spec.as_mut().and_then(|s| s.template.spec.as_mut()),
        Object::CronJob(c) => {
            c.spec.as_mut().and_then(|s| s.job_template.spec.as_mut()).and_then(|s| s.template.spec.as_mut())
        }
        _ => None,
    }
}
