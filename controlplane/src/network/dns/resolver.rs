//! A pod's name lookup as glibc's resolver makes it for `getaddrinfo` (what `wget`, `curl` and
//! most images use): the candidates of `res_search` from the resolv.conf the kubelet wrote, each
//! asked for A and AAAA together, until one has answers.

use std::net::IpAddr;

use rand_chacha::rand_core::Rng;

use super::{Data, DnsServer, QType, Rcode, Response};
use crate::node::kubelet::dns::ResolvConf;

/// The names `res_search` tries for `name`, in order. A name ending in a dot is only itself.
/// With at least `ndots` dots it is tried as it is first; then under each search domain (a
/// root domain on the list stands for the name itself); then, if not yet tried, as it is.
pub fn search_order(conf: &ResolvConf, name: &str) -> Vec<String> {
    if let Some(absolute) = name.strip_suffix('.') {
        return vec![absolute.to_string()];
    }
    let mut out = Vec::new();
    let tried_as_is = name.matches('.').count() >= conf.ndots();
    if tried_as_is {
        out.push(name.to_string());
    }
    let mut root_on_list = false;
    for domain in &conf.searches {
        let domain = domain.strip_prefix('.').unwrap_or(domain);
        if domain.is_empty() {
            root_on_list = true;
            out.push(name.to_string());
        } else {
            out.push(format!("{name}.{domain}"));
        }
    }
    if !tried_as_is && !root_on_list {
        out.push(name.to_string());
    }
    out
}

/// What one `getaddrinfo` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// Every name asked, in order, until one answered.
    pub tried: Vec<String>,
    /// The name whose answer ended the search, if one did.
    pub name: Option<String>,
    /// The canonical name, when the answer went through an alias.
    pub cname: Option<String>,
    pub addresses: Vec<IpAddr>,
}

/// Look `name` up as a pod's libc does, asking `server` (the nameserver the packet path reached).
/// The search stops at the first candidate whose A or AAAA reply has answers; a name that does
/// not exist or has no data sends it on to the next.
pub fn resolve(conf: &ResolvConf, name: &str, server: &dyn DnsServer, rng: &mut dyn Rng) -> Resolution {
    let mut out = Resolution { tried: Vec::new(), name: None, cname: None, addresses: Vec::new() };
    for candidate in search_order(conf, name) {
        out.tried.push(candidate.clone());
        let replies: Vec<Response> =
            [QType::A, QType::Aaaa].iter().map(|t| server.answer(&candidate, *t, rng)).collect();
        let answered = replies.iter().any(|r| r.rcode == Rcode::NoError && !r.answers.is_empty());
        if !answered {
            // A refusal ends the search; NXDOMAIN, NODATA and SERVFAIL go on to the next name.
            if replies.iter().any(|r| r.rcode == Rcode::Refused) {
                break;
            }
            continue;
        }
        for r in replies.iter().flat_map(|r| &r.answers) {
            match &r.data {
                Data::Addr(a) if !out.addresses.contains(a) => out.addresses.push(*a),
                Data::Cname(target) => out.cname = Some(target.clone()),
                _ => {}
            }
        }
        out.name = Some(candidate);
        break;
    }
    out
}
