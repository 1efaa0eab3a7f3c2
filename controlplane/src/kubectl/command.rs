//! The kubectl command line: words → a command → API server requests → kubectl's text.

use crate::sim::Cluster;

/// Every verb kubesim's kubectl knows, for help and completion.
pub const VERBS: &[&str] = &[
    "annotate",
    "api-resources",
    "apply",
    "autoscale",
    "cluster-info",
    "cordon",
    "create",
    "delete",
    "describe",
    "drain",
    "exec",
    "explain",
    "expose",
    "get",
    "label",
    "logs",
    "rollout",
    "run",
    "scale",
    "set",
    "taint",
    "top",
    "uncordon",
    "version",
    "wait",
];

/// Run one kubectl command line (with or without the leading `kubectl`). `stdin` is what
/// `-f -` reads. Returns what kubectl prints on success, or its error text.
pub fn run_line(cluster: &mut Cluster, line: &str, stdin: Option<&str>) -> Result<String, String> {
    let words = shell_words::split(line).map_err(|e| format!("error: {e}"))?;
    let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
    if args.first() == Some(&"kubectl") {
        args.remove(0);
    }
    let Some((&verb, rest)) = args.split_first() else {
        return Err("error: no command given (try `kubectl get pods`)".into());
    };
    match verb {
        "apply" => super::apply_cmd::run(cluster, rest, stdin),
        "get" => super::get::run(cluster, rest),
        "create" => super::create::run(cluster, rest, stdin),
        "run" => super::run_cmd::run(cluster, rest),
        "expose" => super::expose::run(cluster, rest),
        "delete" => super::delete::run(cluster, rest, stdin),
        "scale" => super::scale::scale(cluster, rest),
        "autoscale" => super::scale::autoscale(cluster, rest),
        "set" => super::set_image::run(cluster, rest),
        "label" => super::label::run(cluster, rest, super::label::Which::Labels),
        "annotate" => super::label::run(cluster, rest, super::label::Which::Annotations),
        "taint" => super::taint::run(cluster, rest),
        "cordon" => super::drain::cordon(cluster, rest, true),
        "uncordon" => super::drain::cordon(cluster, rest, false),
        "drain" => super::drain::drain(cluster, rest),
        "rollout" => super::rollout::run(cluster, rest),
        "wait" => super::wait::run(cluster, rest),
        "api-resources" => super::info::api_resources(rest),
        "version" => super::info::version(rest),
        "cluster-info" => super::info::cluster_info(cluster, rest),
        "logs" | "exec" | "top" | "attach" | "cp" | "port-forward" => super::later::not_yet(verb),
        other => Err(format!("error: unknown command {other:?} for \"kubectl\"")),
    }
}
