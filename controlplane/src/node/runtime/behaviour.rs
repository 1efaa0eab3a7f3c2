//! What a container does, since there are no real images: its main process runs until its
//! command ends (`sleep 5`, `sh -c "exit 3"`, `true`, `echo hi`) or, for servers (no command
//! and an image like nginx, or any other program), until it is stopped. Pod annotations
//! `kubesim.io/...` override the command's own ending (see the README's table).

use std::collections::BTreeMap;

use chrono::Duration;

use super::cri::Time;
use crate::sim::clock::parse_duration;

/// The prefix of kubesim's pod annotations.
pub const PREFIX: &str = "kubesim.io/";

/// A pod annotation for one container: `kubesim.io/KEY.CONTAINER` first, then `kubesim.io/KEY`.
pub fn annotation<'a>(annotations: &'a BTreeMap<String, String>, key: &str, container: &str) -> Option<&'a str> {
    annotations
        .get(&format!("{PREFIX}{key}.{container}"))
        .or_else(|| annotations.get(&format!("{PREFIX}{key}")))
        .map(String::as_str)
}

/// A duration annotation (`30`, `30s`, `2m`); a bad value counts as absent.
pub fn duration_annotation(annotations: &BTreeMap<String, String>, key: &str, container: &str) -> Option<Duration> {
    annotation(annotations, key, container).and_then(|v| parse_duration(v).ok())
}

/// What the image prints when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Banner {
    Nginx,
    Redis,
    Nothing,
}

/// The life of a container's main process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// When the process ends by itself (after this long) and with which exit code; `None`
    /// runs until stopped.
    pub exits: Option<(Duration, i32)>,
    /// Servers exit at once on SIGTERM; `sleep` or a shell as PID 1 ignore it and are killed
    /// when the grace period ends.
    pub honours_sigterm: bool,
    pub banner: Banner,
    /// Lines the process prints (`echo`, `kubesim.io/logs`), each this long after it starts.
    pub lines: Vec<(Duration, String)>,
}

/// Images whose default command is a shell or a short program: with no command they exit at once.
pub const SHELL_IMAGES: &[&str] = &[
    "busybox",
    "alpine",
    "ubuntu",
    "debian",
    "centos",
    "fedora",
    "rockylinux",
    "almalinux",
    "amazonlinux",
    "bash",
    "python",
    "node",
    "ruby",
    "golang",
    "perl",
    "hello-world",
];

/// The repository's last path component: `docker.io/library/nginx:1.27` → `nginx`.
pub fn short_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

/// The plan for a container of `image` running `command` + `args`, with the pod's annotations.
pub fn plan(image: &str, command: &[String], args: &[String], container: &str, ann: &BTreeMap<String, String>) -> Plan {
    let words: Vec<&str> = command.iter().chain(args).map(String::as_str).collect();
    let name = short_name(image);
    let mut p = Plan { exits: None, honours_sigterm: true, banner: Banner::Nothing, lines: Vec::new() };
    match words.first().map(|w| w.rsplit('/').next().unwrap_or(w)) {
        None if name == "hello-world" => {
            p.lines.push((Duration::zero(), "Hello from Docker!".into()));
            p.exits = Some((Duration::zero(), 0));
        }
        None if SHELL_IMAGES.contains(&name) => p.exits = Some((Duration::zero(), 0)),
        None => {
            p.banner = match name {
                "nginx" => Banner::Nginx,
                "redis" => Banner::Redis,
                _ => Banner::Nothing,
            }
        }
        Some("sh" | "bash" | "ash" | "dash") if words.get(1) == Some(&"-c") => {
            p.honours_sigterm = false;
            script(&words[2..].join(" "), &mut p);
        }
        Some(w) => {
            let rest = &words[1..];
            simple(w, rest, &mut p);
        }
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

/// Whether the container's command runs as a process in the shell (`sh -c`, busybox's
/// applets, `sleep`), rather than by its image's plan (servers, `perl`, unknown programs).
/// The `run-seconds` and `crash-after` annotations keep the plan: they decide the ending.
pub fn runs_in_shell(command: &[String], args: &[String], container: &str, ann: &BTreeMap<String, String>) -> bool {
    if annotation(ann, "run-seconds", container).is_some() || annotation(ann, "crash-after", container).is_some() {
        return false;
    }
    let Some(first) = command.iter().chain(args).next() else { return false };
    let name = first.rsplit('/').next().unwrap_or(first);
    matches!(name, "sh" | "bash" | "ash" | "dash" | "sleep")
        || crate::node::container::shell::APPLETS.contains(&name)
        || crate::node::container::shell::NETWORK.contains(&name)
}

/// One program with its arguments.
fn simple(program: &str, rest: &[&str], p: &mut Plan) {
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
        "perl" => {
            if let Some((after, line)) = super::perl::bpi(rest) {
                p.lines.push((after, line));
                p.exits = Some((after, 0));
            }
        }
        _ => {}
    }
}

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
}

/// The log of one run up to `now`: `(time, line)` in order.
pub fn log(plan: &Plan, started: Time, ended: Option<(Time, Ending)>, now: Time) -> Vec<(Time, String)> {
    let mut out = Vec::new();
    let go = started.format("%Y/%m/%d %H:%M:%S");
    let redis = started.format("%d %b %Y %H:%M:%S%.3f");
    match plan.banner {
        Banner::Nginx => {
            for l in [
                "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
                "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
                "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
                "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
                "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
                "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
                "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
                "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
                "/docker-entrypoint.sh: Configuration complete; ready for start up",
            ] {
                out.push((started, l.to_string()));
            }
            for l in [
                "using the \"epoll\" event method",
                "nginx/1.27.3",
                "built by gcc 12.2.0 (Debian 12.2.0-14)",
                "OS: Linux 6.8.0-kubesim",
                "getrlimit(RLIMIT_NOFILE): 1048576:1048576",
                "start worker processes",
                "start worker process 29",
            ] {
                out.push((started, format!("{go} [notice] 1#1: {l}")));
            }
        }
        Banner::Redis => {
            out.push((started, format!("1:C {redis} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")));
            out.push((
                started,
                format!("1:C {redis} * Redis version=7.4.1, bits=64, commit=00000000, modified=0, pid=1, just started"),
            ));
            out.push((started, format!("1:M {redis} * Server initialized")));
            out.push((started, format!("1:M {redis} * Ready to accept connections tcp")));
        }
        Banner::Nothing => {}
    }
    let until = ended.map_or(now, |(at, _)| at.min(now));
    out.extend(plan.lines.iter().map(|(after, l)| (started + *after, l.clone())).filter(|(t, _)| *t <= until));
    if let Some((at, Ending::Terminated)) = ended {
        match plan.banner {
            Banner::Nginx => {
                let t = at.format("%Y/%m/%d %H:%M:%S");
                out.push((at, format!("{t} [notice] 1#1: signal 15 (SIGTERM) received, exiting")));
                out.push((at, format!("{t} [notice] 29#29: exiting")));
                out.push((at, format!("{t} [notice] 1#1: exit")));
            }
            Banner::Redis => {
                let t = at.format("%d %b %Y %H:%M:%S%.3f");
                out.push((
                    at,
                    format!("1:signal-handler ({}) Received SIGTERM scheduling shutdown...", at.timestamp()),
                ));
                out.push((at, format!("1:M {t} # Redis is now ready to exit, bye bye...")));
            }
            Banner::Nothing => {}
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
        let p = plan(image, &command, &[], "c", &ann);
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
    }

    #[test]
    fn names() {
        assert_eq!(short_name("docker.io/library/nginx:1.27"), "nginx");
        assert_eq!(short_name("registry.k8s.io/coredns/coredns:v1.12.0"), "coredns");
        assert_eq!(short_name("localhost:5000/app@sha256:abc"), "app");
    }
}
