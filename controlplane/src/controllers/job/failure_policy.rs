//! `podFailurePolicy` (`pod_failure_policy.go`): the first rule a failed pod matches, on its
//! containers' exit codes or on its conditions (such as DisruptionTarget), decides whether the
//! failure counts toward `backoffLimit`, is ignored, fails the index, or fails the whole Job.

use crate::model::Pod;
use k8s_openapi::api::batch::v1::{PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement};
use k8s_openapi::api::core::v1::ContainerStatus;

use super::util::name;
use super::Job;

/// What a rule made of a failed pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Set by a FailJob rule: why the Job fails.
    pub fail_job_message: Option<String>,
    /// Whether the failure counts toward the limits.
    pub count_failed: bool,
    /// The matching rule's action, if any matched.
    pub action: Option<&'static str>,
}

pub fn policy(job: &Job) -> Option<&PodFailurePolicy> {
    job.spec.as_ref().and_then(|s| s.pod_failure_policy.as_ref())
}

fn action_name(action: &str) -> Option<&'static str> {
    ["FailJob", "Ignore", "Count", "FailIndex"].into_iter().find(|a| *a == action)
}

/// `matchPodFailurePolicy`.
pub fn match_policy(policy: &PodFailurePolicy, pod: &Pod) -> Match {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    let status = pod.status.clone().unwrap_or_default();
    for (index, rule) in policy.rules.iter().enumerate() {
        let Some(action) = action_name(&rule.action) else { continue };
        let message = if let Some(req) = &rule.on_exit_codes {
            let Some(c) = match_exit_codes(&status.container_statuses, req)
                .or_else(|| match_exit_codes(&status.init_container_statuses, req))
            else {
                continue;
            };
            let code = c.state.as_ref().and_then(|s| s.terminated.as_ref()).map_or(0, |t| t.exit_code);
            format!(
                "Container {} for pod {namespace}/{} failed with exit code {code} matching {action} rule at index {index}",
                c.name,
                name(pod)
            )
        } else if let Some(patterns) = &rule.on_pod_conditions {
            let conditions = status.conditions.iter().flatten();
            let Some(cond) =
                conditions.into_iter().find(|c| patterns.iter().any(|p| p.type_ == c.type_ && p.status == c.status))
            else {
                continue;
            };
            format!(
                "Pod {namespace}/{} has condition {} matching {action} rule at index {index}",
                name(pod),
                cond.type_
            )
        } else {
            continue;
        };
        return match action {
            "Ignore" => Match { fail_job_message: None, count_failed: false, action: Some(action) },
            "FailJob" => Match { fail_job_message: Some(message), count_failed: true, action: Some(action) },
            _ => Match { fail_job_message: None, count_failed: true, action: Some(action) },
        };
    }
    Match { fail_job_message: None, count_failed: true, action: None }
}

/// `getMatchingContainerFromList`: a terminated container with a non-zero exit code the
/// requirement (`In` or `NotIn` its values) matches.
fn match_exit_codes<'a>(
    statuses: &'a Option<Vec<ContainerStatus>>,
    req: &PodFailurePolicyOnExitCodesRequirement,
) -> Option<&'a ContainerStatus> {
    statuses.iter().flatten().find(|c| {
        let Some(t) = c.state.as_ref().and_then(|s| s.terminated.as_ref()) else { return false };
        let named = req.container_name.as_ref().is_none_or(|n| *n == c.name);
        let listed = req.values.contains(&t.exit_code);
        let operator_matches = match req.operator.as_str() {
            "In" => listed,
            "NotIn" => !listed,
            _ => false,
        };
        named && t.exit_code != 0 && operator_matches
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": "p", "namespace": "ns"}, "status": status})).unwrap()
    }

    fn policy(rules: serde_json::Value) -> PodFailurePolicy {
        serde_json::from_value(json!({ "rules": rules })).unwrap()
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let exited = |code: i32| {
            pod(
                json!({"phase": "Failed", "containerStatuses": [{"name": "main", "image": "i", "imageID": "", "ready": false,
                "restartCount": 0, "state": {"terminated": {"exitCode": code}}}]}),
            )
        };
        let p = policy(json!([
            {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
            {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
            {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [1]}}
        ]));
        let m = match_policy(&p, &exited(42));
        assert_eq!(
            m.fail_job_message.as_deref(),
            Some("Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 0")
        );
        assert_eq!(match_policy(&p, &exited(3)).action, Some("Count"));
        assert_eq!(match_policy(&p, &exited(1)), Match { fail_job_message: None, count_failed: true, action: None });
        let disrupted = pod(json!({"phase": "Failed", "conditions": [{"type": "DisruptionTarget", "status": "True"}]}));
        let m = match_policy(&p, &disrupted);
        assert_eq!((m.count_failed, m.action), (false, Some("Ignore")));
    }
}
