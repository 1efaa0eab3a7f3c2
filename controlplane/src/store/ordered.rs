//! A key of the store's ordered index, with the first bytes past its bucket held inline.
//!
//! A bucket holds thousands of alike keys (`/registry/events/default/<object>.<time>`), and a
//! search of its B-tree compares a new key with twenty or so of them, each comparison reading
//! the other key's text: a cache miss each, as those keys were written long before. With the
//! sixteen bytes that follow the bucket's prefix kept as a number beside the key, most
//! comparisons are one of numbers, and only keys alike in those bytes read their texts.

use std::cmp::Ordering;
use std::sync::Arc;

/// How many bytes past the bucket the inline head holds.
const HEAD: usize = 16;

/// A key and its head: bytes `skip..skip + 16` of it (the bucket is `skip` bytes long), in
/// order, zero-padded. Ordered as the keys of one bucket are: a head smaller than another
/// belongs to a smaller key (the first byte where two heads differ is where their keys
/// differ, or where the shorter key ended, as zero is the smallest byte), so the texts decide
/// only between equal heads.
#[derive(Debug, Clone)]
pub(super) struct OrderedKey {
    head: u128,
    pub key: Arc<str>,
}

impl OrderedKey {
    /// `key`, in a bucket of `skip` bytes (its first `skip` bytes).
    pub fn new(key: Arc<str>, skip: usize) -> Self {
        let rest = key.as_bytes().get(skip..).unwrap_or_default();
        let mut head = [0u8; HEAD];
        let n = rest.len().min(HEAD);
        head[..n].copy_from_slice(&rest[..n]);
        OrderedKey { head: u128::from_be_bytes(head), key }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Keys of one bucket (their first `skip` bytes alike) compare as their texts do,
        /// alike past it or not, long or short, with any bytes (zeros too).
        #[test]
        fn ordered_as_the_keys_are(
            common in "[a\u{0}]{0,20}",
            a in "[ab\u{0}]{0,20}",
            b in "[ab\u{0}]{0,20}",
            skip in 0usize..24,
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
