//! `kubectl set resources`, `set selector` and `set serviceaccount`: the smaller set commands.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

use super::command::Input;
use super::flags::parse;
use super::set_image::{pod_spec, select_containers, update_objects, Unchanged, FLAGS};
use crate::client::{Client, Waiter};
use crate::model::quantity::Quantity;
use crate::model::selector::{LabelSelector, Operator};
use crate::model::Object;

/// `set resources KIND/NAME [-c CONTAINERS] [--limits=cpu=200m,memory=512Mi] [--requests=...]`.
pub fn resources(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let limits = resource_list(flags.get("limits").unwrap_or(""))?;
    let requests = resource_list(flags.get("requests").unwrap_or(""))?;
    if limits.is_empty() && requests.is_empty() {
        return Err(
            "error: you must specify an update to requests or limits (in the form of --requests/--limits)".into()
        );
    }
    let pattern = flags.get("containers").unwrap_or("*").to_string();
    let mut warnings = String::new();
    let result = update_objects(
        client,
        waiter,
        &flags,
        input,
        &flags.positional,
        "resource requirements updated",
        Unchanged::Info,
        |obj| {
            let shown = obj.type_name();
            let spec = pod_spec(obj).ok_or_else(|| format!("error: {shown} has no pod template"))?;
            let containers = select_containers(spec, &pattern);
            if containers.is_empty() {
                warnings.push_str(&format!("warning: Unable to find container named {pattern}\n"));
            }
            for c in containers {
                let r = c.resources.get_or_insert_with(ResourceRequirements::default);
                for (list, given) in [(&mut r.limits, &limits), (&mut r.requests, &requests)] {
                    if !given.is_empty() {
                        list.get_or_insert_with(BTreeMap::new).extend(given.clone());
                    }
                }
            }
            Ok(())
        },
    );
    match result {
        Ok(text) => Ok(format!("{warnings}{text}")),
        Err(e) => Err(format!("{warnings}{e}")),
    }
}

/// `cpu=200m,memory=512Mi` as a resource list (kubectl's populateResourceListV1).
fn resource_list(spec: &str) -> Result<BTreeMap<String, K8sQuantity>, String> {
    let mut out = BTreeMap::new();
    if spec.is_empty() {
        return Ok(out);
    }
    for statement in spec.split(',') {
        let parts: Vec<&str> = statement.split('=').collect();
        let [name, value] = parts[..] else {
            return Err(format!("error: Invalid argument syntax {statement}, expected <resource>=<value>"));
        };
        let q = Quantity::parse(value).map_err(|e| format!("error: {e}"))?;
        out.insert(name.to_string(), q.to_k8s());
    }
    Ok(out)
}

/// `set selector (TYPE NAME | TYPE/NAME) EXPRESSIONS [--resource-version=V]`: a Service's
/// selector replaced by the equality terms given.
pub fn selector(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let Some((expression, resources)) = flags.positional.split_last() else {
        return Err("error: one or more resources must be specified as <resource> <name> or <resource>/<name>".into());
    };
    let parsed = LabelSelector::parse(expression).map_err(|e| format!("error: {e}"))?;
    let (mut labels, mut expressions) = (BTreeMap::new(), Vec::new());
    for r in parsed.requirements() {
        match (r.operator(), r.values()) {
            (Operator::Equals | Operator::DoubleEquals, [value]) => {
                labels.insert(r.key().to_string(), value.clone());
            }
            (op, values) => expressions.push(format!("{{{} {} [{}]}}", r.key(), go_operator(op), values.join(" "))),
        }
    }
    let version = flags.get("resource-version").map(str::to_string);
    update_objects(client, waiter, &flags, input, resources, "selector updated", Unchanged::Print, |obj| {
        let Object::Service(svc) = obj else {
            return Err("setting a selector is only supported for Services".into());
        };
        if !expressions.is_empty() {
            return Err(format!("match expression [{}] not supported on this object", expressions.join(" ")));
        }
        svc.spec.get_or_insert_with(Default::default).selector = Some(labels.clone());
        if let Some(v) = &version {
            // The write is then conditional on that version, as kubectl sends it.
            svc.metadata.resource_version = Some(v.clone());
        }
        Ok(())
    })
}

/// `metav1.LabelSelectorOperator` spelling, as kubectl's `%v` of a match expression shows it.
fn go_operator(op: Operator) -> &'static str {
    match op {
        Operator::NotIn => "NotIn",
        Operator::Exists => "Exists",
        Operator::DoesNotExist => "DoesNotExist",
        _ => "In",
    }
}

/// `set serviceaccount (TYPE NAME | TYPE/NAME) SERVICE_ACCOUNT`.
pub fn serviceaccount(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let Some((account, resources)) = flags.positional.split_last() else {
        return Err("error: serviceaccount is required".into());
    };
    update_objects(client, waiter, &flags, input, resources, "serviceaccount updated", Unchanged::Print, |obj| {
        let shown = obj.type_name();
        let spec = pod_spec(obj).ok_or_else(|| format!("error: {shown} has no pod template"))?;
        spec.service_account_name = Some(account.clone());
        Ok(())
    })
}
