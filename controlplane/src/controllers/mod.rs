//! kube-controller-manager: the shared informers, the controller runtime and one folder per
//! controller; and the API server's own controller of the `kubernetes` Service.

pub mod cloud;
pub mod controller_utils;
pub mod cronjob;
pub mod daemon;
pub mod deployment;
pub mod descriptors;
pub mod disruption;
pub mod endpoint;
pub mod endpointslice;
pub mod endpointslicemirroring;
pub mod garbagecollector;
pub mod history;
pub mod informers;
pub mod job;
pub mod kubernetesservice;
pub mod namespace;
pub mod nodelifecycle;
pub mod podautoscaler;
pub mod podgc;
pub mod replicaset;
pub mod rootcacertpublisher;
pub mod runtime;
pub mod serviceaccount;
pub mod statefulset;
pub mod tainteviction;
pub mod ttlafterfinished;

pub use informers::Informers;
pub use runtime::{Action, Controller, ControllerComponent};

#[cfg(test)]
mod tests;
