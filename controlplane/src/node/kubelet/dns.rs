//! A pod's DNS settings as the kubelet forms them (`pkg/kubelet/network/dns`, `GetPodDNS`) and
//! as containerd writes them into `/etc/resolv.conf`. The one place that decides a pod's
//! resolv.conf: the kubelet writes what [`ResolvConf::for_pod`] says, and the cluster network's
//! resolver reads the same.

use crate::model::Pod;

/// The cluster DNS Service's address (the kubelet's `clusterDNS`) and domain, kubeadm's defaults.
pub const CLUSTER_DNS: &str = "10.96.0.10";
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// The node's own `/etc/resolv.conf` (the kubelet's `resolvConf`), as Docker writes it into a
/// kind node: its embedded DNS, which kind's entrypoint moves to the network's gateway, and
/// Docker's options. A host search line would follow the nameserver; the simulated host has none.
pub const NODE_RESOLV_CONF: &str = "nameserver 172.18.0.1\noptions edns0 trust-ad ndots:0\n";

/// `validation.MaxDNSNameservers`, and the search limits of `ExpandedDNSConfig` (GA since v1.28).
const MAX_NAMESERVERS: usize = 3;
const MAX_SEARCH_PATHS: usize = 32;
const MAX_SEARCH_CHARS: usize = 2048;
/// A search path longer than a DNS subdomain is dropped (glibc aborts on it).
const MAX_SEARCH_PATH_LEN: usize = 253;

/// What a resolv.conf says: its nameservers, search list and options, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvConf {
    pub nameservers: Vec<String>,
    pub searches: Vec<String>,
    pub options: Vec<String>,
}

impl ResolvConf {
    /// The kubelet's `parseResolvConf`: nameserver lines accumulate; the last search and the
    /// last options line win; a search path's trailing dot is dropped.
    pub fn parse(text: &str) -> ResolvConf {
        let mut conf = ResolvConf::default();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                ["nameserver", server, ..] => conf.nameservers.push(server.to_string()),
                ["search", paths @ ..] => {
                    conf.searches = paths.iter().map(|s| s.strip_suffix('.').unwrap_or(s).to_string()).collect()
                }
                ["options", opts @ ..] => conf.options = opts.iter().map(|s| s.to_string()).collect(),
                _ => {}
            }
        }
        conf
    }

    /// The file as containerd writes it: search, nameservers, options.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if !self.searches.is_empty() {
            out.push_str(&format!("search {}\n", self.searches.join(" ")));
        }
        for n in &self.nameservers {
            out.push_str(&format!("nameserver {n}\n"));
        }
        if !self.options.is_empty() {
            out.push_str(&format!("options {}\n", self.options.join(" ")));
        }
        out
    }

    /// The `ndots` option as a resolver reads it: 1 unless set, at most 15 (glibc's cap).
    pub fn ndots(&self) -> usize {
        let set = self.options.iter().rev().find_map(|o| o.strip_prefix("ndots:"));
        set.and_then(|n| n.parse::<usize>().ok()).map_or(1, |n| n.min(15))
    }

    /// The node's own settings, which `dnsPolicy: Default` pods and the node itself use
    /// (parsed once: every ClusterFirst pod starts from them).
    pub fn node() -> ResolvConf {
        static NODE: std::sync::LazyLock<ResolvConf> = std::sync::LazyLock::new(|| ResolvConf::parse(NODE_RESOLV_CONF));
        NODE.clone()
    }

    /// The pod's `/etc/resolv.conf` as containerd writes it. A pod with the default settings
    /// (ClusterFirst, off the host network, no `dnsConfig`: most pods) gets its namespace's
    /// file, made once per namespace.
    pub fn file_for_pod(pod: &Pod) -> String {
        let spec = pod.spec.as_ref();
        let default = spec.is_some_and(|s| {
            s.dns_policy.as_deref().is_none_or(|p| p == "ClusterFirst")
                && s.host_network != Some(true)
                && s.dns_config.is_none()
        });
        if !default {
            return ResolvConf::for_pod(pod).render();
        }
        thread_local! {
            static BY_NAMESPACE: crate::memo::Table<String> = crate::memo::Table::default();
        }
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
        crate::memo::remembered(&BY_NAMESPACE, 1024, namespace, || ResolvConf::for_pod(pod).render())
    }

    /// `GetPodDNS`: the base from the pod's DNS type, then `dnsConfig` merged in, then the
    /// limits applied. ClusterFirst on the host network falls back to the node's settings, as
    /// upstream does; ClusterFirstWithHostNet does not.
    pub fn for_pod(pod: &Pod) -> ResolvConf {
        let spec = pod.spec.as_ref();
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
        let host_network = spec.and_then(|s| s.host_network).unwrap_or(false);
        let mut conf = match spec.and_then(|s| s.dns_policy.as_deref()).unwrap_or("ClusterFirst") {
            "None" => ResolvConf::default(),
            "Default" => ResolvConf::node(),
            "ClusterFirst" if host_network => ResolvConf::node(),
            // ClusterFirst, ClusterFirstWithHostNet (and anything else, as upstream falls back).
            _ => {
                let host = ResolvConf::node();
                let mut searches = vec![
                    format!("{namespace}.svc.{CLUSTER_DOMAIN}"),
                    format!("svc.{CLUSTER_DOMAIN}"),
                    CLUSTER_DOMAIN.to_string(),
                ];
                searches.extend(host.searches);
                ResolvConf {
                    nameservers: vec![CLUSTER_DNS.to_string()],
                    searches: unique(searches),
                    options: vec!["ndots:5".to_string()],
                }
            }
        };
        if let Some(cfg) = spec.and_then(|s| s.dns_config.as_ref()) {
            conf.nameservers.extend(cfg.nameservers.iter().flatten().cloned());
            conf.nameservers = unique(std::mem::take(&mut conf.nameservers));
            conf.searches.extend(cfg.searches.iter().flatten().cloned());
            conf.searches = unique(std::mem::take(&mut conf.searches));
            for o in cfg.options.iter().flatten() {
                let name = o.name.clone().unwrap_or_default();
                let merged = match o.value.as_deref().filter(|v| !v.is_empty()) {
                    Some(v) => format!("{name}:{v}"),
                    None => name.clone(),
                };
                // mergeDNSOptions: the pod's option replaces one of the same name. Upstream
                // rebuilds the list from a Go map (in no set order); this keeps the base's order.
                match conf.options.iter_mut().find(|e| e.split(':').next() == Some(name.as_str())) {
                    Some(e) => *e = merged,
                    None => conf.options.push(merged),
                }
            }
        }
        conf.nameservers.truncate(MAX_NAMESERVERS);
        conf.searches = fit_search_limits(std::mem::take(&mut conf.searches));
        conf
    }
}

/// `omitDuplicates`: the first of each, in order.
fn unique(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// `formDNSSearchFitsLimits`: at most 32 paths, none longer than 253 characters, and the
/// line at most 2048 characters (paths cut from the end).
fn fit_search_limits(mut searches: Vec<String>) -> Vec<String> {
    searches.truncate(MAX_SEARCH_PATHS);
    searches.retain(|s| s.len() <= MAX_SEARCH_PATH_LEN);
    let mut len = searches.join(" ").len();
    while len > MAX_SEARCH_CHARS {
        let Some(last) = searches.pop() else { break };
        len = len.saturating_sub(last.len() + 1);
    }
    searches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_nameservers_and_the_last_search_and_options() {
        let conf = ResolvConf::parse(
            "# comment\nnameserver 10.0.0.1\nsearch a.example. b.example\nnameserver 10.0.0.2\nsearch c.example\noptions ndots:3 rotate\nnameserver\n",
        );
        assert_eq!(conf.nameservers, ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(conf.searches, ["c.example"]);
        assert_eq!(conf.options, ["ndots:3", "rotate"]);
        assert_eq!(conf.ndots(), 3);
        assert_eq!(ResolvConf::parse("options ndots:99").ndots(), 15);
        assert_eq!(ResolvConf::default().ndots(), 1);
        assert_eq!(ResolvConf::parse(&conf.render()), conf);
    }

    /// The file a pod gets is its own settings rendered, whether its namespace's was made
    /// before or the pod's settings are its own.
    #[test]
    fn a_pods_file_is_its_settings_rendered() {
        let pod = |yaml: &str| -> Pod {
            let full = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: {yaml}\n");
            serde_yaml::from_str(&full).unwrap()
        };
        let pods = [
            pod("a}\nspec: {containers: [{name: c, image: nginx}]}"),
            pod("b}\nspec: {containers: [{name: c, image: nginx}]}"),
            pod("a}\nspec: {containers: [{name: c, image: nginx}], dnsConfig: {searches: [x.example]}}"),
            pod("a}\nspec: {containers: [{name: c, image: nginx}], dnsPolicy: Default}"),
            pod("a}\nspec: {containers: [{name: c, image: nginx}], hostNetwork: true}"),
            pod("b}\nspec: {containers: [{name: c, image: nginx}], dnsPolicy: ClusterFirst}"),
        ];
        for round in 0..2 {
            for p in &pods {
                assert_eq!(ResolvConf::file_for_pod(p), ResolvConf::for_pod(p).render(), "round {round}");
            }
        }
        assert!(ResolvConf::file_for_pod(&pods[1]).starts_with("search b.svc.cluster.local "));
    }

    #[test]
    fn search_limits_cut_from_the_end() {
        let many: Vec<String> = (0..40).map(|i| format!("d{i}.example")).collect();
        assert_eq!(fit_search_limits(many).len(), MAX_SEARCH_PATHS);
        let long: Vec<String> = (0..20).map(|i| format!("{i:0>120}")).collect();
        let fitted = fit_search_limits(long);
        assert!(fitted.join(" ").len() <= MAX_SEARCH_CHARS);
        assert_eq!(fitted.len(), 16);
        assert!(fit_search_limits(vec!["x".repeat(254), "ok".into()]) == ["ok"]);
    }
}
