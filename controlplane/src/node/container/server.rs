//! The long-running programs images ship: what each prints when it starts and stops, which
//! ports it listens on in the pod's network namespace, what it says when a port is taken, and
//! what it answers an HTTP request (a probe). The texts are the programs' own: nginx's error
//! log, redis's, Go's `log` package for agnhost and http-echo.

use chrono::{DateTime, Duration, Utc};

use super::fs::Fs;

pub type Time = DateTime<Utc>;

/// A server program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// nginx, started by the image's `/docker-entrypoint.sh` (which prints its own lines) or not.
    Nginx {
        entrypoint: bool,
    },
    Redis,
    Httpd,
    /// `apache2-foreground` of the php images (the HPA walkthrough's php-apache).
    PhpApache,
    /// agnhost's `netexec`: HTTP and UDP.
    Netexec,
    /// agnhost's `serve-hostname`.
    ServeHostname,
    /// agnhost's `liveness`: /healthz answers 200 for ten seconds, then 500.
    Liveness,
    /// agnhost's `test-webserver`.
    TestWebserver,
    /// hashicorp/http-echo `-text=...`.
    HttpEcho {
        text: String,
    },
    CoreDns,
    /// ingress-nginx's `/nginx-ingress-controller`: nginx on 80 and 443, whose routing the
    /// cluster network does (it reads Ingresses), the admission webhook on 8443 and its
    /// health and metrics on 10254.
    IngressNginx,
    /// The pause container, and agnhost's `pause`.
    Pause,
    /// Google's `hello-app` sample (the Ingress on Minikube page): "Hello, world!", its
    /// version and the host name, on `$PORT` or 8080.
    HelloApp {
        version: String,
    },
    /// Google's `node-hello` sample (Exposing an External IP Address): "Hello Kubernetes!" on
    /// 8080, from `node server.js`.
    NodeHello,
    /// A load generator ([`crate::node::runtime::stress`]); vish/stress logs with glog:
    /// after how long, `file:line` and the text.
    Stress {
        glog: Vec<(Duration, &'static str, String)>,
    },
    /// A program kubesim does not know: it runs until stopped, listening on any port asked.
    Unknown(String),
}

/// A server and its ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub kind: Kind,
    /// TCP ports it binds when it starts.
    pub ports: Vec<u16>,
}

/// A Go program's flag value: `-name v`, `-name=v`, `--name v`.
pub fn flag<'a>(words: &'a [&str], name: &str) -> Option<&'a str> {
    words.iter().enumerate().find_map(|(i, w)| {
        let w = w.strip_prefix("--").or_else(|| w.strip_prefix('-'))?;
        match w.split_once('=') {
            Some((k, v)) if k == name => Some(v),
            None if w == name => words.get(i + 1).copied(),
            _ => None,
        }
    })
}

/// What http-echo answers: its `-text`, else the `ECHO_TEXT` variable; None when both are
/// empty (it then exits).
pub fn http_echo_text(args: &[&str], env: &[(String, String)]) -> Option<String> {
    let text = flag(args, "text").filter(|t| !t.is_empty()).map(str::to_string);
    let from_env = || env.iter().rev().find(|(k, _)| k == "ECHO_TEXT").map(|(_, v)| v.clone());
    text.or_else(from_env).filter(|t| !t.is_empty())
}

fn port_flag(words: &[&str], name: &str, default: u16) -> u16 {
    flag(words, name).and_then(|v| v.trim_start_matches(':').rsplit(':').next()?.parse().ok()).unwrap_or(default)
}

/// The ports nginx's configuration listens on (`listen 80;`, `listen [::]:80;`), 80 if none.
pub fn nginx_ports(fs: &Fs) -> Vec<u16> {
    let mut ports = Vec::new();
    let dir = "/etc/nginx/conf.d";
    let mut files: Vec<String> = fs
        .list(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| !e.dir && e.name.ends_with(".conf"))
        .map(|e| format!("{dir}/{}", e.name))
        .collect();
    files.push("/etc/nginx/nginx.conf".into());
    for f in files {
        let Ok(data) = fs.read(&f) else { continue };
        let text = String::from_utf8_lossy(&data);
        // The lines that start with `listen` once trimmed, found by searching for the word
        // rather than walking every line: every nginx container's start reads these files.
        for (at, _) in text.match_indices("listen") {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            if !text[line_start..at].trim_start().is_empty() {
                continue;
            }
            let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            let rest = &text[at + "listen".len()..line_end];
            let addr = rest.split_whitespace().next().unwrap_or("").trim_end_matches(';');
            if let Some(p) = addr.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()) {
                if !ports.contains(&p) {
                    ports.push(p);
                }
            }
        }
    }
    if ports.is_empty() {
        ports.push(80);
    }
    ports
}

/// The server `words` run, if they run one (`words[0]` is the program's base name).
pub fn detect(words: &[&str], fs: &Fs, env: &[(String, String)]) -> Option<Server> {
    let first = words.first().map(|w| w.rsplit('/').next().unwrap_or(w))?;
    let rest = &words[1..];
    let (kind, ports) = match first {
        "docker-entrypoint.sh" | "docker-php-entrypoint" => {
            return match rest.first().map(|w| w.rsplit('/').next().unwrap_or(w)) {
                Some("nginx" | "nginx-debug") => {
                    Some(Server { kind: Kind::Nginx { entrypoint: true }, ports: nginx_ports(fs) })
                }
                Some(_) => detect(rest, fs, env),
                None => None,
            }
        }
        // An init that runs the rest (`dumb-init -- PROGRAM`).
        "dumb-init" => return detect(rest.strip_prefix(&["--"][..]).unwrap_or(rest), fs, env),
        "nginx" | "nginx-debug" => (Kind::Nginx { entrypoint: false }, nginx_ports(fs)),
        "redis-server" => (Kind::Redis, vec![port_flag(rest, "port", 6379)]),
        "httpd-foreground" | "httpd" => (Kind::Httpd, vec![80]),
        "apache2-foreground" => (Kind::PhpApache, vec![80]),
        "http-echo" => {
            let text = http_echo_text(rest, env)?;
            (Kind::HttpEcho { text }, vec![port_flag(rest, "listen", 5678)])
        }
        "coredns" => (Kind::CoreDns, vec![53, 8080, 8181, 9153]),
        "nginx-ingress-controller" => (Kind::IngressNginx, vec![80, 443, 8443, 10254]),
        "pause" => (Kind::Pause, vec![]),
        // The program agnhost's `serve-hostname` was made from, with the same flags.
        "serve_hostname" => (Kind::ServeHostname, vec![port_flag(rest, "port", 9376)]),
        "agnhost" => match rest.first().copied() {
            Some("netexec") => (Kind::Netexec, vec![port_flag(rest, "http-port", 8080)]),
            Some("serve-hostname") => (Kind::ServeHostname, vec![port_flag(rest, "port", 9376)]),
            Some("liveness") => (Kind::Liveness, vec![8080]),
            Some("test-webserver") => (Kind::TestWebserver, vec![port_flag(rest, "port", 80)]),
            Some("pause") => (Kind::Pause, vec![]),
            _ => return None,
        },
        _ => return None,
    };
    Some(Server { kind, ports })
}

/// Go's `log` prefix.
fn go_log(at: Time, msg: &str) -> String {
    format!("{} {msg}", at.format("%Y/%m/%d %H:%M:%S"))
}

fn redis_time(at: Time) -> String {
    at.format("%d %b %Y %H:%M:%S%.3f").to_string()
}

fn apache_time(at: Time) -> String {
    at.format("%a %b %d %H:%M:%S%.6f %Y").to_string()
}

const NGINX_ENTRYPOINT: &[&str] = &[
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
];

/// What the controller prints first (its version banner).
const INGRESS_NGINX_BANNER: &[&str] = &[
    "-------------------------------------------------------------------------------",
    "NGINX Ingress controller",
    "  Release:       v1.12.1",
    "  Build:         kubesim",
    "  Repository:    https://github.com/kubernetes/ingress-nginx",
    "  nginx version: nginx/1.25.5",
    "",
    "-------------------------------------------------------------------------------",
    "",
];

impl Server {
    /// What it prints when it starts at `at` (with `ip` its pod's address), all ports bound.
    pub fn start_lines(&self, at: Time, ip: &str) -> Vec<(Time, String)> {
        let mut out: Vec<String> = Vec::new();
        match &self.kind {
            Kind::Nginx { entrypoint } => {
                if *entrypoint {
                    out.extend(NGINX_ENTRYPOINT.iter().map(|l| l.to_string()));
                }
                let go = at.format("%Y/%m/%d %H:%M:%S");
                for l in [
                    "using the \"epoll\" event method",
                    "nginx/1.27.3",
                    "built by gcc 12.2.0 (Debian 12.2.0-14)",
                    "OS: Linux 6.8.0-kubesim",
                    "getrlimit(RLIMIT_NOFILE): 1048576:1048576",
                    "start worker processes",
                    "start worker process 29",
                ] {
                    out.push(format!("{go} [notice] 1#1: {l}"));
                }
            }
            Kind::Redis => {
                let t = redis_time(at);
                out.push(format!("1:C {t} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"));
                out.push(format!(
                    "1:C {t} * Redis version=7.4.1, bits=64, commit=00000000, modified=0, pid=1, just started"
                ));
                out.push(format!("1:M {t} * Running mode=standalone, port={}.", self.ports[0]));
                out.push(format!("1:M {t} * Server initialized"));
                out.push(format!("1:M {t} * Ready to accept connections tcp"));
            }
            Kind::Httpd | Kind::PhpApache => {
                let t = apache_time(at);
                let (name, version) = if self.kind == Kind::Httpd {
                    ("httpd", "Apache/2.4.62 (Unix)")
                } else {
                    ("apache2", "Apache/2.4.10 (Debian) PHP/5.6.14")
                };
                let fqdn = format!("AH00558: {name}: Could not reliably determine the server's fully qualified domain name, using {ip}. Set the 'ServerName' directive globally to suppress this message");
                out.push(fqdn.clone());
                out.push(fqdn);
                let mpm = if self.kind == Kind::Httpd { "mpm_event" } else { "mpm_prefork" };
                out.push(format!(
                    "[{t}] [{mpm}:notice] [pid 1:tid 1] AH00489: {version} configured -- resuming normal operations"
                ));
                let cmd = if self.kind == Kind::Httpd { "httpd -D FOREGROUND" } else { "apache2 -D FOREGROUND" };
                out.push(format!("[{t}] [core:notice] [pid 1:tid 1] AH00094: Command line: '{cmd}'"));
            }
            Kind::Netexec => {
                out.push(go_log(at, &format!("Started HTTP server on port {}", self.ports[0])));
                out.push(go_log(at, "Started UDP server on port  8081"));
            }
            Kind::ServeHostname => out.push(go_log(at, &format!("Serving on port {}.", self.ports[0]))),
            Kind::HttpEcho { .. } => {
                out.push(go_log(at, &format!("[INFO] server is listening on :{}", self.ports[0])))
            }
            Kind::HelloApp { .. } => out.push(go_log(at, &format!("Server listening on port {}", self.ports[0]))),
            Kind::CoreDns => {
                out.extend([".:53", "[INFO] plugin/reload: Running configuration SHA512 = 1b226df79860026c6a52e67daa10d7f0d57ec5b023288ec00c5e05f93523c894564e15b91770d3a07ae1cfbe861d15b37d4a0027e69c546ab112970993a3b03b", "CoreDNS-1.12.0", "linux/amd64, go1.23.3, 51e11f1"].map(String::from))
            }
            Kind::IngressNginx => out.extend(INGRESS_NGINX_BANNER.iter().map(|l| l.to_string())),
            Kind::Liveness | Kind::TestWebserver | Kind::Pause | Kind::NodeHello => {}
            // glog's `Immdd hh:mm:ss.uuuuuu pid file:line] text`, the pid 1 in the container.
            Kind::Stress { glog } => {
                return glog
                    .iter()
                    .map(|(after, at_line, text)| {
                        let t = at + *after;
                        (t, format!("I{}       1 {at_line}] {text}", t.format("%m%d %H:%M:%S%.6f")))
                    })
                    .collect()
            }
            Kind::Unknown(program) => out.push(format!(
                "kubesim: {program}: a program kubesim does not simulate; it runs as a long-lived server until stopped"
            )),
        }
        out.into_iter().map(|l| (at, l)).collect()
    }

    /// What it prints when `port` is taken, over how long, and its exit code.
    pub fn bind_failure(&self, at: Time, port: u16) -> (Vec<(Time, String)>, Duration, i32) {
        let mut out = Vec::new();
        match &self.kind {
            Kind::Nginx { entrypoint } => {
                if *entrypoint {
                    out.extend(NGINX_ENTRYPOINT.iter().map(|l| (at, l.to_string())));
                }
                // nginx tries five times, 500ms apart, each time for both of its sockets.
                for i in 0..5 {
                    let t = at + Duration::milliseconds(500 * i);
                    let go = t.format("%Y/%m/%d %H:%M:%S");
                    for addr in [format!("0.0.0.0:{port}"), format!("[::]:{port}")] {
                        let msg = format!("bind() to {addr} failed (98: Address already in use)");
                        out.push((t, format!("{go} [emerg] 1#1: {msg}")));
                        out.push((t, format!("nginx: [emerg] {msg}")));
                    }
                    if i < 4 {
                        out.push((t, format!("{go} [notice] 1#1: try again to bind() after 500ms")));
                    }
                }
                let t = at + Duration::seconds(2);
                let go = t.format("%Y/%m/%d %H:%M:%S");
                out.push((t, format!("{go} [emerg] 1#1: still could not bind()")));
                out.push((t, "nginx: [emerg] still could not bind()".into()));
                return (out, Duration::seconds(2), 1);
            }
            Kind::Redis => {
                let t = redis_time(at);
                out.push((at, format!("1:C {t} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")));
                out.push((at, format!("1:M {t} # Warning: Could not create server TCP listening socket *:{port}: bind: Address already in use")));
                out.push((at, format!("1:M {t} # Failed listening on port {port} (tcp), aborting.")));
            }
            Kind::Httpd | Kind::PhpApache => {
                for addr in [format!("[::]:{port}"), format!("0.0.0.0:{port}")] {
                    out.push((
                        at,
                        format!("(98)Address already in use: AH00072: make_sock: could not bind to address {addr}"),
                    ));
                }
                out.push((at, "no listening sockets available, shutting down".into()));
                out.push((at, "AH00015: Unable to open logs".into()));
            }
            Kind::ServeHostname => {
                out.push((at, go_log(at, &format!("Serving on port {port}."))));
                out.push((at, go_log(at, &format!("listen tcp :{port}: bind: address already in use"))));
            }
            Kind::Netexec => {
                out.push((at, go_log(at, &format!("Started HTTP server on port {port}"))));
                out.push((at, go_log(at, &format!("listen tcp :{port}: bind: address already in use"))));
            }
            Kind::HttpEcho { .. } => {
                out.push((at, go_log(at, &format!("[INFO] server is listening on :{port}"))));
                out.push((
                    at,
                    go_log(at, &format!("[ERR] server exited with: listen tcp :{port}: bind: address already in use")),
                ));
            }
            _ => out.push((at, go_log(at, &format!("listen tcp :{port}: bind: address already in use")))),
        }
        (out, Duration::zero(), 1)
    }

    /// Whether SIGTERM ends it at once (serve-hostname waits a minute for the pod's deletion).
    pub fn exits_on_sigterm(&self) -> bool {
        !matches!(self.kind, Kind::ServeHostname)
    }

    /// The CPU one request costs it, when that is more than a trifle: the HPA walkthrough's
    /// php-apache runs a million square roots per request (kubesim's figure: 40ms of one core).
    pub fn request_cpu(&self) -> Option<Duration> {
        match self.kind {
            Kind::PhpApache => Some(Duration::milliseconds(40)),
            _ => None,
        }
    }

    /// Its exit code after SIGTERM: Go programs that do not catch it die of it (128 + 15).
    pub fn sigterm_code(&self) -> i32 {
        match self.kind {
            Kind::Netexec
            | Kind::Liveness
            | Kind::TestWebserver
            | Kind::HttpEcho { .. }
            | Kind::HelloApp { .. }
            | Kind::Stress { .. } => 143,
            _ => 0,
        }
    }

    /// What it prints on SIGTERM at `at`.
    pub fn stop_lines(&self, at: Time) -> Vec<String> {
        match &self.kind {
            Kind::Nginx { .. } => {
                let t = at.format("%Y/%m/%d %H:%M:%S");
                vec![
                    format!("{t} [notice] 1#1: signal 15 (SIGTERM) received, exiting"),
                    format!("{t} [notice] 29#29: exiting"),
                    format!("{t} [notice] 1#1: exit"),
                ]
            }
            Kind::Redis => {
                let t = redis_time(at);
                vec![
                    format!("1:signal-handler ({}) Received SIGTERM scheduling shutdown...", at.timestamp()),
                    format!("1:M {t} # User requested shutdown..."),
                    format!("1:M {t} # Redis is now ready to exit, bye bye..."),
                ]
            }
            Kind::Httpd | Kind::PhpApache => {
                let mpm = if self.kind == Kind::Httpd { "mpm_event" } else { "mpm_prefork" };
                vec![format!(
                    "[{}] [{mpm}:notice] [pid 1:tid 1] AH00491: caught SIGTERM, shutting down",
                    apache_time(at)
                )]
            }
            Kind::ServeHostname => vec![
                go_log(at, "Shutting down after receiving signal: terminated."),
                go_log(at, "Awaiting pod deletion."),
            ],
            Kind::Pause => vec!["Shutting down, got signal: Terminated".into()],
            Kind::CoreDns => vec!["[INFO] SIGTERM: Shutting down servers then terminating".into()],
            _ => Vec::new(),
        }
    }

    /// The status of `GET path` on `port`, `since` after it started (what a probe reads).
    /// `None`: the port does not speak HTTP.
    pub fn http(&self, port: u16, path: &str, since: Duration, fs: &Fs) -> Option<u16> {
        let req = super::http::HttpRequest {
            method: "GET",
            path,
            client: "",
            client_port: 0,
            agent: "",
            host: "",
            headers: &[],
        };
        self.respond(port, &req, since, DateTime::<Utc>::MIN_UTC, fs, "").map(|r| r.status)
    }

    /// What it logs for a probe's request from `client` (agnhost logs each request it serves;
    /// nginx and apache write an access log line).
    pub fn access_line(&self, at: Time, client: &str, path: &str, status: u16, agent: &str) -> Option<String> {
        match &self.kind {
            Kind::Nginx { .. } => {
                let bytes = if status == 200 { 615 } else { 153 };
                Some(format!(
                    "{client} - - [{}] \"GET {path} HTTP/1.1\" {status} {bytes} \"-\" \"{agent}\" \"-\"",
                    at.format("%d/%b/%Y:%H:%M:%S %z")
                ))
            }
            // httpd's common log format; the php image's Apache logs the combined one.
            Kind::Httpd => Some(format!(
                "{client} - - [{}] \"GET {path} HTTP/1.1\" {status} {}",
                at.format("%d/%b/%Y:%H:%M:%S %z"),
                if status == 200 { 45 } else { 196 }
            )),
            Kind::PhpApache => Some(format!(
                "{client} - - [{}] \"GET {path} HTTP/1.1\" {status} {} \"-\" \"{agent}\"",
                at.format("%d/%b/%Y:%H:%M:%S %z"),
                if status == 200 { 3 } else { 275 }
            )),
            Kind::Netexec => Some(go_log(at, &format!("GET {}", path.split('?').next().unwrap_or(path)))),
            Kind::HelloApp { .. } => {
                Some(go_log(at, &format!("Serving request: {}", path.split('?').next().unwrap_or(path))))
            }
            // `request.url`, the query string included.
            Kind::NodeHello => Some(format!("Received request for URL: {path}")),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::container::image;

    #[test]
    fn detects_servers_and_ports() {
        let fs = image::files("nginx");
        let d = |w: &[&str]| detect(w, &fs, &[]).map(|s| (s.kind, s.ports));
        assert_eq!(
            d(&["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]),
            Some((Kind::Nginx { entrypoint: true }, vec![80]))
        );
        assert_eq!(d(&["redis-server", "--port", "6380"]), Some((Kind::Redis, vec![6380])));
        assert_eq!(d(&["/agnhost", "netexec", "--http-port=8081"]), Some((Kind::Netexec, vec![8081])));
        assert_eq!(d(&["/agnhost", "liveness"]), Some((Kind::Liveness, vec![8080])));
        assert_eq!(
            d(&["/http-echo", "-text=hello", "-listen=:8080"]),
            Some((Kind::HttpEcho { text: "hello".into() }, vec![8080]))
        );
        assert_eq!(d(&["/app/server"]), None);
        // http-echo takes its text from ECHO_TEXT when `-text` is missing or empty.
        let env = [("ECHO_TEXT".to_string(), "from env".to_string())];
        for args in [&["/http-echo"][..], &["/http-echo", "-text="]] {
            let kind = detect(args, &fs, &env).map(|s| s.kind);
            assert_eq!(kind, Some(Kind::HttpEcho { text: "from env".into() }));
        }
        let kind = detect(&["/http-echo", "-text", "flag"], &fs, &env).map(|s| s.kind);
        assert_eq!(kind, Some(Kind::HttpEcho { text: "flag".into() }));
        assert_eq!(d(&["/http-echo"]), None);
        let mut fs = fs;
        fs.write("/etc/nginx/conf.d/default.conf", b"server {\n  listen 8080;\n  listen [::]:8080;\n}\n", false)
            .unwrap();
        assert_eq!(nginx_ports(&fs), vec![8080]);
        // Only lines that start with `listen`, once trimmed, count; the word elsewhere does not.
        let conf = "listen 81;\r\n# listen 82;\n  server_name listen;\n\tlisten 10.0.0.1:83 default_server;\nlistenx 84;\nlisten";
        fs.write("/etc/nginx/conf.d/default.conf", conf.as_bytes(), false).unwrap();
        assert_eq!(nginx_ports(&fs), vec![81, 83]);
    }

    #[test]
    fn liveness_turns_unhealthy_after_ten_seconds() {
        let s = Server { kind: Kind::Liveness, ports: vec![8080] };
        let fs = Fs::new();
        let nginx = Server { kind: Kind::Nginx { entrypoint: true }, ports: vec![80] };
        let html = image::files("nginx");
        assert_eq!(nginx.http(80, "/", Duration::zero(), &html), Some(200));
        assert_eq!(nginx.http(80, "/index.html", Duration::zero(), &html), Some(200));
        assert_eq!(nginx.http(80, "/ready", Duration::zero(), &html), Some(404));
        assert_eq!(s.http(8080, "/healthz", Duration::seconds(10), &fs), Some(200));
        assert_eq!(s.http(8080, "/healthz", Duration::seconds(11), &fs), Some(500));
        assert_eq!(s.http(8080, "/other", Duration::seconds(1), &fs), Some(404));
    }
}
