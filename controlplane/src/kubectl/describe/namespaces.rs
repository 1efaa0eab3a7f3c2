//! Namespaces, with their ResourceQuotas and LimitRanges; ResourceQuotas and LimitRanges on
//! their own.

use std::collections::BTreeSet;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{LimitRange, LimitRangeSpec, Namespace, ResourceQuota};

use super::common::*;
use super::writer::{out, Writer};
use super::Ctx;
use crate::model::quantity::Quantity;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};

pub(super) fn describe_namespace(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let ns = Namespace::from_object(obj).ok_or("not a namespace")?;
    let meta = &ns.metadata;
    let name = s(&meta.name);
    let quotas = ctx.list(Kind::ResourceQuota, Some(name), &LabelSelector::everything());
    let limits = ctx.list(Kind::LimitRange, Some(name), &LabelSelector::everything());
    let status = ns.status.clone().unwrap_or_default();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{name}\n");
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "Status:\t{}\n", s(&status.phase));
    let conditions = list(&status.conditions);
    if !conditions.is_empty() {
        w.write(0, "Conditions:\n");
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n");
        w.write(1, "----\t------\t------------------\t------\t-------\n");
        for c in conditions {
            out!(
                w,
                1,
                "{}\t{}\t{}\t{}\t{}\n",
                c.type_,
                c.status,
                rfc1123z(c.last_transition_time.as_ref()),
                s(&c.reason),
                s(&c.message)
            );
        }
    }
    w.write(0, "\n");
    resource_quotas(&mut w, &quotas);
    w.write(0, "\n");
    limit_ranges(&mut w, &limits);
    Ok(w.finish())
}

/// `DescribeResourceQuotas`: every quota of the namespace, sorted by name.
fn resource_quotas(w: &mut Writer, quotas: &[Arc<Object>]) {
    let mut quotas: Vec<&ResourceQuota> = quotas.iter().filter_map(|o| ResourceQuota::from_object(o)).collect();
    if quotas.is_empty() {
        w.write(0, "No resource quota.\n");
        return;
    }
    quotas.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    w.write(0, "Resource Quotas\n");
    for q in quotas {
        out!(w, 1, "Name:\t{}\n", s(&q.metadata.name));
        let scopes = scopes(q);
        if !scopes.is_empty() {
            out!(w, 1, "Scopes:\t{}\n", scopes.join(", "));
            for scope in &scopes {
                if let Some(help) = scope_help(scope) {
                    out!(w, 1, "* {help}\n");
                }
            }
        }
        w.write(1, "Resource\tUsed\tHard\n");
        w.write(1, "--------\t---\t---\n");
        let status = q.status.clone().unwrap_or_default();
        for (resource, hard) in quantities(&status.hard) {
            let used = quantities(&status.used).get(resource).map_or("0", qty);
            out!(w, 1, "{resource}\t{used}\t{}\n", qty(hard));
        }
    }
}

fn scopes(q: &ResourceQuota) -> Vec<String> {
    let mut scopes: Vec<String> = q.spec.as_ref().map(|s| list(&s.scopes).to_vec()).unwrap_or_default();
    scopes.sort();
    scopes
}

/// `helpTextForResourceQuotaScope`.
fn scope_help(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "Terminating" => "Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system.",
        "NotTerminating" => "Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.",
        "BestEffort" => "Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.",
        "NotBestEffort" => "Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.",
        _ => return None,
    })
}

/// `DescribeLimitRanges`: every limit of every range, one row per resource.
fn limit_ranges(w: &mut Writer, ranges: &[Arc<Object>]) {
    let ranges: Vec<&LimitRange> = ranges.iter().filter_map(|o| LimitRange::from_object(o)).collect();
    if ranges.is_empty() {
        w.write(0, "No LimitRange resource.\n");
        return;
    }
    w.write(0, "Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n");
    w.write(0, " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n");
    for lr in ranges {
        limit_range_spec(w, lr.spec.as_ref(), " ");
    }
}

/// `describeLimitRangeSpec`: `-` where a limit does not set a value. (kubectl lists a limit's
/// resources in Go map order; here they are sorted.)
fn limit_range_spec(w: &mut Writer, spec: Option<&LimitRangeSpec>, prefix: &str) {
    let Some(spec) = spec else { return };
    for item in &spec.limits {
        let lists = [&item.min, &item.max, &item.default_request, &item.default, &item.max_limit_request_ratio];
        let names: BTreeSet<&String> = lists.iter().flat_map(|l| quantities(l).keys()).collect();
        for name in names {
            let cell = |l: &Option<_>| quantities(l).get(name).map_or("-", qty).to_string();
            out!(
                w,
                0,
                "{prefix}{}\t{name}\t{}\t{}\t{}\t{}\t{}\n",
                item.type_,
                cell(&item.min),
                cell(&item.max),
                cell(&item.default_request),
                cell(&item.default),
                cell(&item.max_limit_request_ratio)
            );
        }
    }
}

pub(super) fn describe_limit_range(_ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let lr = LimitRange::from_object(obj).ok_or("not a limit range")?;
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&lr.metadata.name));
    out!(w, 0, "Namespace:\t{}\n", s(&lr.metadata.namespace));
    w.write(0, "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n");
    w.write(0, "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n");
    limit_range_spec(&mut w, lr.spec.as_ref(), "");
    Ok(w.finish())
}

pub(super) fn describe_quota(_ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let q = ResourceQuota::from_object(obj).ok_or("not a resource quota")?;
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&q.metadata.name));
    out!(w, 0, "Namespace:\t{}\n", s(&q.metadata.namespace));
    let scopes = scopes(q);
    if !scopes.is_empty() {
        out!(w, 0, "Scopes:\t{}\n", scopes.join(", "));
        for scope in &scopes {
            if let Some(help) = scope_help(scope) {
                out!(w, 0, " * {help}\n");
            }
        }
    }
    w.write(0, "Resource\tUsed\tHard\n");
    w.write(0, "--------\t----\t----\n");
    let status = q.status.clone().unwrap_or_default();
    for (resource, hard) in quantities(&status.hard) {
        // A used amount in another format than the hard limit prints in the limit's format.
        let used = match (quantities(&status.used).get(resource), Quantity::from_k8s(hard)) {
            (Some(u), Ok(h)) => match Quantity::from_k8s(u) {
                Ok(parsed) if parsed.format() != h.format() => {
                    Quantity::from_value(parsed.value(), h.format()).to_string()
                }
                _ => qty(u).to_string(),
            },
            (None, Ok(h)) => Quantity::from_value(0, h.format()).to_string(),
            (Some(u), Err(_)) => qty(u).to_string(),
            (None, Err(_)) => "0".to_string(),
        };
        out!(w, 0, "{resource}\t{used}\t{}\n", qty(hard));
    }
    Ok(w.finish())
}
