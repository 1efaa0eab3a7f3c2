//! The disruption controller (`disruption-controller`): keeps each PodDisruptionBudget's
//! status — expected, healthy and desired-healthy pod counts and how many disruptions are
//! allowed — which the eviction subresource (and so `kubectl drain`) consults.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::Pod;
use chrono::Duration;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::controller_utils::scaled_value;
use super::informers::Informers;
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{from_k8s_time, k8s_time, ApiError, WatchEvent};
use crate::events::{EventRecorder, EventType};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

/// `DeletionTimeout`: a pod in `disruptedPods` not deleted within this is counted again.
const DELETION_TIMEOUT: i64 = 120;

pub struct DisruptionController {
    recorder: EventRecorder,
    user: String,
}

impl Default for DisruptionController {
    fn default() -> Self {
        let user = controller_user("disruption-controller");
        DisruptionController { recorder: EventRecorder::new("controllermanager", None, &user), user }
    }
}

fn selector(pdb: &PodDisruptionBudget) -> LabelSelector {
    match pdb.spec.as_ref().and_then(|s| s.selector.as_ref()) {
        Some(s) => LabelSelector::from_k8s(s).unwrap_or_else(|_| LabelSelector::nothing()),
        None => LabelSelector::nothing(),
    }
}

fn ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The scale of the pod's controller (`getExpectedScale` finders), or why there is none.
fn controller_scale(pod: &Pod, informers: &Informers) -> Result<(String, i32), String> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("");
    let owner = pod.metadata.owner_references.as_ref().and_then(|os| os.iter().find(|o| o.controller == Some(true)));
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let Some(owner) = owner else { return Err(format!("found no controller ref for pod {name:?}")) };
    let key = crate::model::object::namespaced_key(ns, &owner.name);
    let replicas = |kind: Kind, key: &str| -> Option<(String, i32)> {
        let obj = informers.get(kind, key)?;
        let uid = obj.metadata().uid.clone().unwrap_or_default();
        let n = match &**obj {
            Object::ReplicaSet(rs) => rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            Object::Deployment(d) => d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            Object::StatefulSet(s) => s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            Object::ReplicationController(rc) => rc.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            _ => return None,
        };
        Some((uid, n))
    };
    let found = match owner.kind.as_str() {
        "ReplicaSet" => {
            // A Deployment's ReplicaSet is scaled by the Deployment.
            let rs = informers.get(Kind::ReplicaSet, &key);
            let deploy = rs.and_then(|rs| {
                rs.metadata()
                    .owner_references
                    .as_ref()?
                    .iter()
                    .find(|o| o.controller == Some(true) && o.kind == "Deployment")
                    .cloned()
            });
            match deploy {
                Some(d) => replicas(Kind::Deployment, &format!("{ns}/{}", d.name)),
                None => replicas(Kind::ReplicaSet, &key),
            }
        }
        "StatefulSet" => replicas(Kind::StatefulSet, &key),
        "ReplicationController" => replicas(Kind::ReplicationController, &key),
        _ => None,
    };
    found.ok_or_else(|| format!("found no controllers for pod {name:?}"))
}

impl Controller for DisruptionController {
    fn name(&self) -> &'static str {
        "disruption-controller"
    }

    fn watches(&self) -> &'static [Kind] {
        &[
            Kind::PodDisruptionBudget,
            Kind::Pod,
            Kind::ReplicaSet,
            Kind::Deployment,
            Kind::StatefulSet,
            Kind::ReplicationController,
        ]
    }

    /// A pod change concerns the budgets in its namespace that select it.
    fn keys_for(&mut self, event: &WatchEvent, _old: Option<&Object>, informers: &Informers) -> Vec<String> {
        match &*event.object {
            Object::PodDisruptionBudget(_) => vec![event.object.key()],
            Object::Pod(_) => informers
                .list_namespace(Kind::PodDisruptionBudget, event.object.namespace())
                .filter(|pdb| match &***pdb {
                    Object::PodDisruptionBudget(b) => selector(b).matches(event.object.labels()),
                    _ => false,
                })
                .map(|pdb| pdb.key())
                .collect(),
            _ => {
                informers.list_namespace(Kind::PodDisruptionBudget, event.object.namespace()).map(|p| p.key()).collect()
            }
        }
    }

    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers = ctx.informers;
        let Some(obj) = informers.get(Kind::PodDisruptionBudget, key).cloned() else { return Ok(Action::AwaitChange) };
        let Object::PodDisruptionBudget(pdb) = &*obj else { return Ok(Action::AwaitChange) };
        if pdb.metadata.deletion_timestamp.is_some() {
            return Ok(Action::AwaitChange);
        }
        let now = ctx.now();
        let sel = selector(pdb);
        let pods: Vec<&Arc<Object>> =
            informers.list_namespace(Kind::Pod, obj.namespace()).filter(|p| sel.matches(p.labels())).collect();
        if pods.is_empty() {
            self.recorder.record(ctx.api, &obj, None, EventType::Normal, "NoPods", "No matching pods found");
        }
        let spec = pdb.spec.clone().unwrap_or_default();
        let mut failure: Option<String> = None;
        let (expected, desired) = match (&spec.max_unavailable, &spec.min_available) {
            (None, Some(IntOrString::Int(min))) => (pods.len() as i32, *min),
            (max, min) => {
                // Percentages and maxUnavailable need the controllers' scale.
                let mut scales: BTreeMap<String, i32> = BTreeMap::new();
                for p in &pods {
                    let Object::Pod(pod) = &***p else { continue };
                    match controller_scale(pod, informers) {
                        Ok((uid, n)) => {
                            scales.insert(uid, n);
                        }
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    }
                }
                let expected: i32 = scales.values().sum();
                let desired = match (max, min) {
                    (Some(m), _) => scaled_value(m, expected, true).ok().map(|m| (expected - m).max(0)),
                    (None, Some(m)) => scaled_value(m, expected, true).ok(),
                    (None, None) => Some(expected),
                };
                (expected, desired.unwrap_or(expected))
            }
        };
        let mut disrupted = pdb.status.as_ref().and_then(|s| s.disrupted_pods.clone()).unwrap_or_default();
        disrupted.retain(|name, t| {
            let alive = pods.iter().any(|p| p.name() == name && p.metadata().deletion_timestamp.is_none());
            alive && from_k8s_time(t) + Duration::seconds(DELETION_TIMEOUT) > now
        });
        let healthy = pods
            .iter()
            .filter(|p| p.metadata().deletion_timestamp.is_none() && !disrupted.contains_key(p.name()))
            .filter(|p| matches!(&****p, Object::Pod(pod) if ready(pod)))
            .count() as i32;
        let allowed = if failure.is_some() { 0 } else { (healthy - desired).max(0) };
        if let Some(message) = &failure {
            self.recorder.record(
                ctx.api,
                &obj,
                None,
                EventType::Warning,
                "CalculateExpectedPodCountFailed",
                &format!("Failed to calculate the number of expected pods: {message}"),
            );
        }
        let mut updated = (**pdb).clone();
        let old = pdb.status.clone().unwrap_or_default();
        let status = updated.status.get_or_insert_with(Default::default);
        status.current_healthy = healthy;
        status.desired_healthy = desired;
        status.expected_pods = expected;
        status.disruptions_allowed = allowed;
        status.observed_generation = pdb.metadata.generation;
        status.disrupted_pods = if disrupted.is_empty() { None } else { Some(disrupted) };
        let (cond_status, reason) = if failure.is_some() {
            ("False", "SyncFailed")
        } else if allowed > 0 {
            ("True", "SufficientPods")
        } else {
            ("False", "InsufficientPods")
        };
        let previous = old.conditions.as_ref().and_then(|cs| cs.iter().find(|c| c.type_ == "DisruptionAllowed"));
        let transition = match previous {
            Some(c) if c.status == cond_status => c.last_transition_time.clone(),
            _ => k8s_time(now),
        };
        status.conditions = Some(vec![Condition {
            type_: "DisruptionAllowed".into(),
            status: cond_status.into(),
            reason: reason.into(),
            message: failure.clone().unwrap_or_default(),
            last_transition_time: transition,
            observed_generation: pdb.metadata.generation,
        }]);
        if updated.status != pdb.status {
            let _ = ctx.api.update_status(&self.user, Object::PodDisruptionBudget(Box::new(updated)));
        }
        // Look again when a disrupted pod's deletion window runs out.
        if pdb.status.as_ref().and_then(|s| s.disrupted_pods.as_ref()).is_some_and(|d| !d.is_empty()) {
            return Ok(Action::RequeueAfter(Duration::seconds(DELETION_TIMEOUT)));
        }
        Ok(Action::AwaitChange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_up() {
        assert_eq!(scaled_value(&IntOrString::String("50%".into()), 3, true), Ok(2));
        assert_eq!(scaled_value(&IntOrString::Int(2), 3, true), Ok(2));
        assert!(scaled_value(&IntOrString::String("x".into()), 3, true).is_err());
    }
}
