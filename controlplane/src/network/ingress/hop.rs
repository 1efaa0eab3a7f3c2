//! The controller's part of a request's way: a request that reaches an ingress-nginx pod on
//! port 80 or 443 is routed by the table built from the cluster's Ingresses, and the
//! controller sends it on to one endpoint of the chosen Service itself (it balances over the
//! EndpointSlices, not through the ClusterIP).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use crate::model::Pod;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use rand_chacha::rand_core::Rng;

use super::balancer::Balancers;
use super::cert::Certificate;
use super::tls::{Certificates, Served};
use super::{Answer, Backend, Port, Table, NOT_FOUND_BODY, REDIRECT_BODY};
use crate::apiserver::from_k8s_time;
use crate::controllers::Informers;
use crate::model::{Kind, Object};
use crate::network::proxy::service::{endpoints_map, slice_info, Endpoint, ServicePortName};
use crate::network::Protocol;
use crate::node::container::http::{HttpRequest, HttpResponse};

/// What the controller's access log (`log_format upstreaminfo`) says of a request's upstream:
/// `[$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr`, the
/// alternative being the canary's upstream when the request went there. `addr` is None when
/// nginx answered itself (a redirect, a 503 for no endpoints): then `$upstream_addr`,
/// `$upstream_response_length`, `$upstream_response_time` and `$upstream_status` are `-`.
pub struct Logged {
    pub upstream: String,
    pub alternative: String,
    pub addr: Option<String>,
}

/// The access log's line for a request (`log_format upstreaminfo`, ingress-nginx's default):
/// the client, the time, the request, the answer, `$request_length` (the request line and
/// the headers curl sends), `$request_time` (0.000: the packet path takes no simulated time),
/// the upstream and its answer, and `$req_id`.
pub fn access_line(
    now: chrono::DateTime<chrono::Utc>,
    client: Ipv4Addr,
    req: &HttpRequest<'_>,
    answer: &HttpResponse,
    logged: &Logged,
    id: &str,
) -> String {
    let header = |name: &str| req.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let or_dash = |s: &str| if s.is_empty() { "-".to_string() } else { s.to_string() };
    let request = format!("{} {} HTTP/1.1", req.method, req.path);
    let mut length = request.len() + 2 + "Host: ".len() + req.host.len() + 2 + "Accept: */*".len() + 2 + 2;
    if !req.agent.is_empty() {
        length += "User-Agent: ".len() + req.agent.len() + 2;
    }
    for (k, v) in req.headers.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("host")) {
        length += k.len() + 2 + v.len() + 2;
    }
    let bytes = answer.body.len();
    let upstream = match &logged.addr {
        Some(addr) => format!("{addr} {bytes} 0.000 {}", answer.status),
        None => "- - - -".to_string(),
    };
    format!(
        "{client} - - [{}] \"{request}\" {} {bytes} \"{}\" \"{}\" {length} 0.000 [{}] [{}] {upstream} {id}",
        now.format("%d/%b/%Y:%H:%M:%S %z"),
        answer.status,
        or_dash(header("referer").unwrap_or("")),
        or_dash(req.agent),
        logged.upstream,
        logged.alternative,
    )
}

/// The built-in default backend, where the default server's 404 comes from.
const DEFAULT_BACKEND: (&str, &str) = ("upstream-default-backend", "127.0.0.1:8181");

/// Where the controller sends a request.
pub enum Next {
    /// It answers itself (404, 308, 503).
    Answer(HttpResponse),
    /// To this endpoint, asking for `uri`.
    Proxy { to: Ipv4Addr, port: u16, uri: String },
}

/// Whether the controller pod runs with `--watch-ingress-without-class=true`.
pub fn watches_without_class(pod: &Pod) -> bool {
    let mut args = pod.spec.iter().flat_map(|s| &s.containers).flat_map(|c| c.args.iter().flatten());
    args.any(|a| a == "--watch-ingress-without-class=true" || a == "--watch-ingress-without-class")
}

/// The IngressClasses the informers hold.
pub(super) fn classes(informers: &Informers) -> Vec<IngressClass> {
    informers
        .list(Kind::IngressClass)
        .filter_map(|o| match &**o {
            Object::IngressClass(c) => Some((**c).clone()),
            _ => None,
        })
        .collect()
}

/// The controller's configuration as the one in `pod` builds it: its routing table and the
/// certificates of its servers, with the warnings building them logs.
pub struct Config {
    pub table: Table,
    pub certificates: Certificates,
    /// The certificate it made for itself when it started.
    pub fake: Certificate,
}

impl Config {
    pub fn load(informers: &Informers, pod: &Pod, now: chrono::DateTime<chrono::Utc>) -> Config {
        let table = table(informers, pod);
        let certificates = Certificates::settle(
            &table,
            |key| match informers.get(Kind::Secret, key).map(|o| &**o) {
                Some(Object::Secret(s)) => Some(&**s),
                _ => None,
            },
            now,
        );
        let started = pod.status.as_ref().and_then(|s| s.start_time.as_ref()).map(from_k8s_time).unwrap_or_default();
        let fake = Certificate::fake(started, pod.metadata.uid.as_deref().unwrap_or_default());
        Config { table, certificates, fake }
    }

    /// The certificate a TLS handshake for `sni` is served.
    pub fn served(&self, sni: Option<&str>) -> Served {
        self.certificates.served(&self.table, sni, &self.fake)
    }
}

/// The routing table as the controller in `pod` sees the cluster.
pub fn table(informers: &Informers, pod: &Pod) -> Table {
    let classes = classes(informers);
    let ingresses: Vec<Ingress> = informers
        .list(Kind::Ingress)
        .filter_map(|o| match &**o {
            Object::Ingress(i) => Some((**i).clone()),
            _ => None,
        })
        .collect();
    Table::build(&classes, &ingresses, watches_without_class(pod))
}

/// nginx's 503 page, which ingress-nginx answers for an upstream without endpoints.
fn unavailable() -> HttpResponse {
    let body = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    HttpResponse { status: 503, body: body.into() }
}

/// nginx's answer to a plain HTTP request on its `ssl` port (its 497 page, as a 400).
pub fn plain_http_to_https() -> HttpResponse {
    let body = "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request was sent to HTTPS port</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    HttpResponse { status: 400, body: body.into() }
}

/// The upstream's name in nginx.conf: `namespace-service-port`.
fn upstream_name(b: &Backend) -> String {
    let port = match &b.port {
        Port::Number(n) => n.to_string(),
        Port::Name(n) => n.clone(),
    };
    format!("{}-{}-{port}", b.namespace, b.service)
}

/// The ready endpoints of a Service port named by an Ingress backend.
fn endpoints(informers: &Informers, b: &Backend) -> Vec<Endpoint> {
    let key = format!("{}/{}", b.namespace, b.service);
    let Some(Object::Service(svc)) = informers.get(Kind::Service, &key).map(|o| &**o) else { return Vec::new() };
    let ports = svc.spec.iter().flat_map(|s| s.ports.iter().flatten());
    let port_name = ports
        .clone()
        .find(|p| match &b.port {
            Port::Number(n) => p.port == *n,
            Port::Name(n) => p.name.as_deref() == Some(n.as_str()),
        })
        .map(|p| p.name.clone().unwrap_or_default());
    let Some(port_name) = port_name else { return Vec::new() };
    let mut slices = BTreeMap::new();
    for o in informers.slices_of_service(&b.namespace, &b.service) {
        let Object::EndpointSlice(s) = &**o else { continue };
        if let Some(((_, name), info)) = slice_info(&b.namespace, s, o.labels()) {
            if name == b.service {
                slices.insert(o.name().to_string(), info);
            }
        }
    }
    let spn = ServicePortName {
        namespace: b.namespace.clone(),
        name: b.service.clone(),
        port: port_name,
        protocol: Protocol::Tcp,
    };
    endpoints_map(&b.namespace, &b.service, &slices)
        .remove(&spn)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.ready)
        .collect()
}

/// Route `uri` for `host` (with `headers`) as the controller `controller` (its
/// `namespace/name`, its `config`) does, on its `port`, balancing round-robin over the
/// upstream's ready endpoints; the steps go to `hops`, what its access log says of the upstream
/// to `log` (left None for the catch-all server's own 404, which ingress-nginx does not log).
#[allow(clippy::too_many_arguments)]
pub fn next(
    log: &mut Option<Logged>,
    config: &Config,
    informers: &Informers,
    balancers: &mut Balancers,
    controller: &str,
    port: u16,
    host: &str,
    uri: &str,
    headers: &[(String, String)],
    rng: &mut impl Rng,
    hops: &mut Vec<String>,
) -> Next {
    let scheme = if port == 443 { "https" } else { "http" };
    let mut route = config.table.route(scheme, host, uri, headers, rng);
    // A canary without ready endpoints has no balancer: the request stays on the main backend.
    let mut lost_canary = None;
    if let Answer::Upstream { backend, canary: canary @ true, .. } = &mut route.answer {
        if endpoints(informers, backend).is_empty() {
            *canary = false;
            lost_canary = Some(upstream_name(backend));
            route.ingress = route.main_ingress.clone();
        }
    }
    let by = route.ingress.as_deref().map(|i| format!(" (ingress {i})")).unwrap_or_default();
    hops.push(format!("ingress-nginx: server {} location {}{by}", route.server, route.location));
    match route.answer {
        Answer::NotFound => {
            if route.server != "_" {
                let (upstream, addr) = DEFAULT_BACKEND;
                *log = Some(Logged { upstream: upstream.into(), alternative: String::new(), addr: Some(addr.into()) });
            }
            hops.push("ingress-nginx: default backend: 404".into());
            Next::Answer(HttpResponse { status: 404, body: NOT_FOUND_BODY.into() })
        }
        Answer::Redirect { to, main } => {
            // The location set $proxy_upstream_name before the Lua rewrite redirected.
            let upstream = main.as_ref().map(upstream_name).unwrap_or_default();
            *log = Some(Logged { upstream, alternative: String::new(), addr: None });
            hops.push(format!("ingress-nginx: ssl-redirect: 308 to {to}"));
            Next::Answer(HttpResponse { status: 308, body: REDIRECT_BODY.into() })
        }
        Answer::Upstream { backend, uri, canary, main } => {
            let main_name = upstream_name(&main);
            let main_eps = endpoints(informers, &main);
            if main_eps.is_empty() {
                // No endpoints, no Lua balancer: its rewrite phase answers 503 itself, whatever
                // the canary.
                *log = Some(Logged { upstream: main_name.clone(), alternative: String::new(), addr: None });
                hops.push(format!("ingress-nginx: upstream {main_name} has no ready endpoints: 503"));
                return Next::Answer(unavailable());
            }
            if let Some(lost) = lost_canary {
                hops.push(format!("ingress-nginx: canary upstream {lost} has no ready endpoints"));
            }
            let (name, eps) =
                if canary { (upstream_name(&backend), endpoints(informers, &backend)) } else { (main_name, main_eps) };
            let addresses: Vec<(Ipv4Addr, u16)> = eps.iter().map(|e| (e.ip, e.port)).collect();
            let e = &eps[balancers.pick(controller, &name, &addresses, rng)];
            let tag = if canary { " (canary)" } else { "" };
            hops.push(format!("ingress-nginx: upstream {name}{tag} → {}, {uri}", e.text));
            let (upstream, alternative) = if canary { (upstream_name(&main), name) } else { (name, String::new()) };
            *log = Some(Logged { upstream, alternative, addr: Some(format!("{}:{}", e.ip, e.port)) });
            Next::Proxy { to: e.ip, port: e.port, uri }
        }
    }
}
