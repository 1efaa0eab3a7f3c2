//! What a CoreDNS pod answers, with kubeadm's Corefile: the `kubernetes` plugin for
//! `cluster.local`, `in-addr.arpa` and `ip6.arpa` (`pods insecure`, `fallthrough` of the reverse
//! zones, `ttl 30`), `forward . /etc/resolv.conf` for everything else, and `loadbalance`. The
//! plugin's view is the shared informers: Services, EndpointSlices (ready endpoints only, as
//! CoreDNS converts them) and Namespaces.

use std::net::{IpAddr, Ipv4Addr};

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use rand_chacha::rand_core::Rng;

use super::{normalize, Data, DnsServer, QType, Rcode, Record, Response, Upstream};
use crate::controllers::informers::Informers;
use crate::model::{Kind, Object};
use crate::node::kubelet::dns::CLUSTER_DOMAIN;

/// kubeadm's Corefile: `ttl 30`.
const TTL: u32 = 30;
/// The plugin's `DNSSchemaVersion`, answered for `dns-version.<zone>` TXT.
const DNS_SCHEMA_VERSION: &str = "1.1.0";
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// `maxCnameChainLength`.
const MAX_CNAME_CHAIN: usize = 10;

/// A CoreDNS pod's answers over the cluster's informers.
pub struct ClusterDns<'a> {
    informers: &'a Informers,
}

/// What the plugin's `Services` finds for a name: an address or a name to alias, with a port
/// (-1 for none) and the name of the Service or endpoint it stands for (for SRV targets).
struct Found {
    host: Host,
    port: i32,
    target: String,
}

enum Host {
    Ip(IpAddr),
    Name(String),
}

/// `errNoItems`, `errNsNotExposed`, `errInvalidRequest`: the name does not exist.
struct NameError;

/// `recordRequest`, after `parseRequest`.
#[derive(Default)]
struct Request {
    port: String,
    protocol: String,
    endpoint: String,
    service: String,
    namespace: String,
    pod_or_svc: String,
}

/// One endpoint address of a slice, as CoreDNS's `EndpointAddress`.
struct Address {
    ip: String,
    hostname: String,
}

/// A slice as CoreDNS converts it: its ports (one of port -1 when it has none) and its ready
/// addresses.
struct Endpoints {
    ports: Vec<(String, i32, String)>,
    addresses: Vec<Address>,
}

fn fqdn_in_zone(name: &str, zone: &str) -> bool {
    name == zone || name.ends_with(&format!(".{zone}"))
}

fn ip_text(ip: &str) -> Option<IpAddr> {
    ip.parse().ok()
}

/// `endpointHostname`: the endpoint's hostname, or its address with dashes.
fn endpoint_hostname(a: &Address) -> String {
    if !a.hostname.is_empty() {
        return a.hostname.clone();
    }
    if a.ip.contains('.') {
        return a.ip.replace('.', "-");
    }
    let v6 = a.ip.replace(':', "-");
    if v6.ends_with('-') {
        format!("{v6}0")
    } else {
        v6
    }
}

fn match_port_and_protocol(want_port: &str, port: &str, want_protocol: &str, protocol: &str) -> bool {
    (want_port.is_empty() || want_port.eq_ignore_ascii_case(port))
        && (want_protocol.is_empty() || want_protocol.eq_ignore_ascii_case(protocol))
}

fn strip_underscore(s: &str) -> String {
    s.strip_prefix('_').unwrap_or(s).to_string()
}

/// `parseRequest` for a name in `zone`.
fn parse_request(name: &str, zone: &str) -> Result<Request, NameError> {
    let base = name.strip_suffix(zone).unwrap_or("").trim_end_matches('.');
    let mut r = Request::default();
    if base.is_empty() || base == "svc" || base == "pod" {
        return Ok(r);
    }
    let segs: Vec<&str> = base.split('.').collect();
    let mut rest = segs.as_slice();
    let Some((last, before)) = rest.split_last() else { return Ok(r) };
    if *last != "pod" && *last != "svc" {
        return Err(NameError);
    }
    r.pod_or_svc = last.to_string();
    rest = before;
    let Some((namespace, before)) = rest.split_last() else { return Ok(r) };
    r.namespace = namespace.to_string();
    rest = before;
    let Some((service, before)) = rest.split_last() else { return Ok(r) };
    r.service = service.to_string();
    match before {
        [] => {}
        [endpoint] => r.endpoint = endpoint.to_string(),
        [port, protocol] => {
            r.protocol = strip_underscore(protocol);
            r.port = strip_underscore(port);
        }
        _ => return Err(NameError),
    }
    Ok(r)
}

/// `ExtractAddressFromReverse` for IPv4: `d.c.b.a.in-addr.arpa` is `a.b.c.d`.
fn reverse_address(name: &str) -> Option<Ipv4Addr> {
    let rest = name.strip_suffix(".in-addr.arpa")?;
    let mut octets: Vec<&str> = rest.split('.').collect();
    octets.reverse();
    octets.join(".").parse().ok()
}

/// `roundRobinShuffle`, each draw a fresh `dns.Id()`.
fn shuffle<T>(items: &mut [T], rng: &mut dyn Rng) {
    let l = items.len();
    let mut id = || (rng.next_u32() & 0xffff) as usize;
    match l {
        0 | 1 => {}
        2 => {
            if id() % 2 == 0 {
                items.swap(0, 1);
            }
        }
        _ => {
            for j in 0..l {
                let p = j + id() % (l - j);
                items.swap(j, p);
            }
        }
    }
}

/// The `loadbalance` plugin's `roundRobin` over the answer section of a NOERROR reply.
fn load_balance(records: Vec<Record>, rng: &mut dyn Rng) -> Vec<Record> {
    if records.len() <= 1 {
        return records;
    }
    let (mut cname, mut address, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    let all_addresses = records.iter().all(|r| matches!(r.data, Data::Addr(_)));
    for r in records {
        match r.data {
            Data::Cname(_) => cname.push(r),
            Data::Addr(_) => address.push(r),
            _ => rest.push(r),
        }
    }
    shuffle(&mut address, rng);
    if all_addresses {
        return address;
    }
    cname.extend(rest);
    cname.extend(address);
    cname
}

impl<'a> ClusterDns<'a> {
    pub fn new(informers: &'a Informers) -> ClusterDns<'a> {
        ClusterDns { informers }
    }

    fn namespace_exists(&self, namespace: &str) -> bool {
        self.informers.get(Kind::Namespace, namespace).is_some()
    }

    fn service(&self, namespace: &str, name: &str) -> Option<&'a Service> {
        match self.informers.get(Kind::Service, &format!("{namespace}/{name}"))?.as_ref() {
            Object::Service(s) => Some(s),
            _ => None,
        }
    }

    /// The slices of a Service, as CoreDNS's `EpIndex` finds them by the service-name label.
    fn endpoints(&self, namespace: &str, service: &str) -> Vec<Endpoints> {
        self.informers
            .slices_of_service(namespace, service)
            .filter_map(|o| match o.as_ref() {
                Object::EndpointSlice(s) => Some(s.as_ref()),
                _ => None,
            })
            .map(convert)
            .collect()
    }

    /// `Records`: what the plugin finds for a name in `cluster.local`.
    fn records(&self, name: &str) -> Result<Vec<Found>, NameError> {
        let r = parse_request(name, CLUSTER_DOMAIN)?;
        if r.pod_or_svc.is_empty() {
            return Ok(Vec::new());
        }
        if !self.namespace_exists(&r.namespace) {
            return Err(NameError);
        }
        if r.pod_or_svc == "pod" {
            return self.find_pods(&r);
        }
        self.find_services(&r)
    }

    /// `findPods` with `pods insecure`: the address is the name, in any namespace that exists.
    fn find_pods(&self, r: &Request) -> Result<Vec<Found>, NameError> {
        if r.service.is_empty() {
            return Ok(Vec::new());
        }
        let ip = if r.service.matches('-').count() == 3 && !r.service.contains("--") {
            r.service.replace('-', ".")
        } else {
            r.service.replace('-', ":")
        };
        let ip = ip_text(&ip).ok_or(NameError)?;
        Ok(vec![Found { host: Host::Ip(ip), port: 0, target: String::new() }])
    }

    /// `findServices`.
    fn find_services(&self, r: &Request) -> Result<Vec<Found>, NameError> {
        if r.service.is_empty() {
            return Ok(Vec::new());
        }
        let Some(svc) = self.service(&r.namespace, &r.service) else { return Err(NameError) };
        let spec = svc.spec.clone().unwrap_or_default();
        let svc_name = format!("{}.{}.svc.{CLUSTER_DOMAIN}", r.service, r.namespace);
        let mut found = Vec::new();
        if spec.type_.as_deref() == Some("ExternalName") {
            // No endpoints, ports or protocols under an ExternalName; an address is no alias.
            let target = spec.external_name.clone().unwrap_or_default();
            if !r.endpoint.is_empty() || !r.port.is_empty() || !r.protocol.is_empty() || ip_text(&target).is_some() {
                return Err(NameError);
            }
            return Ok(vec![Found { host: Host::Name(target), port: 0, target: svc_name }]);
        }
        let headless = spec.cluster_ip.as_deref() == Some("None");
        if headless || !r.endpoint.is_empty() {
            for ep in self.endpoints(&r.namespace, &r.service) {
                for a in &ep.addresses {
                    let hostname = endpoint_hostname(a);
                    if !r.endpoint.is_empty() && !r.endpoint.eq_ignore_ascii_case(&hostname) {
                        continue;
                    }
                    for (name, port, protocol) in &ep.ports {
                        if !match_port_and_protocol(&r.port, name, &r.protocol, protocol) {
                            continue;
                        }
                        let Some(ip) = ip_text(&a.ip) else { continue };
                        found.push(Found { host: Host::Ip(ip), port: *port, target: format!("{hostname}.{svc_name}") });
                    }
                }
            }
        } else {
            let ips = spec.cluster_ips.clone().filter(|i| !i.is_empty()).or(spec.cluster_ip.clone().map(|i| vec![i]));
            for p in spec.ports.iter().flatten() {
                let (name, protocol) = (p.name.as_deref().unwrap_or(""), p.protocol.as_deref().unwrap_or("TCP"));
                if !match_port_and_protocol(&r.port, name, &r.protocol, protocol) {
                    continue;
                }
                for ip in ips.iter().flatten().filter_map(|i| ip_text(i)) {
                    found.push(Found { host: Host::Ip(ip), port: p.port, target: svc_name.clone() });
                }
            }
        }
        if found.is_empty() {
            return Err(NameError);
        }
        Ok(found)
    }

    /// `plugin.A` and `plugin.AAAA`: addresses of the wanted family, ExternalName aliases
    /// followed inside the zone and asked of the upstream outside it.
    fn addresses(&self, name: &str, v6: bool, chain: &[Record]) -> Result<Vec<Record>, NameError> {
        let mut out: Vec<Record> = Vec::new();
        for f in self.records(name)? {
            match f.host {
                Host::Name(target) => {
                    let target = normalize(&target);
                    let duplicate = chain.iter().any(|r| r.data == Data::Cname(target.clone()));
                    if target == name || chain.len() > MAX_CNAME_CHAIN || duplicate {
                        continue;
                    }
                    let cname = Record { name: name.to_string(), ttl: TTL, data: Data::Cname(target.clone()) };
                    if fqdn_in_zone(&target, CLUSTER_DOMAIN) {
                        let mut longer = chain.to_vec();
                        longer.push(cname.clone());
                        if let Ok(next) = self.addresses(&target, v6, &longer) {
                            if !next.is_empty() {
                                out.push(cname);
                                out.extend(next);
                            }
                        }
                        continue;
                    }
                    // The upstream knows no name: the alias comes alone.
                    out.push(cname);
                }
                Host::Ip(ip) => {
                    let record = Record { name: name.to_string(), ttl: TTL, data: Data::Addr(ip) };
                    if ip.is_ipv6() == v6 && !out.contains(&record) {
                        out.push(record);
                    }
                }
            }
        }
        Ok(out)
    }

    /// `plugin.SRV` (ExternalName Services have no SRV records).
    fn srv(&self, name: &str) -> Result<Vec<Record>, NameError> {
        let found: Vec<Found> = self.records(name)?.into_iter().filter(|f| matches!(f.host, Host::Ip(_))).collect();
        // Every record weighs 100; each gets its share of the priority's total, in percent.
        let weight = ((100.0 / (100.0 * found.len() as f64)) * 100.0).floor().max(1.0) as u16;
        let mut out: Vec<Record> = Vec::new();
        for f in found {
            let Ok(port) = u16::try_from(f.port) else { continue };
            let data = Data::Srv { priority: 0, weight, port, target: f.target };
            let record = Record { name: name.to_string(), ttl: TTL, data };
            if !out.contains(&record) {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// `Reverse`: the Service whose cluster IP it is, else every ready endpoint with it.
    fn reverse(&self, ip: Ipv4Addr) -> Vec<String> {
        let text = ip.to_string();
        for o in self.informers.list(Kind::Service) {
            let Object::Service(s) = o.as_ref() else { continue };
            let spec = s.spec.as_ref();
            let ips = spec.and_then(|s| s.cluster_ips.clone()).unwrap_or_default();
            if ips.contains(&text) || spec.and_then(|s| s.cluster_ip.as_deref()) == Some(text.as_str()) {
                let ns = s.metadata.namespace.as_deref().unwrap_or("");
                let name = s.metadata.name.as_deref().unwrap_or("");
                return vec![format!("{name}.{ns}.svc.{CLUSTER_DOMAIN}")];
            }
        }
        let mut names: Vec<String> = Vec::new();
        for o in self.informers.list(Kind::EndpointSlice) {
            let Object::EndpointSlice(s) = o.as_ref() else { continue };
            let Some(service) = s.metadata.labels.as_ref().and_then(|l| l.get(SERVICE_NAME_LABEL)) else { continue };
            let ns = s.metadata.namespace.as_deref().unwrap_or("");
            for a in convert(s).addresses.iter().filter(|a| a.ip == text) {
                let name = format!("{}.{service}.{ns}.svc.{CLUSTER_DOMAIN}", endpoint_hostname(a));
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// The kubernetes plugin's `ServeDNS` for a name in one of its zones; `None` where it
    /// falls through to the next plugin (`forward`).
    fn serve(&self, name: &str, qtype: QType) -> Option<Result<Vec<Record>, NameError>> {
        if fqdn_in_zone(name, "in-addr.arpa") || fqdn_in_zone(name, "ip6.arpa") {
            // Only PTR questions for known addresses are answered here; the rest falls through.
            let ip = reverse_address(name).filter(|_| qtype == QType::Ptr)?;
            let names = self.reverse(ip);
            if names.is_empty() {
                return None;
            }
            let ptr = |n: String| Record { name: name.to_string(), ttl: TTL, data: Data::Ptr(n) };
            return Some(Ok(names.into_iter().map(ptr).collect()));
        }
        Some(match qtype {
            QType::A => self.addresses(name, false, &[]),
            QType::Aaaa => self.addresses(name, true, &[]),
            QType::Srv => self.srv(name),
            QType::Cname => self.records(name).map(|found| {
                let alias = |f: Found| match f.host {
                    Host::Name(t) => {
                        Some(Record { name: name.to_string(), ttl: TTL, data: Data::Cname(normalize(&t)) })
                    }
                    Host::Ip(_) => None,
                };
                found.into_iter().filter_map(alias).collect()
            }),
            QType::Txt if name == format!("dns-version.{CLUSTER_DOMAIN}") => {
                Ok(vec![Record { name: name.to_string(), ttl: 28800, data: Data::Txt(DNS_SCHEMA_VERSION.into()) }])
            }
            // TXT of any other name: no data where the name has records, else no such name.
            QType::Txt => match self.records(name) {
                Ok(found) if !found.is_empty() => Ok(Vec::new()),
                _ => Err(NameError),
            },
            // Other types: a name that exists has no such data (a fake A lookup tells which).
            _ => self.addresses(name, false, &[]).map(|_| Vec::new()),
        })
    }
}

impl DnsServer for ClusterDns<'_> {
    fn answer(&self, name: &str, qtype: QType, rng: &mut dyn Rng) -> Response {
        // Matched without case; answered under the name as asked.
        let asked = name.strip_suffix('.').unwrap_or(name);
        let name = normalize(name);
        let in_zones = ["cluster.local", "in-addr.arpa", "ip6.arpa"].iter().any(|z| fqdn_in_zone(&name, z));
        let served = if in_zones { self.serve(&name, qtype) } else { None };
        match served {
            None => Upstream.answer(&name, qtype, rng),
            Some(Err(NameError)) => Response::nxdomain(true),
            Some(Ok(mut records)) => {
                for r in records.iter_mut().filter(|r| r.name == name) {
                    r.name = asked.to_string();
                }
                Response { rcode: Rcode::NoError, authoritative: true, answers: load_balance(records, rng) }
            }
        }
    }
}

/// `EndpointSliceToEndpoints`: a slice's ports and its ready addresses (a ready condition left
/// unset counts as ready).
fn convert(slice: &EndpointSlice) -> Endpoints {
    let mut ports: Vec<(String, i32, String)> = slice
        .ports
        .iter()
        .flatten()
        .map(|p| (p.name.clone().unwrap_or_default(), p.port.unwrap_or(-1), p.protocol.clone().unwrap_or_default()))
        .collect();
    if ports.is_empty() {
        ports.push((String::new(), -1, String::new()));
    }
    let mut addresses = Vec::new();
    for e in &slice.endpoints {
        if e.conditions.as_ref().and_then(|c| c.ready) == Some(false) {
            continue;
        }
        for a in &e.addresses {
            addresses.push(Address { ip: a.clone(), hostname: e.hostname.clone().unwrap_or_default() });
        }
    }
    Endpoints { ports, addresses }
}
