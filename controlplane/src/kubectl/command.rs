//! The kubectl command line: words → a command → API server requests → kubectl's text.

use super::flags::FlagSpec;
use crate::fileaccess::FileAccess;
use crate::sim::Cluster;

/// What a verb's positional arguments name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Args {
    /// None (`apply -f FILE`).
    Nothing,
    /// `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME...`.
    Resources,
    /// Node names (`cordon`, `drain`, `taint nodes`).
    Nodes,
    /// A subcommand first (`create deployment`, `rollout status`, `set image`).
    Subcommand(&'static [&'static str]),
}

/// What a command reads besides its words: the text `-f -` reads, and the files it may open
/// (`-f FILE`, `-o jsonpath-file=`, `--from-file`).
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub stdin: Option<&'a str>,
    pub files: &'a FileAccess,
}

impl Default for Input<'_> {
    /// No standard input, and no file may be opened.
    fn default() -> Self {
        Input { stdin: None, files: FileAccess::no_files() }
    }
}

/// How a verb runs: the cluster, its arguments after the verb, and what it may read.
type Run = fn(&mut Cluster, &[&str], Input<'_>) -> Result<String, String>;

/// One kubectl verb: its name, its flags, what its arguments name, and how it runs.
pub struct Verb {
    pub name: &'static str,
    pub flags: &'static [FlagSpec],
    pub args: Args,
    run: Run,
}

const NO_FLAGS: &[FlagSpec] = &[];

/// The verbs kubesim's kubectl runs. Completion offers exactly these, with their flags.
pub static VERBS: &[Verb] = &[
    Verb {
        name: "annotate",
        flags: super::label::FLAGS,
        args: Args::Resources,
        run: |c, a, _| super::label::run(c, a, super::label::Which::Annotations),
    },
    Verb {
        name: "api-resources",
        flags: super::info::API_RESOURCES_FLAGS,
        args: Args::Nothing,
        run: |_, a, _| super::info::api_resources(a),
    },
    Verb { name: "apply", flags: super::apply_cmd::FLAGS, args: Args::Nothing, run: super::apply_cmd::run },
    Verb {
        name: "autoscale",
        flags: super::scale::AUTOSCALE_FLAGS,
        args: Args::Resources,
        run: |c, a, _| super::scale::autoscale(c, a),
    },
    Verb { name: "cluster-info", flags: NO_FLAGS, args: Args::Nothing, run: |c, a, _| super::info::cluster_info(c, a) },
    Verb {
        name: "cordon",
        flags: super::drain::CORDON_FLAGS,
        args: Args::Nodes,
        run: |c, a, _| super::drain::cordon(c, a, true),
    },
    Verb {
        name: "create",
        flags: super::create::FLAGS,
        args: Args::Subcommand(&["configmap", "cronjob", "deployment", "job", "namespace", "secret", "service"]),
        run: super::create::run,
    },
    Verb {
        name: "describe",
        flags: super::describe::FLAGS,
        args: Args::Resources,
        run: |c, a, _| super::describe::run(c, a),
    },
    Verb { name: "delete", flags: super::delete::FLAGS, args: Args::Resources, run: super::delete::run },
    Verb {
        name: "drain",
        flags: super::drain::DRAIN_FLAGS,
        args: Args::Nodes,
        run: |c, a, _| super::drain::drain(c, a),
    },
    Verb {
        name: "explain",
        flags: super::explain::FLAGS,
        args: Args::Resources,
        run: |_, a, _| super::explain::run(a),
    },
    Verb { name: "exec", flags: NO_FLAGS, args: Args::Resources, run: |_, _, _| super::later::not_yet("exec") },
    Verb {
        name: "expose",
        flags: super::expose::FLAGS,
        args: Args::Resources,
        run: |c, a, _| super::expose::run(c, a),
    },
    Verb {
        name: "get",
        flags: super::get::FLAGS,
        args: Args::Resources,
        run: |c, a, i| super::get::run(c, a, i.files),
    },
    Verb {
        name: "label",
        flags: super::label::FLAGS,
        args: Args::Resources,
        run: |c, a, _| super::label::run(c, a, super::label::Which::Labels),
    },
    Verb { name: "logs", flags: super::logs::FLAGS, args: Args::Resources, run: |c, a, _| super::logs::run(c, a) },
    Verb {
        name: "rollout",
        flags: super::rollout::FLAGS,
        args: Args::Subcommand(&["history", "pause", "restart", "resume", "status", "undo"]),
        run: |c, a, _| super::rollout::run(c, a),
    },
    Verb { name: "run", flags: super::run_cmd::FLAGS, args: Args::Nothing, run: |c, a, _| super::run_cmd::run(c, a) },
    Verb {
        name: "scale",
        flags: super::scale::SCALE_FLAGS,
        args: Args::Resources,
        run: |c, a, _| super::scale::scale(c, a),
    },
    Verb {
        name: "set",
        flags: super::set_image::FLAGS,
        args: Args::Subcommand(&["image"]),
        run: |c, a, _| super::set_image::run(c, a),
    },
    Verb { name: "taint", flags: super::taint::FLAGS, args: Args::Nodes, run: |c, a, _| super::taint::run(c, a) },
    Verb {
        name: "top",
        flags: super::top::FLAGS,
        args: Args::Subcommand(&["node", "pod"]),
        run: |c, a, _| super::top::run(c, a),
    },
    Verb {
        name: "uncordon",
        flags: super::drain::CORDON_FLAGS,
        args: Args::Nodes,
        run: |c, a, _| super::drain::cordon(c, a, false),
    },
    Verb {
        name: "version",
        flags: super::info::VERSION_FLAGS,
        args: Args::Nothing,
        run: |_, a, _| super::info::version(a),
    },
    Verb { name: "wait", flags: super::wait::FLAGS, args: Args::Resources, run: |c, a, _| super::wait::run(c, a) },
];

/// What a command printed: kubectl's text, and the tables in it (for front-ends that show
/// tables richly; the text is what kubectl prints either way).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub text: String,
    pub tables: Vec<super::printers::Table>,
}

/// As [`run_line`], also giving the tables printed.
pub fn run_line_output(cluster: &mut Cluster, line: &str, input: Input<'_>) -> Result<Output, String> {
    let words = shell_words::split(line).map_err(|e| format!("error: {e}"))?;
    let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
    if args.first() == Some(&"kubectl") {
        args.remove(0);
    }
    match args.split_first() {
        Some((&"get", rest)) => {
            super::get::run_tables(cluster, rest, input.files).map(|(text, tables)| Output { text, tables })
        }
        _ => run_line(cluster, line, input).map(|text| Output { text, tables: Vec::new() }),
    }
}

/// Run one kubectl command line (with or without the leading `kubectl`), reading `input`.
/// Returns what kubectl prints on success, or its error text.
pub fn run_line(cluster: &mut Cluster, line: &str, input: Input<'_>) -> Result<String, String> {
    let words = shell_words::split(line).map_err(|e| format!("error: {e}"))?;
    let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
    if args.first() == Some(&"kubectl") {
        args.remove(0);
    }
    let Some((&verb, rest)) = args.split_first() else {
        return Err("error: no command given (try `kubectl get pods`)".into());
    };
    match VERBS.iter().find(|v| v.name == verb) {
        Some(v) => (v.run)(cluster, rest, input),
        None if ["attach", "cp", "port-forward"].contains(&verb) => super::later::not_yet(verb),
        None => Err(format!("error: unknown command {verb:?} for \"kubectl\"")),
    }
}
