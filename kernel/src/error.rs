//! The kernel's errors: what stops it from starting or installing. Errors while serving are
//! logged and the kernel goes on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("cannot read the connection file {path}: {source}")]
    ConnectionFile { path: PathBuf, source: std::io::Error },
    #[error("the connection file {path} is not a Jupyter connection file: {source}")]
    ConnectionInfo { path: PathBuf, source: serde_json::Error },
    #[error("cannot bind the kernel's {socket} socket: {message}")]
    Bind { socket: &'static str, message: String },
    #[error("cannot start the kernel's event loop: {0}")]
    Runtime(std::io::Error),
    #[error("cannot install the kernelspec in {path}: {source}")]
    Install { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    NoPrefix(String),
}
