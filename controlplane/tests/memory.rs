//! What a cluster keeps stays bounded in simulated time: an idle cluster, and one where a pod
//! keeps crashing (events folded, then expired), keep the same number of objects, watch
//! history, audit records, leases and history points from one simulated day to the next.

use chrono::Duration;
use controlplane::sim::{Cluster, ClusterConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sizes {
    objects: usize,
    watch_history: usize,
    audit: usize,
    leases: usize,
    history_points: usize,
}

fn sizes(c: &mut Cluster) -> Sizes {
    let history_points = c.history().map_or(0, |h| h.points());
    let api = c.api_ref();
    Sizes {
        objects: api.store().len(),
        watch_history: api.store().history_len(),
        audit: api.audit_log().len(),
        leases: api.store().lease_count(),
        history_points,
    }
}

#[test]
fn issue_11_memory_is_flat_over_simulated_days() {
    let mut c = Cluster::new(ClusterConfig { workers: 2, audit_log: 5_000, ..ClusterConfig::default() });
    let day = Duration::days(1);
    c.advance(day).unwrap();
    let first = sizes(&mut c);
    for n in 2..=4 {
        c.advance(day).unwrap();
        let now = sizes(&mut c);
        eprintln!("day {n}: {now:?}");
        assert_eq!(now.objects, first.objects, "day {n}: no object is left behind");
        assert_eq!(now.audit, 5_000, "day {n}: the audit log is a ring of its configured size");
        assert!(now.watch_history <= 50_000 + first.watch_history, "day {n}: watch history is compacted");
        assert_eq!(now.leases, 0, "day {n}: no Event outlives its hour");
        assert_eq!(now.history_points, first.history_points, "day {n}: histories record only changes");
    }
}

#[test]
fn issue_11_a_crash_looping_pod_leaves_no_events_behind() {
    let mut c = Cluster::new(ClusterConfig { workers: 1, ..ClusterConfig::default() });
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: crash}\nspec:\n  containers:\n  - {name: c, image: busybox, command: [sh, -c, exit 1]}\n";
    let pod = controlplane::model::decode::decode_one(pod).unwrap();
    c.api().create("test", "default", pod).unwrap();
    let day = Duration::days(1);
    c.advance(day).unwrap();
    let first = sizes(&mut c);
    let events = |c: &Cluster| c.api_ref().peek_list(controlplane::model::Kind::Event, None).len();
    let first_events = events(&c);
    // The kubelet writes one event about the pod every five minutes at most (client-go's spam
    // filter), so an event whose turn does not come within its hour expires and comes back
    // later: the count moves by the pod's few kinds of event, and never grows.
    let slack = 4;
    for n in 2..=3 {
        c.advance(day).unwrap();
        let now = sizes(&mut c);
        assert!(now.objects <= first.objects + slack, "day {n}: repeats fold into the events there are");
        assert!(events(&c) <= first_events + slack, "day {n}");
        assert_eq!(now.leases, events(&c), "day {n}: every Event has a lease");
    }
    assert!(first_events > 0, "the crashes are reported");
}
