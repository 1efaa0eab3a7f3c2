//! `kubectl exec POD [-c CONTAINER] -- COMMAND [ARGS...]`: the command runs in the container
//! (its files and environment) at the present simulated moment; a command that sleeps lets
//! the cluster's time pass until it ends. What it writes is printed; a non-zero exit is
//! kubectl's `command terminated with exit code N`.

use chrono::Duration;

use super::flags::{flag, parse, FlagSpec};
use super::Input;
use crate::client::{Client, Response, Waiter};
use crate::model::{Kind, Object};

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("container", Some('c'), true),
    flag("namespace", Some('n'), true),
    flag("stdin", Some('i'), false),
    flag("tty", Some('t'), false),
    flag("quiet", Some('q'), false),
    flag("request-timeout", None, true),
];

/// How long an exec may run without `--request-timeout`: the kubelet's
/// `streamingConnectionIdleTimeout` (4h), which kubesim applies to the whole stream, so a
/// command that never ends cannot hold a script forever.
pub const STREAM_LIMIT: i64 = 4 * 3600;

const USAGE: &str = "error: you must specify at least one command for the container";

/// The command's output, or its output and kubectl's error line.
pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    _input: Input<'_>,
) -> Result<String, String> {
    let (before, cmd) = match args.iter().position(|a| *a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let flags = parse(before, FLAGS)?;
    if flags.is_set("stdin") || flags.is_set("tty") {
        return Err("error: \"kubectl exec -i/-t\" (an interactive session) is not built in kubesim yet; run one command at a time: kubectl exec POD -- COMMAND".into());
    }
    let pod_name = match flags.positional.as_slice() {
        [one] => one.strip_prefix("pod/").or_else(|| one.strip_prefix("pods/")).unwrap_or(one).to_string(),
        [] => return Err("error: expected 'exec POD_NAME COMMAND [ARG1] [ARG2] ... [ARGN]'.\nPOD_NAME and COMMAND are required arguments for the exec command\nSee 'kubectl exec -h' for help and examples".into()),
        [_, ..] => return Err("error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples".into()),
    };
    if cmd.is_empty() {
        return Err(USAGE.into());
    }
    let cmd: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    let limit = match flags.get("request-timeout") {
        None | Some("") | Some("0") => Duration::seconds(STREAM_LIMIT),
        Some(t) => super::watch::request_timeout(t)?,
    };
    let quiet = flags.is_set("quiet");
    let r = exec(client, waiter, &namespace, &pod_name, flags.get("container"), &cmd, limit, quiet)?;
    let text = r.notice + &r.stdout + &r.stderr;
    if r.code == 0 {
        Ok(text)
    } else {
        Err(format!("{text}command terminated with exit code {}", r.code))
    }
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
    let obj = client.get(Kind::Pod, namespace, pod_name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let Object::Pod(pod) = &*obj else { return Err(format!("error: {pod_name} is not a pod")) };
    let phase = pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
    if phase == "Succeeded" || phase == "Failed" {
        return Err(format!("error: cannot exec into a container in a completed pod; current phase is {phase}"));
    }
    let spec = pod.spec.clone().unwrap_or_default();
    let mut notice = String::new();
    let container = match container {
        Some(c) => c.to_string(),
        None => {
            let default = pod
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("kubectl.kubernetes.io/default-container"))
                .cloned();
            let first = spec.containers.first().map(|c| c.name.clone()).unwrap_or_default();
            if default.is_none() && spec.containers.len() > 1 && !quiet {
                let names: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
                notice = format!("Defaulted container {first:?} out of: {}\n", names.join(", "));
            }
            default.unwrap_or(first)
        }
    };
    let deadline = waiter.deadline(limit).map_err(|e| format!("error: {e}"))?;
    let mut step = client.exec(namespace, pod_name, &container, cmd).map(Response::into_body).map_err(|e| {
        if e.reason == crate::apiserver::error::Reason::InternalError {
            format!("error: {}", e.message)
        } else {
            e.kubectl_message()
        }
    })?;
    let text = |s: &crate::apiserver::exec::ExecStep| {
        notice.clone() + &String::from_utf8_lossy(&s.output.stdout) + &String::from_utf8_lossy(&s.output.stderr)
    };
    loop {
        if let Some(code) = step.output.code {
            let utf8 = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            return Ok(Exec { notice, stdout: utf8(&step.output.stdout), stderr: utf8(&step.output.stderr), code });
        }
        let wake = step.output.wake.unwrap_or_else(|| waiter.now()).min(deadline);
        while waiter.now() < wake {
            if waiter.step_toward(wake).map_err(|e| format!("{}error: {e}", text(&step)))? {
                break;
            }
        }
        if waiter.now() >= deadline {
            return Err(format!(
                "{}error: the exec stream was closed after {} of simulated time (--request-timeout, or the kubelet's streamingConnectionIdleTimeout)",
                text(&step),
                crate::sim::clock::go_duration(limit)
            ));
        }
        step = client.exec_poll(&step).map(Response::into_body).map_err(|e| format!("{}{}", text(&step), e.message))?;
    }
}
