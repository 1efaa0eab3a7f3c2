//! kubectl: command lines become API server requests; printers turn answers into kubectl's text.

pub mod apply;
pub mod etcdctl;
