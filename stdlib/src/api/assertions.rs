//! Assertions for regression scripts.

use rhai::plugin::*;

#[export_module]
pub mod assert_api {
    use super::equal_or_fail;
    use crate::convert::runtime_error;

    /// Fails the script with `assertion failed` unless `cond` is true.
    ///
    /// ```rhai
    /// assert(get("nodes").len() == 4);
    /// ```
    #[rhai_fn(name = "assert", return_raw)]
    pub fn assert(cond: bool) -> Result<(), Box<EvalAltResult>> {
        if cond {
            Ok(())
        } else {
            Err(runtime_error("assertion failed"))
        }
    }

    /// Fails the script with `assertion failed: MSG` unless `cond` is true.
    ///
    /// ```rhai
    /// assert(get("pods").len() == 0, "no pods yet");
    /// ```
    #[rhai_fn(name = "assert", return_raw)]
    pub fn assert_msg(cond: bool, msg: &str) -> Result<(), Box<EvalAltResult>> {
        if cond {
            Ok(())
        } else {
            Err(runtime_error(format!("assertion failed: {msg}")))
        }
    }

    /// Fails the script unless `left == right`, showing both.
    ///
    /// ```rhai
    /// assert_eq(now(), "2025-01-01T00:00:00Z");
    /// ```
    #[rhai_fn(name = "assert_eq", return_raw)]
    pub fn assert_eq(ctx: NativeCallContext, left: Dynamic, right: Dynamic) -> Result<(), Box<EvalAltResult>> {
        equal_or_fail(&ctx, left, right, None)
    }

    /// As `assert_eq(left, right)`, with a message.
    #[rhai_fn(name = "assert_eq", return_raw)]
    pub fn assert_eq_msg(
        ctx: NativeCallContext,
        left: Dynamic,
        right: Dynamic,
        msg: &str,
    ) -> Result<(), Box<EvalAltResult>> {
        equal_or_fail(&ctx, left, right, Some(msg))
    }
}

use crate::convert::runtime_error;

fn equal_or_fail(
    ctx: &NativeCallContext,
    left: Dynamic,
    right: Dynamic,
    msg: Option<&str>,
) -> Result<(), Box<EvalAltResult>> {
    let equal = ctx.call_native_fn::<bool>("==", (left.clone(), right.clone())).unwrap_or(false);
    if equal {
        return Ok(());
    }
    let head = match msg {
        Some(m) => format!("assertion failed: {m}"),
        None => "assertion failed: left == right".to_string(),
    };
    let max_depth = crate::api::state(ctx).borrow().max_data_depth;
    Err(runtime_error(format!("{head}\n  left: {}\n right: {}", show(&left, max_depth), show(&right, max_depth))))
}

fn show(v: &Dynamic, max_depth: usize) -> String {
    if v.is_string() {
        format!("{v:?}")
    } else {
        crate::session::display(v, max_depth).unwrap_or_else(|message| message)
    }
}
