//! kubectl: command lines become API server requests; printers turn answers into kubectl's text.

pub mod apply;
mod apply_cmd;
mod command;
mod describe;
pub mod etcdctl;
mod files;
pub mod flags;
mod get;
pub mod printers;

pub use command::run_line;
