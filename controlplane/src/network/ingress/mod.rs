//! ingress-nginx's routing table, built as its controller builds nginx.conf: the Ingresses of
//! its class become servers by host (with `_` as the catch-all) and locations by path, and
//! `route` answers for one request as the generated nginx would: exact locations first, then
//! the longest prefix, or the first matching regex when the host uses regexes; canary
//! Ingresses as alternative backends; hosts with a certificate redirect plain HTTP with 308.

pub mod balancer;
pub mod cert;
pub mod hop;
pub mod leader;
pub mod manifest;
mod route;
pub mod status;
#[cfg(test)]
mod tests;
pub mod tls;
pub mod webhook;

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{Ingress, IngressBackend, IngressClass};

pub use route::{Answer, Route, NOT_FOUND_BODY, REDIRECT_BODY};

/// The `spec.controller` of ingress-nginx's IngressClass.
pub const CONTROLLER: &str = "k8s.io/ingress-nginx";
/// The legacy `kubernetes.io/ingress.class` value the controller answers to (`--ingress-class`).
pub const ANNOTATION_CLASS: &str = "nginx";
const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
const PREFIX: &str = "nginx.ingress.kubernetes.io/";
/// nginx's `server_name _`: hosts no rule names.
pub const CATCH_ALL: &str = "_";

/// A Service port an Ingress sends to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub namespace: String,
    pub service: String,
    /// The port's number, or its name in the Service.
    pub port: Port,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Port {
    Number(i32),
    Name(String),
}

/// How a location's path is matched, as nginx.tmpl writes the location block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// `location = /path`
    Exact,
    /// `location /path/` plus an exact `location = /path` (see `split_prefixes`)
    Prefix,
    /// `location /path`: a plain string prefix, as ingress-nginx treats ImplementationSpecific
    Implementation,
}

/// One `location` of a server.
#[derive(Debug, Clone)]
pub struct Location {
    pub path: String,
    pub kind: Match,
    /// The upstream; `None` is the controller's own default backend (404).
    pub backend: Option<Backend>,
    /// `namespace/name` of the Ingress it came from.
    pub ingress: Option<String>,
    pub rewrite: Option<String>,
    pub use_regex: bool,
    pub ssl_redirect: bool,
    /// `force-ssl-redirect`: redirect plain HTTP even without a certificate for the host.
    pub force_ssl_redirect: bool,
    /// `preserve-trailing-slash`: keep the URI's last `/` in the redirect.
    pub preserve_trailing_slash: bool,
    /// The root location the server starts with, until a rule's `/` replaces it.
    default: bool,
    pub canary: Option<Canary>,
}

/// A canary Ingress's backend for a location, and when requests go to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canary {
    pub backend: Backend,
    pub ingress: String,
    pub header: Option<String>,
    pub header_value: Option<String>,
    /// `canary-by-header-pattern`, when no `canary-by-header-value` is given.
    pub header_pattern: Option<String>,
    pub cookie: Option<String>,
    /// Out of `weight_total` (`canary-weight-total`, 100 unless more).
    pub weight: u32,
    pub weight_total: u32,
}

/// One `server` block.
#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    /// The `spec.tls` of the first Ingress with one among those naming the host: the server has
    /// a certificate (its Secret's, or the default one when that cannot be had).
    pub tls: Option<Tls>,
    pub locations: Vec<Location>,
}

/// What an Ingress's `spec.tls` says of one of its hosts' certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// `namespace/name` of the Ingress.
    pub ingress: String,
    pub namespace: String,
    /// The `secretName` of the entry that lists the host (empty when it gives none).
    pub listed: Option<String>,
    /// Else the Ingress's secret names, the first whose certificate names the host taken.
    pub others: Vec<String>,
}

impl Server {
    /// Every location is a case-insensitive regex when any of the host's uses `use-regex` or
    /// `rewrite-target` (ingress-nginx's "enforce regex" rule).
    pub fn regex(&self) -> bool {
        self.locations.iter().any(|l| l.use_regex || l.rewrite.is_some())
    }
}

/// The servers of one controller, by host.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub servers: BTreeMap<String, Server>,
}

fn annotation<'a>(ing: &'a Ingress, key: &str) -> Option<&'a str> {
    ing.metadata.annotations.as_ref()?.get(&format!("{PREFIX}{key}")).map(String::as_str)
}

fn key(ing: &Ingress) -> String {
    format!(
        "{}/{}",
        ing.metadata.namespace.as_deref().unwrap_or_default(),
        ing.metadata.name.as_deref().unwrap_or_default()
    )
}

/// Whether the controller takes this Ingress, as its store decides: its `ingressClassName`
/// names an IngressClass of ingress-nginx, else its legacy annotation says `nginx`, else it has
/// no class and the controller runs with `--watch-ingress-without-class` (kind's manifest does).
pub fn ours(ing: &Ingress, classes: &[IngressClass], without_class: bool) -> bool {
    if let Some(name) = ing.spec.as_ref().and_then(|s| s.ingress_class_name.as_deref()) {
        return classes.iter().any(|c| {
            c.metadata.name.as_deref() == Some(name)
                && c.spec.as_ref().and_then(|s| s.controller.as_deref()) == Some(CONTROLLER)
        });
    }
    match ing.metadata.annotations.as_ref().and_then(|a| a.get(CLASS_ANNOTATION)) {
        Some(class) => class == ANNOTATION_CLASS,
        None => without_class,
    }
}

fn backend(namespace: &str, b: &IngressBackend) -> Option<Backend> {
    let svc = b.service.as_ref()?;
    let port = svc.port.as_ref()?;
    let port = match (port.number, port.name.as_deref()) {
        (Some(n), _) => Port::Number(n),
        (None, Some(n)) if !n.is_empty() => Port::Name(n.to_string()),
        _ => return None,
    };
    Some(Backend { namespace: namespace.to_string(), service: svc.name.clone(), port })
}

fn root(backend: Option<Backend>, ingress: Option<String>) -> Location {
    Location {
        path: "/".into(),
        kind: Match::Prefix,
        backend,
        ingress,
        rewrite: None,
        use_regex: false,
        ssl_redirect: true,
        force_ssl_redirect: false,
        preserve_trailing_slash: false,
        default: true,
        canary: None,
    }
}

impl Table {
    /// The table for the Ingresses among `ingresses` that the controller takes (see `ours`).
    pub fn build(classes: &[IngressClass], ingresses: &[Ingress], without_class: bool) -> Table {
        let mut ings: Vec<&Ingress> = ingresses.iter().filter(|i| ours(i, classes, without_class)).collect();
        // Oldest first, ties by namespace/name descending (the controller's sortIngressSlice):
        // the first Ingress to claim a host or path keeps it.
        ings.sort_by(|a, b| {
            let (ta, tb) = (&a.metadata.creation_timestamp, &b.metadata.creation_timestamp);
            ta.as_ref().map(|t| t.0).cmp(&tb.as_ref().map(|t| t.0)).then_with(|| key(b).cmp(&key(a)))
        });
        let (canaries, mains): (Vec<&Ingress>, Vec<&Ingress>) =
            ings.into_iter().partition(|i| annotation(i, "canary") == Some("true"));
        let mut table = Table::default();
        table
            .servers
            .insert(CATCH_ALL.into(), Server { host: CATCH_ALL.into(), tls: None, locations: vec![root(None, None)] });
        for ing in &mains {
            table.add_servers(ing);
        }
        for ing in &mains {
            table.add_tls(ing);
        }
        for ing in &mains {
            table.add_locations(ing);
        }
        for ing in &canaries {
            table.add_canary(ing);
        }
        for server in table.servers.values_mut() {
            server.locations = split_prefixes(std::mem::take(&mut server.locations));
            // Longest path first, then by path descending: the order regex locations are tried.
            server.locations.sort_by(|a, b| b.path.cmp(&a.path));
            server.locations.sort_by_key(|l| std::cmp::Reverse(l.path.len()));
        }
        table
    }

    fn add_servers(&mut self, ing: &Ingress) {
        let Some(spec) = &ing.spec else { return };
        let ns = ing.metadata.namespace.as_deref().unwrap_or_default();
        let upstream = spec.default_backend.as_ref().and_then(|b| backend(ns, b));
        let rules = spec.rules.as_deref().unwrap_or_default();
        if let Some(up) = &upstream {
            // An Ingress with a backend and no rules configures the catch-all server.
            let def = &mut self.servers.get_mut(CATCH_ALL).expect("the catch-all server").locations[0];
            if rules.is_empty() && def.default && def.backend.is_none() {
                def.backend = Some(up.clone());
                def.ingress = Some(key(ing));
            }
        }
        for rule in rules {
            let host = rule.host.as_deref().filter(|h| !h.is_empty()).unwrap_or(CATCH_ALL).to_ascii_lowercase();
            self.servers.entry(host.clone()).or_insert_with(|| Server {
                host,
                tls: None,
                locations: vec![root(upstream.clone(), upstream.as_ref().map(|_| key(ing)))],
            });
        }
    }

    /// The first Ingress with a `spec.tls` among those with a rule for a host gives its server
    /// a certificate; the catch-all server always has the default one.
    fn add_tls(&mut self, ing: &Ingress) {
        let Some(spec) = &ing.spec else { return };
        let entries = spec.tls.as_deref().unwrap_or_default();
        if entries.is_empty() {
            return;
        }
        let ns = ing.metadata.namespace.as_deref().unwrap_or_default();
        for rule in spec.rules.iter().flatten() {
            let host = rule.host.as_deref().filter(|h| !h.is_empty()).unwrap_or(CATCH_ALL).to_ascii_lowercase();
            let Some(server) = self.servers.get_mut(&host).filter(|s| s.tls.is_none() && s.host != CATCH_ALL) else {
                continue;
            };
            let listed = entries.iter().find(|t| t.hosts.iter().flatten().any(|h| h.eq_ignore_ascii_case(&host)));
            let others = entries.iter().filter_map(|t| t.secret_name.clone().filter(|n| !n.is_empty())).collect();
            server.tls = Some(Tls {
                ingress: key(ing),
                namespace: ns.to_string(),
                listed: listed.map(|t| t.secret_name.clone().unwrap_or_default()),
                others,
            });
        }
    }

    fn add_locations(&mut self, ing: &Ingress) {
        let Some(spec) = &ing.spec else { return };
        let ns = ing.metadata.namespace.as_deref().unwrap_or_default();
        let rewrite = annotation(ing, "rewrite-target").filter(|t| !t.is_empty()).map(str::to_string);
        let use_regex = annotation(ing, "use-regex") == Some("true");
        let ssl_redirect = annotation(ing, "ssl-redirect") != Some("false");
        let force_ssl_redirect = annotation(ing, "force-ssl-redirect") == Some("true");
        let preserve_trailing_slash = annotation(ing, "preserve-trailing-slash") == Some("true");
        for rule in spec.rules.iter().flatten() {
            let host = rule.host.as_deref().filter(|h| !h.is_empty()).unwrap_or(CATCH_ALL).to_ascii_lowercase();
            let Some(server) = self.servers.get_mut(&host) else { continue };
            for p in rule.http.iter().flat_map(|h| &h.paths) {
                let Some(up) = backend(ns, &p.backend) else { continue };
                let path = p.path.as_deref().filter(|p| !p.is_empty()).unwrap_or("/").to_string();
                let kind = match p.path_type.as_str() {
                    "Exact" => Match::Exact,
                    "Prefix" => Match::Prefix,
                    _ => Match::Implementation,
                };
                let loc = Location {
                    path: path.clone(),
                    kind,
                    backend: Some(up),
                    ingress: Some(key(ing)),
                    rewrite: rewrite.clone(),
                    use_regex,
                    ssl_redirect,
                    force_ssl_redirect,
                    preserve_trailing_slash,
                    default: false,
                    canary: None,
                };
                // A path already taken stays with the Ingress that took it (whatever its type),
                // but the server's root default gives way.
                match server.locations.iter_mut().find(|l| l.path == path) {
                    Some(l) if l.default => *l = loc,
                    Some(_) => {}
                    None => server.locations.push(loc),
                }
            }
        }
    }

    /// A canary Ingress only adds an alternative backend to the same host and path of a main
    /// Ingress; with none, it routes nothing.
    fn add_canary(&mut self, ing: &Ingress) {
        let Some(spec) = &ing.spec else { return };
        let ns = ing.metadata.namespace.as_deref().unwrap_or_default();
        let canary = |b: Backend| Canary {
            backend: b,
            ingress: key(ing),
            header: annotation(ing, "canary-by-header").filter(|h| !h.is_empty()).map(str::to_string),
            header_value: annotation(ing, "canary-by-header-value").filter(|h| !h.is_empty()).map(str::to_string),
            header_pattern: annotation(ing, "canary-by-header-pattern").filter(|h| !h.is_empty()).map(str::to_string),
            cookie: annotation(ing, "canary-by-cookie").filter(|h| !h.is_empty()).map(str::to_string),
            weight: annotation(ing, "canary-weight").and_then(|w| w.parse::<u32>().ok()).unwrap_or(0),
            // The Lua balancer draws out of 100 unless the total is more.
            weight_total: annotation(ing, "canary-weight-total")
                .and_then(|w| w.parse::<u32>().ok())
                .unwrap_or(100)
                .max(100),
        };
        for rule in spec.rules.iter().flatten() {
            let host = rule.host.as_deref().filter(|h| !h.is_empty()).unwrap_or(CATCH_ALL).to_ascii_lowercase();
            let Some(server) = self.servers.get_mut(&host) else { continue };
            for p in rule.http.iter().flat_map(|h| &h.paths) {
                let Some(up) = backend(ns, &p.backend) else { continue };
                let path = p.path.as_deref().filter(|p| !p.is_empty()).unwrap_or("/");
                if let Some(l) = server.locations.iter_mut().find(|l| l.path == path && !l.default) {
                    if l.canary.is_none() {
                        l.canary = Some(canary(up));
                    }
                }
            }
        }
    }

    /// The server whose certificate TLS for `name` is served with (the Lua `certificate`
    /// module's lookup: the name, then its `*.` wildcard); None for the default certificate.
    pub fn certificate_server(&self, name: &str) -> Option<&Server> {
        let name = name.split(':').next().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase();
        let with_cert = |host: &str| self.servers.get(host).filter(|s| s.tls.is_some());
        with_cert(&name).or_else(|| with_cert(&format!("*.{}", name.split_once('.')?.1)))
    }

    /// The server nginx picks for a Host: the exact name, else the longest `*.` wildcard, else `_`.
    pub fn server(&self, host: &str) -> &Server {
        let host = host.split(':').next().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase();
        if let Some(s) = self.servers.get(&host) {
            return s;
        }
        let wild = self
            .servers
            .values()
            .filter(|s| {
                s.host.strip_prefix('*').is_some_and(|suffix| host.ends_with(suffix) && host.len() > suffix.len())
            })
            .max_by_key(|s| s.host.len());
        wild.unwrap_or_else(|| &self.servers[CATCH_ALL])
    }
}

/// A Prefix path `/foo` becomes the prefix location `/foo/` and an exact location `/foo` (unless
/// an Exact path already has it); paths with a rewrite or regex stay as written.
fn split_prefixes(locations: Vec<Location>) -> Vec<Location> {
    let exact: Vec<String> = locations.iter().filter(|l| l.kind == Match::Exact).map(|l| l.path.clone()).collect();
    let mut out = Vec::with_capacity(locations.len());
    for mut l in locations {
        if l.path == "/" || l.kind != Match::Prefix || l.default || l.rewrite.is_some() || l.use_regex {
            out.push(l);
            continue;
        }
        if !l.path.ends_with('/') {
            let had_exact = exact.contains(&l.path);
            let mut e = l.clone();
            l.path.push('/');
            if !had_exact {
                e.kind = Match::Exact;
                out.push(e);
            }
        }
        out.push(l);
    }
    out
}
