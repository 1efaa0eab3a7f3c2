//! The other `nslookup`s the docs' images have. Before busybox 1.29 its applet had no resolver
//! of its own: it printed the server and then every address libc's `getaddrinfo` found, each
//! with the name a reverse lookup gave it (networking/nslookup.c of 1.28), so search domains
//! and `ndots` apply. The `busybox:1.28` of the StatefulSet tutorial and the
//! `registry.k8s.io/busybox` of many examples have it. The `dnsutils` images of the DNS
//! debugging page have BIND's, which also follows the search list, and prints the name that
//! answered. Every other image gets busybox 1.36's applet (`nslookup.rs`).

use std::fmt::Write;
use std::net::IpAddr;

use rand_chacha::rand_core::Rng;

use super::nslookup::ptr_name;
use super::{resolve, search_order, Data, DnsServer, NsAnswer, NsLookup, QType, Rcode};
use crate::node::kubelet::dns::ResolvConf;
use crate::node::runtime::images::{normalize, repository, tag};

/// Which `nslookup` an image ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nslookup {
    /// busybox 1.29 and later: its own queries, printed reply by reply.
    Busybox,
    /// busybox before 1.29: libc's resolver, addresses numbered.
    BusyboxLibc,
    /// BIND 9's, as the dnsutils images have it.
    Bind,
}

/// The `nslookup` of `image`: BIND's in a dnsutils image; busybox's old applet in busybox
/// before 1.29 (by the tag's version), in the Google-built busybox images, which are 1.24, and
/// in radial/busyboxplus; busybox's current one everywhere else.
pub fn nslookup_of(image: &str) -> Nslookup {
    let full = normalize(image);
    let (repo, tag) = (repository(&full), tag(&full).unwrap_or("latest"));
    let short = repo.rsplit('/').next().unwrap_or(repo);
    if short.contains("dnsutils") {
        return Nslookup::Bind;
    }
    // radial/busyboxplus (Connecting Applications with Services) is busybox 1.22 with curl.
    if short == "busyboxplus" {
        return Nslookup::BusyboxLibc;
    }
    if short != "busybox" {
        return Nslookup::Busybox;
    }
    if ["gcr.io/google-containers/busybox", "k8s.gcr.io/busybox", "registry.k8s.io/busybox"].contains(&repo) {
        return Nslookup::BusyboxLibc;
    }
    // `1.28`, `1.28.4`, `1.28-uclibc`; `latest`, `stable` and `musl` are current.
    let version = tag.split('-').next().unwrap_or("");
    let mut parts = version.split('.').map(str::parse::<u32>);
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) if (major, minor) < (1, 29) => Nslookup::BusyboxLibc,
        _ => Nslookup::Busybox,
    }
}

/// The name a reverse lookup gives `ip` (`getnameinfo` with `NI_NAMEREQD`), if any.
fn reverse(ip: IpAddr, server: &dyn DnsServer, rng: &mut dyn Rng) -> Option<String> {
    let name = ptr_name(&ip.to_string())?;
    let r = server.answer(&name, QType::Ptr, rng);
    if r.rcode != Rcode::NoError {
        return None;
    }
    r.answers.iter().find_map(|rec| match &rec.data {
        Data::Ptr(t) => Some(t.trim_end_matches('.').to_string()),
        _ => None,
    })
}

/// busybox 1.28's `print_host`: `header` padded to ten, the name as given, then each address
/// numbered, with its reverse name when it has one.
fn print_host(
    out: &mut String,
    header: &str,
    name: &str,
    addresses: &[IpAddr],
    reverse_name: &mut dyn FnMut(IpAddr) -> Option<String>,
) {
    let _ = writeln!(out, "{header:<10} {name}");
    for (i, a) in addresses.iter().enumerate() {
        match reverse_name(*a) {
            Some(r) => writeln!(out, "Address {}: {a} {r}", i + 1),
            None => writeln!(out, "Address {}: {a}", i + 1),
        }
        .ok();
    }
}

/// What busybox 1.28's `nslookup NAME` prints (stdout, stderr) when its nameserver
/// `server_name` does not answer: the server without a reverse name, then the failure.
pub fn nslookup_libc_unanswered(server_name: &str, name: &str) -> (String, String) {
    let mut text = String::new();
    let addresses: Vec<IpAddr> = server_name.parse().ok().into_iter().collect();
    print_host(&mut text, "Server:", server_name, &addresses, &mut |_| None);
    text.push('\n');
    (text, cant_resolve(name))
}

/// busybox 1.28's error for a name libc did not resolve.
fn cant_resolve(name: &str) -> String {
    format!("nslookup: can't resolve '{name}'\n")
}

/// busybox 1.28's `nslookup NAME` from a container with resolv.conf `conf`, whose nameserver
/// `server_name` answered through `server`.
pub fn nslookup_libc(
    conf: &ResolvConf,
    server_name: &str,
    name: &str,
    server: &dyn DnsServer,
    rng: &mut dyn Rng,
) -> NsLookup {
    let mut text = String::new();
    let server_ip: Option<IpAddr> = server_name.parse().ok();
    let server_addresses: Vec<IpAddr> = server_ip.into_iter().collect();
    print_host(&mut text, "Server:", server_name, &server_addresses, &mut |ip| reverse(ip, server, rng));
    text.push('\n');
    let (addresses, answered_as) = match name.parse::<IpAddr>() {
        Ok(ip) => (vec![ip], name.to_string()),
        Err(_) => {
            let found = resolve(conf, name, server, rng);
            (found.addresses, found.name.unwrap_or_default())
        }
    };
    if addresses.is_empty() {
        let errors = cant_resolve(name);
        return NsLookup { queries: Vec::new(), answer: None, text, errors, exit_code: 1 };
    }
    print_host(&mut text, "Name:", name, &addresses, &mut |ip| reverse(ip, server, rng));
    let answer = NsAnswer { name: answered_as, addresses, cname: None };
    NsLookup { queries: Vec::new(), answer: Some(answer), text, errors: String::new(), exit_code: 0 }
}

/// BIND's `nslookup NAME`: A records of the first name of the search list that has any (an
/// address is asked for its PTR), printed under that name.
pub fn nslookup_bind(
    conf: &ResolvConf,
    server_name: &str,
    name: &str,
    server: &dyn DnsServer,
    rng: &mut dyn Rng,
) -> NsLookup {
    let mut text = format!("Server:\t\t{server_name}\nAddress:\t{server_name}#53\n\n");
    if let Ok(ip) = name.parse::<IpAddr>() {
        return match reverse(ip, server, rng) {
            Some(r) => {
                let ptr = ptr_name(name).unwrap_or_default();
                let _ = writeln!(text, "{ptr}\tname = {r}.\n");
                let answer = NsAnswer { name: r, addresses: Vec::new(), cname: None };
                NsLookup { queries: Vec::new(), answer: Some(answer), text, errors: String::new(), exit_code: 0 }
            }
            None => {
                let _ = writeln!(text, "** server can't find {name}: NXDOMAIN\n");
                NsLookup { queries: Vec::new(), answer: None, text, errors: String::new(), exit_code: 1 }
            }
        };
    }
    for candidate in search_order(conf, name) {
        let r = server.answer(&candidate, QType::A, rng);
        if r.rcode == Rcode::Refused {
            break;
        }
        if r.rcode != Rcode::NoError || r.answers.is_empty() {
            continue;
        }
        if !r.authoritative {
            text.push_str("Non-authoritative answer:\n");
        }
        let mut cname = None;
        for rec in &r.answers {
            let _ = match &rec.data {
                Data::Addr(a) => writeln!(text, "Name:\t{}\nAddress: {a}", rec.name),
                Data::Cname(t) => {
                    cname = Some(t.clone());
                    writeln!(text, "{}\tcanonical name = {}.", rec.name, t.trim_end_matches('.'))
                }
                _ => Ok(()),
            };
        }
        text.push('\n');
        let answer = NsAnswer { name: candidate, addresses: r.addresses().collect(), cname };
        return NsLookup { queries: Vec::new(), answer: Some(answer), text, errors: String::new(), exit_code: 0 };
    }
    let _ = writeln!(text, "** server can't find {name}: NXDOMAIN\n");
    NsLookup { queries: Vec::new(), answer: None, text, errors: String::new(), exit_code: 1 }
}
