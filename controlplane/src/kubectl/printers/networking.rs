//! Services and networking: services, endpoints, endpointslices, ingresses, ingressclasses,
//! networkpolicies (`printService`, `printEndpoints`, `printEndpointSlice`, `printIngress`,
//! `printIngressClass`, `printNetworkPolicy`).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Endpoints, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};

use super::{col, format_label_map, format_label_selector, list, list_with_more, wide, Column, Ctx};

/// Load balancer addresses longer than this are shortened to `...` without `-o wide`.
const LOAD_BALANCER_WIDTH: usize = 16;

pub(super) const SERVICE_COLUMNS: &[Column] =
    &[col("NAME"), col("TYPE"), col("CLUSTER-IP"), col("EXTERNAL-IP"), col("PORT(S)"), col("AGE"), wide("SELECTOR")];

pub(super) fn service_row(svc: &Service, ctx: &Ctx) -> Vec<String> {
    let spec = svc.spec.as_ref();
    let svc_type = spec.and_then(|s| s.type_.as_deref()).unwrap_or("ClusterIP");
    let cluster_ip = spec.and_then(|s| list(&s.cluster_ips).first().cloned()).unwrap_or_else(|| "<none>".to_string());
    let external_ips = spec.map(|s| list(&s.external_ips)).unwrap_or(&[]);
    let external_ip = match svc_type {
        "ClusterIP" | "NodePort" if !external_ips.is_empty() => external_ips.join(","),
        "ClusterIP" | "NodePort" => "<none>".to_string(),
        "LoadBalancer" => {
            let ingress = svc.status.as_ref().and_then(|s| s.load_balancer.as_ref()).map(|lb| list(&lb.ingress));
            let addresses = ingress.unwrap_or(&[]).iter().filter_map(|i| {
                i.ip.as_deref().filter(|s| !s.is_empty()).or(i.hostname.as_deref().filter(|s| !s.is_empty()))
            });
            let lb_ips = load_balancer_addresses(addresses, ctx.wide);
            if !external_ips.is_empty() {
                let mut all: Vec<String> = lb_ips.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
                all.extend(external_ips.iter().cloned());
                all.join(",")
            } else if !lb_ips.is_empty() {
                lb_ips
            } else {
                "<pending>".to_string()
            }
        }
        "ExternalName" => spec.and_then(|s| s.external_name.clone()).unwrap_or_default(),
        _ => "<unknown>".to_string(),
    };
    let ports = spec
        .map(|s| list(&s.ports))
        .unwrap_or(&[])
        .iter()
        .map(|p| {
            let protocol = p.protocol.as_deref().unwrap_or("TCP");
            match p.node_port {
                Some(np) if np > 0 => format!("{}:{np}/{protocol}", p.port),
                _ => format!("{}/{protocol}", p.port),
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    vec![
        svc.metadata.name.clone().unwrap_or_default(),
        svc_type.to_string(),
        cluster_ip,
        external_ip,
        if ports.is_empty() { "<none>".to_string() } else { ports },
        ctx.age(svc.metadata.creation_timestamp.as_ref()),
        format_label_map(spec.and_then(|s| s.selector.as_ref())),
    ]
}

/// `loadBalancerStatusStringer`: the distinct addresses, sorted, comma-joined; cut to 13
/// characters and `...` when longer than 16, unless wide.
fn load_balancer_addresses<'a>(addresses: impl Iterator<Item = &'a str>, wide: bool) -> String {
    let set: BTreeSet<&str> = addresses.collect();
    let joined = set.into_iter().collect::<Vec<_>>().join(",");
    if !wide && joined.len() > LOAD_BALANCER_WIDTH {
        let mut cut = LOAD_BALANCER_WIDTH - 3;
        while !joined.is_char_boundary(cut) {
            cut -= 1;
        }
        return format!("{}...", &joined[..cut]);
    }
    joined
}

pub(super) const ENDPOINTS_COLUMNS: &[Column] = &[col("NAME"), col("ENDPOINTS"), col("AGE")];

pub(super) fn endpoints_row(ep: &Endpoints, ctx: &Ctx) -> Vec<String> {
    vec![
        ep.metadata.name.clone().unwrap_or_default(),
        format_endpoints(ep),
        ctx.age(ep.metadata.creation_timestamp.as_ref()),
    ]
}

/// `formatEndpoints`: up to three `ip:port` (or bare IPs for a subset without ports), then
/// `+ N more...`; `<none>` without subsets.
fn format_endpoints(ep: &Endpoints) -> String {
    const MAX: usize = 3;
    let subsets = list(&ep.subsets);
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut shown = Vec::new();
    let mut count = 0;
    let mut more = false;
    for ss in subsets {
        let addresses = list(&ss.addresses);
        let ports = list(&ss.ports);
        if ports.is_empty() {
            count += addresses.len();
            for a in addresses {
                if shown.len() == MAX {
                    more = true;
                    break;
                }
                shown.push(a.ip.clone());
            }
            continue;
        }
        for port in ports {
            count += addresses.len();
            for a in addresses {
                if shown.len() == MAX {
                    more = true;
                    break;
                }
                shown.push(join_host_port(&a.ip, port.port));
            }
        }
    }
    let joined = shown.join(",");
    if more {
        return format!("{joined} + {} more...", count - MAX);
    }
    joined
}

/// Go's `net.JoinHostPort`: IPv6 addresses in brackets.
fn join_host_port(host: &str, port: i32) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

pub(super) const SLICE_COLUMNS: &[Column] =
    &[col("NAME"), col("ADDRESSTYPE"), col("PORTS"), col("ENDPOINTS"), col("AGE")];

pub(super) fn slice_row(slice: &EndpointSlice, ctx: &Ctx) -> Vec<String> {
    let ports: Vec<String> = list(&slice.ports)
        .iter()
        .map(|p| match (p.port, &p.name) {
            (Some(n), _) => n.to_string(),
            (None, Some(name)) => name.clone(),
            (None, None) => "*".to_string(),
        })
        .collect();
    let addresses: Vec<String> = slice.endpoints.iter().flat_map(|e| e.addresses.iter().cloned()).collect();
    vec![
        slice.metadata.name.clone().unwrap_or_default(),
        slice.address_type.clone(),
        list_with_more(&ports, 3),
        list_with_more(&addresses, 3),
        ctx.age(slice.metadata.creation_timestamp.as_ref()),
    ]
}

pub(super) const INGRESS_COLUMNS: &[Column] =
    &[col("NAME"), col("CLASS"), col("HOSTS"), col("ADDRESS"), col("PORTS"), col("AGE")];

pub(super) fn ingress_row(ing: &Ingress, ctx: &Ctx) -> Vec<String> {
    let spec = ing.spec.as_ref();
    let rules = spec.map(|s| list(&s.rules)).unwrap_or(&[]);
    // formatHosts: the first three hosts; `*` when no rule names one.
    const MAX: usize = 3;
    let mut hosts = Vec::new();
    let mut more = false;
    for rule in rules {
        if hosts.len() == MAX {
            more = true;
        }
        if let Some(h) = rule.host.as_deref().filter(|h| !more && !h.is_empty()) {
            hosts.push(h.to_string());
        }
    }
    let hosts = match (hosts.is_empty(), more) {
        (true, _) => "*".to_string(),
        (false, true) => format!("{} + {} more...", hosts.join(","), rules.len() - MAX),
        (false, false) => hosts.join(","),
    };
    let ingress = ing.status.as_ref().and_then(|s| s.load_balancer.as_ref()).map(|lb| list(&lb.ingress));
    let addresses = ingress
        .unwrap_or(&[])
        .iter()
        .filter_map(|i| i.ip.as_deref().filter(|s| !s.is_empty()).or(i.hostname.as_deref().filter(|s| !s.is_empty())));
    let tls = spec.map(|s| list(&s.tls)).unwrap_or(&[]);
    vec![
        ing.metadata.name.clone().unwrap_or_default(),
        spec.and_then(|s| s.ingress_class_name.clone()).unwrap_or_else(|| "<none>".to_string()),
        hosts,
        load_balancer_addresses(addresses, ctx.wide),
        if tls.is_empty() { "80" } else { "80, 443" }.to_string(),
        ctx.age(ing.metadata.creation_timestamp.as_ref()),
    ]
}

pub(super) const INGRESSCLASS_COLUMNS: &[Column] = &[col("NAME"), col("CONTROLLER"), col("PARAMETERS"), col("AGE")];

pub(super) fn ingressclass_row(ic: &IngressClass, ctx: &Ctx) -> Vec<String> {
    let spec = ic.spec.as_ref();
    let parameters = match spec.and_then(|s| s.parameters.as_ref()) {
        Some(p) => match &p.api_group {
            Some(g) => format!("{}.{g}/{}", p.kind, p.name),
            None => format!("{}/{}", p.kind, p.name),
        },
        None => "<none>".to_string(),
    };
    vec![
        ic.metadata.name.clone().unwrap_or_default(),
        spec.and_then(|s| s.controller.clone()).unwrap_or_default(),
        parameters,
        ctx.age(ic.metadata.creation_timestamp.as_ref()),
    ]
}

pub(super) const NETPOL_COLUMNS: &[Column] = &[col("NAME"), col("POD-SELECTOR"), col("AGE")];

pub(super) fn netpol_row(np: &NetworkPolicy, ctx: &Ctx) -> Vec<String> {
    vec![
        np.metadata.name.clone().unwrap_or_default(),
        format_label_selector(Some(
            np.spec.as_ref().and_then(|s| s.pod_selector.as_ref()).unwrap_or(&Default::default()),
        )),
        ctx.age(np.metadata.creation_timestamp.as_ref()),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(yaml: &str, wide: bool, expect: &str) {
        assert_text(&render(yaml, &PrintOptions { wide, ..Default::default() }), expect);
    }

    #[test]
    fn services() {
        let yaml = "
apiVersion: v1
kind: Service
metadata: {name: kubernetes, namespace: default}
spec: {type: ClusterIP, clusterIP: 10.96.0.1, clusterIPs: [10.96.0.1], ports: [{name: https, port: 443, protocol: TCP, targetPort: 6443}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {type: NodePort, clusterIP: 10.96.12.34, clusterIPs: [10.96.12.34], selector: {app: web}, ports: [{port: 80, nodePort: 30080, protocol: TCP}, {port: 53, nodePort: 30053, protocol: UDP}]}
---
apiVersion: v1
kind: Service
metadata: {name: lb, namespace: default}
spec: {type: LoadBalancer, clusterIPs: [10.96.0.50], selector: {app: web, tier: front}, ports: [{port: 80, nodePort: 31000}]}
---
apiVersion: v1
kind: Service
metadata: {name: lb-ready, namespace: default}
spec: {type: LoadBalancer, clusterIPs: [10.96.0.51], ports: [{port: 443, nodePort: 31001}]}
status: {loadBalancer: {ingress: [{ip: 203.0.113.10}, {hostname: a1234567890.elb.example.com}]}}
---
apiVersion: v1
kind: Service
metadata: {name: lb-pinned, namespace: default}
spec: {type: LoadBalancer, clusterIPs: [10.96.0.52], externalIPs: [198.51.100.9], ports: [{port: 80, nodePort: 31002}]}
status: {loadBalancer: {ingress: [{ip: 203.0.113.20}]}}
---
apiVersion: v1
kind: Service
metadata: {name: headless, namespace: default}
spec: {clusterIP: None, clusterIPs: [None], selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: pinned, namespace: default}
spec: {type: ClusterIP, clusterIPs: [10.96.0.60], externalIPs: [198.51.100.1, 198.51.100.2], ports: [{port: 8080}]}
";
        check(
            yaml,
            false,
            "
NAME         TYPE           CLUSTER-IP    EXTERNAL-IP                 PORT(S)                     AGE
kubernetes   ClusterIP      10.96.0.1     <none>                      443/TCP                     60m
web          NodePort       10.96.12.34   <none>                      80:30080/TCP,53:30053/UDP   60m
lb           LoadBalancer   10.96.0.50    <pending>                   80:31000/TCP                60m
lb-ready     LoadBalancer   10.96.0.51    203.0.113.10,...            443:31001/TCP               60m
lb-pinned    LoadBalancer   10.96.0.52    203.0.113.20,198.51.100.9   80:31002/TCP                60m
headless     ClusterIP      None          <none>                      5432/TCP                    60m
ext          ExternalName   <none>        db.example.com              <none>                      60m
pinned       ClusterIP      10.96.0.60    198.51.100.1,198.51.100.2   8080/TCP                    60m
",
        );
        check(yaml, true, "
NAME         TYPE           CLUSTER-IP    EXTERNAL-IP                                PORT(S)                     AGE   SELECTOR
kubernetes   ClusterIP      10.96.0.1     <none>                                     443/TCP                     60m   <none>
web          NodePort       10.96.12.34   <none>                                     80:30080/TCP,53:30053/UDP   60m   app=web
lb           LoadBalancer   10.96.0.50    <pending>                                  80:31000/TCP                60m   app=web,tier=front
lb-ready     LoadBalancer   10.96.0.51    203.0.113.10,a1234567890.elb.example.com   443:31001/TCP               60m   <none>
lb-pinned    LoadBalancer   10.96.0.52    203.0.113.20,198.51.100.9                  80:31002/TCP                60m   <none>
headless     ClusterIP      None          <none>                                     5432/TCP                    60m   app=db
ext          ExternalName   <none>        db.example.com                             <none>                      60m   <none>
pinned       ClusterIP      10.96.0.60    198.51.100.1,198.51.100.2                  8080/TCP                    60m   <none>
");
    }

    #[test]
    fn endpoints_and_slices() {
        check(
            "
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: default}
subsets:
- addresses: [{ip: 10.244.1.5}, {ip: 10.244.2.7}]
  ports: [{port: 80}, {port: 443}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: two, namespace: default}
subsets:
- addresses: [{ip: 10.244.1.5}, {ip: 'fd00::7'}]
  ports: [{port: 8080}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: headless, namespace: default}
subsets:
- addresses: [{ip: 10.244.3.1}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: empty, namespace: default}
",
            false,
            "
NAME       ENDPOINTS                                                AGE
web        10.244.1.5:80,10.244.2.7:80,10.244.1.5:443 + 1 more...   60m
two        10.244.1.5:8080,[fd00::7]:8080                           60m
headless   10.244.3.1                                               60m
empty      <none>                                                   60m
",
        );
        check(
            "
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc12, namespace: default}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}, {name: named}, {}, {port: 9090}]
endpoints: [{addresses: [10.244.1.5]}, {addresses: [10.244.2.7]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: idle-xyz, namespace: default}
addressType: IPv4
endpoints: []
",
            false,
            "
NAME        ADDRESSTYPE   PORTS                    ENDPOINTS               AGE
web-abc12   IPv4          80,named,* + 1 more...   10.244.1.5,10.244.2.7   60m
idle-xyz    IPv4          <unset>                  <unset>                 60m
",
        );
    }

    #[test]
    fn ingresses_classes_and_policies() {
        let yaml = "
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default}
spec:
  ingressClassName: nginx
  tls: [{hosts: [a.example.com]}]
  rules: [{host: a.example.com}, {host: b.example.com}, {}, {host: c.example.com}, {host: d.example.com}]
status: {loadBalancer: {ingress: [{ip: 172.18.0.100}]}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: catch-all, namespace: default}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
";
        check(
            yaml,
            false,
            "
NAME        CLASS    HOSTS                                                   ADDRESS        PORTS     AGE
web         nginx    a.example.com,b.example.com,c.example.com + 2 more...   172.18.0.100   80, 443   60m
catch-all   <none>   *                                                                      80        60m
",
        );
        check(
            "
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx, parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: external-lb}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: plain}
spec: {controller: example.com/ingress}
",
            false,
            "
NAME    CONTROLLER             PARAMETERS                                      AGE
nginx   k8s.io/ingress-nginx   IngressParameters.k8s.example.com/external-lb   60m
plain   example.com/ingress    <none>                                          60m
",
        );
        check(
            "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: default}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: default}
spec: {podSelector: {matchLabels: {app: db}}}
",
            false,
            "
NAME       POD-SELECTOR   AGE
deny-all   <none>         60m
db         app=db         60m
",
        );
    }
}
