//! `kubectl get events` (`printEvent`): LAST SEEN TYPE REASON OBJECT MESSAGE; wide adds
//! SUBOBJECT and SOURCE before MESSAGE and FIRST SEEN, COUNT, NAME after it.
//!
//! LAST SEEN is the series' last observation, else `lastTimestamp`, else the first time
//! (`firstTimestamp`, or `eventTime` for events made with the events.k8s.io API). OBJECT is
//! the lower-case kind and name of the involved object. Rows keep the order given: kubectl
//! does not sort events unless asked to (`--sort-by`).

use crate::model::event::Event;

use super::{age, col, wide, Column, Ctx};

pub(super) const COLUMNS: &[Column] = &[
    col("LAST SEEN"),
    col("TYPE"),
    col("REASON"),
    col("OBJECT"),
    wide("SUBOBJECT"),
    wide("SOURCE"),
    col("MESSAGE"),
    wide("FIRST SEEN"),
    wide("COUNT"),
    wide("NAME"),
];

pub(super) fn row(ev: &Event, ctx: &Ctx) -> Vec<String> {
    let first = match &ev.first_timestamp {
        Some(t) => ctx.age(Some(t)),
        None => age::micro_age(ev.event_time.as_ref(), ctx.now),
    };
    let mut last = match &ev.last_timestamp {
        Some(t) => ctx.age(Some(t)),
        None => first.clone(),
    };
    let mut count = ev.count.unwrap_or(0);
    if let Some(series) = &ev.series {
        last = age::micro_age(series.last_observed_time.as_ref(), ctx.now);
        count = series.count.unwrap_or(0);
    } else if count == 0 {
        // Singleton events of the new API have no count.
        count = 1;
    }
    let involved = &ev.involved_object;
    let kind = involved.kind.as_deref().unwrap_or("").to_lowercase();
    let object = match involved.name.as_deref() {
        Some(name) if !name.is_empty() => format!("{kind}/{name}"),
        _ => kind,
    };
    // formatEventSource: component (or reporting controller), then `, host` when known.
    let non_empty = |s: Option<&crate::model::event::Text>| s.filter(|s| !s.is_empty()).map(|s| s.to_string());
    let source = ev.source.as_ref();
    let component = non_empty(source.and_then(|s| s.component.as_ref()))
        .or_else(|| non_empty(ev.reporting_component.as_ref()))
        .unwrap_or_default();
    let source =
        match non_empty(source.and_then(|s| s.host.as_ref())).or_else(|| non_empty(ev.reporting_instance.as_ref())) {
            Some(host) => format!("{component}, {host}"),
            None => component,
        };
    vec![
        last,
        ev.type_.as_deref().unwrap_or_default().to_string(),
        ev.reason.as_deref().unwrap_or_default().to_string(),
        object,
        involved.field_path.as_deref().unwrap_or_default().to_string(),
        source,
        ev.message.as_deref().unwrap_or("").trim().to_string(),
        first,
        count.to_string(),
        ev.metadata.name.clone().unwrap_or_default(),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(yaml: &str, wide: bool, expect: &str) {
        assert_text(&render(yaml, &PrintOptions { wide, ..Default::default() }), expect);
    }

    const EVENTS: &str = "
apiVersion: v1
kind: Event
metadata: {name: web-5d78c9b6f5-abcde.181a2b3c4d5e6f70, namespace: default}
type: Normal
reason: Scheduled
message: Successfully assigned default/web-5d78c9b6f5-abcde to node-1
involvedObject: {kind: Pod, name: web-5d78c9b6f5-abcde, namespace: default}
source: {component: default-scheduler}
firstTimestamp: '2025-01-01T00:58:00Z'
lastTimestamp: '2025-01-01T00:58:00Z'
count: 1
---
apiVersion: v1
kind: Event
metadata: {name: web-5d78c9b6f5-abcde.181a2b3c4d5e6f71, namespace: default}
type: Warning
reason: BackOff
message: 'Back-off restarting failed container app in pod web-5d78c9b6f5-abcde_default(uid)  '
involvedObject: {kind: Pod, name: web-5d78c9b6f5-abcde, namespace: default, fieldPath: 'spec.containers{app}'}
source: {component: kubelet, host: node-1}
firstTimestamp: '2025-01-01T00:50:00Z'
lastTimestamp: '2025-01-01T00:59:30Z'
count: 7
---
apiVersion: v1
kind: Event
metadata: {name: web.181a2b3c4d5e6f72, namespace: default}
type: Normal
reason: ScalingReplicaSet
message: Scaled up replica set web-5d78c9b6f5 from 0 to 3
involvedObject: {kind: Deployment, name: web, namespace: default}
reportingComponent: deployment-controller
eventTime: '2025-01-01T00:40:00.123456Z'
---
apiVersion: v1
kind: Event
metadata: {name: node-1.181a2b3c4d5e6f73, namespace: default}
type: Normal
reason: NodeNotReady
message: Node node-1 status is now NodeNotReady
involvedObject: {kind: Node, name: node-1}
reportingComponent: node-controller
reportingInstance: control-plane
eventTime: '2025-01-01T00:30:00.000000Z'
series: {count: 4, lastObservedTime: '2025-01-01T00:59:00.000000Z'}
---
apiVersion: v1
kind: Event
metadata: {name: cluster.181a2b3c4d5e6f74, namespace: default}
type: Warning
reason: Multi
message: |
  first line
  second line
involvedObject: {kind: Cluster}
firstTimestamp: '2025-01-01T00:00:00Z'
";

    #[test]
    fn events() {
        check(EVENTS, false, "
LAST SEEN   TYPE      REASON              OBJECT                     MESSAGE
2m          Normal    Scheduled           pod/web-5d78c9b6f5-abcde   Successfully assigned default/web-5d78c9b6f5-abcde to node-1
30s         Warning   BackOff             pod/web-5d78c9b6f5-abcde   Back-off restarting failed container app in pod web-5d78c9b6f5-abcde_default(uid)
19m         Normal    ScalingReplicaSet   deployment/web             Scaled up replica set web-5d78c9b6f5 from 0 to 3
60s         Normal    NodeNotReady        node/node-1                Node node-1 status is now NodeNotReady
60m         Warning   Multi               cluster                    first line...
");
    }

    #[test]
    fn events_wide() {
        check(EVENTS, true, "
LAST SEEN   TYPE      REASON              OBJECT                     SUBOBJECT              SOURCE                           MESSAGE                                                                             FIRST SEEN   COUNT   NAME
2m          Normal    Scheduled           pod/web-5d78c9b6f5-abcde                          default-scheduler                Successfully assigned default/web-5d78c9b6f5-abcde to node-1                        2m           1       web-5d78c9b6f5-abcde.181a2b3c4d5e6f70
30s         Warning   BackOff             pod/web-5d78c9b6f5-abcde   spec.containers{app}   kubelet, node-1                  Back-off restarting failed container app in pod web-5d78c9b6f5-abcde_default(uid)   10m          7       web-5d78c9b6f5-abcde.181a2b3c4d5e6f71
19m         Normal    ScalingReplicaSet   deployment/web                                    deployment-controller            Scaled up replica set web-5d78c9b6f5 from 0 to 3                                    19m          1       web.181a2b3c4d5e6f72
60s         Normal    NodeNotReady        node/node-1                                       node-controller, control-plane   Node node-1 status is now NodeNotReady                                              30m          4       node-1.181a2b3c4d5e6f73
60m         Warning   Multi               cluster                                                                            first line...                                                                       60m          1       cluster.181a2b3c4d5e6f74
");
    }
}
