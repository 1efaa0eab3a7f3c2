//! Functions of the script library whose machinery is not in the cluster yet. Each says so.

use rhai::plugin::*;

use crate::convert::runtime_error;

fn not_yet(what: &str, needs: &str) -> Box<EvalAltResult> {
    runtime_error(format!("{what} is not available in kubesim yet: it needs {needs}"))
}

#[export_module]
pub mod later_api {
    use super::not_yet;

    /// Resolves a name through cluster DNS. Not available yet: it needs cluster DNS.
    ///
    /// ```rhai
    /// nslookup("web.default.svc.cluster.local");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn nslookup(_name: &str) -> Result<String, Box<EvalAltResult>> {
        Err(not_yet("nslookup", "cluster DNS"))
    }
}
