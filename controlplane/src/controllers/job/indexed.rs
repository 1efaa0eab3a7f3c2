//! Indexed Jobs (`indexed_job_utils.go`): completion indexes as ordered intervals, written
//! compressed (`1,3-5`, two neighbours as `6,7`), the index of a pod from its annotation, which
//! indexes to create next, and the pods of repeated or out-of-range indexes to remove.

use std::collections::BTreeSet;

use crate::model::Pod;
use k8s_openapi::api::core::v1::{Container, EnvVar, EnvVarSource, ObjectFieldSelector, PodTemplateSpec};

use super::util::{annotation, has_tracking_finalizer, is_pod_failed, is_terminating};
use super::Job;
use crate::controllers::controller_utils::{is_pod_active, ActivePods};

/// `batch.JobCompletionIndexAnnotation`, also the pod's label of the same key.
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";
/// `batch.JobIndexFailureCountAnnotation` and the ignored-failures one.
pub const INDEX_FAILURE_COUNT: &str = "batch.kubernetes.io/job-index-failure-count";
pub const INDEX_IGNORED_FAILURE_COUNT: &str = "batch.kubernetes.io/job-index-ignored-failure-count";
const COMPLETION_INDEX_ENV: &str = "JOB_COMPLETION_INDEX";
/// `names.MaxGeneratedNameLength`: what is left of a name for a generated suffix.
const MAX_GENERATED_NAME_LENGTH: usize = 58;

/// `First..=Last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub first: i64,
    pub last: i64,
}

/// `orderedIntervals`: sorted, disjoint, not touching.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intervals(pub Vec<Interval>);

impl Intervals {
    /// `withOrderedIndexes`: these plus `new` (in increasing order).
    pub fn with_indexes(&self, new: impl IntoIterator<Item = i64>) -> Intervals {
        let other = Intervals(new.into_iter().map(|i| Interval { first: i, last: i }).collect());
        self.merge(&other)
    }

    /// `merge`: the union of two interval lists.
    pub fn merge(&self, other: &Intervals) -> Intervals {
        let mut all: Vec<Interval> = self.0.iter().chain(&other.0).copied().collect();
        all.sort_by_key(|i| i.first);
        let mut out: Vec<Interval> = Vec::new();
        for iv in all {
            match out.last_mut() {
                Some(last) if iv.first <= last.last + 1 => last.last = last.last.max(iv.last),
                _ => out.push(iv),
            }
        }
        Intervals(out)
    }

    /// `total`: how many indexes.
    pub fn total(&self) -> i64 {
        self.0.iter().map(|i| i.last - i.first + 1).sum()
    }

    pub fn has(&self, ix: i64) -> bool {
        self.0.iter().any(|i| i.first <= ix && ix <= i.last)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `parseIndexesFromString`: bad parts skipped, indexes from `completions` on dropped.
    pub fn parse(s: &str, completions: i64) -> Intervals {
        let mut out: Vec<Interval> = Vec::new();
        if s.is_empty() {
            return Intervals(out);
        }
        for part in s.split(',') {
            let mut limits = part.split('-');
            let Some(Ok(first)) = limits.next().map(str::parse::<i64>) else { continue };
            if first >= completions {
                break;
            }
            let last = match limits.next() {
                Some(l) => match l.parse::<i64>() {
                    Ok(l) => l.min(completions - 1),
                    Err(_) => continue,
                },
                None => first,
            };
            match out.last_mut() {
                Some(prev) if prev.last == first - 1 => prev.last = last,
                _ => out.push(Interval { first, last }),
            }
        }
        Intervals(out)
    }
}

impl std::fmt::Display for Intervals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, iv) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", iv.first)?;
            if iv.last > iv.first {
                let sep = if iv.last == iv.first + 1 { ',' } else { '-' };
                write!(f, "{sep}{}", iv.last)?;
            }
        }
        Ok(())
    }
}

/// `getCompletionIndex`: the annotation's index, if it is a non-negative number.
pub fn completion_index(pod: &Pod) -> Option<i64> {
    annotation(pod, COMPLETION_INDEX).and_then(|v| v.parse::<i64>().ok()).filter(|i| *i >= 0)
}

/// The index of a pod if it lies below `completions`.
pub fn valid_index(pod: &Pod, completions: i64) -> Option<i64> {
    completion_index(pod).filter(|i| *i < completions)
}

/// `calculateSucceededIndexes`: the indexes of the status, and those plus the indexes of
/// succeeded pods not counted yet (still holding the finalizer).
pub fn succeeded_indexes(job: &Job, pods: &[&Pod], completions: i64) -> (Intervals, Intervals) {
    let status = job.status.as_ref().and_then(|s| s.completed_indexes.as_deref()).unwrap_or("");
    let prev = Intervals::parse(status, completions);
    let new: BTreeSet<i64> = pods
        .iter()
        .filter(|p| super::util::phase(p) == "Succeeded" && has_tracking_finalizer(p))
        .filter_map(|p| valid_index(p, completions))
        .collect();
    let all = prev.with_indexes(new);
    (prev, all)
}

/// `calculateFailedIndexes`: the status's failed indexes plus those whose pod failed for the
/// last time allowed (`backoffLimitPerIndex`) or by a FailIndex rule.
pub fn failed_indexes(job: &Job, pods: &[&Pod], completions: i64, limit: i32) -> Intervals {
    let status = job.status.as_ref().and_then(|s| s.failed_indexes.as_deref()).unwrap_or("");
    let prev = Intervals::parse(status, completions);
    let new: BTreeSet<i64> = pods
        .iter()
        .filter(|p| has_tracking_finalizer(p) && is_index_failed(job, p, limit))
        .filter_map(|p| valid_index(p, completions))
        .collect();
    prev.with_indexes(new)
}

/// `isIndexFailed`.
fn is_index_failed(job: &Job, pod: &Pod, limit: i32) -> bool {
    if !is_pod_failed(pod, job) {
        return false;
    }
    let counted = match super::failure_policy::policy(job) {
        Some(policy) => {
            let m = super::failure_policy::match_policy(policy, pod);
            if m.action == Some("FailIndex") {
                return true;
            }
            m.count_failed
        }
        None => true,
    };
    counted && failure_count(pod, INDEX_FAILURE_COUNT) >= limit
}

/// An index failure count annotation; 0 when absent or not a number in int32's range.
pub fn failure_count(pod: &Pod, key: &str) -> i32 {
    annotation(pod, key)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| (0..=i64::from(i32::MAX)).contains(v))
        .unwrap_or(0) as i32
}

/// `getIndexAbsoluteFailureCount`: counted and ignored failures of the index so far.
pub fn absolute_failure_count(pod: &Pod) -> i32 {
    failure_count(pod, INDEX_FAILURE_COUNT).saturating_add(failure_count(pod, INDEX_IGNORED_FAILURE_COUNT))
}

fn indexes_of<'a>(pods: impl IntoIterator<Item = &'a &'a Pod>) -> BTreeSet<i64> {
    pods.into_iter().filter_map(|p| completion_index(p)).collect()
}

/// `firstPendingIndexes`: up to `count` indexes below `completions` with no active pod (nor,
/// when only failed pods are replaced, a terminating one), not succeeded and not failed.
pub fn first_pending_indexes(
    pods: &[&Pod],
    only_replace_failed: bool,
    succeeded: &Intervals,
    failed: Option<&Intervals>,
    count: usize,
    completions: i64,
) -> Vec<i64> {
    if count == 0 {
        return Vec::new();
    }
    let active: Vec<&Pod> = pods.iter().copied().filter(|p| is_pod_active(p)).collect();
    let mut non_pending = succeeded.with_indexes(indexes_of(&active));
    if only_replace_failed {
        let terminating: Vec<&Pod> = pods.iter().copied().filter(|p| is_terminating(p)).collect();
        non_pending = non_pending.with_indexes(indexes_of(&terminating));
    }
    if let Some(failed) = failed {
        non_pending = non_pending.merge(failed);
    }
    let mut result = Vec::new();
    let mut candidate = 0;
    for iv in &non_pending.0 {
        while candidate < completions && result.len() < count && candidate < iv.first {
            result.push(candidate);
            candidate += 1;
        }
        candidate = candidate.max(iv.last + 1);
    }
    while candidate < completions && result.len() < count {
        result.push(candidate);
        candidate += 1;
    }
    result
}

/// `appendDuplicatedIndexPodsForRemoval`: of the active pods, those without an index or with
/// one out of range, and all but one (the last in `ActivePods` order) of each repeated index;
/// with the pods left.
pub fn duplicated_index_pods<'a>(pods: &[&'a Pod], completions: i64) -> (Vec<&'a Pod>, Vec<&'a Pod>) {
    let mut sorted = pods.to_vec();
    sorted.sort_by_key(|p| completion_index(p).unwrap_or(-1));
    let (mut rm, mut left) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < sorted.len() {
        let ix = completion_index(sorted[i]);
        let mut j = i;
        while j < sorted.len() && completion_index(sorted[j]) == ix {
            j += 1;
        }
        let group = &sorted[i..j];
        match ix {
            None => rm.extend_from_slice(group),
            Some(ix) if ix >= completions => rm.extend_from_slice(group),
            Some(_) if group.len() == 1 => left.push(group[0]),
            Some(_) => {
                let mut order = ActivePods(group.to_vec());
                order.sort();
                let (last, rest) =
                    order.0.split_last().map(|(l, r)| (*l, r.to_vec())).unwrap_or((group[0], Vec::new()));
                rm.extend(rest);
                left.push(last);
            }
        }
        i = j;
    }
    (rm, left)
}

/// `addCompletionIndexEnvVariables`: `JOB_COMPLETION_INDEX` in every container, from the
/// pod's completion-index label by the downward API (`PodIndexLabel`, on since v1.28).
pub fn add_completion_index_env(template: &mut PodTemplateSpec) {
    let Some(spec) = template.spec.as_mut() else { return };
    let add = |c: &mut Container| {
        let env = c.env.get_or_insert_with(Vec::new);
        if env.iter().any(|e| e.name == COMPLETION_INDEX_ENV) {
            return;
        }
        env.push(EnvVar {
            name: COMPLETION_INDEX_ENV.into(),
            value: None,
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    api_version: Some("v1".into()),
                    field_path: format!("metadata.labels['{COMPLETION_INDEX}']"),
                }),
                ..Default::default()
            }),
        });
    };
    spec.init_containers.iter_mut().flatten().for_each(add);
    spec.containers.iter_mut().for_each(add);
}

/// A pod of index `ix`: its annotation and label, hostname `<job>-<ix>`.
pub fn add_completion_index(template: &mut PodTemplateSpec, job_name: &str, ix: i64) {
    let meta = template.metadata.get_or_insert_with(Default::default);
    meta.annotations.get_or_insert_with(Default::default).insert(COMPLETION_INDEX.into(), ix.to_string());
    meta.labels.get_or_insert_with(Default::default).insert(COMPLETION_INDEX.into(), ix.to_string());
    if let Some(spec) = template.spec.as_mut() {
        spec.hostname = Some(format!("{job_name}-{ix}"));
    }
}

/// `podGenerateNameWithIndex`: `<job>-<ix>-`, the job's name cut to fit.
pub fn generate_name_with_index(job_name: &str, ix: i64) -> String {
    let suffix = format!("-{ix}-");
    let prefix = format!("{job_name}{suffix}");
    if prefix.len() <= MAX_GENERATED_NAME_LENGTH {
        return prefix;
    }
    let keep = MAX_GENERATED_NAME_LENGTH.saturating_sub(suffix.len());
    format!("{}{suffix}", job_name.get(..keep).unwrap_or(job_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_print_compressed_and_parse_back() {
        let iv = Intervals::default().with_indexes([0, 1, 3, 5, 6, 7, 9]);
        assert_eq!(iv.to_string(), "0,1,3,5-7,9");
        assert_eq!(iv.total(), 7);
        assert_eq!(Intervals::parse("0,1,3,5-7,9", 10), iv);
        assert_eq!(Intervals::parse("1-3,x,7-20", 10).to_string(), "1-3,7-9");
        assert_eq!(Intervals::parse("12", 10), Intervals::default());
        assert!(iv.has(6) && !iv.has(8));
    }

    #[test]
    fn generated_names_keep_the_index() {
        assert_eq!(generate_name_with_index("pi", 3), "pi-3-");
        let long = "a".repeat(60);
        let name = generate_name_with_index(&long, 12);
        assert_eq!(name.len(), 58);
        assert!(name.ends_with("a-12-"));
    }
}
