//! Pictures: the cluster, and an object's history over simulated time.

use rhai::plugin::*;

use crate::convert::runtime_error;
use crate::pictures::PictureError;

fn script_error(e: PictureError) -> Box<EvalAltResult> {
    runtime_error(e.to_string())
}

#[export_module]
pub mod pictures_api {
    use controlplane::sim::history::History;

    use super::script_error;
    use crate::api::cluster::resolve;
    use crate::api::current;
    use crate::convert::runtime_error;
    use crate::pictures::{cluster, timeline, Picture};

    /// The cluster now, as a picture: each node a box (its name, Ready or NotReady, cordoned)
    /// holding its pods as blocks coloured by phase, the control plane apart from the
    /// workers, and the pods no node was chosen for in their own area. A notebook shows the
    /// drawing; the REPL prints a listing of the nodes and their pods.
    ///
    /// ```rhai
    /// kubectl("run web --image=nginx");
    /// advance("5s");
    /// show()
    /// ```
    pub fn show(ctx: NativeCallContext) -> Picture {
        let c = current(&ctx);
        let c = c.0.borrow();
        cluster::show(&c)
    }

    /// Writes the cluster's picture to an SVG file; returns `wrote PATH (N bytes)`. The file
    /// must be where the session may write (its working directory, or `--allow-write`).
    ///
    /// ```rhai
    /// show("cluster.svg");
    /// ```
    #[rhai_fn(name = "show", return_raw)]
    pub fn show_to(ctx: NativeCallContext, path: &str) -> Result<String, Box<EvalAltResult>> {
        let files = crate::api::state(&ctx).borrow().files.clone();
        show(ctx).save("show", path, &files).map_err(script_error)
    }

    /// An object's history over simulated time, as a step chart: counts as lines (a
    /// Deployment's replicas with the desired and ready replicas of each of its ReplicaSets, a Job's
    /// active, succeeded and failed pods, a node's pods) and states as bands of colour (a
    /// pod's phase, readiness and node, a node's Ready condition and cordon). The REPL prints
    /// the table of changes. `kind` takes kubectl's names (`deploy`, `po`, `no`); `name` is
    /// `name` (namespace `default`) or `namespace/name`.
    ///
    /// ```rhai
    /// kubectl("run web --image=nginx");
    /// advance("1m");
    /// timeline("pod", "web")
    /// ```
    #[rhai_fn(return_raw)]
    pub fn timeline(ctx: NativeCallContext, kind: &str, name: &str) -> Result<Picture, Box<EvalAltResult>> {
        let kind = resolve(kind)?;
        let (namespace, name) =
            if kind.info().namespaced { name.split_once('/').unwrap_or(("default", name)) } else { ("", name) };
        let c = current(&ctx);
        let mut c = c.0.borrow_mut();
        let now = c.now();
        let history: &History =
            c.history().ok_or_else(|| runtime_error("timeline: this cluster records no histories"))?;
        timeline::timeline(history, kind, namespace, name, now).map_err(script_error)
    }

    /// Writes an object's timeline to an SVG file; returns `wrote PATH (N bytes)`. The file
    /// must be where the session may write (its working directory, or `--allow-write`).
    ///
    /// ```rhai
    /// timeline("node", "node-1", "node-1.svg");
    /// ```
    #[rhai_fn(name = "timeline", return_raw)]
    pub fn timeline_to(
        ctx: NativeCallContext,
        kind: &str,
        name: &str,
        path: &str,
    ) -> Result<String, Box<EvalAltResult>> {
        let files = crate::api::state(&ctx).borrow().files.clone();
        timeline(ctx, kind, name)?.save("timeline", path, &files).map_err(script_error)
    }

    /// The text a picture prints as.
    ///
    /// ```rhai
    /// print(show().text);
    /// ```
    #[rhai_fn(get = "text", pure)]
    pub fn text(picture: &mut Picture) -> String {
        picture.text.clone()
    }

    /// The picture as an SVG document.
    ///
    /// ```rhai
    /// let svg = show().svg;
    /// ```
    #[rhai_fn(get = "svg", pure)]
    pub fn svg(picture: &mut Picture) -> String {
        picture.svg.clone()
    }
}
