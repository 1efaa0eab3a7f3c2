//! One request through the cluster network, as the packets of a real one would go: the
//! client's address, the name looked up, the Service rules of the node the packet leaves
//! from (kube-proxy's), the address it is sent to, NetworkPolicy at both ends, and the server
//! that answers. Each step is recorded as a hop, so a learner sees the way it went.

use std::net::Ipv4Addr;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::core::v1::{Node, Pod};
use rand_chacha::rand_core::Rng;
use rand_chacha::ChaCha8Rng;

use super::url::Url;
use super::{Packet, Protocol};
use crate::controllers::endpointslice::util::pod_ip;
use crate::controllers::Informers;
use crate::model::{Kind, Object};
use crate::node::container::http::{HttpRequest, HttpResponse};
use crate::node::container::net::{Answered, NetAnswer, NetCall};
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
}

/// What the network needs to carry one request: the cluster's state as its components see it.
pub struct Dataplane<'a> {
    pub informers: &'a Informers,
    pub kubelets: &'a mut Kubelets,
    pub rng: &'a mut ChaCha8Rng,
    pub now: DateTime<Utc>,
}

/// Where a connection attempt ended.
enum Outcome {
    Answered { node: String, pod: Option<String>, answer: Option<HttpResponse>, client: Ipv4Addr },
    Refused,
    TimedOut,
}

/// A client as the network sees it.
struct Client {
    ip: Ipv4Addr,
    /// The node its packets leave from (none outside the cluster).
    node: Option<String>,
}

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
        let Some(dst) = self.resolve(&url.host, &client, &mut reply) else {
            let e = format!("Could not resolve host: {}", url.host);
            return fail(reply, 6, e, Duration::zero());
        };
        reply.addr = Some(format!("{dst}:{}", url.port));
        let pkt = Packet { src: client.ip, dst, port: url.port, protocol: Protocol::Tcp };
        // The kernel's ephemeral port range (`ip_local_port_range` 32768-60999).
        let client_port = 32768 + (self.rng.next_u32() % (60999 - 32768 + 1)) as u16;
        let path = url.path.clone();
        let http = HttpRequest { method: &req.method, path: &path, client: "", client_port, agent: &req.agent };
        // No method: a connection only (`nc -z`).
        let http = (!req.method.is_empty()).then_some(http);
        match self.connect(&client, pkt, http, &mut reply) {
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
            Outcome::TimedOut => {
                let ms = req.timeout.num_milliseconds();
                let e =
                    format!("Failed to connect to {} port {} after {ms} ms: Timeout was reached", url.host, url.port);
                fail(reply, 28, e, req.timeout)
            }
        }
    }

    /// Carry a call a container's process made, and say what it gets back when.
    pub fn carry(&mut self, call: &PendingCall) -> Answered {
        let from = Source::Pod { namespace: call.namespace.clone(), name: call.pod.clone() };
        let (url, method, agent, timeout) = match &call.call {
            NetCall::Http { url, method, agent, timeout } => (url.clone(), method.clone(), agent.clone(), *timeout),
            NetCall::Connect { host, port, timeout } => {
                (format!("{host}:{port}"), String::new(), String::new(), *timeout)
            }
            NetCall::Lookup { name } => {
                let text = format!("nslookup: can't resolve '{name}': cluster DNS is not simulated yet\n");
                return Answered { addr: None, at: self.now, answer: NetAnswer::Lookup { text, code: 1 } };
            }
        };
        let req = Request { url, method, from, timeout, agent, headers: Vec::new() };
        let reply = self.request(&req);
        let answer = match reply.exit {
            0 if req.method.is_empty() => NetAnswer::Connected,
            0 => NetAnswer::Http { status: reply.code, body: reply.body },
            6 | 3 => NetAnswer::Unresolved,
            28 => NetAnswer::TimedOut,
            52 => NetAnswer::Connected,
            _ => NetAnswer::Refused,
        };
        Answered { addr: reply.addr, at: self.now + reply.elapsed, answer }
    }

    /// The client's address and node.
    fn client(&self, from: &Source) -> Result<Client, String> {
        match from {
            Source::Pod { namespace, name } => {
                let key = format!("{namespace}/{name}");
                let Some(Object::Pod(pod)) = self.informers.get(Kind::Pod, &key).map(|o| &**o) else {
                    return Err(format!("pods \"{name}\" not found in namespace \"{namespace}\""));
                };
                let running = pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
                let ip = pod_ip(pod).and_then(|ip| ip.parse().ok()).filter(|_| running);
                let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
                match (ip, node) {
                    (Some(ip), Some(node)) => Ok(Client { ip, node: Some(node) }),
                    _ => Err(format!("pod {key} is not running, so nothing in it can make a request")),
                }
            }
            Source::Node(name) => {
                let Some(Object::Node(node)) = self.informers.get(Kind::Node, name).map(|o| &**o) else {
                    return Err(format!("nodes \"{name}\" not found"));
                };
                let ip = internal_ip(node).ok_or_else(|| format!("node {name} has no InternalIP yet"))?;
                Ok(Client { ip, node: Some(name.clone()) })
            }
            Source::Outside => Ok(Client { ip: OUTSIDE_IP, node: None }),
        }
    }

    /// The address `host` names for this client.
    fn resolve(&mut self, host: &str, client: &Client, reply: &mut Reply) -> Option<Ipv4Addr> {
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Some(ip);
        }
        if host == "localhost" {
            return (client.node.is_some()).then_some(client.ip);
        }
        reply.hops.push(format!("dns: {host}: no cluster DNS answers names yet"));
        None
    }

    /// Send a connection's first packet from `client` and follow it to a server.
    fn connect(&mut self, client: &Client, pkt: Packet, http: Option<HttpRequest<'_>>, reply: &mut Reply) -> Outcome {
        // Loopback stays in the client's own network namespace.
        let dst = pkt.dst;
        let Some(owner) = (if dst == client.ip { client.node.clone() } else { self.owner_of(dst) }) else {
            reply.hops.push(format!("route: no host has {dst}"));
            return Outcome::TimedOut;
        };
        if client.node.is_none() && !self.is_node_ip(dst) {
            // From outside, only the nodes' own addresses are on the network.
            reply.hops.push(format!("route: {dst} is not reachable from outside the cluster"));
            return Outcome::TimedOut;
        }
        let src = pkt.src;
        let client_text = src.to_string();
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
            Some(Conn::Open { container, answer }) => {
                let pod = self.pod_at(&owner, dst, &container);
                let who = pod.clone().unwrap_or_else(|| format!("node {owner}"));
                reply.hops.push(format!("pod: {who} on {owner}, container {container}, port {}", pkt.port));
                Outcome::Answered { node: owner, pod, answer, client: src }
            }
        }
    }

    /// The node whose pod CIDR holds `ip`, or whose own address it is.
    fn owner_of(&self, ip: Ipv4Addr) -> Option<String> {
        self.informers.list(Kind::Node).find_map(|o| match &**o {
            Object::Node(n) => {
                let cidr = n.spec.as_ref().and_then(|s| s.pod_cidr.as_deref());
                let inside = cidr.and_then(parse_cidr).is_some_and(|(net, bits)| contains(net, bits, ip));
                (inside || internal_ip(n) == Some(ip)).then(|| o.name().to_string())
            }
            _ => None,
        })
    }

    fn is_node_ip(&self, ip: Ipv4Addr) -> bool {
        self.informers.list(Kind::Node).any(|o| matches!(&**o, Object::Node(n) if internal_ip(n) == Some(ip)))
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

fn fail(mut reply: Reply, exit: i32, error: String, elapsed: Duration) -> Reply {
    reply.ok = false;
    reply.exit = exit;
    reply.error = Some(error);
    reply.elapsed = elapsed;
    reply
}

/// A node's InternalIP.
pub fn internal_ip(node: &Node) -> Option<Ipv4Addr> {
    let addresses = node.status.as_ref()?.addresses.as_ref()?;
    addresses.iter().find(|a| a.type_ == "InternalIP")?.address.parse().ok()
}

/// `10.244.1.0/24` as (network, prefix length).
pub fn parse_cidr(text: &str) -> Option<(Ipv4Addr, u8)> {
    let (ip, bits) = text.split_once('/')?;
    let bits: u8 = bits.parse().ok().filter(|b| *b <= 32)?;
    Some((ip.parse().ok()?, bits))
}

/// Whether `ip` is in `net/bits`.
pub fn contains(net: Ipv4Addr, bits: u8, ip: Ipv4Addr) -> bool {
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
    u32::from(net) & mask == u32::from(ip) & mask
}
