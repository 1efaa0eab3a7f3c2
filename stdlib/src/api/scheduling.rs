//! The scheduler, explained.

use rhai::plugin::*;

#[export_module]
pub mod scheduling_api {
    use controlplane::client::InProcess;

    use crate::api::current;
    use crate::convert::runtime_error;

    fn split(pod: &str) -> (&str, &str) {
        pod.split_once('/').unwrap_or(("default", pod))
    }

    /// Why the scheduler put a pod where it did (or nowhere): each node's Filter verdict (the
    /// first plugin that rejected it, in upstream's words) and, for the nodes that passed, each
    /// Score plugin's normalized score times its weight, and the total. The decision is the one
    /// recorded at the pod's latest scheduling attempt (the last 1000 are kept); for an older
    /// one it is computed now against the current cluster, leaving the pod's own placement out,
    /// and says so. `pod` is `name` (namespace default) or `namespace/name`.
    ///
    /// ```rhai
    /// apply(#{apiVersion: "v1", kind: "Pod", metadata: #{name: "web"}, spec: #{containers: [#{name: "c", image: "nginx"}]}});
    /// print(explain_schedule("web"));
    /// ```
    #[rhai_fn(name = "explain_schedule", return_raw)]
    pub fn explain_schedule(ctx: NativeCallContext, pod: &str) -> Result<String, Box<EvalAltResult>> {
        let (namespace, name) = split(pod);
        explain_schedule_in(ctx, name, namespace)
    }

    /// `explain_schedule` for a pod in another namespace.
    ///
    /// ```rhai
    /// print(explain_schedule("coredns-0", "kube-system"));
    /// ```
    #[rhai_fn(name = "explain_schedule", return_raw)]
    pub fn explain_schedule_in(
        ctx: NativeCallContext,
        name: &str,
        namespace: &str,
    ) -> Result<String, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        // Asked through the API server's `pods/scheduling`, once the cluster has caught up.
        let explained = InProcess::as_kubectl(&mut c, |client, waiter| {
            waiter.settle().map_err(|e| e.to_string())?;
            match client.scheduling(namespace, name, true) {
                Ok(answer) => answer.body.ok_or_else(|| "this cluster has no scheduler".to_string()),
                Err(e) => Err(e.kubectl_message()),
            }
        });
        explained.map(|s| s.trim_end().to_string()).map_err(runtime_error)
    }
}
