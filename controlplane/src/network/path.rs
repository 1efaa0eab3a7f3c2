//! One request through the cluster network, as the packets of a real one would go: the
//! client's address, the name looked up, the Service rules of the node the packet leaves
//! from (kube-proxy's), the address it is sent to, NetworkPolicy at both ends, and the server
//! that answers. Each step is recorded as a hop, so a learner sees the way it went.

use std::net::Ipv4Addr;

use crate::model::shared::Node;
use crate::model::Pod;
use chrono::{DateTime, Duration, Utc};
use rand_chacha::rand_core::Rng;
use rand_chacha::ChaCha8Rng;

use super::dns::{self, ClusterDns, DnsServer, NsLookup, Nslookup, Upstream};
use super::ingress::tls::Served;
use super::ingress::{self, hop::Next};
use super::policy::{self, Peer, Verdict};
use super::proxy::{KubeProxies, Origin, Outcome as Routed};
use super::tls::{CaFile, ClientTls, Failure};
use super::url::Url;
use super::{Packet, Protocol};
use crate::controllers::endpointslice::util::pod_ip;
use crate::controllers::Informers;
use crate::model::{Kind, Object};
use crate::node::container::http::{HttpRequest, HttpResponse};
use crate::node::container::net::{Answered, NetAnswer, NetCall};
use crate::node::kubelet::dns::ResolvConf;
use crate::node::kubelet::Kubelets;
use crate::node::runtime::{Conn, PendingCall};

/// The address requests from outside the cluster come from: the host's end of kind's bridge.
pub const OUTSIDE_IP: Ipv4Addr = Ipv4Addr::new(172, 18, 0, 1);

/// Where a request is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A pod's network namespace.
    Pod { namespace: String, name: String },
    /// A node's own network (its host namespace).
    Node(String),
    /// A machine outside the cluster, on the nodes' network.
    Outside,
}

impl Source {
    /// `pod/NAME`, `node/NAME` or `outside`, as the script functions take it.
    pub fn parse(text: &str, namespace: &str) -> Result<Source, String> {
        match text.split_once('/') {
            Some(("pod" | "pods" | "po", name)) if !name.is_empty() => {
                Ok(Source::Pod { namespace: namespace.to_string(), name: name.to_string() })
            }
            Some(("node" | "nodes" | "no", name)) if !name.is_empty() => Ok(Source::Node(name.to_string())),
            None if text == "outside" => Ok(Source::Outside),
            _ => Err(format!("from {text:?}: expected \"pod/NAME\", \"node/NAME\" or \"outside\"")),
        }
    }
}

/// An HTTP request to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub url: String,
    pub method: String,
    pub from: Source,
    /// How long the client waits for a connection before it gives up.
    pub timeout: Duration,
    /// Its User-Agent.
    pub agent: String,
    /// Its other headers, by name.
    pub headers: Vec<(String, String)>,
    /// `-k`: no check of the server's certificate.
    pub insecure: bool,
    /// `--cacert FILE`: the certificates it trusts instead of its CA bundle (whose CAs sign
    /// none of a cluster's certificates).
    pub cacert: Option<CaFile>,
    /// `--resolve HOST:PORT:ADDRESS`: names the client takes as given, not from DNS.
    pub resolve: Vec<(String, u16, Ipv4Addr)>,
}

impl Request {
    /// A plain request with curl's defaults for the rest.
    pub fn new(url: String, method: String, from: Source, timeout: Duration, agent: String) -> Request {
        Request {
            url,
            method,
            from,
            timeout,
            agent,
            headers: Vec::new(),
            insecure: false,
            cacert: None,
            resolve: Vec::new(),
        }
    }
}

/// How it went.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// A server answered (whatever its status).
    pub ok: bool,
    /// The HTTP status, 0 without an answer.
    pub code: u16,
    pub body: String,
    /// `namespace/name` of the pod that answered.
    pub pod: Option<String>,
    /// The node it runs on.
    pub node: Option<String>,
    /// The client's address as the server saw it.
    pub client_ip: Option<String>,
    /// The address the client connected to (`10.96.0.12:80`), once the name resolved.
    pub addr: Option<String>,
    /// The way the request went, one step a line.
    pub hops: Vec<String>,
    /// Why there was no answer, in curl's words.
    pub error: Option<String>,
    /// curl's exit code: 0, 6 (name not resolved), 7 (refused), 28 (timed out).
    pub exit: i32,
    /// The simulated time the client spent (its timeout, when nothing answered).
    pub elapsed: Duration,
    /// What `kubectl port-forward` printed as it took the connection (`Handling connection
    /// for 8080`), for a request to a forwarded local port.
    pub port_forward: Option<String>,
    /// The certificate an HTTPS server presented.
    pub certificate: Option<Served>,
}

/// What the network needs to carry one request: the cluster's state as its components see it.
pub struct Dataplane<'a> {
    pub informers: &'a Informers,
    pub kubelets: &'a mut Kubelets,
    /// kube-proxy's rules on every node (none in a cluster without it).
    pub proxies: Option<&'a mut KubeProxies>,
    /// The user's machine's ports forwarded into pods.
    pub forwards: &'a mut super::forward::Forwards,
    /// ingress-nginx's round-robin balancers.
    pub balancers: &'a mut super::ingress::balancer::Balancers,
    /// What the ingress-nginx pods last logged of their certificates.
    pub certificate_log: &'a mut super::ingress::tls::Logged,
    pub rng: &'a mut ChaCha8Rng,
    pub now: DateTime<Utc>,
    /// The node whose ports 80 and 443 the user's machine publishes on localhost, as kind's
    /// ingress configuration does (`extraPortMappings`); none without ingress.
    pub published: Option<&'a str>,
}

impl From<Failure> for Outcome {
    fn from(f: Failure) -> Outcome {
        Outcome::Failed { exit: f.exit, error: f.error }
    }
}

/// Where a connection attempt ended.
enum Outcome {
    Answered {
        node: String,
        pod: Option<String>,
        answer: Option<HttpResponse>,
        client: Ipv4Addr,
    },
    Refused,
    TimedOut,
    /// The connection was made, then failed: curl's exit code and words (TLS).
    Failed {
        exit: i32,
        error: String,
    },
}

/// Why a nameserver gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoAnswer {
    /// Its address refused the queries (a REJECT rule).
    Refused,
    /// Nothing came back.
    Silent,
}

/// A client as the network sees it.
struct Client {
    ip: Ipv4Addr,
    /// The node its packets leave from (none outside the cluster).
    node: Option<String>,
    /// `namespace/name` of its pod, when it is one.
    pod: Option<String>,
    /// Its resolv.conf.
    resolv: ResolvConf,
}

/// A name's lookup: the address, or how long the client waited for none.
enum Resolved {
    Address(Ipv4Addr),
    Unresolved(Duration),
}

/// How long a resolver waits for a nameserver that does not answer before it gives up
/// (`timeout:5`, `attempts:2`, as glibc has them).
const RESOLVER_WAIT_SECONDS: i64 = 10;

impl Dataplane<'_> {
    /// Make `req` and report what happened.
    pub fn request(&mut self, req: &Request) -> Reply {
        let mut reply = Reply::default();
        let url = match Url::parse(&req.url) {
            Ok(u) => u,
            Err(e) => return fail(reply, 3, e, Duration::zero()),
        };
        let client = match self.client(&req.from) {
            Ok(c) => c,
            Err(e) => return fail(reply, 7, e, Duration::zero()),
        };
        let given = req.resolve.iter().find(|(h, p, _)| h.eq_ignore_ascii_case(&url.host) && *p == url.port);
        let resolved = match given {
            Some((h, p, ip)) => {
                reply.hops.push(format!("resolve: {h}:{p} → {ip} (--resolve)"));
                Resolved::Address(*ip)
            }
            None => self.resolve(&url.host, &client, &mut reply),
        };
        let dst = match resolved {
            Resolved::Address(ip) => ip,
            Resolved::Unresolved(waited) => {
                let e = format!("Could not resolve host: {}", url.host);
                return fail(reply, 6, e, waited);
            }
        };
        let mut dst = dst;
        if client.node.is_none() && (url.host == "localhost" || dst.is_loopback()) {
            match self.published_node(url.port) {
                Some((node, ip)) if !self.forwards.contains_key(&url.port) => {
                    reply.hops.push(format!(
                        "localhost:{0} → {node} {ip}:{0} (the port kind's extraPortMappings publish)",
                        url.port
                    ));
                    dst = ip;
                }
                _ => return self.forwarded(req, &url, reply),
            }
        }
        reply.addr = Some(format!("{dst}:{}", url.port));
        let pkt = Packet { src: client.ip, dst, port: url.port, protocol: Protocol::Tcp };
        // The kernel's ephemeral port range (`ip_local_port_range` 32768-60999).
        let client_port = 32768 + (self.rng.next_u32() % (60999 - 32768 + 1)) as u16;
        let path = url.path.clone();
        // The Host header as curl sends it: the port only when not the scheme's own.
        let default_port = matches!((url.scheme.as_str(), url.port), ("http", 80) | ("https", 443));
        let named = req.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("host")).map(|(_, v)| v.clone());
        let host =
            named.unwrap_or_else(|| if default_port { url.host.clone() } else { format!("{}:{}", url.host, url.port) });
        let http = HttpRequest {
            method: &req.method,
            path: &path,
            client: "",
            client_port,
            agent: &req.agent,
            host: &host,
            headers: &req.headers,
        };
        // No method: a connection only (`nc -z`).
        let http = (!req.method.is_empty()).then_some(http);
        let tls = ClientTls::new(&url.scheme, &url.host, req.insecure, req.cacert.as_ref());
        match self.connect(&client, pkt, http, tls.as_ref(), &mut reply) {
            Outcome::Answered { node, pod, answer, client } => {
                reply.ok = true;
                reply.client_ip = Some(client.to_string());
                if let Some(a) = answer {
                    reply.code = a.status;
                    reply.body = a.body;
                } else if !req.method.is_empty() {
                    reply.error = Some("Empty reply from server".into());
                    reply.exit = 52;
                    reply.ok = false;
                }
                reply.pod = pod;
                reply.node = Some(node);
                reply
            }
            Outcome::Refused => {
                let e = format!(
                    "Failed to connect to {} port {} after 0 ms: Couldn't connect to server",
                    url.host, url.port
                );
                fail(reply, 7, e, Duration::zero())
            }
            Outcome::Failed { exit, error } => fail(reply, exit, error, Duration::zero()),
            Outcome::TimedOut => {
                let ms = req.timeout.num_milliseconds();
                let e =
                    format!("Failed to connect to {} port {} after {ms} ms: Timeout was reached", url.host, url.port);
                fail(reply, 28, e, req.timeout)
            }
        }
    }

    /// The node and address behind `localhost:port` on the user's machine, for the ports kind's
    /// ingress configuration publishes (80 and 443).
    fn published_node(&self, port: u16) -> Option<(String, Ipv4Addr)> {
        let name = self.published.filter(|_| matches!(port, 80 | 443))?;
        let Some(Object::Node(node)) = self.informers.get(Kind::Node, name).map(|o| &**o) else { return None };
        Some((name.to_string(), internal_ip(node)?))
    }

    /// A request to `localhost` on the user's machine: a port `kubectl port-forward` forwards
    /// goes into its pod through the kubelet; any other port refuses.
    fn forwarded(&mut self, req: &Request, url: &Url, mut reply: Reply) -> Reply {
        reply.addr = Some(format!("127.0.0.1:{}", url.port));
        let refused = |mut reply: Reply, why: String| {
            reply.hops.push(why);
            let e =
                format!("Failed to connect to {} port {} after 0 ms: Couldn't connect to server", url.host, url.port);
            fail(reply, 7, e, Duration::zero())
        };
        let Some(f) = self.forwards.get(&url.port).cloned() else {
            return refused(reply, format!("localhost:{}: nothing listens (no port-forward)", url.port));
        };
        let key = format!("{}/{}", f.namespace, f.pod);
        let pod = match pod(self.informers, &key) {
            Some(p) if p.metadata.uid.as_deref() == Some(f.uid.as_str()) => p,
            _ => {
                // kubectl port-forward ends when its pod goes ("lost connection to pod").
                self.forwards.remove(&url.port);
                return refused(
                    reply,
                    format!("localhost:{}: the port-forward to pod {key} ended with its pod", url.port),
                );
            }
        };
        let (Some(node), Some(ip)) =
            (pod.spec.as_ref().and_then(|s| s.node_name.clone()), pod_ip(pod).map(String::from))
        else {
            return refused(reply, format!("localhost:{}: pod {key} has no address", url.port));
        };
        reply.hops.push(format!(
            "port-forward: localhost:{} → pod {key} port {} (through the kubelet on {node})",
            url.port, f.port
        ));
        reply.port_forward = Some(format!("Handling connection for {}", url.port));
        let path = url.path.clone();
        let host = format!("localhost:{}", url.port);
        let http = HttpRequest {
            method: &req.method,
            path: &path,
            client: "127.0.0.1",
            client_port: 0,
            agent: &req.agent,
            host: &host,
            headers: &req.headers,
        };
        let http = (!req.method.is_empty()).then_some(http);
        match self.kubelets.serve(&node, self.now, &ip, f.port, http.as_ref()) {
            Some(Conn::Open { container, answer, took, .. }) => {
                reply.elapsed += took;
                reply.hops.push(format!("pod: {key} on {node}, container {container}, port {}", f.port));
                reply.ok = true;
                reply.client_ip = Some("127.0.0.1".into());
                reply.pod = Some(key);
                reply.node = Some(node);
                if let Some(a) = answer {
                    reply.code = a.status;
                    reply.body = a.body;
                }
                reply
            }
            // kubectl accepts the connection, then fails to reach the pod's port.
            _ => {
                let e = "Empty reply from server".to_string();
                reply.hops.push(format!("port-forward: pod {key} port {}: connection refused", f.port));
                fail(reply, 52, e, Duration::zero())
            }
        }
    }

    /// Carry a call a container's process made, and say what it gets back when.
    pub fn carry(&mut self, call: &PendingCall) -> Answered {
        let from = Source::Pod { namespace: call.namespace.clone(), name: call.pod.clone() };
        let (url, method, agent, timeout) = match &call.call {
            NetCall::Http { url, method, agent, timeout, .. } => (url.clone(), method.clone(), agent.clone(), *timeout),
            NetCall::Connect { host, port, timeout } => {
                (format!("{host}:{port}"), String::new(), String::new(), *timeout)
            }
            // The cluster hands these to the API server itself (`Cluster::api_call`).
            NetCall::Api { .. } => return Answered { addr: None, at: self.now, answer: NetAnswer::Refused },
            NetCall::Lookup { name } => {
                let tool = dns::nslookup_of(&call.image);
                let (found, waited) = match self.client(&from) {
                    Ok(client) => self.lookup(&client, name, tool),
                    Err(e) => (Err(e), Duration::zero()),
                };
                let (text, errors, code) = match found {
                    Ok(n) => (n.text, n.errors, n.exit_code),
                    Err(e) => (String::new(), format!("{e}\n"), 1),
                };
                let at = self.now + waited;
                // busybox 1.28 prints the server before it finds it cannot resolve the name.
                let errors_last = tool == Nslookup::BusyboxLibc;
                return Answered { addr: None, at, answer: NetAnswer::Lookup { text, errors, errors_last, code } };
            }
        };
        let mut req = Request::new(url, method, from, timeout, agent);
        if let NetCall::Http { headers, insecure, cacert, resolve, .. } = &call.call {
            req.headers = headers.clone();
            req.insecure = *insecure;
            req.cacert = cacert.as_ref().map(|(path, text)| CaFile::new(path, text.as_deref()));
            req.resolve = resolve.clone();
        }
        let reply = self.request(&req);
        let answer = match reply.exit {
            0 if req.method.is_empty() => NetAnswer::Connected,
            0 => NetAnswer::Http { status: reply.code, body: reply.body },
            6 | 3 => NetAnswer::Unresolved,
            28 => NetAnswer::TimedOut,
            52 => NetAnswer::Connected,
            35 | 60 | 77 => NetAnswer::Failed { code: reply.exit, message: reply.error.unwrap_or_default() },
            _ => NetAnswer::Refused,
        };
        Answered { addr: reply.addr, at: self.now + reply.elapsed, answer }
    }

    /// The client's address and node.
    fn client(&self, from: &Source) -> Result<Client, String> {
        match from {
            Source::Pod { namespace, name } => {
                let key = format!("{namespace}/{name}");
                let Some(pod) = pod(self.informers, &key) else {
                    return Err(format!("pods \"{name}\" not found in namespace \"{namespace}\""));
                };
                // Its sandbox's network is up once it has an address: init containers run
                // while the pod is Pending, and a finished pod's sandbox is gone.
                let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
                let up = matches!(phase, Some("Pending" | "Running"));
                let ip = pod_ip(pod).and_then(|ip| ip.parse().ok()).filter(|_| up);
                let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
                match (ip, node) {
                    (Some(ip), Some(node)) => {
                        Ok(Client { ip, node: Some(node), pod: Some(key), resolv: ResolvConf::for_pod(pod) })
                    }
                    _ => Err(format!(
                        "pod {key} has no network (not started, or finished), so nothing in it can make a request"
                    )),
                }
            }
            Source::Node(name) => {
                let Some(Object::Node(node)) = self.informers.get(Kind::Node, name).map(|o| &**o) else {
                    return Err(format!("nodes \"{name}\" not found"));
                };
                let ip = internal_ip(node).ok_or_else(|| format!("node {name} has no InternalIP yet"))?;
                Ok(Client { ip, node: Some(name.clone()), pod: None, resolv: ResolvConf::node() })
            }
            Source::Outside => Ok(Client { ip: OUTSIDE_IP, node: None, pod: None, resolv: ResolvConf::node() }),
        }
    }

    /// The address `host` names for this client, as its libc finds it: through the
    /// nameserver of its resolv.conf, which for a pod is cluster DNS (reached through the
    /// kube-dns Service like any other packet), for a node the host's resolver, which knows
    /// no cluster names.
    fn resolve(&mut self, host: &str, client: &Client, reply: &mut Reply) -> Resolved {
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Resolved::Address(ip);
        }
        if host == "localhost" {
            return Resolved::Address(if client.node.is_some() { client.ip } else { Ipv4Addr::LOCALHOST });
        }
        if client.node.is_none() {
            reply.hops.push(format!("dns: {host}: cluster names are not known outside the cluster"));
            return Resolved::Unresolved(Duration::zero());
        }
        let found = match self.nameserver(client, reply) {
            Ok(true) => {
                let server = ClusterDns::new(self.informers);
                dns::resolve(&client.resolv, host, &server, &mut *self.rng)
            }
            Ok(false) => dns::resolve(&client.resolv, host, &Upstream, &mut *self.rng),
            Err(_) => {
                let ns = client.resolv.nameservers.first().cloned().unwrap_or_default();
                reply.hops.push(format!("dns: no answer from {ns}:53"));
                return Resolved::Unresolved(Duration::seconds(RESOLVER_WAIT_SECONDS));
            }
        };
        let v4 = found.addresses.iter().find_map(|a| match a {
            std::net::IpAddr::V4(v4) => Some(*v4),
            std::net::IpAddr::V6(_) => None,
        });
        match (v4, &found.name) {
            (Some(ip), Some(name)) => {
                let alias = found.cname.as_ref().map(|c| format!(" (alias of {c})")).unwrap_or_default();
                reply.hops.push(format!("dns: {name} → {ip}{alias}"));
                Resolved::Address(ip)
            }
            _ => {
                reply.hops.push(format!("dns: {host}: NXDOMAIN (asked {})", found.tried.join(", ")));
                Resolved::Unresolved(Duration::zero())
            }
        }
    }

    /// Whether the client's first nameserver answers: `Ok(true)` when it is cluster DNS and a
    /// CoreDNS pod answered on port 53, `Ok(false)` for a resolver outside the cluster (the
    /// node's), else how the queries failed.
    fn nameserver(&mut self, client: &Client, reply: &mut Reply) -> Result<bool, NoAnswer> {
        let ns = client.resolv.nameservers.first().and_then(|n| n.parse::<Ipv4Addr>().ok()).ok_or(NoAnswer::Silent)?;
        if ns.to_string() != crate::node::kubelet::dns::CLUSTER_DNS {
            return Ok(false);
        }
        let pkt = Packet { src: client.ip, dst: ns, port: 53, protocol: Protocol::Udp };
        let mut quiet = Reply::default();
        match self.connect(client, pkt, None, None, &mut quiet) {
            Outcome::Answered { .. } => Ok(true),
            outcome => {
                reply.hops.extend(quiet.hops);
                Err(if matches!(outcome, Outcome::Refused) { NoAnswer::Refused } else { NoAnswer::Silent })
            }
        }
    }

    /// busybox's `nslookup NAME` from `from`; without one, as a pod of `namespace` would ask
    /// it (its resolv.conf, from the first worker node). How long it took, too.
    pub fn nslookup(
        &mut self,
        from: Option<&Source>,
        namespace: &str,
        name: &str,
    ) -> (Result<NsLookup, String>, Duration) {
        let client = match from {
            Some(f) => self.client(f),
            None => self.phantom_pod(namespace),
        };
        match client {
            Ok(c) => self.lookup(&c, name, Nslookup::Busybox),
            Err(e) => (Err(e), Duration::zero()),
        }
    }

    /// A client with the resolv.conf of a pod in `namespace`, on the first worker node.
    fn phantom_pod(&self, namespace: &str) -> Result<Client, String> {
        let node = self
            .informers
            .list(Kind::Node)
            .find(|o| !o.labels().contains_key("node-role.kubernetes.io/control-plane"))
            .ok_or("the cluster has no worker node")?;
        let Object::Node(n) = &**node else { return Err("the cluster has no worker node".into()) };
        let ip = internal_ip(n).ok_or("the node has no InternalIP yet")?;
        let mut pod = Pod::default();
        pod.metadata.namespace = Some(namespace.to_string());
        Ok(Client { ip, node: Some(node.name().to_string()), pod: None, resolv: ResolvConf::for_pod(&pod) })
    }

    /// `nslookup NAME` from `client` with the image's `tool`, and how long it took.
    fn lookup(&mut self, client: &Client, name: &str, tool: Nslookup) -> (Result<NsLookup, String>, Duration) {
        let mut hops = Reply::default();
        let server_name = client.resolv.nameservers.first().cloned().unwrap_or_default();
        match self.nameserver(client, &mut hops) {
            Ok(cluster) => {
                let server: Box<dyn DnsServer + '_> =
                    if cluster { Box::new(ClusterDns::new(self.informers)) } else { Box::new(Upstream) };
                let (conf, rng) = (&client.resolv, &mut *self.rng);
                let found = match tool {
                    Nslookup::Busybox => dns::nslookup(conf, &server_name, name, None, &*server, rng),
                    Nslookup::BusyboxLibc => dns::nslookup_libc(conf, &server_name, name, &*server, rng),
                    Nslookup::Bind => dns::nslookup_bind(conf, &server_name, name, &*server, rng),
                };
                (Ok(found), Duration::zero())
            }
            // Each tool gives up after busybox 1.36's timeout: how long the older resolvers
            // retry is not modelled.
            Err(no_answer) => {
                let (text, errors) = match tool {
                    Nslookup::Busybox => {
                        let refused = no_answer == NoAnswer::Refused;
                        (
                            dns::no_servers_reached().to_string(),
                            if refused { dns::refused_reads() } else { String::new() },
                        )
                    }
                    Nslookup::BusyboxLibc => dns::nslookup_libc_unanswered(&server_name, name),
                    Nslookup::Bind => (dns::no_servers_reached().to_string(), String::new()),
                };
                let waited = Duration::seconds(i64::from(dns::NSLOOKUP_TIMEOUT_SECONDS));
                (Ok(NsLookup { queries: Vec::new(), answer: None, text, errors, exit_code: 1 }), waited)
            }
        }
    }

    /// Send a connection's first packet from `client` and follow it to a server: the rules
    /// of the client's node, then (for a node's address) those of that node as the packet
    /// arrives there, NetworkPolicy at both ends, and whoever listens at the address.
    fn connect(
        &mut self,
        client: &Client,
        pkt: Packet,
        http: Option<HttpRequest<'_>>,
        tls: Option<&ClientTls<'_>>,
        reply: &mut Reply,
    ) -> Outcome {
        let mut pkt = pkt;
        let mut translated = false;
        if let Some(node) = client.node.clone() {
            let origin = if client.pod.is_some() { Origin::Pod } else { Origin::Node };
            match self.walk(&node, &mut pkt, origin, reply) {
                Walk::Done(outcome) => return outcome,
                Walk::Translated => translated = true,
                Walk::Passed => {}
            }
        }
        if !translated {
            let arrives = match self.node_with_ip(pkt.dst) {
                Some(n) if client.node.as_deref() != Some(n.as_str()) => Some(n),
                Some(_) => None,
                None if client.node.is_none() => match self.load_balancer_node(pkt.dst) {
                    Some(n) => {
                        reply.hops.push(format!("load balancer: {} → node {n}", pkt.dst));
                        Some(n)
                    }
                    None => {
                        reply.hops.push(format!("route: {} is not reachable from outside the cluster", pkt.dst));
                        return Outcome::TimedOut;
                    }
                },
                None => None,
            };
            if let Some(node) = arrives {
                match self.walk(&node, &mut pkt, Origin::Outside, reply) {
                    Walk::Done(outcome) => return outcome,
                    Walk::Translated => translated = true,
                    Walk::Passed => {}
                }
            }
        }
        if let Some(node) = self.node_with_ip(pkt.dst).filter(|_| !translated) {
            if let Some((ip, port, key)) = self.host_port(&node, pkt.port, pkt.protocol) {
                reply.hops.push(format!("{node}: CNI-HOSTPORT-DNAT: hostPort {} of pod {key}", pkt.port));
                reply.hops.push(format!("dnat: {}:{} → {ip}:{port}", pkt.dst, pkt.port));
                pkt.dst = ip;
                pkt.port = port;
            }
        }
        self.deliver(client, pkt, http, tls, reply)
    }

    /// Walk `node`'s kube-proxy rules for `pkt`, rewriting it as a DNAT or masquerade does.
    fn walk(&mut self, node: &str, pkt: &mut Packet, origin: Origin, reply: &mut Reply) -> Walk {
        let Some(proxies) = self.proxies.as_deref_mut() else { return Walk::Passed };
        let route = proxies.route(node, pkt, origin, self.now, &mut *self.rng);
        let path = route.chains.join(" → ");
        let rule = route.rule.map(|r| format!(": {r}")).unwrap_or_default();
        match route.outcome {
            Routed::Pass => Walk::Passed,
            Routed::Dnat { to, masquerade } => {
                reply.hops.push(format!("{node}: {path}{rule}"));
                let (from, dst) = (pkt.src, format!("{}:{}", pkt.dst, pkt.port));
                pkt.dst = *to.ip();
                pkt.port = to.port();
                if masquerade {
                    if let Some(ip) = self.node_ip(node) {
                        pkt.src = ip;
                    }
                }
                let snat = if pkt.src != from {
                    format!(", source {from} → {} (masquerade)", pkt.src)
                } else {
                    String::new()
                };
                reply.hops.push(format!("dnat: {dst} → {to}{snat}"));
                Walk::Translated
            }
            Routed::Reject => {
                reply.hops.push(format!("{node}: {path}{rule}"));
                Walk::Done(Outcome::Refused)
            }
            Routed::Drop => {
                reply.hops.push(format!("{node}: {path}{rule}"));
                Walk::Done(Outcome::TimedOut)
            }
        }
    }

    /// The packet reaches its address: NetworkPolicy, then whoever listens there.
    fn deliver(
        &mut self,
        client: &Client,
        pkt: Packet,
        http: Option<HttpRequest<'_>>,
        tls: Option<&ClientTls<'_>>,
        reply: &mut Reply,
    ) -> Outcome {
        let dst = pkt.dst;
        let owner = if dst == client.ip { client.node.clone() } else { self.owner_of(dst) };
        let Some(owner) = owner else {
            reply.hops.push(format!("route: no host has {dst}"));
            return Outcome::TimedOut;
        };
        if dst != client.ip {
            if let Some(denied) = self.policy(client, &pkt, &owner, reply) {
                reply.hops.push(denied);
                return Outcome::TimedOut;
            }
        }
        let client_text = pkt.src.to_string();
        let http = http.map(|h| HttpRequest { client: &client_text, ..h });
        match self.kubelets.serve(&owner, self.now, &dst.to_string(), pkt.port, http.as_ref()) {
            None => {
                reply.hops.push(format!("route: {dst} on {owner}, which does not answer"));
                Outcome::TimedOut
            }
            Some(Conn::Refused) => {
                reply.hops.push(format!("{owner}: {dst}:{} refused (nothing listens)", pkt.port));
                Outcome::Refused
            }
            Some(Conn::Open { container, answer, proxy, took }) => {
                // The server's own time to answer (php-apache's work at its CPU limit).
                reply.elapsed += took;
                let pod = self.pod_at(&owner, dst, &container);
                let who = pod.clone().unwrap_or_else(|| format!("node {owner}"));
                reply.hops.push(format!("pod: {who} on {owner}, container {container}, port {}", pkt.port));
                if let (true, Some(h), Some(key)) = (proxy, http.as_ref(), pod.as_deref()) {
                    return self.through_ingress(key, &owner, &container, pkt, h, tls, reply);
                }
                if let (Some(t), Some(_)) = (tls, http.as_ref()) {
                    // A ClientHello to a server that speaks plain HTTP.
                    let failure = t.ca_problem().unwrap_or_else(|| {
                        reply.hops.push(format!("{who}: port {} does not speak TLS", pkt.port));
                        Failure::wrong_version()
                    });
                    return failure.into();
                }
                Outcome::Answered { node: owner, pod, answer, client: pkt.src }
            }
        }
    }

    /// The ingress-nginx pod `key` takes the connection (on 443, the TLS handshake: the
    /// certificate for the client's name, which the client checks unless `-k`), routes the
    /// request and, for a Service, proxies it on from its own address to one of the Service's
    /// endpoints. Its log gets the certificate warnings of a changed configuration, and the
    /// request's access line.
    #[allow(clippy::too_many_arguments)]
    fn through_ingress(
        &mut self,
        key: &str,
        node: &str,
        container: &str,
        pkt: Packet,
        http: &HttpRequest<'_>,
        tls: Option<&ClientTls<'_>>,
        reply: &mut Reply,
    ) -> Outcome {
        let informers = self.informers;
        let answered = |answer| Outcome::Answered {
            node: node.to_string(),
            pod: Some(key.to_string()),
            answer: Some(answer),
            client: pkt.src,
        };
        let Some(pod) = pod(informers, key) else {
            return answered(crate::node::container::http::ingress_not_found());
        };
        let config = ingress::hop::Config::load(informers, pod, self.now);
        let ip = pkt.dst.to_string();
        for w in self.certificate_log.news(key, &config.certificates.warnings) {
            self.kubelets.log_line(node, self.now, &ip, container, &w.line(self.now));
        }
        if let Some(problem) = tls.and_then(ClientTls::ca_problem) {
            return problem.into();
        }
        match (pkt.port, tls) {
            (443, None) => {
                reply.hops.push("ingress-nginx: plain HTTP to its HTTPS port: 400".into());
                return answered(ingress::hop::plain_http_to_https());
            }
            (443, Some(t)) => {
                let served = config.served(t.sni.as_deref());
                reply.hops.push(t.hop(&served));
                let verdict = t.check(&served, self.now);
                reply.certificate = Some(served);
                if let Err(failure) = verdict {
                    reply.hops.push(format!("curl: {}", failure.error));
                    return failure.into();
                }
            }
            (_, Some(_)) => {
                reply.hops.push(format!("ingress-nginx: port {} speaks plain HTTP, not TLS", pkt.port));
                return Failure::wrong_version().into();
            }
            (_, None) => {}
        }
        let hops = &mut reply.hops;
        let balancers = &mut *self.balancers;
        let (port, rng) = (pkt.port, &mut *self.rng);
        let mut logged = None;
        let (host, path, headers) = (http.host, http.path, http.headers);
        let next =
            ingress::hop::next(&mut logged, &config, informers, balancers, key, port, host, path, headers, rng, hops);
        let outcome = match next {
            Next::Answer(a) => answered(a),
            Next::Proxy { to, port, uri } => {
                let (namespace, name) = key.split_once('/').unwrap_or_default();
                let from = Source::Pod { namespace: namespace.to_string(), name: name.to_string() };
                let Ok(client) = self.client(&from) else {
                    return answered(crate::node::container::http::ingress_not_found());
                };
                let next = Packet { src: client.ip, dst: to, port, protocol: Protocol::Tcp };
                let http = HttpRequest { path: &uri, client: "", ..*http };
                self.deliver(&client, next, Some(http), None, reply)
            }
        };
        if let (Some(logged), Outcome::Answered { answer: Some(a), .. }) = (logged, &outcome) {
            let id = format!("{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64());
            let line = ingress::hop::access_line(self.now, pkt.src, http, a, &logged, &id);
            self.kubelets.log_line(node, self.now, &ip, container, &line);
        }
        outcome
    }

    /// A pod on `node` that asked for `port` of the node as a hostPort (the CNI portmap
    /// plugin's DNAT): its address, container port and `namespace/name`.
    fn host_port(&self, node: &str, port: u16, protocol: Protocol) -> Option<(Ipv4Addr, u16, String)> {
        self.informers.pods_on_node(node).find_map(|o| {
            let Object::Pod(p) = &**o else { return None };
            let running = p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
            let ip: Ipv4Addr = pod_ip(p)?.parse().ok().filter(|_| running && !is_host_network(p))?;
            let ports = p.spec.iter().flat_map(|s| &s.containers).flat_map(|c| c.ports.iter().flatten());
            let found = ports
                .filter(|cp| Protocol::parse(cp.protocol.as_deref()) == Some(protocol))
                .find(|cp| cp.host_port == Some(i32::from(port)))?;
            Some((ip, u16::try_from(found.container_port).ok()?, o.key()))
        })
    }

    /// NetworkPolicy on the connection: `Some(why)` when it is dropped. A source still its
    /// own is its pod; one rewritten to a node's address is that node.
    fn policy(&self, client: &Client, pkt: &Packet, owner: &str, reply: &mut Reply) -> Option<String> {
        let client_pod = client.pod.as_deref().filter(|_| pkt.src == client.ip).and_then(|k| pod(self.informers, k));
        let src_node = self.node_with_ip(pkt.src);
        let from = match (client_pod, &src_node) {
            (Some(p), _) => Peer::Pod(p),
            (None, Some(n)) => Peer::Node { name: n, ip: pkt.src },
            (None, None) => Peer::Outside(pkt.src),
        };
        let dst = pkt.dst.to_string();
        let target = self.informers.pods_on_node(owner).find_map(|o| match &**o {
            Object::Pod(p) if pod_ip(p) == Some(dst.as_str()) && !is_host_network(p) => Some(p),
            _ => None,
        });
        let to = match target {
            Some(p) => Peer::Pod(p),
            None => Peer::Node { name: owner, ip: pkt.dst },
        };
        let decision = policy::allowed(from, to, pkt.port, pkt.protocol, self.informers);
        for (dir, v) in [("egress", &decision.egress), ("ingress", &decision.ingress)] {
            match v {
                Verdict::AllowedBy(p) => reply.hops.push(format!("networkpolicy: {dir} allowed by {p}")),
                Verdict::Denied(ps) => {
                    return Some(format!("networkpolicy: {dir} denied (isolated by {}): dropped", ps.join(", ")));
                }
                Verdict::NotIsolated | Verdict::Exempt(_) => {}
            }
        }
        None
    }

    /// The node a cloud load balancer sends a packet for `ip` to: one of the nodes it
    /// balances over (for `externalTrafficPolicy: Local`, those whose health check says they
    /// have a local endpoint), chosen at random.
    fn load_balancer_node(&mut self, ip: Ipv4Addr) -> Option<String> {
        let text = ip.to_string();
        let service = self.informers.list(Kind::Service).find_map(|o| match &**o {
            Object::Service(s) => {
                let ingress = s.status.as_ref()?.load_balancer.as_ref()?.ingress.as_ref()?;
                ingress.iter().any(|i| i.ip.as_deref() == Some(text.as_str())).then_some(s)
            }
            _ => None,
        })?;
        let spec = service.spec.as_ref()?;
        let local = spec.external_traffic_policy.as_deref() == Some("Local");
        let health = spec.health_check_node_port.and_then(|p| u16::try_from(p).ok());
        let mut nodes: Vec<String> = self
            .informers
            .list(Kind::Node)
            .filter(|o| !o.labels().contains_key("node-role.kubernetes.io/control-plane"))
            .map(|o| o.name().to_string())
            .collect();
        if let (true, Some(port), Some(proxies)) = (local, health, self.proxies.as_deref()) {
            nodes.retain(|n| proxies.health_check(n, port).is_some_and(|h| h.local_endpoints > 0));
        }
        if nodes.is_empty() {
            return None;
        }
        let i = (self.rng.next_u32() as usize) % nodes.len();
        Some(nodes.swap_remove(i))
    }

    /// The node whose own address `ip` is.
    fn node_with_ip(&self, ip: Ipv4Addr) -> Option<String> {
        self.informers.node_with_ip(ip).map(str::to_string)
    }

    fn node_ip(&self, node: &str) -> Option<Ipv4Addr> {
        match self.informers.get(Kind::Node, node).map(|o| &**o) {
            Some(Object::Node(n)) => internal_ip(n),
            _ => None,
        }
    }

    /// The node whose own address `ip` is, or whose pod CIDR holds it.
    fn owner_of(&self, ip: Ipv4Addr) -> Option<String> {
        self.informers.node_with_ip(ip).or_else(|| self.informers.node_with_pod_ip(ip)).map(str::to_string)
    }

    /// `namespace/name` of the pod on `node` at `ip` whose container `container` answered.
    fn pod_at(&self, node: &str, ip: Ipv4Addr, container: &str) -> Option<String> {
        let ip = ip.to_string();
        let has = |p: &Pod| p.spec.as_ref().is_some_and(|s| s.containers.iter().any(|c| c.name == container));
        self.informers.pods_on_node(node).find_map(|o| match &**o {
            Object::Pod(p) if pod_ip(p) == Some(ip.as_str()) && has(p) => Some(o.key()),
            _ => None,
        })
    }
}

/// What a walk of one node's rules did.
enum Walk {
    /// Nothing of kube-proxy's took the packet.
    Passed,
    /// Sent elsewhere (DNAT, maybe masquerade).
    Translated,
    /// It ends here: refused or dropped.
    Done(Outcome),
}

fn is_host_network(p: &Pod) -> bool {
    p.spec.as_ref().and_then(|s| s.host_network).unwrap_or(false)
}

fn fail(mut reply: Reply, exit: i32, error: String, elapsed: Duration) -> Reply {
    reply.ok = false;
    reply.exit = exit;
    reply.error = Some(error);
    reply.elapsed = elapsed;
    reply
}

/// The pod `namespace/name` in the informers.
fn pod<'i>(informers: &'i Informers, key: &str) -> Option<&'i Pod> {
    match informers.get(Kind::Pod, key).map(|o| &**o) {
        Some(Object::Pod(p)) => Some(p),
        _ => None,
    }
}

/// A node's InternalIP.
pub fn internal_ip(node: &Node) -> Option<Ipv4Addr> {
    let addresses = node.status.as_ref()?.addresses.as_ref()?;
    addresses.iter().find(|a| a.type_ == "InternalIP")?.address.parse().ok()
}
