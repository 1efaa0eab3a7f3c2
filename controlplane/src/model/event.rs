//! Events as the store keeps them: core/v1 Event's fields, with its texts reference-counted.
//!
//! A cluster writes more Events than anything else (each container start makes three) and
//! keeps each for an hour, so they are most of what its heap holds. Most of an Event's texts
//! are the same from one to the next: its source and reporting component, its type and
//! reason, its object's kind, apiVersion and namespace, and, for the events a kubelet writes
//! about one container in a row, the object's name, uid and field path. A recorder hands
//! each such text out once as a [`Text`] and every event holds a reference to it, where
//! k8s-openapi's Event would hold a copy of each (about twenty allocations an event, to make and,
//! an hour later, to free). JSON, YAML and the schema are k8s-openapi's own: the event is
//! written and read as one.

use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A text an event shares with others.
pub type Text = Arc<str>;

/// `ObjectReference`, its texts shared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectReference {
    pub api_version: Option<Text>,
    pub field_path: Option<Text>,
    pub kind: Option<Text>,
    pub name: Option<Text>,
    pub namespace: Option<Text>,
    pub resource_version: Option<Text>,
    pub uid: Option<Text>,
}

/// `EventSource`, its texts shared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventSource {
    pub component: Option<Text>,
    pub host: Option<Text>,
}

/// core/v1 `Event`, its texts shared (see the module doc).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    pub metadata: ObjectMeta,
    pub action: Option<Text>,
    pub count: Option<i32>,
    pub event_time: Option<MicroTime>,
    pub first_timestamp: Option<Time>,
    pub involved_object: ObjectReference,
    pub last_timestamp: Option<Time>,
    pub message: Option<Text>,
    pub reason: Option<Text>,
    pub related: Option<ObjectReference>,
    pub reporting_component: Option<Text>,
    pub reporting_instance: Option<Text>,
    pub series: Option<core::EventSeries>,
    pub source: Option<EventSource>,
    pub type_: Option<Text>,
}

fn ours(s: Option<String>) -> Option<Text> {
    s.map(Text::from)
}

fn theirs(s: Option<Text>) -> Option<String> {
    s.map(|s| s.to_string())
}

impl From<core::ObjectReference> for ObjectReference {
    fn from(r: core::ObjectReference) -> Self {
        ObjectReference {
            api_version: ours(r.api_version),
            field_path: ours(r.field_path),
            kind: ours(r.kind),
            name: ours(r.name),
            namespace: ours(r.namespace),
            resource_version: ours(r.resource_version),
            uid: ours(r.uid),
        }
    }
}

impl From<ObjectReference> for core::ObjectReference {
    fn from(r: ObjectReference) -> Self {
        core::ObjectReference {
            api_version: theirs(r.api_version),
            field_path: theirs(r.field_path),
            kind: theirs(r.kind),
            name: theirs(r.name),
            namespace: theirs(r.namespace),
            resource_version: theirs(r.resource_version),
            uid: theirs(r.uid),
        }
    }
}

impl From<core::Event> for Event {
    fn from(e: core::Event) -> Self {
        Event {
            metadata: e.metadata,
            action: ours(e.action),
            count: e.count,
            event_time: e.event_time,
            first_timestamp: e.first_timestamp,
            involved_object: e.involved_object.into(),
            last_timestamp: e.last_timestamp,
            message: ours(e.message),
            reason: ours(e.reason),
            related: e.related.map(Into::into),
            reporting_component: ours(e.reporting_component),
            reporting_instance: ours(e.reporting_instance),
            series: e.series,
            source: e.source.map(|s| EventSource { component: ours(s.component), host: ours(s.host) }),
            type_: ours(e.type_),
        }
    }
}

impl From<Event> for core::Event {
    fn from(e: Event) -> Self {
        core::Event {
            metadata: e.metadata,
            action: theirs(e.action),
            count: e.count,
            event_time: e.event_time,
            first_timestamp: e.first_timestamp,
            involved_object: e.involved_object.into(),
            last_timestamp: e.last_timestamp,
            message: theirs(e.message),
            reason: theirs(e.reason),
            related: e.related.map(Into::into),
            reporting_component: theirs(e.reporting_component),
            reporting_instance: theirs(e.reporting_instance),
            series: e.series,
            source: e.source.map(|s| core::EventSource { component: theirs(s.component), host: theirs(s.host) }),
            type_: theirs(e.type_),
        }
    }
}

super::shared::as_k8s_openapis!(Event, core::Event);

impl k8s_openapi::Metadata for Event {
    type Ty = ObjectMeta;
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl Serialize for Event {
    /// As k8s-openapi writes it (written out for output, never on a request's path).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        core::Event::from(self.clone()).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        core::Event::deserialize(deserializer).map(Event::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_has_k8s_openapis_json_both_ways() {
        let yaml = "apiVersion: v1\nkind: Event\nmetadata: {name: web.1, namespace: default}\ninvolvedObject: {apiVersion: v1, kind: Pod, name: web, namespace: default, uid: u1, fieldPath: 'spec.containers{c}'}\nreason: Pulled\nmessage: done\ntype: Normal\ncount: 2\nsource: {component: kubelet, host: node-1}\nreportingComponent: kubelet\nreportingInstance: node-1\nfirstTimestamp: '2025-01-01T00:00:00Z'\nlastTimestamp: '2025-01-01T00:01:00Z'\n";
        let theirs: core::Event = serde_yaml::from_str(yaml).unwrap();
        let ours: Event = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&theirs).unwrap());
        assert_eq!(core::Event::from(ours.clone()), theirs);
        assert_eq!(ours.involved_object.field_path.as_deref(), Some("spec.containers{c}"));
        let copy = ours.clone();
        assert!(Arc::ptr_eq(copy.reason.as_ref().unwrap(), ours.reason.as_ref().unwrap()), "a copy shares its texts");
    }
}
