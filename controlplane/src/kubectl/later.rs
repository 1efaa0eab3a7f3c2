//! Commands kubesim cannot run: they say so, and why.

pub fn not_yet(verb: &str) -> Result<String, String> {
    let why = match verb {
        "edit" => {
            "it opens an editor, and a simulated cluster has none; change the object with \
             `kubectl patch TYPE NAME -p '{...}'`, `kubectl apply -f FILE`, `kubectl replace -f FILE` or \
             `kubectl set image|env|resources|selector|serviceaccount ...`"
        }
        _ => "that part of the cluster is not built yet",
    };
    Err(format!("error: \"kubectl {verb}\" is not available in kubesim: {why}"))
}
