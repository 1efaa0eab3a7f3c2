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
mod wire;

pub use error::KernelError;
pub use server::run;
