//! An etcd-like MVCC key-value store: one global revision, per-key create/mod revision and
//! version, range by prefix, transactions that compare revisions, watch from a revision,
//! compaction, and keys that expire (`lease.rs`). Values stay typed (`Arc<V>`); nothing is serialised unless a reader asks.
//!
//! Like etcd, the store knows nothing of Kubernetes: the API server decides keys and values.

use std::collections::{BTreeSet, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use crate::fasthash::HashMap;
use ordered::{BucketKeys, OrderedKey};

mod lease;
mod ordered;
mod txn;
pub use txn::{Compare, CompareTarget, Op, Txn, TxnResponse};

/// A value the store can hold. The store stamps the revision of each write into it,
/// which is how `metadata.resourceVersion` comes to equal the etcd mod revision.
pub trait Revisioned: Clone {
    fn set_revision(&mut self, revision: i64);
}

/// One key's current state, as etcd's `mvccpb.KeyValue`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyValue<V> {
    pub key: Arc<str>,
    pub create_revision: i64,
    pub mod_revision: i64,
    /// Number of writes to the key since it was created (1 after create).
    pub version: i64,
    pub value: Arc<V>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Put,
    Delete,
}

/// One change, as etcd's `mvccpb.Event`. For a delete, `kv` is the deleted value with
/// `mod_revision` set to the revision of the delete.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<V> {
    pub event_type: EventType,
    pub kv: KeyValue<V>,
    pub prev_kv: Option<KeyValue<V>>,
}

impl<V> Event<V> {
    pub fn revision(&self) -> i64 {
        self.kv.mod_revision
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("mvcc: required revision has been compacted")]
    Compacted { compacted: i64 },
    #[error("mvcc: required revision is a future revision")]
    FutureRevision,
}

/// A key's current state and, if it is attached to one, when its lease expires: kept
/// together so that a write finds both in one look-up of the key.
#[derive(Debug, Clone)]
struct Slot<V> {
    kv: KeyValue<V>,
    lease: Option<i64>,
    /// Its place in its bucket's list, when the bucket is listed rather than ordered.
    place: usize,
}

/// The store. Single-threaded by design: the simulated cluster runs on one thread.
#[derive(Debug, Clone)]
pub struct Store<V> {
    revision: i64,
    compacted: i64,
    /// Every key's state, for point look-ups (most requests): a hash finds a key faster than a
    /// search that compares long, alike paths (`/registry/pods/default/...`) at every level.
    kvs: HashMap<Arc<str>, Slot<V>>,
    /// The same keys in order, for ranges by prefix, grouped by their first three path
    /// segments (`/registry/pods/`): a range under one resource searches only its keys, and
    /// one under a resource with no objects (webhook configurations, on every request) ends
    /// at once. Buckets taken in the order of `buckets` hold their keys in order (see
    /// [`bucket`]); each key with its first bytes past the bucket inline ([`OrderedKey`]), but
    /// for the buckets kept listed, sorted only when read ([`BucketKeys`]).
    order: HashMap<Box<str>, BucketKeys>,
    /// The buckets whose keys are listed and sorted only when read (see [`BucketKeys`]).
    listed: Vec<Box<str>>,
    /// The names of the buckets in `order`, in order, for a prefix shorter than a bucket.
    /// Buckets are found by hash: a search of this set compares long, alike paths
    /// (`/registry/validatingwebhookconfigurations/`, asked by every write's admission).
    buckets: BTreeSet<Box<str>>,
    /// Every change since the compaction point, oldest first, for watches.
    history: VecDeque<Event<V>>,
    /// The keys with a lease, in the order their leases expire.
    expiry: lease::Expiry,
}

impl<V: Revisioned> Default for Store<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Revisioned> Store<V> {
    pub fn new() -> Self {
        // etcd starts at revision 1 with an empty keyspace.
        Store {
            revision: 1,
            compacted: 0,
            kvs: HashMap::default(),
            order: HashMap::default(),
            listed: Vec::new(),
            buckets: BTreeSet::new(),
            history: VecDeque::new(),
            expiry: lease::Expiry::default(),
        }
    }

    /// Keep the keys of bucket `bucket` (a prefix of three segments) in a list sorted only when
    /// a range reads them, for a resource written far more often than listed. Set before the
    /// bucket holds keys.
    pub fn keep_listed(&mut self, bucket: &str) {
        debug_assert!(!self.order.contains_key(bucket), "{bucket} already holds keys");
        self.listed.push(bucket.into());
    }

    /// The current (latest) revision.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    pub fn compacted_revision(&self) -> i64 {
        self.compacted
    }

    pub fn len(&self) -> usize {
        self.kvs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kvs.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&KeyValue<V>> {
        self.kvs.get(key).map(|slot| &slot.kv)
    }

    /// All keys starting with `prefix`, in key order.
    pub fn range<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a KeyValue<V>> + 'a {
        self.keys(prefix).filter_map(|k| self.kvs.get(k).map(|slot| &slot.kv))
    }

    /// Whether resource bucket `bucket` (a prefix of three segments, `/registry/<resource>/`)
    /// holds any key: one look-up, without finding the bucket's end in the text first. Asked
    /// on every write (are there webhooks?).
    pub fn bucket_has_keys(&self, bucket: &str) -> bool {
        debug_assert!(third_slash(bucket).is_some_and(|i| i + 1 == bucket.len()), "{bucket} is not a bucket");
        self.order.get(bucket).is_some_and(|keys| !keys.is_empty())
    }

    /// The keys starting with `prefix`, in order.
    fn keys<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Arc<str>> + 'a {
        // A prefix of three segments or more lies in one bucket, found by one look-up; a
        // shorter one covers the buckets that start with it.
        let exact = third_slash(prefix).map(|i| &prefix[..=i]);
        let one = exact.and_then(|b| self.order.get(b));
        let many = exact
            .is_none()
            .then(|| {
                self.buckets
                    .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
                    .take_while(move |b| b.starts_with(prefix))
                    .filter_map(|b| self.order.get(b))
            })
            .into_iter()
            .flatten();
        // Within its one bucket the prefix is a bound to search for; every key of the buckets
        // a shorter prefix covers starts with it.
        let from = one.map(|_| OrderedKey::new(Arc::from(prefix), exact.map_or(0, str::len)));
        let one = one.map(move |keys| keys.with_prefix(prefix, from.as_ref()));
        one.into_iter().chain(many.map(move |keys| keys.with_prefix(prefix, None))).flatten()
    }

    /// How many changes are kept for watches (those since the compaction point).
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// Number of keys under `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.keys(prefix).count()
    }

    /// Write `value` at `key` unconditionally. Returns the new revision.
    pub fn put(&mut self, key: &str, value: V) -> i64 {
        self.revision += 1;
        self.apply_put(key, value);
        self.revision
    }

    /// Delete `key`. Returns the revision of the delete, or None when the key was absent.
    pub fn delete(&mut self, key: &str) -> Option<i64> {
        if !self.kvs.contains_key(key) {
            return None;
        }
        self.revision += 1;
        self.apply_delete(key);
        Some(self.revision)
    }

    /// Run a transaction: if every compare holds, run `success`, else `failure`. All writes of
    /// one transaction share one revision, as in etcd.
    pub fn txn(&mut self, txn: Txn<'_, V>) -> TxnResponse<V> {
        let succeeded = txn.compare.iter().all(|c| c.holds(self.get(&c.key)));
        let ops = if succeeded { txn.success } else { txn.failure };
        let writes = ops.iter().any(|op| match op {
            Op::Put(..) => true,
            Op::Delete(k) => self.kvs.contains_key(&**k),
            Op::Get(_) => false,
        });
        if writes {
            self.revision += 1;
        }
        let mut responses = txn::Parts::with_capacity(ops.len());
        for op in ops {
            match op {
                Op::Get(key) => responses.push(self.get(&key).cloned()),
                Op::Put(key, value) => responses.push(Some(self.apply_put(&key, value))),
                Op::Delete(key) => responses.push(self.apply_delete(&key)),
            }
        }
        TxnResponse { succeeded, revision: self.revision, responses }
    }

    /// Changes under `prefix` with revision >= `from` (etcd's watch start revision), oldest first.
    /// `from` of 0 means "from now": no history.
    pub fn watch(&self, prefix: &str, from: i64) -> Result<Vec<Event<V>>, StoreError> {
        if from == 0 {
            return Ok(Vec::new());
        }
        if from <= self.compacted {
            return Err(StoreError::Compacted { compacted: self.compacted });
        }
        if from > self.revision + 1 {
            return Err(StoreError::FutureRevision);
        }
        // History is ordered by revision: find the first event at or after `from`.
        let start = self.history.partition_point(|e| e.revision() < from);
        Ok(self.history.range(start..).filter(|e| e.kv.key.starts_with(prefix)).cloned().collect())
    }

    /// Visit changes under `prefix` with revision >= `from` without cloning them.
    pub fn for_each_event(&self, prefix: &str, from: i64, mut f: impl FnMut(&Event<V>)) -> Result<(), StoreError> {
        if from <= self.compacted {
            return Err(StoreError::Compacted { compacted: self.compacted });
        }
        let start = self.history.partition_point(|e| e.revision() < from);
        for e in self.history.range(start..) {
            if e.kv.key.starts_with(prefix) {
                f(e);
            }
        }
        Ok(())
    }

    /// Forget history up to and including `revision`: watches from there on fail with Compacted.
    pub fn compact(&mut self, revision: i64) -> Result<(), StoreError> {
        if revision <= self.compacted {
            return Err(StoreError::Compacted { compacted: self.compacted });
        }
        if revision > self.revision {
            return Err(StoreError::FutureRevision);
        }
        while self.history.front().is_some_and(|e| e.revision() <= revision) {
            self.history.pop_front();
        }
        self.compacted = revision;
        Ok(())
    }

    /// Write `value` at `key` at the current revision; returns the new state of the key.
    fn apply_put(&mut self, key: &str, mut value: V) -> KeyValue<V> {
        let rev = self.revision;
        value.set_revision(rev);
        let value = Arc::new(value);
        // One look-up for a key that exists (most writes), one more to insert a new one.
        let (kv, prev, lease) = match self.kvs.get_mut(key) {
            Some(slot) => {
                let p = &slot.kv;
                let kv = KeyValue {
                    key: p.key.clone(),
                    create_revision: p.create_revision,
                    mod_revision: rev,
                    version: p.version + 1,
                    value,
                };
                let prev = std::mem::replace(&mut slot.kv, kv.clone());
                // As in etcd, a put without a lease detaches the key from the one it had.
                (kv, Some(prev), slot.lease.take())
            }
            None => {
                let key = Arc::<str>::from(key);
                let kv = KeyValue { key: key.clone(), create_revision: rev, mod_revision: rev, version: 1, value };
                let b = bucket(&key);
                let place = match self.order.get_mut(b) {
                    Some(keys) => keys.insert(key.clone(), b.len()),
                    None => {
                        let mut keys = BucketKeys::new(self.listed.iter().any(|l| **l == *b));
                        let place = keys.insert(key.clone(), b.len());
                        self.order.insert(b.into(), keys);
                        self.buckets.insert(b.into());
                        place
                    }
                };
                self.kvs.insert(key, Slot { kv: kv.clone(), lease: None, place });
                (kv, None, None)
            }
        };
        if let Some(deadline) = lease {
            self.expiry.remove(deadline, &kv.key);
        }
        self.history.push_back(Event { event_type: EventType::Put, kv: kv.clone(), prev_kv: prev });
        kv
    }

    /// Delete `key` at the current revision; returns the state it had, if it was there.
    fn apply_delete(&mut self, key: &str) -> Option<KeyValue<V>> {
        let Slot { kv: prev, lease, place } = self.kvs.remove(key)?;
        if let Some(keys) = self.order.get_mut(bucket(key)) {
            if let Some(moved) = keys.remove(&prev.key, bucket(key).len(), place) {
                if let Some(slot) = self.kvs.get_mut(&moved) {
                    slot.place = place;
                }
            }
            if keys.is_empty() {
                self.order.remove(bucket(key));
                self.buckets.remove(bucket(key));
            }
        }
        if let Some(deadline) = lease {
            self.expiry.remove(deadline, &prev.key);
        }
        let kv = KeyValue { mod_revision: self.revision, ..prev.clone() };
        self.history.push_back(Event { event_type: EventType::Delete, kv, prev_kv: Some(prev.clone()) });
        Some(prev)
    }
}

/// The bucket of the ordered index a key belongs to: the key up to and including its third
/// `/` (`/registry/pods/` of `/registry/pods/default/web`), or the whole key when it has fewer.
/// For keys `a < b`, `bucket(a) <= bucket(b)`: two buckets that differ, differ where their
/// keys do, or one is a whole key that the other's keys extend.
fn bucket(key: &str) -> &str {
    match third_slash(key) {
        Some(i) => &key[..=i],
        None => key,
    }
}

fn third_slash(key: &str) -> Option<usize> {
    // A plain loop: every write and look-up of a new key finds its bucket here.
    let mut seen = 0;
    for (i, &b) in key.as_bytes().iter().enumerate() {
        if b == b'/' {
            seen += 1;
            if seen == 3 {
                return Some(i);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
