//! HorizontalPodAutoscalers, PodDisruptionBudgets and PriorityClasses.

use k8s_openapi::api::autoscaling::v2::{HPAScalingRules, HorizontalPodAutoscaler, MetricStatus, MetricValueStatus};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

use super::common::*;
use super::writer::{out, Writer};
use super::Ctx;
use crate::kubectl::printers::format_label_selector;
use crate::model::{Object, Typed};

/// `Quantity.String()` of a possibly absent quantity.
fn q(v: Option<&K8sQuantity>) -> String {
    v.map_or("<nil>".to_string(), |q| qty(q).to_string())
}

pub(super) fn describe_hpa(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let hpa = HorizontalPodAutoscaler::from_object(obj).ok_or("not a horizontal pod autoscaler")?;
    let events = ctx.events_for(obj);
    let meta = &hpa.metadata;
    let spec = hpa.spec.clone().unwrap_or_default();
    let status = hpa.status.clone().unwrap_or_default();
    let current = list(&status.current_metrics);
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "CreationTimestamp:\t{}\n", rfc1123z(meta.creation_timestamp.as_ref()));
    let target = &spec.scale_target_ref;
    out!(w, 0, "Reference:\t{}/{}\n", target.kind, target.name);
    w.write(0, "Metrics:\t( current / target )\n");
    for (i, metric) in list(&spec.metrics).iter().enumerate() {
        let status: Option<&MetricStatus> = current.get(i);
        let value_of = |f: fn(&MetricStatus) -> Option<&MetricValueStatus>| status.and_then(f);
        match metric.type_.as_str() {
            "External" => {
                let ext = metric.external.clone().unwrap_or_default();
                let current = value_of(|m| m.external.as_ref().map(|e| &e.current));
                if ext.target.average_value.is_some() {
                    let cur =
                        current.and_then(|c| c.average_value.as_ref()).map_or("<unknown>".to_string(), |v| q(Some(v)));
                    out!(
                        w,
                        1,
                        "{} (target average value):\t{cur} / {}\n",
                        go_quote(&ext.metric.name),
                        q(ext.target.average_value.as_ref())
                    );
                } else {
                    let cur = current.map_or("<unknown>".to_string(), |c| q(c.value.as_ref()));
                    out!(
                        w,
                        1,
                        "{} (target value):\t{cur} / {}\n",
                        go_quote(&ext.metric.name),
                        q(ext.target.value.as_ref())
                    );
                }
            }
            "Pods" => {
                let pods = metric.pods.clone().unwrap_or_default();
                let current = value_of(|m| m.pods.as_ref().map(|p| &p.current));
                let cur = current.map_or("<unknown>".to_string(), |c| q(c.average_value.as_ref()));
                out!(
                    w,
                    1,
                    "{} on pods:\t{cur} / {}\n",
                    go_quote(&pods.metric.name),
                    q(pods.target.average_value.as_ref())
                );
            }
            "Object" => {
                let o = metric.object.clone().unwrap_or_default();
                out!(w, 1, "\"{}\" on {}/{} ", o.metric.name, o.described_object.kind, o.described_object.name);
                let current = value_of(|m| m.object.as_ref().map(|o| &o.current));
                if o.target.type_ == "AverageValue" {
                    let cur = current.map_or("<unknown>".to_string(), |c| q(c.average_value.as_ref()));
                    out!(w, 0, "(target average value):\t{cur} / {}\n", q(o.target.average_value.as_ref()));
                } else {
                    let cur = current.map_or("<unknown>".to_string(), |c| q(c.value.as_ref()));
                    out!(w, 0, "(target value):\t{cur} / {}\n", q(o.target.value.as_ref()));
                }
            }
            "Resource" => {
                let r = metric.resource.clone().unwrap_or_default();
                out!(w, 1, "resource {} on pods", r.name);
                let current = value_of(|m| m.resource.as_ref().map(|r| &r.current));
                utilization(&mut w, &r.target, current);
            }
            "ContainerResource" => {
                let r = metric.container_resource.clone().unwrap_or_default();
                out!(w, 1, "resource {} of container \"{}\" on pods", r.name, r.container);
                let current = value_of(|m| m.container_resource.as_ref().map(|r| &r.current));
                utilization(&mut w, &r.target, current);
            }
            other => out!(w, 1, "<unknown metric type {}>\n", go_quote(other)),
        }
    }
    let min = spec.min_replicas.map_or("<unset>".to_string(), |m| m.to_string());
    out!(w, 0, "Min replicas:\t{min}\n");
    out!(w, 0, "Max replicas:\t{}\n", spec.max_replicas);
    if let Some(behavior) = &spec.behavior {
        w.write(0, "Behavior:\n");
        direction_behavior(&mut w, "Scale Up", behavior.scale_up.as_ref());
        direction_behavior(&mut w, "Scale Down", behavior.scale_down.as_ref());
    }
    out!(w, 0, "{} pods:\t", target.kind);
    out!(w, 0, "{} current / {} desired\n", status.current_replicas.unwrap_or(0), status.desired_replicas);
    let conditions = list(&status.conditions);
    if !conditions.is_empty() {
        w.write(0, "Conditions:\n");
        w.write(1, "Type\tStatus\tReason\tMessage\n");
        w.write(1, "----\t------\t------\t-------\n");
        for c in conditions {
            out!(w, 1, "{}\t{}\t{}\t{}\n", c.type_, c.status, s(&c.reason), s(&c.message));
        }
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

/// The rest of a resource metric's line: an average value, or a utilization of the request.
fn utilization(
    w: &mut Writer,
    target: &k8s_openapi::api::autoscaling::v2::MetricTarget,
    current: Option<&MetricValueStatus>,
) {
    if target.average_value.is_some() {
        let cur = current.map_or("<unknown>".to_string(), |c| q(c.average_value.as_ref()));
        out!(w, 0, ":\t{cur} / {}\n", q(target.average_value.as_ref()));
    } else {
        let cur = match current {
            Some(c) if c.average_utilization.is_some() => {
                format!("{}% ({})", c.average_utilization.unwrap_or(0), q(c.average_value.as_ref()))
            }
            _ => "<unknown>".to_string(),
        };
        let target = target.average_utilization.map_or("<auto>".to_string(), |u| format!("{u}%"));
        out!(w, 1, "(as a percentage of request):\t{cur} / {target}\n");
    }
}

fn direction_behavior(w: &mut Writer, direction: &str, rules: Option<&HPAScalingRules>) {
    let Some(rules) = rules else { return };
    out!(w, 1, "{direction}:\n");
    if let Some(window) = rules.stabilization_window_seconds {
        out!(w, 2, "Stabilization Window: {window} seconds\n");
    }
    let policies = list(&rules.policies);
    if !policies.is_empty() {
        out!(w, 2, "Select Policy: {}\n", rules.select_policy.as_deref().unwrap_or("Max"));
        w.write(2, "Policies:\n");
        for p in policies {
            out!(w, 3, "- Type: {}\tValue: {}\tPeriod: {} seconds\n", p.type_, p.value, p.period_seconds);
        }
    }
}

pub(super) fn describe_pdb(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let pdb = PodDisruptionBudget::from_object(obj).ok_or("not a pod disruption budget")?;
    let events = ctx.events_for(obj);
    let meta = &pdb.metadata;
    let spec = pdb.spec.clone().unwrap_or_default();
    let status = pdb.status.clone().unwrap_or_default();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    if let Some(min) = &spec.min_available {
        out!(w, 0, "Min available:\t{}\n", int_or_string(min));
    } else if let Some(max) = &spec.max_unavailable {
        out!(w, 0, "Max unavailable:\t{}\n", int_or_string(max));
    }
    match &spec.selector {
        Some(sel) => out!(w, 0, "Selector:\t{}\n", format_label_selector(Some(sel))),
        None => w.write(0, "Selector:\t<unset>\n"),
    }
    w.write(0, "Status:\n");
    out!(w, 2, "Allowed disruptions:\t{}\n", status.disruptions_allowed);
    out!(w, 2, "Current:\t{}\n", status.current_healthy);
    out!(w, 2, "Desired:\t{}\n", status.desired_healthy);
    out!(w, 2, "Total:\t{}\n", status.expected_pods);
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

pub(super) fn describe_priority_class(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let pc = PriorityClass::from_object(obj).ok_or("not a priority class")?;
    let events = ctx.events_for(obj);
    let meta = &pc.metadata;
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Value:\t{}\n", pc.value);
    out!(w, 0, "GlobalDefault:\t{}\n", go_bool(pc.global_default.unwrap_or(false)));
    out!(w, 0, "PreemptionPolicy:\t{}\n", s(&pc.preemption_policy));
    out!(w, 0, "Description:\t{}\n", s(&pc.description));
    out!(w, 0, "Annotations:\t{}\n", format_labels(strings(&meta.annotations)));
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}
