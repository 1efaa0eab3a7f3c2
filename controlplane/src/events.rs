//! Recording events, as client-go's `record.EventRecorder` does: each component writes
//! core/v1 Events about the objects it acts on, through the API server. A repeat of the same
//! event (same source, object, type, reason and message) within ten minutes raises the
//! existing event's `count` and `lastTimestamp` instead of making a new one, as client-go's
//! EventCorrelator does. What the recorder remembers of past events is, as client-go's
//! `eventLogger`, a least-recently-used cache of 4,096 keys, so it stays small however long
//! the cluster runs.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};

use crate::apiserver::{k8s_time, ApiServer, Reason};
use crate::model::Object;

/// `Normal` or `Warning`, the two event types Kubernetes has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// How long a repeated event is folded into the one before it (client-go's
/// `defaultAggregateIntervalInSeconds` is the same ten minutes).
const FOLD_WINDOW: i64 = 600;

/// How many events a recorder remembers (client-go's `maxLruCacheEntries`).
pub const MAX_LRU_CACHE_ENTRIES: usize = 4096;

/// What is remembered of an event written (client-go's `eventLog`).
struct Seen {
    name: String,
    namespace: String,
    count: i32,
    last: DateTime<Utc>,
}

/// Records events for one source: a component (`default-scheduler`, `kubelet`,
/// `node-controller`) on an optional host (the kubelet's node).
pub struct EventRecorder {
    component: String,
    host: Option<String>,
    /// The audit user the writes are made as.
    user: String,
    seen: Lru<Seen>,
}

impl EventRecorder {
    pub fn new(component: &str, host: Option<&str>, user: &str) -> Self {
        EventRecorder {
            component: component.into(),
            host: host.map(Into::into),
            user: user.into(),
            seen: Lru::new(MAX_LRU_CACHE_ENTRIES),
        }
    }

    /// How many events are remembered for folding.
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }

    /// Record an event about `object`; `field_path` names a part of it
    /// (`spec.containers{nginx}`). Failures are dropped, as client-go drops them: an event is
    /// never worth failing the work it describes.
    pub fn record(
        &mut self,
        api: &mut ApiServer,
        object: &Object,
        field_path: Option<&str>,
        type_: EventType,
        reason: &str,
        message: &str,
    ) {
        let now = api.now();
        let meta = object.metadata();
        let uid = meta.uid.as_deref().unwrap_or("");
        let key = format!("{uid}\x00{}\x00{}\x00{reason}\x00{message}", field_path.unwrap_or(""), type_.as_str());
        if let Some(seen) = self.seen.get_mut(&key) {
            if now - seen.last < Duration::seconds(FOLD_WINDOW) && repeat(api, &self.user, seen, now) {
                return;
            }
        }
        let info = object.info();
        let namespace = if info.namespaced { object.namespace().to_string() } else { "default".to_string() };
        let involved = ObjectReference {
            api_version: Some(info.api_version()),
            kind: Some(info.name.to_string()),
            name: Some(object.name().to_string()),
            namespace: info.namespaced.then(|| object.namespace().to_string()),
            uid: meta.uid.clone(),
            resource_version: meta.resource_version.clone(),
            field_path: field_path.map(Into::into),
        };
        // client-go names an event `<object>.<hex of the time in ns>`; the API server hands out
        // the nanoseconds of an instant in the order events are made.
        let mut nanos = api.next_event_nanos();
        for _ in 0..64 {
            let name = format!("{}.{:x}", object.name(), nanos);
            let event = Event {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(namespace.clone()),
                    ..Default::default()
                },
                involved_object: involved.clone(),
                reason: Some(reason.into()),
                message: Some(message.into()),
                type_: Some(type_.as_str().into()),
                source: Some(EventSource { component: Some(self.component.clone()), host: self.host.clone() }),
                first_timestamp: Some(k8s_time(now)),
                last_timestamp: Some(k8s_time(now)),
                count: Some(1),
                event_time: None::<MicroTime>,
                reporting_component: Some(self.component.clone()),
                reporting_instance: Some(self.host.clone().unwrap_or_default()),
                ..Default::default()
            };
            match api.create(&self.user, &namespace, Object::Event(Box::new(event))) {
                Ok(_) => {
                    self.seen.insert(key, Seen { name, namespace, count: 1, last: now });
                    return;
                }
                Err(e) if e.reason == Reason::AlreadyExists => nanos += 1,
                Err(_) => return,
            }
        }
    }
}

/// Count one more occurrence on the stored event. False when it is gone (expired or deleted).
fn repeat(api: &mut ApiServer, user: &str, seen: &mut Seen, now: DateTime<Utc>) -> bool {
    let Some(current) = api.peek(crate::model::Kind::Event, &seen.namespace, &seen.name) else {
        return false;
    };
    let Object::Event(ev) = &*current else { return false };
    let mut ev = ev.clone();
    seen.count = ev.count.unwrap_or(seen.count) + 1;
    seen.last = now;
    ev.count = Some(seen.count);
    ev.last_timestamp = Some(k8s_time(now));
    api.update(user, Object::Event(ev)).is_ok()
}

/// A least-recently-used cache with string keys (groupcache's `lru.Cache`, which client-go
/// uses): reading or writing a key makes it the newest; adding past the capacity drops the
/// oldest. Recency is a counter, so which key goes is deterministic.
struct Lru<V> {
    capacity: usize,
    entries: BTreeMap<String, (u64, V)>,
    /// Keys by when they were last used.
    order: BTreeMap<u64, String>,
    tick: u64,
}

impl<V> Lru<V> {
    fn new(capacity: usize) -> Self {
        Lru { capacity: capacity.max(1), entries: BTreeMap::new(), order: BTreeMap::new(), tick: 0 }
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
    use crate::model::decode::decode_one;
    use crate::model::Kind;

    #[test]
    fn issue_11_the_correlator_remembers_at_most_4096_events_and_still_folds() {
        let mut api = ApiServer::new(0, DateTime::<Utc>::default());
        api.create("test", "", decode_one("apiVersion: v1\nkind: Namespace\nmetadata: {name: default}").unwrap())
            .unwrap();
        let pod = api
            .create("test", "default", decode_one("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}").unwrap())
            .unwrap();
        let mut recorder = EventRecorder::new("test", None, "test");
        for i in 0..5000 {
            recorder.record(&mut api, &pod, None, EventType::Normal, "Seen", &format!("number {i}"));
        }
        assert_eq!(recorder.remembered(), MAX_LRU_CACHE_ENTRIES);
        assert_eq!(api.peek_list(Kind::Event, None).len(), 5000);
        // The newest are remembered: a repeat folds into its event.
        recorder.record(&mut api, &pod, None, EventType::Normal, "Seen", "number 4999");
        assert_eq!(api.peek_list(Kind::Event, None).len(), 5000, "folded");
        // The oldest were forgotten: a repeat makes a new event, as client-go's LRU would.
        recorder.record(&mut api, &pod, None, EventType::Normal, "Seen", "number 0");
        assert_eq!(api.peek_list(Kind::Event, None).len(), 5001);
        assert_eq!(recorder.remembered(), MAX_LRU_CACHE_ENTRIES);
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
