//! What the server programs answer an HTTP request: the status and body each program's own
//! handler writes (nginx's and Apache's files and error pages, agnhost's handlers, http-echo's
//! text). Probes read only the status; a request through the cluster network reads the body.

use chrono::Duration;

use super::fs::Fs;
use super::server::{Kind, Server, Time};

/// An HTTP request as a server receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// The path with its query (`/echo?msg=hi`).
    pub path: &'a str,
    /// The client's address as the server sees it (after any SNAT), and its port.
    pub client: &'a str,
    pub client_port: u16,
    /// Its User-Agent (`curl/8.5.0`, `Wget`).
    pub agent: &'a str,
    /// The Host it names (`shop.example.com`, `10.96.0.10:8080`); empty for a probe.
    pub host: &'a str,
    /// Its other headers, by name.
    pub headers: &'a [(String, String)],
}

/// What the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

fn ok(body: impl Into<String>) -> HttpResponse {
    HttpResponse { status: 200, body: body.into() }
}

/// nginx's built-in error page, CRLF lines as ngx_http_special_response.c writes them.
fn nginx_error(status: u16, reason: &str) -> HttpResponse {
    let title = format!("{status} {reason}");
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx/1.27.3</center>\r\n</body>\r\n</html>\r\n"
    );
    HttpResponse { status, body }
}

/// ingress-nginx's default backend: nginx's 404 page, `server_tokens off` (no version).
pub fn ingress_not_found() -> HttpResponse {
    HttpResponse { status: 404, body: crate::network::ingress::NOT_FOUND_BODY.into() }
}

/// Apache httpd's 404 page.
fn apache_not_found() -> HttpResponse {
    let body = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n";
    HttpResponse { status: 404, body: body.into() }
}

/// Go's `http.NotFound`.
fn go_not_found() -> HttpResponse {
    HttpResponse { status: 404, body: "404 page not found\n".into() }
}

/// A query parameter's value (`msg` of `/echo?msg=hi`), percent-decoded as Go's FormValue.
fn query(path: &str, key: &str) -> Option<String> {
    let (_, q) = path.split_once('?')?;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then(|| decode(v))
    })
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                Some(Ok(b)) => {
                    out.push(b);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A static file server's answer for `path` under `root`: the file, or a directory's
/// `index.html`.
fn file(fs: &Fs, root: &str, path: &str) -> Option<String> {
    let file = format!("{root}{path}");
    let file = file.trim_end_matches('/');
    let file = if fs.is_dir(file) { format!("{file}/index.html") } else { file.to_string() };
    fs.read(&file).ok().map(|b| String::from_utf8_lossy(&b).into_owned())
}

impl Server {
    /// The answer to `req` on `port`, `since` after the server started, at `now`, in a
    /// container whose files are `fs` and host name `hostname`. `None`: the port does not
    /// speak HTTP.
    pub fn respond(
        &self,
        port: u16,
        req: &HttpRequest<'_>,
        since: Duration,
        now: Time,
        fs: &Fs,
        hostname: &str,
    ) -> Option<HttpResponse> {
        let path = req.path.split('?').next().unwrap_or(req.path);
        Some(match &self.kind {
            Kind::Nginx { .. } => match file(fs, "/usr/share/nginx/html", path) {
                Some(body) => ok(body),
                None => nginx_error(404, "Not Found"),
            },
            Kind::Httpd => match file(fs, "/usr/local/apache2/htdocs", path) {
                Some(body) => ok(body),
                None => apache_not_found(),
            },
            // The HPA walkthrough's index.php: a loop of square roots, then "OK!".
            Kind::PhpApache => ok("OK!"),
            Kind::Redis | Kind::Pause | Kind::Stress { .. } => return None,
            Kind::Netexec => match path {
                "/hostname" | "/hostName" => ok(hostname),
                "/clientip" => ok(format!("{}:{}", req.client, req.client_port)),
                "/echo" => {
                    let msg = query(req.path, "msg").unwrap_or_default();
                    let status = query(req.path, "code").and_then(|c| c.parse().ok()).unwrap_or(200);
                    HttpResponse { status, body: msg }
                }
                "/healthz" => ok(""),
                // Go's `%v` of time.Now(): the wall clock and the monotonic reading.
                _ => ok(format!(
                    "NOW: {} +0000 UTC m=+{:.9}",
                    now.format("%Y-%m-%d %H:%M:%S%.f"),
                    since.num_milliseconds() as f64 / 1000.0
                )),
            },
            Kind::ServeHostname => ok(hostname),
            Kind::HelloApp { version } => ok(format!("Hello, world!\nVersion: {version}\nHostname: {hostname}\n")),
            Kind::NodeHello => ok("Hello Kubernetes!"),
            Kind::HttpEcho { text } => ok(format!("{text}\n")),
            // agnhost's test-webserver serves the container's files.
            Kind::TestWebserver => match fs.list(path) {
                // Go's http.FileServer lists a directory.
                Ok(entries) => {
                    let mut body = String::from("<pre>\n");
                    for e in entries {
                        let slash = if e.dir { "/" } else { "" };
                        body.push_str(&format!("<a href=\"{0}{slash}\">{0}{slash}</a>\n", e.name));
                    }
                    ok(body + "</pre>\n")
                }
                Err(_) => match fs.read(path) {
                    Ok(b) => ok(String::from_utf8_lossy(&b).into_owned()),
                    Err(_) => go_not_found(),
                },
            },
            Kind::Liveness => match path {
                "/healthz" if since > Duration::seconds(10) => {
                    HttpResponse { status: 500, body: format!("error: {}", go_duration(since)) }
                }
                "/healthz" => ok("ok"),
                "/started" => ok(""),
                _ => go_not_found(),
            },
            Kind::CoreDns => match (port, path) {
                (8080, "/health") => ok("OK"),
                (8181, "/ready") => ok("OK"),
                (9153, "/metrics") => ok(""),
                (53, _) => return None,
                _ => go_not_found(),
            },
            // The routing of ports 80 and 443 is the network's (network/ingress); what the
            // controller answers alone is its default backend, nginx's 404 without a version.
            Kind::IngressNginx => match (port, path) {
                (10254, "/healthz") => ok("ok"),
                (10254, "/metrics") => ok(""),
                (80 | 443, _) => ingress_not_found(),
                _ => go_not_found(),
            },
            Kind::Unknown(_) => ok(""),
        })
    }
}

/// Go's `time.Duration` string for whole milliseconds (`11.5s`, `1m2s`).
fn go_duration(d: Duration) -> String {
    let ms = d.num_milliseconds();
    let (m, rest) = (ms / 60_000, ms % 60_000);
    let secs = if rest % 1000 == 0 { format!("{}s", rest / 1000) } else { format!("{}s", rest as f64 / 1000.0) };
    if m > 0 {
        format!("{m}m{secs}")
    } else {
        secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::container::image;
    use crate::sim::clock::epoch;

    fn get(path: &str) -> HttpRequest<'_> {
        HttpRequest {
            method: "GET",
            path,
            client: "10.244.1.5",
            client_port: 40000,
            agent: "curl/8.5.0",
            host: "",
            headers: &[],
        }
    }

    #[test]
    fn servers_answer_with_their_own_bodies() {
        let html = image::files("nginx");
        let nginx = Server { kind: Kind::Nginx { entrypoint: true }, ports: vec![80] };
        let r = nginx.respond(80, &get("/"), Duration::zero(), epoch(), &html, "web").unwrap();
        assert!(r.body.contains("<title>Welcome to nginx!</title>"));
        let r = nginx.respond(80, &get("/nope"), Duration::zero(), epoch(), &html, "web").unwrap();
        assert_eq!((r.status, r.body.len()), (404, 153));
        let net = Server { kind: Kind::Netexec, ports: vec![8080] };
        let fs = Fs::new();
        let r = net.respond(8080, &get("/hostname"), Duration::zero(), epoch(), &fs, "web-1").unwrap();
        assert_eq!(r, ok("web-1"));
        let r = net.respond(8080, &get("/echo?msg=hi+there%21"), Duration::zero(), epoch(), &fs, "x").unwrap();
        assert_eq!(r.body, "hi there!");
        let r = net.respond(8080, &get("/clientip"), Duration::zero(), epoch(), &fs, "x").unwrap();
        assert_eq!(r.body, "10.244.1.5:40000");
        let echo = Server { kind: Kind::HttpEcho { text: "apple".into() }, ports: vec![5678] };
        let r = echo.respond(5678, &get("/"), Duration::zero(), epoch(), &fs, "x").unwrap();
        assert_eq!(r.body, "apple\n");
        let live = Server { kind: Kind::Liveness, ports: vec![8080] };
        let r = live.respond(8080, &get("/healthz"), Duration::milliseconds(11_500), epoch(), &fs, "x").unwrap();
        assert_eq!((r.status, r.body.as_str()), (500, "error: 11.5s"));
        assert_eq!(decode("%zz%4"), "%zz%4");
    }
}
