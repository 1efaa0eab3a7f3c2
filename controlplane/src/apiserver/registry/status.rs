//! The spec/status split: which kinds have a status, and moving it between versions of an object.

use std::any::Any;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::Metadata;

use crate::model::Typed;

/// Taking a kind's status out of an object and putting it back. Kinds without a status
/// subresource take and restore nothing.
pub trait StatusSplit: Typed {
    fn take_status(&mut self) -> Option<Box<dyn Any>>;
    fn restore_status(&mut self, status: Option<Box<dyn Any>>);
    fn meta_mut(&mut self) -> &mut ObjectMeta;
}

macro_rules! with_status {
    ($($ty:ty),* $(,)?) => {$(
        impl StatusSplit for $ty {
            fn take_status(&mut self) -> Option<Box<dyn Any>> {
                self.status.take().map(|s| Box::new(s) as Box<dyn Any>)
            }
            fn restore_status(&mut self, status: Option<Box<dyn Any>>) {
                self.status = status.and_then(|s| s.downcast().ok()).map(|s| *s);
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                self.metadata_mut()
            }
        }
    )*};
}

macro_rules! without_status {
    ($($ty:ty),* $(,)?) => {$(
        impl StatusSplit for $ty {
            fn take_status(&mut self) -> Option<Box<dyn Any>> {
                None
            }
            fn restore_status(&mut self, _status: Option<Box<dyn Any>>) {}
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                self.metadata_mut()
            }
        }
    )*};
}

use k8s_openapi::api::{
    apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch, coordination::v1 as coordination,
    core::v1 as core, discovery::v1 as discovery, networking::v1 as networking, policy::v1 as policy, rbac::v1 as rbac,
    scheduling::v1 as scheduling, storage::v1 as storage,
};

with_status! {
    core::Namespace, core::Node, core::Pod, core::Service, core::PersistentVolume, core::PersistentVolumeClaim,
    core::ResourceQuota, core::ReplicationController, apps::DaemonSet, apps::Deployment, apps::ReplicaSet,
    apps::StatefulSet, autoscaling::HorizontalPodAutoscaler, batch::CronJob, batch::Job, networking::Ingress,
    policy::PodDisruptionBudget,
}

without_status! {
    core::Endpoints, core::ConfigMap, core::Secret, core::ServiceAccount, core::LimitRange, core::Event,
    discovery::EndpointSlice, apps::ControllerRevision, coordination::Lease, networking::IngressClass,
    networking::NetworkPolicy, rbac::ClusterRoleBinding, rbac::ClusterRole, rbac::RoleBinding, rbac::Role,
    scheduling::PriorityClass, storage::StorageClass,
}

#[cfg(test)]
mod tests {
    use crate::model::{Kind, KINDS};

    /// The kinds registry's `has_status` and this file agree.
    #[test]
    fn status_table_matches_registry() {
        let with: Vec<Kind> = KINDS.iter().filter(|k| k.has_status).map(|k| k.kind).collect();
        assert_eq!(with.len(), 17);
    }
}
