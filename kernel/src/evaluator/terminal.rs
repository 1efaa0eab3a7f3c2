//! A cell's terminal for `kubectl exec -it`, `attach -it` and `run -it`: each line the
//! container reads is asked of the notebook with an `input_request` on the stdin channel, its
//! prompt what the container printed last (a shell's `/ # `), as ipykernel asks for `input()`.
//!
//! This is the one place the evaluation thread waits on the other side: for the
//! `input_reply`. The wait ends with the reply, or when the kernel's interrupt (the stop
//! button, or shutdown) wakes it: then the line hangs up. A client that never answers
//! therefore holds the cell only until the stop button or shutdown, never the kernel.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc as sync_mpsc, Arc};

use controlplane::kubectl::Typed;
use jupyter_protocol::{InputRequest, JupyterMessage};
use stdlib::TerminalFn;
use tokio::sync::mpsc;

use super::publisher::Publisher;

/// What reaches a terminal waiting for a line.
pub enum StdinEvent {
    /// An `input_reply`, with the id of the request it answers ("" when it names none).
    Reply { request: String, value: String },
    /// The kernel was interrupted (or is shutting down): look at the interrupt flag.
    Wake,
}

/// How many events may wait for a terminal; past that, more are dropped (a client sending
/// replies nobody asked for cannot make the kernel grow, and a terminal that waits takes
/// them off as they come, looking at the interrupt flag after each).
pub const EVENTS: usize = 64;

/// The evaluation thread's ends of the stdin channel.
pub struct StdinLink {
    /// Input requests, for the stdin loop to send.
    pub requests: mpsc::UnboundedSender<JupyterMessage>,
    /// Replies from the stdin loop, and wake-ups from an interrupt (at most [`EVENTS`]).
    pub events: sync_mpsc::Receiver<StdinEvent>,
}

/// The line after an `-it` line's kubectl warning when the request has `allow_stdin` false
/// (where ipykernel's `input()` raises StdinNotImplementedError).
pub const NO_STDIN: &str =
    "kubesim: this Jupyter client does not answer input requests (allow_stdin is false): the container's stdin is empty";

/// ipykernel reads a reply of Ctrl-D (U+0004) as the end of input; so does kubesim.
const EOF: &str = "\u{4}";

/// The terminal of the cell `parent`: it stops waiting when `interrupt` is set.
pub fn terminal(
    parent: &JupyterMessage,
    link: &Rc<StdinLink>,
    publisher: &Rc<RefCell<Publisher>>,
    interrupt: Arc<AtomicBool>,
) -> TerminalFn {
    let parent = parent.clone();
    let link = link.clone();
    let publisher = publisher.clone();
    Box::new(move |prompt: &str| {
        // What the container printed before its prompt is shown before the input box.
        publisher.borrow().flush();
        // Wake-ups of interrupts already over, and replies to requests given up on.
        for _ in 0..EVENTS {
            if link.events.try_recv().is_err() {
                break;
            }
        }
        // The flag is set before the wake-up is sent: one set now is not missed.
        if interrupt.load(Ordering::Relaxed) {
            return Typed::Hangup;
        }
        let request = crate::server::reply(InputRequest { prompt: prompt.to_string(), password: false }, &parent);
        let id = request.header.msg_id.clone();
        if link.requests.send(request).is_err() {
            return Typed::Hangup;
        }
        loop {
            match link.events.recv() {
                // jupyter_client's `input()` sends its reply without a parent: it answers the
                // request now open, as ipykernel takes it.
                Ok(StdinEvent::Reply { request, value }) if request == id || request.is_empty() => {
                    return if value == EOF { Typed::Eof } else { Typed::Line(value) };
                }
                // A wake-up, or a reply to another request.
                Ok(_) => {}
                // The kernel is going away.
                Err(_) => return Typed::Hangup,
            }
            if interrupt.load(Ordering::Relaxed) {
                return Typed::Hangup;
            }
        }
    })
}
