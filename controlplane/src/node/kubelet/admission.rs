//! Pod admission (the kubelet's `canAdmitPod` with its predicate admit handler): a pod bound
//! to the node must fit in what the node's allocatable leaves after the pods the kubelet
//! already runs, the check the scheduler makes (`fitsRequest`). A pod bound past it, for
//! instance by `spec.nodeName`, which skips the scheduler, is rejected (`rejectPod`): a Warning
//! event `OutOfcpu` (`OutOfmemory`, `OutOfpods`, `OutOf<resource>`) and the status phase
//! Failed with that reason and `Pod was rejected: Node didn't have enough resource: ...`.
//!
//! Only resources are checked here (upstream also checks the node's labels, ports and
//! NoExecute taints). Critical pods (static and mirror pods, priority from
//! system-cluster-critical up) are admitted: upstream's kubelet evicts other pods to make room
//! for them, which kubesim does not do.

use crate::model::Pod;
use k8s_openapi::api::core::v1::PodStatus;

use super::worker::{pod_of, PodWorker};
use super::Env;
use crate::events::EventType;
use crate::scheduler::framework::{pod_requests, Resources};
use crate::scheduler::plugins::node_resources_fit::fits;

/// `SystemCriticalPriority`: system-cluster-critical's value.
const SYSTEM_CRITICAL_PRIORITY: i32 = 2_000_000_000;

/// Why the kubelet refused a pod: the status reason and the event's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: String,
    pub message: String,
}

/// Whether the kubelet admits `pod` on a node with `allocatable` where it already runs pods
/// requesting `admitted`.
pub fn admit<'a>(
    pod: &Pod,
    allocatable: &Resources,
    admitted: impl Iterator<Item = &'a Resources>,
) -> Result<(), Rejection> {
    if is_critical(pod) {
        return Ok(());
    }
    let Some(spec) = pod.spec.as_ref() else { return Ok(()) };
    let (mut used, mut count) = (Resources::default(), 0);
    for other in admitted {
        used.add(other);
        count += 1;
    }
    // Upstream reports the first resource that is short.
    let Some(short) = fits(&pod_requests(spec).0, allocatable, &used, count).into_iter().next() else { return Ok(()) };
    let reason = match short.resource.as_ref() {
        "cpu" => "OutOfcpu".to_string(),
        "memory" => "OutOfmemory".to_string(),
        "ephemeral-storage" => "OutOfephemeral-storage".to_string(),
        "pods" => "OutOfpods".to_string(),
        other => format!("OutOf{other}"),
    };
    let message = format!(
        "Node didn't have enough resource: {}, requested: {}, used: {}, capacity: {}",
        short.resource, short.requested, short.used, short.capacity
    );
    Err(Rejection { reason, message })
}

/// `IsCriticalPod`: a static or mirror pod, or one with at least system-critical priority.
fn is_critical(pod: &Pod) -> bool {
    let annotations = pod.metadata.annotations.as_ref();
    let source = annotations.and_then(|a| a.get("kubernetes.io/config.source")).map(String::as_str);
    let mirror = annotations.is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"));
    let priority = pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0);
    mirror || source.is_some_and(|s| s != "api") || priority >= SYSTEM_CRITICAL_PRIORITY
}

/// `rejectPod`: the event, then the Failed status (the QoS class kept, the start time set;
/// only conditions the kubelet does not own stay).
pub fn reject(w: &mut PodWorker, env: &mut Env<'_>, rejection: &Rejection) {
    env.recorder.record(env.api, &w.pod, None, EventType::Warning, &rejection.reason, &rejection.message);
    let Some(pod) = pod_of(&w.pod) else { return };
    let old = pod.status.as_deref().cloned().unwrap_or_default();
    let owned = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];
    let conditions: Vec<_> =
        old.conditions.into_iter().flatten().filter(|c| !owned.contains(&c.type_.as_str())).collect();
    let status = PodStatus {
        phase: Some("Failed".into()),
        reason: Some(rejection.reason.clone()),
        message: Some(format!("Pod was rejected: {}", rejection.message)),
        qos_class: old.qos_class,
        start_time: Some(crate::apiserver::k8s_time(env.now)),
        conditions: (!conditions.is_empty()).then_some(conditions),
        ..Default::default()
    };
    w.post(env, status);
}

/// The pods a worker runs that count against the node (`filterOutInactivePods`): admitted,
/// not done, still in the API server (a force-deleted pod no longer counts).
pub fn counts(w: &PodWorker) -> Option<&Resources> {
    (w.rejected.is_none() && !w.terminal && !w.finished && !w.gone).then_some(&w.requests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::decode::decode_one;
    use crate::model::Object;

    fn pod(yaml: &str) -> Pod {
        match decode_one(&format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\n{yaml}")).unwrap() {
            Object::Pod(p) => *p,
            _ => unreachable!("a pod manifest"),
        }
    }

    fn cpu(c: &str) -> Pod {
        pod(&format!("spec: {{containers: [{{name: c, resources: {{requests: {{cpu: '{c}', memory: 1Gi}}}}}}]}}"))
    }

    #[test]
    fn admits_what_fits_and_names_the_first_short_resource() {
        let node = Resources { milli_cpu: 4000, memory: 8 << 30, pods: 3, ..Default::default() };
        let running = [cpu("1"), cpu("2")];
        let check = |p: &Pod, others: &[Pod]| {
            let requests: Vec<Resources> =
                others.iter().filter_map(|o| o.spec.as_ref()).map(|s| pod_requests(s).0).collect();
            admit(p, &node, requests.iter()).map_err(|r| format!("{}: {}", r.reason, r.message))
        };
        assert_eq!(check(&cpu("1"), &running), Ok(()));
        assert_eq!(
            check(&cpu("2"), &running),
            Err("OutOfcpu: Node didn't have enough resource: cpu, requested: 2000, used: 3000, capacity: 4000".into())
        );
        let full = [cpu("100m"), cpu("100m"), cpu("100m")];
        assert_eq!(
            check(&cpu("9"), &full),
            Err("OutOfpods: Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3".into())
        );
        let big = pod("spec: {containers: [{name: c, resources: {requests: {memory: 9Gi}}}]}");
        assert_eq!(
            check(&big, &[]),
            Err("OutOfmemory: Node didn't have enough resource: memory, requested: 9663676416, used: 0, capacity: 8589934592".into())
        );
        let gpu = pod("spec: {containers: [{name: c, resources: {requests: {example.com/gpu: 1}, limits: {example.com/gpu: 1}}}]}");
        assert_eq!(
            check(&gpu, &[]),
            Err("OutOfexample.com/gpu: Node didn't have enough resource: example.com/gpu, requested: 1, used: 0, capacity: 0".into())
        );
        // Requests far past any node are counted exactly.
        let huge = [cpu("9e18"), cpu("9e18")];
        assert_eq!(
            check(&cpu("1"), &huge),
            Err("OutOfcpu: Node didn't have enough resource: cpu, requested: 1000, used: 18000000000000000000000, capacity: 4000".into())
        );
        // Critical pods are let in.
        let critical = pod("spec: {priority: 2000001000, containers: [{name: c, resources: {requests: {cpu: '9'}}}]}");
        assert_eq!(check(&critical, &running), Ok(()));
    }
}
