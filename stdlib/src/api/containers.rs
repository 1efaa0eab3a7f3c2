//! Inside containers: running a command in a pod's container.

use rhai::plugin::*;

use rhai::Map;

use crate::api::current;
use crate::convert::runtime_error;
use controlplane::client::InProcess;
use controlplane::kubectl::exec::{exec as run_exec, STREAM_LIMIT};

fn run(ctx: &NativeCallContext, pod: &str, cmd: Vec<String>, opts: &Map) -> Result<Map, Box<EvalAltResult>> {
    let (ns, name) = pod.split_once('/').unwrap_or(("default", pod));
    let ns = opts.get("namespace").map(|v| v.to_string()).unwrap_or_else(|| ns.to_string());
    let container = opts.get("container").map(|v| v.to_string());
    let cluster = current(ctx);
    let mut c = cluster.0.borrow_mut();
    let limit = chrono::Duration::seconds(STREAM_LIMIT);
    let r = InProcess::as_kubectl(&mut c, |client, waiter| {
        run_exec(client, waiter, &ns, name, container.as_deref(), &cmd, limit, true)
    })
    .map_err(runtime_error)?;
    let mut m = Map::new();
    m.insert("stdout".into(), r.stdout.into());
    m.insert("stderr".into(), r.stderr.into());
    m.insert("code".into(), (r.code as i64).into());
    Ok(m)
}

#[export_module]
pub mod containers_api {
    use super::run;
    use rhai::{Array, Map};

    /// Runs a command in a pod's container, as `kubectl exec`, and returns
    /// `#{stdout, stderr, code}`. A string runs in the container's shell (`sh -c`); an array
    /// runs as its words. A command that sleeps lets the cluster's time pass. The pod is in
    /// `default` or written `namespace/name`; its first container unless told.
    ///
    /// ```rhai
    /// kubectl("run box --image=busybox -- sleep 3600");
    /// advance("5s");
    /// let r = exec("box", "echo hi > /tmp/f; cat /tmp/f");
    /// print(r.stdout);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn exec(ctx: NativeCallContext, pod: &str, cmd: &str) -> Result<Map, Box<EvalAltResult>> {
        run(&ctx, pod, vec!["sh".into(), "-c".into(), cmd.into()], &Map::new())
    }

    /// The same with the command as words.
    ///
    /// ```rhai
    /// exec("box", ["ls", "/etc"]);
    /// ```
    #[rhai_fn(name = "exec", return_raw)]
    pub fn exec_words(ctx: NativeCallContext, pod: &str, cmd: Array) -> Result<Map, Box<EvalAltResult>> {
        run(&ctx, pod, cmd.iter().map(|v| v.to_string()).collect(), &Map::new())
    }

    /// The same in a chosen container or namespace: `#{container: "c", namespace: "ns"}`.
    ///
    /// ```rhai
    /// exec("box", "env", #{container: "box"});
    /// ```
    #[rhai_fn(name = "exec", return_raw)]
    pub fn exec_opts(ctx: NativeCallContext, pod: &str, cmd: &str, opts: Map) -> Result<Map, Box<EvalAltResult>> {
        run(&ctx, pod, vec!["sh".into(), "-c".into(), cmd.into()], &opts)
    }
}
