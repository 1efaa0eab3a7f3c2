//! The cluster network: what a connection from a pod, a node or outside the cluster meets on
//! its way to a server. `proxy/` is kube-proxy (per-node Service rules, as its iptables mode
//! writes them), `dns/` is cluster DNS (CoreDNS's kubernetes plugin), `policy/` enforces
//! NetworkPolicy, `ingress/` is ingress-nginx's routing table and certificates, `tls.rs` the
//! client's side of TLS, and `path.rs` walks one request through all of them. `cloud.rs` is the simulated cloud a `cloud: true` cluster
//! runs in (machines, load balancers, routes).

pub mod cidr;
pub mod cloud;

pub mod dns;
pub mod ingress;
pub mod policy;
pub mod proxy;
#[cfg(test)]
mod testing;
pub mod tls;

/// The programs that serve admission webhooks, which the API server's webhook plugin asks.
pub static WEBHOOK_SERVERS: &[&dyn crate::apiserver::webhook::AdmissionWebhookServer] = &[&ingress::webhook::Webhook];

use std::fmt;
use std::net::Ipv4Addr;

/// The transport protocol of a Service port or a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// A Service or container port's `protocol` (TCP when unset, as the API server defaults it).
    pub fn parse(p: Option<&str>) -> Option<Protocol> {
        match p.unwrap_or("TCP") {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// As iptables writes it (`-p tcp`).
    pub fn lower(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        })
    }
}

/// One connection attempt as the network sees its first packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub port: u16,
    pub protocol: Protocol,
}

pub mod forward;
pub mod path;
pub mod url;
