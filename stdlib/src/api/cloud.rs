//! The simulated cloud of a `cluster(#{cloud: true})`: breaking it and looking at what the
//! cloud-controller-manager made in it.

use rhai::plugin::*;

#[export_module]
pub mod cloud_api {
    use rhai::{Array, Dynamic, Map};

    use crate::api::current;
    use crate::convert::runtime_error;

    const NO_CLOUD: &str = "this cluster runs in no cloud: make one with cluster(#{cloud: true})";

    /// Deletes a node's machine in the cloud, as from the cloud's console: its kubelet goes
    /// with it, so the node turns `NotReady` after 50s, and on its next 5s pass the
    /// cloud-controller-manager's node lifecycle controller sees the machine gone and deletes
    /// the Node (`DeletingNode`). Its pods are then force-deleted by pod garbage collection.
    ///
    /// ```rhai
    /// use_cluster(cluster(#{cloud: true}));
    /// remove_instance("node-3");
    /// advance("60s");
    /// kubectl("get nodes");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn remove_instance(ctx: NativeCallContext, name: &str) -> Result<String, Box<EvalAltResult>> {
        use controlplane::node::kubelet::Kubelets;
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        let removed = c.cloud().ok_or_else(|| runtime_error(NO_CLOUD))?.remove_instance(name);
        if !removed {
            return Err(runtime_error(format!("the cloud has no instance {name:?}")));
        }
        c.with_component::<Kubelets, _>(|k, _| k.stop(name));
        let _ = c.settle();
        Ok(format!("instance {name} removed: the machine and its kubelet are gone"))
    }

    /// The cloud's routes, which the route controller keeps: each node's pod CIDR sent to that
    /// node, as `#{name, node, cidr}` (the name is the node's uid), by name.
    ///
    /// ```rhai
    /// use_cluster(cluster(#{cloud: true}));
    /// advance("10s");
    /// for r in cloud_routes() { print(`${r.node} ${r.cidr}`); }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn cloud_routes(ctx: NativeCallContext) -> Result<Array, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let c = cluster.0.borrow();
        let cloud = c.cloud().ok_or_else(|| runtime_error(NO_CLOUD))?;
        let mut routes: Vec<_> = cloud.routes().cloned().collect();
        routes.sort_by(|a, b| (&a.target_node, &a.name).cmp(&(&b.target_node, &b.name)));
        Ok(routes
            .into_iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("name".into(), r.name.into());
                m.insert("node".into(), r.target_node.into());
                m.insert("cidr".into(), r.destination_cidr.into());
                Dynamic::from_map(m)
            })
            .collect())
    }

    /// The cloud's load balancers, which the service controller makes for Services of type
    /// LoadBalancer: `#{name, service, address, ports, hosts}`, where `ports` are
    /// `"80/TCP->31234"` (to the node port; `->pods` when the Service has none) and `hosts` the
    /// nodes it sends to.
    ///
    /// ```rhai
    /// use_cluster(cluster(#{cloud: true}));
    /// kubectl("create service loadbalancer web --tcp=80:8080");
    /// for lb in load_balancers() { print(`${lb.service} ${lb.address} ${lb.hosts}`); }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn load_balancers(ctx: NativeCallContext) -> Result<Array, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let c = cluster.0.borrow();
        let cloud = c.cloud().ok_or_else(|| runtime_error(NO_CLOUD))?;
        Ok(cloud
            .load_balancers()
            .iter()
            .map(|(name, lb)| {
                let ports: Array = lb
                    .ports
                    .iter()
                    .map(|p| match p.node_port {
                        Some(np) => format!("{}/{}->{np}", p.port, p.protocol).into(),
                        None => format!("{}/{}->pods", p.port, p.protocol).into(),
                    })
                    .collect();
                let hosts: Array = lb.hosts.iter().map(|h| h.clone().into()).collect();
                let mut m = Map::new();
                m.insert("name".into(), name.clone().into());
                m.insert("service".into(), lb.service.clone().into());
                m.insert("address".into(), lb.address.to_string().into());
                m.insert("ports".into(), ports.into());
                m.insert("hosts".into(), hosts.into());
                Dynamic::from_map(m)
            })
            .collect())
    }
}
