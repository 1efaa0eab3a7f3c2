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
  tls: [{hosts: [secure.example.com]}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /cart, pathType: Prefix, backend: {service: {name: cart, port: {name: http}}}}
      - {path: /cart/checkout, pathType: Exact, backend: {service: {name: checkout, port: {number: 8080}}}}
      - {path: /static, pathType: ImplementationSpecific, backend: {service: {name: files, port: {number: 80}}}}
  - host: secure.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: vault, port: {number: 443}}}}
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
        Answer::Redirect(to) => format!("308 {to}"),
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
        // TLS hosts redirect plain HTTP, and answer HTTPS.
        (
            "http secure.example.com /a?b=c",
            "secure.example.com | / | default/shop | 308 https://secure.example.com/a?b=c",
        ),
        ("https secure.example.com /a", "secure.example.com | / | default/shop | default/vault:443 /a"),
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
    assert_eq!(names, ["shop", "late", "rewrite", "fallback", "app", "app-canary", "shop-canary"]);
    // Without --watch-ingress-without-class, an Ingress without a class is nobody's.
    assert!(!ours(&ings[1], &classes, false));
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
        addr: "10.244.2.4:5678".into(),
    };
    // "GET / HTTP/1.1\r\n" 16, "Host: web.example.com\r\n" 23, "Accept: */*\r\n" 13,
    // "User-Agent: curl/8.5.0\r\n" 24, "X-Canary: always\r\n" 18, "\r\n" 2.
    assert_eq!(
        access_line(now, "172.18.0.1".parse().unwrap(), &req, &answer, &canary, "0123456789abcdef0123456789abcdef"),
        "172.18.0.1 - - [01/Jan/2025:00:00:00 +0000] \"GET / HTTP/1.1\" 200 7 \"-\" \"curl/8.5.0\" 96 0.000 [default-apple-5678] [default-banana-5678] 10.244.2.4:5678 7 0.000 200 0123456789abcdef0123456789abcdef"
    );
}
