//! `kubectl top pod` and `kubectl top node`: resource usage from the metrics API
//! (`metrics.k8s.io`, see `apiserver::metrics`), with each node's allocatable for the percentages.

use chrono::{DateTime, Utc};

use super::flags::{flag, parse, FlagSpec};
use super::printers::table::render_tabbed;
use super::resources::{label_selector, Scope};
use crate::apiserver::{ApiError, Reason};
use crate::client::{Client, Waiter};
use crate::model::field_selector::FieldSelector;
use crate::model::quantity::Quantity;
use crate::model::{Kind, Object};

pub const FLAGS: &[FlagSpec] = &[
    flag("namespace", Some('n'), true),
    flag("all-namespaces", Some('A'), false),
    flag("containers", None, false),
    flag("selector", Some('l'), true),
    flag("no-headers", None, false),
];

fn cpu(m: i64) -> String {
    format!("{m}m")
}

fn mem(bytes: i64) -> String {
    format!("{}Mi", bytes / (1024 * 1024))
}

pub fn run(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let Some((what, rest)) = args.split_first() else {
        return Err("error: a subcommand is required: kubectl top pod | kubectl top node".into());
    };
    match *what {
        "pod" | "pods" | "po" => pods(client, waiter.now(), rest),
        "node" | "nodes" | "no" => nodes(client, rest),
        other => Err(format!("error: unknown command \"{other}\" for \"kubectl top\"")),
    }
}

fn pods(client: &mut dyn Client, now: DateTime<Utc>, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let scope = Scope::from_flags(&flags);
    let labels = label_selector(&flags)?;
    let ns = scope.list_namespace(Kind::Pod).map(str::to_string);
    let message = |e: ApiError| e.kubectl_message();
    let mut list = match flags.positional.first() {
        Some(name) => {
            // As kubectl: the pod first (its age explains missing metrics), then its metrics.
            let pod = client.get(Kind::Pod, &scope.namespace, name).map_err(message)?.body;
            match client.get_pod_metrics(&scope.namespace, name) {
                Ok(m) => vec![m.body],
                Err(e) if e.reason == Reason::NotFound => {
                    return Err(format!(
                        "error: Metrics not available for pod {}/{name}, age: {}",
                        pod.namespace(),
                        age(&pod, now)
                    ));
                }
                Err(e) => return Err(message(e)),
            }
        }
        None => client.pod_metrics(ns.as_deref(), &labels).map_err(message)?.body,
    };
    list.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let (all, containers) = (scope.all_namespaces, flags.is_set("containers"));
    let mut text = String::new();
    if !flags.is_set("no-headers") {
        text.push_str(match (all, containers) {
            (true, true) => "NAMESPACE\tPOD\tNAME\tCPU(cores)\tMEMORY(bytes)\t\n",
            (true, false) => "NAMESPACE\tNAME\tCPU(cores)\tMEMORY(bytes)\t\n",
            (false, true) => "POD\tNAME\tCPU(cores)\tMEMORY(bytes)\t\n",
            (false, false) => "NAME\tCPU(cores)\tMEMORY(bytes)\t\n",
        });
    }
    for pod in &list {
        let usage = &pod.containers;
        let prefix = if all { format!("{}\t", pod.namespace) } else { String::new() };
        if containers {
            for u in usage {
                text.push_str(&format!(
                    "{prefix}{}\t{}\t{}\t{}\t\n",
                    pod.name,
                    u.container,
                    cpu(u.millicpu),
                    mem(u.memory)
                ));
            }
        } else {
            let (c, m) =
                usage.iter().fold((0i64, 0i64), |(c, m), u| (c.saturating_add(u.millicpu), m.saturating_add(u.memory)));
            text.push_str(&format!("{prefix}{}\t{}\t{}\t\n", pod.name, cpu(c), mem(m)));
        }
    }
    if list.is_empty() {
        return Ok(match ns {
            Some(ns) => format!("No resources found in {ns} namespace.\n"),
            None => "No resources found\n".into(),
        });
    }
    Ok(render_tabbed(&text))
}

fn age(pod: &Object, now: DateTime<Utc>) -> String {
    let created = pod.metadata().creation_timestamp.as_ref().map(|t| t.0.as_second()).unwrap_or(now.timestamp());
    let secs = (now.timestamp() - created).max(0);
    super::printers::age::human_duration(chrono::Duration::seconds(secs))
}

fn nodes(client: &mut dyn Client, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let labels = label_selector(&flags)?;
    let message = |e: ApiError| e.kubectl_message();
    let mut nodes = client.list(Kind::Node, None, &labels, &FieldSelector::everything()).map_err(message)?.body.items;
    if let Some(name) = flags.positional.first() {
        nodes.retain(|n| n.name() == name);
        if nodes.is_empty() {
            return Err(format!("Error from server (NotFound): nodes \"{name}\" not found"));
        }
    }
    let metrics = client.node_metrics(&labels).map_err(message)?.body;
    let mut text = String::new();
    if !flags.is_set("no-headers") {
        text.push_str("NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)\t\n");
    }
    for node in &nodes {
        let name = node.name();
        let Some(usage) = metrics.iter().find(|m| m.name == name) else {
            text.push_str(&format!("{name}\t<unknown>\t<unknown>\t<unknown>\t<unknown>\t\n"));
            continue;
        };
        let (c, m) = (usage.millicpu, usage.memory);
        let (alloc_c, alloc_m) = allocatable(node);
        let pct = |used: i64, of: i64| {
            if of > 0 {
                format!("{}%", used.saturating_mul(100) / of)
            } else {
                "<unknown>".into()
            }
        };
        text.push_str(&format!("{name}\t{}\t{}\t{}\t{}\t\n", cpu(c), pct(c, alloc_c), mem(m), pct(m, alloc_m)));
    }
    Ok(render_tabbed(&text))
}

fn allocatable(node: &Object) -> (i64, i64) {
    let Object::Node(n) = node else { return (0, 0) };
    let a = n.status.as_ref().and_then(|s| s.allocatable.as_ref());
    let q = |k: &str| a.and_then(|a| a.get(k)).and_then(|q| Quantity::parse(&q.0).ok());
    (q("cpu").map(|q| q.milli_value()).unwrap_or(0), q("memory").map(|q| q.value()).unwrap_or(0))
}
