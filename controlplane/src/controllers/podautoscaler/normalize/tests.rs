use chrono::TimeZone;
use k8s_openapi::api::autoscaling::v2::HPAScalingPolicy;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
}

fn rules(select: &str, policies: &[(&str, i32, i32)]) -> HPAScalingRules {
    HPAScalingRules {
        select_policy: Some(select.into()),
        policies: Some(
            policies
                .iter()
                .map(|(t, v, p)| HPAScalingPolicy { type_: t.to_string(), value: *v, period_seconds: *p })
                .collect(),
        ),
        ..Default::default()
    }
}

fn events(changes: &[(i32, i64)]) -> Vec<ScaleEvent> {
    changes
        .iter()
        .map(|(c, ago)| ScaleEvent { change: *c, at: now() - Duration::seconds(*ago), outdated: false })
        .collect()
}

#[test]
fn scale_up_limits() {
    // The defaults: 4 pods or 100% per 15s, the larger.
    let default = rules("Max", &[("Pods", 4, 15), ("Percent", 100, 15)]);
    assert_eq!(scale_limit(true, 1, (&[], &[]), &default, now()), 5);
    assert_eq!(scale_limit(true, 10, (&[], &[]), &default, now()), 20);
    assert_eq!(scale_limit(true, 10, (&[], &[]), &rules("Min", &[("Pods", 4, 15), ("Percent", 100, 15)]), now()), 14);
    assert_eq!(scale_limit(true, 10, (&[], &[]), &rules("Disabled", &[("Pods", 4, 15)]), now()), 10);
    // Pods added within the period count against it; older ones do not.
    let ups = events(&[(3, 10), (5, 100)]);
    assert_eq!(scale_limit(true, 10, (&ups, &[]), &rules("Max", &[("Pods", 4, 60)]), now()), 11);
    // Percent rounds up.
    assert_eq!(scale_limit(true, 3, (&[], &[]), &rules("Max", &[("Percent", 50, 60)]), now()), 5);
}

#[test]
fn scale_down_limits() {
    let default = rules("Max", &[("Percent", 100, 15)]);
    assert_eq!(scale_limit(false, 10, (&[], &[]), &default, now()), 0);
    let two = rules("Max", &[("Pods", 2, 60), ("Percent", 10, 60)]);
    assert_eq!(scale_limit(false, 10, (&[], &[]), &two, now()), 8);
    let min = rules("Min", &[("Pods", 2, 60), ("Percent", 10, 60)]);
    assert_eq!(scale_limit(false, 10, (&[], &[]), &min, now()), 9);
    // A pod already removed in the period counts.
    assert_eq!(scale_limit(false, 9, (&[], &events(&[(1, 30)])), &two, now()), 8);
}

#[test]
fn stabilization_without_behavior() {
    let mut m = Memory::default();
    let window = Duration::seconds(300);
    m.record_initial("k", 5, now() - Duration::seconds(60));
    // A lower recommendation within the window holds at the highest recent one.
    let (out, conds) = m.normalize("k", 5, 2, (1, 10), window, now());
    assert_eq!(out, 5);
    assert_eq!(conds[0].2, "ScaleDownStabilized");
    // Past the window the lower one wins.
    let (out, conds) = m.normalize("k", 5, 2, (1, 10), window, now() + Duration::seconds(301));
    assert_eq!(out, 2);
    assert_eq!(conds[0].2, "ReadyForNewScale");
    // Scaling up is limited to double (at least 4), and to max.
    let (out, conds) = m.normalize("k2", 1, 9, (1, 10), window, now());
    assert_eq!((out, conds[1].2, conds[1].1), (4, "ScaleUpLimit", true));
    let (out, conds) = m.normalize("k3", 8, 30, (1, 10), window, now());
    assert_eq!((out, conds[1].2), (10, "TooManyReplicas"));
}
