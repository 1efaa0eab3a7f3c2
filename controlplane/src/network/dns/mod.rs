//! Cluster DNS. `zone.rs` is what a CoreDNS pod answers (kubeadm's Corefile: the `kubernetes`
//! plugin for `cluster.local` and the reverse zones with `pods insecure`, `forward` for the
//! rest, `loadbalance` shuffling addresses), `resolver.rs` what a pod's libc tries in which order
//! (the search list and `ndots` of the resolv.conf the kubelet wrote), and `nslookup.rs` the
//! busybox applet's queries and printing. Nothing here sends a packet: the packet path reaches
//! a DNS server first and asks the server's [`DnsServer`] only when one answers.

mod nslookup;
mod resolver;
mod tools;
mod zone;

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;

use rand_chacha::rand_core::Rng;

use crate::model::Kind;

pub use nslookup::{no_servers_reached, nslookup, refused_reads, NsAnswer, NsLookup, NSLOOKUP_TIMEOUT_SECONDS};
pub use resolver::{resolve, search_order, Resolution};
pub use tools::{nslookup_bind, nslookup_libc, nslookup_libc_unanswered, nslookup_of, Nslookup};
pub use zone::ClusterDns;

/// The kinds whose informers cluster DNS reads; the component that serves DNS must watch them.
pub const WATCHES: &[Kind] = &[Kind::Service, Kind::EndpointSlice, Kind::Namespace];

/// A question's type, as busybox's nslookup names them (`-type=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QType {
    Soa,
    Ns,
    A,
    Aaaa,
    Cname,
    Mx,
    Txt,
    Srv,
    Ptr,
    Any,
}

impl QType {
    /// `-type=srv`: busybox compares without case.
    pub fn parse(s: &str) -> Option<QType> {
        const ALL: [QType; 10] = [
            QType::Soa,
            QType::Ns,
            QType::A,
            QType::Aaaa,
            QType::Cname,
            QType::Mx,
            QType::Txt,
            QType::Srv,
            QType::Ptr,
            QType::Any,
        ];
        ALL.into_iter().find(|t| t.name().eq_ignore_ascii_case(s))
    }

    pub fn name(self) -> &'static str {
        match self {
            QType::Soa => "SOA",
            QType::Ns => "NS",
            QType::A => "A",
            QType::Aaaa => "AAAA",
            QType::Cname => "CNAME",
            QType::Mx => "MX",
            QType::Txt => "TXT",
            QType::Srv => "SRV",
            QType::Ptr => "PTR",
            QType::Any => "ANY",
        }
    }
}

/// A response code, named as busybox prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rcode {
    NoError,
    ServFail,
    NxDomain,
    Refused,
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rcode::NoError => "NOERROR",
            Rcode::ServFail => "SERVFAIL",
            Rcode::NxDomain => "NXDOMAIN",
            Rcode::Refused => "REFUSED",
        })
    }
}

/// What a resource record holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    Addr(IpAddr),
    Cname(String),
    Ptr(String),
    Srv { priority: u16, weight: u16, port: u16, target: String },
    Txt(String),
}

/// One answer record; names without the final dot, as busybox prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub ttl: u32,
    pub data: Data,
}

/// A server's reply to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub rcode: Rcode,
    /// The `aa` bit: set by the kubernetes plugin, not on what `forward` relays.
    pub authoritative: bool,
    pub answers: Vec<Record>,
}

impl Response {
    pub fn nxdomain(authoritative: bool) -> Response {
        Response { rcode: Rcode::NxDomain, authoritative, answers: Vec::new() }
    }

    /// The addresses among the answers, in their order.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.answers.iter().filter_map(|r| match r.data {
            Data::Addr(a) => Some(a),
            _ => None,
        })
    }
}

/// A DNS server the packet path reached. `rng` stands for the server's own randomness (the
/// `loadbalance` plugin's shuffle), drawn from the cluster's seeded source.
pub trait DnsServer {
    fn answer(&self, name: &str, qtype: QType, rng: &mut dyn Rng) -> Response;
}

/// The resolver outside the cluster that CoreDNS forwards to and that nodes use. The simulated
/// world has no Internet, so it knows no name: every question is NXDOMAIN.
#[derive(Debug, Clone, Copy, Default)]
pub struct Upstream;

impl DnsServer for Upstream {
    fn answer(&self, _name: &str, _qtype: QType, _rng: &mut dyn Rng) -> Response {
        Response::nxdomain(false)
    }
}

/// A name as matched: without the final dot, lower case (DNS names compare without case).
fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}
