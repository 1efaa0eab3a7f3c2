//! Commands whose machinery is not in the cluster yet: they say so, and what they wait for.

pub fn not_yet(verb: &str) -> Result<String, String> {
    let needs = match verb {
        "logs" | "exec" | "attach" | "cp" | "port-forward" => "containers that run, which come with the kubelet",
        "top" => "resource metrics, which come with the kubelet",
        _ => "parts of the cluster that are not built yet",
    };
    Err(format!("error: \"kubectl {verb}\" is not available in kubesim yet: it needs {needs}"))
}
