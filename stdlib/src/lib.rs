//! kubesim's script library: the Rhai functions over the control plane, and [`Session`], the
//! one evaluation core that the REPL, `kubesim run` and the Jupyter kernel all drive.
//!
//! This is the only crate that knows Rhai.

pub mod api;
mod convert;
pub mod session;

pub use session::{Completeness, Outputs, ScriptError, Session, SessionOptions, Stream};
