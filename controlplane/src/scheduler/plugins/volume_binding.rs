//! VolumeBinding: checks that a pod's PersistentVolumeClaims can be bound on the node. Not
//! built yet: volumes come with the storage work, so this plugin passes every pod on every node
//! (its PreFilter returns Skip, so its Filter never runs).

use crate::scheduler::framework::{Args, CycleState, Plugin, PreFilterPlugin, Status};

pub struct VolumeBinding;

pub const NAME: &str = "VolumeBinding";

impl Plugin for VolumeBinding {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreFilterPlugin for VolumeBinding {
    fn pre_filter(&self, _args: &Args<'_>, _state: &mut CycleState) -> Status {
        Status::SKIP
    }
}
