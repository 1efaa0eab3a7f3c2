//! The audit log: every request the API server handled, so a learner can see that every
//! component works through the API server.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use super::handler::RequestInfo;
use super::user::UserInfo;

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

/// A request's audit event while it is served: opened when the request arrives, so a request
/// that is refused (or fails) anywhere is audited alike, and written to the log with the
/// response's code when it completes (the Metadata level logs the ResponseComplete stage).
#[derive(Debug, Clone)]
pub struct AuditEvent {
    time: DateTime<Utc>,
    user: String,
    verb: &'static str,
    resource: String,
    namespace: String,
    /// The object's name; a create with `generateName` learns it while it is served.
    pub name: String,
}

impl AuditEvent {
    pub(super) fn open(time: DateTime<Utc>, user: &UserInfo, request: &RequestInfo<'_>) -> Self {
        let mut resource = request.info.group_resource();
        if !request.sub.is_empty() {
            resource.push('/');
            resource.push_str(request.sub);
        }
        AuditEvent {
            time,
            user: user.name.clone(),
            verb: request.verb,
            resource,
            namespace: request.namespace.to_string(),
            name: request.name.to_string(),
        }
    }

    pub(super) fn complete(self, code: u16, revision: i64) -> AuditRecord {
        let AuditEvent { time, user, verb, resource, namespace, name } = self;
        AuditRecord { time, user, verb, resource, namespace, name, code, revision }
    }
}

/// The audit log: the latest requests, oldest first. Like kube-apiserver's log file, which is
/// rotated at a size, it keeps only the newest [`AuditLog::DEFAULT_LIMIT`] records, so a
/// cluster left running for simulated months does not grow. Every record has a position that
/// never changes (how many records came before it), so marks taken by other components stay
/// valid after older records are dropped.
#[derive(Debug, Clone)]
pub struct AuditLog {
    records: VecDeque<AuditRecord>,
    /// Records dropped from the front: the position of the oldest one kept.
    dropped: usize,
    limit: usize,
}

impl Default for AuditLog {
    fn default() -> Self {
        AuditLog { records: VecDeque::new(), dropped: 0, limit: AuditLog::DEFAULT_LIMIT }
    }
}

impl AuditLog {
    /// How many records are kept by default.
    pub const DEFAULT_LIMIT: usize = 100_000;

    /// The records kept, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &AuditRecord> + ExactSizeIterator {
        self.records.iter()
    }

    /// The records kept with their positions, oldest first.
    pub fn positioned(&self) -> impl DoubleEndedIterator<Item = (usize, &AuditRecord)> + ExactSizeIterator {
        self.records.iter().enumerate().map(move |(i, r)| (self.dropped + i, r))
    }

    /// The records kept from position `from` on (all kept ones if `from` was dropped).
    pub fn since(&self, from: usize) -> impl DoubleEndedIterator<Item = &AuditRecord> + ExactSizeIterator {
        self.records.range(from.saturating_sub(self.dropped).min(self.records.len())..)
    }

    /// How many records are kept.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// How many records were ever written: the position the next one will have.
    pub fn written(&self) -> usize {
        self.dropped + self.records.len()
    }

    /// Keep at most `limit` records (at least one); older ones are dropped now.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.max(1);
        self.trim();
    }

    pub(super) fn push(&mut self, record: AuditRecord) {
        self.records.push_back(record);
        self.trim();
    }

    fn trim(&mut self) {
        while self.records.len() > self.limit {
            self.records.pop_front();
            self.dropped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str) -> AuditRecord {
        AuditRecord {
            time: DateTime::<Utc>::default(),
            user: "kubectl".into(),
            verb: "get",
            resource: "pods".into(),
            namespace: "default".into(),
            name: name.into(),
            code: 200,
            revision: 1,
        }
    }

    #[test]
    fn issue_10_the_audit_log_is_a_ring_with_stable_positions() {
        let mut log = AuditLog::default();
        log.set_limit(3);
        for n in ["a", "b", "c", "d", "e"] {
            log.push(record(n));
        }
        let kept: Vec<(usize, &str)> = log.positioned().map(|(i, r)| (i, r.name.as_str())).collect();
        assert_eq!(kept, [(2, "c"), (3, "d"), (4, "e")]);
        assert_eq!((log.len(), log.written()), (3, 5));
        assert_eq!(log.since(4).map(|r| r.name.as_str()).collect::<Vec<_>>(), ["e"]);
        assert_eq!(log.since(0).len(), 3, "a dropped position gives every record kept");
        assert_eq!(log.since(9).len(), 0);
    }
}
