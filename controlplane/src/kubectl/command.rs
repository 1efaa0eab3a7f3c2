//! The kubectl command line: words → a command → API server requests → kubectl's text.

use crate::sim::Cluster;

/// Run one kubectl command line (with or without the leading `kubectl`). `stdin` is what
/// `-f -` reads. Returns what kubectl prints on success, or its error text.
pub fn run_line(cluster: &mut Cluster, line: &str, stdin: Option<&str>) -> Result<String, String> {
    let words = shell_words::split(line).map_err(|e| format!("error: {e}"))?;
    let args: Vec<&str> = words.iter().map(String::as_str).skip_while(|w| *w == "kubectl").collect();
    let Some((&verb, rest)) = args.split_first() else {
        return Err("error: no command given (try `kubectl get pods`)".into());
    };
    match verb {
        "apply" => super::apply_cmd::run(cluster, rest, stdin),
        "get" => super::get::run(cluster, rest),
        "describe" => super::describe::run(cluster, rest),
        other => Err(format!("error: \"kubectl {other}\" is not available in kubesim yet")),
    }
}
