//! Help from within scripts: the doc comment and example of any function.

use rhai::plugin::*;

#[export_module]
pub mod help_api {
    use crate::api::state;
    use crate::convert::runtime_error;
    use crate::docs;
    use crate::session::Stream;

    /// Prints a function's signatures, what it does and an example.
    ///
    /// ```rhai
    /// help("advance");
    /// ```
    #[rhai_fn(name = "help", return_raw)]
    pub fn help_name(ctx: NativeCallContext, name: &str) -> Result<(), Box<EvalAltResult>> {
        let all = docs::collect(ctx.engine(), Some(&ctx), None);
        let text = docs::render(&all, name.trim())
            .ok_or_else(|| runtime_error(format!("no function named {:?} (help() lists them)", name.trim())))?;
        state(&ctx).borrow_mut().page(&text);
        Ok(())
    }

    /// Prints kubesim's functions (and those you defined), one line each.
    ///
    /// ```rhai
    /// help();
    /// ```
    #[rhai_fn(name = "help")]
    pub fn help_all(ctx: NativeCallContext) {
        let all = docs::collect(ctx.engine(), Some(&ctx), None);
        let mut text = docs::listing(&all);
        text.push('\n');
        state(&ctx).borrow_mut().write(Stream::Stdout, &text);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Session, SessionOptions};

    /// Runs `input` and compares what it printed (or its error).
    fn check(input: &str, expect: &str) {
        let mut s = Session::new(SessionOptions::default());
        let out = s.execute(input);
        let got = match out.error {
            Some(e) => format!("error: {}", e.message),
            None => out.stdout,
        };
        assert_eq!(got, expect, "{input}");
    }

    #[test]
    fn help_prints_docs() {
        check(
            "help(\"now\")",
            "now() -> string\n    The simulated time, RFC 3339 (`2025-01-01T00:00:00Z` at the start).\n\n    Example:\n        print(now());\n",
        );
        check("/// Says hi.\nfn hi() { \"hi\" }\nhelp(\"hi\")", "hi()\n    Says hi.\n");
        check("help(\"nosuch\")", "error: no function named \"nosuch\" (help() lists them)");
        check(
            "help(\"help\")",
            "help()\n    Prints kubesim's functions (and those you defined), one line each.\n\n    Example:\n        help();\n\nhelp(name: string)\n    Prints a function's signatures, what it does and an example.\n\n    Example:\n        help(\"advance\");\n",
        );
    }

    #[test]
    fn help_lists_functions() {
        let mut s = Session::new(SessionOptions::default());
        let out = s.execute("/// Says hi.\nfn hi() { \"hi\" }\nhelp()");
        assert!(
            out.stdout
                .contains("\n  help              Prints kubesim's functions (and those you defined), one line each.\n"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("\nYour functions:\n  hi  Says hi.\n"), "{}", out.stdout);
    }
}
