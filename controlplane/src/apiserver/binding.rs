//! The binding subresource (`POST pods/NAME/binding`): how a scheduler assigns a pod to a node.
//! As the real registry's `BindingREST`, it sets `spec.nodeName` and the `PodScheduled=True`
//! condition in one write, and refuses a pod that is being deleted or already assigned.

use std::sync::Arc;

use k8s_openapi::api::core::v1::PodCondition;

use super::error::{ApiError, Reason};
use super::{k8s_time, ApiServer, RequestInfo, UserInfo};
use crate::model::{Kind, Object};

impl ApiServer {
    /// Bind the pod `namespace/name` to `node` (the scheduler's one write per pod).
    pub fn bind(
        &mut self,
        user: impl Into<UserInfo>,
        namespace: &str,
        name: &str,
        node: &str,
    ) -> Result<Arc<Object>, ApiError> {
        let req = RequestInfo { verb: "create", info: Kind::Pod.info(), sub: "binding", namespace, name };
        self.serve(user, req, |s, _| s.do_bind(namespace, name, node))
    }

    fn do_bind(&mut self, namespace: &str, name: &str, node: &str) -> Result<Arc<Object>, ApiError> {
        let info = Kind::Pod.info();
        let current = self.peek(Kind::Pod, namespace, name).ok_or_else(|| ApiError::not_found(info, name))?;
        let Object::Pod(pod) = &*current else { return Err(ApiError::not_found(info, name)) };
        if pod.metadata.deletion_timestamp.is_some() {
            return Err(ApiError::new(
                Reason::Conflict,
                format!("Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is being deleted, cannot be assigned to a host"),
            ));
        }
        if let Some(assigned) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).filter(|n| !n.is_empty()) {
            return Err(ApiError::new(
                Reason::Conflict,
                format!("Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is already assigned to node \"{assigned}\""),
            ));
        }
        if node.is_empty() {
            return Err(ApiError::new(Reason::Invalid, "Binding.core \"\" is invalid: target.name: Required value"));
        }
        let mut pod = pod.clone();
        pod.spec.get_or_insert_with(Default::default).node_name = Some(node.to_string());
        let status = pod.status.get_or_insert_with(Default::default);
        let conditions = status.conditions.get_or_insert_with(Vec::new);
        let now = Some(k8s_time(self.now));
        match conditions.iter_mut().find(|c| c.type_ == "PodScheduled") {
            Some(c) => {
                if c.status != "True" {
                    c.last_transition_time = now;
                }
                c.status = "True".into();
                c.reason = None;
                c.message = None;
                c.last_probe_time = None;
            }
            None => conditions.push(PodCondition {
                type_: "PodScheduled".into(),
                status: "True".into(),
                last_transition_time: now,
                ..Default::default()
            }),
        }
        let key = info.key(current.namespace(), name);
        self.store_update(info, &key, name, &current, Object::Pod(pod))
    }
}
