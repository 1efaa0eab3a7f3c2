//! `kubectl rollout status|history|undo|restart|pause|resume` for Deployments (restart and
//! status also for DaemonSets and StatefulSets; their history and undo in
//! `rollout_history.rs`). `status` (in `rollout_status.rs`) watches while the simulated
//! clock runs.

use std::collections::BTreeMap;

use super::command::Input;
use super::flags::{flag, parse, FlagSpec, Parsed};
use super::resources::{modify, settled, targets};
use super::rollout_history;
use crate::apiserver::k8s_time;
use crate::client::{Client, Response, Waiter};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};

use super::describe::{pod_template, Writer};
pub use crate::controllers::deployment::util::REVISION;
use crate::controllers::deployment::util::{equal_ignore_hash, POD_TEMPLATE_HASH, SKIP_ANNOTATIONS};
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("namespace", Some('n'), true),
    flag("timeout", None, true),
    flag("watch", Some('w'), false),
    flag("revision", None, true),
    flag("to-revision", None, true),
];

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let (sub, rest) =
        args.split_first().ok_or("error: Required subcommand: history, pause, restart, resume, status, undo")?;
    let flags = parse(rest, FLAGS)?;
    let ns = flags.get("namespace").unwrap_or("default").to_string();
    let targets = targets(&flags.positional)?;
    let [(kind, Some(name))] = targets.as_slice() else {
        return Err(format!(
            "error: required resource not specified\nSee 'kubectl rollout {sub} -h' for help and examples"
        ));
    };
    let supported = match *sub {
        "status" | "restart" | "history" | "undo" => {
            matches!(kind, Kind::Deployment | Kind::DaemonSet | Kind::StatefulSet)
        }
        "pause" | "resume" => *kind == Kind::Deployment,
        other => return Err(format!("error: unknown command \"{other}\" for \"kubectl rollout\"")),
    };
    if !supported {
        return Err(format!("error: no {sub} is supported for {}", kind.info().group_resource()));
    }
    let shown = format!("{}/{name}", kind.info().group_singular());
    let quoted = format!("{} {name:?}", kind.info().group_resource());
    match *sub {
        "pause" | "resume" => {
            let pause = *sub == "pause";
            let mut already = false;
            modify(client, *kind, &ns, name, |obj| {
                if let Object::Deployment(d) = obj {
                    let spec = d.spec.get_or_insert_with(Default::default);
                    already = spec.paused.unwrap_or(false) == pause;
                    spec.paused = if pause { Some(true) } else { None };
                }
                Ok(())
            })?;
            if already {
                return Err(format!("error: {quoted} is {}", if pause { "already paused" } else { "not paused" }));
            }
            settled(waiter, Ok(format!("{shown} {}", if pause { "paused" } else { "resumed" })))
        }
        "restart" => {
            let at = k8s_time(waiter.now());
            let stamp = serde_json::to_value(&at).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
            modify(client, *kind, &ns, name, |obj| {
                if let Object::Deployment(d) = obj {
                    if d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false) {
                        return Err(format!(
                            "error: {quoted} can't restart paused deployment (run rollout resume first)"
                        ));
                    }
                }
                let template = match obj {
                    Object::Deployment(d) => &mut d.spec.get_or_insert_with(Default::default).template.metadata,
                    Object::DaemonSet(d) => &mut d.spec.get_or_insert_with(Default::default).template.metadata,
                    Object::StatefulSet(s) => &mut s.spec.get_or_insert_with(Default::default).template.metadata,
                    _ => return Ok(()),
                };
                template
                    .get_or_insert_with(Default::default)
                    .annotations
                    .get_or_insert_with(BTreeMap::new)
                    .insert(RESTARTED_AT.into(), stamp.clone());
                Ok(())
            })?;
            settled(waiter, Ok(format!("{shown} restarted")))
        }
        "status" => super::rollout_status::status(client, waiter, (*kind, &ns, name), &flags, input),
        "history" if *kind != Kind::Deployment => {
            let revision = rollout_history::revision_flag(&flags, "revision")?;
            if revision < 0 {
                return Err(format!("error: revision must be a positive integer: {revision}"));
            }
            rollout_history::history(client, *kind, &ns, name, &shown, revision)
        }
        "undo" if *kind != Kind::Deployment => {
            let to_revision = rollout_history::revision_flag(&flags, "to-revision")?;
            rollout_history::undo(client, waiter, *kind, &ns, name, &shown, to_revision)
        }
        "history" => history(client, &ns, name, &shown, &flags),
        _ => undo(client, waiter, &ns, name, &shown, &flags),
    }
}

/// kubectl's status viewer for one object: (message, done).
pub(super) fn status_line(obj: &Object) -> Result<(String, bool), String> {
    let name = obj.name();
    match obj {
        Object::Deployment(d) => {
            let st = d.status.clone().unwrap_or_default();
            let replicas = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            if d.metadata.generation.unwrap_or(0) > st.observed_generation.unwrap_or(0) {
                return Ok(("Waiting for deployment spec update to be observed...".into(), false));
            }
            let progressing = st.conditions.iter().flatten().find(|c| c.type_ == "Progressing");
            if progressing.is_some_and(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded")) {
                return Err(format!("error: deployment {name:?} exceeded its progress deadline"));
            }
            let (updated, total, available) =
                (st.updated_replicas.unwrap_or(0), st.replicas.unwrap_or(0), st.available_replicas.unwrap_or(0));
            Ok(if updated < replicas {
                (format!("Waiting for deployment {name:?} rollout to finish: {updated} out of {replicas} new replicas have been updated..."), false)
            } else if total > updated {
                (
                    format!(
                        "Waiting for deployment {name:?} rollout to finish: {} old replicas are pending termination...",
                        total - updated
                    ),
                    false,
                )
            } else if available < updated {
                (format!("Waiting for deployment {name:?} rollout to finish: {available} of {updated} updated replicas are available..."), false)
            } else {
                (format!("deployment {name:?} successfully rolled out"), true)
            })
        }
        Object::DaemonSet(d) => {
            let strategy = d.spec.as_ref().and_then(|s| s.update_strategy.as_ref()).and_then(|u| u.type_.as_deref());
            if strategy != Some("RollingUpdate") {
                return Err("error: rollout status is only available for RollingUpdate strategy type".into());
            }
            let st = d.status.clone().unwrap_or_default();
            if d.metadata.generation.unwrap_or(0) > st.observed_generation.unwrap_or(0) {
                return Ok(("Waiting for daemon set spec update to be observed...".into(), false));
            }
            let (want, updated, available) = (
                st.desired_number_scheduled,
                st.updated_number_scheduled.unwrap_or(0),
                st.number_available.unwrap_or(0),
            );
            Ok(if updated < want {
                (format!("Waiting for daemon set {name:?} rollout to finish: {updated} out of {want} new pods have been updated..."), false)
            } else if available < want {
                (format!("Waiting for daemon set {name:?} rollout to finish: {available} of {want} updated pods are available..."), false)
            } else {
                (format!("daemon set {name:?} successfully rolled out"), true)
            })
        }
        Object::StatefulSet(s) => {
            let spec = s.spec.clone().unwrap_or_default();
            let strategy = spec.update_strategy.unwrap_or_default();
            if strategy.type_.as_deref() != Some("RollingUpdate") {
                return Err("error: rollout status is only available for RollingUpdate strategy type".into());
            }
            let st = s.status.clone().unwrap_or_default();
            if st.observed_generation.unwrap_or(0) == 0
                || s.metadata.generation.unwrap_or(0) > st.observed_generation.unwrap_or(0)
            {
                return Ok(("Waiting for statefulset spec update to be observed...".into(), false));
            }
            let ready = st.ready_replicas.unwrap_or(0);
            let updated = st.updated_replicas.unwrap_or(0);
            if let Some(replicas) = spec.replicas.filter(|r| ready < *r) {
                return Ok((format!("Waiting for {} pods to be ready...", replicas - ready), false));
            }
            // The API server defaults the partition, so this is what kubectl says of any
            // RollingUpdate.
            if let Some(ru) = strategy.rolling_update {
                if let (Some(replicas), Some(partition)) = (spec.replicas, ru.partition) {
                    if updated < replicas - partition {
                        return Ok((
                            format!(
                                "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                                replicas - partition
                            ),
                            false,
                        ));
                    }
                }
                return Ok((format!("partitioned roll out complete: {updated} new pods have been updated..."), true));
            }
            let (current, update) = (st.current_revision.unwrap_or_default(), st.update_revision.unwrap_or_default());
            Ok(if update != current {
                (
                    format!(
                        "waiting for statefulset rolling update to complete {updated} pods at revision {update}..."
                    ),
                    false,
                )
            } else {
                (
                    format!(
                        "statefulset rolling update complete {} pods at revision {current}...",
                        st.current_replicas.unwrap_or(0)
                    ),
                    true,
                )
            })
        }
        _ => Err("error: no status viewer for this kind".into()),
    }
}

/// The deployment's ReplicaSets by revision.
fn revisions(client: &mut dyn Client, ns: &str, deployment: &Object) -> Result<BTreeMap<i64, Object>, String> {
    let uid = deployment.metadata().uid.clone();
    let all = LabelSelector::everything();
    let rss = client
        .list(Kind::ReplicaSet, Some(ns), &all, &FieldSelector::everything())
        .map_err(|e| e.kubectl_message())?
        .body
        .items;
    let owned = |o: &Object| {
        o.metadata()
            .owner_references
            .iter()
            .flatten()
            .any(|r| Some(&r.uid) == uid.as_ref() && r.controller == Some(true))
    };
    Ok(rss
        .iter()
        .filter(|rs| owned(rs))
        .filter_map(|rs| rs.annotations().get(REVISION).and_then(|r| r.parse().ok()).map(|r| (r, (**rs).clone())))
        .collect())
}

/// `DeploymentHistoryViewer.ViewHistory`: the revisions with their change causes, or one
/// revision's pod template (`--revision`).
fn history(client: &mut dyn Client, ns: &str, name: &str, shown: &str, flags: &Parsed) -> Result<String, String> {
    let d = client.get(Kind::Deployment, ns, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let revs = revisions(client, ns, &d)?;
    let revision: i64 = match flags.get("revision") {
        Some(r) => r.parse().map_err(|_| format!("error: invalid argument {r:?} for \"--revision\" flag: strconv.ParseInt: parsing {r:?}: invalid syntax"))?,
        None => 0,
    };
    if revs.is_empty() {
        return Ok(format!("{shown} \nNo rollout history found."));
    }
    if revision > 0 {
        let Some(Object::ReplicaSet(rs)) = revs.get(&revision) else {
            return Err("error: unable to find the specified revision".into());
        };
        let mut template = rs.spec.clone().and_then(|s| s.template).unwrap_or_default();
        if let Some(cause) = rs.metadata.annotations.as_ref().and_then(|a| a.get(CHANGE_CAUSE)) {
            let meta = template.metadata.get_or_insert_with(Default::default);
            meta.annotations.get_or_insert_with(BTreeMap::new).insert(CHANGE_CAUSE.into(), cause.clone());
        }
        let mut w = Writer::new();
        pod_template(&mut w, Some(&template));
        return Ok(format!("{shown} with revision #{revision}\n{}", w.finish()));
    }
    let mut w = Writer::new();
    w.write(0, "REVISION\tCHANGE-CAUSE\n");
    for (r, rs) in &revs {
        let cause = rs.annotations().get(CHANGE_CAUSE).cloned().unwrap_or_else(|| "<none>".into());
        w.write(0, &format!("{r}\t{cause}\n"));
    }
    Ok(format!("{shown} \n{}", w.finish()))
}

/// `DeploymentRollbacker.Rollback`: the Deployment gets the template (and the annotations)
/// of the ReplicaSet of the revision asked for, or of the one before the latest.
fn undo(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    ns: &str,
    name: &str,
    shown: &str,
    flags: &Parsed,
) -> Result<String, String> {
    let target: i64 = flags
        .get("to-revision")
        .map(|r| r.parse().map_err(|_| format!("error: invalid argument {r:?} for \"--to-revision\" flag: strconv.ParseInt: parsing {r:?}: invalid syntax")))
        .transpose()?
        .unwrap_or(0);
    if target < 0 {
        return Err(format!("error: unable to find specified revision {target} in history"));
    }
    let d = client.get(Kind::Deployment, ns, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let Object::Deployment(current) = &*d else { return Err("error: not a Deployment".into()) };
    if current.spec.as_ref().and_then(|s| s.paused).unwrap_or(false) {
        return Err("error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again".into());
    }
    let revs = revisions(client, ns, &d)?;
    let chosen =
        if target == 0 { revs.iter().rev().nth(1).map(|(_, rs)| rs.clone()) } else { revs.get(&target).cloned() };
    let Some(Object::ReplicaSet(rs)) = chosen else {
        return Err(if target == 0 {
            format!("error: no rollout history found for deployment {name:?}")
        } else {
            format!("error: unable to find specified revision {target} in history")
        });
    };
    let mut template = rs.spec.and_then(|s| s.template).unwrap_or_default();
    if equal_ignore_hash(&template, &current.spec.clone().unwrap_or_default().template) {
        return Ok(format!("{shown} skipped rollback (current template already matches revision {target})"));
    }
    if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(POD_TEMPLATE_HASH);
    }
    // The Deployment's own bookkeeping annotations stay; the rest come from the revision.
    let kept = current.metadata.annotations.iter().flatten().filter(|(k, _)| SKIP_ANNOTATIONS.contains(&k.as_str()));
    let restored = rs.metadata.annotations.iter().flatten().filter(|(k, _)| !SKIP_ANNOTATIONS.contains(&k.as_str()));
    let annotations: BTreeMap<String, String> = kept.chain(restored).map(|(k, v)| (k.clone(), v.clone())).collect();
    modify(client, Kind::Deployment, ns, name, |obj| {
        if let Object::Deployment(dep) = obj {
            dep.spec.get_or_insert_with(Default::default).template = template.clone();
            dep.metadata.annotations = Some(annotations.clone());
        }
        Ok(())
    })?;
    settled(waiter, Ok(format!("{shown} rolled back")))
}
