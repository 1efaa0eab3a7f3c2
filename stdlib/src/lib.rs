//! kubesim's script library: the Rhai functions over the control plane, and [`Session`], the
//! one evaluation core that the REPL, `kubesim run` and the Jupyter kernel all drive.
//!
//! This is the only crate that knows Rhai.

pub mod api;
pub mod clusters;
pub mod complete;
mod convert;
pub mod docs;
pub mod inspect;
mod limits;
mod modules;
pub mod pictures;
mod rich;
pub mod session;
pub mod syntax;

/// The Rhai version scripts run on (the one the workspace pins).
pub const RHAI_VERSION: &str = "1.27.0";

pub use clusters::{ClusterSummary, ProgressFn};
pub use complete::Completions;
pub use limits::{eval_thread, EVAL_STACK_SIZE};
pub use session::{
    Completeness, Emit, ErrorKind, MimeBundle, Outputs, ScriptError, Session, SessionOptions, Stream, TerminalFn,
};
