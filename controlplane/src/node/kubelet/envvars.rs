//! A container's environment as the kubelet makes it (`makeEnvironmentVariables`): the
//! Service variables of the pod's namespace (`enableServiceLinks`) and always the
//! `kubernetes` Service's, then `envFrom` (ConfigMaps and Secrets, with a prefix), then `env`
//! with `$(VAR)` expanded against what came before and `valueFrom` references (ConfigMap and
//! Secret keys, the downward API's fields and resources). The command and args are expanded
//! against the result. Also the files the kubelet manages in every container: `/etc/hosts`,
//! `/etc/hostname` and `/etc/resolv.conf`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::Pod;
use k8s_openapi::api::core::v1::{Container, PodSpec, Service};

use super::Env;
use crate::controllers::Informers;
use crate::events::EventType;
use crate::model::quantity::Quantity;
use crate::model::{Kind, Object};

/// The namespace and name of the Service whose variables every pod gets.
const MASTER_SERVICE: (&str, &str) = ("default", "kubernetes");

use super::dns::CLUSTER_DOMAIN;

/// `expansion.Expand`: `$(VAR)` from `lookup`, `$$` an escaped `$`; a name not found, or an
/// unterminated reference, stays as written.
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let b = input.as_bytes();
    let mut out = String::new();
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < b.len() {
        if b[cursor] == b'$' && cursor + 1 < b.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest.find(')') {
                    Some(end) => {
                        let name = &rest[1..end];
                        out.push_str(&lookup(name).unwrap_or_else(|| format!("$({name})")));
                        end + 1
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // The operator and the next character, as they were.
                    let c = rest.chars().next().map(char::len_utf8).unwrap_or(1);
                    out.push('$');
                    out.push_str(&rest[..c]);
                    c
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    out.push_str(input.get(checkpoint..).unwrap_or(""));
    out
}

/// `IsEnvVarName`: letters, digits, `_`, `-` and `.`, not starting with a digit.
fn is_env_var_name(k: &str) -> bool {
    !k.is_empty()
        && !k.starts_with(|c: char| c.is_ascii_digit())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn env_name(s: &str) -> String {
    s.to_uppercase().replace('-', "_")
}

/// `envvars.FromServices` for one Service.
fn service_vars(svc: &Service, out: &mut Vec<(String, String)>) {
    let Some(spec) = &svc.spec else { return };
    let Some(ip) = spec.cluster_ip.as_deref().filter(|ip| !ip.is_empty() && *ip != "None") else { return };
    let ports = spec.ports.as_deref().unwrap_or_default();
    let Some(first) = ports.first() else { return };
    let prefix = env_name(svc.metadata.name.as_deref().unwrap_or_default());
    // Names joined by `concat`, not `format!`: every container of a pod gets these.
    let prefix = prefix.as_str();
    out.push(([prefix, "_SERVICE_HOST"].concat(), ip.to_string()));
    out.push(([prefix, "_SERVICE_PORT"].concat(), first.port.to_string()));
    for p in ports {
        if let Some(n) = p.name.as_deref().filter(|n| !n.is_empty()) {
            out.push(([prefix, "_SERVICE_PORT_", &env_name(n)].concat(), p.port.to_string()));
        }
    }
    for (i, p) in ports.iter().enumerate() {
        let proto = p.protocol.as_deref().unwrap_or("TCP");
        let (lower, port) = (proto.to_lowercase(), p.port.to_string());
        let url = if ip.contains(':') {
            [&lower, "://[", ip, "]:", &port].concat()
        } else {
            [&lower, "://", ip, ":", &port].concat()
        };
        if i == 0 {
            out.push(([prefix, "_PORT"].concat(), url.clone()));
        }
        let pp = [prefix, "_PORT_", &port, "_", &proto.to_uppercase()].concat();
        let (proto_var, port_var, addr_var) =
            ([&pp, "_PROTO"].concat(), [&pp, "_PORT"].concat(), [&pp, "_ADDR"].concat());
        out.push((pp, url));
        out.push((proto_var, lower));
        out.push((port_var, port));
        out.push((addr_var, ip.to_string()));
    }
}

/// What a container is started with: its environment (sorted by name, since the kubelet's
/// map has no order) and its command and args after `$(VAR)` expansion.
pub struct Made {
    pub env: Vec<(String, String)>,
    pub command: Vec<String>,
    pub args: Vec<String>,
}

/// The Service variables of each namespace, with or without its own Services' links: made
/// from the service lister once for all the pods started until a Service changes, when the
/// kubelets forget them all (every container of every pod asks).
#[derive(Default)]
pub struct ServiceEnvs {
    /// Without the namespace's own Services (`enableServiceLinks: false`), and with them.
    by_links: [BTreeMap<String, Arc<BTreeMap<String, String>>>; 2],
}

/// More namespaces than this started pods since a Service last changed: begin again.
const SERVICE_ENVS_KEPT: usize = 1024;

impl ServiceEnvs {
    /// A Service was added, changed or deleted.
    pub fn forget(&mut self) {
        self.by_links = Default::default();
    }

    /// `getServiceEnvVarMap`: from the kubelet's service lister (an informer), as upstream;
    /// the `kubernetes` Service's always, the namespace's own with `links`.
    fn of(&mut self, informers: &Informers, ns: &str, links: bool) -> Arc<BTreeMap<String, String>> {
        if let Some(known) = self.by_links[usize::from(links)].get(ns) {
            return known.clone();
        }
        let services = informers.list(Kind::Service).filter(|o| {
            let (sns, name) = (o.namespace(), o.name());
            (sns, name) == MASTER_SERVICE || links && sns == ns
        });
        let mut by_name: BTreeMap<&str, &Service> = BTreeMap::new();
        for o in services {
            let Object::Service(s) = &**o else { continue };
            if (o.namespace(), o.name()) == MASTER_SERVICE {
                by_name.entry(o.name()).or_insert(&**s);
            } else {
                by_name.insert(o.name(), &**s);
            }
        }
        let mut vars = Vec::new();
        for s in by_name.values() {
            service_vars(s, &mut vars);
        }
        let made = Arc::new(vars.into_iter().collect::<BTreeMap<_, _>>());
        let kept = &mut self.by_links[usize::from(links)];
        if kept.len() >= SERVICE_ENVS_KEPT {
            kept.clear();
        }
        kept.insert(ns.to_string(), made.clone());
        made
    }
}

/// The environment of `c` in `pod`, or the error that keeps it from starting
/// (CreateContainerConfigError).
pub fn make(env: &mut Env<'_>, pod: &Pod, c: &Container, pod_ip: &str) -> Result<Made, String> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let containers = pod.spec.as_ref().map_or(&[][..], |s| &s.containers);
    let links = pod.spec.as_ref().and_then(|s| s.enable_service_links) != Some(false);
    let service_map = env.services.of(env.informers, ns, links);
    let mut tmp: BTreeMap<String, String> = BTreeMap::new();
    for f in c.env_from.iter().flatten() {
        let prefix = f.prefix.clone().unwrap_or_default();
        let (kind, name, optional) = match (&f.config_map_ref, &f.secret_ref) {
            (Some(r), _) => (Kind::ConfigMap, r.name.clone(), r.optional == Some(true)),
            (None, Some(r)) => (Kind::Secret, r.name.clone(), r.optional == Some(true)),
            _ => continue,
        };
        let data = match source(env, kind, ns, &name) {
            Ok(d) => d,
            Err(_) if optional => continue,
            Err(e) => return Err(e),
        };
        let mut invalid = Vec::new();
        for (k, v) in data {
            let k = format!("{prefix}{k}");
            if !is_env_var_name(&k) {
                invalid.push(k);
                continue;
            }
            tmp.insert(k, v);
        }
        if !invalid.is_empty() {
            let what = if kind == Kind::ConfigMap { "configMap" } else { "secret" };
            let msg = format!(
                "Keys [{}] from the EnvFrom {what} {ns}/{name} were skipped since they are considered invalid environment variable names.",
                invalid.join(", ")
            );
            let obj = Object::Pod(Box::new(pod.clone()));
            env.recorder.record(env.api, &obj, None, EventType::Warning, "InvalidEnvironmentVariableNames", &msg);
        }
    }
    for e in c.env.iter().flatten() {
        let value = match &e.value_from {
            None => {
                let v = e.value.clone().unwrap_or_default();
                expand(&v, &|n| tmp.get(n).or_else(|| service_map.get(n)).cloned())
            }
            Some(from) => {
                if let Some(r) = &from.config_map_key_ref {
                    match key(env, Kind::ConfigMap, ns, &r.name, &r.key) {
                        Ok(v) => v,
                        Err(_) if r.optional == Some(true) => continue,
                        Err(e) => return Err(e),
                    }
                } else if let Some(r) = &from.secret_key_ref {
                    match key(env, Kind::Secret, ns, &r.name, &r.key) {
                        Ok(v) => v,
                        Err(_) if r.optional == Some(true) => continue,
                        Err(e) => return Err(e),
                    }
                } else if let Some(r) = &from.field_ref {
                    field(pod, &r.field_path, pod_ip, env.node_ip)?
                } else if let Some(r) = &from.resource_field_ref {
                    resource(env, containers, c, r)?
                } else {
                    String::new()
                }
            }
        };
        tmp.insert(e.name.clone(), value);
    }
    for (k, v) in service_map.iter() {
        tmp.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let lookup = |n: &str| tmp.get(n).cloned();
    let command = c.command.iter().flatten().map(|s| expand(s, &lookup)).collect();
    let args = c.args.iter().flatten().map(|s| expand(s, &lookup)).collect();
    Ok(Made { env: tmp.into_iter().collect(), command, args })
}

/// A ConfigMap's `data` or a Secret's decoded `data`.
fn source(env: &mut Env<'_>, kind: Kind, ns: &str, name: &str) -> Result<BTreeMap<String, String>, String> {
    let word = if kind == Kind::ConfigMap { "configmap" } else { "secret" };
    let obj = env.api.get(env.user, kind, ns, name).map_err(|_| format!("{word} \"{name}\" not found"))?;
    Ok(match &*obj {
        Object::ConfigMap(cm) => cm.data.clone().unwrap_or_default(),
        Object::Secret(s) => {
            s.data.iter().flatten().map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned())).collect()
        }
        _ => BTreeMap::new(),
    })
}

fn key(env: &mut Env<'_>, kind: Kind, ns: &str, name: &str, key: &str) -> Result<String, String> {
    let data = source(env, kind, ns, name)?;
    data.get(key).cloned().ok_or_else(|| {
        let what = if kind == Kind::ConfigMap { "ConfigMap" } else { "Secret" };
        format!("couldn't find key {key} in {what} {ns}/{name}")
    })
}

/// `podFieldSelectorRuntimeValue`.
pub(super) fn field(pod: &Pod, path: &str, pod_ip: &str, host_ip: &str) -> Result<String, String> {
    let m = &pod.metadata;
    let spec = pod.spec.as_ref();
    let sub = |prefix: &str| path.strip_prefix(prefix).and_then(|r| r.strip_suffix("']")).map(str::to_string);
    Ok(match path {
        "metadata.name" => m.name.clone().unwrap_or_default(),
        "metadata.namespace" => m.namespace.clone().unwrap_or_default(),
        "metadata.uid" => m.uid.clone().unwrap_or_default(),
        "spec.nodeName" => spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        "spec.serviceAccountName" => spec.and_then(|s| s.service_account_name.clone()).unwrap_or_default(),
        "status.hostIP" | "status.hostIPs" => host_ip.to_string(),
        "status.podIP" | "status.podIPs" => pod_ip.to_string(),
        _ => {
            if let Some(k) = sub("metadata.labels['") {
                m.labels.as_ref().and_then(|l| l.get(&k).cloned()).unwrap_or_default()
            } else if let Some(k) = sub("metadata.annotations['") {
                m.annotations.as_ref().and_then(|l| l.get(&k).cloned()).unwrap_or_default()
            } else {
                return Err(format!("unsupported fieldPath: {path}"));
            }
        }
    })
}

/// `ExtractContainerResourceValue`: a limit (the node's allocatable when unset) or a request,
/// divided by the divisor and rounded up.
pub(super) fn resource(
    env: &Env<'_>,
    containers: &[Container],
    own: &Container,
    r: &k8s_openapi::api::core::v1::ResourceFieldSelector,
) -> Result<String, String> {
    let c = match r.container_name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => containers.iter().find(|c| c.name == n).unwrap_or(own),
        None => own,
    };
    let res = c.resources.clone().unwrap_or_default();
    let divisor = match &r.divisor {
        Some(d) => Quantity::from_k8s(d).map_err(|e| e.to_string())?,
        None => Quantity::from_value(1, crate::model::quantity::Format::DecimalSI),
    };
    let get = |list: &Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>, name: &str| {
        list.as_ref().and_then(|l| l.get(name)).and_then(|q| Quantity::from_k8s(q).ok())
    };
    let (which, name) = r.resource.split_once('.').unwrap_or(("", ""));
    let q = match which {
        "limits" => get(&res.limits, name),
        "requests" => get(&res.requests, name),
        _ => return Err(format!("unsupported container resource : {}", r.resource)),
    };
    let alloc = env.allocatable;
    let value = |q: Option<Quantity>, cpu: bool| -> i128 {
        match (q, cpu) {
            (Some(q), true) => q.exact_milli_value(),
            (Some(q), false) => q.exact_value(),
            (None, true) if which == "limits" => alloc.milli_cpu,
            (None, false) if which == "limits" && name == "memory" => alloc.memory,
            (None, false) if which == "limits" => alloc.ephemeral_storage,
            (None, _) => 0,
        }
    };
    let ceil = |a: i128, b: i128| if b <= 0 { 0 } else { (a + b - 1).div_euclid(b) };
    Ok(match name {
        "cpu" => ceil(value(q, true), divisor.exact_milli_value().max(1)).to_string(),
        "memory" | "ephemeral-storage" => ceil(value(q, false), divisor.exact_value().max(1)).to_string(),
        _ => return Err(format!("unsupported container resource : {}", r.resource)),
    })
}

/// The files the kubelet writes into every container: `(path, contents)`.
pub fn managed_files(pod: &Pod, hostname: &str, pod_ip: &str, host_network: bool) -> Vec<(String, Vec<u8>)> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let no_spec = PodSpec::default();
    let spec = pod.spec.as_deref().unwrap_or(&no_spec);
    let mut hosts = String::new();
    if host_network {
        hosts.push_str("# Kubernetes-managed hosts file (host network).\n127.0.0.1\tlocalhost\n");
    } else {
        hosts.push_str("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n");
        match spec.subdomain.as_deref().filter(|s| !s.is_empty()) {
            Some(sub) => hosts.push_str(&format!("{pod_ip}\t{hostname}.{sub}.{ns}.svc.{CLUSTER_DOMAIN}\t{hostname}\n")),
            None => hosts.push_str(&format!("{pod_ip}\t{hostname}\n")),
        }
    }
    if let Some(aliases) = spec.host_aliases.as_ref().filter(|a| !a.is_empty()) {
        hosts.push_str("\n# Entries added by HostAliases.\n");
        for a in aliases {
            hosts.push_str(&format!(
                "{}\t{}\n",
                a.ip,
                a.hostnames.iter().flatten().cloned().collect::<Vec<_>>().join("\t")
            ));
        }
    }
    let resolv = super::dns::ResolvConf::file_for_pod(pod);
    vec![
        ("/etc/hosts".into(), hosts.into_bytes()),
        ("/etc/hostname".into(), format!("{hostname}\n").into_bytes()),
        ("/etc/resolv.conf".into(), resolv.into_bytes()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_expansion() {
        let vars: BTreeMap<String, String> =
            [("A", "1"), ("B", "two")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let l = |n: &str| vars.get(n).cloned();
        assert_eq!(expand("$(A)-$(B)", &l), "1-two");
        assert_eq!(expand("$(MISSING) $$(A) $A $", &l), "$(MISSING) $(A) $A $");
        assert_eq!(expand("x$(A", &l), "x$(A");
        assert_eq!(expand("ünï$(B)", &l), "ünïtwo");
    }

    #[test]
    fn service_links() {
        let svc: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web-app"},
            "spec": {"clusterIP": "10.96.0.20", "ports": [{"port": 80}, {"name": "https", "port": 443, "protocol": "TCP"}]}
        }))
        .unwrap();
        let mut out = Vec::new();
        service_vars(&svc, &mut out);
        let text: Vec<String> = out.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            text,
            [
                "WEB_APP_SERVICE_HOST=10.96.0.20",
                "WEB_APP_SERVICE_PORT=80",
                "WEB_APP_SERVICE_PORT_HTTPS=443",
                "WEB_APP_PORT=tcp://10.96.0.20:80",
                "WEB_APP_PORT_80_TCP=tcp://10.96.0.20:80",
                "WEB_APP_PORT_80_TCP_PROTO=tcp",
                "WEB_APP_PORT_80_TCP_PORT=80",
                "WEB_APP_PORT_80_TCP_ADDR=10.96.0.20",
                "WEB_APP_PORT_443_TCP=tcp://10.96.0.20:443",
                "WEB_APP_PORT_443_TCP_PROTO=tcp",
                "WEB_APP_PORT_443_TCP_PORT=443",
                "WEB_APP_PORT_443_TCP_ADDR=10.96.0.20",
            ]
        );
    }
}
