//! The kubectl command line: words → a command → API server requests → kubectl's text.

use super::flags::FlagSpec;
use crate::sim::Cluster;

/// What a verb's positional arguments name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Args {
    /// None (`apply -f FILE`).
    Nothing,
    /// `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME...`.
    Resources,
}

/// How a verb runs: the cluster, its arguments after the verb, and what `-f -` reads.
type Run = fn(&mut Cluster, &[&str], Option<&str>) -> Result<String, String>;

/// One kubectl verb: its name, its flags, what its arguments name, and how it runs.
pub struct Verb {
    pub name: &'static str,
    pub flags: &'static [FlagSpec],
    pub args: Args,
    run: Run,
}

/// The verbs kubesim's kubectl runs. Completion offers exactly these, with their flags.
pub static VERBS: &[Verb] = &[
    Verb { name: "apply", flags: super::apply_cmd::FLAGS, args: Args::Nothing, run: super::apply_cmd::run },
    Verb { name: "get", flags: super::get::FLAGS, args: Args::Resources, run: |c, args, _| super::get::run(c, args) },
];

/// Run one kubectl command line (with or without the leading `kubectl`). `stdin` is what
/// `-f -` reads. Returns what kubectl prints on success, or its error text.
pub fn run_line(cluster: &mut Cluster, line: &str, stdin: Option<&str>) -> Result<String, String> {
    let words = shell_words::split(line).map_err(|e| format!("error: {e}"))?;
    let args: Vec<&str> = words.iter().map(String::as_str).skip_while(|w| *w == "kubectl").collect();
    let Some((&verb, rest)) = args.split_first() else {
        return Err("error: no command given (try `kubectl get pods`)".into());
    };
    match VERBS.iter().find(|v| v.name == verb) {
        Some(v) => (v.run)(cluster, rest, stdin),
        None => Err(format!("error: \"kubectl {verb}\" is not available in kubesim yet")),
    }
}
