//! Upstream's `replica_calculator_test.go` resource cases: each pod has two containers, each
//! requesting the pod's request and using its level; pods start long ago, Ready, Running.

use chrono::TimeZone;
use k8s_openapi::api::core::v1::{Container, PodCondition, PodSpec, PodStatus, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::*;
use crate::apiserver::k8s_time;
use crate::model::Shared;

const CONTAINERS: i64 = 2;

#[derive(Default, Clone)]
struct Case {
    current: i32,
    expected: i32,
    requests: Vec<&'static str>,
    levels: Vec<i64>,
    target: i32,
    utilization: i32,
    raw: i64,
    ready: Vec<bool>,
    hot: Vec<bool>,
    phase: Vec<&'static str>,
    deleting: Vec<bool>,
    error: &'static str,
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
}

/// The metrics' timestamp: Go's zero time in the test, long before any transition.
fn long_ago() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap()
}

impl Case {
    fn run(&self) {
        let count = (self.current as usize).max(self.phase.len());
        let pods: Vec<Pod> = (0..count)
            .map(|i| {
                let request = self.requests.get(i).map(|r| ResourceRequirements {
                    requests: Some([("cpu".to_string(), K8sQuantity(r.to_string()))].into()),
                    ..Default::default()
                });
                let container =
                    |n: usize| Container { name: format!("c{n}"), resources: request.clone(), ..Default::default() };
                let start = if self.hot.get(i) == Some(&true) {
                    now() - Duration::minutes(1)
                } else {
                    now() - Duration::minutes(10)
                };
                let ready = self.ready.get(i).copied().unwrap_or(true);
                Pod {
                    metadata: ObjectMeta {
                        name: Some(format!("test-pod-{i}")),
                        deletion_timestamp: (self.deleting.get(i) == Some(&true)).then(|| k8s_time(now())),
                        ..Default::default()
                    }
                    .into(),
                    resource_version: None,
                    spec: Some(crate::model::Shared::new(PodSpec {
                        containers: vec![container(0), container(1)],
                        ..Default::default()
                    })),
                    status: Some(Shared::new(PodStatus {
                        phase: Some(self.phase.get(i).copied().unwrap_or("Running").to_string()),
                        start_time: Some(k8s_time(start)),
                        conditions: Some(vec![PodCondition {
                            type_: "Ready".into(),
                            status: if ready { "True" } else { "False" }.into(),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    })),
                }
            })
            .collect();
        let metrics: PodMetricsInfo = self
            .levels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let m = PodMetric { timestamp: long_ago(), window: Duration::minutes(1), value: l * CONTAINERS };
                (format!("test-pod-{i}"), m)
            })
            .collect();
        let refs: Vec<&Pod> = pods.iter().collect();
        let got = ReplicaCalculator::default().resource_replicas(
            self.current,
            self.target,
            "cpu",
            "",
            Sample { metrics, pods: &refs, now: now() },
        );
        if !self.error.is_empty() {
            assert!(got.as_ref().is_err_and(|e| e.contains(self.error)), "{got:?}");
            return;
        }
        let want = Utilization { replicas: self.expected, utilization: self.utilization, raw: self.raw };
        assert_eq!(got, Ok(want));
    }
}

/// A case of pods requesting 1 CPU each: current and expected replicas, the levels, the
/// target, and the utilization and raw value upstream expects.
fn case(current: i32, expected: i32, levels: &[i64], target: i32, utilization: i32, raw: i64) -> Case {
    let requests = vec!["1.0"; current as usize];
    Case { current, expected, requests, levels: levels.to_vec(), target, utilization, raw, ..Default::default() }
}

#[test]
fn scale_up() {
    let base = || case(3, 4, &[300, 500, 700], 30, 60, 1200);
    case(3, 5, &[300, 500, 700], 30, 50, 1000).run();
    // An unready or a still initializing pod: less scale.
    Case { ready: vec![false, true, true], ..base() }.run();
    Case { hot: vec![true, false, false], ..base() }.run();
    // Two of three unready, or initializing and unready: no scale.
    let none = || Case { ready: vec![true, false, false], ..case(3, 3, &[400, 500, 700], 30, 40, 800) };
    none().run();
    Case { hot: vec![false, true, true], ..none() }.run();
}

#[test]
fn scale_up_ignores_failed_and_deleted_pods() {
    let failed = Case {
        requests: vec!["1.0"; 4],
        ready: vec![true, true, false, false],
        phase: vec!["Running", "Running", "Failed", "Failed"],
        ..case(2, 4, &[500, 700], 30, 60, 1200)
    };
    Case { phase: vec!["Running"; 4], deleting: vec![false, false, true, true], ..failed.clone() }.run();
    failed.run();
}

#[test]
fn scale_down() {
    let levels = [100, 300, 500, 250, 250];
    case(5, 3, &levels, 50, 28, 560).run();
    Case { ready: vec![true, true, true, false, false], ..case(5, 2, &levels, 50, 30, 600) }.run();
    Case { hot: vec![false, false, false, true, true], ..case(5, 2, &levels, 50, 30, 600) }.run();
    let pending = vec!["Running", "Pending", "Pending", "Pending", "Pending"];
    Case { ready: vec![true, false, false, false, false], phase: pending, ..case(5, 1, &[100], 50, 10, 200) }.run();
}

#[test]
fn tolerance() {
    Case { requests: vec!["0.9", "1.0", "1.1"], ..case(3, 3, &[1010, 1030, 1020], 100, 102, 2040) }.run();
}

#[test]
fn superfluous_metrics() {
    case(4, 24, &[4000, 9500, 3000, 7000, 3200, 2000], 100, 587, 11750).run();
}

#[test]
fn missing_metrics() {
    case(4, 3, &[400, 95], 100, 24, 495).run();
    for (level, utilization) in [(1000, 100), (1900, 190), (600, 60)] {
        case(2, 2, &[level], 100, utilization, level * 2).run();
    }
    // With an unready or initializing pod too.
    Case { ready: vec![false, true, true], ..case(3, 3, &[100, 450], 50, 45, 900) }.run();
    Case { hot: vec![true, false, false], ..case(3, 3, &[100, 450], 50, 45, 900) }.run();
    Case { ready: vec![false, true, true], ..case(3, 4, &[100, 2000], 50, 200, 4000) }.run();
    Case { ready: vec![false, true, true, true], ..case(4, 3, &[100, 100, 100], 50, 10, 200) }.run();
}

#[test]
fn during_rolling_update_with_max_surge() {
    Case { requests: vec!["1.0"; 3], phase: vec!["Running"; 3], ..case(2, 2, &[100, 100], 50, 10, 200) }.run();
}

#[test]
fn errors() {
    Case { requests: vec![], error: "missing request for", ..case(1, 0, &[200], 100, 0, 0) }.run();
    Case { error: "no pods returned by selector while calculating replica count", ..case(0, 0, &[200], 100, 0, 0) }
        .run();
}
