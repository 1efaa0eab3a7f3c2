//! kubectl's kubeconfig for the simulated cluster, as kind writes it: one cluster and one user
//! named `kind-kind`, and contexts over them, each with the namespace commands default to.
//! `kubectl config` reads and changes it; it lives with the cluster, so the REPL, scripts and
//! notebooks driving one cluster share it.

use std::collections::BTreeMap;

/// The cluster, user and first context kind names.
pub const KIND: &str = "kind-kind";

/// One context: a cluster, a user and the namespace commands default to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub cluster: String,
    pub user: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kubeconfig {
    pub current: String,
    pub contexts: BTreeMap<String, Context>,
}

impl Default for Kubeconfig {
    fn default() -> Self {
        let kind = Context { cluster: KIND.into(), user: KIND.into(), namespace: None };
        Kubeconfig { current: KIND.into(), contexts: BTreeMap::from([(KIND.to_string(), kind)]) }
    }
}

impl Kubeconfig {
    /// The namespace of the current context, when it sets one.
    pub fn namespace(&self) -> Option<&str> {
        self.contexts.get(&self.current).and_then(|c| c.namespace.as_deref())
    }
}
