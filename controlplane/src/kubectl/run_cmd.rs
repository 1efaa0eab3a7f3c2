//! `kubectl run NAME --image=IMAGE [--labels=k=v,...] [--env=K=V] [--port=P] [--restart=...]
//! [--command] [-i] [-t] [--rm] [-- ARGS...]`: one pod. With `-i` (or `--attach`) kubectl
//! waits for it to run and attaches to it, then (restart policy Never or OnFailure) waits for
//! it to finish and gives its exit code; `--rm` deletes it at the end.

use serde_json::{json, Value};

use super::create::submit;
use super::exec::Target;
use super::flags::{flag, parse, FlagSpec, Parsed};
use super::stdout::Printed;
use super::Input;
use crate::apiserver::DeleteOptions;
use crate::client::{wait_until, Client, Response, WaitFailure, Waiter};
use crate::model::{Kind, Object};

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("image", None, true),
    flag("labels", Some('l'), true),
    flag("env", None, true),
    flag("port", None, true),
    flag("restart", None, true).with_values(&["Always", "Never", "OnFailure"]),
    flag("command", None, false),
    flag("namespace", Some('n'), true),
    flag("dry-run", None, true),
    flag("output", Some('o'), true).with_values(&["json", "name", "yaml"]),
    flag("image-pull-policy", None, true),
    flag("annotations", None, true),
    flag("stdin", Some('i'), false),
    flag("tty", Some('t'), false),
    flag("attach", None, false),
    flag("rm", None, false),
    flag("leave-stdin-open", None, false),
    flag("quiet", Some('q'), false),
    flag("pod-running-timeout", None, true),
];

/// How long `run --attach` waits for the pod to run (`--pod-running-timeout`, 1m).
const POD_RUNNING_TIMEOUT: i64 = 60;

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let (after, before) = match args.iter().position(|a| *a == "--") {
        Some(i) => (args[i + 1..].iter().map(|s| s.to_string()).collect::<Vec<_>>(), &args[..i]),
        None => (Vec::new(), args),
    };
    let flags = parse(before, FLAGS)?;
    let name = match flags.positional.as_slice() {
        [name] => name.clone(),
        [] => return Err("error: NAME is required for run\nSee 'kubectl run -h' for help and examples".into()),
        [_, extra @ ..] => return Err(format!("error: unexpected arguments: {extra:?}; put a command after --")),
    };
    let image = flags.get("image").ok_or("error: required flag(s) \"image\" not set")?;
    let labels: serde_json::Map<String, Value> = match flags.get("labels") {
        Some(l) => l
            .split(',')
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                    .ok_or(format!("error: invalid label spec: {kv}"))
            })
            .collect::<Result<_, _>>()?,
        None => [("run".to_string(), Value::String(name.clone()))].into_iter().collect(),
    };
    let interactive = flags.is_set("stdin");
    let attach = flags.is_set("attach") || interactive;
    if flags.is_set("tty") && !interactive {
        return Err("error: -i/--stdin is required for containers with -t/--tty=true".into());
    }
    // `getRestartPolicy`: an interactive pod is restarted only when it fails.
    let restart = flags.get("restart").unwrap_or(if interactive { "OnFailure" } else { "Always" });
    if !matches!(restart, "Always" | "OnFailure" | "Never") {
        return Err(format!("error: invalid restart policy: {restart}"));
    }
    if !attach && flags.is_set("rm") {
        return Err("error: --rm should only be used for attached containers".into());
    }
    if attach && flags.get("dry-run").is_some_and(|d| d != "none") {
        return Err("error: --dry-run=[server|client] can't be used with attached containers options (--attach, --stdin, or --tty)".into());
    }
    let mut container = json!({"name": name, "image": image, "resources": {}});
    if interactive {
        container["stdin"] = json!(true);
        container["stdinOnce"] = json!(!flags.is_set("leave-stdin-open"));
    }
    if flags.is_set("tty") {
        container["tty"] = json!(true);
    }
    if !after.is_empty() {
        container[if flags.is_set("command") { "command" } else { "args" }] = json!(after);
    }
    let env: Vec<Value> = flags
        .all("env")
        .iter()
        .map(|e| {
            let (k, v) = e.split_once('=').unwrap_or((e, ""));
            json!({"name": k, "value": v})
        })
        .collect();
    if !env.is_empty() {
        container["env"] = Value::Array(env);
    }
    if let Some(p) = flags.get("port") {
        let port: i64 = p.parse().map_err(|_| format!("error: invalid argument {p:?} for \"--port\" flag"))?;
        container["ports"] = json!([{"containerPort": port}]);
    }
    if let Some(policy) = flags.get("image-pull-policy") {
        container["imagePullPolicy"] = json!(policy);
    }
    let doc = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [container], "restartPolicy": restart, "dnsPolicy": "ClusterFirst"},
    });
    if !attach {
        return submit(client, waiter, &flags, doc, "created");
    }
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    let obj: Object = crate::model::decode::decode(doc).map_err(|e| format!("error: {e}"))?;
    client.create(&namespace, obj).map_err(|e| e.kubectl_message())?;
    let mut out = Printed::new(input.stdout);
    let attached = attached(client, waiter, &flags, &namespace, &name, restart, &input, &mut out);
    // `--rm` deletes the pod however the session went (a deferred delete in kubectl).
    let removed = if flags.is_set("rm") {
        remove(client, waiter, &namespace, &name, flags.is_set("quiet"))
    } else {
        String::new()
    };
    match attached {
        Ok(()) => Ok(out.into_text() + &removed),
        Err(e) => Err(out.failed(&format!("{removed}{e}"))),
    }
}

/// Wait for the pod to run, attach to it, and with restart policy Never or OnFailure wait for
/// it to finish: an error with its exit code when it failed.
#[allow(clippy::too_many_arguments)]
fn attached(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    flags: &Parsed,
    namespace: &str,
    name: &str,
    restart: &str,
    input: &Input<'_>,
    out: &mut Printed<'_>,
) -> Result<(), String> {
    let timeout = match flags.get("pod-running-timeout") {
        Some(t) => super::watch::request_timeout(t)?,
        None => chrono::Duration::seconds(POD_RUNNING_TIMEOUT),
    };
    let quiet = flags.is_set("quiet");
    let pod = wait_for(client, waiter, namespace, name, timeout, |p| {
        matches!(phase(p), "Succeeded" | "Failed")
            || phase(p) == "Running" && crate::controllers::controller_utils::is_pod_ready(p)
    })?;
    if matches!(phase(&pod), "Succeeded" | "Failed") {
        // Too late to attach: its log instead (`logOpts`).
        let req = crate::node::kubelet::logs::LogRequest { container: Some(name.to_string()), ..Default::default() };
        let log = client.logs(namespace, name, &req).map(Response::into_body).map_err(|e| e.kubectl_message())?;
        out.print(&log);
    } else {
        let target = Target { namespace, pod: name, container: None, quiet };
        let limit = super::stream::limit(flags.get("request-timeout"))?;
        super::attach::session(client, waiter, &target, flags.is_set("stdin"), flags.is_set("tty"), limit, input, out)?;
    }
    if flags.is_set("leave-stdin-open") || restart == "Always" {
        return Ok(());
    }
    let never = restart == "Never";
    let pod = wait_for(client, waiter, namespace, name, chrono::Duration::seconds(super::exec::STREAM_LIMIT), |p| {
        phase(p) == "Succeeded" || never && phase(p) == "Failed"
    })?;
    if phase(&pod) == "Succeeded" {
        return Ok(());
    }
    let terminated = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c.first())
        .and_then(|c| c.state.as_ref())
        .and_then(|s| s.terminated.clone());
    match terminated {
        Some(t) if t.exit_code != 0 => {
            let reason = t.reason.unwrap_or_default();
            let message = t.message.unwrap_or_default();
            Err(format!("pod {namespace}/{name} terminated ({reason})\n{message}").trim_end().to_string())
        }
        _ => Err(format!("error: pod {namespace}/{name} failed with unknown exit code")),
    }
}

fn phase(pod: &crate::model::Pod) -> &str {
    crate::controllers::controller_utils::pod_phase(pod)
}

/// `waitForPod`: let time pass until the pod meets `done`, for at most `timeout`.
fn wait_for(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    namespace: &str,
    name: &str,
    timeout: chrono::Duration,
    done: impl Fn(&crate::model::Pod) -> bool,
) -> Result<crate::model::Pod, String> {
    let deadline = waiter.deadline(timeout).map_err(|e| format!("error: {e}"))?;
    let mut last = None;
    let met = wait_until(waiter, deadline, || {
        let obj = client.get(Kind::Pod, namespace, name).map_err(WaitFailure::Api)?.into_body();
        let Object::Pod(pod) = &*obj else { return Ok(false) };
        let met = done(pod);
        last = Some((**pod).clone());
        Ok::<bool, WaitFailure>(met)
    })
    .map_err(|e| e.kubectl_message())?;
    match last {
        Some(pod) if met => Ok(pod),
        _ => Err("error: timed out waiting for the condition".into()),
    }
}

/// `--rm`: delete the pod at once (grace period as the pod says, not waiting), as kubectl's
/// delete prints it.
fn remove(client: &mut dyn Client, waiter: &mut dyn Waiter, namespace: &str, name: &str, quiet: bool) -> String {
    match client.delete(Kind::Pod, namespace, name, DeleteOptions::default()) {
        Ok(_) => {
            let _ = waiter.settle();
            if quiet {
                String::new()
            } else {
                format!("pod \"{name}\" deleted\n")
            }
        }
        Err(e) if e.reason == crate::apiserver::Reason::NotFound => String::new(),
        Err(e) => format!("{}\n", e.kubectl_message()),
    }
}
