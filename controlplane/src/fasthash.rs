//! Hash maps for in-memory lookup tables keyed by names: foldhash instead of SipHash, whose
//! protection against chosen keys costs a few percent of a large run and protects nothing
//! here. Iteration order is not stable; these tables are for lookups only.

pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
pub type HashSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;
