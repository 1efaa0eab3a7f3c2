//! The keys of one bucket of the store's ordered index, each with its first bytes kept inline.
//!
//! A bucket holds every key of one resource (`/registry/events/`), and a day of Events is tens
//! of thousands of keys. A search of the set makes some fifteen comparisons, and comparing two
//! `Arc<str>` reads both keys' memory: a cache miss for each key not read lately. The bytes
//! after the bucket's name (`default/web-7c9f…`) kept beside the pointer settle most
//! comparisons without reading the key, and the order stays the keys' own.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::sync::Arc;

/// The bytes kept inline: 24 after the bucket's name, as three big-endian words.
const WORDS: usize = 3;

#[derive(Debug, Clone)]
pub(super) struct OrderedKey {
    head: [u64; WORDS],
    key: Arc<str>,
}

impl OrderedKey {
    /// `key`, whose first `skip` bytes (its bucket's name) every key it is compared with shares.
    pub(super) fn new(key: Arc<str>, skip: usize) -> Self {
        let mut bytes = [0u8; WORDS * 8];
        let rest = key.as_bytes().get(skip..).unwrap_or_default();
        let n = rest.len().min(bytes.len());
        bytes[..n].copy_from_slice(&rest[..n]);
        let word = |i: usize| u64::from_be_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        OrderedKey { head: [word(0), word(1), word(2)], key }
    }

    pub(super) fn key(&self) -> &Arc<str> {
        &self.key
    }
}

impl Ord for OrderedKey {
    /// The keys' own order. Heads zero-padded compare as the keys do wherever they differ: a
    /// shorter key is a prefix of the longer one up to where it ends (a real zero byte and the
    /// padding tie, and the keys decide).
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

/// Ranges by prefix search with a `&str`: the order above is the keys' own, as `Borrow` asks.
impl Borrow<str> for OrderedKey {
    fn borrow(&self) -> &str {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Within a bucket, the inline heads order keys exactly as the keys do, including keys
        /// that end inside the head, hold a zero byte, or differ only past it.
        #[test]
        fn orders_as_the_keys(
            a in "[a\\x00\\xff/-]{0,30}",
            b in "[a\\x00\\xff/-]{0,30}",
        ) {
            let bucket = "/registry/events/";
            let (ka, kb): (Arc<str>, Arc<str>) = (format!("{bucket}{a}").into(), format!("{bucket}{b}").into());
            let (oa, ob) = (OrderedKey::new(ka.clone(), bucket.len()), OrderedKey::new(kb.clone(), bucket.len()));
            prop_assert_eq!(oa.cmp(&ob), ka.cmp(&kb));
            prop_assert_eq!(oa == ob, ka == kb);
        }
    }
}
