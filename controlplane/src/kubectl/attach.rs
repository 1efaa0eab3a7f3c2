//! `kubectl attach POD [-c CONTAINER] [-i] [-t]`: the output of a container's main process
//! from now on, and with `-i` its stdin, as kubectl's attach streams them; `run -i` attaches
//! the same way to the pod it made.

use super::exec::{choose_container, stdin_for, stream_error, Target};
use super::flags::{flag, parse, FlagSpec};
use super::stdout::Printed;
use super::stream::{self, Stdin};
use super::Input;
use crate::client::{Client, Response, Waiter};
use crate::node::runtime::cri::Streams;

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("container", Some('c'), true),
    flag("namespace", Some('n'), true),
    flag("stdin", Some('i'), false),
    flag("tty", Some('t'), false),
    flag("quiet", Some('q'), false),
    flag("pod-running-timeout", None, true),
    flag("request-timeout", None, true),
];

/// kubectl's notice before an attached session (v1.32).
const RECORDED: &str = "All commands and output from this session will be recorded in container logs, including credentials and sensitive information passed through the command prompt.\n";
const PRESS_ENTER: &str = "If you don't see a command prompt, try pressing enter.\n";

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let target = match flags.positional.as_slice() {
        [one] => one.clone(),
        [kind, name] => format!("{kind}/{name}"),
        [] => return Err("error: at least 1 argument is required for attach".into()),
        many => {
            return Err(format!(
                "error: expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw {}: {many:?}",
                many.len()
            ))
        }
    };
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    let pod = super::logs::attachable_pod(client, &namespace, &target, "attach to")?.0;
    let limit = stream::limit(flags.get("request-timeout"))?;
    let target =
        Target { namespace: &namespace, pod: &pod, container: flags.get("container"), quiet: flags.is_set("quiet") };
    let mut out = Printed::new(input.stdout);
    match session(client, waiter, &target, flags.is_set("stdin"), flags.is_set("tty"), limit, &input, &mut out) {
        Ok(()) => Ok(out.into_text()),
        Err(e) => Err(out.failed(&e)),
    }
}

/// Attach to the target's container (`AttachOptions.Run`): its notices, the stream, and the
/// way back in once it ends.
#[allow(clippy::too_many_arguments)]
pub(super) fn session(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    target: &Target<'_>,
    stdin: bool,
    mut tty: bool,
    limit: chrono::Duration,
    input: &Input<'_>,
    out: &mut Printed<'_>,
) -> Result<(), String> {
    let (container, notice, pod) = choose_container(client, target, "attach")?;
    out.print(&notice);
    let spec = pod.spec.as_ref().and_then(|s| s.containers.iter().find(|c| c.name == container));
    let container_tty = spec.and_then(|c| c.tty).unwrap_or(false);
    if tty && !container_tty {
        tty = false;
        if !target.quiet {
            out.print(&format!("error: Unable to use a TTY - container {container} did not allocate one\n"));
        }
    } else if !tty && container_tty {
        // A container on a TTY is attached on one (else "Unrecognized input header").
        tty = true;
    }
    let (mut source, warning) = stdin_for(stdin, tty, target.quiet, input);
    out.print(&warning);
    let raw = tty && matches!(source, Stdin::Terminal(_));
    // A container without `stdin: true` has its stdin closed: nothing typed reaches it.
    if !spec.and_then(|c| c.stdin).unwrap_or(false) {
        source = Stdin::Closed;
    }
    if !target.quiet {
        out.print(RECORDED);
        out.print(PRESS_ENTER);
    }
    let streams = Streams { stdin: !matches!(source, Stdin::Closed), tty: raw };
    let step = client
        .attach(target.namespace, target.pod, &container, streams)
        .map(Response::into_body)
        .map_err(stream_error)?;
    // The main process runs on the node's clock: let it take the attach in (a shell redraws
    // its prompt) before the first look.
    waiter.settle().map_err(|e| format!("error: {e}"))?;
    let step = client.exec_poll(&step).map(Response::into_body).map_err(stream_error)?;
    // Without a terminal, what the process wrote to stderr follows its output, as exec's does.
    let ended = stream::drive(client, waiter, step, source, limit, out)?;
    out.print(&ended.stderr);
    if !target.quiet && stdin && raw {
        out.print(&format!(
            "Session ended, resume using 'kubectl attach {} -c {container} -n {} -i -t' command\n",
            target.pod, target.namespace
        ));
    }
    Ok(())
}
