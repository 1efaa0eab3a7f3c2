//! Recording events, as client-go's `record.EventRecorder` does: each component writes
//! core/v1 Events about the objects it acts on, through the API server, after client-go's
//! correlator (`correlator.rs`) has folded repeats into counts, combined similar events and
//! dropped what a source writes past its budget for one object.

mod correlator;
mod texts;

use correlator::{Correlator, Seen};
pub use correlator::{AGGREGATE_PREFIX, MAX_LRU_CACHE_ENTRIES};

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::apiserver::{k8s_time, ApiServer, Reason};
use crate::model::event::{Event, EventSource, Text};
use crate::model::Object;
use texts::Texts;

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

/// Records events for one source: a component (`default-scheduler`, `kubelet`,
/// `node-controller`) on an optional host (the kubelet's node).
pub struct EventRecorder {
    component: Text,
    host: Option<Text>,
    /// The host, or empty: `reportingInstance`.
    instance: Text,
    /// The audit user the writes are made as.
    user: String,
    correlator: Correlator,
    /// The number of remembered keys at which the next sweep runs.
    next_sweep: usize,
    /// The involved object's identity for the correlator, written afresh for each event into
    /// this one buffer (the correlator copies it only for an object it has not seen).
    identity: String,
    /// The texts its events share.
    texts: Texts,
}

/// The fewest remembered keys a sweep waits for.
const SWEEP_AT_LEAST: usize = 512;

impl EventRecorder {
    pub fn new(component: &str, host: Option<&str>, user: &str) -> Self {
        EventRecorder {
            component: component.into(),
            host: host.map(Into::into),
            instance: host.unwrap_or_default().into(),
            user: user.into(),
            correlator: Correlator::default(),
            next_sweep: SWEEP_AT_LEAST,
            identity: String::new(),
            texts: Texts::default(),
        }
    }

    /// Forget what the correlator remembers about objects that are gone (no object of that
    /// kind, namespace and name with that uid is stored). Their uid is in every key, so no
    /// later event could use those keys; client-go keeps them until the LRU evicts them,
    /// which the cluster cannot tell apart, and dropping them keeps a kubelet that has run
    /// thousands of short pods as small as one that has run a few. Runs when the caches
    /// have doubled since the last sweep, so its cost stays a constant per event.
    fn sweep(&mut self, api: &ApiServer) {
        self.correlator.forget_where(|object| {
            let mut parts = object.split('\x00');
            let (Some(kind), Some(namespace), Some(name), Some(uid)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return false;
            };
            let Some(info) = crate::model::Kind::first_named(kind) else { return false };
            api.peek(info.kind, namespace, name).is_none_or(|o| o.metadata().uid.as_deref().unwrap_or("") != uid)
        });
        self.next_sweep = (2 * self.correlator.keys()).max(SWEEP_AT_LEAST);
    }

    /// How many events are remembered for folding.
    pub fn remembered(&self) -> usize {
        self.correlator.remembered()
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
        let info = object.info();
        let uid = object.metadata().uid.as_deref().unwrap_or("");
        if self.correlator.keys() >= self.next_sweep {
            self.sweep(api);
        }
        let mut identity = std::mem::take(&mut self.identity);
        identity.clear();
        for part in [info.name, "\x00", object.namespace(), "\x00", object.name(), "\x00", uid] {
            identity.push_str(part);
        }
        let seen =
            Seen { object: &identity, field_path: field_path.unwrap_or(""), type_: type_.as_str(), reason, message };
        let write = self.correlator.correlate(&seen, now);
        self.identity = identity;
        let Some(write) = write else { return };
        let namespace = if info.namespaced { object.namespace() } else { "default" };
        if let Some(name) = &write.existing {
            match counted(api, &self.user, (namespace, name), &write, now) {
                Some(true) | None => return,
                // The event is gone (its hour is up, or it was deleted): write it again.
                Some(false) => {}
            }
        }
        let involved_object = self.texts.involved(&self.identity, object, info, field_path);
        let (reason, type_) = (self.texts.common(reason), self.texts.common(type_.as_str()));
        // Built afresh for each name tried (almost always one): its texts are shared.
        let event = |name: String| Event {
            metadata: ObjectMeta { name: Some(name), namespace: Some(namespace.to_string()), ..Default::default() },
            involved_object: involved_object.clone(),
            reason: Some(reason.clone()),
            message: Some(write.message.clone()),
            type_: Some(type_.clone()),
            source: Some(EventSource { component: Some(self.component.clone()), host: self.host.clone() }),
            first_timestamp: Some(k8s_time(write.first)),
            last_timestamp: Some(k8s_time(now)),
            count: Some(write.count),
            event_time: None,
            reporting_component: Some(self.component.clone()),
            reporting_instance: Some(self.instance.clone()),
            ..Default::default()
        };
        // client-go names an event `<object>.<hex of the time in ns>`; the API server hands out
        // the nanoseconds of an instant in the order events are made.
        let mut nanos = api.next_event_nanos();
        for _ in 0..64 {
            let name = event_name(object.name(), nanos);
            match api.create(&self.user, namespace, Object::Event(Box::new(event(name)))) {
                Ok(created) => {
                    self.correlator.named(write.key, created.name().to_string());
                    return;
                }
                Err(e) if e.reason == Reason::AlreadyExists => nanos += 1,
                Err(_) => return,
            }
        }
    }
}

/// `<object>.<nanos in hex>`, built by hand: every event is named, and `format!` costs
/// several times more.
fn event_name(object: &str, nanos: i64) -> String {
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    let mut v = nanos as u64;
    loop {
        at -= 1;
        digits[at] = b"0123456789abcdef"[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    let mut name = String::with_capacity(object.len() + 1 + digits.len() - at);
    name.push_str(object);
    name.push('.');
    name.extend(digits[at..].iter().map(|&d| d as char));
    name
}

/// Write the logger's count, time and message on the stored event (client-go's patch).
/// Some(false) when it is gone; None when the write failed otherwise.
fn counted(
    api: &mut ApiServer,
    user: &str,
    (namespace, name): (&str, &str),
    write: &correlator::Write,
    now: DateTime<Utc>,
) -> Option<bool> {
    let Some(current) = api.peek(crate::model::Kind::Event, namespace, name) else { return Some(false) };
    let Object::Event(ev) = &*current else { return Some(false) };
    let mut ev = ev.clone();
    ev.count = Some(write.count);
    ev.last_timestamp = Some(k8s_time(now));
    ev.message = Some(write.message.clone());
    api.update(user, Object::Event(ev)).ok().map(|_| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_are_the_object_and_the_hex_nanoseconds() {
        assert_eq!(event_name("web", 0), "web.0");
        assert_eq!(event_name("web", 0x181d_5f3a_09c2_7e00), "web.181d5f3a09c27e00");
        assert_eq!(event_name("web", 255), format!("web.{:x}", 255));
    }
    use crate::model::decode::decode_one;
    use crate::model::Kind;
    use std::sync::Arc;

    fn setup() -> (ApiServer, Arc<Object>) {
        let mut api = ApiServer::new(0, DateTime::<Utc>::default());
        api.create("test", "", decode_one("apiVersion: v1\nkind: Namespace\nmetadata: {name: default}").unwrap())
            .unwrap();
        let object = api
            .create("test", "default", decode_one("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}").unwrap())
            .unwrap();
        (api, object)
    }

    fn events(api: &ApiServer) -> Vec<(String, i32)> {
        let mut all: Vec<_> = api
            .peek_list(Kind::Event, None)
            .iter()
            .filter_map(|o| match &**o {
                Object::Event(e) => Some((e.message.as_deref().unwrap_or_default().to_string(), e.count.unwrap_or(0))),
                _ => None,
            })
            .collect();
        all.sort();
        all
    }

    #[test]
    fn issue_11_the_correlator_remembers_at_most_4096_events_and_still_folds() {
        let (mut api, _) = setup();
        let mut recorder = EventRecorder::new("test", None, "test");
        // Each on its own object, so neither aggregation nor the spam filter applies; all
        // of them stored, so none is forgotten as gone.
        let objects: Vec<Arc<Object>> = (0..5000)
            .map(|i| {
                let cm = decode_one(&format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}")).unwrap();
                api.create("test", "default", cm).unwrap()
            })
            .collect();
        for o in &objects {
            recorder.record(&mut api, o, None, EventType::Normal, "Seen", "seen");
        }
        assert_eq!(recorder.remembered(), MAX_LRU_CACHE_ENTRIES);
        assert_eq!(api.peek_list(Kind::Event, None).len(), 5000);
        recorder.record(&mut api, &objects[4999], None, EventType::Normal, "Seen", "seen");
        assert_eq!(api.peek_list(Kind::Event, None).len(), 5000, "the newest are remembered: a repeat folds");
        recorder.record(&mut api, &objects[0], None, EventType::Normal, "Seen", "seen");
        assert_eq!(api.peek_list(Kind::Event, None).len(), 5001, "the oldest were forgotten, as by client-go's LRU");
        assert_eq!(recorder.remembered(), MAX_LRU_CACHE_ENTRIES);
    }

    #[test]
    fn a_recorder_forgets_objects_that_are_gone_and_keeps_those_that_are_not() {
        let (mut api, kept) = setup();
        let mut recorder = EventRecorder::new("test", None, "test");
        recorder.record(&mut api, &kept, None, EventType::Normal, "Seen", "seen");
        // Short-lived objects, each deleted after its event (a node's Job pods).
        for i in 0..2000 {
            let cm = decode_one(&format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: gone{i}}}")).unwrap();
            let o = api.create("test", "default", cm).unwrap();
            recorder.record(&mut api, &o, None, EventType::Normal, "Seen", "seen");
            api.delete("test", Kind::ConfigMap, "default", &format!("gone{i}"), Default::default()).unwrap();
        }
        assert!(recorder.remembered() < 600, "bounded by the sweeps, not by the LRU: {}", recorder.remembered());
        // The live object's key survived every sweep: a repeat still folds into its event.
        recorder.record(&mut api, &kept, None, EventType::Normal, "Seen", "seen");
        assert!(events(&api).contains(&("seen".to_string(), 2)));
    }

    #[test]
    fn a_hundred_creations_write_nine_events_and_an_aggregate_as_client_go_does() {
        let (mut api, object) = setup();
        let mut recorder = EventRecorder::new("replicaset-controller", None, "test");
        for i in 0..100 {
            recorder.record(
                &mut api,
                &object,
                None,
                EventType::Normal,
                "SuccessfulCreate",
                &format!("Created pod: p{i:02}"),
            );
        }
        let got = events(&api);
        assert_eq!(got.len(), 10);
        // The spam filter lets 25 through: nine events, then the aggregate and 15 counts on it.
        assert_eq!(got[0], ("(combined from similar events): Created pod: p24".to_string(), 16));
        assert_eq!(got[1..].iter().map(|(m, c)| (m.as_str(), *c)).collect::<Vec<_>>()[0], ("Created pod: p00", 1));
        api.set_now(api.now() + chrono::Duration::seconds(300));
        recorder.record(&mut api, &object, None, EventType::Normal, "SuccessfulCreate", "Created pod: p100");
        let got = events(&api);
        assert_eq!(
            got[0],
            ("(combined from similar events): Created pod: p100".to_string(), 92),
            "dropped ones counted"
        );
    }

    #[test]
    fn an_expired_event_is_written_again_with_its_count() {
        let (mut api, object) = setup();
        let mut recorder = EventRecorder::new("kubelet", Some("node-1"), "test");
        recorder.record(&mut api, &object, None, EventType::Warning, "BackOff", "Back-off restarting failed container");
        for e in api.peek_list(Kind::Event, None) {
            api.delete("test", Kind::Event, "default", e.name(), Default::default()).unwrap();
        }
        recorder.record(&mut api, &object, None, EventType::Warning, "BackOff", "Back-off restarting failed container");
        assert_eq!(events(&api), vec![("Back-off restarting failed container".to_string(), 2)]);
    }
}
