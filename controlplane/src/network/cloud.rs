//! The simulated cloud a `cluster(#{cloud: true})` runs in: what a cloud provider's API would
//! answer the cloud-controller-manager (`cloudprovider.Interface`). Machines (one per node,
//! made when the node joins, gone with `remove_instance`), load balancers with addresses from
//! one pool (`lb_pool`), and the pod CIDR routes of the cluster's network. The cluster knows it
//! only through the cloud-controller-manager's controllers, which act on it and write what
//! they find through the API server.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::rc::Rc;

use super::Protocol;

/// The default `lb_pool`: the top of kind's docker network, as MetalLB's guide for kind uses.
pub const DEFAULT_POOL: &str = "172.18.255.200-172.18.255.250";

/// The instance type every machine has (`node.kubernetes.io/instance-type`).
pub const INSTANCE_TYPE: &str = "kubesim-node";

/// A node's `spec.providerID`: `kubesim://<node>`, as kind's is `kind://docker/<cluster>/<node>`.
pub fn provider_id(node: &str) -> String {
    format!("kubesim://{node}")
}

/// The cloud shared by the cloud-controller-manager's controllers and the script functions
/// that break it (`remove_instance`).
pub type CloudHandle = Rc<RefCell<Cloud>>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudError {
    #[error("no address left in the load balancer pool {pool} (all {size} in use)")]
    PoolExhausted { pool: String, size: u32 },
    #[error("requested load balancer IP {0} is not in the pool {1}")]
    NotInPool(String, String),
    #[error("requested load balancer IP {0} is in use by another load balancer")]
    InUse(String),
    #[error("instance not found")]
    InstanceNotFound,
    #[error("invalid load balancer pool {0:?}: {1}")]
    BadPool(String, &'static str),
}

/// An inclusive range of IPv4 addresses: `a.b.c.d-e.f.g.h`, or a CIDR `a.b.c.d/n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressPool {
    text: String,
    first: u32,
    last: u32,
}

impl AddressPool {
    pub fn parse(text: &str) -> Result<AddressPool, CloudError> {
        let bad = |why| CloudError::BadPool(text.to_string(), why);
        let addr = |s: &str| s.trim().parse::<Ipv4Addr>().map(u32::from).map_err(|_| bad("not an IPv4 address"));
        let (first, last) = if let Some((a, b)) = text.split_once('-') {
            (addr(a)?, addr(b)?)
        } else if let Some((a, bits)) = text.split_once('/') {
            let bits: u32 =
                bits.parse().ok().filter(|b| (1..=32).contains(b)).ok_or_else(|| bad("bad prefix length"))?;
            let mask = if bits == 32 { u32::MAX } else { !(u32::MAX >> bits) };
            let base = addr(a)? & mask;
            (base, base | !mask)
        } else {
            return Err(bad("give a range a.b.c.d-e.f.g.h or a CIDR a.b.c.d/n"));
        };
        if first > last {
            return Err(bad("the first address is after the last"));
        }
        Ok(AddressPool { text: text.to_string(), first, last })
    }

    pub fn size(&self) -> u32 {
        self.last - self.first + 1
    }

    fn contains(&self, a: u32) -> bool {
        (self.first..=self.last).contains(&a)
    }
}

/// A machine the cloud runs a node on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub provider_id: String,
    pub internal_ip: String,
    pub instance_type: &'static str,
}

/// One port a load balancer listens on, and the node port it forwards to (none when the
/// Service asks for no node ports: then it sends straight to the pods, as clouds that can
/// reach pod IPs do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LbPort {
    pub protocol: Protocol,
    pub port: u16,
    pub node_port: Option<u16>,
}

/// A load balancer made for a Service of type LoadBalancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancer {
    /// `namespace/name` of its Service.
    pub service: String,
    pub address: Ipv4Addr,
    pub ports: Vec<LbPort>,
    /// The nodes it sends traffic to, by name, sorted.
    pub hosts: Vec<String>,
}

/// A route of the cloud's network: traffic for a node's pod CIDR goes to that node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The name hint the route controller gives: the node's uid.
    pub name: String,
    pub target_node: String,
    pub destination_cidr: String,
}

#[derive(Debug)]
pub struct Cloud {
    pool: AddressPool,
    instances: BTreeMap<String, Instance>,
    /// By load balancer name (`GetLoadBalancerName`: `a` and the Service's uid).
    balancers: BTreeMap<String, LoadBalancer>,
    routes: BTreeMap<String, Route>,
}

impl Cloud {
    pub fn new(pool: AddressPool) -> Cloud {
        Cloud { pool, instances: BTreeMap::new(), balancers: BTreeMap::new(), routes: BTreeMap::new() }
    }

    pub fn handle(pool: AddressPool) -> CloudHandle {
        Rc::new(RefCell::new(Cloud::new(pool)))
    }

    pub fn pool(&self) -> &AddressPool {
        &self.pool
    }

    // Instances (`InstancesV2`).

    /// A machine for the node `name` at `internal_ip` (a node joining starts one first).
    pub fn launch_instance(&mut self, name: &str, internal_ip: &str) {
        let instance = Instance {
            provider_id: provider_id(name),
            internal_ip: internal_ip.to_string(),
            instance_type: INSTANCE_TYPE,
        };
        self.instances.insert(name.to_string(), instance);
    }

    /// The machine is gone (deleted in the cloud's console). False if there was none.
    pub fn remove_instance(&mut self, name: &str) -> bool {
        self.instances.remove(name).is_some()
    }

    /// `InstanceMetadata`, looked up by the node's name.
    pub fn instance(&self, name: &str) -> Result<&Instance, CloudError> {
        self.instances.get(name).ok_or(CloudError::InstanceNotFound)
    }

    /// `InstanceExistsByProviderID`.
    pub fn instance_exists(&self, provider_id: &str) -> bool {
        self.instances.values().any(|i| i.provider_id == provider_id)
    }

    pub fn instances(&self) -> &BTreeMap<String, Instance> {
        &self.instances
    }

    // Load balancers (`LoadBalancer`).

    pub fn load_balancer(&self, name: &str) -> Option<&LoadBalancer> {
        self.balancers.get(name)
    }

    pub fn load_balancers(&self) -> &BTreeMap<String, LoadBalancer> {
        &self.balancers
    }

    /// `EnsureLoadBalancer`: make or update the balancer `name`, keeping its address; a new
    /// one takes `requested` (the Service's `loadBalancerIP`) or the lowest free address.
    pub fn ensure_load_balancer(
        &mut self,
        name: &str,
        mut balancer: LoadBalancer,
        requested: Option<Ipv4Addr>,
    ) -> Result<Ipv4Addr, CloudError> {
        let current = self.balancers.get(name).map(|b| b.address);
        let address = match (current, requested) {
            (Some(a), None) => a,
            (Some(a), Some(r)) if a == r => a,
            (_, Some(r)) => {
                if !self.pool.contains(u32::from(r)) {
                    return Err(CloudError::NotInPool(r.to_string(), self.pool.text.clone()));
                }
                if self.balancers.iter().any(|(n, b)| n != name && b.address == r) {
                    return Err(CloudError::InUse(r.to_string()));
                }
                r
            }
            (None, None) => self.free_address()?,
        };
        balancer.address = address;
        self.balancers.insert(name.to_string(), balancer);
        Ok(address)
    }

    fn free_address(&self) -> Result<Ipv4Addr, CloudError> {
        let used: std::collections::BTreeSet<u32> = self.balancers.values().map(|b| u32::from(b.address)).collect();
        (self.pool.first..=self.pool.last)
            .find(|a| !used.contains(a))
            .map(Ipv4Addr::from)
            .ok_or_else(|| CloudError::PoolExhausted { pool: self.pool.text.clone(), size: self.pool.size() })
    }

    /// `UpdateLoadBalancer`: the nodes a balancer sends to.
    pub fn update_hosts(&mut self, name: &str, hosts: Vec<String>) -> bool {
        match self.balancers.get_mut(name) {
            Some(b) => {
                b.hosts = hosts;
                true
            }
            None => false,
        }
    }

    /// `EnsureLoadBalancerDeleted`: its address goes back to the pool.
    pub fn delete_load_balancer(&mut self, name: &str) -> bool {
        self.balancers.remove(name).is_some()
    }

    // Routes (`Routes`).

    pub fn routes(&self) -> impl Iterator<Item = &Route> {
        self.routes.values()
    }

    pub fn create_route(&mut self, route: Route) {
        self.routes.insert(route.name.clone(), route);
    }

    pub fn delete_route(&mut self, name: &str) -> bool {
        self.routes.remove(name).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lb(service: &str) -> LoadBalancer {
        LoadBalancer { service: service.into(), address: Ipv4Addr::UNSPECIFIED, ports: Vec::new(), hosts: Vec::new() }
    }

    #[test]
    fn pools_parse_as_ranges_or_cidrs() {
        assert_eq!(AddressPool::parse(DEFAULT_POOL).unwrap().size(), 51);
        assert_eq!(AddressPool::parse("10.0.0.0/30").unwrap().size(), 4);
        assert_eq!(AddressPool::parse("10.0.0.7/32").unwrap().size(), 1);
        for bad in ["", "10.0.0.9-10.0.0.1", "10.0.0.0/0", "10.0.0.0/33", "x-10.0.0.1", "10.0.0.1"] {
            assert!(AddressPool::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn addresses_are_the_lowest_free_kept_on_update_and_freed_on_delete() {
        let mut cloud = Cloud::new(AddressPool::parse("10.0.0.1-10.0.0.2").unwrap());
        assert_eq!(cloud.ensure_load_balancer("a", lb("d/a"), None).unwrap().to_string(), "10.0.0.1");
        assert_eq!(cloud.ensure_load_balancer("b", lb("d/b"), None).unwrap().to_string(), "10.0.0.2");
        assert_eq!(cloud.ensure_load_balancer("a", lb("d/a"), None).unwrap().to_string(), "10.0.0.1");
        let full = cloud.ensure_load_balancer("c", lb("d/c"), None).unwrap_err();
        assert_eq!(full.to_string(), "no address left in the load balancer pool 10.0.0.1-10.0.0.2 (all 2 in use)");
        assert!(cloud.delete_load_balancer("a"));
        assert_eq!(cloud.ensure_load_balancer("c", lb("d/c"), None).unwrap().to_string(), "10.0.0.1");
    }

    #[test]
    fn a_requested_address_must_be_in_the_pool_and_free() {
        let mut cloud = Cloud::new(AddressPool::parse("10.0.0.1-10.0.0.4").unwrap());
        let ip = |s: &str| Some(s.parse::<Ipv4Addr>().unwrap());
        assert_eq!(cloud.ensure_load_balancer("a", lb("d/a"), ip("10.0.0.3")).unwrap().to_string(), "10.0.0.3");
        assert_eq!(
            cloud.ensure_load_balancer("b", lb("d/b"), ip("10.0.0.3")),
            Err(CloudError::InUse("10.0.0.3".into()))
        );
        assert!(matches!(cloud.ensure_load_balancer("b", lb("d/b"), ip("10.0.1.3")), Err(CloudError::NotInPool(..))));
    }
}
