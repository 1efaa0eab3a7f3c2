//! The script functions, one `#[export_module]` module per area. Global functions act on the
//! session's current cluster.

use rhai::{Engine, NativeCallContext};

use crate::session::{ClusterRef, Shared};

pub mod assertions;
pub mod cloud;
pub mod cluster;
pub mod containers;
pub mod help;
pub mod load;
pub mod network;
pub mod nodes;
pub mod output;
pub mod pictures;
pub mod scheduling;
pub mod time;
pub mod trace;

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<ClusterRef>("Cluster");
    engine
        .register_type_with_name::<crate::pictures::Picture>("Picture")
        .register_fn("to_string", |p: &mut crate::pictures::Picture| p.text.clone())
        .register_fn("to_debug", |p: &mut crate::pictures::Picture| p.text.clone());
    engine.register_global_module(rhai::exported_module!(cluster::cluster_api).into());
    engine.register_global_module(rhai::exported_module!(time::time_api).into());
    engine.register_global_module(rhai::exported_module!(nodes::nodes_api).into());
    engine.register_global_module(rhai::exported_module!(cloud::cloud_api).into());
    engine.register_global_module(rhai::exported_module!(load::load_api).into());
    engine.register_global_module(rhai::exported_module!(network::network_api).into());
    engine.register_global_module(rhai::exported_module!(output::output_api).into());
    engine.register_global_module(rhai::exported_module!(containers::containers_api).into());
    engine.register_global_module(rhai::exported_module!(pictures::pictures_api).into());
    engine.register_global_module(rhai::exported_module!(scheduling::scheduling_api).into());
    engine.register_global_module(rhai::exported_module!(trace::trace_api).into());
    engine.register_global_module(rhai::exported_module!(assertions::assert_api).into());
    engine.register_global_module(rhai::exported_module!(help::help_api).into());
}

/// The session state behind a call.
pub(crate) fn state(ctx: &NativeCallContext) -> Shared {
    ctx.tag().and_then(|t| t.clone().try_cast::<Shared>()).expect("the engine's tag is the session state")
}

/// The current cluster.
pub(crate) fn current(ctx: &NativeCallContext) -> ClusterRef {
    state(ctx).borrow().current.clone()
}
