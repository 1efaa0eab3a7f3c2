//! kubesim as a Jupyter kernel: the wire protocol over ZeroMQ in front of the same
//! [`stdlib::Session`] the REPL drives, and the kernelspec install.
//!
//! Shape (as ipykernel and evcxr have it): the sockets are served by tasks on one tokio
//! thread; the session lives on its own evaluation thread, because a running cell must not
//! stop the heartbeat, control (interrupt, shutdown) or IOPub's welcome. Every message to
//! IOPub goes through one queue, so busy, outputs and idle arrive in the order they were
//! made.
//!
//! This is the only crate that knows ZeroMQ.

mod error;
mod evaluator;
mod history;
pub mod install;
mod server;
mod traceback;
pub mod wire;

pub use error::KernelError;
pub use server::run;

/// For the fuzzer: decode frames and answer a history request from them, as the kernel would.
#[doc(hidden)]
pub fn fuzz_message(frames: Vec<bytes::Bytes>, key: &str) {
    if let wire::Incoming::Message(message) = wire::parse(frames, key) {
        if let jupyter_protocol::JupyterMessageContent::HistoryRequest(request) = &message.content {
            let mut history = history::History::default();
            history.record(1, "1 + 1", Some("2"));
            let _ = history.answer(request);
        }
    }
}
