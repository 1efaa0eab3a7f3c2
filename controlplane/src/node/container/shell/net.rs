//! The programs that reach the network: busybox's `wget`, `nc` and `nslookup`, and `curl`.
//! Each leaves its call with the process tree (`Procs::net_call`), waits in a `Frame::Net`
//! for the answer the cluster hands back, and then prints what the real one prints.

use chrono::Duration;

use super::{Frame, Run, Shell, Sys};
use crate::node::container::certgen::{Certgen, Next};
use crate::node::container::fs;
use crate::node::container::net::{Answered, NetAnswer, NetCall};

/// A URL's host and port, as the client reads it.
fn url_host_port(url: &str) -> Option<(String, u16)> {
    crate::network::url::Url::parse(url).ok().map(|u| (u.host, u.port))
}

/// The programs here; the rest of `NETWORK` (`ping`, `telnet`, `ssh`) are not simulated.
/// What curl adds when it could not verify the server (`CURL_CA_CERT_ERRORMSG`).
const CA_CERT_ERROR: &str = "More details here: https://curl.se/docs/sslcerts.html\n\ncurl failed to verify the legitimacy of the server and therefore could not\nestablish a secure connection to it. To learn more about this situation and\nhow to fix it, please visit the web page mentioned above.\n";

pub const CLIENTS: &[&str] = &["wget", "curl", "nc", "nslookup"];

/// How long the kernel tries to connect before it gives up (SYN retries: 1+2+…+64 s).
const KERNEL_CONNECT: i64 = 127;

/// What a waiting program prints once its answer comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Client {
    Wget {
        host: String,
        quiet: bool,
        out: String,
        spider: bool,
        told_timeout: bool,
    },
    Curl {
        host: String,
        port: u16,
        silent: bool,
        show_error: bool,
        out: Option<String>,
        fail: bool,
        ms: i64,
    },
    Nc {
        host: String,
        verbose: bool,
    },
    Nslookup,
    /// kube-webhook-certgen between its API requests.
    Certgen(Box<Certgen>),
}

/// The reason phrase of an HTTP status.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        412 => "Precondition Failed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// A flag's value: `-T 5`, `-T5`, `--timeout=5`, `--timeout 5`.
fn value(args: &[String], i: &mut usize, short: &str, long: &str) -> Option<String> {
    let a = &args[*i];
    if a == short || a == long {
        *i += 1;
        return args.get(*i).cloned();
    }
    if let Some(v) = a.strip_prefix(&format!("{long}=")) {
        return Some(v.to_string());
    }
    (short.len() == 2 && a.len() > 2 && a.starts_with(short)).then(|| a[2..].to_string())
}

fn seconds(text: &str) -> Option<Duration> {
    let secs: f64 = text.parse().ok().filter(|s: &f64| s.is_finite() && *s >= 0.0)?;
    Some(Duration::milliseconds((secs * 1000.0).min(1e12) as i64))
}

impl Shell {
    /// Start `name` (one of [`CLIENTS`]): leave its call and wait for the answer.
    pub(super) fn net_start(&mut self, name: &str, args: &[String], sys: &mut Sys<'_>) -> Option<Run> {
        let started = match name {
            "wget" => self.wget(args),
            "curl" => self.curl(args, sys),
            "nc" => self.nc(args),
            _ => match args.iter().find(|a| !a.starts_with('-')) {
                Some(n) => Ok((NetCall::Lookup { name: n.clone() }, Client::Nslookup)),
                None => Err((b"BusyBox v1.37.0 multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n".to_vec(), 1)),
            },
        };
        match started {
            Ok((call, client)) => {
                let token = sys.procs.net_call(call);
                self.frames.push(Frame::Net { token, client: Box::new(client) });
            }
            Err((msg, code)) => {
                self.err(&msg, sys);
                self.status = code;
            }
        }
        None
    }

    /// A waiting program: print its answer if it has come, else wait for it.
    pub(super) fn net_wait(&mut self, token: u64, client: Box<Client>, sys: &mut Sys<'_>) -> Option<Run> {
        match sys.procs.net_answers.get(&token).map(|a| a.at) {
            Some(at) if at <= sys.now => {
                let a = sys.procs.net_answers.remove(&token)?;
                if let Client::Certgen(program) = *client {
                    return self.certgen_answer(program, a, sys);
                }
                self.status = self.net_print(*client, a, sys);
                None
            }
            // Not yet: the cluster hands the answer back before this moment ends.
            at => {
                let until = at.unwrap_or(sys.now);
                self.frames.push(Frame::Net { token, client });
                Some(Run::Sleeping(until))
            }
        }
    }

    fn wget(&mut self, args: &[String]) -> Result<(NetCall, Client), (Vec<u8>, i32)> {
        let (mut quiet, mut out, mut spider, mut timeout, mut url) = (false, None, false, None, None);
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            if let Some(v) = value(args, &mut i, "-O", "--output-document") {
                out = Some(v);
            } else if let Some(v) = value(args, &mut i, "-T", "--timeout") {
                timeout = Some(seconds(&v).ok_or((format!("wget: invalid number '{v}'\n").into_bytes(), 1))?);
            } else if a == "-q" || a == "--quiet" {
                quiet = true;
            } else if a == "--spider" || a == "-s" {
                spider = true;
            } else if a == "-qO-" || a == "-qO" {
                quiet = true;
                out = if a == "-qO-" { Some("-".into()) } else { args.get(i + 1).cloned() };
                i += usize::from(a == "-qO");
            } else if !a.starts_with('-') || a == "-" {
                url = Some(a.to_string());
            }
            i += 1;
        }
        let Some(url) = url else {
            return Err((b"BusyBox v1.37.0 multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...\n".to_vec(), 1));
        };
        let Some((host, _)) = url_host_port(&url) else {
            return Err((format!("wget: bad address '{url}'\n").into_bytes(), 1));
        };
        let out = out.unwrap_or_else(|| {
            let path = url.split("://").last().unwrap_or(&url);
            let path = path.split_once('/').map_or("", |(_, p)| p).split(['?', '#']).next().unwrap_or("");
            let base = path.rsplit('/').next().unwrap_or("");
            if base.is_empty() {
                "index.html".to_string()
            } else {
                base.to_string()
            }
        });
        let told_timeout = timeout.is_some();
        let timeout = timeout.unwrap_or(Duration::seconds(KERNEL_CONNECT));
        // busybox's TLS does not check the server's certificate.
        let call = NetCall::Http {
            url,
            method: "GET".into(),
            agent: "Wget".into(),
            timeout,
            headers: Vec::new(),
            insecure: true,
            cacert: None,
            resolve: Vec::new(),
        };
        Ok((call, Client::Wget { host, quiet, out, spider, told_timeout }))
    }

    fn curl(&mut self, args: &[String], sys: &Sys<'_>) -> Result<(NetCall, Client), (Vec<u8>, i32)> {
        let (mut silent, mut show_error, mut out, mut fail, mut timeout, mut url) =
            (false, false, None, false, None, None);
        let (mut insecure, mut headers, mut cacert, mut resolve) = (false, Vec::new(), None, Vec::new());
        let mut method = "GET".to_string();
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            if let Some(v) = value(args, &mut i, "-o", "--output") {
                out = Some(v);
            } else if let Some(v) = value(args, &mut i, "-m", "--max-time")
                .or_else(|| value(args, &mut i, "--connect-timeout", "--connect-timeout"))
            {
                timeout = Some(
                    seconds(&v).ok_or((b"curl: (2) option: expected a proper numerical parameter\n".to_vec(), 2))?,
                );
            } else if let Some(v) = value(args, &mut i, "-X", "--request") {
                method = v;
            } else if let Some(v) = value(args, &mut i, "-H", "--header") {
                // `Name: value`; curl drops a header given without a value (`Name:`).
                if let Some((k, v)) = v.split_once(':').filter(|(_, v)| !v.trim().is_empty()) {
                    headers.push((k.trim().to_string(), v.trim().to_string()));
                }
            } else if let Some(v) = value(args, &mut i, "--cacert", "--cacert") {
                let text = sys.fs.read(&fs::normalize(&self.cwd, &v)).ok().map(|b| b.to_vec());
                cacert = Some((v, text));
            } else if let Some(v) = value(args, &mut i, "--resolve", "--resolve") {
                let mut parts = v.splitn(3, ':');
                let entry = match (parts.next(), parts.next().and_then(|p| p.parse().ok()), parts.next()) {
                    (Some(h), Some(p), Some(a)) => a.parse().ok().map(|a| (h.to_ascii_lowercase(), p, a)),
                    _ => None,
                };
                let bad = format!("curl: (49) Couldn't parse CURLOPT_RESOLVE entry '{v}'\n");
                resolve.push(entry.ok_or((bad.into_bytes(), 49))?);
            } else if let Some(v) = value(args, &mut i, "-b", "--cookie") {
                // Cookies given inline (`name=value`); a file of them is not read.
                if v.contains('=') {
                    headers.push(("Cookie".to_string(), v));
                }
            } else if a.starts_with('-') && !a.starts_with("--") && a.len() > 1 {
                silent |= a.contains('s');
                show_error |= a.contains('S');
                fail |= a.contains('f');
                insecure |= a.contains('k');
            } else if a == "--silent" {
                silent = true;
            } else if a == "--show-error" {
                show_error = true;
            } else if a == "--fail" {
                fail = true;
            } else if a == "--insecure" {
                insecure = true;
            } else if !a.starts_with('-') {
                url = Some(a.to_string());
            }
            i += 1;
        }
        let Some(url) = url else {
            return Err((b"curl: try 'curl --help' or 'curl --manual' for more information\n".to_vec(), 2));
        };
        let Some((host, port)) = url_host_port(&url) else {
            return Err((b"curl: (3) URL rejected: Bad hostname\n".to_vec(), 3));
        };
        let timeout = timeout.unwrap_or(Duration::seconds(KERNEL_CONNECT));
        let ms = timeout.num_milliseconds();
        let call =
            NetCall::Http { url, method, agent: "curl/8.5.0".into(), timeout, headers, insecure, cacert, resolve };
        Ok((call, Client::Curl { host, port, silent, show_error, out, fail, ms }))
    }

    fn nc(&mut self, args: &[String]) -> Result<(NetCall, Client), (Vec<u8>, i32)> {
        let (mut verbose, mut timeout, mut rest) = (false, None, Vec::new());
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            if let Some(v) = value(args, &mut i, "-w", "-w") {
                timeout = Some(seconds(&v).ok_or((format!("nc: invalid number '{v}'\n").into_bytes(), 1))?);
            } else if a.starts_with('-') && a.len() > 1 {
                verbose |= a.contains('v');
            } else {
                rest.push(a.to_string());
            }
            i += 1;
        }
        let [host, port] = rest.as_slice() else {
            return Err((b"BusyBox v1.37.0 multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect\nnc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen\n".to_vec(), 1));
        };
        let Ok(port) = port.parse::<u16>() else {
            return Err((format!("nc: bad port '{port}'\n").into_bytes(), 1));
        };
        let timeout = timeout.unwrap_or(Duration::seconds(KERNEL_CONNECT));
        let call = NetCall::Connect { host: host.clone(), port, timeout };
        Ok((call, Client::Nc { host: host.clone(), verbose }))
    }

    /// Start kube-webhook-certgen: its first API request, or its complaint about the flags.
    pub(super) fn certgen_start(&mut self, args: &[String], sys: &mut Sys<'_>) -> Option<Run> {
        match Certgen::start(args, sys.hostname) {
            Ok((program, call)) => {
                let token = sys.procs.net_call(call);
                self.frames.push(Frame::Net { token, client: Box::new(Client::Certgen(Box::new(program))) });
            }
            Err((text, code)) => {
                self.out(text.as_bytes(), sys);
                self.status = code;
            }
        }
        None
    }

    /// kube-webhook-certgen got the answer to its request: log, then the next request or the end.
    fn certgen_answer(&mut self, mut program: Box<Certgen>, a: Answered, sys: &mut Sys<'_>) -> Option<Run> {
        let (status, body) = match a.answer {
            NetAnswer::Http { status, body } => (status, body),
            _ => (0, String::new()),
        };
        let mut lines = Vec::new();
        let next = program.answer(status, &body, sys.now, &mut lines);
        for line in lines {
            self.out(format!("{line}\n").as_bytes(), sys);
        }
        match next {
            Next::Call(call) => {
                let token = sys.procs.net_call(call);
                self.frames.push(Frame::Net { token, client: Box::new(Client::Certgen(program)) });
            }
            Next::Exit(code) => self.status = code,
        }
        None
    }

    /// Print what the program prints for `a`; its exit code.
    fn net_print(&mut self, client: Client, a: Answered, sys: &mut Sys<'_>) -> i32 {
        let addr = a.addr.clone().unwrap_or_default();
        let ip = addr.rsplit_once(':').map_or(addr.as_str(), |(ip, _)| ip).to_string();
        match client {
            // Handled by `certgen_answer`.
            Client::Certgen(_) => 1,
            Client::Nslookup => match a.answer {
                NetAnswer::Lookup { text, errors, errors_last, code } => {
                    if !errors_last {
                        self.err(errors.as_bytes(), sys);
                    }
                    self.out(text.as_bytes(), sys);
                    if errors_last {
                        self.err(errors.as_bytes(), sys);
                    }
                    code
                }
                _ => 1,
            },
            Client::Wget { host, quiet, out, spider, told_timeout } => {
                if matches!(a.answer, NetAnswer::Unresolved) {
                    self.err(format!("wget: bad address '{host}'\n").as_bytes(), sys);
                    return 1;
                }
                if !quiet {
                    self.err(format!("Connecting to {host} ({addr})\n").as_bytes(), sys);
                }
                let body = match a.answer {
                    NetAnswer::Http { status, body } if (200..300).contains(&status) => body,
                    NetAnswer::Http { status, .. } => {
                        let line = format!("wget: server returned error: HTTP/1.1 {status} {}\n", reason(status));
                        self.err(line.as_bytes(), sys);
                        return 1;
                    }
                    NetAnswer::Refused => {
                        let line = format!("wget: can't connect to remote host ({ip}): Connection refused\n");
                        self.err(line.as_bytes(), sys);
                        return 1;
                    }
                    NetAnswer::TimedOut if told_timeout => {
                        self.err(b"wget: download timed out\n", sys);
                        return 1;
                    }
                    NetAnswer::TimedOut => {
                        let line = format!("wget: can't connect to remote host ({ip}): Connection timed out\n");
                        self.err(line.as_bytes(), sys);
                        return 1;
                    }
                    NetAnswer::Connected => String::new(),
                    _ => return 1,
                };
                if spider {
                    if !quiet {
                        self.err(b"remote file exists\n", sys);
                    }
                    return 0;
                }
                if out == "-" {
                    if !quiet {
                        self.err(b"writing to stdout\n", sys);
                    }
                    self.out(body.as_bytes(), sys);
                } else {
                    let path = fs::normalize(&self.cwd, &out);
                    if !quiet {
                        self.err(format!("saving to '{out}'\n").as_bytes(), sys);
                    }
                    if let Err(e) = sys.fs.write(&path, body.as_bytes(), false) {
                        self.err(format!("wget: can't open '{out}': {e}\n").as_bytes(), sys);
                        return 1;
                    }
                }
                if !quiet {
                    let name = if out == "-" { "-" } else { out.as_str() };
                    let bar = format!("{name:<20.20} 100% |{}| {:>5}  0:00:00 ETA\n", "*".repeat(32), body.len());
                    self.err(bar.as_bytes(), sys);
                    let done = if out == "-" { "written to stdout\n".to_string() } else { format!("'{out}' saved\n") };
                    self.err(done.as_bytes(), sys);
                }
                0
            }
            Client::Curl { host, port, silent, show_error, out, fail, ms } => {
                let (code, msg) = match a.answer {
                    NetAnswer::Http { status, .. } if fail && status >= 400 => {
                        (22, format!("The requested URL returned error: {status}"))
                    }
                    NetAnswer::Http { body, .. } => {
                        match out {
                            Some(f) if f != "-" => {
                                let path = fs::normalize(&self.cwd, &f);
                                if sys.fs.write(&path, body.as_bytes(), false).is_err() {
                                    let e = format!(
                                        "curl: (23) Failure writing output to destination, passed {} returned 0\n",
                                        body.len()
                                    );
                                    self.err(e.as_bytes(), sys);
                                    return 23;
                                }
                            }
                            _ => self.out(body.as_bytes(), sys),
                        }
                        return 0;
                    }
                    NetAnswer::Connected => (52, "Empty reply from server".to_string()),
                    NetAnswer::Unresolved => (6, format!("Could not resolve host: {host}")),
                    NetAnswer::Refused => {
                        (7, format!("Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server"))
                    }
                    NetAnswer::TimedOut => {
                        (28, format!("Failed to connect to {host} port {port} after {ms} ms: Timeout was reached"))
                    }
                    NetAnswer::Failed { code, message } => (code, message),
                    NetAnswer::Lookup { .. } => return 1,
                };
                if !silent || show_error {
                    self.err(format!("curl: ({code}) {msg}\n").as_bytes(), sys);
                    if code == 60 {
                        self.err(CA_CERT_ERROR.as_bytes(), sys);
                    }
                }
                code
            }
            Client::Nc { host, verbose } => match a.answer {
                NetAnswer::Unresolved => {
                    self.err(format!("nc: bad address '{host}'\n").as_bytes(), sys);
                    1
                }
                NetAnswer::Refused | NetAnswer::TimedOut => {
                    let why = if matches!(a.answer, NetAnswer::Refused) {
                        "Connection refused"
                    } else {
                        "Connection timed out"
                    };
                    self.err(format!("nc: {host} ({addr}): {why}\n").as_bytes(), sys);
                    1
                }
                _ => {
                    if verbose {
                        self.err(format!("{host} ({addr}) open\n").as_bytes(), sys);
                    }
                    0
                }
            },
        }
    }
}
