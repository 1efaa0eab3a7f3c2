//! NodeUnschedulable: a cordoned node (`spec.unschedulable`) takes no new pods, unless the pod
//! tolerates the `node.kubernetes.io/unschedulable:NoSchedule` taint.

use super::taint_toleration::tolerates;
use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{Args, CycleState, FilterPlugin, Plugin, Status};
use k8s_openapi::api::core::v1::Taint;

pub struct NodeUnschedulable;

pub const NAME: &str = "NodeUnschedulable";
pub const REASON: &str = "node(s) were unschedulable";

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl FilterPlugin for NodeUnschedulable {
    fn filter(&self, args: &Args<'_>, _state: &CycleState, node: &NodeInfo) -> Status {
        if !node.unschedulable() {
            return Status::SUCCESS;
        }
        let taint =
            Taint { key: "node.kubernetes.io/unschedulable".into(), effect: "NoSchedule".into(), ..Default::default() };
        let tolerations = args.pod.spec().and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]);
        if tolerations.iter().any(|t| tolerates(t, &taint)) {
            return Status::SUCCESS;
        }
        Status::unresolvable(REASON)
    }
}
