//! `kubectl rollout history|undo` for DaemonSets and StatefulSets (`DaemonSetHistoryViewer`,
//! `StatefulSetHistoryViewer`, `DaemonSetRollbacker`, `StatefulSetRollbacker`): their revisions
//! are the ControllerRevisions they control, each holding a patch that puts its template back.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, StatefulSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as K8sSelector;

use super::resources::settled;
use super::rollout::CHANGE_CAUSE;
use super::tabwriter::TabWriter;
use crate::apiserver::PatchType;
use crate::client::{Client, Response, Waiter};
use crate::controllers::history::{apply_revision, controlled_by, template_patch};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};

/// The selector and pod template of a DaemonSet or StatefulSet.
fn parts(obj: &Object) -> Option<(&K8sSelector, &PodTemplateSpec)> {
    match obj {
        Object::DaemonSet(d) => d.spec.as_ref().map(|s| (&s.selector, &s.template)),
        Object::StatefulSet(s) => s.spec.as_ref().map(|s| (&s.selector, &s.template)),
        _ => None,
    }
}

/// `daemonSetHistory`, `statefulSetHistory`: the object and every revision it controls, by
/// revision.
fn controlled_history(
    client: &mut dyn Client,
    kind: Kind,
    ns: &str,
    name: &str,
) -> Result<(Arc<Object>, Vec<ControllerRevision>), String> {
    let obj = client.get(kind, ns, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let selector = parts(&obj).map(|(s, _)| s);
    let selector = selector.map(LabelSelector::from_k8s).transpose().map_err(|e| format!("error: {e}"))?;
    let selector = selector.unwrap_or_else(LabelSelector::everything);
    let all = client
        .list(Kind::ControllerRevision, Some(ns), &selector, &FieldSelector::everything())
        .map_err(|e| e.kubectl_message())?
        .body
        .items;
    let revisions = controlled_by(&obj, &all).into_iter().cloned().collect();
    Ok((obj, revisions))
}

/// `applyDaemonSetHistory`, `applyRevision`: the template the object would have with
/// `revision` applied.
fn template_of(obj: &Object, revision: &ControllerRevision) -> Result<PodTemplateSpec, String> {
    let unparsable = || format!("error: unable to parse history {}", revision.metadata.name.as_deref().unwrap_or(""));
    let template = match obj {
        Object::DaemonSet(_) => apply_revision::<DaemonSet>(obj, revision).map(|d| d.spec.map(|s| s.template)),
        _ => apply_revision::<StatefulSet>(obj, revision).map(|s| s.spec.map(|s| s.template)),
    };
    template.ok_or_else(unparsable).map(Option::unwrap_or_default)
}

/// `printHistory`: every revision with its change cause, or one revision's template.
pub fn history(
    client: &mut dyn Client,
    kind: Kind,
    ns: &str,
    name: &str,
    shown: &str,
    revision: i64,
) -> Result<String, String> {
    let (obj, revisions) = controlled_history(client, kind, ns, name)?;
    if revisions.is_empty() {
        return Ok(format!("{shown} \nNo rollout history found."));
    }
    if revision > 0 {
        // Revisions are assumed not to repeat; the last of a number wins, as in a Go map.
        let Some(r) = revisions.iter().rev().find(|r| r.revision == revision) else {
            return Err("error: unable to find the specified revision".into());
        };
        let template = template_of(&obj, r)?;
        return Ok(format!("{shown} with revision #{revision}\n{}", super::describe::pod_template_text(&template)));
    }
    let mut rows = vec![vec!["REVISION".to_string(), "CHANGE-CAUSE".to_string()]];
    let mut last = None;
    for r in &revisions {
        if last == Some(r.revision) {
            rows.pop();
        }
        last = Some(r.revision);
        let cause = r.metadata.annotations.as_ref().and_then(|a| a.get(CHANGE_CAUSE)).filter(|c| !c.is_empty());
        rows.push(vec![r.revision.to_string(), cause.cloned().unwrap_or_else(|| "<none>".into())]);
    }
    let table = TabWriter { min_width: 0, padding: 2 }.align(&rows, true);
    Ok(format!("{shown} \n{table}"))
}

/// `DaemonSetRollbacker.Rollback`, `StatefulSetRollbacker.Rollback`: patch the object with the
/// revision's data, the previous revision when `to_revision` is 0.
pub fn undo(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    kind: Kind,
    ns: &str,
    name: &str,
    shown: &str,
    to_revision: i64,
) -> Result<String, String> {
    let not_found = || format!("error: unable to find specified revision {to_revision} in history");
    if to_revision < 0 {
        return Err(not_found());
    }
    let (obj, revisions) = controlled_history(client, kind, ns, name)?;
    if to_revision == 0 && revisions.len() <= 1 {
        return Err("error: no last revision to roll back to".into());
    }
    let target = if to_revision == 0 {
        revisions.get(revisions.len() - 2)
    } else {
        revisions.iter().find(|r| r.revision == to_revision)
    };
    let Some(target) = target else { return Err(not_found()) };
    let Some((_, template)) = parts(&obj) else { return Err(format!("error: no rollbacker for {shown}")) };
    let data = target.data.as_ref().map(|d| d.0.clone()).unwrap_or_default();
    if template_patch(template) == data {
        return Ok(format!("{shown} skipped rollback (current template already matches revision {to_revision})"));
    }
    client
        .patch(kind, ns, name, PatchType::Strategic, &data)
        .map_err(|e| format!("error: failed restoring revision {to_revision}: {}", e.message))?;
    settled(waiter, Ok(format!("{shown} rolled back")))
}

/// An integer flag (`--revision`, `--to-revision`), 0 when absent, as pflag parses it.
pub fn revision_flag(flags: &super::flags::Parsed, name: &str) -> Result<i64, String> {
    let Some(v) = flags.get(name) else { return Ok(0) };
    v.parse().map_err(|_| {
        format!("error: invalid argument {v:?} for \"--{name}\" flag: strconv.ParseInt: parsing {v:?}: invalid syntax")
    })
}
