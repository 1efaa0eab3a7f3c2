//! NodePorts: a pod's host ports must be free on the node.

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{Args, CycleState, FilterPlugin, Plugin, PreFilterPlugin, Status};

pub struct NodePorts;

pub const NAME: &str = "NodePorts";
pub const REASON: &str = "node(s) didn't have free ports for the requested pod ports";

impl Plugin for NodePorts {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreFilterPlugin for NodePorts {
    fn pre_filter(&self, args: &Args<'_>, _state: &mut CycleState) -> Status {
        if args.pod.host_ports.is_empty() {
            Status::SKIP
        } else {
            Status::SUCCESS
        }
    }
}

impl FilterPlugin for NodePorts {
    fn filter(&self, args: &Args<'_>, _state: &CycleState, node: &NodeInfo) -> Status {
        let clash = args.pod.host_ports.iter().any(|p| node.used_ports.iter().any(|u| u.conflicts(p)));
        if clash {
            Status::unschedulable(REASON)
        } else {
            Status::SUCCESS
        }
    }
}
