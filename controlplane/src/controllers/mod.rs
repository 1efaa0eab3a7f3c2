//! kube-controller-manager: the controller runtime and one folder per controller.

pub mod disruption;
pub mod garbagecollector;
pub mod namespace;
pub mod nodelifecycle;
pub mod podgc;
pub mod podindex;
pub mod rootcacertpublisher;
pub mod runtime;
pub mod serviceaccount;
pub mod tainteviction;

pub use runtime::{Action, Controller, ControllerComponent, Informers};
