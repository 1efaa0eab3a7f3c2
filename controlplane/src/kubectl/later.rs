//! Commands kubesim cannot run: they say so, and why.

/// kubectl's commands kubesim has not built: they say so rather than being unknown.
pub const NOT_YET: &[&str] =
    &["alpha", "api-versions", "auth", "certificate", "completion", "debug", "diff", "kustomize", "plugin", "proxy"];

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
        "diff" => {
            "a server-side diff is not built yet; `kubectl apply --dry-run=server -f FILE -o yaml` shows what \
             apply would store"
        }
        "proxy" => "the HTTP API is not served yet",
        "kustomize" => "kustomize is not built in",
        _ => "that part of the cluster is not built yet",
    };
    Err(format!("error: \"kubectl {verb}\" is not available in kubesim: {why}"))
}
