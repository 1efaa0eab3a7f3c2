//! Ports of the user's machine forwarded into pods (`kubectl port-forward`): a connection to
//! `localhost:PORT` from outside the cluster goes through the pod's kubelet straight into the
//! pod's network namespace, past Services and NetworkPolicy, as a real port-forward does.

use std::collections::BTreeMap;

/// One forwarded port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    pub namespace: String,
    pub pod: String,
    /// The pod it was made for: a pod of the same name made later is not it.
    pub uid: String,
    /// The port in the pod.
    pub port: u16,
}

/// The forwarded ports, by local port.
pub type Forwards = BTreeMap<u16, Forward>;
