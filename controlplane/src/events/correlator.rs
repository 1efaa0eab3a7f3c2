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
//! recorder stays small however long the cluster runs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};

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
    pub message: String,
    /// The event already written that this one counts on, when the logger knows its name.
    pub existing: Option<String>,
    pub count: i32,
    pub first: DateTime<Utc>,
    /// The logger's key, to remember the name the new event gets (`Correlator::named`).
    pub key: String,
}

struct Aggregate {
    messages: BTreeSet<String>,
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
}

impl Default for Correlator {
    fn default() -> Self {
        Correlator {
            aggregates: Lru::new(MAX_LRU_CACHE_ENTRIES),
            observations: Lru::new(MAX_LRU_CACHE_ENTRIES),
            spam: Lru::new(MAX_LRU_CACHE_ENTRIES),
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
    pub fn objects(&self) -> BTreeSet<String> {
        let keys = self.aggregates.keys().chain(self.observations.keys()).chain(self.spam.keys());
        keys.map(|key| object_of(key).to_string()).collect()
    }

    /// Drop every key about these objects. Nothing client-go does: a recorder calls it for
    /// objects that are gone for good (their uid is in the key), whose keys could only ever be
    /// evicted.
    pub fn forget(&mut self, objects: &BTreeSet<String>) {
        self.aggregates.remove_objects(objects);
        self.observations.remove_objects(objects);
        self.spam.remove_objects(objects);
    }

    /// `EventCorrelate`: aggregate, observe, then filter. None when the spam filter drops it.
    pub fn correlate(&mut self, seen: &Seen<'_>, now: DateTime<Utc>) -> Option<Write> {
        let (message, key) = self.aggregate(seen, now);
        let write = self.observe(message, key, now);
        self.accept(seen.object, now).then_some(write)
    }

    /// Remember the name the event of `key` was created with.
    pub fn named(&mut self, key: &str, name: String) {
        if let Some(observation) = self.observations.get_mut(key) {
            observation.name = Some(name);
        }
    }

    /// `EventAggregate`: the message to write and the logger's key for it.
    fn aggregate(&mut self, seen: &Seen<'_>, now: DateTime<Utc>) -> (String, String) {
        let event_key =
            format!("{}\x00{}\x00{}\x00{}\x00{}", seen.object, seen.field_path, seen.type_, seen.reason, seen.message);
        let aggregate_key = format!("{}\x00{}\x00{}", seen.object, seen.type_, seen.reason);
        let fresh = || Aggregate { messages: BTreeSet::new(), last: now };
        let record = match self.aggregates.get_mut(&aggregate_key) {
            Some(r) if now - r.last <= Duration::seconds(AGGREGATE_INTERVAL_SECONDS) => r,
            Some(r) => {
                *r = fresh();
                r
            }
            None => {
                self.aggregates.insert(aggregate_key.clone(), fresh());
                self.aggregates.get_mut(&aggregate_key).expect("just inserted")
            }
        };
        record.messages.insert(seen.message.to_string());
        record.last = now;
        if record.messages.len() < AGGREGATE_MAX_EVENTS {
            return (seen.message.to_string(), event_key);
        }
        // The set never grows past the limit: one message leaves (client-go drops any one;
        // the first in order here, so the outcome is the same on every run).
        record.messages.pop_first();
        (format!("{AGGREGATE_PREFIX}{}", seen.message), aggregate_key)
    }

    /// `eventObserve`: a count on the event already written under `key`, or a first one.
    fn observe(&mut self, message: String, key: String, now: DateTime<Utc>) -> Write {
        match self.observations.get_mut(&key) {
            Some(o) => {
                o.count += 1;
                Write { message, existing: o.name.clone(), count: o.count, first: o.first, key }
            }
            None => {
                self.observations.insert(key.clone(), Observation { count: 1, first: now, name: None });
                Write { message, existing: None, count: 1, first: now, key }
            }
        }
    }

    /// `EventSourceObjectSpamFilter`: whether the object's bucket has a token to spend.
    fn accept(&mut self, object: &str, now: DateTime<Utc>) -> bool {
        let bucket = match self.spam.get_mut(object) {
            Some(b) => b,
            None => {
                self.spam.insert(object.to_string(), Bucket { tokens: SPAM_BURST, last: now });
                self.spam.get_mut(object).expect("just inserted")
            }
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

/// The object a key is about: its first four NUL-separated fields (kind, namespace, name,
/// uid), which are the whole of a spam filter's key.
fn object_of(key: &str) -> &str {
    match key.match_indices('\x00').nth(3) {
        Some((at, _)) => &key[..at],
        None => key,
    }
}

/// A least-recently-used cache with string keys (groupcache's `lru.Cache`, which client-go
/// uses): reading or writing a key makes it the newest; adding past the capacity drops the
/// oldest. Recency is a counter, so which key goes is deterministic.
struct Lru<V> {
    capacity: usize,
    /// Hashed, not ordered: keys about one object share a long prefix, which an ordered map
    /// compares again at every level. Iterated only to collect into an ordered set or to drop
    /// keys, so its order decides nothing.
    entries: HashMap<String, (u64, V)>,
    /// Keys by when they were last used.
    order: BTreeMap<u64, String>,
    tick: u64,
}

impl<V> Lru<V> {
    fn new(capacity: usize) -> Self {
        Lru { capacity: capacity.max(1), entries: HashMap::new(), order: BTreeMap::new(), tick: 0 }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let (used, value) = self.entries.get_mut(key)?;
        self.tick += 1;
        if let Some(k) = self.order.remove(used) {
            self.order.insert(self.tick, k);
        }
        *used = self.tick;
        Some(value)
    }

    fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.keys()
    }

    /// Remove the keys about these objects, in one pass.
    fn remove_objects(&mut self, objects: &BTreeSet<String>) {
        let order = &mut self.order;
        self.entries.retain(|key, (used, _)| {
            let gone = objects.contains(object_of(key));
            if gone {
                order.remove(used);
            }
            !gone
        });
    }

    fn insert(&mut self, key: String, value: V) {
        self.tick += 1;
        if let Some((used, _)) = self.entries.remove(&key) {
            self.order.remove(&used);
        }
        self.order.insert(self.tick, key.clone());
        self.entries.insert(key, (self.tick, value));
        while self.entries.len() > self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else { break };
            self.entries.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen<'a>(object: &'a str, reason: &'a str, message: &'a str) -> Seen<'a> {
        Seen { object, field_path: "", type_: "Normal", reason, message }
    }

    #[test]
    fn the_tenth_similar_message_starts_an_aggregate_that_later_ones_count_on() {
        let mut c = Correlator::default();
        let t = DateTime::<Utc>::default();
        for i in 0..9 {
            let w = c.correlate(&seen("rs", "SuccessfulCreate", &format!("Created pod: p{i}")), t).unwrap();
            assert_eq!((w.message.as_str(), w.count), (format!("Created pod: p{i}").as_str(), 1));
        }
        let w = c.correlate(&seen("rs", "SuccessfulCreate", "Created pod: p9"), t).unwrap();
        assert_eq!((w.message.as_str(), w.count), ("(combined from similar events): Created pod: p9", 1));
        c.named(&w.key, "rs.1".into());
        let w = c.correlate(&seen("rs", "SuccessfulCreate", "Created pod: p10"), t).unwrap();
        assert_eq!(w.message, "(combined from similar events): Created pod: p10");
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
        c.named(&w.key, "pod.1".into());
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
        c.forget(&BTreeSet::from(["Pod\x00ns\x00a\x00u1".to_string()]));
        assert_eq!(c.keys(), before - 3, "its aggregate, observation and spam bucket");
        assert_eq!(
            c.objects().into_iter().collect::<Vec<_>>(),
            vec!["Pod\x00ns\x00a\x00u10".to_string(), "Pod\x00ns\x00b\x00u2".to_string()]
        );
    }

    #[test]
    fn the_lru_drops_the_least_recently_used_key() {
        let mut lru = Lru::new(2);
        lru.insert("a".into(), 1);
        lru.insert("b".into(), 2);
        assert_eq!(lru.get_mut("a"), Some(&mut 1), "reading a makes it the newest");
        lru.insert("c".into(), 3);
        assert_eq!(lru.len(), 2);
        assert!(lru.get_mut("b").is_none(), "b was the least recently used");
        assert!(lru.get_mut("a").is_some() && lru.get_mut("c").is_some());
        lru.insert("a".into(), 4);
        assert_eq!((lru.len(), lru.get_mut("a")), (2, Some(&mut 4)), "a re-insert replaces");
    }
}
