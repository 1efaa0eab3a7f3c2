//! Following one pod through the cluster.

use rhai::plugin::*;

#[export_module]
pub mod trace_api {
    use crate::api::current;
    use crate::convert::runtime_error;

    /// One pod's path through the components, with simulated timestamps: who created it,
    /// each write the API server stored in etcd (with its revision), the scheduler's binding
    /// and events, and the kubelet's CRI calls with what containerd and the shims did for
    /// them. The pod is in the `default` namespace, or written `namespace/name`.
    ///
    /// ```rhai
    /// kubectl("run web --image=nginx");
    /// advance("5s");
    /// print(trace("web"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn trace(ctx: NativeCallContext, pod: &str) -> Result<String, Box<EvalAltResult>> {
        let (ns, name) = pod.split_once('/').unwrap_or(("default", pod));
        trace_in(ctx, name, ns)
    }

    /// The same for a pod in another namespace.
    ///
    /// ```rhai
    /// print(trace("etcd-control-plane", "kube-system"));
    /// ```
    #[rhai_fn(name = "trace", return_raw)]
    pub fn trace_in(ctx: NativeCallContext, pod: &str, namespace: &str) -> Result<String, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        controlplane::node::trace::trace(&mut c, namespace, pod).map_err(runtime_error)
    }
}
