//! Between JSON (what objects serialise to) and Rhai values (what scripts see).

use rhai::{Dynamic, EvalAltResult, Position};
use serde_json::Value;

/// An object's JSON as a map. Objects nest no deeper than their manifests could (serde's
/// readers stop at 128 levels, [`to_json`] at the session's `max_data_depth`).
pub fn to_dynamic(value: &Value) -> Dynamic {
    rhai::serde::to_dynamic(value).unwrap_or(Dynamic::UNIT)
}

/// A script's value as JSON; serde recurses through it, so a value nested deeper than
/// `max_depth` is refused.
pub fn to_json(value: &Dynamic, max_depth: usize) -> Result<Value, Box<EvalAltResult>> {
    if !crate::limits::within(value, max_depth) {
        return Err(crate::limits::limit_error(crate::limits::depth_message(max_depth)));
    }
    rhai::serde::from_dynamic::<Value>(value)
}

/// A script error carrying kubectl's (or the cluster's) message.
pub fn runtime_error(message: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(message.into()), Position::NONE))
}
