//! A stream to a process in a container (`exec`, `attach`, `run -i`), driven as kubectl's
//! remotecommand client drives it: what the process writes is printed as it comes, its stdin
//! is what the user types (or the text a script hands in), and simulated time passes while
//! the process runs. kubectl knows nothing of terminals: a front-end that has one hands in a
//! [`Terminal`], which reads one line with a prompt (the text the process printed last
//! without a newline, as a terminal shows it before the cursor).

use std::cell::RefCell;

use chrono::Duration;

use super::stdout::Printed;
use crate::apiserver::exec::ExecStep;
use crate::client::{Client, Response, WaitError, Waiter};
use crate::node::container::terminal::Input;
use crate::sim::SimError;

/// What the user did at the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// A line (without its newline).
    Line(String),
    /// Ctrl-D.
    Eof,
    /// Ctrl-C.
    Interrupt,
    /// The front-end stopped waiting for the line (a notebook's stop button): kubectl's end
    /// of the stream closes at once, as when kubectl itself is stopped, and says nothing (the
    /// front-end says why).
    Hangup,
}

/// A front-end's terminal: reads a line after showing the prompt.
pub type Terminal<'a> = RefCell<dyn FnMut(&str) -> Typed + 'a>;

/// The front-end's terminal in a command's [`super::Input`], if it has one.
#[derive(Clone, Copy, Default)]
pub struct Tty<'a> {
    pub terminal: Option<&'a Terminal<'a>>,
    /// Without a terminal: the front-end's one line on why, printed when a command asks for
    /// stdin (a notebook client that does not answer input requests).
    pub absent: Option<&'a str>,
}

impl<'a> Tty<'a> {
    pub fn to(terminal: &'a Terminal<'a>) -> Tty<'a> {
        Tty { terminal: Some(terminal), absent: None }
    }

    /// No terminal, for the reason `why`.
    pub fn absent(why: &'a str) -> Tty<'a> {
        Tty { terminal: None, absent: Some(why) }
    }
}

impl std::fmt::Debug for Tty<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.terminal.is_some() { "Tty(terminal)" } else { "Tty(none)" })
    }
}

/// kubectl's warning when `-t` is asked for without a terminal (`SetupTTY`).
pub const NO_TTY: &str = "Unable to use a TTY - input is not a terminal or the right kind of file";

/// Where the stream's stdin comes from.
pub(super) enum Stdin<'a> {
    /// Not sent (`-i` not given): the process reads nothing.
    Closed,
    /// The user types it, a line at a time.
    Terminal(&'a Terminal<'a>),
    /// A script's text, all sent at once, then the end of input.
    Text(String),
}

/// How a stream ended.
pub(super) struct Ended {
    /// The process's exit code; `None` when the stream stopped first (time limit, Ctrl-C
    /// without stdin).
    pub code: Option<i32>,
    /// What it wrote to stderr (without a terminal), for the caller to print after stdout.
    pub stderr: String,
}

/// The most of an unfinished line held back (a prompt is much shorter).
const LONGEST_LINE: usize = 64 * 1024;

/// Drive `step` until its process ends or `limit` of simulated time passes (on a terminal,
/// without input or output). What it writes to stdout (on a terminal, stderr too) goes to
/// `out` as it comes; with a terminal, the last unfinished line is the prompt of the next
/// read instead. A [`Typed::Hangup`] closes the stream and fails with an empty message.
pub(super) fn drive(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    mut step: ExecStep,
    mut stdin: Stdin<'_>,
    limit: Duration,
    out: &mut Printed<'_>,
) -> Result<Ended, String> {
    let mut tail = String::new();
    let mut stderr = String::new();
    let mut deadline = waiter.deadline(limit).map_err(|e| format!("error: {e}"))?;
    let result = loop {
        let terminal = matches!(stdin, Stdin::Terminal(_));
        tail.push_str(&String::from_utf8_lossy(&step.output.stdout));
        // A terminal shows both streams as they come; elsewhere stderr follows the output.
        let err = String::from_utf8_lossy(&step.output.stderr);
        if terminal {
            tail.push_str(&err);
        } else {
            stderr.push_str(&err);
        }
        // Whole lines go out at once; the unfinished one waits for more (or is the prompt),
        // unless it grows past what a line could be.
        if let Some(end) = tail.rfind('\n') {
            out.print(&tail[..=end]);
            tail.drain(..=end);
        }
        if tail.len() > LONGEST_LINE {
            out.print(&std::mem::take(&mut tail));
        }
        // On a terminal the limit is the kubelet's idle timeout: output, like input below,
        // keeps the stream open, which only Ctrl-C ends (a script's stream ends at the limit).
        if terminal && !(step.output.stdout.is_empty() && step.output.stderr.is_empty()) {
            deadline = waiter.deadline(limit).map_err(|e| format!("error: {e}"))?;
        }
        if let Some(code) = step.output.code {
            break Ok(Some(code));
        }
        // A process waiting for input (no wake-up of its own) gets the next of it.
        let sent = match (step.output.wake, std::mem::replace(&mut stdin, Stdin::Closed)) {
            (None, Stdin::Text(text)) => {
                send(client, &step, Input::Data(text.into_bytes()))?;
                send(client, &step, Input::Eof)?;
                true
            }
            (None, Stdin::Terminal(term)) => {
                stdin = Stdin::Terminal(term);
                let prompt = std::mem::take(&mut tail);
                let typed = (term.borrow_mut())(&prompt);
                let input = match typed {
                    Typed::Line(line) => Input::Data(format!("{line}\n").into_bytes()),
                    Typed::Eof => Input::Eof,
                    Typed::Interrupt => Input::Interrupt,
                    // Closed below; an exec'd process goes with its stream.
                    Typed::Hangup => break Err(String::new()),
                };
                send(client, &step, input)?;
                deadline = waiter.deadline(limit).map_err(|e| format!("error: {e}"))?;
                true
            }
            (_, other) => {
                stdin = other;
                false
            }
        };
        if !sent {
            let toward = step.output.wake.unwrap_or(deadline).min(deadline);
            match waiter.step_toward(toward) {
                Ok(_) => {}
                Err(WaitError::Cluster(SimError::Interrupted)) => {
                    waiter.clear_interrupt();
                    if matches!(stdin, Stdin::Terminal(_)) {
                        // Ctrl-C on a terminal is the container's: its foreground command stops.
                        send(client, &step, Input::Interrupt)?;
                    } else {
                        break Ok(None);
                    }
                }
                Err(e) => break Err(format!("error: {e}")),
            }
            if waiter.now() >= deadline {
                break Ok(None);
            }
        }
        waiter.settle().map_err(|e| format!("error: {e}"))?;
        step = match client.exec_poll(&step) {
            Ok(r) => r.into_body(),
            Err(e) => break Err(e.message),
        };
    };
    out.print(&tail);
    if !matches!(result, Ok(Some(_))) {
        client.stream_close(&step);
    }
    result.map(|code| Ended { code, stderr })
}

fn send(client: &mut dyn Client, step: &ExecStep, input: Input) -> Result<(), String> {
    client.stream_input(step, input).map(Response::into_body).map_err(|e| e.message)
}

/// The time a stream may run (on a terminal, without input or output): `--request-timeout`,
/// else the kubelet's `streamingConnectionIdleTimeout` (4h).
pub(super) fn limit(request_timeout: Option<&str>) -> Result<Duration, String> {
    match request_timeout {
        None | Some("") | Some("0") => Ok(Duration::seconds(super::exec::STREAM_LIMIT)),
        Some(t) => super::watch::request_timeout(t),
    }
}

/// What a stream without a terminal gave, as bytes (an archive from `tar`): its stdout, its
/// stderr and its exit code. `stdin` is sent whole, then the end of input.
pub(super) struct Collected {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub code: Option<i32>,
}

/// Run `step` to its end (or `limit` of simulated time), keeping its output as bytes.
pub(super) fn collect(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    mut step: ExecStep,
    mut stdin: Option<Vec<u8>>,
    limit: Duration,
) -> Result<Collected, String> {
    let deadline = waiter.deadline(limit).map_err(|e| format!("error: {e}"))?;
    let mut got = Collected { stdout: Vec::new(), stderr: Vec::new(), code: None };
    loop {
        got.stdout.extend_from_slice(&step.output.stdout);
        got.stderr.extend_from_slice(&step.output.stderr);
        if let Some(code) = step.output.code {
            got.code = Some(code);
            return Ok(got);
        }
        match (step.output.wake, stdin.take()) {
            (None, Some(data)) => {
                send(client, &step, Input::Data(data))?;
                send(client, &step, Input::Eof)?;
            }
            (wake, _) => {
                waiter.step_toward(wake.unwrap_or(deadline).min(deadline)).map_err(|e| format!("error: {e}"))?;
                if waiter.now() >= deadline {
                    client.stream_close(&step);
                    return Ok(got);
                }
            }
        }
        waiter.settle().map_err(|e| format!("error: {e}"))?;
        step = client.exec_poll(&step).map(Response::into_body).map_err(|e| e.message)?;
    }
}
