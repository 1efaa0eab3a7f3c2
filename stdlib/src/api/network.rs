//! The cluster network as a node sees it: kube-proxy's rules.

use rhai::plugin::*;

#[export_module]
pub mod network_api {
    use controlplane::model::Kind;
    use controlplane::network::proxy::KubeProxies;

    use crate::api::current;
    use crate::convert::runtime_error;

    /// The node's kube-proxy rules as `iptables-save` prints them: the filter and nat tables
    /// with KUBE-SERVICES (a rule per ClusterIP, externalIP and LoadBalancer address),
    /// KUBE-SVC-… (the choice among endpoints, `-m statistic --mode random --probability`),
    /// KUBE-SEP-… (the DNAT to one endpoint), KUBE-NODEPORTS, KUBE-EXT-… and KUBE-SVL-… (for
    /// `Local` traffic policies), and the REJECT/DROP rules for Services without (local)
    /// endpoints. Chain names are upstream's hashes of the service port's name. The rules are
    /// written by the node's kube-proxy pod: empty before it first ran; if it stops they stay
    /// as they were, no longer updated. A change reaches them at once, then at most once a
    /// second (`minSyncPeriod`).
    ///
    /// ```rhai
    /// print(proxy_rules("node-1"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn proxy_rules(ctx: NativeCallContext, node: &str) -> Result<String, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        if c.api_ref().peek(Kind::Node, "", node).is_none() {
            return Err(runtime_error(format!("Error from server (NotFound): nodes \"{node}\" not found")));
        }
        let _ = c.settle();
        let proxies =
            c.component_mut::<KubeProxies>().ok_or_else(|| runtime_error("this cluster runs no kube-proxy"))?;
        Ok(proxies.iptables_save(node).unwrap_or_default())
    }
}
