//! kube-controller-manager: the controller runtime and one folder per controller.

pub mod garbagecollector;
pub mod namespace;
pub mod rootcacertpublisher;
pub mod runtime;
pub mod serviceaccount;

pub use runtime::{Action, Controller, ControllerComponent, Informers};
