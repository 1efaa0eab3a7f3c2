//! The key sets of the store's buckets, and a key of an ordered one with the first bytes past
//! its bucket held inline.
//!
//! A bucket can hold thousands of alike keys (`/registry/pods/default/<job>-<suffix>`), and a
//! search of its B-tree compares a new key with twenty or so of them, each comparison reading
//! the other key's text: a cache miss each, as those keys were written long before. With the
//! 32 bytes that follow the bucket's prefix kept as numbers beside the key, most comparisons
//! are of numbers, and only keys alike in those bytes read their texts: 32, as the namespace
//! comes first (`default/tick-12-29384938-x7k2p`). A bucket written far more often than it is
//! listed (an hour of Events) skips the B-tree altogether ([`BucketKeys::Listed`]).

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

/// How many bytes past the bucket the inline head holds.
const HEAD: usize = 32;

/// A key and its head: bytes `skip..skip + 32` of it (the bucket is `skip` bytes long), in
/// order, zero-padded. Ordered as the keys of one bucket are: a head smaller than another
/// belongs to a smaller key (the first byte where two heads differ is where their keys
/// differ, or where the shorter key ended, as zero is the smallest byte), so the texts decide
/// only between equal heads.
#[derive(Debug, Clone)]
pub(super) struct OrderedKey {
    head: (u128, u128),
    pub key: Arc<str>,
}

impl OrderedKey {
    /// `key`, in a bucket of `skip` bytes (its first `skip` bytes).
    pub fn new(key: Arc<str>, skip: usize) -> Self {
        let rest = key.as_bytes().get(skip..).unwrap_or_default();
        let half = |from: usize| {
            let mut bytes = [0u8; HEAD / 2];
            let part = rest.get(from..).unwrap_or_default();
            let n = part.len().min(HEAD / 2);
            bytes[..n].copy_from_slice(&part[..n]);
            u128::from_be_bytes(bytes)
        };
        OrderedKey { head: (half(0), half(HEAD / 2)), key }
    }
}

impl Ord for OrderedKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.head.cmp(&other.head).then_with(|| self.key.cmp(&other.key))
    }
}

impl PartialOrd for OrderedKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for OrderedKey {
    fn eq(&self, other: &Self) -> bool {
        self.head == other.head && self.key == other.key
    }
}

impl Eq for OrderedKey {}

/// One bucket's keys: in a B-tree of ordered keys, or, for a bucket written far more often
/// than listed (an hour of Events: tens of thousands of writes, a list now and then), in a
/// plain list that is sorted only when a range reads it. A key of a listed bucket knows its
/// place in the list (the store's slot keeps it), so a removal is a swap.
#[derive(Debug, Clone)]
pub(super) enum BucketKeys {
    Ordered(BTreeSet<OrderedKey>),
    Listed(Vec<Arc<str>>),
}

impl BucketKeys {
    pub fn new(listed: bool) -> Self {
        if listed {
            BucketKeys::Listed(Vec::new())
        } else {
            BucketKeys::Ordered(BTreeSet::new())
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            BucketKeys::Ordered(keys) => keys.is_empty(),
            BucketKeys::Listed(keys) => keys.is_empty(),
        }
    }

    /// Add `key` (a bucket of `skip` bytes); its place in a list, for its slot to keep.
    pub fn insert(&mut self, key: Arc<str>, skip: usize) -> usize {
        match self {
            BucketKeys::Ordered(keys) => {
                keys.insert(OrderedKey::new(key, skip));
                0
            }
            BucketKeys::Listed(keys) => {
                keys.push(key);
                keys.len() - 1
            }
        }
    }

    /// Take `key` out (at `place` in a list); the key moved into its place, whose slot must
    /// learn it.
    pub fn remove(&mut self, key: &Arc<str>, skip: usize, place: usize) -> Option<Arc<str>> {
        match self {
            BucketKeys::Ordered(keys) => {
                keys.remove(&OrderedKey::new(key.clone(), skip));
                None
            }
            BucketKeys::Listed(keys) => {
                debug_assert!(keys.get(place).is_some_and(|k| Arc::ptr_eq(k, key)), "{key} is not at {place}");
                keys.swap_remove(place);
                keys.get(place).cloned()
            }
        }
    }

    /// The keys starting with `prefix`, in order; `from` is the prefix as an ordered key of
    /// this bucket when the prefix lies in it (a bucket a shorter prefix covers has only
    /// keys that start with it).
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
        from: Option<&OrderedKey>,
    ) -> Box<dyn Iterator<Item = &'a Arc<str>> + 'a> {
        match self {
            BucketKeys::Ordered(keys) => {
                let start = from.map_or(Bound::Unbounded, Bound::Included);
                Box::new(
                    keys.range((start, Bound::Unbounded)).map(|k| &k.key).take_while(move |k| k.starts_with(prefix)),
                )
            }
            BucketKeys::Listed(keys) => {
                let mut found: Vec<&Arc<str>> = keys.iter().filter(|k| k.starts_with(prefix)).collect();
                found.sort_unstable();
                Box::new(found.into_iter())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Keys of one bucket (their first `skip` bytes alike) compare as their texts do,
        /// alike past it or not, long or short, with any bytes (zeros too).
        #[test]
        fn ordered_as_the_keys_are(
            common in "[a\u{0}]{0,40}",
            a in "[ab\u{0}]{0,40}",
            b in "[ab\u{0}]{0,40}",
            skip in 0usize..44,
        ) {
            let skip = skip.min(common.len());
            let (a, b) = (format!("{common}{a}"), format!("{common}{b}"));
            let oa = OrderedKey::new(Arc::from(a.as_str()), skip);
            let ob = OrderedKey::new(Arc::from(b.as_str()), skip);
            prop_assert_eq!(oa.cmp(&ob), a.cmp(&b));
            prop_assert_eq!(oa == ob, a == b);
        }
    }
}
