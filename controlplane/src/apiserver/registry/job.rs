//! Jobs (`pkg/registry/batch/job/strategy.go`, batch/v1 `SetDefaults_Job`, `ValidateJob`): the
//! generated selector `batch.kubernetes.io/controller-uid` and the job-name/controller-uid
//! template labels; completions/parallelism 1, backoffLimit 6, NonIndexed, not suspended.

use crate::model::Job;
use k8s_openapi::api::batch::v1::JobSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::containers::port_warnings;
use super::names::{is_dns1123_label, nonnegative};
use super::podspec::default_template;
use super::podvalidation::validate_template;
use super::{gofmt, same_spec, selector, Strategy};
use crate::apiserver::error::{quote, FieldError};

const LEGACY_CONTROLLER_UID: &str = "controller-uid";
const LEGACY_JOB_NAME: &str = "job-name";
const CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";
const JOB_NAME: &str = "batch.kubernetes.io/job-name";

impl Job {
    /// A Job without labels gets its pod template's (`SetDefaults_Job`).
    fn labels_from_template(&mut self) {
        let labels = self.spec.as_ref().and_then(|s| s.template.metadata.as_ref()).and_then(|m| m.labels.as_ref());
        if labels.is_some() && self.metadata.labels.as_ref().is_none_or(|l| l.is_empty()) {
            self.metadata.labels = labels.cloned();
        }
    }
}

impl Strategy for Job {
    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        if spec.completions.is_none() && spec.parallelism.is_none() {
            spec.completions = Some(1);
        }
        spec.parallelism.get_or_insert(1);
        let backoff = if spec.backoff_limit_per_index.is_some() { i32::MAX } else { 6 };
        spec.backoff_limit.get_or_insert(backoff);
        spec.completion_mode.get_or_insert_with(|| "NonIndexed".into());
        spec.suspend.get_or_insert(false);
        let replacement = if spec.pod_failure_policy.is_some() { "Failed" } else { "TerminatingOrFailed" };
        spec.pod_replacement_policy.get_or_insert_with(|| replacement.into());
        spec.manual_selector.get_or_insert(false);
        for rule in spec.pod_failure_policy.iter_mut().flat_map(|p| p.rules.iter_mut()) {
            for pattern in rule.on_pod_conditions.iter_mut().flatten() {
                if pattern.status.is_empty() {
                    pattern.status = "True".into();
                }
            }
        }
        default_template(&mut spec.template);
        self.labels_from_template();
    }

    fn default_update(&mut self, old: &Self) {
        if !same_spec(&self.spec, &old.spec) {
            return self.default();
        }
        // The spec is the one stored, defaulted when it was written; only the labels it lends
        // may be missing.
        self.labels_from_template();
    }

    /// Generate the selector and its template labels from the job's uid, unless the selector is manual.
    fn prepare_for_create(&mut self) {
        self.status = Some(Default::default());
        let (name, uid) =
            (self.metadata.name.clone().unwrap_or_default(), self.metadata.uid.clone().unwrap_or_default());
        let spec = self.spec.get_or_insert_with(Default::default);
        if spec.manual_selector == Some(true) {
            return;
        }
        let meta = spec.template.metadata.get_or_insert_with(ObjectMeta::default);
        let labels = meta.labels.get_or_insert_with(Default::default);
        for (key, value) in
            [(LEGACY_JOB_NAME, &name), (JOB_NAME, &name), (LEGACY_CONTROLLER_UID, &uid), (CONTROLLER_UID, &uid)]
        {
            labels.entry(key.to_string()).or_insert_with(|| value.clone());
        }
        let selector = spec.selector.get_or_insert_with(LabelSelector::default);
        selector.match_labels.get_or_insert_with(Default::default).entry(CONTROLLER_UID.into()).or_insert(uid);
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        validate_job(self, true, errs);
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        let (new, old) = (spec_of(self), spec_of(old));
        let immutable = |errs: &mut Vec<FieldError>, changed: bool, path: &str, shown: String| {
            if changed {
                errs.push(FieldError::invalid(path, shown, "field is immutable"));
            }
        };
        let indexed = new.completion_mode.as_deref() == Some("Indexed");
        if new.completions != old.completions {
            if !indexed {
                immutable(errs, true, "spec.completions", opt_int(new.completions));
            } else if new.completions.is_some() && new.completions != new.parallelism {
                errs.push(FieldError::invalid(
                    "spec.completions",
                    opt_int(new.completions),
                    "can only be modified in tandem with spec.parallelism",
                ));
            }
        }
        let (new_sel, old_sel) = (new.selector.clone().unwrap_or_default(), old.selector.clone().unwrap_or_default());
        immutable(errs, new_sel != old_sel, "spec.selector", gofmt::label_selector(&new_sel));
        let mut old_template = old.template.clone();
        let suspended_unstarted = old.suspend == Some(true);
        if suspended_unstarted {
            // Scheduling directives of a suspended job that never started may change.
            let (t, o) = (new.template.clone(), &mut old_template);
            let (ts, os) = (t.spec.clone().unwrap_or_default(), o.spec.get_or_insert_with(Default::default));
            os.node_selector = ts.node_selector;
            os.tolerations = ts.tolerations;
            os.scheduling_gates = ts.scheduling_gates;
            if let (Some(a), Some(na)) = (os.affinity.as_mut(), ts.affinity.as_ref()) {
                a.node_affinity = na.node_affinity.clone();
            }
            let om = o.metadata.get_or_insert_with(Default::default);
            om.labels = t.metadata.as_ref().and_then(|m| m.labels.clone());
            om.annotations = t.metadata.as_ref().and_then(|m| m.annotations.clone());
        }
        immutable(errs, new.template != old_template, "spec.template", "core.PodTemplateSpec{...}".into());
        immutable(
            errs,
            new.completion_mode != old.completion_mode,
            "spec.completionMode",
            opt_str(&new.completion_mode),
        );
        immutable(
            errs,
            new.pod_failure_policy != old.pod_failure_policy,
            "spec.podFailurePolicy",
            "batch.PodFailurePolicy{...}".into(),
        );
        immutable(
            errs,
            new.backoff_limit_per_index != old.backoff_limit_per_index,
            "spec.backoffLimitPerIndex",
            opt_int(new.backoff_limit_per_index),
        );
        immutable(errs, new.managed_by != old.managed_by, "spec.managedBy", opt_str(&new.managed_by));
        immutable(
            errs,
            new.success_policy != old.success_policy,
            "spec.successPolicy",
            "batch.SuccessPolicy{...}".into(),
        );
    }

    fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let msgs = is_dns1123_label(self.metadata.name.as_deref().unwrap_or(""));
        if !msgs.is_empty() {
            warnings.push(format!(
                "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [{}]",
                msgs.join(" ")
            ));
        }
        let spec = spec_of(self);
        let no_pod = k8s_openapi::api::core::v1::PodSpec::default();
        warnings.extend(port_warnings(spec.template.spec.as_ref().unwrap_or(&no_pod), "spec.template.spec"));
        warnings
    }
}

/// The Job's spec, borrowed (a copy would copy its pod template for every validation).
fn spec_of(j: &Job) -> std::borrow::Cow<'_, JobSpec> {
    j.spec.as_deref().map_or_else(|| std::borrow::Cow::Owned(JobSpec::default()), std::borrow::Cow::Borrowed)
}

fn opt_int(v: Option<i32>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "null".into())
}

fn opt_str(v: &Option<String>) -> String {
    v.as_deref().map(quote).unwrap_or_else(|| "null".into())
}

fn validate_job(job: &Job, prefixed_labels: bool, errs: &mut Vec<FieldError>) {
    let spec = spec_of(job);
    let name = job.metadata.name.clone().unwrap_or_default();
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let no_selector = LabelSelector::default();
    let sel = spec.selector.as_ref().unwrap_or(&no_selector);
    if spec.manual_selector != Some(true) && !selector::is_unset(sel) {
        if uid.is_empty() {
            errs.push(FieldError::required("metadata.uid", ""));
        }
        let labels = spec.template.metadata.as_ref().and_then(|m| m.labels.as_ref());
        let mut expected = vec![(LEGACY_CONTROLLER_UID, &uid), (LEGACY_JOB_NAME, &name)];
        if prefixed_labels {
            expected.extend([(CONTROLLER_UID, &uid), (JOB_NAME, &name)]);
        }
        for (key, want) in &expected {
            // Formatted only for an error.
            let path = || format!("spec.template.metadata.labels[{key}]");
            match labels.and_then(|l| l.get(*key)) {
                None => errs.push(FieldError::required(path(), format!("must be '{want}'"))),
                Some(v) if v != *want => {
                    errs.push(FieldError::invalid(path(), gofmt::string_map(labels), format!("must be '{want}'")))
                }
                Some(_) => {}
            }
        }
        let expected_labels = expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if selector::matches(sel, Some(&expected_labels)) == Some(false) {
            errs.push(FieldError::invalid(
                "spec.selector",
                gofmt::label_selector(sel),
                "`selector` not auto-generated",
            ));
        }
    }
    validate_job_spec(&spec, "spec", errs);
    if selector::is_unset(sel) {
        errs.push(FieldError::required("spec.selector", ""));
    } else {
        selector::validate(sel, "spec.selector", errs);
    }
    selector::check_template(
        sel,
        spec.template.metadata.as_ref().and_then(|m| m.labels.as_ref()),
        "spec.template",
        errs,
    );
    if spec.completion_mode.as_deref() == Some("Indexed") {
        if let Some(c) = spec.completions.filter(|c| *c > 0) {
            let host = format!("{name}-{}", c - 1);
            if !is_dns1123_label(&host).is_empty() {
                errs.push(FieldError::invalid(
                    "metadata.name",
                    quote(&name),
                    format!("will not able to create pod with invalid DNS label: {host}"),
                ));
            }
        }
    }
}

/// `validateJobSpec`, shared with CronJob's job template (`path` is where the JobSpec sits).
pub fn validate_job_spec(spec: &JobSpec, path: &str, errs: &mut Vec<FieldError>) {
    for (v, f) in [
        (spec.parallelism.map(i64::from), "parallelism"),
        (spec.completions.map(i64::from), "completions"),
        (spec.active_deadline_seconds, "activeDeadlineSeconds"),
        (spec.backoff_limit.map(i64::from), "backoffLimit"),
        (spec.ttl_seconds_after_finished.map(i64::from), "ttlSecondsAfterFinished"),
        (spec.backoff_limit_per_index.map(i64::from), "backoffLimitPerIndex"),
        (spec.max_failed_indexes.map(i64::from), "maxFailedIndexes"),
    ] {
        if let Some(v) = v {
            nonnegative(v, format_args!("{path}.{f}"), errs);
        }
    }
    if spec.max_failed_indexes.is_some() && spec.backoff_limit_per_index.is_none() {
        errs.push(FieldError::required(format!("{path}.backoffLimitPerIndex"), "when maxFailedIndexes is specified"));
    }
    let mode = spec.completion_mode.as_deref();
    if let Some(m) = mode.filter(|m| *m != "NonIndexed" && *m != "Indexed") {
        errs.push(FieldError::not_supported(format!("{path}.completionMode"), quote(m), &["NonIndexed", "Indexed"]));
    }
    if mode == Some("Indexed") && spec.completions.is_none() {
        errs.push(FieldError::required(format!("{path}.completions"), "when completion mode is Indexed"));
    }
    if mode.is_none() || mode == Some("NonIndexed") {
        for (v, f) in
            [(spec.backoff_limit_per_index, "backoffLimitPerIndex"), (spec.max_failed_indexes, "maxFailedIndexes")]
        {
            if let Some(v) = v {
                errs.push(FieldError::invalid(
                    format!("{path}.{f}"),
                    v.to_string(),
                    "requires indexed completion mode",
                ));
            }
        }
    }
    if let Some(p) = spec.pod_replacement_policy.as_deref() {
        if spec.pod_failure_policy.is_some() && p != "Failed" {
            errs.push(FieldError::not_supported(format!("{path}.podReplacementPolicy"), quote(p), &["Failed"]));
        } else if p != "Failed" && p != "TerminatingOrFailed" {
            errs.push(FieldError::not_supported(
                format!("{path}.podReplacementPolicy"),
                quote(p),
                &["Failed", "TerminatingOrFailed"],
            ));
        }
    }
    validate_template(&spec.template, &format_args!("{path}.template"), errs);
    let restart = spec.template.spec.as_ref().and_then(|s| s.restart_policy.as_deref()).unwrap_or("");
    let rp = || format!("{path}.template.spec.restartPolicy");
    match restart {
        "Always" | "" => errs.push(FieldError::required(rp(), "valid values: \"OnFailure\", \"Never\"")),
        "OnFailure" if spec.pod_failure_policy.is_some() => errs.push(FieldError::invalid(
            rp(),
            quote(restart),
            "only \"Never\" is supported when podFailurePolicy is specified",
        )),
        "OnFailure" | "Never" => {}
        other => errs.push(FieldError::not_supported(rp(), quote(other), &["OnFailure", "Never"])),
    }
}
