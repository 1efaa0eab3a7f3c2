//! Resource arguments as kubectl reads them: `pods`, `po`, `pod/web`, `deployment.apps/web`,
//! `deploy,svc`, `all`, followed by names; and fetching what they name.

use std::sync::Arc;

use super::flags::Parsed;
use crate::apiserver::error::ApiError;
use crate::client::{Client, Response, Waiter};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};

/// The kinds `all` stands for (kubectl's "all" category).
pub const ALL: &[Kind] = &[
    Kind::Pod,
    Kind::ReplicationController,
    Kind::Service,
    Kind::DaemonSet,
    Kind::Deployment,
    Kind::ReplicaSet,
    Kind::StatefulSet,
    Kind::HorizontalPodAutoscaler,
    Kind::CronJob,
    Kind::Job,
];

/// A kind by any name kubectl accepts, or kubectl's error.
pub fn resolve(name: &str) -> Result<Kind, String> {
    Kind::from_resource_name(name).ok_or_else(|| format!("error: the server doesn't have a resource type \"{name}\""))
}

/// `(kind, Some(name))` for each named object, `(kind, None)` for "all of this kind".
pub fn targets(positional: &[String]) -> Result<Vec<(Kind, Option<String>)>, String> {
    let Some((first, rest)) = positional.split_first() else {
        return Err("error: you must specify the type of resource".into());
    };
    let mut out = Vec::new();
    if first.contains('/') {
        for r in positional {
            let (k, n) = r.split_once('/').ok_or_else(|| {
                "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'".to_string()
            })?;
            if n.is_empty() {
                return Err(format!(
                    "error: arguments in resource/name form must have a single resource and name, got {r:?}"
                ));
            }
            out.push((resolve(k)?, Some(n.to_string())));
        }
        return Ok(out);
    }
    let mut kinds = Vec::new();
    for k in first.split(',').filter(|k| !k.is_empty()) {
        if k == "all" {
            kinds.extend_from_slice(ALL);
        } else {
            kinds.push(resolve(k)?);
        }
    }
    for kind in kinds {
        if rest.is_empty() {
            out.push((kind, None));
        } else {
            out.extend(rest.iter().map(|n| (kind, Some(n.clone()))));
        }
    }
    Ok(out)
}

/// The namespace flags of a command: `-n` (default "default") and `-A`.
pub struct Scope {
    pub namespace: String,
    pub all_namespaces: bool,
}

impl Scope {
    pub fn from_flags(flags: &Parsed) -> Scope {
        Scope {
            namespace: flags.get("namespace").unwrap_or("default").to_string(),
            all_namespaces: flags.is_set("all-namespaces"),
        }
    }

    /// Where to list `kind`: one namespace, or all (None).
    pub fn list_namespace(&self, kind: Kind) -> Option<&str> {
        if !kind.info().namespaced || self.all_namespaces {
            None
        } else {
            Some(&self.namespace)
        }
    }
}

pub fn label_selector(flags: &Parsed) -> Result<LabelSelector, String> {
    match flags.get("selector") {
        Some(s) => LabelSelector::parse(s).map_err(|e| format!("error: {e}")),
        None => Ok(LabelSelector::everything()),
    }
}

pub fn field_selector(flags: &Parsed) -> Result<FieldSelector, String> {
    match flags.get("field-selector") {
        Some(s) => FieldSelector::parse(s).map_err(|e| format!("error: {e}")),
        None => Ok(FieldSelector::everything()),
    }
}

/// The objects `targets` name. Missing named objects become kubectl's error lines.
pub fn fetch(
    client: &mut dyn Client,
    targets: &[(Kind, Option<String>)],
    scope: &Scope,
    labels: &LabelSelector,
    fields: &FieldSelector,
) -> (Vec<Arc<Object>>, Vec<String>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (kind, name) in targets {
        let ns = if kind.info().namespaced { scope.namespace.as_str() } else { "" };
        match name {
            Some(n) => match client.get(*kind, ns, n).map(Response::into_body) {
                Ok(o) => found.push(o),
                Err(e) => errors.push(e.kubectl_message()),
            },
            None => match client.list(*kind, scope.list_namespace(*kind), labels, fields).map(Response::into_body) {
                Ok(list) => found.extend(list.items),
                Err(e) => errors.push(e.kubectl_message()),
            },
        }
    }
    (found, errors)
}

/// kubectl's `--dry-run` flag; for `server`, the client's writes from now on go with
/// `dryRun=All`.
pub fn dry_run(flags: &Parsed, client: &mut dyn Client) -> Result<DryRun, String> {
    let mode = match flags.get("dry-run") {
        None | Some("none") | Some("false") => DryRun::None,
        Some("client") | Some("true") => DryRun::Client,
        Some("server") => DryRun::Server,
        Some(other) => {
            return Err(format!("error: Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."))
        }
    };
    client.set_dry_run(mode == DryRun::Server);
    Ok(mode)
}

/// kubectl's `--dry-run`: off; `client`, the change made here and nothing sent; `server`, the
/// requests sent with `dryRun=All`, so the API server runs all its checks and stores nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    None,
    Client,
    Server,
}

impl DryRun {
    /// What kubectl adds to the line it prints for each object.
    pub fn suffix(self) -> &'static str {
        match self {
            DryRun::None => "",
            DryRun::Client => " (dry run)",
            DryRun::Server => " (server dry run)",
        }
    }
}

/// Read-modify-write one object, retrying on a conflict as kubectl's patch does.
pub fn modify(
    client: &mut dyn Client,
    kind: Kind,
    namespace: &str,
    name: &str,
    mut change: impl FnMut(&mut Object) -> Result<(), String>,
) -> Result<Arc<Object>, String> {
    for _ in 0..5 {
        let current = client.get(kind, namespace, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
        let mut obj = (*current).clone();
        change(&mut obj)?;
        if obj == *current {
            return Ok(current);
        }
        match client.update(obj).map(Response::into_body) {
            Ok(o) => return Ok(o),
            Err(e) if e.reason == crate::apiserver::Reason::Conflict => continue,
            Err(e) => return Err(e.kubectl_message()),
        }
    }
    Err(ApiError::conflict(kind.info(), name).kubectl_message())
}

/// `pod/web`, `deployment.apps/web`.
pub fn type_name(obj: &Object) -> String {
    obj.type_name()
}

/// Let the cluster react to a command's writes; if it cannot, the error follows what the
/// command printed.
pub fn settled(waiter: &mut dyn Waiter, result: Result<String, String>) -> Result<String, String> {
    let Err(e) = waiter.settle() else { return result };
    let (Ok(text) | Err(text)) = result;
    Err(if text.is_empty() { format!("error: {e}") } else { format!("{text}\nerror: {e}") })
}

/// Join output lines and error lines: all good → Ok; any error → Err with everything, as
/// kubectl prints successes then errors and exits 1.
pub fn finish(lines: Vec<String>, errors: Vec<String>) -> Result<String, String> {
    if errors.is_empty() {
        Ok(lines.join("\n"))
    } else {
        Err(lines.into_iter().chain(errors).collect::<Vec<_>>().join("\n"))
    }
}
