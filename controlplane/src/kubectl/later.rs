//! Commands kubesim cannot run: they say so, and why.

/// kubectl's commands kubesim has not built: they say so rather than being unknown.
pub const NOT_YET: &[&str] = &["alpha", "auth", "certificate", "completion", "debug", "kustomize", "plugin", "proxy"];

/// The verbs whose `-k DIR`/`--kustomize DIR` builds the objects with kustomize.
const KUSTOMIZE_VERBS: &[&str] = &["apply", "create", "delete", "diff", "get", "replace"];

/// kustomize asked of a verb that takes `-k` (`-k`, `-kDIR`, `--kustomize[=DIR]` before `--`)
/// is refused as `kubectl kustomize` is, rather than as an unknown flag.
pub fn kustomize_flag(verb: &str, args: &[&str]) -> Option<String> {
    let asked = args
        .iter()
        .take_while(|a| **a != "--")
        .any(|a| a.starts_with("-k") || *a == "--kustomize" || a.starts_with("--kustomize="));
    (KUSTOMIZE_VERBS.contains(&verb) && asked)
        .then(|| format!("error: \"kubectl {verb} -k\" is not available in kubesim: {KUSTOMIZE_NOT_BUILT}"))
}

const KUSTOMIZE_NOT_BUILT: &str = "kustomize is not built in; apply the files its kustomization.yaml lists with -f";

pub fn not_yet(verb: &str) -> Result<String, String> {
    let why = match verb {
        "edit" => {
            "it opens an editor, and a simulated cluster has none; change the object with \
             `kubectl patch TYPE NAME -p '{...}'`, `kubectl apply -f FILE`, `kubectl replace -f FILE` or \
             `kubectl set image|env|resources|selector|serviceaccount ...`"
        }
        "debug" => "ephemeral containers and debugging copies of pods are not built yet",
        "auth" => "users and RBAC are not enforced yet: kubesim authorizes every request",
        "certificate" => "CertificateSigningRequests are not built yet",
        "proxy" => "the HTTP API is not served yet",
        "kustomize" => KUSTOMIZE_NOT_BUILT,
        _ => "that part of the cluster is not built yet",
    };
    Err(format!("error: \"kubectl {verb}\" is not available in kubesim: {why}"))
}
