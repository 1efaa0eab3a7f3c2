//! kubectl: command lines become API server requests; printers turn answers into kubectl's text.

pub mod printers;
