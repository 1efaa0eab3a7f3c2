//! `pods/scheduling`, a kubesim subresource: the scheduler's account of where a pod went and
//! why (each node's Filter verdict and Score), which `kubectl describe pod` and
//! `explain_schedule` show. The scheduler answers through [`SchedulerServer`].

use std::sync::Arc;

use super::error::ApiError;
use super::{ApiServer, RequestInfo, UserInfo};
use crate::model::{Kind, Object};

/// What the scheduler serves about its decisions.
pub trait SchedulerServer {
    /// The recorded decision of the pod's latest scheduling attempt, rendered, if one is kept.
    fn decision(&self, pod: &Object) -> Option<String>;
    /// The recorded decision, or (when none is kept) what the scheduler would decide now.
    fn explain(&mut self, pod: Arc<Object>) -> String;
}

impl ApiServer {
    /// `GET pods/NAME/scheduling`: the scheduler's recorded decision for the pod, or with
    /// `simulate` (when none is kept) what it would decide now. `None` when no scheduler answers
    /// (or, without `simulate`, none is kept).
    pub fn pod_scheduling(
        &mut self,
        user: impl Into<UserInfo>,
        namespace: &str,
        name: &str,
        simulate: bool,
        scheduler: Option<&mut dyn SchedulerServer>,
    ) -> Result<Option<String>, ApiError> {
        let request = RequestInfo { verb: "get", info: Kind::Pod.info(), sub: "scheduling", namespace, name };
        self.serve(user, request, |api, _| match api.peek(Kind::Pod, namespace, name) {
            None => Err(ApiError::not_found(Kind::Pod.info(), name)),
            Some(pod) => Ok(scheduler.and_then(|s| if simulate { Some(s.explain(pod)) } else { s.decision(&pod) })),
        })
    }
}
