//! Between JSON (what objects serialise to) and Rhai values (what scripts see).

use rhai::{Dynamic, EvalAltResult, Position};
use serde_json::Value;

pub fn to_dynamic(value: &Value) -> Dynamic {
    rhai::serde::to_dynamic(value).unwrap_or(Dynamic::UNIT)
}

pub fn to_json(value: &Dynamic) -> Result<Value, Box<EvalAltResult>> {
    rhai::serde::from_dynamic::<Value>(value)
}

/// A script error carrying kubectl's (or the cluster's) message.
pub fn runtime_error(message: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(message.into()), Position::NONE))
}
