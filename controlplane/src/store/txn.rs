//! etcd-style transactions: compare, then success or failure operations.

use super::KeyValue;

/// What a compare looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareTarget {
    /// The key's mod revision; 0 when absent.
    ModRevision(i64),
    /// The key's create revision; 0 when absent (so `CreateRevision(0)` means "does not exist").
    CreateRevision(i64),
    /// The key's version; 0 when absent.
    Version(i64),
}

/// `key`'s target must equal the given number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compare {
    pub key: String,
    pub target: CompareTarget,
}

impl Compare {
    pub fn mod_revision(key: impl Into<String>, rev: i64) -> Self {
        Compare { key: key.into(), target: CompareTarget::ModRevision(rev) }
    }

    pub fn absent(key: impl Into<String>) -> Self {
        Compare { key: key.into(), target: CompareTarget::CreateRevision(0) }
    }

    pub(super) fn holds<V>(&self, kv: Option<&KeyValue<V>>) -> bool {
        let (create, modr, version) = kv.map_or((0, 0, 0), |kv| (kv.create_revision, kv.mod_revision, kv.version));
        match self.target {
            CompareTarget::ModRevision(r) => modr == r,
            CompareTarget::CreateRevision(r) => create == r,
            CompareTarget::Version(v) => version == v,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Op<V> {
    Get(String),
    Put(String, V),
    Delete(String),
}

#[derive(Debug, Clone)]
pub struct Txn<V> {
    pub compare: Vec<Compare>,
    pub success: Vec<Op<V>>,
    pub failure: Vec<Op<V>>,
}

impl<V> Txn<V> {
    pub fn new(compare: Vec<Compare>, success: Vec<Op<V>>, failure: Vec<Op<V>>) -> Self {
        Txn { compare, success, failure }
    }
}

/// The outcome: which branch ran, the store revision after it, and one entry per operation
/// (the value read, written, or deleted; None for an absent key).
#[derive(Debug, Clone)]
pub struct TxnResponse<V> {
    pub succeeded: bool,
    pub revision: i64,
    pub responses: Vec<Option<KeyValue<V>>>,
}
