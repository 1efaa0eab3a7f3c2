//! Upstream's `ReplicaCalculator` (`replica_calculator.go`) and the resource metrics client's
//! per-pod sums (`metrics/client.go`, `utilization.go`): from each pod's usage and request, the
//! replica count that brings the average to the target, with the tolerance, and with unready,
//! missing and ignored pods treated as upstream does.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::Pod;
use chrono::{DateTime, Duration, Utc};

use crate::apiserver::from_k8s_time;
use crate::apiserver::metrics::PodMetrics;
use crate::model::quantity::Quantity;

/// One pod's usage of a resource, in millis (millicores, or bytes × 1000), as metrics-server
/// measured it over `window` ending at `timestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodMetric {
    pub timestamp: DateTime<Utc>,
    pub window: Duration,
    pub value: i64,
}

/// Usage by pod name.
pub type PodMetricsInfo = BTreeMap<String, PodMetric>;

/// `getPodMetrics`/`getContainerMetrics`: the sum over a pod's containers (or the one named);
/// a pod with no containers, or without the named one, is left out (an error for a container).
pub fn pod_metrics_info(items: &[PodMetrics], resource: &str, container: &str) -> Result<PodMetricsInfo, String> {
    let mut out = PodMetricsInfo::new();
    for m in items {
        let usage = |u: &crate::node::kubelet::metrics::Usage| match resource {
            "cpu" => Some(u.millicpu),
            "memory" => Some(u.memory.saturating_mul(1000)),
            _ => None,
        };
        let value = if container.is_empty() {
            if m.containers.is_empty() {
                continue;
            }
            let mut sum = 0i64;
            let mut missing = false;
            for c in &m.containers {
                match usage(c) {
                    Some(v) => sum = sum.saturating_add(v),
                    None => missing = true,
                }
            }
            if missing {
                continue;
            }
            sum
        } else {
            let Some(c) = m.containers.iter().find(|c| c.container == container) else {
                return Err(format!(
                    "failed to get container metrics: container {container} not present in metrics for pod {}/{}",
                    m.namespace, m.name
                ));
            };
            match usage(c) {
                Some(v) => v,
                None => continue,
            }
        };
        out.insert(m.name.clone(), PodMetric { timestamp: m.timestamp, window: m.window, value });
    }
    Ok(out)
}

/// The calculator's settings: kube-controller-manager's
/// `--horizontal-pod-autoscaler-{tolerance,cpu-initialization-period,initial-readiness-delay}`.
#[derive(Debug, Clone, Copy)]
pub struct ReplicaCalculator {
    pub tolerance: f64,
    pub cpu_initialization_period: Duration,
    pub delay_of_initial_readiness_status: Duration,
}

impl Default for ReplicaCalculator {
    fn default() -> Self {
        ReplicaCalculator {
            tolerance: 0.1,
            cpu_initialization_period: Duration::minutes(5),
            delay_of_initial_readiness_status: Duration::seconds(30),
        }
    }
}

/// What a utilization target gives: the replica count, the utilization (percent of request)
/// and the raw average usage (millis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utilization {
    pub replicas: i32,
    pub utilization: i32,
    pub raw: i64,
}

/// What a calculation looks at: the pods' usage, the pods the target's selector picks (from
/// the informer), and the time.
pub struct Sample<'a> {
    pub metrics: PodMetricsInfo,
    pub pods: &'a [&'a Pod],
    pub now: DateTime<Utc>,
}

/// Pods by how upstream counts them.
struct Groups {
    ready: usize,
    unready: BTreeSet<String>,
    missing: BTreeSet<String>,
    ignored: BTreeSet<String>,
}

fn phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("")
}

fn name(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or("")
}

impl ReplicaCalculator {
    fn within_tolerance(&self, ratio: f64) -> bool {
        (1.0 - self.tolerance) <= ratio && ratio <= (1.0 + self.tolerance)
    }

    /// `groupPods`.
    fn group_pods(&self, pods: &[&Pod], metrics: &PodMetricsInfo, resource: &str, now: DateTime<Utc>) -> Groups {
        let mut g = Groups { ready: 0, unready: BTreeSet::new(), missing: BTreeSet::new(), ignored: BTreeSet::new() };
        for pod in pods {
            let n = name(pod).to_string();
            if pod.metadata.deletion_timestamp.is_some() || phase(pod) == "Failed" {
                g.ignored.insert(n);
                continue;
            }
            if phase(pod) == "Pending" {
                g.unready.insert(n);
                continue;
            }
            let Some(metric) = metrics.get(&n) else {
                g.missing.insert(n);
                continue;
            };
            if resource == "cpu" {
                let status = pod.status.as_ref();
                let ready =
                    status.and_then(|s| s.conditions.as_ref()).and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"));
                let start = status.and_then(|s| s.start_time.as_ref()).map(from_k8s_time);
                let unready = match (ready, start) {
                    (Some(cond), Some(start)) => {
                        let transition = cond.last_transition_time.as_ref().map(from_k8s_time).unwrap_or(start);
                        if start + self.cpu_initialization_period > now {
                            // Still initializing: unready, or no full window since it changed.
                            cond.status == "False" || metric.timestamp < transition + metric.window
                        } else {
                            // Unready and never ready since it started.
                            cond.status == "False" && start + self.delay_of_initial_readiness_status > transition
                        }
                    }
                    _ => true,
                };
                if unready {
                    g.unready.insert(n);
                    continue;
                }
            }
            g.ready += 1;
        }
        g
    }

    /// The pods grouped, with the metrics of ignored and unready pods dropped; an error when
    /// there are no pods, or no metrics left.
    fn usable(
        &self,
        pods: &[&Pod],
        metrics: &mut PodMetricsInfo,
        resource: &str,
        now: DateTime<Utc>,
    ) -> Result<Groups, String> {
        if pods.is_empty() {
            return Err("no pods returned by selector while calculating replica count".into());
        }
        let g = self.group_pods(pods, metrics, resource, now);
        for n in g.ignored.iter().chain(&g.unready) {
            metrics.remove(n);
        }
        if metrics.is_empty() {
            return Err("did not receive metrics for targeted pods (pods might be unready)".into());
        }
        Ok(g)
    }

    /// `GetResourceReplicas`: the replicas for a target utilization (percent of request).
    pub fn resource_replicas(
        &self,
        current_replicas: i32,
        target_utilization: i32,
        resource: &str,
        container: &str,
        sample: Sample<'_>,
    ) -> Result<Utilization, String> {
        let Sample { mut metrics, pods, now } = sample;
        let g = self.usable(pods, &mut metrics, resource, now)?;
        let requests = pod_requests(pods, container, resource)?;
        let (ratio, utilization, raw) = utilization_ratio(&metrics, &requests, target_utilization)?;
        let result = |replicas| Ok(Utilization { replicas, utilization, raw });
        let scale_up_with_unready = !g.unready.is_empty() && ratio > 1.0;
        if !scale_up_with_unready && g.missing.is_empty() {
            if self.within_tolerance(ratio) {
                return result(current_replicas);
            }
            return result(ceil(ratio * g.ready as f64));
        }
        if !g.missing.is_empty() {
            // Missing pods count as using their whole request (or the target, when higher) on a
            // scale-down, nothing on a scale-up.
            let fallback = i64::from(target_utilization.max(100));
            for n in &g.missing {
                let value = if ratio < 1.0 { requests.get(n).copied().unwrap_or(0) * fallback / 100 } else { 0 };
                if ratio != 1.0 {
                    metrics.insert(n.clone(), PodMetric { timestamp: now, window: Duration::zero(), value });
                }
            }
        }
        if scale_up_with_unready {
            for n in &g.unready {
                metrics.insert(n.clone(), PodMetric { timestamp: now, window: Duration::zero(), value: 0 });
            }
        }
        let (new_ratio, _, _) = utilization_ratio(&metrics, &requests, target_utilization)?;
        result(self.rerun(current_replicas, ratio, new_ratio, metrics.len()))
    }

    /// `GetRawResourceReplicas` (`calcPlainMetricReplicas`): the replicas for a target average
    /// usage (millis); the usage with them.
    pub fn raw_resource_replicas(
        &self,
        current_replicas: i32,
        target_usage: i64,
        resource: &str,
        sample: Sample<'_>,
    ) -> Result<(i32, i64), String> {
        let Sample { mut metrics, pods, now } = sample;
        let g = self.usable(pods, &mut metrics, resource, now)?;
        let (ratio, usage) = usage_ratio(&metrics, target_usage);
        let scale_up_with_unready = !g.unready.is_empty() && ratio > 1.0;
        if !scale_up_with_unready && g.missing.is_empty() {
            if self.within_tolerance(ratio) {
                return Ok((current_replicas, usage));
            }
            return Ok((ceil(ratio * g.ready as f64), usage));
        }
        for n in &g.missing {
            let value = if ratio < 1.0 { target_usage } else { 0 };
            metrics.insert(n.clone(), PodMetric { timestamp: now, window: Duration::zero(), value });
        }
        if scale_up_with_unready {
            for n in &g.unready {
                metrics.insert(n.clone(), PodMetric { timestamp: now, window: Duration::zero(), value: 0 });
            }
        }
        let (new_ratio, _) = usage_ratio(&metrics, target_usage);
        Ok((self.rerun(current_replicas, ratio, new_ratio, metrics.len()), usage))
    }

    /// The count after missing and unready pods were filled in: no change when that lands
    /// within the tolerance or reverses the direction of the first ratio.
    fn rerun(&self, current: i32, ratio: f64, new_ratio: f64, pods: usize) -> i32 {
        if self.within_tolerance(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0) {
            return current;
        }
        let new = ceil(new_ratio * pods as f64);
        if (new_ratio < 1.0 && new > current) || (new_ratio > 1.0 && new < current) {
            return current;
        }
        new
    }
}

fn ceil(v: f64) -> i32 {
    // Go's int32(math.Ceil(x)) of a ratio times a pod count: never near the limits.
    v.ceil().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

/// `calculatePodRequests`: each pod's request of `resource` in millis over its containers
/// (and restartable init containers), or the one named; a container without one is an error.
pub fn pod_requests(pods: &[&Pod], container: &str, resource: &str) -> Result<BTreeMap<String, i64>, String> {
    let mut out = BTreeMap::new();
    for pod in pods {
        let Some(spec) = pod.spec.as_ref() else { continue };
        let sidecars = spec.init_containers.iter().flatten().filter(|c| c.restart_policy.as_deref() == Some("Always"));
        let mut sum = 0i64;
        for c in spec.containers.iter().chain(sidecars) {
            if !container.is_empty() && c.name != container {
                continue;
            }
            let request = c.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get(resource));
            match request.and_then(|q| Quantity::from_k8s(q).ok()) {
                Some(q) => sum = sum.saturating_add(q.milli_value()),
                None => {
                    return Err(format!("missing request for {resource} in container {} of Pod {}", c.name, name(pod)))
                }
            }
        }
        out.insert(name(pod).to_string(), sum);
    }
    Ok(out)
}

/// `GetResourceUtilizationRatio`: usage over requests of the pods with both, against the target.
pub fn utilization_ratio(
    metrics: &PodMetricsInfo,
    requests: &BTreeMap<String, i64>,
    target_utilization: i32,
) -> Result<(f64, i32, i64), String> {
    let (mut total, mut requested, mut entries) = (0i64, 0i64, 0i64);
    for (pod, m) in metrics {
        let Some(r) = requests.get(pod) else { continue };
        total = total.saturating_add(m.value);
        requested = requested.saturating_add(*r);
        entries += 1;
    }
    if requested == 0 {
        return Err("no metrics returned matched known pods".into());
    }
    let utilization = i32::try_from(total.saturating_mul(100) / requested).unwrap_or(i32::MAX);
    Ok((f64::from(utilization) / f64::from(target_utilization), utilization, total / entries))
}

/// `GetMetricUsageRatio`: the average usage against the target.
pub fn usage_ratio(metrics: &PodMetricsInfo, target_usage: i64) -> (f64, i64) {
    let total: i64 = metrics.values().fold(0i64, |a, m| a.saturating_add(m.value));
    let usage = total / (metrics.len().max(1) as i64);
    (usage as f64 / target_usage as f64, usage)
}

#[cfg(test)]
mod tests;
