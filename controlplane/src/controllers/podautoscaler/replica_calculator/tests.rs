//! Upstream's `replica_calculator_test.go` resource cases: each pod has two containers, each
//! requesting the pod's request and using its level; pods start long ago, Ready, Running.

use chrono::TimeZone;
use k8s_openapi::api::core::v1::{Container, PodCondition, PodSpec, PodStatus, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::*;
use crate::apiserver::k8s_time;

const CONTAINERS: i64 = 2;

#[derive(Default)]
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
                    },
                    spec: Some(PodSpec { containers: vec![container(0), container(1)], ..Default::default() }),
                    status: Some(PodStatus {
                        phase: Some(self.phase.get(i).copied().unwrap_or("Running").to_string()),
                        start_time: Some(k8s_time(start)),
                        conditions: Some(vec![PodCondition {
                            type_: "Ready".into(),
                            status: if ready { "True" } else { "False" }.into(),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    }),
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
        let got =
            ReplicaCalculator::default().resource_replicas(self.current, self.target, "cpu", "", metrics, &refs, now());
        if !self.error.is_empty() {
            assert!(got.as_ref().is_err_and(|e| e.contains(self.error)), "{got:?}");
            return;
        }
        let want = Utilization { replicas: self.expected, utilization: self.utilization, raw: self.raw };
        assert_eq!(got, Ok(want));
    }
}

fn ones(n: usize) -> Vec<&'static str> {
    vec!["1.0"; n]
}

#[test]
fn scale_up() {
    Case {
        current: 3,
        expected: 5,
        requests: ones(3),
        levels: vec![300, 500, 700],
        target: 30,
        utilization: 50,
        raw: 1000,
        ..Default::default()
    }
    .run();
}

#[test]
fn scale_up_unready_less_scale() {
    Case {
        current: 3,
        expected: 4,
        requests: ones(3),
        levels: vec![300, 500, 700],
        target: 30,
        utilization: 60,
        raw: 1200,
        ready: vec![false, true, true],
        ..Default::default()
    }
    .run();
}

#[test]
fn scale_up_hot_cpu_less_scale() {
    Case {
        current: 3,
        expected: 4,
        requests: ones(3),
        levels: vec![300, 500, 700],
        target: 30,
        utilization: 60,
        raw: 1200,
        hot: vec![true, false, false],
        ..Default::default()
    }
    .run();
}

#[test]
fn scale_up_unready_no_scale() {
    Case {
        current: 3,
        expected: 3,
        requests: ones(3),
        levels: vec![400, 500, 700],
        target: 30,
        utilization: 40,
        raw: 800,
        ready: vec![true, false, false],
        ..Default::default()
    }
    .run();
}

#[test]
fn scale_hot_cpu_no_scale() {
    Case {
        current: 3,
        expected: 3,
        requests: ones(3),
        levels: vec![400, 500, 700],
        target: 30,
        utilization: 40,
        raw: 800,
        ready: vec![true, false, false],
        hot: vec![false, true, true],
        ..Default::default()
    }
    .run();
}

#[test]
fn scale_up_ignores_failed_and_deleted_pods() {
    let failed = Case {
        current: 2,
        expected: 4,
        requests: ones(4),
        levels: vec![500, 700],
        target: 30,
        utilization: 60,
        raw: 1200,
        ready: vec![true, true, false, false],
        phase: vec!["Running", "Running", "Failed", "Failed"],
        ..Default::default()
    };
    failed.run();
    Case { phase: vec!["Running"; 4], deleting: vec![false, false, true, true], ..failed }.run();
}

#[test]
fn scale_down() {
    Case {
        current: 5,
        expected: 3,
        requests: ones(5),
        levels: vec![100, 300, 500, 250, 250],
        target: 50,
        utilization: 28,
        raw: 560,
        ..Default::default()
    }
    .run();
}

#[test]
fn scale_down_include_unready_pods() {
    Case {
        current: 5,
        expected: 2,
        requests: ones(5),
        levels: vec![100, 300, 500, 250, 250],
        target: 50,
        utilization: 30,
        raw: 600,
        ready: vec![true, true, true, false, false],
        ..Default::default()
    }
    .run();
}

#[test]
fn scale_down_exclude_unscheduled_pods() {
    Case {
        current: 5,
        expected: 1,
        requests: ones(5),
        levels: vec![100],
        target: 50,
        utilization: 10,
        raw: 200,
        ready: vec![true, false, false, false, false],
        phase: vec!["Running", "Pending", "Pending", "Pending", "Pending"],
        ..Default::default()
    }
    .run();
}

#[test]
fn scale_down_ignore_hot_cpu_pods() {
    Case {
        current: 5,
        expected: 2,
        requests: ones(5),
        levels: vec![100, 300, 500, 250, 250],
        target: 50,
        utilization: 30,
        raw: 600,
        hot: vec![false, false, false, true, true],
        ..Default::default()
    }
    .run();
}

#[test]
fn tolerance() {
    Case {
        current: 3,
        expected: 3,
        requests: vec!["0.9", "1.0", "1.1"],
        levels: vec![1010, 1030, 1020],
        target: 100,
        utilization: 102,
        raw: 2040,
        ..Default::default()
    }
    .run();
}

#[test]
fn superfluous_metrics() {
    Case {
        current: 4,
        expected: 24,
        requests: ones(4),
        levels: vec![4000, 9500, 3000, 7000, 3200, 2000],
        target: 100,
        utilization: 587,
        raw: 11750,
        ..Default::default()
    }
    .run();
}

#[test]
fn missing_metrics() {
    Case {
        current: 4,
        expected: 3,
        requests: ones(4),
        levels: vec![400, 95],
        target: 100,
        utilization: 24,
        raw: 495,
        ..Default::default()
    }
    .run();
    for (level, utilization) in [(1000, 100), (1900, 190), (600, 60)] {
        Case {
            current: 2,
            expected: 2,
            requests: ones(2),
            levels: vec![level],
            target: 100,
            utilization,
            raw: level * 2,
            ..Default::default()
        }
        .run();
    }
}

#[test]
fn missing_metrics_with_unready_or_hot_pods() {
    Case {
        current: 3,
        expected: 3,
        requests: ones(3),
        levels: vec![100, 450],
        target: 50,
        utilization: 45,
        raw: 900,
        ready: vec![false, true, true],
        ..Default::default()
    }
    .run();
    Case {
        current: 3,
        expected: 3,
        requests: ones(3),
        levels: vec![100, 450],
        target: 50,
        utilization: 45,
        raw: 900,
        hot: vec![true, false, false],
        ..Default::default()
    }
    .run();
    Case {
        current: 3,
        expected: 4,
        requests: ones(3),
        levels: vec![100, 2000],
        target: 50,
        utilization: 200,
        raw: 4000,
        ready: vec![false, true, true],
        ..Default::default()
    }
    .run();
    Case {
        current: 4,
        expected: 3,
        requests: ones(4),
        levels: vec![100, 100, 100],
        target: 50,
        utilization: 10,
        raw: 200,
        ready: vec![false, true, true, true],
        ..Default::default()
    }
    .run();
}

#[test]
fn during_rolling_update_with_max_surge() {
    Case {
        current: 2,
        expected: 2,
        requests: ones(3),
        levels: vec![100, 100],
        target: 50,
        utilization: 10,
        raw: 200,
        phase: vec!["Running"; 3],
        ..Default::default()
    }
    .run();
}

#[test]
fn errors() {
    Case {
        current: 1,
        requests: vec![],
        levels: vec![200],
        target: 100,
        error: "missing request for",
        ..Default::default()
    }
    .run();
    Case {
        current: 0,
        levels: vec![200],
        target: 100,
        error: "no pods returned by selector while calculating replica count",
        ..Default::default()
    }
    .run();
}
