//! Resources whose upstream strategy checks nothing beyond metadata here: ServiceAccounts
//! (upstream: metadata only), and kinds whose own rules are not modelled yet (ResourceQuota,
//! EndpointSlice, ControllerRevision, Lease, IngressClass).

use super::Strategy;
use crate::model::shared;
use k8s_openapi::api::{apps::v1 as apps, core::v1 as core, discovery::v1 as discovery, networking::v1 as networking};

macro_rules! neutral {
    ($($ty:ty),* $(,)?) => {$( impl Strategy for $ty {} )*};
}

neutral! {
    core::ServiceAccount, core::ResourceQuota, discovery::EndpointSlice, apps::ControllerRevision,
    shared::Lease, networking::IngressClass,
}
