//! The audit log: every request the API server handled, so a learner can see that every
//! component works through the API server.

use chrono::{DateTime, Utc};

/// One request, as an audit event at the Metadata level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub time: DateTime<Utc>,
    /// Who asked: `kubectl`, `kube-scheduler`, `kubelet/node-1`, ...
    pub user: String,
    /// create, get, list, update, patch, delete, watch.
    pub verb: &'static str,
    /// `pods`, `deployments.apps`, with `/status` for the status subresource.
    pub resource: String,
    pub namespace: String,
    pub name: String,
    /// HTTP status code of the response.
    pub code: u16,
    /// The store's revision after the request (a write that changed something raised it).
    pub revision: i64,
}
