//! kubesim's control plane: a whole Kubernetes cluster in one process, on a simulated clock.
//!
//! The layers, bottom up: [`model`] (kinds, typed objects, selectors, quantities), [`store`]
//! (an etcd-like MVCC store), [`apiserver`] (validation, defaulting, admission, apply),
//! [`sim`] (the clock, the timer queue, the RNG and the `Cluster` that composes everything),
//! and [`kubectl`] (command lines to requests, and kubectl's printers).
//!
//! This crate knows nothing of Rhai, terminals or Jupyter, and touches no host file but
//! through [`fileaccess::FileAccess`].

pub mod alloc;
pub mod apiserver;
pub mod backoff;
pub mod client;
pub mod controllers;
pub mod events;
pub mod fasthash;
pub mod fileaccess;
pub mod gosort;
pub mod kubectl;
pub mod memo;
pub mod model;
pub mod network;
pub mod node;
pub mod scheduler;
pub mod sim;
pub mod store;
pub mod tar;
