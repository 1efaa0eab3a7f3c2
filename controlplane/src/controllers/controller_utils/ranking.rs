//! Which pods count (`IsPodActive`, `FilterActivePods`, `podutil.IsPodReady`) and the order in
//! which a controller gives pods up on scale-down: `ActivePods` and `ActivePodsWithRanks` from
//! `controller_utils.go` and `getPodsToDelete` from `replica_set.go`, as in Kubernetes v1.33
//! with its default feature gates (PodDeletionCost and LogarithmicScaleDown on). Smaller sorts
//! first, i.e. is deleted first. Pods are sorted with Go's `sort.Sort`, so pods that compare
//! equal come out in upstream's order too.

use std::collections::BTreeMap;

use crate::model::Pod;
use chrono::{DateTime, Utc};
use k8s_openapi::jiff::Timestamp;

use crate::gosort::{go_sort, SortData};

/// The annotation that tells a controller which of its pods to delete first (lower first).
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

/// The pod's phase, "" before its kubelet reports one.
pub fn pod_phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("")
}

fn node_name(pod: &Pod) -> &str {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).unwrap_or("")
}

fn uid(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or("")
}

/// `IsPodActive`: not finished (Succeeded or Failed) and not being deleted.
pub fn is_pod_active(pod: &Pod) -> bool {
    !matches!(pod_phase(pod), "Succeeded" | "Failed") && pod.metadata.deletion_timestamp.is_none()
}

/// `FilterActivePods`: the pods that have not terminated.
pub fn filter_active_pods<'a>(pods: impl IntoIterator<Item = &'a Pod>) -> Vec<&'a Pod> {
    pods.into_iter().filter(|p| is_pod_active(p)).collect()
}

/// `podutil.IsPodReady`: the pod's Ready condition is True.
pub fn is_pod_ready(pod: &Pod) -> bool {
    ready_condition_true(pod).is_some()
}

/// The Ready condition when it is True: its last transition is when the pod became ready.
fn ready_condition_true(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::PodCondition> {
    let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default();
    conditions.iter().find(|c| c.type_ == "Ready").filter(|c| c.status == "True")
}

/// `podutil.IsPodAvailable`: ready, and for longer than `min_ready_seconds` (strictly).
pub fn is_pod_available(pod: &Pod, min_ready_seconds: i32, now: DateTime<Utc>) -> bool {
    if !is_pod_ready(pod) {
        return false;
    }
    min_ready_seconds == 0 || pod_available_after(pod, min_ready_seconds).is_some_and(|at| at < now)
}

/// When availability next changes by time alone: the earliest moment one of the ready pods
/// becomes available, one second after its `minReadySeconds` ran out (as a requeue after
/// `minReadySeconds` falls when a controller that saw the pod become ready a moment later
/// looks again). None when no ready pod is waiting.
pub fn next_availability<'a>(
    pods: impl IntoIterator<Item = &'a Pod>,
    min_ready_seconds: i32,
    now: DateTime<Utc>,
) -> Option<chrono::Duration> {
    if min_ready_seconds <= 0 {
        return None;
    }
    pods.into_iter()
        .filter(|p| is_pod_ready(p) && !is_pod_available(p, min_ready_seconds, now))
        .filter_map(|p| pod_available_after(p, min_ready_seconds))
        .map(|at| (at - now).max(chrono::Duration::zero()) + chrono::Duration::seconds(1))
        .min()
}

/// The moment after which a ready pod counts as available: its Ready transition plus
/// `min_ready_seconds`. None when the pod is not ready or the transition time is unknown.
pub fn pod_available_after(pod: &Pod, min_ready_seconds: i32) -> Option<DateTime<Utc>> {
    let since = pod_ready_time(pod)?;
    let since = DateTime::from_timestamp(since.as_second(), since.subsec_nanosecond().unsigned_abs())?;
    since.checked_add_signed(chrono::Duration::seconds(i64::from(min_ready_seconds)))
}

/// `podReadyTime`; None is Go's zero time.
/// When the pod last turned Ready, if it is.
pub fn pod_ready_time(pod: &Pod) -> Option<Timestamp> {
    ready_condition_true(pod).and_then(|c| c.last_transition_time.as_ref()).map(|t| t.0)
}

pub fn creation_time(pod: &Pod) -> Option<Timestamp> {
    pod.metadata.creation_timestamp.as_ref().map(|t| t.0)
}

/// `podPhaseToOrdinal`: Pending < Unknown < Running; any other phase counts as Pending.
fn phase_ordinal(pod: &Pod) -> u8 {
    match pod_phase(pod) {
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    }
}

/// `GetDeletionCostFromPodAnnotations`, with an invalid value counting as 0 as the ranking
/// does: a decimal int32 without a plus sign or leading zeros.
pub fn deletion_cost(pod: &Pod) -> i32 {
    let Some(value) = pod.metadata.annotations.as_ref().and_then(|a| a.get(POD_DELETION_COST)) else { return 0 };
    let valid_first = match value.as_bytes().first() {
        Some(b'-' | b'1'..=b'9') => true,
        Some(b'0') => value == "0",
        _ => false,
    };
    if !valid_first {
        return 0;
    }
    value.parse::<i32>().unwrap_or(0)
}

/// `maxContainerRestarts`: the most restarts of a regular container, and of a sidecar (an
/// init container with `restartPolicy: Always`).
fn max_container_restarts(pod: &Pod) -> (i32, i32) {
    let Some(status) = pod.status.as_ref() else { return (0, 0) };
    let regular = status.container_statuses.iter().flatten().map(|c| c.restart_count).max().unwrap_or(0).max(0);
    let init = pod.spec.as_ref().and_then(|s| s.init_containers.as_deref()).unwrap_or_default();
    let is_sidecar = |name: &str| init.iter().any(|c| c.name == name && c.restart_policy.as_deref() == Some("Always"));
    let sidecar = status
        .init_container_statuses
        .iter()
        .flatten()
        .filter(|c| is_sidecar(&c.name))
        .map(|c| c.restart_count)
        .max()
        .unwrap_or(0)
        .max(0);
    (regular, sidecar)
}

/// `compareMaxContainerRestarts`: Some(true) when `a` restarted more (it goes first).
fn compare_max_container_restarts(a: &Pod, b: &Pod) -> Option<bool> {
    let (regular_a, sidecar_a) = max_container_restarts(a);
    let (regular_b, sidecar_b) = max_container_restarts(b);
    if regular_a != regular_b {
        return Some(regular_a > regular_b);
    }
    (sidecar_a != sidecar_b).then_some(sidecar_a > sidecar_b)
}

/// `afterOrZero`: whether `t1` is after `t2`, the zero time being after every other.
pub fn after_or_zero(t1: Option<Timestamp>, t2: Option<Timestamp>) -> bool {
    match (t1, t2) {
        (Some(a), Some(b)) => a > b,
        _ => t1.is_none(),
    }
}

fn nanos(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

/// `logarithmicRankDiff`: the difference of the base-2 logarithms of the two ages in
/// nanoseconds (Go's `time.Duration`, saturating), truncated; -1 for an age not above zero.
fn logarithmic_rank_diff(t1: Timestamp, t2: Timestamp, now: DateTime<Utc>) -> i64 {
    let rank = |t: Timestamp| {
        let age = (nanos(now) - t.as_nanosecond()).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        if age > 0 {
            (age as f64).log2() as i64
        } else {
            -1
        }
    };
    rank(t1) - rank(t2)
}

/// The first three criteria both orders share; None when they tie.
fn unassigned_pending_not_ready_first(a: &Pod, b: &Pod) -> Option<bool> {
    // 1. Unassigned < assigned.
    let (node_a, node_b) = (node_name(a), node_name(b));
    if node_a != node_b && (node_a.is_empty() || node_b.is_empty()) {
        return Some(node_a.is_empty());
    }
    // 2. Pending < Unknown < Running.
    if phase_ordinal(a) != phase_ordinal(b) {
        return Some(phase_ordinal(a) < phase_ordinal(b));
    }
    // 3. Not ready < ready.
    if is_pod_ready(a) != is_pod_ready(b) {
        return Some(!is_pod_ready(a));
    }
    None
}

/// Later (or zero) times first; on the logarithmic scale, times in the same power-of-two age
/// bucket tie and fall back to uid order.
fn newer_first(a: &Pod, b: &Pod, t1: Option<Timestamp>, t2: Option<Timestamp>, now: Option<DateTime<Utc>>) -> bool {
    match (t1, t2, now) {
        (Some(t1), Some(t2), Some(now)) => match logarithmic_rank_diff(t1, t2, now) {
            0 => uid(a) < uid(b),
            diff => diff < 0,
        },
        _ => after_or_zero(t1, t2),
    }
}

/// `ActivePods`: the order without ranks or costs, which the Job controller sorts by.
pub struct ActivePods<'a>(pub Vec<&'a Pod>);

impl ActivePods<'_> {
    /// `ActivePods.Less`.
    pub fn less(&self, i: usize, j: usize) -> bool {
        let (a, b) = (self.0[i], self.0[j]);
        if let Some(less) = unassigned_pending_not_ready_first(a, b) {
            return less;
        }
        // 4. Ready for a shorter time < longer.
        if is_pod_ready(a) && is_pod_ready(b) && pod_ready_time(a) != pod_ready_time(b) {
            return after_or_zero(pod_ready_time(a), pod_ready_time(b));
        }
        // 5. More restarts < fewer.
        if let Some(less) = compare_max_container_restarts(a, b) {
            return less;
        }
        // 6. Empty creation time < newer < older.
        creation_time(a) != creation_time(b) && after_or_zero(creation_time(a), creation_time(b))
    }

    /// `sort.Sort(controller.ActivePods(pods))`.
    pub fn sort(&mut self) {
        go_sort(self);
    }
}

impl SortData for ActivePods<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn less(&mut self, i: usize, j: usize) -> bool {
        ActivePods::less(self, i, j)
    }
    fn swap(&mut self, i: usize, j: usize) {
        self.0.swap(i, j);
    }
}

/// `ActivePodsWithRanks`: pods with a rank each (how many related active pods share their
/// node; more goes first) and the moment that ages are measured from.
pub struct ActivePodsWithRanks<'a> {
    pub pods: Vec<&'a Pod>,
    pub rank: Vec<usize>,
    /// None is Go's zero time: plain time order instead of the logarithmic scale.
    pub now: Option<DateTime<Utc>>,
}

impl ActivePodsWithRanks<'_> {
    /// `ActivePodsWithRanks.Less`.
    pub fn less(&self, i: usize, j: usize) -> bool {
        let (a, b) = (self.pods[i], self.pods[j]);
        if let Some(less) = unassigned_pending_not_ready_first(a, b) {
            return less;
        }
        // 4. Lower pod-deletion-cost < higher.
        if deletion_cost(a) != deletion_cost(b) {
            return deletion_cost(a) < deletion_cost(b);
        }
        // 5. Doubled up < not doubled up: more active related pods on the same node first.
        if self.rank[i] != self.rank[j] {
            return self.rank[i] > self.rank[j];
        }
        // 6. Ready for a shorter time < longer, by power-of-two buckets of age.
        if is_pod_ready(a) && is_pod_ready(b) && pod_ready_time(a) != pod_ready_time(b) {
            return newer_first(a, b, pod_ready_time(a), pod_ready_time(b), self.now);
        }
        // 7. More restarts < fewer.
        if let Some(less) = compare_max_container_restarts(a, b) {
            return less;
        }
        // 8. Empty creation time < newer < older, by power-of-two buckets of age.
        creation_time(a) != creation_time(b) && newer_first(a, b, creation_time(a), creation_time(b), self.now)
    }
}

impl SortData for ActivePodsWithRanks<'_> {
    fn len(&self) -> usize {
        self.pods.len()
    }
    fn less(&mut self, i: usize, j: usize) -> bool {
        ActivePodsWithRanks::less(self, i, j)
    }
    fn swap(&mut self, i: usize, j: usize) {
        self.pods.swap(i, j);
        self.rank.swap(i, j);
    }
}

/// `getPodsRankedByRelatedPodsOnSameNode`: ranks `pods` by how many of `related` (the pods of
/// the controller and its siblings, e.g. all ReplicaSets of a Deployment) are active on the
/// same node.
fn rank_by_related_pods_on_same_node<'a>(
    pods: Vec<&'a Pod>,
    related: &[&Pod],
    now: DateTime<Utc>,
) -> ActivePodsWithRanks<'a> {
    let mut on_node: BTreeMap<&str, usize> = BTreeMap::new();
    for pod in related.iter().filter(|p| is_pod_active(p)) {
        *on_node.entry(node_name(pod)).or_default() += 1;
    }
    let rank = pods.iter().map(|p| on_node.get(node_name(p)).copied().unwrap_or(0)).collect();
    ActivePodsWithRanks { pods, rank, now: Some(now) }
}

/// `getPodsToDelete`: the `diff` pods of `pods` to delete first, sorted only when not all go.
pub fn get_pods_to_delete<'a>(pods: Vec<&'a Pod>, related: &[&Pod], diff: usize, now: DateTime<Utc>) -> Vec<&'a Pod> {
    let mut pods = if diff < pods.len() {
        let mut ranked = rank_by_related_pods_on_same_node(pods, related, now);
        go_sort(&mut ranked);
        ranked.pods
    } else {
        pods
    };
    pods.truncate(diff);
    pods
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use serde_json::json;

    use super::*;
    use crate::controllers::controller_utils::tests::{pod, t0};

    fn ready_at(secs: i64) -> serde_json::Value {
        let t = (t0() + Duration::seconds(secs)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
        json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": t}]}})
    }

    fn created_at(secs: i64) -> serde_json::Value {
        json!({"metadata": {"creationTimestamp": (t0() + Duration::seconds(secs)).format("%Y-%m-%dT%H:%M:%SZ").to_string()}})
    }

    fn restarts(regular: i32, sidecar: i32, plain_init: i32) -> serde_json::Value {
        json!({"spec": {"initContainers": [{"name": "side", "restartPolicy": "Always"}, {"name": "init"}]},
            "status": {"containerStatuses": [{"name": "c", "restartCount": regular, "ready": true, "image": "", "imageID": ""}],
                "initContainerStatuses": [
                    {"name": "side", "restartCount": sidecar, "ready": true, "image": "", "imageID": ""},
                    {"name": "init", "restartCount": plain_init, "ready": true, "image": "", "imageID": ""}]}})
    }

    fn with(mut base: serde_json::Value, more: serde_json::Value) -> serde_json::Value {
        crate::apiserver::patch::merge_patch(&mut base, &more);
        base
    }

    #[test]
    fn active_and_ready() {
        let check = |changes: serde_json::Value, active: bool, ready: bool| {
            let p = pod("p", changes.clone());
            assert_eq!((is_pod_active(&p), is_pod_ready(&p)), (active, ready), "{changes}");
        };
        check(json!({}), true, false);
        check(json!({"status": {"phase": "Running"}}), true, false);
        check(json!({"status": {"phase": "Succeeded"}}), false, false);
        check(json!({"status": {"phase": "Failed"}}), false, false);
        check(json!({"metadata": {"deletionTimestamp": "2025-01-01T00:00:00Z"}}), false, false);
        check(ready_at(0), true, true);
        check(json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}), true, false);
        let (a, b, c) = (pod("a", json!({})), pod("b", json!({"status": {"phase": "Failed"}})), pod("c", json!({})));
        let names: Vec<_> = filter_active_pods([&a, &b, &c]).iter().map(|p| uid(p)).collect();
        assert_eq!(names, ["a", "c"]);
    }

    #[test]
    fn deletion_costs() {
        let check = |value: &str, want: i32| {
            let p = pod("p", json!({"metadata": {"annotations": {POD_DELETION_COST: value}}}));
            assert_eq!(deletion_cost(&p), want, "{value:?}");
        };
        check("10", 10);
        check("-5", -5);
        check("0", 0);
        check("+5", 0);
        check("007", 0);
        check("", 0);
        check("abc", 0);
        check("2147483648", 0);
        check("-2147483648", i32::MIN);
        assert_eq!(deletion_cost(&pod("p", json!({}))), 0);
    }

    #[test]
    fn logarithmic_ranks() {
        let now = t0() + Duration::seconds(1000);
        let at = |secs: i64| k8s_openapi::jiff::Timestamp::from_second(t0().timestamp() + secs).unwrap();
        let check = |a: i64, b: i64, want: i64| assert_eq!(logarithmic_rank_diff(at(a), at(b), now), want, "{a} {b}");
        // Ages 1000s and 900s are both in [2^39, 2^40) ns; 400s is in [2^38, 2^39).
        check(0, 100, 0);
        check(600, 0, -1);
        check(0, 600, 1);
        // Not older than now: rank -1.
        check(1000, 2000, 0);
        check(1000, 999, -1 - 29);
    }

    /// `a` sorts before `b` (and not the other way round) in both orders where the criterion
    /// is shared, with equal ranks and `now` 1000s after `t0`.
    fn before(a: serde_json::Value, b: serde_json::Value) {
        let (pa, pb) = (pod("a", a.clone()), pod("b", b.clone()));
        let ranked =
            ActivePodsWithRanks { pods: vec![&pa, &pb], rank: vec![0, 0], now: Some(t0() + Duration::seconds(1000)) };
        assert!(ranked.less(0, 1) && !ranked.less(1, 0), "ranked: {a} before {b}");
        let plain = ActivePods(vec![&pa, &pb]);
        assert!(plain.less(0, 1) && !plain.less(1, 0), "plain: {a} before {b}");
    }

    #[test]
    fn the_criteria_in_upstreams_order() {
        let running = json!({"spec": {"nodeName": "n1"}, "status": {"phase": "Running"}});
        // 1. Unassigned first, whatever the rest.
        before(
            json!({"status": {"phase": "Running"}}),
            json!({"spec": {"nodeName": "n1"}, "status": {"phase": "Pending"}}),
        );
        // 2. Pending < Unknown < Running; Succeeded counts as Pending.
        before(
            json!({"spec": {"nodeName": "n1"}, "status": {"phase": "Pending"}}),
            json!({"spec": {"nodeName": "n2"}, "status": {"phase": "Unknown"}}),
        );
        before(json!({"spec": {"nodeName": "n1"}, "status": {"phase": "Unknown"}}), running.clone());
        before(
            json!({"spec": {"nodeName": "n1"}, "status": {"phase": "Succeeded"}}),
            json!({"spec": {"nodeName": "n1"}, "status": {"phase": "Unknown"}}),
        );
        // 3. Not ready first.
        before(running.clone(), with(running.clone(), ready_at(0)));
        // Ready more recently first (in another power-of-two bucket of age).
        before(with(running.clone(), ready_at(600)), with(running.clone(), ready_at(0)));
        // More restarts first; sidecars only break a tie; plain init containers do not count.
        before(with(running.clone(), restarts(2, 0, 0)), with(running.clone(), restarts(1, 5, 0)));
        before(with(running.clone(), restarts(1, 3, 0)), with(running.clone(), restarts(1, 2, 9)));
        // Newer first; no creation time first of all.
        before(with(running.clone(), created_at(600)), running.clone());
        let mut never_created = running.clone();
        never_created["metadata"] = json!({"creationTimestamp": null});
        before(never_created, with(running.clone(), created_at(600)));
    }

    #[test]
    fn ranks_costs_and_buckets_only_in_the_ranked_order() {
        let now = Some(t0() + Duration::seconds(1000));
        let check = |a: serde_json::Value,
                     b: serde_json::Value,
                     ranks: [usize; 2],
                     now,
                     ranked_less: bool,
                     plain_less: bool| {
            let (pa, pb) = (pod("a", a.clone()), pod("b", b.clone()));
            let ranked = ActivePodsWithRanks { pods: vec![&pa, &pb], rank: ranks.to_vec(), now };
            assert_eq!(ranked.less(0, 1), ranked_less, "ranked {a} {b} {ranks:?}");
            assert_eq!(ActivePods(vec![&pa, &pb]).less(0, 1), plain_less, "plain {a} {b}");
        };
        let cost = |c: &str| json!({"metadata": {"annotations": {POD_DELETION_COST: c}}});
        // 4. Lower deletion cost first, before ranks and times; the plain order ignores it.
        check(cost("-1"), created_at(600), [0, 5], now, true, false);
        check(created_at(600), cost("-1"), [5, 0], now, false, true);
        // 5. More related pods on the node first, before times.
        check(json!({}), created_at(600), [2, 1], now, true, false);
        check(created_at(600), json!({}), [1, 2], now, false, true);
        // 6 and 8. The same bucket of age ties and falls back to uid order ("a" < "b"); the
        // plain order (and a zero `now`) compares the times themselves.
        check(created_at(100), created_at(0), [0, 0], now, true, true);
        check(created_at(0), created_at(100), [0, 0], now, true, false);
        check(created_at(0), created_at(100), [0, 0], None, false, false);
        let ready = |s| with(json!({"spec": {"nodeName": "n"}}), ready_at(s));
        check(ready(0), ready(100), [0, 0], now, true, false);
        check(ready(100), ready(0), [0, 0], now, true, true);
        check(ready(0), ready(600), [0, 0], now, false, false);
        // Entirely equal pods are not less either way.
        check(json!({}), json!({"metadata": {"uid": "a"}}), [0, 0], now, false, false);
    }

    #[test]
    fn pods_to_delete() {
        let on = |node: &str, created: i64| {
            with(json!({"spec": {"nodeName": node}, "status": {"phase": "Running"}}), created_at(created))
        };
        let pods = [
            pod("p1", on("n1", 0)),
            pod("p2", on("n2", 0)),
            pod("p3", on("n1", 700)),
            pod("p4", json!({"status": {"phase": "Pending"}})),
            pod("p5", on("n3", 800)),
        ];
        // n1 holds three active related pods (one of another ReplicaSet), n2 one, n3 one and a
        // finished one that does not count.
        let sibling = pod("s1", on("n1", 0));
        let finished = pod("s2", with(on("n3", 0), json!({"status": {"phase": "Succeeded"}})));
        let related: Vec<&Pod> = pods.iter().chain([&sibling, &finished]).collect();
        let now = t0() + Duration::seconds(1000);
        let check = |diff: usize, want: &[&str]| {
            let chosen = get_pods_to_delete(pods.iter().collect(), &related, diff, now);
            assert_eq!(chosen.iter().map(|p| uid(p)).collect::<Vec<_>>(), want, "diff {diff}");
        };
        check(0, &[]);
        // The unassigned pod first, then the doubled-up node's newer pod, its older one, then
        // n3's pod (created later) before n2's.
        check(1, &["p4"]);
        check(4, &["p4", "p3", "p1", "p5"]);
        // All of them: no sorting, in the given order.
        check(5, &["p1", "p2", "p3", "p4", "p5"]);
        check(7, &["p1", "p2", "p3", "p4", "p5"]);
    }

    #[test]
    fn plain_active_pods_sort() {
        let pods =
            [pod("old", json!({})), pod("new", created_at(1)), pod("pending", json!({"status": {"phase": "Pending"}}))];
        let mut sorted = ActivePods(pods.iter().collect());
        sorted.sort();
        let names: Vec<_> = sorted.0.iter().map(|p| uid(p)).collect();
        assert_eq!(names, ["new", "old", "pending"]);
    }
}
