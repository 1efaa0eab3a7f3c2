//! The cloud-controller-manager (kubernetes/cloud-provider `controllers/`), running when the
//! cluster runs in the simulated cloud (`network::cloud`): its controllers, each on the
//! controller runtime in its own folder, and its `--controllers` descriptors.
//! `node` initializes nodes the kubelet registered with the uninitialized taint,
//! `nodelifecycle` deletes Nodes whose machine is gone, `service` makes load balancers for
//! Services of type LoadBalancer, `route` routes each node's pod CIDR to it.

pub mod node;
pub mod nodelifecycle;
pub mod route;
pub mod service;

use super::descriptors::{select, ControllersError, Named};
use super::runtime::ControllerComponent;
use crate::network::cloud::CloudHandle;
use crate::sim::component::Component;

/// The taint a kubelet started with `--cloud-provider=external` registers its Node with,
/// until the cloud node controller has initialized it.
pub const UNINITIALIZED_TAINT: &str = "node.cloudprovider.kubernetes.io/uninitialized";

pub struct CloudControllerDescriptor {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    start: fn(&CloudHandle) -> Box<dyn Component>,
}

impl CloudControllerDescriptor {
    pub fn start(&self, cloud: &CloudHandle) -> Box<dyn Component> {
        (self.start)(cloud)
    }
}

impl Named for CloudControllerDescriptor {
    fn name(&self) -> &'static str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn disabled_by_default(&self) -> bool {
        false
    }
}

/// cloud-controller-manager's controllers, in the order they run (`names.go`; the aliases are
/// the older names its `--controllers` still takes).
pub static DESCRIPTORS: &[CloudControllerDescriptor] = &[
    CloudControllerDescriptor {
        name: node::NAME,
        aliases: &["cloud-node"],
        start: |c| Box::new(ControllerComponent::new(node::CloudNodeController::new(c.clone()))),
    },
    CloudControllerDescriptor {
        name: nodelifecycle::NAME,
        aliases: &["cloud-node-lifecycle"],
        start: |c| Box::new(ControllerComponent::new(nodelifecycle::CloudNodeLifecycleController::new(c.clone()))),
    },
    CloudControllerDescriptor {
        name: service::NAME,
        aliases: &["service"],
        start: |c| Box::new(ControllerComponent::new(service::ServiceController::new(c.clone()))),
    },
    CloudControllerDescriptor {
        name: route::NAME,
        aliases: &["route"],
        start: |c| Box::new(ControllerComponent::new(route::RouteController::new(c.clone()))),
    },
];

/// The controllers cloud-controller-manager's `--controllers` enables.
pub fn enabled(controllers: &[String]) -> Result<Vec<&'static CloudControllerDescriptor>, ControllersError> {
    select(DESCRIPTORS, controllers)
}

#[cfg(test)]
mod tests;
