//! etcd-style transactions: compare, then success or failure operations.
//!
//! Keys are borrowed where the caller has them (every write of the API server compares and
//! puts the same key), so a transaction copies no key it does not keep.

use std::borrow::Cow;

use smallvec::SmallVec;

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
pub struct Compare<'k> {
    pub key: Cow<'k, str>,
    pub target: CompareTarget,
}

impl<'k> Compare<'k> {
    pub fn mod_revision(key: impl Into<Cow<'k, str>>, rev: i64) -> Self {
        Compare { key: key.into(), target: CompareTarget::ModRevision(rev) }
    }

    pub fn absent(key: impl Into<Cow<'k, str>>) -> Self {
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
pub enum Op<'k, V> {
    Get(Cow<'k, str>),
    Put(Cow<'k, str>, V),
    Delete(Cow<'k, str>),
}

/// A transaction's parts: the API server's writes have one compare and one operation, kept
/// inline (no allocation).
pub type Parts<T> = SmallVec<[T; 1]>;

#[derive(Debug, Clone)]
pub struct Txn<'k, V> {
    pub compare: Parts<Compare<'k>>,
    pub success: Parts<Op<'k, V>>,
    pub failure: Parts<Op<'k, V>>,
}

impl<'k, V> Txn<'k, V> {
    pub fn new(
        compare: impl IntoIterator<Item = Compare<'k>>,
        success: impl IntoIterator<Item = Op<'k, V>>,
        failure: impl IntoIterator<Item = Op<'k, V>>,
    ) -> Self {
        Txn {
            compare: compare.into_iter().collect(),
            success: success.into_iter().collect(),
            failure: failure.into_iter().collect(),
        }
    }

    /// One compare and one operation on success, none on failure: the API server's writes,
    /// made without the iteration `new` goes through.
    pub fn one(compare: Compare<'k>, op: Op<'k, V>) -> Self {
        Txn { compare: SmallVec::from_buf([compare]), success: SmallVec::from_buf([op]), failure: SmallVec::new() }
    }
}

/// The outcome: which branch ran, the store revision after it, and one entry per operation
/// (the value read, written, or deleted; None for an absent key).
#[derive(Debug, Clone)]
pub struct TxnResponse<V> {
    pub succeeded: bool,
    pub revision: i64,
    pub responses: Parts<Option<KeyValue<V>>>,
}
