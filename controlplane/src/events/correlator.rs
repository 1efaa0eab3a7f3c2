//! client-go's `EventCorrelator`, which every recorder runs an event through before it writes:
//!
//! - the aggregator: when one source writes ten events about one object that differ only in
//!   their message within ten minutes, the tenth and those after it become one event whose
//!   message is `(combined from similar events): <the newest message>`;
//! - the logger: an event seen before (the same source, object, type, reason and message, or
//!   the same aggregate) raises the count of the event already written instead of making one;
//! - the spam filter: a source may write 25 events about one object at once, then one every
//!   five minutes (a token bucket on the simulated clock); the rest are dropped, though the
//!   logger still counts them, so the next write carries the whole count.
//!
//! Each of the three remembers at most 4,096 keys, least recently used first out, so a
//! recorder stays small however long the cluster runs. A key is kept as a 64-bit digest of
//! the strings client-go joins into it rather than the strings themselves (a kubelet's
//! recorder holds thousands), and the objects the keys are about once each, for the sweep.

use std::collections::VecDeque;

use crate::fasthash::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};

use chrono::{DateTime, Duration, Utc};

use crate::model::event::Text;

/// How many keys each cache keeps (client-go's `maxLruCacheEntries`).
pub const MAX_LRU_CACHE_ENTRIES: usize = 4096;
/// Distinct messages that make an aggregate (`defaultAggregateMaxEvents`).
const AGGREGATE_MAX_EVENTS: usize = 10;
/// How long similar events count toward an aggregate (`defaultAggregateIntervalInSeconds`).
const AGGREGATE_INTERVAL_SECONDS: i64 = 600;
/// Events a source may write about one object at once (`defaultSpamBurst`).
const SPAM_BURST: f64 = 25.0;
/// The refill of that budget: one event every five minutes (`defaultSpamQPS`).
const SPAM_QPS: f64 = 1.0 / 300.0;
/// The prefix of an aggregate event's message (`EventAggregatorByReasonMessageFunc`).
pub const AGGREGATE_PREFIX: &str = "(combined from similar events): ";
/// The fewest remembered objects at which unreferenced ones are dropped.
const PRUNE_AT_LEAST: usize = 512;

/// A cache key: the digest of its parts, one foldhash pass under a fixed seed, so the same
/// parts give the same key on every run. A new key meets one of the others a recorder holds
/// (at most 12,288) by chance about once in 10^15 keys, and then two events count as one.
pub type Key = u64;

fn digest(parts: &[&str]) -> Key {
    let mut h = foldhash::quality::FixedState::with_seed(0).build_hasher();
    for part in parts {
        part.hash(&mut h);
    }
    h.finish()
}

/// One event as the correlator sees it. `object` identifies the involved object (kind,
/// namespace, name and uid); the source is the recorder's own.
pub struct Seen<'a> {
    pub object: &'a str,
    pub field_path: &'a str,
    pub type_: &'a str,
    pub reason: &'a str,
    pub message: &'a str,
}

/// What to write for an event that passed the correlator.
#[derive(Debug, PartialEq)]
pub struct Write {
    /// The message to write: the event's own, or the aggregate's.
    pub message: Text,
    /// The event already written that this one counts on, when the logger knows its name.
    pub existing: Option<String>,
    pub count: i32,
    pub first: DateTime<Utc>,
    /// The logger's key, to remember the name the new event gets (`Correlator::named`).
    pub key: Key,
}

struct Aggregate {
    /// The distinct messages seen, as 64-bit digests in order (at most
    /// `AGGREGATE_MAX_EVENTS`, so a sorted vector is the set; only their number matters, and
    /// a kubelet's recorder holds thousands of aggregates).
    messages: Vec<u64>,
    last: DateTime<Utc>,
}

struct Observation {
    count: i32,
    first: DateTime<Utc>,
    name: Option<String>,
}

struct Bucket {
    tokens: f64,
    last: DateTime<Utc>,
}

/// The three caches of one recorder.
pub struct Correlator {
    aggregates: Lru<Aggregate>,
    observations: Lru<Observation>,
    spam: Lru<Bucket>,
    /// The identity of each object some key is (or was) about, by its digest.
    objects: HashMap<Key, Box<str>>,
    /// The number of objects at which those no key refers to any more are dropped.
    next_prune: usize,
}

impl Default for Correlator {
    fn default() -> Self {
        Correlator {
            aggregates: Lru::new(MAX_LRU_CACHE_ENTRIES),
            observations: Lru::new(MAX_LRU_CACHE_ENTRIES),
            spam: Lru::new(MAX_LRU_CACHE_ENTRIES),
            objects: HashMap::default(),
            next_prune: PRUNE_AT_LEAST,
        }
    }
}

impl Correlator {
    /// How many events the logger remembers.
    pub fn remembered(&self) -> usize {
        self.observations.len()
    }

    /// How many keys the three caches hold in all.
    pub fn keys(&self) -> usize {
        self.aggregates.len() + self.observations.len() + self.spam.len()
    }

    /// The objects the caches hold keys about (the `object` of each [`Seen`]).
    #[cfg(test)]
    pub fn objects(&self) -> std::collections::BTreeSet<&str> {
        let live: HashSet<Key> = self.referenced();
        self.objects.iter().filter(|(k, _)| live.contains(k)).map(|(_, o)| &**o).collect()
    }

    fn referenced(&self) -> HashSet<Key> {
        let mut live = HashSet::default();
        live.extend(self.aggregates.objects());
        live.extend(self.observations.objects());
        live.extend(self.spam.objects());
        live
    }

    /// Drop every object `gone` says is gone for good, with every key about it. Nothing
    /// client-go does: a recorder asks it of objects whose uid is in their keys, so that no
    /// later event could use those keys, which could only ever be evicted. Each object the
    /// caches remember is asked once, without a copy of its identity.
    pub fn forget_where(&mut self, mut gone: impl FnMut(&str) -> bool) {
        let mut forgotten: HashSet<Key> = HashSet::default();
        self.objects.retain(|key, object| {
            let go = gone(object);
            if go {
                forgotten.insert(*key);
            }
            !go
        });
        if forgotten.is_empty() {
            return;
        }
        self.aggregates.remove_objects(&forgotten);
        self.observations.remove_objects(&forgotten);
        self.spam.remove_objects(&forgotten);
    }

    /// Drop the identities no key refers to (their keys were evicted or forgotten).
    fn prune(&mut self) {
        let live = self.referenced();
        self.objects.retain(|k, _| live.contains(k));
        self.next_prune = (2 * self.objects.len()).max(PRUNE_AT_LEAST);
    }

    /// `EventCorrelate`: aggregate, observe, then filter. None when the spam filter drops it.
    pub fn correlate(&mut self, seen: &Seen<'_>, now: DateTime<Utc>) -> Option<Write> {
        let object = digest(&[seen.object]);
        if !self.objects.contains_key(&object) {
            // Before this object's keys exist, so that it is kept.
            if self.objects.len() >= self.next_prune {
                self.prune();
            }
            self.objects.insert(object, seen.object.into());
        }
        let (message, key) = self.aggregate(object, seen, now);
        let write = self.observe(object, message, key, now);
        self.accept(object, now).then_some(write)
    }

    /// Remember the name the event of `key` was created with.
    pub fn named(&mut self, key: Key, name: String) {
        if let Some(observation) = self.observations.get_mut(key) {
            observation.name = Some(name);
        }
    }

    /// `EventAggregate`: the message to write and the logger's key for it.
    fn aggregate(&mut self, object: Key, seen: &Seen<'_>, now: DateTime<Utc>) -> (Text, Key) {
        let event_key = digest(&[seen.object, seen.field_path, seen.type_, seen.reason, seen.message]);
        let aggregate_key = digest(&[seen.object, seen.type_, seen.reason]);
        let fresh = || Aggregate { messages: Vec::new(), last: now };
        let record = match self.aggregates.get_mut(aggregate_key) {
            Some(r) if now - r.last <= Duration::seconds(AGGREGATE_INTERVAL_SECONDS) => r,
            Some(r) => {
                *r = fresh();
                r
            }
            None => self.aggregates.insert(aggregate_key, object, fresh()),
        };
        let message = foldhash::quality::FixedState::with_seed(0).hash_one(seen.message);
        if let Err(at) = record.messages.binary_search(&message) {
            record.messages.insert(at, message);
        }
        record.last = now;
        if record.messages.len() < AGGREGATE_MAX_EVENTS {
            return (seen.message.into(), event_key);
        }
        // The set never grows past the limit: one message leaves (client-go drops any one;
        // the first digest in order here, so the outcome is the same on every run).
        record.messages.remove(0);
        (format!("{AGGREGATE_PREFIX}{}", seen.message).into(), aggregate_key)
    }

    /// `eventObserve`: a count on the event already written under `key`, or a first one.
    fn observe(&mut self, object: Key, message: Text, key: Key, now: DateTime<Utc>) -> Write {
        match self.observations.get_mut(key) {
            Some(o) => {
                o.count += 1;
                Write { message, existing: o.name.clone(), count: o.count, first: o.first, key }
            }
            None => {
                self.observations.insert(key, object, Observation { count: 1, first: now, name: None });
                Write { message, existing: None, count: 1, first: now, key }
            }
        }
    }

    /// `EventSourceObjectSpamFilter`: whether the object's bucket has a token to spend.
    fn accept(&mut self, object: Key, now: DateTime<Utc>) -> bool {
        let bucket = match self.spam.get_mut(object) {
            Some(b) => b,
            None => self.spam.insert(object, object, Bucket { tokens: SPAM_BURST, last: now }),
        };
        let elapsed = (now - bucket.last).num_milliseconds().max(0) as f64 / 1000.0;
        bucket.tokens = (bucket.tokens + elapsed * SPAM_QPS).min(SPAM_BURST);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Stale order entries an LRU tolerates beyond its keys before it sweeps them.
const SWEEP_SLACK: usize = 64;

/// One cached value: when it was last used and the object its key is about.
struct Slot<V> {
    used: u64,
    object: Key,
    value: V,
}

/// A least-recently-used cache (groupcache's `lru.Cache`, which client-go uses): reading or
/// writing a key makes it the newest; adding past the capacity drops the oldest. Recency is a
/// counter, so which key goes is deterministic.
struct Lru<V> {
    capacity: usize,
    entries: HashMap<Key, Slot<V>>,
    /// Keys in the order they were used, each with the tick of that use. A key used again
    /// leaves its earlier entry behind, stale (its tick is no longer the slot's); stale
    /// entries are skipped when the oldest is evicted and swept when they outnumber the keys.
    order: VecDeque<(u64, Key)>,
    tick: u64,
}

impl<V> Lru<V> {
    fn new(capacity: usize) -> Self {
        Lru { capacity: capacity.max(1), entries: HashMap::default(), order: VecDeque::new(), tick: 0 }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn get_mut(&mut self, key: Key) -> Option<&mut V> {
        let slot = self.entries.get_mut(&key)?;
        self.tick += 1;
        slot.used = self.tick;
        self.order.push_back((self.tick, key));
        self.sweep_stale();
        self.entries.get_mut(&key).map(|s| &mut s.value)
    }

    fn objects(&self) -> impl Iterator<Item = Key> + '_ {
        self.entries.values().map(|s| s.object)
    }

    /// Remove the keys about any of the `gone` objects (their order entries go stale).
    fn remove_objects(&mut self, gone: &HashSet<Key>) {
        self.entries.retain(|_, slot| !gone.contains(&slot.object));
        self.sweep_stale();
    }

    /// Whether an order entry is the latest use of a key still held.
    fn live(entries: &HashMap<Key, Slot<V>>, (tick, key): (u64, Key)) -> bool {
        entries.get(&key).is_some_and(|s| s.used == tick)
    }

    /// Drop the stale order entries once they outnumber the live ones, so the order stays
    /// within about twice the keys held, at a constant cost per use.
    fn sweep_stale(&mut self) {
        if self.order.len() > 2 * self.entries.len() + SWEEP_SLACK {
            let entries = &self.entries;
            self.order.retain(|&e| Self::live(entries, e));
        }
    }

    /// Add (or replace) `key`, about `object`, as the newest; the value back.
    fn insert(&mut self, key: Key, object: Key, value: V) -> &mut V {
        self.tick += 1;
        self.entries.remove(&key);
        while self.entries.len() >= self.capacity {
            let Some(oldest) = self.order.pop_front() else { break };
            if Self::live(&self.entries, oldest) {
                self.entries.remove(&oldest.1);
            }
        }
        // Swept before the key's own entry goes in, which the sweep would take for stale.
        self.sweep_stale();
        self.order.push_back((self.tick, key));
        &mut self.entries.entry(key).insert_entry(Slot { used: self.tick, object, value }).into_mut().value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lru_evicts_the_key_least_recently_used_and_its_order_stays_bounded() {
        let mut lru = Lru::new(3);
        for k in 1..=3 {
            lru.insert(k, 0, k);
        }
        assert!(lru.get_mut(1).is_some(), "1 becomes the newest");
        lru.insert(4, 0, 4);
        assert!(lru.get_mut(2).is_none(), "2 was the least recently used");
        assert!([1, 3, 4].iter().all(|k| lru.entries.contains_key(k)));
        // Re-inserting a key replaces it without evicting another.
        lru.insert(3, 0, 30);
        assert_eq!(lru.len(), 3);
        assert_eq!(lru.get_mut(3).copied(), Some(30));
        for _ in 0..10_000 {
            lru.get_mut(1);
        }
        assert!(lru.order.len() <= 2 * 3 + SWEEP_SLACK + 1, "stale uses are swept: {}", lru.order.len());
        lru.insert(5, 0, 5);
        assert!(lru.get_mut(4).is_none(), "4 was the oldest after all those uses of 1 and 3");
    }

    fn seen<'a>(object: &'a str, reason: &'a str, message: &'a str) -> Seen<'a> {
        Seen { object, field_path: "", type_: "Normal", reason, message }
    }

    #[test]
    fn the_tenth_similar_message_starts_an_aggregate_that_later_ones_count_on() {
        let mut c = Correlator::default();
        let t = DateTime::<Utc>::default();
        for i in 0..9 {
            let w = c.correlate(&seen("rs", "SuccessfulCreate", &format!("Created pod: p{i}")), t).unwrap();
            assert_eq!((&*w.message, w.count), (format!("Created pod: p{i}").as_str(), 1));
        }
        let w = c.correlate(&seen("rs", "SuccessfulCreate", "Created pod: p9"), t).unwrap();
        assert_eq!((&*w.message, w.count), ("(combined from similar events): Created pod: p9", 1));
        c.named(w.key, "rs.1".into());
        let w = c.correlate(&seen("rs", "SuccessfulCreate", "Created pod: p10"), t).unwrap();
        assert_eq!(&*w.message, "(combined from similar events): Created pod: p10");
        assert_eq!((w.existing.as_deref(), w.count), (Some("rs.1"), 2));
    }

    #[test]
    fn similar_events_more_than_ten_minutes_apart_are_not_aggregated() {
        let mut c = Correlator::default();
        let mut t = DateTime::<Utc>::default();
        for i in 0..20 {
            let w = c.correlate(&seen(&format!("o{i}"), "R", "m"), t);
            assert!(w.is_some());
            let w = c.correlate(&seen("one", "R", &format!("m{i}")), t).unwrap();
            assert!(!w.message.starts_with(AGGREGATE_PREFIX), "message {i}");
            t += Duration::seconds(601);
        }
    }

    #[test]
    fn a_repeat_counts_on_the_first_event_however_long_after() {
        let mut c = Correlator::default();
        let t = DateTime::<Utc>::default();
        let w = c.correlate(&seen("pod", "BackOff", "Back-off"), t).unwrap();
        c.named(w.key, "pod.1".into());
        let later = t + Duration::hours(3);
        let w = c.correlate(&seen("pod", "BackOff", "Back-off"), later).unwrap();
        assert_eq!((w.existing.as_deref(), w.count, w.first), (Some("pod.1"), 2, t));
    }

    #[test]
    fn the_spam_filter_allows_25_at_once_then_one_every_five_minutes_and_counts_what_it_drops() {
        let mut c = Correlator::default();
        let t = DateTime::<Utc>::default();
        let written = (0..40).filter(|_| c.correlate(&seen("pod", "Unhealthy", "probe failed"), t).is_some()).count();
        assert_eq!(written, 25);
        assert!(c.correlate(&seen("pod", "Unhealthy", "probe failed"), t + Duration::seconds(299)).is_none());
        let w = c.correlate(&seen("pod", "Unhealthy", "probe failed"), t + Duration::seconds(300)).unwrap();
        assert_eq!(w.count, 42, "the dropped events are in the count");
        assert!(c.correlate(&seen("other", "Unhealthy", "probe failed"), t).is_some(), "per object");
    }

    #[test]
    fn every_cache_keeps_at_most_4096_keys() {
        let mut c = Correlator::default();
        let t = DateTime::<Utc>::default();
        for i in 0..5000 {
            c.correlate(&seen(&format!("o{i}"), "R", "m"), t);
        }
        assert_eq!(c.remembered(), MAX_LRU_CACHE_ENTRIES);
        assert_eq!((c.aggregates.len(), c.spam.len()), (MAX_LRU_CACHE_ENTRIES, MAX_LRU_CACHE_ENTRIES));
    }

    #[test]
    fn forgetting_an_object_drops_its_keys_and_no_others() {
        let mut c = Correlator::default();
        let t = DateTime::<Utc>::default();
        for (object, reason) in [
            ("Pod\x00ns\x00a\x00u1", "Started"),
            ("Pod\x00ns\x00a\x00u10", "Started"),
            ("Pod\x00ns\x00b\x00u2", "Pulled"),
        ] {
            c.correlate(&seen(object, reason, "m"), t);
        }
        assert_eq!(c.objects().len(), 3);
        let before = c.keys();
        c.forget_where(|o| o == "Pod\x00ns\x00a\x00u1");
        assert_eq!(c.keys(), before - 3, "its aggregate, observation and spam bucket");
        assert_eq!(c.objects().into_iter().collect::<Vec<_>>(), vec!["Pod\x00ns\x00a\x00u10", "Pod\x00ns\x00b\x00u2"]);
        assert_eq!(c.objects.len(), 2, "its identity went with its keys");
    }

    #[test]
    fn the_lru_drops_the_least_recently_used_key() {
        let mut lru = Lru::new(2);
        lru.insert(1, 0, 1);
        lru.insert(2, 0, 2);
        assert_eq!(lru.get_mut(1), Some(&mut 1), "reading 1 makes it the newest");
        lru.insert(3, 0, 3);
        assert_eq!(lru.len(), 2);
        assert!(lru.get_mut(2).is_none(), "2 was the least recently used");
        assert!(lru.get_mut(1).is_some() && lru.get_mut(3).is_some());
        assert_eq!(*lru.insert(1, 0, 4), 4);
        assert_eq!((lru.len(), lru.get_mut(1)), (2, Some(&mut 4)), "a re-insert replaces");
        let live = lru.order.iter().filter(|&&e| Lru::live(&lru.entries, e)).count();
        assert_eq!(live, 2, "the recency order's live entries are the kept keys");
        // However keys come and go, each kept key stays in the order, so the cache never
        // outgrows its capacity.
        for uses in 0..4 * SWEEP_SLACK {
            let mut lru = Lru::new(2);
            lru.insert(1, 0, 1);
            for _ in 0..uses {
                lru.get_mut(1);
            }
            lru.insert(2, 0, 2);
            let live = lru.order.iter().filter(|&&e| Lru::live(&lru.entries, e)).count();
            assert_eq!(live, 2, "after {uses} uses");
            lru.insert(3, 0, 3);
            assert!(lru.get_mut(1).is_none(), "after {uses} uses, 1 is the oldest");
        }
    }

    #[test]
    fn identities_no_key_refers_to_are_dropped() {
        let mut c = Correlator::default();
        let t = DateTime::<Utc>::default();
        for i in 0..20_000 {
            c.correlate(&seen(&format!("o{i}"), "R", "m"), t);
        }
        assert_eq!(c.keys(), 3 * MAX_LRU_CACHE_ENTRIES);
        assert!(c.objects.len() <= 2 * MAX_LRU_CACHE_ENTRIES, "{} identities kept", c.objects.len());
        assert_eq!(c.objects().len(), MAX_LRU_CACHE_ENTRIES, "those of the newest keys");
        assert!(c.objects().contains("o19999") && !c.objects().contains("o0"));
    }

    #[test]
    fn keys_differ_by_every_part_and_its_boundaries() {
        assert_ne!(digest(&["ab", "c"]), digest(&["a", "bc"]));
        assert_ne!(digest(&["a"]), digest(&["a", ""]));
        assert_eq!(digest(&["Pod\x00ns\x00a", "Started"]), digest(&["Pod\x00ns\x00a", "Started"]));
    }
}
