//! The eviction subresource (`POST pods/NAME/eviction`): a delete that PodDisruptionBudgets
//! may refuse, which is how `kubectl drain` removes pods.

use std::sync::Arc;

use k8s_openapi::api::core::v1::PodCondition;

use super::error::{quote, ApiError, Reason};
use super::{ApiServer, DeleteOptions, RequestInfo, UserInfo};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};

impl ApiServer {
    /// Evict a pod: refused with 429 while a PodDisruptionBudget covering it allows no more
    /// disruptions; otherwise the budget's allowance goes down by one and the pod is deleted.
    pub fn evict(
        &mut self,
        user: impl Into<UserInfo>,
        namespace: &str,
        name: &str,
        grace_period_seconds: Option<i64>,
    ) -> Result<Arc<Object>, ApiError> {
        let req = RequestInfo { verb: "create", info: Kind::Pod.info(), sub: "eviction", namespace, name };
        self.serve(user, req, |s, _| s.do_evict(namespace, name, grace_period_seconds))
    }

    fn do_evict(&mut self, namespace: &str, name: &str, grace: Option<i64>) -> Result<Arc<Object>, ApiError> {
        let pod = self.peek(Kind::Pod, namespace, name).ok_or_else(|| ApiError::not_found(Kind::Pod.info(), name))?;
        // A pod already terminating, or done, is no disruption.
        let done = matches!(&*pod, Object::Pod(p) if matches!(p.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed")));
        if pod.metadata().deletion_timestamp.is_none() && !done {
            let budgets: Vec<Arc<Object>> = self
                .store
                .range(&Kind::PodDisruptionBudget.info().key_prefix(Some(namespace)))
                .map(|kv| kv.value.clone())
                .filter(|pdb| covers(pdb, &pod))
                .collect();
            if budgets.len() > 1 {
                return Err(ApiError::new(
                    Reason::InternalError,
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                ));
            }
            if let Some(pdb) = budgets.first() {
                self.take_disruption(pdb, &pod)?;
            }
        }
        if pod.metadata().deletion_timestamp.is_none() {
            self.mark_disruption_target(&pod);
        }
        self.delete(
            "eviction",
            Kind::Pod,
            namespace,
            name,
            DeleteOptions { grace_period_seconds: grace, ..Default::default() },
        )
    }

    /// `addConditionAndDeletePod`: the pod learns why it goes (a Job's pod failure policy
    /// reads it) through the status, before the delete.
    fn mark_disruption_target(&mut self, pod: &Object) {
        let Object::Pod(p) = pod else { return };
        let mut p = p.clone();
        let conditions = p.status.get_or_insert_with(Default::default).conditions.get_or_insert_with(Vec::new);
        let wanted = PodCondition {
            type_: "DisruptionTarget".into(),
            status: "True".into(),
            reason: Some("EvictionByEvictionAPI".into()),
            message: Some("Eviction API: evicting".into()),
            last_transition_time: Some(super::k8s_time(self.now)),
            ..Default::default()
        };
        match conditions.iter_mut().find(|c| c.type_ == wanted.type_) {
            // `UpdatePodCondition` keeps the transition time of an unchanged status.
            Some(c) if c.status == wanted.status => {
                c.reason = wanted.reason;
                c.message = wanted.message;
            }
            Some(c) => *c = wanted,
            None => conditions.push(wanted),
        }
        // A failed write leaves the eviction to go on as a plain delete.
        let _ = self.update_status("eviction", Object::Pod(p));
    }

    /// Use one of the budget's allowed disruptions, recording the pod as disrupted.
    fn take_disruption(&mut self, pdb: &Arc<Object>, pod: &Object) -> Result<(), ApiError> {
        let Object::PodDisruptionBudget(budget) = &**pdb else { return Ok(()) };
        let status = budget.status.clone().unwrap_or_default();
        let processed = status.observed_generation.is_some_and(|g| Some(g) >= budget.metadata.generation);
        if !processed || status.disruptions_allowed <= 0 {
            let mut err = ApiError::new(
                Reason::TooManyRequests,
                "Cannot evict pod as it would violate the pod's disruption budget.",
            );
            err.details_kind = "PodDisruptionBudget".into();
            err.details_name = budget.metadata.name.clone().unwrap_or_default();
            return Err(err);
        }
        let mut updated = (**budget).clone();
        let st = updated.status.get_or_insert_with(Default::default);
        st.disruptions_allowed -= 1;
        st.disrupted_pods
            .get_or_insert_with(Default::default)
            .insert(pod.name().to_string(), super::k8s_time(self.now));
        self.update_status("eviction", Object::PodDisruptionBudget(Box::new(updated)))
            .map(|_| ())
            .map_err(|_| ApiError::conflict(Kind::PodDisruptionBudget.info(), &quote(pdb.name())))
    }
}

/// Whether a budget's selector picks the pod.
fn covers(pdb: &Object, pod: &Object) -> bool {
    let Object::PodDisruptionBudget(budget) = pdb else { return false };
    let Some(selector) = budget.spec.as_ref().and_then(|s| s.selector.as_ref()) else { return false };
    // An empty selector matches every pod in policy/v1.
    LabelSelector::from_k8s(selector).is_ok_and(|s| s.matches(pod.labels()))
}
