//! The routing table over a set of Ingresses: each case is a request and the route ingress-nginx
//! would take, written as `server | location | ingress | answer`.

use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use super::route::rewrite;
use super::*;

const CLASSES: &str = r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: other}
spec: {controller: example.com/other}
"#;

const INGRESSES: &str = r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /cart, pathType: Prefix, backend: {service: {name: cart, port: {name: http}}}}
      - {path: /cart/checkout, pathType: Exact, backend: {service: {name: checkout, port: {number: 8080}}}}
      - {path: /static, pathType: ImplementationSpecific, backend: {service: {name: files, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: secure
  namespace: default
  creationTimestamp: "2026-01-01T00:00:00Z"
  annotations: {nginx.ingress.kubernetes.io/preserve-trailing-slash: "true"}
spec:
  ingressClassName: nginx
  tls: [{hosts: [secure.example.com]}]
  rules:
  - host: secure.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: vault, port: {number: 443}}}}
  - host: also.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: vault, port: {number: 443}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: plain
  namespace: default
  creationTimestamp: "2026-01-01T00:00:00Z"
  annotations: {nginx.ingress.kubernetes.io/force-ssl-redirect: "true"}
spec:
  ingressClassName: nginx
  rules:
  - host: forced.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: wild
  namespace: default
  creationTimestamp: "2026-01-01T00:00:00Z"
  annotations: {nginx.ingress.kubernetes.io/ssl-redirect: "false"}
spec:
  ingressClassName: nginx
  tls: [{hosts: ["*.wild.example.com"], secretName: wild-tls}]
  rules:
  - host: "*.wild.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: wild, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: late, namespace: default, creationTimestamp: "2026-01-02T00:00:00Z"}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /cart, pathType: Prefix, backend: {service: {name: stolen, port: {number: 80}}}}
      - {path: /api, pathType: Exact, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: rewrite
  namespace: tools
  creationTimestamp: "2026-01-01T00:00:00Z"
  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$2, kubernetes.io/ingress.class: nginx}
spec:
  rules:
  - host: tools.example.com
    http:
      paths:
      - {path: /something(/|$)(.*), pathType: ImplementationSpecific, backend: {service: {name: echo, port: {number: 5678}}}}
      - {path: /exact, pathType: Exact, backend: {service: {name: exact, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: fallback, namespace: default, creationTimestamp: "2026-01-03T00:00:00Z"}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: elsewhere, namespace: default, creationTimestamp: "2025-01-01T00:00:00Z"}
spec:
  ingressClassName: other
  rules:
  - host: shop.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: theirs, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: legacy-other
  namespace: default
  annotations: {kubernetes.io/ingress.class: traefik}
spec:
  rules:
  - host: legacy.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: traefik, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: app, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: app-default, port: {number: 80}}}
  rules:
  - host: app.example.com
    http: {paths: [{path: /v1, pathType: Prefix, backend: {service: {name: app-v1, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-canary
  namespace: default
  creationTimestamp: "2026-01-01T00:00:00Z"
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-by-header: X-Canary
    nginx.ingress.kubernetes.io/canary-weight: "30"
spec:
  ingressClassName: nginx
  rules:
  - host: app.example.com
    http: {paths: [{path: /v1, pathType: Prefix, backend: {service: {name: app-v2, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop-canary
  namespace: default
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-by-header: X-Beta
    nginx.ingress.kubernetes.io/canary-by-header-value: yes-please
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web-beta, port: {number: 80}}}}]}
  - host: nowhere.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: orphan, port: {number: 80}}}}]}
"#;

fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Vec<T> {
    serde_yaml::Deserializer::from_str(text).map(|d| T::deserialize(d).expect("a valid manifest")).collect()
}

fn table() -> Table {
    let classes: Vec<IngressClass> = parse(CLASSES);
    let ings: Vec<Ingress> = parse(INGRESSES);
    Table::build(&classes, &ings, true)
}

fn show(r: &Route) -> String {
    let answer = match &r.answer {
        Answer::Upstream { backend, uri, canary, .. } => {
            let port = match &backend.port {
                Port::Number(n) => n.to_string(),
                Port::Name(n) => n.clone(),
            };
            let tag = if *canary { " (canary)" } else { "" };
            format!("{}/{}:{port} {uri}{tag}", backend.namespace, backend.service)
        }
        Answer::NotFound => "404".into(),
        Answer::Redirect { to, .. } => format!("308 {to}"),
    };
    format!("{} | {} | {} | {answer}", r.server, r.location, r.ingress.as_deref().unwrap_or("-"))
}

/// `SCHEME HOST URI [HEADER=VALUE]`.
fn ask(t: &Table, req: &str, rng: &mut ChaCha8Rng) -> String {
    let mut words = req.split(' ');
    let (scheme, host, uri) = (words.next().unwrap(), words.next().unwrap(), words.next().unwrap());
    let headers: Vec<(String, String)> =
        words.filter_map(|w| w.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    show(&t.route(scheme, host, uri, &headers, rng))
}

#[test]
fn routes_as_ingress_nginx() {
    let t = table();
    let cases = [
        // Prefix matches by path element: /cart, /cart/ and below, not /cartoon.
        ("http shop.example.com /", "shop.example.com | / | default/shop | default/web:80 /"),
        ("http shop.example.com /cart", "shop.example.com | = /cart | default/shop | default/cart:http /cart"),
        (
            "http shop.example.com /cart/items?id=3",
            "shop.example.com | /cart/ | default/shop | default/cart:http /cart/items?id=3",
        ),
        ("http shop.example.com /cartoon", "shop.example.com | / | default/shop | default/web:80 /cartoon"),
        // Exact beats the longer prefix only for its own path.
        (
            "http shop.example.com /cart/checkout",
            "shop.example.com | = /cart/checkout | default/shop | default/checkout:8080 /cart/checkout",
        ),
        (
            "http shop.example.com /cart/checkout/",
            "shop.example.com | /cart/ | default/shop | default/cart:http /cart/checkout/",
        ),
        // ImplementationSpecific is nginx's plain string prefix.
        (
            "http shop.example.com /staticfiles/a.css",
            "shop.example.com | /static | default/shop | default/files:80 /staticfiles/a.css",
        ),
        // The older Ingress keeps /cart; the newer one still adds /api (Exact).
        ("http shop.example.com /api", "shop.example.com | = /api | default/late | default/api:80 /api"),
        ("http shop.example.com /api/v2", "shop.example.com | / | default/shop | default/web:80 /api/v2"),
        // Host matching ignores case and port.
        ("http SHOP.example.com:80 /cart", "shop.example.com | = /cart | default/shop | default/cart:http /cart"),
        // rewrite-target (on every path of its Ingress): every location of the host becomes a case-insensitive regex.
        (
            "http tools.example.com /something/new?x=1",
            "tools.example.com | ~* \"^/something(/|$)(.*)\" | tools/rewrite | tools/echo:5678 /new?x=1",
        ),
        (
            "http tools.example.com /SOMETHING",
            "tools.example.com | ~* \"^/something(/|$)(.*)\" | tools/rewrite | tools/echo:5678 /",
        ),
        ("http tools.example.com /exactly", "tools.example.com | ~* \"^/exact\" | tools/rewrite | tools/exact:80 /"),
        ("http tools.example.com /other", "tools.example.com | ~* \"^/\" | - | 404"),
        // An unknown host goes to the catch-all, which an Ingress without rules configured.
        ("http unknown.example.com /x", "_ | / | default/fallback | default/fallback:80 /x"),
        ("http 172.18.0.2 /", "_ | / | default/fallback | default/fallback:80 /"),
        // An Ingress's defaultBackend answers paths of its hosts that no rule matches.
        ("http app.example.com /v2", "app.example.com | / | default/app | default/app-default:80 /v2"),
        // Ingresses of another class route nothing here.
        ("http legacy.example.com /", "_ | / | default/fallback | default/fallback:80 /"),
        // Hosts with a certificate redirect plain HTTP, and answer HTTPS; every host of an
        // Ingress with a `spec.tls` has one, listed or not.
        (
            "http secure.example.com /a?b=c",
            "secure.example.com | / | default/secure | 308 https://secure.example.com/a?b=c",
        ),
        ("https secure.example.com /a", "secure.example.com | / | default/secure | default/vault:443 /a"),
        ("http also.example.com /a/", "also.example.com | / | default/secure | 308 https://also.example.com/a/"),
        // Without preserve-trailing-slash the redirect drops the URI's last `/`.
        ("http forced.example.com /", "forced.example.com | / | default/plain | 308 https://forced.example.com"),
        ("https forced.example.com /", "forced.example.com | / | default/plain | default/web:80 /"),
        // ssl-redirect "false": plain HTTP is served, on a wildcard host too.
        ("http a.wild.example.com /", "*.wild.example.com | / | default/wild | default/wild:80 /"),
        // No certificate for the host: no redirect.
        ("http shop.example.com /", "shop.example.com | / | default/shop | default/web:80 /"),
        // Canary by header: always, never, or the value it asks for.
        (
            "http app.example.com /v1 X-Canary=always",
            "app.example.com | = /v1 | default/app-canary | default/app-v2:80 /v1 (canary)",
        ),
        (
            "http app.example.com /v1/x x-canary=always",
            "app.example.com | /v1/ | default/app-canary | default/app-v2:80 /v1/x (canary)",
        ),
        (
            "http shop.example.com / X-Beta=yes-please",
            "shop.example.com | / | default/shop-canary | default/web-beta:80 / (canary)",
        ),
        ("http shop.example.com / X-Beta=always", "shop.example.com | / | default/shop | default/web:80 /"),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut failed = Vec::new();
    for (req, want) in cases {
        let got = ask(&t, req, &mut rng);
        if got != want {
            failed.push(format!("{req}\n  got:  {got}\n  want: {want}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn canary_weight_follows_the_seeded_draws() {
    let t = table();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut mirror = rng.clone();
    let mut canary = 0;
    for _ in 0..1000 {
        let expect = (mirror.next_u32() % 100) < 30;
        let got = ask(&t, "http app.example.com /v1", &mut rng);
        assert_eq!(got.ends_with("(canary)"), expect, "{got}");
        canary += usize::from(expect);
    }
    // 30% of 1000, within what chance allows.
    assert!((240..=360).contains(&canary), "{canary}");
    // `never` keeps every request off the canary, whatever the weight.
    for _ in 0..50 {
        assert!(!ask(&t, "http app.example.com /v1 X-Canary=never", &mut rng).ends_with("(canary)"));
    }
}

#[test]
fn classes() {
    let classes: Vec<IngressClass> = parse(CLASSES);
    let ings: Vec<Ingress> = parse(INGRESSES);
    let names: Vec<&str> =
        ings.iter().filter(|i| ours(i, &classes, true)).map(|i| i.metadata.name.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        ["shop", "secure", "plain", "wild", "late", "rewrite", "fallback", "app", "app-canary", "shop-canary"]
    );
    // Without --watch-ingress-without-class, an Ingress without a class is nobody's.
    let late = ings.iter().find(|i| i.metadata.name.as_deref() == Some("late")).unwrap();
    assert!(!ours(late, &classes, false));
    assert!(ours(&ings[0], &classes, false));
    // A class name of another controller's IngressClass, or of none, is not ours.
    let theirs: Vec<IngressClass> = parse(&CLASSES.replace("k8s.io/ingress-nginx", "example.com/x"));
    assert!(!ours(&ings[0], &theirs, true));
}

#[test]
fn rewrites_as_nginx() {
    assert_eq!(rewrite("/something(/|$)(.*)", "/$2", "/something/a/b", None), "/a/b");
    assert_eq!(rewrite("/foo", "/", "/foo/bar", Some("q=1")), "/?q=1");
    assert_eq!(rewrite("/foo", "/x?y=1", "/foo", Some("q=1")), "/x?y=1&q=1");
    assert_eq!(rewrite("/api/(.*)", "/v2/$1$9", "/api/users", None), "/v2/users");
    assert_eq!(rewrite("/nomatch", "/", "/foo", None), "/foo");
    // A path that is no regex leaves the URI alone rather than failing.
    assert_eq!(rewrite("/bad(", "/", "/bad(", None), "/bad(");
}

#[test]
fn access_log_lines_as_upstreaminfo_writes_them() {
    use crate::network::ingress::hop::{access_line, Logged};
    use crate::node::container::http::{HttpRequest, HttpResponse};
    let now = crate::sim::clock::epoch();
    let headers = vec![("X-Canary".to_string(), "always".to_string())];
    let req = HttpRequest {
        method: "GET",
        path: "/",
        client: "",
        client_port: 0,
        agent: "curl/8.5.0",
        host: "web.example.com",
        headers: &headers,
    };
    let answer = HttpResponse { status: 200, body: "banana\n".into() };
    let canary = Logged {
        upstream: "default-apple-5678".into(),
        alternative: "default-banana-5678".into(),
        addr: Some("10.244.2.4:5678".into()),
    };
    // "GET / HTTP/1.1\r\n" 16, "Host: web.example.com\r\n" 23, "Accept: */*\r\n" 13,
    // "User-Agent: curl/8.5.0\r\n" 24, "X-Canary: always\r\n" 18, "\r\n" 2.
    assert_eq!(
        access_line(now, "172.18.0.1".parse().unwrap(), &req, &answer, &canary, "0123456789abcdef0123456789abcdef"),
        "172.18.0.1 - - [01/Jan/2025:00:00:00 +0000] \"GET / HTTP/1.1\" 200 7 \"-\" \"curl/8.5.0\" 96 0.000 [default-apple-5678] [default-banana-5678] 10.244.2.4:5678 7 0.000 200 0123456789abcdef0123456789abcdef"
    );
}

#[test]
fn access_log_lines_of_answers_nginx_gives_itself() {
    use crate::network::ingress::hop::{access_line, Logged};
    use crate::node::container::http::{HttpRequest, HttpResponse};
    let now = crate::sim::clock::epoch();
    let req = HttpRequest {
        method: "GET",
        path: "/",
        client: "",
        client_port: 0,
        agent: "curl/8.5.0",
        host: "secure.example.com",
        headers: &[],
    };
    let redirect = HttpResponse { status: 308, body: REDIRECT_BODY.into() };
    let logged = Logged { upstream: "default-banana-5678".into(), alternative: String::new(), addr: None };
    let id = "0123456789abcdef0123456789abcdef";
    // No upstream was asked: its address, length, time and status are `-`.
    assert_eq!(
        access_line(now, "172.18.0.1".parse().unwrap(), &req, &redirect, &logged, id),
        format!("172.18.0.1 - - [01/Jan/2025:00:00:00 +0000] \"GET / HTTP/1.1\" 308 {} \"-\" \"curl/8.5.0\" 81 0.000 [default-banana-5678] [] - - - - {id}", REDIRECT_BODY.len())
    );
}

/// A table of `web.example.com` with a canary Ingress annotated with `annotations`.
fn canary_table(annotations: &str) -> Table {
    let text = format!(
        r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}}
spec:
  ingressClassName: nginx
  rules:
  - host: web.example.com
    http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: stable, port: {{number: 80}}}}}}}}]}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web-canary
  namespace: default
  creationTimestamp: "2026-01-01T00:00:00Z"
  annotations: {{nginx.ingress.kubernetes.io/canary: "true", {annotations}}}
spec:
  ingressClassName: nginx
  rules:
  - host: web.example.com
    http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: canary, port: {{number: 80}}}}}}}}]}}
"#
    );
    Table::build(&parse::<IngressClass>(CLASSES), &parse::<Ingress>(&text), true)
}

/// Of 200 requests with these headers, how many went to the canary.
fn to_canary(t: &Table, headers: &[(&str, &str)]) -> usize {
    let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    (0..200)
        .filter(|_| {
            matches!(
                t.route("http", "web.example.com", "/", &headers, &mut rng).answer,
                Answer::Upstream { canary: true, .. }
            )
        })
        .count()
}

#[test]
fn canary_by_cookie_and_header_pattern_in_the_balancers_order() {
    let by_cookie = canary_table(r#"nginx.ingress.kubernetes.io/canary-by-cookie: beta"#);
    assert_eq!(to_canary(&by_cookie, &[("Cookie", "session=1; beta=always")]), 200);
    assert_eq!(to_canary(&by_cookie, &[("cookie", "BETA=always")]), 200, "cookie names in any case, as nginx's");
    assert_eq!(to_canary(&by_cookie, &[("Cookie", "beta=never")]), 0);
    // Another value decides nothing: the weight (0) does.
    assert_eq!(to_canary(&by_cookie, &[("Cookie", "beta=yes")]), 0);
    assert_eq!(to_canary(&by_cookie, &[("Cookie", "other=always")]), 0);

    // The header comes before the cookie; a value it does not decide falls through to it.
    let both = canary_table(
        r#"nginx.ingress.kubernetes.io/canary-by-header: X-Canary, nginx.ingress.kubernetes.io/canary-by-cookie: beta, nginx.ingress.kubernetes.io/canary-weight: "50""#,
    );
    assert_eq!(to_canary(&both, &[("X-Canary", "never"), ("Cookie", "beta=always")]), 0);
    assert_eq!(to_canary(&both, &[("x_canary", "always"), ("Cookie", "beta=never")]), 200, "nginx's $http_x_canary");
    assert_eq!(to_canary(&both, &[("X-Canary", "maybe"), ("Cookie", "beta=always")]), 200);
    let weighted = to_canary(&both, &[("X-Canary", "maybe")]);
    assert!((70..=130).contains(&weighted), "{weighted} of 200 by a weight of 50");

    // A pattern (unanchored, as ngx.re.match), unless a value is given.
    let pattern = canary_table(
        r#"nginx.ingress.kubernetes.io/canary-by-header: X-Region, nginx.ingress.kubernetes.io/canary-by-header-pattern: "^(eu|us)-west""#,
    );
    assert_eq!(to_canary(&pattern, &[("X-Region", "eu-west-1")]), 200);
    assert_eq!(to_canary(&pattern, &[("X-Region", "ap-south-1")]), 0);
    // With a pattern, always is just another value.
    assert_eq!(to_canary(&pattern, &[("X-Region", "always")]), 0);
    let value_wins = canary_table(
        r#"nginx.ingress.kubernetes.io/canary-by-header: X-Region, nginx.ingress.kubernetes.io/canary-by-header-value: eu, nginx.ingress.kubernetes.io/canary-by-header-pattern: ".*""#,
    );
    assert_eq!(to_canary(&value_wins, &[("X-Region", "us")]), 0);
    assert_eq!(to_canary(&value_wins, &[("X-Region", "eu")]), 200);
    // A pattern that fails to compile ends the choice: the main backend, whatever the weight.
    let broken = canary_table(
        r#"nginx.ingress.kubernetes.io/canary-by-header: X-Region, nginx.ingress.kubernetes.io/canary-by-header-pattern: "(", nginx.ingress.kubernetes.io/canary-weight: "100""#,
    );
    assert_eq!(to_canary(&broken, &[("X-Region", "x")]), 0);
    assert_eq!(to_canary(&broken, &[]), 200);

    // canary-weight-total: a weight of 1 in 1000.
    let total = canary_table(
        r#"nginx.ingress.kubernetes.io/canary-weight: "500", nginx.ingress.kubernetes.io/canary-weight-total: "1000""#,
    );
    let half = to_canary(&total, &[]);
    assert!((70..=130).contains(&half), "{half}");
}

/// A fixture of the TLS scenario: self-signed `secure.crt`/`secure.key` (RSA, secure.example.com),
/// `other.key` (RSA, PKCS #8), `ca.crt` and the EC `web.crt`/`web.key` it issued (web.example.com
/// and `*.web.example.com`), all valid from 2024 to 2034.
fn pem(name: &str) -> &'static str {
    match name {
        "secure.crt" => include_str!("../../../../tests/scenarios/network/tls/secure.crt"),
        "secure.key" => include_str!("../../../../tests/scenarios/network/tls/secure.key"),
        "other.key" => include_str!("../../../../tests/scenarios/network/tls/other.key"),
        "ca.crt" => include_str!("../../../../tests/scenarios/network/tls/ca.crt"),
        "web.crt" => include_str!("../../../../tests/scenarios/network/tls/web.crt"),
        "web.key" => include_str!("../../../../tests/scenarios/network/tls/web.key"),
        _ => "",
    }
}

fn pair(crt: &str, key: &str) -> Result<cert::Certificate, cert::PairError> {
    cert::key_pair(pem(crt).as_bytes(), pem(key).as_bytes())
}

#[test]
fn key_pairs_as_go_checks_them() {
    use cert::PairError;
    let secure = pair("secure.crt", "secure.key").unwrap();
    assert_eq!((secure.subject.as_str(), secure.issuer.as_str()), ("CN=secure.example.com", "CN=secure.example.com"));
    assert_eq!(secure.dns_names, ["secure.example.com"]);
    assert!(secure.self_signed());
    let web = pair("web.crt", "web.key").unwrap();
    assert_eq!((web.subject.as_str(), web.issuer.as_str()), ("CN=web.example.com", "O=Example, CN=Example Root CA"));
    assert_eq!(web.not_before.to_rfc3339(), "2024-01-01T00:00:00+00:00");
    assert_eq!(pair("secure.crt", "other.key"), Err(PairError::Mismatch));
    assert_eq!(pair("web.crt", "secure.key"), Err(PairError::KeyType));
    assert_eq!(pair("secure.key", "secure.crt"), Err(PairError::Switched));
    assert_eq!(pair("secure.crt", "secure.crt"), Err(PairError::CertificateAsKey));
    assert_eq!(
        cert::key_pair(b"", b"").unwrap_err().to_string(),
        "tls: failed to find any PEM data in certificate input"
    );
    assert_eq!(cert::key_pair(pem("secure.crt").as_bytes(), b"junk"), Err(PairError::NoKey));
    // A certificate block whose DER is cut short, and a key that is no key.
    let cut = "-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0B\n-----END CERTIFICATE-----\n";
    assert_eq!(cert::key_pair(cut.as_bytes(), pem("secure.key").as_bytes()), Err(PairError::Malformed));
    let not_key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert_eq!(cert::key_pair(pem("secure.crt").as_bytes(), not_key.as_bytes()), Err(PairError::BadKey));
}

#[test]
fn curl_checks_the_chain_the_time_and_the_name() {
    let now = crate::sim::clock::epoch();
    let secure = pair("secure.crt", "secure.key").unwrap();
    let web = pair("web.crt", "web.key").unwrap();
    let ca = cert::bundle(pem("ca.crt").as_bytes()).unwrap();
    let problem = |e: &str| Err(format!("SSL certificate problem: {e}"));
    assert_eq!(secure.verify("secure.example.com", &[], now), problem("self-signed certificate"));
    assert_eq!(web.verify("web.example.com", &[], now), problem("unable to get local issuer certificate"));
    assert_eq!(web.verify("web.example.com", &ca, now), Ok(()));
    assert_eq!(web.verify("a.web.example.com", &ca, now), Ok(()));
    assert_eq!(
        web.verify("a.b.web.example.com", &ca, now),
        Err("SSL: no alternative certificate subject name matches target host name 'a.b.web.example.com'".into())
    );
    // Trusting the self-signed certificate itself.
    let own = cert::bundle(pem("secure.crt").as_bytes()).unwrap();
    assert_eq!(secure.verify("secure.example.com", &own, now), Ok(()));
    let early = chrono::DateTime::parse_from_rfc3339("2023-06-01T00:00:00Z").unwrap().to_utc();
    assert_eq!(secure.verify("secure.example.com", &own, early), problem("certificate is not yet valid"));
    // The controller's fake certificate: self-signed, for ingress.local.
    let fake = cert::Certificate::fake(now, "uid");
    assert_eq!(fake.subject, "O=Acme Co, CN=Kubernetes Ingress Controller Fake Certificate");
    assert_eq!(fake.verify("secure.example.com", &[], now), problem("self-signed certificate"));
    assert!(cert::bundle(b"no PEM here").is_err());
}

/// A `kubernetes.io/tls` Secret of two fixtures.
fn tls_secret(name: &str, crt: &str, key: &str) -> k8s_openapi::api::core::v1::Secret {
    let mut data = std::collections::BTreeMap::new();
    data.insert("tls.crt".to_string(), k8s_openapi::ByteString(pem(crt).as_bytes().to_vec()));
    data.insert("tls.key".to_string(), k8s_openapi::ByteString(pem(key).as_bytes().to_vec()));
    let mut s = k8s_openapi::api::core::v1::Secret { data: Some(data), ..Default::default() };
    s.metadata.name = Some(name.into());
    s
}

#[test]
fn certificates_the_controller_serves_and_what_it_logs() {
    let ings = r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: tls, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  tls:
  - {hosts: [secure.example.com], secretName: secure-tls}
  - {hosts: [web.example.com], secretName: web-tls}
  - {hosts: [gone.example.com], secretName: gone-tls}
  - {hosts: [wrong.example.com], secretName: secure-tls}
  rules:
  - {host: secure.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}]}}
  - {host: web.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}]}}
  - {host: gone.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}]}}
  - {host: wrong.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}]}}
  - {host: x.web.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}]}}
"#;
    let table = Table::build(&parse::<IngressClass>(CLASSES), &parse::<Ingress>(ings), true);
    let secrets = [tls_secret("secure-tls", "secure.crt", "secure.key"), tls_secret("web-tls", "web.crt", "web.key")];
    let lister = |key: &str| {
        secrets.iter().find(|s| Some(key) == s.metadata.name.as_deref().map(|n| format!("default/{n}")).as_deref())
    };
    let certs = tls::Certificates::settle(&table, lister, crate::sim::clock::epoch());
    let lines: Vec<String> = certs.warnings.iter().map(|w| w.line(crate::sim::clock::epoch())).collect();
    assert_eq!(
        lines,
        [
            "W0101 00:00:00.000000       7 backend_ssl.go:47] Error obtaining X.509 certificate: no object matching key \"default/gone-tls\" in local store",
            "W0101 00:00:00.000000       7 controller.go:1441] Error getting SSL certificate \"default/gone-tls\": local SSL certificate default/gone-tls was not found. Using default certificate",
            "W0101 00:00:00.000000       7 controller.go:1455] Unexpected error validating SSL certificate \"default/secure-tls\" for server \"wrong.example.com\": x509: certificate is valid for secure.example.com, not wrong.example.com",
            "W0101 00:00:00.000000       7 controller.go:1456] Validating certificate against DNS names. This will be deprecated in a future version",
            "W0101 00:00:00.000000       7 controller.go:1461] SSL certificate \"default/secure-tls\" does not contain a Common Name or Subject Alternative Name for server \"wrong.example.com\": x509: certificate is valid for secure.example.com, not wrong.example.com",
            "W0101 00:00:00.000000       7 controller.go:1462] Using default certificate",
        ]
    );
    let fake = cert::Certificate::fake(crate::sim::clock::epoch(), "uid");
    let served = |sni: Option<&str>| certs.served(&table, sni, &fake).secret.unwrap_or_else(|| "default".into());
    assert_eq!(served(Some("secure.example.com")), "default/secure-tls");
    assert_eq!(served(Some("WEB.example.com")), "default/web-tls");
    // Not listed, but its Ingress has a Secret whose certificate names it.
    assert_eq!(served(Some("x.web.example.com")), "default/web-tls");
    assert_eq!(served(Some("gone.example.com")), "default");
    assert_eq!(served(Some("wrong.example.com")), "default");
    assert_eq!(served(Some("elsewhere.example.com")), "default");
    // No SNI (a client asking by address): the default server's certificate.
    assert_eq!(served(None), "default");
    // Still served when its time has run out, with a word in the log.
    let late = chrono::DateTime::parse_from_rfc3339("2033-12-25T00:00:00Z").unwrap().to_utc();
    let words: Vec<String> = tls::Certificates::settle(&table, lister, late)
        .warnings
        .into_iter()
        .map(|w| w.text)
        .filter(|t| t.contains("expire"))
        .collect();
    assert_eq!(
        words,
        [
            "SSL certificate for server \"secure.example.com\" is about to expire (2034-01-01 00:00:00 +0000 UTC)",
            "SSL certificate for server \"web.example.com\" is about to expire (2034-01-01 00:00:00 +0000 UTC)",
            "SSL certificate for server \"x.web.example.com\" is about to expire (2034-01-01 00:00:00 +0000 UTC)",
        ]
    );
    let after = late + chrono::Duration::days(30);
    let last = tls::Certificates::settle(&table, lister, after).warnings.pop().map(|w| w.text);
    assert_eq!(
        last.as_deref(),
        Some("SSL certificate for server \"x.web.example.com\" expired (2034-01-01 00:00:00 +0000 UTC)")
    );
}

proptest::proptest! {
    /// Whatever a Secret or a file holds, reading it as a certificate and key gives an answer.
    #[test]
    fn any_bytes_read_as_pem_give_an_answer(crt in proptest::collection::vec(proptest::num::u8::ANY, 0..400), cut in 0usize..1100) {
        let _ = cert::key_pair(&crt, &crt);
        let _ = cert::bundle(&crt);
        // A real certificate and key cut anywhere.
        let text = pem("web.crt");
        let at = cut.min(text.len());
        let (head, tail) = text.split_at(text.floor_char_boundary(at));
        let _ = cert::key_pair(head.as_bytes(), pem("web.key").as_bytes());
        let _ = cert::key_pair(format!("{head}X{tail}").as_bytes(), tail.as_bytes());
    }
}
