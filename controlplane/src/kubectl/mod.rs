//! kubectl: command lines become API server requests; printers turn answers into kubectl's text.

pub mod apply;
mod apply_cmd;
mod command;
mod create;
mod delete;
mod describe;
mod drain;
pub mod etcdctl;
mod explain;
mod expose;
mod files;
pub mod flags;
mod get;
mod info;
pub mod jsonpath;
mod jsonpath_parse;
mod label;
mod later;
mod logs;
mod patch;
pub mod printers;
mod replace;
pub mod resources;
mod rollout;
mod run_cmd;
mod scale;
mod set_env;
mod set_image;
mod set_resources;
pub mod sort;
mod tabwriter;
mod taint;
mod top;
mod wait;

pub use command::{run_line, run_line_output, run_line_with, Args, Input, Output, Verb, VERBS};
pub use info::KUBECTL_VERSION;
