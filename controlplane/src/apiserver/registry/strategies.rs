//! Resources whose strategy has not been given its own file yet: neutral defaults.
// Each resource moves to its own file (pod.rs, deployment.rs, ...) as its rules are written.

use super::Strategy;
use k8s_openapi::api::{apps::v1 as apps, autoscaling::v2 as autoscaling, coordination::v1 as coordination, core::v1 as core, discovery::v1 as discovery, networking::v1 as networking, policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling, storage::v1 as storage};

macro_rules! neutral {
    ($($ty:ty),* $(,)?) => {$( impl Strategy for $ty {} )*};
}

neutral! {
    autoscaling::HorizontalPodAutoscaler, policy::PodDisruptionBudget, networking::Ingress, networking::NetworkPolicy, scheduling::PriorityClass, storage::StorageClass, rbac::ClusterRoleBinding, rbac::ClusterRole, rbac::RoleBinding, rbac::Role, core::ServiceAccount, core::ResourceQuota, core::Event, discovery::EndpointSlice, apps::ControllerRevision, coordination::Lease, networking::IngressClass,
}
