//! One request through the table: the server, the location nginx matches, the ssl-redirect, the
//! canary choice (as ingress-nginx's Lua balancer makes it) and the rewrite of the URI.

use rand_chacha::rand_core::Rng;
use regex::Regex;

use super::{Backend, Canary, Location, Match, Server, Table};

/// What the controller does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Proxied to a Service's endpoints; `uri` is what the upstream is asked for. `main` is
    /// the location's own backend, `backend` the canary's when that was chosen.
    Upstream { backend: Backend, uri: String, canary: bool, main: Backend },
    /// The controller's own default backend: nginx's 404 page.
    NotFound,
    /// ssl-redirect: 308 to `to`; `main` is the location's backend (the upstream name the
    /// access log gives).
    Redirect { to: String, main: Option<Backend> },
}

/// The route of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The `server_name` that took the request.
    pub server: String,
    /// The location block as nginx.conf has it (`= /foo`, `/foo/`, `~* "^/foo"`).
    pub location: String,
    /// `namespace/name` of the Ingress behind the location (of the canary when it was chosen).
    pub ingress: Option<String>,
    /// The Ingress of the location's own backend (the main one of a canary).
    pub main_ingress: Option<String>,
    pub answer: Answer,
}

/// nginx's page for 404 (the default backend of kind's ingress-nginx is the controller itself).
pub const NOT_FOUND_BODY: &str =
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
/// nginx's page for the 308 of ssl-redirect.
pub const REDIRECT_BODY: &str = "<html>\r\n<head><title>308 Permanent Redirect</title></head>\r\n<body>\r\n<center><h1>308 Permanent Redirect</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// A location's regex (`~* "^PATH"`), or none when the path is no valid regex (the admission
/// webhook of ingress-nginx would have refused it; here it matches nothing).
fn location_regex(path: &str) -> Option<Regex> {
    Regex::new(&format!("(?i)^{path}")).ok()
}

fn matches(server: &Server, path: &str) -> Option<usize> {
    if server.regex() {
        // Every location is a regex: nginx takes the first that matches, in the table's order.
        return server.locations.iter().position(|l| location_regex(&l.path).is_some_and(|r| r.is_match(path)));
    }
    if let Some(i) = server.locations.iter().position(|l| l.kind == Match::Exact && l.path == path) {
        return Some(i);
    }
    let prefixes = server.locations.iter().enumerate().filter(|(_, l)| l.kind != Match::Exact);
    prefixes.filter(|(_, l)| path.starts_with(l.path.as_str())).max_by_key(|(_, l)| l.path.len()).map(|(i, _)| i)
}

/// The location as nginx.tmpl's buildLocation writes it.
pub fn location_text(server: &Server, l: &Location) -> String {
    if server.regex() {
        format!("~* \"^{}\"", l.path)
    } else if l.kind == Match::Exact {
        format!("= {}", l.path)
    } else {
        l.path.clone()
    }
}

/// A request header's value (nginx's `$http_NAME`: any case, `-` and `_` alike).
fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    let same = |k: &str| k.len() == name.len() && k.bytes().zip(name.bytes()).all(|(a, b)| norm(a) == norm(b));
    headers.iter().find(|(k, _)| same(k)).map(|(_, v)| v.as_str())
}

fn norm(b: u8) -> u8 {
    if b == b'-' {
        b'_'
    } else {
        b.to_ascii_lowercase()
    }
}

/// A cookie's value (nginx's `$cookie_NAME`) from the request's `Cookie` headers.
fn cookie<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    let lines = headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("cookie"));
    lines.flat_map(|(_, v)| v.split(';')).find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Whether the canary takes the request, as the Lua balancer's `route_to_alternative_balancer`
/// decides: the header (its exact value, else its pattern, else `always`/`never`), then the
/// cookie (`always`/`never`), then a draw of 1..=total against the weight. A value that decides
/// nothing falls through to the next rule.
fn to_canary(c: &Canary, headers: &[(String, String)], rng: &mut impl Rng) -> bool {
    if let Some(v) = c.header.as_deref().and_then(|name| header(headers, name)) {
        if let Some(want) = &c.header_value {
            if v == want {
                return true;
            }
        } else if let Some(pattern) = &c.header_pattern {
            // ngx.re.match is unanchored; a pattern that fails to compile matches nothing and
            // ends the choice, as its error does.
            match Regex::new(pattern) {
                Ok(re) if re.is_match(v) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        } else if v == "always" {
            return true;
        } else if v == "never" {
            return false;
        }
    }
    match c.cookie.as_deref().and_then(|name| cookie(headers, name)) {
        Some("always") => return true,
        Some("never") => return false,
        _ => {}
    }
    // Lua's `math.random(total) <= weight`, a draw of 1..=total.
    rng.next_u32() % c.weight_total.max(1) < c.weight
}

/// nginx's `rewrite "(?i)PATH" TARGET break;`: the whole URI becomes TARGET with `$1`… filled
/// from the match; the query string is kept.
pub fn rewrite(pattern: &str, target: &str, path: &str, query: Option<&str>) -> String {
    let Ok(re) = Regex::new(&format!("(?i){pattern}")) else { return join(path, query) };
    let Some(caps) = re.captures(path) else { return join(path, query) };
    let mut out = String::new();
    let mut chars = target.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().and_then(|d| d.to_digit(10))) {
            ('$', Some(n)) => {
                chars.next();
                out.push_str(caps.get(n as usize).map_or("", |m| m.as_str()));
            }
            _ => out.push(c),
        }
    }
    match query {
        Some(q) if out.contains('?') => format!("{out}&{q}"),
        _ => join(&out, query),
    }
}

fn join(path: &str, query: Option<&str>) -> String {
    match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    }
}

impl Table {
    /// How the controller answers `scheme://host/uri` with these headers; `rng` draws for canary
    /// weights.
    pub fn route(
        &self,
        scheme: &str,
        host: &str,
        uri: &str,
        headers: &[(String, String)],
        rng: &mut impl Rng,
    ) -> Route {
        let server = self.server(host);
        let (path, query) = match uri.split_once('?') {
            Some((p, q)) => (if p.is_empty() { "/" } else { p }, Some(q)),
            None => (if uri.is_empty() { "/" } else { uri }, None),
        };
        let Some(i) = matches(server, path) else {
            return Route {
                server: server.host.clone(),
                location: String::new(),
                ingress: None,
                main_ingress: None,
                answer: Answer::NotFound,
            };
        };
        let l = &server.locations[i];
        let mut route = Route {
            server: server.host.clone(),
            location: location_text(server, l),
            ingress: l.ingress.clone(),
            main_ingress: l.ingress.clone(),
            answer: Answer::NotFound,
        };
        // lua_ingress's redirect_to_https: forced, or on when a certificate is configured for
        // the Host; without `preserve-trailing-slash`, the URI loses its last `/`.
        let configured = self.certificate_server(host).is_some();
        if scheme == "http" && (l.force_ssl_redirect || (l.ssl_redirect && configured)) {
            let host = host.split(':').next().unwrap_or_default();
            let mut uri = join(path, query);
            if !l.preserve_trailing_slash && uri.ends_with('/') {
                uri.pop();
            }
            route.answer = Answer::Redirect { to: format!("https://{host}{uri}"), main: l.backend.clone() };
            return route;
        }
        let Some(main) = &l.backend else { return route };
        let canary = l.canary.as_ref().filter(|c| to_canary(c, headers, rng));
        let uri = match &l.rewrite {
            Some(target) => rewrite(&l.path, target, path, query),
            None => join(path, query),
        };
        let backend = match canary {
            Some(c) => {
                route.ingress = Some(c.ingress.clone());
                c.backend.clone()
            }
            None => main.clone(),
        };
        route.answer = Answer::Upstream { backend, uri, canary: canary.is_some(), main: main.clone() };
        route
    }
}
