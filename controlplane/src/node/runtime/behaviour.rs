//! What a container does, since there are no real images: its main process runs until its
//! command ends (`sleep 5`, `sh -c "exit 3"`, `true`, `echo hi`) or, for servers (no command
//! and an image like nginx, or any other program), until it is stopped. Pod annotations
//! `kubesim.io/...` override the command's own ending (see the README's table).

use std::collections::BTreeMap;

use chrono::Duration;

use super::cri::Time;
use crate::node::container::server::{self, Kind, Server};
use crate::node::container::Fs;
use crate::sim::clock::parse_duration;

/// The prefix of kubesim's pod annotations.
pub const PREFIX: &str = "kubesim.io/";

/// A pod annotation for one container: `kubesim.io/KEY.CONTAINER` first, then `kubesim.io/KEY`.
pub fn annotation<'a>(annotations: &'a BTreeMap<String, String>, key: &str, container: &str) -> Option<&'a str> {
    // Most pods have no kubesim annotation at all: skip building the keys for them.
    if annotations.is_empty() {
        return None;
    }
    let mut name = String::with_capacity(PREFIX.len() + key.len() + 1 + container.len());
    name.push_str(PREFIX);
    name.push_str(key);
    let general = name.len();
    name.push('.');
    name.push_str(container);
    if let Some(v) = annotations.get(&name) {
        return Some(v);
    }
    name.truncate(general);
    annotations.get(&name).map(String::as_str)
}

/// A duration annotation (`30`, `30s`, `2m`); a bad value counts as absent.
pub fn duration_annotation(annotations: &BTreeMap<String, String>, key: &str, container: &str) -> Option<Duration> {
    annotation(annotations, key, container).and_then(|v| parse_duration(v).ok())
}

/// The life of a container's main process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// When the process ends by itself (after this long) and with which exit code; `None`
    /// runs until stopped.
    pub exits: Option<(Duration, i32)>,
    /// Servers exit on SIGTERM; `sleep` or a shell as PID 1 ignore it and are killed when the
    /// grace period ends.
    pub honours_sigterm: bool,
    /// How long after SIGTERM a server that honours it exits (serve-hostname waits a minute).
    pub term_delay: Duration,
    /// Its exit code then.
    pub term_code: i32,
    /// The server the process runs: its ports, banner and answers.
    pub server: Option<Server>,
    /// Lines the process prints (`echo`, `kubesim.io/logs`), each this long after it starts.
    pub lines: Vec<(Duration, String)>,
    /// What a load generator uses (`stress`); other programs use what the kubelet's metrics
    /// give them.
    pub uses: Option<super::stress::Uses>,
}

/// The repository's last path component: `docker.io/library/nginx:1.27` → `nginx`.
pub fn short_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

/// The plan for a container of `image` running `words` (its command and args merged with the
/// image's entrypoint and cmd), with the pod's annotations; `fs` is the container's files
/// (nginx reads its ports from its configuration).
/// What a container's process does: `words` run in `image` with the container's files `fs`
/// and environment `env`, shaped by kubesim's annotations `ann`.
pub fn plan(
    image: &str,
    words: &[String],
    container: &str,
    ann: &BTreeMap<String, String>,
    fs: &Fs,
    env: &[(String, String)],
) -> Plan {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let name = short_name(image);
    let mut p = Plan {
        exits: None,
        honours_sigterm: true,
        term_delay: Duration::zero(),
        term_code: 0,
        server: None,
        lines: Vec::new(),
        uses: None,
    };
    match words.first().map(|w| w.rsplit('/').next().unwrap_or(w)) {
        None => p.server = Some(Server { kind: Kind::Unknown(name.to_string()), ports: Vec::new() }),
        // The samples' own programs, known by their image: hello-app's version is its tag's.
        Some("hello-app") if name == "hello-app" => {
            let port = env.iter().find(|(k, _)| k == "PORT").and_then(|(_, v)| v.parse().ok()).unwrap_or(8080);
            let version = hello_app_version(image);
            p.server = Some(Server { kind: Kind::HelloApp { version }, ports: vec![port] });
        }
        // `node server.js` as PID 1: node installs no SIGTERM handler, so the kernel ignores
        // the signal for PID 1 and the kill waits out the grace period.
        Some("node") if name == "node-hello" && words.get(1) == Some(&"server.js") => {
            p.server = Some(Server { kind: Kind::NodeHello, ports: vec![8080] });
            p.honours_sigterm = false;
        }
        Some("hello") if name == "hello-world" => {
            p.lines.push((Duration::zero(), "Hello from Docker!".into()));
            p.exits = Some((Duration::zero(), 0));
        }
        Some("sh" | "bash" | "ash" | "dash") if words.get(1) == Some(&"-c") => {
            p.honours_sigterm = false;
            script(&words[2..].join(" "), &mut p);
        }
        Some("sh" | "bash" | "ash" | "dash" | "python3" | "node") if words.len() == 1 => {
            // An interactive program without a terminal reads an empty stdin and ends.
            p.exits = Some((Duration::zero(), 0));
        }
        Some(w) => match super::stress::detect(name, &words) {
            Some(stress) => {
                // stress (C) as PID 1 has no SIGTERM handler; vish/stress (Go) dies of it.
                p.honours_sigterm = !stress.glog.is_empty();
                p.server = Some(Server { kind: Kind::Stress { glog: stress.glog }, ports: Vec::new() });
                p.lines = stress.lines;
                p.exits = stress.exits;
                p.uses = Some(stress.uses);
            }
            None => simple(w, &words, &mut p, fs, env),
        },
    }
    if let Some(s) = &p.server {
        p.term_delay = if s.exits_on_sigterm() { Duration::zero() } else { Duration::seconds(60) };
        p.term_code = s.sigterm_code();
    }
    if let Some(lines) = annotation(ann, "logs", container) {
        p.lines.extend(lines.lines().map(|l| (Duration::zero(), l.to_string())));
    }
    let code = annotation(ann, "exit-code", container).and_then(|c| c.trim().parse::<i32>().ok());
    if let Some(after) = duration_annotation(ann, "run-seconds", container) {
        p.exits = Some((after, code.unwrap_or(0)));
    } else if let Some(after) = duration_annotation(ann, "crash-after", container) {
        p.exits = Some((after, code.filter(|c| *c != 0).unwrap_or(1)));
    } else if let (Some(code), Some((after, _))) = (code, p.exits) {
        p.exits = Some((after, code));
    }
    p
}

/// The server's port `port` is taken in the pod: the process prints its own error and exits.
pub fn bind_failed(p: &mut Plan, port: u16, started: Time) {
    let Some(server) = p.server.take() else { return };
    let (lines, after, code) = server.bind_failure(started, port);
    p.lines = lines.into_iter().map(|(t, l)| (t - started, l)).chain(std::mem::take(&mut p.lines)).collect();
    if p.exits.is_none_or(|(at, _)| at > after) {
        p.exits = Some((after, code));
    }
}

/// Whether the container's command runs as a process in the shell (`sh -c`, busybox's
/// applets, `sleep`), rather than by its image's plan (servers, `perl`, unknown programs).
/// The `run-seconds` and `crash-after` annotations keep the plan: they decide the ending.
pub fn runs_in_shell(words: &[String], container: &str, ann: &BTreeMap<String, String>) -> bool {
    if annotation(ann, "run-seconds", container).is_some() || annotation(ann, "crash-after", container).is_some() {
        return false;
    }
    let Some(first) = words.first() else { return false };
    if crate::node::container::process::is_shell(first) {
        return words.len() > 1;
    }
    let name = first.rsplit('/').next().unwrap_or(first);
    name == "sleep"
        || name == crate::node::container::certgen::PROGRAM
        || crate::node::container::shell::APPLETS.contains(&name)
        || crate::node::container::shell::NETWORK.contains(&name)
}

/// hello-app's `Version:` line: `1.0.0` for tag `1.0`, `2.0.0` for `2.0` (a tag that is not a
/// version, as the first release's: `1.0.0`).
fn hello_app_version(image: &str) -> String {
    let tag = super::images::tag(image).unwrap_or("");
    let numbers: Vec<&str> = tag.split('.').collect();
    if !numbers.is_empty()
        && numbers.len() <= 3
        && numbers.iter().all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        let mut parts = numbers.clone();
        parts.resize(3, "0");
        parts.join(".")
    } else {
        "1.0.0".to_string()
    }
}

/// One program with its arguments (`words[0]` is `program` as written).
fn simple(program: &str, words: &[&str], p: &mut Plan, fs: &Fs, env: &[(String, String)]) {
    let rest = &words[1..];
    match program {
        "sleep" => {
            p.honours_sigterm = false;
            p.exits = sleep(rest.first().copied().unwrap_or("0")).map(|d| (d, 0));
        }
        "true" => p.exits = Some((Duration::zero(), 0)),
        "false" => p.exits = Some((Duration::zero(), 1)),
        "echo" => {
            p.lines.push((Duration::zero(), unquote(&rest.join(" "))));
            p.exits = Some((Duration::zero(), 0));
        }
        "perl" if super::perl::bpi(rest).is_some() => {
            if let Some((after, line)) = super::perl::bpi(rest) {
                p.lines.push((after, line));
                p.exits = Some((after, 0));
            }
        }
        "http-echo" if server::http_echo_text(rest, env).is_none() => {
            p.lines.push((Duration::zero(), "Missing -text option OR ENV var TEXT is empty!".into()));
            p.exits = Some((Duration::zero(), 127));
        }
        "agnhost" => match server::detect(words, fs, env) {
            Some(s) => p.server = Some(s),
            None => agnhost_other(rest, p),
        },
        _ => {
            p.server = Some(
                server::detect(words, fs, env)
                    .unwrap_or_else(|| Server { kind: Kind::Unknown(words[0].to_string()), ports: Vec::new() }),
            )
        }
    }
}

/// agnhost's subcommands: those kubesim runs are servers; the rest are Cobra's errors or
/// programs it does not simulate.
fn agnhost_other(rest: &[&str], p: &mut Plan) {
    match rest.first() {
        None => {
            p.lines.push((Duration::zero(), "Usage:".into()));
            p.lines.push((Duration::zero(), "  agnhost [command]".into()));
            p.exits = Some((Duration::zero(), 0));
        }
        Some(sub) if AGNHOST.contains(sub) => {
            p.server = Some(Server { kind: Kind::Unknown(format!("agnhost {sub}")), ports: Vec::new() })
        }
        Some(sub) => {
            p.lines.push((Duration::zero(), format!("Error: unknown command \"{sub}\" for \"agnhost\"")));
            p.lines.push((Duration::zero(), "Run 'agnhost --help' for usage.".into()));
            p.exits = Some((Duration::zero(), 1));
        }
    }
}

/// agnhost's subcommands (test/images/agnhost/agnhost.go).
const AGNHOST: &[&str] = &[
    "audit-proxy",
    "connect",
    "crd-conversion-webhook",
    "dns-server-list",
    "dns-suffix",
    "entrypoint-tester",
    "etc-hosts",
    "fake-gitserver",
    "grpc-health-checking",
    "guestbook",
    "inclusterclient",
    "liveness",
    "logs-generator",
    "mounttest",
    "net",
    "netexec",
    "nettest",
    "no-snat-test",
    "no-snat-test-proxy",
    "pause",
    "port-forward-tester",
    "porter",
    "resource-consumer-controller",
    "serve-hostname",
    "tcp-reset",
    "test-webserver",
    "webhook",
];

/// `sleep N`: `None` for `infinity`. A bad number sleeps not at all, as sleep fails at once.
fn sleep(arg: &str) -> Option<Duration> {
    if arg == "infinity" || arg == "inf" {
        return None;
    }
    Some(parse_duration(arg).unwrap_or_else(|_| Duration::zero()))
}

/// A shell script, read statement by statement: `sleep`, `echo`, `exit`, `true`, `false`,
/// and loops that never end (`while true`, `tail -f`).
fn script(text: &str, p: &mut Plan) {
    let mut total = Duration::zero();
    let mut code = 0;
    let text = unquote(text);
    for stmt in text.split([';', '\n']).flat_map(|s| s.split("&&")).map(str::trim) {
        let words: Vec<&str> = stmt.split_whitespace().collect();
        match words.as_slice() {
            ["while", "true", ..] | ["while", ":", ..] | ["tail", "-f", ..] => {
                p.exits = None;
                return;
            }
            ["sleep", arg, ..] => match sleep(arg) {
                Some(d) => total += d,
                None => {
                    p.exits = None;
                    return;
                }
            },
            ["exit", k, ..] => {
                p.exits = Some((total, k.parse().unwrap_or(2)));
                return;
            }
            ["exit"] => break,
            ["echo", rest @ ..] => p.lines.push((total, unquote(&rest.join(" ")))),
            ["false"] => code = 1,
            [] => {}
            _ => code = 0,
        }
    }
    p.exits = Some((total, code));
}

fn unquote(s: &str) -> String {
    let t = s.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return t[1..t.len() - 1].to_string();
        }
    }
    t.to_string()
}

/// How a container's run ended, for its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The process ended by itself.
    Exited,
    /// It got SIGTERM and exited.
    Terminated,
    /// It was killed (SIGKILL) when the grace period ended.
    Killed,
    /// The kernel's OOM killer ended it (SIGKILL): its cgroup's memory went over the limit.
    OomKilled,
}

/// The log of one run up to `now`: `(time, line)` in order. `stopped` is when SIGTERM came,
/// `ip` the pod's address.
pub fn log(
    plan: &Plan,
    started: Time,
    ended: Option<(Time, Ending)>,
    stopped: Option<Time>,
    now: Time,
    ip: &str,
) -> Vec<(Time, String)> {
    let mut out = Vec::new();
    let until = ended.map_or(now, |(at, _)| at.min(now));
    if let Some(s) = &plan.server {
        // A load generator's later lines (vish/stress's "Allocated") come when it gets there.
        out.extend(s.start_lines(started, ip).into_iter().filter(|(t, _)| *t <= until));
    }
    out.extend(plan.lines.iter().map(|(after, l)| (started + *after, l.clone())).filter(|(t, _)| *t <= until));
    let natural = plan.exits.map(|(after, _)| started + after);
    if let (Some(at), Some(s)) = (stopped, &plan.server) {
        if plan.honours_sigterm && at <= until && natural.is_none_or(|n| n > at) {
            out.extend(s.stop_lines(at).into_iter().map(|l| (at, l)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(image: &str, command: &[&str], ann: &[(&str, &str)], expect: &str) {
        let command: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        let ann: BTreeMap<String, String> = ann.iter().map(|(k, v)| (format!("{PREFIX}{k}"), v.to_string())).collect();
        let words = crate::node::container::image::resolve_command(short_name(image), &command, &[]);
        let p = plan(image, &words, "c", &ann, &crate::node::container::image::files(short_name(image)), &[]);
        let exits = match p.exits {
            Some((d, code)) => format!("exits {}s code {code}", d.num_seconds()),
            None => "runs".into(),
        };
        let lines: Vec<&str> = p.lines.iter().map(|(_, l)| l.as_str()).collect();
        let sigterm = if p.honours_sigterm { "exits" } else { "ignored" };
        let got = format!("{exits}, sigterm {sigterm}, lines {lines:?}");
        assert_eq!(got, expect, "{image} {command:?}");
    }

    #[test]
    fn plans() {
        check("nginx", &[], &[], "runs, sigterm exits, lines []");
        check("busybox", &[], &[], "exits 0s code 0, sigterm exits, lines []");
        check("busybox", &["sleep", "5"], &[], "exits 5s code 0, sigterm ignored, lines []");
        check("busybox", &["sleep", "infinity"], &[], "runs, sigterm ignored, lines []");
        check(
            "busybox",
            &["sh", "-c", "echo hi; sleep 3; exit 4"],
            &[],
            "exits 3s code 4, sigterm ignored, lines [\"hi\"]",
        );
        check("busybox", &["/bin/sh", "-c", "while true; do sleep 1; done"], &[], "runs, sigterm ignored, lines []");
        check("busybox", &["false"], &[], "exits 0s code 1, sigterm exits, lines []");
        check("busybox", &["echo", "hello world"], &[], "exits 0s code 0, sigterm exits, lines [\"hello world\"]");
        check("nginx", &[], &[("crash-after", "30s")], "exits 30s code 1, sigterm exits, lines []");
        check("nginx", &[], &[("run-seconds", "10"), ("exit-code", "3")], "exits 10s code 3, sigterm exits, lines []");
        check("busybox", &["sleep", "5"], &[("exit-code", "2")], "exits 5s code 2, sigterm ignored, lines []");
        check("myapp", &["/app/server", "--port=80"], &[("logs", "a\nb")], "runs, sigterm exits, lines [\"a\", \"b\"]");
        check(
            "hashicorp/http-echo",
            &[],
            &[],
            "exits 0s code 127, sigterm exits, lines [\"Missing -text option OR ENV var TEXT is empty!\"]",
        );
        check(
            "agnhost",
            &["/agnhost", "nope"],
            &[],
            "exits 0s code 1, sigterm exits, lines [\"Error: unknown command \\\"nope\\\" for \\\"agnhost\\\"\", \"Run 'agnhost --help' for usage.\"]",
        );
    }

    #[test]
    fn names() {
        assert_eq!(short_name("docker.io/library/nginx:1.27"), "nginx");
        assert_eq!(short_name("registry.k8s.io/coredns/coredns:v1.12.0"), "coredns");
        assert_eq!(short_name("localhost:5000/app@sha256:abc"), "app");
    }

    #[test]
    fn hello_app_versions_follow_the_tag() {
        assert_eq!(hello_app_version("gcr.io/google-samples/hello-app:1.0"), "1.0.0");
        assert_eq!(hello_app_version("gcr.io/google-samples/hello-app:2.0"), "2.0.0");
        assert_eq!(hello_app_version("us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0.1"), "1.0.1");
        assert_eq!(hello_app_version("gcr.io/google-samples/hello-app"), "1.0.0");
        assert_eq!(hello_app_version("localhost:5000/hello-app"), "1.0.0");
        assert_eq!(hello_app_version("gcr.io/google-samples/hello-app:1.0@sha256:abc"), "1.0.0");
    }
}
