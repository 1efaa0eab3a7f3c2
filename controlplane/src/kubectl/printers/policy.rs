//! Policy objects: poddisruptionbudgets, resourcequotas, priorityclasses
//! (`printPodDisruptionBudget`, `printResourceQuota`, `printPriorityClass`). LimitRanges have
//! no printer upstream and print the API server's default table (see `default.rs`).

use k8s_openapi::api::core::v1::ResourceQuota;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{col, wide, Column, Ctx};

pub(super) const PDB_COLUMNS: &[Column] =
    &[col("NAME"), col("MIN AVAILABLE"), col("MAX UNAVAILABLE"), col("ALLOWED DISRUPTIONS"), col("AGE")];

pub(super) fn pdb_row(pdb: &PodDisruptionBudget, ctx: &Ctx) -> Vec<String> {
    let spec = pdb.spec.as_ref();
    let int_or_string = |v: Option<&IntOrString>| match v {
        Some(IntOrString::Int(i)) => i.to_string(),
        Some(IntOrString::String(s)) => s.clone(),
        None => "N/A".to_string(),
    };
    vec![
        pdb.metadata.name.clone().unwrap_or_default(),
        int_or_string(spec.and_then(|s| s.min_available.as_ref())),
        int_or_string(spec.and_then(|s| s.max_unavailable.as_ref())),
        pdb.status.as_ref().map_or(0, |s| s.disruptions_allowed).to_string(),
        ctx.age(pdb.metadata.creation_timestamp.as_ref()),
    ]
}

pub(super) const QUOTA_COLUMNS: &[Column] = &[col("NAME"), col("REQUEST"), col("LIMIT"), col("AGE")];

/// `resource: used/hard` for every resource in `status.hard`, sorted by name, `limits.*` under
/// LIMIT and the rest under REQUEST. Empty until the quota controller has filled the status.
pub(super) fn quota_row(quota: &ResourceQuota, ctx: &Ctx) -> Vec<String> {
    let status = quota.status.as_ref();
    let mut request = Vec::new();
    let mut limit = Vec::new();
    for (resource, hard) in status.and_then(|s| s.hard.as_ref()).into_iter().flatten() {
        let used = status.and_then(|s| s.used.as_ref()).and_then(|u| u.get(resource)).map_or("0", |q| q.0.as_str());
        let entry = format!("{resource}: {used}/{}", hard.0);
        let pieces: Vec<&str> = resource.split('.').collect();
        if pieces.len() > 1 && pieces[0] == "limits" {
            limit.push(entry);
        } else {
            request.push(entry);
        }
    }
    vec![
        quota.metadata.name.clone().unwrap_or_default(),
        request.join(", "),
        limit.join(", "),
        ctx.age(quota.metadata.creation_timestamp.as_ref()),
    ]
}

pub(super) const PRIORITYCLASS_COLUMNS: &[Column] =
    &[col("NAME"), col("VALUE"), col("GLOBAL-DEFAULT"), col("AGE"), wide("PREEMPTIONPOLICY")];

/// GLOBAL-DEFAULT prints Go's `true`/`false`; an absent preemption policy prints as the API
/// server's default, PreemptLowerPriority.
pub(super) fn priorityclass_row(pc: &PriorityClass, ctx: &Ctx) -> Vec<String> {
    vec![
        pc.metadata.name.clone().unwrap_or_default(),
        pc.value.to_string(),
        pc.global_default.unwrap_or(false).to_string(),
        ctx.age(pc.metadata.creation_timestamp.as_ref()),
        pc.preemption_policy.clone().unwrap_or_else(|| "PreemptLowerPriority".to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(yaml: &str, wide: bool, expect: &str) {
        assert_text(&render(yaml, &PrintOptions { wide, ..Default::default() }), expect);
    }

    #[test]
    fn disruption_budgets() {
        check(
            "
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: default}
spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
status: {currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1, expectedPods: 3}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db, namespace: default}
spec: {maxUnavailable: 25%, selector: {matchLabels: {app: db}}}
",
            false,
            "
NAME   MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE
web    2               N/A               1                     60m
db     N/A             25%               0                     60m
",
        );
    }

    #[test]
    fn quotas() {
        check(
            "
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: dev}
spec: {hard: {requests.cpu: '2', limits.cpu: '4', pods: '10', limits.memory: 8Gi}}
status:
  hard: {requests.cpu: '2', limits.cpu: '4', pods: '10', limits.memory: 8Gi}
  used: {requests.cpu: 500m, limits.cpu: '1', pods: '3'}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: fresh, namespace: dev}
spec: {hard: {pods: '1'}}
",
            false,
            "
NAME      REQUEST                            LIMIT                                   AGE
compute   pods: 3/10, requests.cpu: 500m/2   limits.cpu: 1/4, limits.memory: 0/8Gi   60m
fresh                                                                                60m
",
        );
    }

    #[test]
    fn priority_classes() {
        let yaml = "
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: system-cluster-critical}
value: 2000000000
description: Used for system critical pods.
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: batch-low}
value: -10
globalDefault: true
preemptionPolicy: Never
";
        check(
            yaml,
            true,
            "
NAME                      VALUE        GLOBAL-DEFAULT   AGE   PREEMPTIONPOLICY
system-cluster-critical   2000000000   false            60m   PreemptLowerPriority
batch-low                 -10          true             60m   Never
",
        );
    }
}
