//! From the metrics' recommendation to the replicas the HPA sets (`horizontal.go`): the
//! stabilization windows over recent recommendations, then either the old rules (min/max and
//! at most double, or 4, at a time) or, with `behavior`, its scaling policies over the scale
//! events of each policy's period. Each step sets the conditions it decides.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::autoscaling::v2::HPAScalingRules;

/// A recommendation the controller made, kept for the stabilization window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recommendation {
    pub replicas: i32,
    pub at: DateTime<Utc>,
}

/// A change of replicas the controller made, kept for the scaling policies' periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleEvent {
    pub change: i32,
    pub at: DateTime<Utc>,
    pub outdated: bool,
}

/// A condition to set: type, whether it holds, reason, message.
pub type CondSet = (&'static str, bool, &'static str, String);

/// What the HPA remembers between syncs, per HPA.
#[derive(Debug, Default)]
pub struct Memory {
    pub recommendations: BTreeMap<String, Vec<Recommendation>>,
    pub scale_up_events: BTreeMap<String, Vec<ScaleEvent>>,
    pub scale_down_events: BTreeMap<String, Vec<ScaleEvent>>,
}

/// `scaleUpLimitFactor` and `scaleUpLimitMinimum`.
fn scale_up_limit(current: i32) -> i32 {
    (2.0 * f64::from(current)).max(4.0) as i32
}

/// `convertDesiredReplicasWithRules`: within min and max, and at most the scale-up limit.
fn with_rules(current: i32, desired: i32, min: i32, max: i32) -> (i32, &'static str, &'static str) {
    let limit = scale_up_limit(current);
    let (maximum, mut reason, mut message) = if max > limit {
        (limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
    } else {
        (max, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
    };
    if desired < min {
        reason = "TooFewReplicas";
        message = "the desired replica count is less than the minimum replica count";
        return (min, reason, message);
    }
    if desired > maximum {
        return (maximum, reason, message);
    }
    (desired, "DesiredWithinRange", "the desired count is within the acceptable range")
}

const READY: (&str, &str) = ("ReadyForNewScale", "recommended size matches current size");
const DOWN_STABILIZED: (&str, &str) = (
    "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the highest recent recommendation",
);
const UP_STABILIZED: (&str, &str) = (
    "ScaleUpStabilized",
    "recent recommendations were lower than current one, applying the lowest recent recommendation",
);

impl Memory {
    /// `recordInitialRecommendation`.
    pub fn record_initial(&mut self, key: &str, current: i32, now: DateTime<Utc>) {
        self.recommendations
            .entry(key.to_string())
            .or_insert_with(|| vec![Recommendation { replicas: current, at: now }]);
    }

    pub fn forget(&mut self, key: &str) {
        self.recommendations.remove(key);
        self.scale_up_events.remove(key);
        self.scale_down_events.remove(key);
    }

    /// Keep `rec`, in place of the first one older than `old` says.
    fn record(&mut self, key: &str, rec: Recommendation, old: impl Fn(&Recommendation) -> bool) {
        let list = self.recommendations.entry(key.to_string()).or_default();
        match list.iter().rposition(&old) {
            Some(i) => list[i] = rec,
            None => list.push(rec),
        }
    }

    /// `normalizeDesiredReplicas`, without behavior: the highest recommendation of the
    /// downscale stabilization window, then the old rules.
    pub fn normalize(
        &mut self,
        key: &str,
        current: i32,
        desired: i32,
        (min, max): (i32, i32),
        window: Duration,
        now: DateTime<Utc>,
    ) -> (i32, Vec<CondSet>) {
        let cutoff = now - window;
        let recs = self.recommendations.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let stabilized = recs.iter().filter(|r| r.at >= cutoff).map(|r| r.replicas).fold(desired, i32::max);
        // Upstream replaces the last sample older than the window.
        self.record(key, Recommendation { replicas: desired, at: now }, |r| r.at < cutoff);
        let mut conds = Vec::new();
        let (reason, message) = if stabilized != desired { DOWN_STABILIZED } else { READY };
        conds.push(("AbleToScale", true, reason, message.to_string()));
        let (out, reason, message) = with_rules(current, stabilized, min, max);
        conds.push(("ScalingLimited", out != stabilized, reason, message.to_string()));
        (out, conds)
    }

    /// `normalizeDesiredReplicasWithBehaviors`: both stabilization windows, then the policies.
    pub fn normalize_with_behavior(
        &mut self,
        key: &str,
        current: i32,
        desired: i32,
        (min, max): (i32, i32),
        (up, down): (&HPAScalingRules, &HPAScalingRules),
        now: DateTime<Utc>,
    ) -> (i32, Vec<CondSet>) {
        let window = |r: &HPAScalingRules| Duration::seconds(i64::from(r.stabilization_window_seconds.unwrap_or(0)));
        let (up_cutoff, down_cutoff) = (now - window(up), now - window(down));
        let (mut up_rec, mut down_rec) = (desired, desired);
        for r in self.recommendations.get(key).map(Vec::as_slice).unwrap_or(&[]) {
            if r.at > up_cutoff {
                up_rec = up_rec.min(r.replicas);
            }
            if r.at > down_cutoff {
                down_rec = down_rec.max(r.replicas);
            }
        }
        let stabilized = current.max(up_rec).min(down_rec);
        self.record(key, Recommendation { replicas: desired, at: now }, |r| r.at < up_cutoff && r.at < down_cutoff);
        let mut conds = Vec::new();
        let (reason, message) = if stabilized == desired {
            READY
        } else if desired >= current {
            UP_STABILIZED
        } else {
            DOWN_STABILIZED
        };
        conds.push(("AbleToScale", true, reason, message.to_string()));
        let (out, reason, message) = self.with_behavior_rate(key, current, stabilized, (min, max), (up, down), now);
        conds.push(("ScalingLimited", out != stabilized, reason, message.to_string()));
        (out, conds)
    }

    /// `convertDesiredReplicasWithBehaviorRate`.
    fn with_behavior_rate(
        &self,
        key: &str,
        current: i32,
        desired: i32,
        (min, max): (i32, i32),
        (up, down): (&HPAScalingRules, &HPAScalingRules),
        now: DateTime<Utc>,
    ) -> (i32, &'static str, &'static str) {
        let ups = self.scale_up_events.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let downs = self.scale_down_events.get(key).map(Vec::as_slice).unwrap_or(&[]);
        if desired > current {
            let limit = scale_limit(true, current, (ups, downs), up, now).max(current);
            let (maximum, reason, message) = if max > limit {
                (limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
            } else {
                (max, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
            };
            if desired > maximum {
                return (maximum, reason, message);
            }
        } else if desired < current {
            let limit = scale_limit(false, current, (ups, downs), down, now).min(current);
            let (minimum, reason, message) = if min < limit {
                (limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
            } else {
                (min, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
            };
            if desired < minimum {
                return (minimum, reason, message);
            }
        }
        (desired, "DesiredWithinRange", "the desired count is within the acceptable range")
    }

    /// `storeScaleEvent`: a change made, kept for the longest policy period of its direction
    /// (an outdated event's slot reused).
    pub fn store_scale_event(
        &mut self,
        key: &str,
        (up, down): (&HPAScalingRules, &HPAScalingRules),
        previous: i32,
        new: i32,
        now: DateTime<Utc>,
    ) {
        let (events, rules, change) = if new > previous {
            (self.scale_up_events.entry(key.to_string()).or_default(), up, new - previous)
        } else {
            (self.scale_down_events.entry(key.to_string()).or_default(), down, previous - new)
        };
        let longest = rules.policies.iter().flatten().map(|p| p.period_seconds).max().unwrap_or(0);
        let cutoff = now - Duration::seconds(i64::from(longest));
        for e in events.iter_mut() {
            if e.at < cutoff {
                e.outdated = true;
            }
        }
        let event = ScaleEvent { change, at: now, outdated: false };
        match events.iter_mut().find(|e| e.outdated) {
            Some(slot) => *slot = event,
            None => events.push(event),
        }
    }
}

/// `getReplicasChangePerPeriod`.
fn change_in_period(period_seconds: i32, events: &[ScaleEvent], now: DateTime<Utc>) -> i32 {
    let cutoff = now - Duration::seconds(i64::from(period_seconds));
    events.iter().filter(|e| e.at > cutoff).map(|e| e.change).sum()
}

/// The most (scaling up) or fewest (down) replicas the scaling policies allow now
/// (`calculateScaleUpLimitWithScalingRules`, `calculateScaleDownLimitWithBehaviors`): each
/// policy counts from the replicas at the start of its period (the current count less the
/// changes made within it); Max picks the policy allowing the largest change, Min the
/// smallest, Disabled allows none.
pub fn scale_limit(
    up: bool,
    current: i32,
    (ups, downs): (&[ScaleEvent], &[ScaleEvent]),
    rules: &HPAScalingRules,
    now: DateTime<Utc>,
) -> i32 {
    let limits = rules.policies.iter().flatten().map(|p| {
        let start =
            current - change_in_period(p.period_seconds, ups, now) + change_in_period(p.period_seconds, downs, now);
        let (start, value) = (f64::from(start), f64::from(p.value));
        match (p.type_.as_str(), up) {
            ("Pods", true) => start + value,
            ("Pods", false) => start - value,
            (_, true) => (start * (1.0 + value / 100.0)).ceil(),
            (_, false) => (start * (1.0 - value / 100.0)).trunc(),
        }
    });
    let largest_change = match rules.select_policy.as_deref() {
        Some("Disabled") => return current,
        Some("Min") => false,
        _ => true,
    };
    let limit = if largest_change == up { limits.fold(f64::MIN, f64::max) } else { limits.fold(f64::MAX, f64::min) };
    limit.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests;
