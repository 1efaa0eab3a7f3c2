//! NodeName: a pod that names its node (`spec.nodeName`) fits only there.

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{Args, CycleState, FilterPlugin, Plugin, Status};

pub struct NodeName;

pub const NAME: &str = "NodeName";
pub const REASON: &str = "node(s) didn't match the requested node name";

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl FilterPlugin for NodeName {
    fn filter(&self, args: &Args<'_>, _state: &CycleState, node: &NodeInfo) -> Status {
        match args.pod.spec().and_then(|s| s.node_name.as_deref()) {
            Some(n) if !n.is_empty() && n != &*node.name => Status::unresolvable(REASON),
            _ => Status::SUCCESS,
        }
    }
}
