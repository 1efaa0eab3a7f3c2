//! The HorizontalPodAutoscaler controller (`horizontal-pod-autoscaler-controller`, upstream's
//! `pkg/controller/podautoscaler`): every sync period it reads each HPA's target through the
//! `scale` subresource, the pods' usage through the resource metrics API (`metrics.k8s.io`,
//! what `kubectl top` shows), computes the replicas each metric asks for
//! ([`replica_calculator`]), stabilizes and limits them ([`normalize`]), sets the target's
//! scale and writes the HPA's status with upstream's conditions and events.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::autoscaling::v2::{
    HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, MetricSpec,
    MetricStatus, MetricTarget, MetricValueStatus,
};

use super::informers::Informers;
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::scale::has_scale;
use crate::apiserver::{k8s_time, ApiError};
use crate::events::{EventRecorder, EventType};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

pub mod metrics;
pub mod normalize;
pub mod replica_calculator;

use normalize::{CondSet, Memory};
use replica_calculator::{ReplicaCalculator, Sample};

/// `--horizontal-pod-autoscaler-sync-period`: how often each HPA is looked at.
pub const SYNC_PERIOD_SECONDS: i64 = 15;
/// `--horizontal-pod-autoscaler-downscale-stabilization`: the scale-down stabilization window
/// of an HPA without `behavior` (and the default of `behavior.scaleDown`).
pub const DOWNSCALE_STABILIZATION_SECONDS: i64 = 300;

pub struct HorizontalController {
    recorder: EventRecorder,
    user: String,
    calculator: ReplicaCalculator,
    memory: Memory,
    /// When each HPA is next due: the work queue's fixed-interval rate limiter, which makes
    /// every sync, the first too, wait out the period.
    due: BTreeMap<String, DateTime<Utc>>,
    /// Upstream's `hpaSelectors`: the pod selector of each HPA's target by HPA key, which
    /// finds pods that more than one HPA controls. An HPA is registered selecting nothing
    /// when first seen, and gets its target's selector at each sync.
    selectors: BTreeMap<String, Option<LabelSelector>>,
}

impl Default for HorizontalController {
    fn default() -> Self {
        let user = controller_user("horizontal-pod-autoscaler");
        HorizontalController {
            recorder: EventRecorder::new("horizontal-pod-autoscaler", None, &user),
            user,
            calculator: ReplicaCalculator::default(),
            memory: Memory::default(),
            due: BTreeMap::new(),
            selectors: BTreeMap::new(),
        }
    }
}

impl Controller for HorizontalController {
    fn name(&self) -> &'static str {
        "horizontal-pod-autoscaler-controller"
    }

    /// Pods are read from their informer; only HPAs enqueue.
    fn watches(&self) -> &'static [Kind] {
        &[Kind::HorizontalPodAutoscaler, Kind::Pod]
    }

    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let period = Duration::seconds(SYNC_PERIOD_SECONDS);
        let now = ctx.now();
        let hpa = match ctx.informers.get(Kind::HorizontalPodAutoscaler, key).map(|o| &**o) {
            Some(Object::HorizontalPodAutoscaler(h)) => (**h).clone(),
            _ => {
                self.due.remove(key);
                self.memory.forget(key);
                self.selectors.remove(key);
                return Ok(Action::AwaitChange);
            }
        };
        // `enqueueHPA`: registered as selecting nothing until its first sync.
        self.selectors.entry(key.to_string()).or_insert(None);
        match self.due.get(key) {
            Some(due) if *due > now => return Ok(Action::RequeueAfter(*due - now)),
            Some(_) => {}
            None => {
                self.due.insert(key.to_string(), now + period);
                return Ok(Action::RequeueAfter(period));
            }
        }
        self.due.insert(key.to_string(), now + period);
        // A failed sync is retried on the next period, as upstream's queue does.
        let _ = self.reconcile_autoscaler(key, hpa, ctx);
        Ok(Action::RequeueAfter(period))
    }
}

/// `setConditionInList`: a condition's transition time moves only when its status does.
fn set_condition(conditions: &mut Vec<HorizontalPodAutoscalerCondition>, c: &CondSet, now: DateTime<Utc>) {
    let (type_, holds, reason, message) = c;
    let status = if *holds { "True" } else { "False" };
    let i = match conditions.iter().position(|x| x.type_ == *type_) {
        Some(i) => i,
        None => {
            conditions.push(HorizontalPodAutoscalerCondition { type_: type_.to_string(), ..Default::default() });
            conditions.len() - 1
        }
    };
    let existing = &mut conditions[i];
    if existing.status != status {
        existing.last_transition_time = Some(k8s_time(now));
    }
    existing.status = status.to_string();
    existing.reason = Some(reason.to_string());
    existing.message = Some(message.clone());
}

/// What the metrics together gave: replicas, the deciding metric's name, the statuses; or
/// the statuses so far and the error.
type Computed = Result<(i32, String, Vec<MetricStatus>), (Vec<MetricStatus>, String)>;

/// What one metric gave: replicas, the metric's name for events, its status.
type Proposal = (i32, String, MetricStatus);

/// Why a metric gave nothing: the condition to set and the error.
type MetricError = (CondSet, String);

/// A sync in progress: the HPA being worked on and the pieces of its status.
struct Sync {
    hpa: HorizontalPodAutoscaler,
    conditions: Vec<HorizontalPodAutoscalerCondition>,
    now: DateTime<Utc>,
}

impl Sync {
    fn cond(&mut self, c: CondSet) {
        set_condition(&mut self.conditions, &c, self.now);
    }
}

impl HorizontalController {
    fn event(&mut self, ctx: &mut Ctx<'_>, hpa: &HorizontalPodAutoscaler, type_: EventType, reason: &str, msg: &str) {
        let obj = Object::HorizontalPodAutoscaler(Box::new(hpa.clone()));
        self.recorder.record(ctx.api, &obj, None, type_, reason, msg);
    }

    /// `setStatus` and `updateStatusIfNeeded`: the status written only when it changed.
    fn write_status(
        &mut self,
        ctx: &mut Ctx<'_>,
        sync: &Sync,
        current: i32,
        desired: Option<i32>,
        metrics: Vec<MetricStatus>,
        rescaled: bool,
    ) -> Result<(), ApiError> {
        let original = sync.hpa.status.clone().unwrap_or_default();
        let mut status = original.clone();
        status.current_replicas = Some(current);
        if let Some(d) = desired {
            status.desired_replicas = d;
        }
        status.current_metrics = (!metrics.is_empty()).then_some(metrics);
        status.conditions = (!sync.conditions.is_empty()).then(|| sync.conditions.clone());
        if rescaled {
            status.last_scale_time = Some(k8s_time(sync.now));
        }
        if status == original {
            return Ok(());
        }
        let mut hpa = sync.hpa.clone();
        hpa.status = Some(status);
        match ctx.api.update_status(self.user.as_str(), Object::HorizontalPodAutoscaler(Box::new(hpa))) {
            Ok(_) => Ok(()),
            Err(e) => {
                self.event(ctx, &sync.hpa, EventType::Warning, "FailedUpdateStatus", &e.message);
                Err(e)
            }
        }
    }

    /// `reconcileAutoscaler`.
    fn reconcile_autoscaler(
        &mut self,
        key: &str,
        hpa: HorizontalPodAutoscaler,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), ApiError> {
        let now = ctx.now();
        let spec = hpa.spec.clone().unwrap_or_default();
        let ns = hpa.metadata.namespace.clone().unwrap_or_default();
        let conditions = hpa.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
        let mut sync = Sync { hpa, conditions, now };
        let target = &spec.scale_target_ref;
        let api_version = target.api_version.clone().unwrap_or_default();
        let group = api_version.split_once('/').map_or("", |(g, _)| g).to_string();
        let kind = Kind::from_api_version_kind(&api_version, &target.kind).filter(|k| has_scale(*k));
        let scale = match kind {
            None => Err(format!("no matches for kind {:?} in group {:?}", target.kind, group)),
            Some(kind) => {
                ctx.api.get_scale(self.user.as_str(), kind, &ns, &target.name).map(|s| (kind, s)).map_err(|e| e.message)
            }
        };
        let (kind, mut scale) = match scale {
            Ok(found) => found,
            Err(err) => {
                self.event(ctx, &sync.hpa, EventType::Warning, "FailedGetScale", &err);
                sync.cond((
                    "AbleToScale",
                    false,
                    "FailedGetScale",
                    format!("the HPA controller was unable to get the target's current scale: {err}"),
                ));
                let current = sync.hpa.status.as_ref().and_then(|s| s.current_replicas).unwrap_or(0);
                let metrics = sync.hpa.status.as_ref().and_then(|s| s.current_metrics.clone()).unwrap_or_default();
                return self.write_status(ctx, &sync, current, None, metrics, false);
            }
        };
        sync.cond((
            "AbleToScale",
            true,
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale".into(),
        ));
        let current = scale.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
        self.memory.record_initial(key, current, now);
        let min = spec.min_replicas.unwrap_or(1);
        let max = spec.max_replicas;
        let mut statuses = Vec::new();
        let mut desired = 0;
        let mut reason = String::new();
        let mut rescale = true;
        if current == 0 && min != 0 {
            rescale = false;
            sync.cond((
                "ScalingActive",
                false,
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero".into(),
            ));
        } else if current > max {
            reason = "Current number of replicas above Spec.MaxReplicas".into();
            desired = max;
        } else if current < min {
            reason = "Current number of replicas below Spec.MinReplicas".into();
            desired = min;
        } else {
            let selector = scale.status.as_ref().and_then(|s| s.selector.clone()).unwrap_or_default();
            let computed = self.replicas_for_metrics(
                ctx,
                &mut sync,
                &ns,
                &selector,
                current,
                &spec.metrics.clone().unwrap_or_default(),
            );
            let (proposal, name, metric_statuses) = match computed {
                Ok(found) => found,
                Err((metric_statuses, err)) => {
                    self.write_status(ctx, &sync, current, None, metric_statuses, false)?;
                    self.event(ctx, &sync.hpa, EventType::Warning, "FailedComputeMetricsReplicas", &err);
                    return Ok(());
                }
            };
            statuses = metric_statuses;
            if proposal > desired {
                desired = proposal;
            }
            if desired > current {
                reason = format!("{name} above target");
            }
            if desired < current {
                reason = "All metrics below target".into();
            }
            let (normalized, conds) = match &spec.behavior {
                None => self.memory.normalize(
                    key,
                    current,
                    desired,
                    (min, max),
                    Duration::seconds(DOWNSCALE_STABILIZATION_SECONDS),
                    now,
                ),
                Some(b) => {
                    let (up, down) = rules(b);
                    self.memory.normalize_with_behavior(key, current, desired, (min, max), (&up, &down), now)
                }
            };
            for c in conds {
                sync.cond(c);
            }
            desired = normalized;
            rescale = desired != current;
        }
        if rescale {
            scale.spec.get_or_insert_with(Default::default).replicas = Some(desired);
            if let Err(e) = ctx.api.update_scale(self.user.as_str(), kind, &ns, &target.name, &scale) {
                let msg = format!("New size: {desired}; reason: {reason}; error: {}", e.message);
                self.event(ctx, &sync.hpa, EventType::Warning, "FailedRescale", &msg);
                sync.cond((
                    "AbleToScale",
                    false,
                    "FailedUpdateScale",
                    format!("the HPA controller was unable to update the target scale: {}", e.message),
                ));
                self.write_status(ctx, &sync, current, None, statuses, false)?;
                return Err(e);
            }
            sync.cond((
                "AbleToScale",
                true,
                "SucceededRescale",
                format!("the HPA controller was able to update the target scale to {desired}"),
            ));
            let msg = format!("New size: {desired}; reason: {reason}");
            self.event(ctx, &sync.hpa, EventType::Normal, "SuccessfulRescale", &msg);
            if let Some(b) = &spec.behavior {
                let (up, down) = rules(b);
                self.memory.store_scale_event(key, (&up, &down), current, desired, now);
            }
        } else {
            desired = current;
        }
        self.write_status(ctx, &sync, current, Some(desired), statuses, rescale)
    }

    /// `computeReplicasForMetrics`: the largest proposal of the valid metrics; an error (with
    /// the statuses so far) when none is valid, or when some are not and the rest would scale
    /// down.
    fn replicas_for_metrics(
        &mut self,
        ctx: &mut Ctx<'_>,
        sync: &mut Sync,
        ns: &str,
        selector_text: &str,
        current: i32,
        specs: &[MetricSpec],
    ) -> Computed {
        if selector_text.is_empty() {
            self.event(ctx, &sync.hpa, EventType::Warning, "SelectorRequired", "selector is required");
            sync.cond((
                "ScalingActive",
                false,
                "InvalidSelector",
                "the HPA target's scale is missing a selector".into(),
            ));
            return Err((Vec::new(), "selector is required".into()));
        }
        let selector = match LabelSelector::parse(selector_text) {
            Ok(s) => s,
            Err(e) => {
                let msg = format!("couldn't convert selector into a corresponding internal selector object: {e}");
                self.event(ctx, &sync.hpa, EventType::Warning, "InvalidSelector", &msg);
                sync.cond(("ScalingActive", false, "InvalidSelector", msg.clone()));
                return Err((Vec::new(), msg));
            }
        };
        if let Err(msg) = self.claim_selector(ctx, sync, ns, selector_text, &selector) {
            return Err((Vec::new(), msg));
        }
        let mut statuses = vec![MetricStatus::default(); specs.len()];
        let (mut replicas, mut metric) = (0, String::new());
        let mut invalid: Vec<MetricError> = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            match self.replicas_for_metric(ctx, &sync.hpa, ns, &selector, current, spec) {
                Ok((proposal, name, status)) => {
                    statuses[i] = status;
                    if replicas == 0 || proposal > replicas {
                        (replicas, metric) = (proposal, name);
                    }
                }
                Err(e) => invalid.push(e),
            }
        }
        let first = invalid.first().cloned();
        if let Some((cond, err)) = first {
            if invalid.len() >= specs.len() || replicas < current {
                sync.cond(cond);
                let err = format!(
                    "invalid metrics ({} invalid out of {}), first error is: {err}",
                    invalid.len(),
                    specs.len()
                );
                return Err((statuses, err));
            }
        }
        sync.cond((
            "ScalingActive",
            true,
            "ValidMetricFound",
            format!("the HPA was able to successfully calculate a replica count from {metric}"),
        ));
        Ok((replicas, metric, statuses))
    }

    /// The end of `validateAndParseSelector`: the HPA's selector recorded, and refused when
    /// the pods it selects are also selected by another HPA of the namespace (each HPA would
    /// fight the other over the same pods).
    fn claim_selector(
        &mut self,
        ctx: &mut Ctx<'_>,
        sync: &mut Sync,
        ns: &str,
        selector_text: &str,
        selector: &LabelSelector,
    ) -> Result<(), String> {
        let key = format!("{ns}/{}", sync.hpa.metadata.name.as_deref().unwrap_or(""));
        if let Some(slot) = self.selectors.get_mut(&key) {
            *slot = Some(selector.clone());
        }
        // Upstream gathers the HPAs in a Go map; they are sorted here so the message is stable.
        let mut selecting = BTreeSet::new();
        for pod in pods_selected(ctx.informers, ns, selector) {
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            for (hpa, sel) in &self.selectors {
                let same_ns = hpa.split_once('/').is_some_and(|(n, _)| n == ns);
                if same_ns && sel.as_ref().is_some_and(|s| s.matches(&labels)) {
                    selecting.insert(hpa.as_str());
                }
            }
        }
        if selecting.len() <= 1 {
            return Ok(());
        }
        let hpas: Vec<&str> = selecting.into_iter().collect();
        let msg = format!("pods by selector {selector_text} are controlled by multiple HPAs: [{}]", hpas.join(" "));
        self.event(ctx, &sync.hpa, EventType::Warning, "AmbiguousSelector", &msg);
        sync.cond(("ScalingActive", false, "AmbiguousSelector", msg.clone()));
        Err(msg)
    }

    /// `computeReplicasForMetric`: resource metrics (of the pod, or of one container) from the
    /// resource metrics API; the custom and external metrics APIs are not served here.
    fn replicas_for_metric(
        &mut self,
        ctx: &mut Ctx<'_>,
        hpa: &HorizontalPodAutoscaler,
        ns: &str,
        selector: &LabelSelector,
        current: i32,
        spec: &MetricSpec,
    ) -> Result<Proposal, MetricError> {
        let unable = |reason: &'static str, err: &str| {
            ("ScalingActive", false, reason, format!("the HPA was unable to compute the replica count: {err}"))
        };
        let (resource, container, target, reason) =
            match (spec.type_.as_str(), &spec.resource, &spec.container_resource) {
                ("Resource", Some(r), _) => {
                    (r.name.clone(), String::new(), r.target.clone(), "FailedGetResourceMetric")
                }
                ("ContainerResource", _, Some(c)) => {
                    (c.name.clone(), c.container.clone(), c.target.clone(), "FailedGetContainerResourceMetric")
                }
                (other, _, _) => {
                    let (reason, err) = metrics::unserved(other, spec, ns);
                    self.event(ctx, hpa, EventType::Warning, reason, &err);
                    return Err((unable(reason, &err), metrics::wrap_unserved(other, &err)));
                }
            };
        let computed = self.resource_metric(ctx, ns, selector, current, &resource, &container, &target);
        let wrap = |err: &str| {
            if container.is_empty() {
                format!("failed to get {resource} resource metric value: {err}")
            } else {
                format!("failed to get {container} container metric value: {err}")
            }
        };
        match computed {
            Ok((replicas, name, current)) => {
                let status = metrics::resource_status(&spec.type_, &resource, &container, current);
                Ok((replicas, name, status))
            }
            Err(err) => {
                self.event(ctx, hpa, EventType::Warning, reason, &err);
                Err((unable(reason, &err), wrap(&err)))
            }
        }
    }

    /// `computeStatusForResourceMetricGeneric`.
    #[allow(clippy::too_many_arguments)]
    fn resource_metric(
        &mut self,
        ctx: &mut Ctx<'_>,
        ns: &str,
        selector: &LabelSelector,
        current: i32,
        resource: &str,
        container: &str,
        target: &MetricTarget,
    ) -> Result<(i32, String, MetricValueStatus), String> {
        let kind_of = if container.is_empty() { "resource" } else { "container resource" };
        let pods = pods_selected(ctx.informers, ns, selector);
        let now = ctx.now();
        if let Some(value) = &target.average_value {
            let target = crate::model::quantity::Quantity::from_k8s(value).map(|q| q.milli_value()).unwrap_or(0);
            let info = metrics::fetch(ctx, &self.user, ns, selector, resource, container)
                .map_err(|e| format!("failed to get {resource} usage: {e}"))?;
            let (replicas, usage) = self
                .calculator
                .raw_resource_replicas(current, target, resource, Sample { metrics: info, pods: &pods, now })
                .map_err(|e| format!("failed to get {resource} usage: {e}"))?;
            let status =
                MetricValueStatus { average_value: Some(metrics::milli_quantity(usage)), ..Default::default() };
            return Ok((replicas, format!("{resource} {kind_of}"), status));
        }
        let Some(utilization) = target.average_utilization else {
            return Err("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set".into());
        };
        let info = metrics::fetch(ctx, &self.user, ns, selector, resource, container)
            .map_err(|e| format!("failed to get {resource} utilization: {e}"))?;
        let u = self
            .calculator
            .resource_replicas(current, utilization, resource, container, Sample { metrics: info, pods: &pods, now })
            .map_err(|e| format!("failed to get {resource} utilization: {e}"))?;
        let status = MetricValueStatus {
            average_utilization: Some(u.utilization),
            average_value: Some(metrics::milli_quantity(u.raw)),
            ..Default::default()
        };
        Ok((u.replicas, format!("{resource} {kind_of} utilization (percentage of request)"), status))
    }
}

/// The pods of `ns` that `selector` picks, from the informer (upstream's pod lister).
fn pods_selected<'a>(informers: &'a Informers, ns: &'a str, selector: &LabelSelector) -> Vec<&'a crate::model::Pod> {
    informers
        .list_namespace(Kind::Pod, ns)
        .filter_map(|o| match &**o {
            Object::Pod(p) if selector.matches(o.labels()) => Some(&**p),
            _ => None,
        })
        .collect()
}

/// The scaling rules of `behavior` with upstream's defaults for what is unset (the API server
/// sets them on create; an HPA written before that has them unset).
fn rules(b: &k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerBehavior) -> (HPAScalingRules, HPAScalingRules) {
    let policy = |type_: &str, value: i32| HPAScalingPolicy { type_: type_.into(), value, period_seconds: 15 };
    let mut up = b.scale_up.clone().unwrap_or_default();
    up.stabilization_window_seconds.get_or_insert(0);
    up.select_policy.get_or_insert_with(|| "Max".into());
    up.policies.get_or_insert_with(|| vec![policy("Pods", 4), policy("Percent", 100)]);
    let mut down = b.scale_down.clone().unwrap_or_default();
    // `maybeInitScaleDownStabilizationWindow`.
    down.stabilization_window_seconds.get_or_insert(DOWNSCALE_STABILIZATION_SECONDS as i32);
    down.select_policy.get_or_insert_with(|| "Max".into());
    down.policies.get_or_insert_with(|| vec![policy("Percent", 100)]);
    (up, down)
}
