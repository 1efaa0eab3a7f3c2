//! busybox 1.36's `nslookup` (networking/nslookup.c), as the `busybox` image has it: its own
//! queries, not libc's. An IP address is asked for its PTR; any other name for A and then AAAA,
//! each under every search domain of resolv.conf when the name has no dot (no `ndots`: a name
//! with a dot is asked only as it is), all sent at once. Each reply is printed as it comes, in
//! the order sent here; a reply other than NOERROR makes the exit code 1.

use std::fmt::Write;
use std::net::IpAddr;

use rand_chacha::rand_core::Rng;

use super::{Data, DnsServer, QType, Rcode, Response};
use crate::node::kubelet::dns::ResolvConf;

/// How long busybox waits for a server (`-timeout=`, 5s, spread over `-retry=2` sends) before it
/// tries the next one.
pub const NSLOOKUP_TIMEOUT_SECONDS: u32 = 5;
/// busybox's `-retry=`: the sends spread over its timeout.
const NSLOOKUP_RETRIES: usize = 2;

/// One question sent and its reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub name: String,
    pub qtype: QType,
    pub response: Response,
}

/// The answer the script sees: the first reply with addresses (or an alias).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsAnswer {
    pub name: String,
    pub addresses: Vec<IpAddr>,
    pub cname: Option<String>,
}

/// What one `nslookup` run asked, found and printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsLookup {
    pub queries: Vec<Query>,
    pub answer: Option<NsAnswer>,
    pub text: String,
    /// What it wrote to standard error.
    pub errors: String,
    pub exit_code: i32,
}

/// `make_ptr`: an IPv4 address as its `in-addr.arpa` name.
pub(super) fn ptr_name(name: &str) -> Option<String> {
    match name.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => {
            let o = a.octets();
            Some(format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0]))
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return ptr_name(&v4.to_string());
            }
            let mut s = String::new();
            for b in a.octets().iter().rev() {
                let _ = write!(s, "{:x}.{:x}.", b & 0xf, b >> 4);
            }
            s.push_str("ip6.arpa");
            Some(s)
        }
    }
}

/// `add_query_with_search`: PTR questions and names with a dot go as they are; others under
/// each search domain (none when resolv.conf has no search line).
fn with_search(conf: &ResolvConf, qtype: QType, name: &str, out: &mut Vec<(String, QType)>) {
    if qtype == QType::Ptr || conf.searches.is_empty() || name.contains('.') {
        out.push((name.to_string(), qtype));
        return;
    }
    for domain in &conf.searches {
        out.push((format!("{name}.{domain}"), qtype));
    }
}

/// The questions busybox sends for `name`: with `-type=` given, that type; else PTR for an
/// address, A then AAAA for a name.
fn questions(conf: &ResolvConf, name: &str, qtype: Option<QType>) -> Vec<(String, QType)> {
    let mut out = Vec::new();
    match (qtype, ptr_name(name)) {
        (Some(t), _) => with_search(conf, t, name, &mut out),
        (None, Some(ptr)) => out.push((ptr, QType::Ptr)),
        (None, None) => {
            with_search(conf, QType::A, name, &mut out);
            with_search(conf, QType::Aaaa, name, &mut out);
        }
    }
    out
}

/// `parse_reply`: the records of a NOERROR reply.
fn print_reply(r: &Response, out: &mut String) {
    if !r.authoritative {
        out.push_str("Non-authoritative answer:\n");
    }
    for rec in &r.answers {
        let _ = match &rec.data {
            Data::Addr(a) => writeln!(out, "Name:\t{}\nAddress: {a}", rec.name),
            Data::Cname(t) => writeln!(out, "{}\tcanonical name = {t}", rec.name),
            Data::Ptr(t) => writeln!(out, "{}\tname = {t}", rec.name),
            Data::Srv { priority, weight, port, target } => {
                writeln!(out, "{}\tservice = {priority} {weight} {port} {target}", rec.name)
            }
            Data::Txt(t) => writeln!(out, "{}\ttext = \"{t}\"", rec.name),
        };
    }
}

/// busybox's `nslookup NAME` (or `-type=T NAME`) from a container with resolv.conf `conf`,
/// whose nameserver `server_name` (as resolv.conf writes it) answered through `server`.
pub fn nslookup(
    conf: &ResolvConf,
    server_name: &str,
    name: &str,
    qtype: Option<QType>,
    server: &dyn DnsServer,
    rng: &mut dyn Rng,
) -> NsLookup {
    let mut text = format!("Server:\t\t{server_name}\nAddress:\t{server_name}:53\n\n");
    let mut result =
        NsLookup { queries: Vec::new(), answer: None, text: String::new(), errors: String::new(), exit_code: 0 };
    for (qname, t) in questions(conf, name, qtype) {
        let response = server.answer(&qname, t, rng);
        if response.rcode != Rcode::NoError {
            let _ = writeln!(text, "** server can't find {qname}: {}", response.rcode);
            result.exit_code = 1;
        } else {
            print_reply(&response, &mut text);
        }
        text.push('\n');
        if result.answer.is_none() {
            result.answer = summary(&response);
        }
        result.queries.push(Query { name: qname, qtype: t, response });
    }
    result.text = text;
    result
}

/// The reply's addresses under the name they answer, and the alias it went through; for a
/// reverse lookup, the name the address has.
fn summary(r: &Response) -> Option<NsAnswer> {
    if let Some(Data::Ptr(target)) = r.answers.first().map(|rec| &rec.data) {
        return Some(NsAnswer { name: target.clone(), addresses: Vec::new(), cname: None });
    }
    let cname = r.answers.iter().find_map(|rec| match &rec.data {
        Data::Cname(t) => Some(t.clone()),
        _ => None,
    });
    let addresses: Vec<IpAddr> = r.addresses().collect();
    let first = r.answers.first()?;
    let name = r
        .answers
        .iter()
        .find(|rec| matches!(rec.data, Data::Addr(_)))
        .map_or(first.name.clone(), |rec| rec.name.clone());
    if addresses.is_empty() && cname.is_none() {
        return None;
    }
    Some(NsAnswer { name, addresses, cname })
}

/// What busybox prints when no server answered within its timeout (exit code 1).
pub fn no_servers_reached() -> &'static str {
    ";; connection timed out; no servers could be reached\n\n"
}

/// What busybox writes to standard error when the server's address refuses the queries
/// (ICMP port unreachable, as kube-proxy's REJECT for a Service without endpoints answers):
/// its `read` fails once for each of the `-retry=2` sends in its timeout, then it gives up
/// as if nothing answered.
pub fn refused_reads() -> String {
    "nslookup: read: Connection refused\n".repeat(NSLOOKUP_RETRIES)
}
