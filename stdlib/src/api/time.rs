//! Simulated time: reading and moving the cluster's clock.

use rhai::plugin::*;
use rhai::FnPtr;

#[export_module]
pub mod time_api {
    use chrono::SecondsFormat;
    use controlplane::sim::clock;

    use super::{advance_by, duration_arg, sim_error};
    use crate::api::current;
    use crate::convert::runtime_error;

    /// The simulated time, RFC 3339 (`2025-01-01T00:00:00Z` at the start).
    ///
    /// ```rhai
    /// print(now());
    /// ```
    pub fn now(ctx: NativeCallContext) -> String {
        current(&ctx).0.borrow().now().to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    /// Runs all work due now, then moves the clock to the next timer. Returns the new time.
    ///
    /// ```rhai
    /// step();
    /// ```
    #[rhai_fn(return_raw)]
    pub fn step(ctx: NativeCallContext) -> Result<String, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let t = cluster.0.borrow_mut().step().map_err(sim_error)?;
        Ok(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    /// Moves the clock forward by `d` (`"90s"`, `"5m"`, `"1h30m"`), running everything due.
    ///
    /// ```rhai
    /// advance("90s");
    /// ```
    #[rhai_fn(name = "advance", return_raw)]
    pub fn advance(ctx: NativeCallContext, d: &str) -> Result<(), Box<EvalAltResult>> {
        let d = clock::parse_duration(d).map_err(runtime_error)?;
        advance_by(&ctx, d)
    }

    /// Moves the clock forward by `secs` seconds.
    ///
    /// ```rhai
    /// advance(30);
    /// ```
    #[rhai_fn(name = "advance", return_raw)]
    pub fn advance_secs(ctx: NativeCallContext, secs: i64) -> Result<(), Box<EvalAltResult>> {
        let d = clock::seconds(secs as f64).map_err(runtime_error)?;
        advance_by(&ctx, d)
    }

    /// Moves the clock forward by `secs` (fractional) seconds.
    #[rhai_fn(name = "advance", return_raw)]
    pub fn advance_float(ctx: NativeCallContext, secs: f64) -> Result<(), Box<EvalAltResult>> {
        let d = clock::seconds(secs).map_err(runtime_error)?;
        advance_by(&ctx, d)
    }

    /// Advances until `pred()` returns true, or `timeout` (`"5m"` or seconds) has passed.
    /// Returns true if `pred` came true, false at the timeout.
    ///
    /// ```rhai
    /// let ok = run_until(|| get("pods").len() > 0, "2m");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn run_until(ctx: NativeCallContext, pred: FnPtr, timeout: Dynamic) -> Result<bool, Box<EvalAltResult>> {
        let d = duration_arg(&timeout)?;
        let cluster = current(&ctx);
        let deadline = cluster.0.borrow().deadline(d).map_err(sim_error)?;
        loop {
            // The predicate reads the cluster, so it runs while the cluster is not borrowed.
            cluster.0.borrow_mut().settle().map_err(sim_error)?;
            if pred.call_within_context::<bool>(&ctx, ())? {
                return Ok(true);
            }
            let at_deadline = cluster.0.borrow_mut().step_toward(deadline).map_err(sim_error)?;
            if at_deadline {
                return pred.call_within_context::<bool>(&ctx, ());
            }
        }
    }
}

use controlplane::sim::{clock, SimError};

use crate::api::current;
use crate::convert::runtime_error;

pub fn advance_by(ctx: &NativeCallContext, d: chrono::Duration) -> Result<(), Box<EvalAltResult>> {
    current(ctx).0.borrow_mut().advance(d).map_err(sim_error)
}

/// A duration argument: a string such as `"90s"` or a number of seconds.
pub fn duration_arg(d: &Dynamic) -> Result<chrono::Duration, Box<EvalAltResult>> {
    if let Some(s) = d.read_lock::<ImmutableString>() {
        return clock::parse_duration(&s).map_err(runtime_error);
    }
    if let Ok(i) = d.as_int() {
        return clock::seconds(i as f64).map_err(runtime_error);
    }
    if let Ok(f) = d.as_float() {
        return clock::seconds(f).map_err(runtime_error);
    }
    Err(runtime_error(format!(
        "a duration must be a string like \"90s\" or a number of seconds, not {}",
        d.type_name()
    )))
}

pub fn sim_error(e: SimError) -> Box<EvalAltResult> {
    match e {
        SimError::Interrupted => Box::new(EvalAltResult::ErrorTerminated(Dynamic::from("interrupted"), Position::NONE)),
        other => runtime_error(other.to_string()),
    }
}
