//! Rich output: `display` and `clear_output` (a notebook shows them richly; the REPL as text).

use rhai::plugin::*;

#[export_module]
pub mod output_api {
    use crate::api::state;
    use crate::session::Stream;

    /// Shows a value now, without ending the input (a notebook shows tables and pictures;
    /// the REPL prints the text).
    ///
    /// ```rhai
    /// display(kubectl("get nodes"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn display(ctx: NativeCallContext, value: Dynamic) -> Result<(), Box<EvalAltResult>> {
        let st = state(&ctx);
        let bundle = st.borrow().bundle(&value).map_err(crate::limits::limit_error)?;
        st.borrow_mut().display(&bundle);
        Ok(())
    }

    /// Clears what this input has shown so far (a notebook cell's output; in the REPL, the
    /// screen).
    ///
    /// ```rhai
    /// clear_output();
    /// ```
    pub fn clear_output(ctx: NativeCallContext) {
        state(&ctx).borrow_mut().write(Stream::Clear, "");
    }
}
