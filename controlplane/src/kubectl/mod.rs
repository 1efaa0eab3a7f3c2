//! kubectl: command lines become API server requests; printers turn answers into kubectl's text.

pub mod apply;
mod apply_cmd;
mod command;
pub mod etcdctl;
mod explain;
mod files;
pub mod flags;
mod get;
pub mod jsonpath;
mod jsonpath_parse;
pub mod printers;
pub mod sort;

pub use command::run_line;
