//! `kubectl exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS...]`: the command runs in the
//! container (its files and environment) at the present simulated moment; a command that
//! sleeps lets the cluster's time pass until it ends. What it writes is printed; a non-zero
//! exit is kubectl's `command terminated with exit code N`. With `-i` its stdin is the
//! front-end's terminal (`-it -- sh` is an interactive shell), or in a script the text handed
//! in; `-t` without a terminal warns as kubectl does and goes on without one.

use chrono::Duration;

use super::flags::{flag, parse, FlagSpec};
use super::stdout::Printed;
use super::stream::{self, Stdin};
use super::Input;
use crate::client::{Client, Response, Waiter};
use crate::model::{Kind, Object};
use crate::node::runtime::cri::Streams;

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("container", Some('c'), true),
    flag("namespace", Some('n'), true),
    flag("stdin", Some('i'), false),
    flag("tty", Some('t'), false),
    flag("quiet", Some('q'), false),
    flag("request-timeout", None, true),
];

/// How long an exec may run without `--request-timeout`: the kubelet's
/// `streamingConnectionIdleTimeout` (4h). On a terminal it is idle time, as the kubelet's is;
/// otherwise kubesim applies it to the whole stream, so a command that never ends cannot
/// hold a script forever.
pub const STREAM_LIMIT: i64 = 4 * 3600;

const USAGE: &str = "error: you must specify at least one command for the container";

/// The command's output, or its output and kubectl's error line.
pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let (before, cmd) = match args.iter().position(|a| *a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let flags = parse(before, FLAGS)?;
    let target = match flags.positional.as_slice() {
        [one] => one.clone(),
        [] => return Err("error: expected 'exec POD_NAME COMMAND [ARG1] [ARG2] ... [ARGN]'.\nPOD_NAME and COMMAND are required arguments for the exec command\nSee 'kubectl exec -h' for help and examples".into()),
        [_, ..] => return Err("error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples".into()),
    };
    if cmd.is_empty() {
        return Err(USAGE.into());
    }
    let cmd: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    // `deploy/web`: the first of its pods, as kubectl's `ExecutablePodFn` chooses it.
    let pod_name = super::logs::attachable_pod(client, &namespace, &target, "attach to")?.0;
    let limit = stream::limit(flags.get("request-timeout"))?;
    let quiet = flags.is_set("quiet");
    let (stdin, notice) = stdin_for(flags.is_set("stdin"), flags.is_set("tty"), quiet, &input);
    let mut out = Printed::new(input.stdout);
    out.print(&notice);
    let streams = Streams {
        stdin: !matches!(stdin, Stdin::Closed),
        tty: matches!(stdin, Stdin::Terminal(_)) && flags.is_set("tty"),
    };
    let target = Target { namespace: &namespace, pod: &pod_name, container: flags.get("container"), quiet };
    let r = match exec_streams(client, waiter, &target, &cmd, streams, stdin, limit, &mut out) {
        Ok(r) => r,
        Err(e) => return Err(out.failed(&e)),
    };
    let text = r.notice + &out.into_text() + &r.stderr;
    if r.code == 0 {
        Ok(text)
    } else {
        Err(format!("{text}command terminated with exit code {}", r.code))
    }
}

/// Where a stream's stdin comes from for `-i`/`-t` (`SetupTTY`): the front-end's terminal,
/// else the text handed in (a script's), with kubectl's warning when `-t` finds no terminal.
pub(super) fn stdin_for<'a>(stdin: bool, tty: bool, quiet: bool, input: &Input<'a>) -> (Stdin<'a>, String) {
    if !stdin {
        return (Stdin::Closed, String::new());
    }
    if let Some(t) = input.terminal.terminal {
        return (Stdin::Terminal(t), String::new());
    }
    let mut warning = if tty && !quiet { format!("{}\n", stream::NO_TTY) } else { String::new() };
    if let Some(why) = input.terminal.absent {
        warning.push_str(why);
        warning.push('\n');
    }
    (Stdin::Text(input.stdin.unwrap_or_default().to_string()), warning)
}

/// What an exec'd command wrote and its exit code, with kubectl's notice of the container it
/// chose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exec {
    pub notice: String,
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// The pod and container a stream goes to.
pub(super) struct Target<'a> {
    pub namespace: &'a str,
    pub pod: &'a str,
    pub container: Option<&'a str>,
    pub quiet: bool,
}

/// Run `cmd` in a pod's container (the default one when `None`), letting time pass while it
/// runs, for at most `limit` of simulated time. Errors are kubectl's lines.
#[allow(clippy::too_many_arguments)]
pub fn exec(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    namespace: &str,
    pod_name: &str,
    container: Option<&str>,
    cmd: &[String],
    limit: Duration,
    quiet: bool,
) -> Result<Exec, String> {
    let mut out = Printed::new(super::Stdout::default());
    let target = Target { namespace, pod: pod_name, container, quiet };
    let r = exec_streams(client, waiter, &target, cmd, Streams::default(), Stdin::Closed, limit, &mut out)
        .map_err(|e| out_and(&mut out, e))?;
    Ok(Exec { stdout: out.into_text(), ..r })
}

fn out_and(out: &mut Printed<'_>, e: String) -> String {
    std::mem::replace(out, Printed::new(super::Stdout::default())).failed(&e)
}

/// The pod's container to stream to: the one named, else the default-container annotation's,
/// else the first, with kubectl's notice when it had to choose (`FindOrDefaultContainerByName`).
pub(super) fn choose_container(
    client: &mut dyn Client,
    target: &Target<'_>,
    verb: &str,
) -> Result<(String, String, crate::model::Pod), String> {
    let obj = client
        .get(Kind::Pod, target.namespace, target.pod)
        .map(Response::into_body)
        .map_err(|e| e.kubectl_message())?;
    let Object::Pod(pod) = &*obj else { return Err(format!("error: {} is not a pod", target.pod)) };
    let phase = pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
    if phase == "Succeeded" || phase == "Failed" {
        return Err(format!("error: cannot {verb} a container in a completed pod; current phase is {phase}"));
    }
    let spec = pod.spec.clone().unwrap_or_default();
    let mut notice = String::new();
    let container = match target.container {
        Some(c) => c.to_string(),
        None => {
            let default = pod
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("kubectl.kubernetes.io/default-container"))
                .cloned();
            let first = spec.containers.first().map(|c| c.name.clone()).unwrap_or_default();
            if default.is_none() && spec.containers.len() > 1 && !target.quiet {
                let names: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
                notice = format!("Defaulted container {first:?} out of: {}\n", names.join(", "));
            }
            default.unwrap_or(first)
        }
    };
    Ok((container, notice, (**pod).clone()))
}

/// The stream API server errors as kubectl prints them.
pub(super) fn stream_error(e: crate::apiserver::ApiError) -> String {
    if e.reason == crate::apiserver::error::Reason::InternalError {
        format!("error: {}", e.message)
    } else {
        e.kubectl_message()
    }
}

#[allow(clippy::too_many_arguments)]
fn exec_streams(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    target: &Target<'_>,
    cmd: &[String],
    streams: Streams,
    stdin: Stdin<'_>,
    limit: Duration,
    out: &mut Printed<'_>,
) -> Result<Exec, String> {
    let (container, notice, _) = choose_container(client, target, "exec into")?;
    let step = client
        .exec(target.namespace, target.pod, &container, cmd, streams)
        .map(Response::into_body)
        .map_err(|e| notice.clone() + &stream_error(e))?;
    let ended = stream::drive(client, waiter, step, stdin, limit, out).map_err(|e| notice.clone() + &e)?;
    match ended.code {
        Some(code) => Ok(Exec { notice, stdout: String::new(), stderr: ended.stderr, code }),
        None => Err(format!(
            "{notice}{}error: the exec stream was closed after {} of simulated time (--request-timeout, or the kubelet's streamingConnectionIdleTimeout)",
            ended.stderr,
            crate::sim::clock::go_duration(limit)
        )),
    }
}
