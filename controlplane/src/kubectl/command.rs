//! The kubectl command line: words → a command → API server requests → kubectl's text.

use super::flags::FlagSpec;
use super::stdout::Stdout;
use crate::client::{Client, InProcess, Waiter};
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
    /// Whether the user can interrupt a command (Ctrl-C, a notebook's stop button), as in the
    /// REPL and the kernel but not in a script: a watch without a timeout needs it.
    pub interactive: bool,
    /// Where `get -w` and `rollout status` print each line as it happens (by default, nowhere:
    /// the lines are the command's text).
    pub stdout: Stdout<'a>,
    /// The user's terminal, for `exec -it`, `attach -it` and `run -it` (none in a script).
    pub terminal: super::stream::Tty<'a>,
    /// The `--namespace` flag came from the current context, not from the command line:
    /// kubectl holds the objects of files to a namespace only when it was typed.
    pub namespace_from_context: bool,
}

impl Default for Input<'_> {
    /// No standard input, and no file may be opened.
    fn default() -> Self {
        Input {
            stdin: None,
            files: FileAccess::no_files(),
            interactive: false,
            stdout: Stdout::default(),
            terminal: super::stream::Tty::default(),
            namespace_from_context: false,
        }
    }
}

/// How a verb runs: the client and waiter it reaches the cluster with, its arguments after
/// the verb, and what it may read.
type Run = fn(&mut dyn Client, &mut dyn Waiter, &[&str], Input<'_>) -> Result<String, String>;

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
        run: |c, w, a, _| super::label::run(c, w, a, super::label::Which::Annotations),
    },
    Verb {
        name: "api-resources",
        flags: super::info::API_RESOURCES_FLAGS,
        args: Args::Nothing,
        run: |_, _, a, _| super::info::api_resources(a),
    },
    Verb { name: "api-versions", flags: NO_FLAGS, args: Args::Nothing, run: |_, _, a, _| super::info::api_versions(a) },
    Verb { name: "apply", flags: super::apply_cmd::FLAGS, args: Args::Nothing, run: super::apply_cmd::run },
    Verb { name: "diff", flags: super::diff::FLAGS, args: Args::Nothing, run: super::diff::run },
    Verb { name: "attach", flags: super::attach::FLAGS, args: Args::Resources, run: super::attach::run },
    Verb {
        name: "autoscale",
        flags: super::scale::AUTOSCALE_FLAGS,
        args: Args::Resources,
        run: |c, w, a, _| super::scale::autoscale(c, w, a),
    },
    Verb { name: "cluster-info", flags: NO_FLAGS, args: Args::Nothing, run: |_, _, a, _| super::info::cluster_info(a) },
    Verb {
        name: "cordon",
        flags: super::drain::CORDON_FLAGS,
        args: Args::Nodes,
        run: |c, w, a, _| super::drain::cordon(c, w, a, true),
    },
    Verb {
        name: "config",
        flags: super::config::FLAGS,
        args: Args::Subcommand(&[
            "current-context",
            "get-clusters",
            "get-contexts",
            "get-users",
            "set-context",
            "use-context",
            "view",
        ]),
        run: |c, _, a, _| super::config::run(c, a),
    },
    Verb { name: "cp", flags: super::cp::FLAGS, args: Args::Nothing, run: super::cp::run },
    Verb {
        name: "create",
        flags: super::create::FLAGS,
        args: Args::Subcommand(&[
            "configmap",
            "cronjob",
            "deployment",
            "job",
            "namespace",
            "secret",
            "service",
            "serviceaccount",
            "token",
        ]),
        run: super::create::run,
    },
    Verb {
        name: "describe",
        flags: super::describe::FLAGS,
        args: Args::Resources,
        run: |c, w, a, _| super::describe::run(c, w, a),
    },
    Verb { name: "delete", flags: super::delete::FLAGS, args: Args::Resources, run: super::delete::run },
    Verb {
        name: "drain",
        flags: super::drain::DRAIN_FLAGS,
        args: Args::Nodes,
        run: |c, w, a, _| super::drain::drain(c, w, a),
    },
    Verb { name: "edit", flags: NO_FLAGS, args: Args::Resources, run: |_, _, _, _| super::later::not_yet("edit") },
    Verb {
        name: "explain",
        flags: super::explain::FLAGS,
        args: Args::Resources,
        run: |_, _, a, _| super::explain::run(a),
    },
    Verb { name: "exec", flags: super::exec::FLAGS, args: Args::Resources, run: super::exec::run },
    Verb {
        name: "expose",
        flags: super::expose::FLAGS,
        args: Args::Resources,
        run: |c, w, a, _| super::expose::run(c, w, a),
    },
    Verb { name: "get", flags: super::get::FLAGS, args: Args::Resources, run: super::get::run },
    Verb {
        name: "port-forward",
        flags: super::port_forward::FLAGS,
        args: Args::Resources,
        run: |c, w, a, _| super::port_forward::run(c, w, a),
    },
    Verb {
        name: "label",
        flags: super::label::FLAGS,
        args: Args::Resources,
        run: |c, w, a, _| super::label::run(c, w, a, super::label::Which::Labels),
    },
    Verb {
        name: "events",
        flags: super::events::FLAGS,
        args: Args::Nothing,
        run: |c, w, a, _| super::events::run(c, w, a),
    },
    Verb { name: "logs", flags: super::logs::FLAGS, args: Args::Resources, run: super::logs::run },
    Verb { name: "patch", flags: super::patch::FLAGS, args: Args::Resources, run: super::patch::run },
    Verb { name: "replace", flags: super::replace::FLAGS, args: Args::Nothing, run: super::replace::run },
    Verb {
        name: "rollout",
        flags: super::rollout::FLAGS,
        args: Args::Subcommand(&["history", "pause", "restart", "resume", "status", "undo"]),
        run: super::rollout::run,
    },
    Verb { name: "run", flags: super::run_cmd::FLAGS, args: Args::Nothing, run: super::run_cmd::run },
    Verb { name: "scale", flags: super::scale::SCALE_FLAGS, args: Args::Resources, run: super::scale::scale },
    Verb {
        name: "set",
        flags: super::set_image::FLAGS,
        args: Args::Subcommand(&["env", "image", "resources", "selector", "serviceaccount"]),
        run: super::set_image::run,
    },
    Verb { name: "taint", flags: super::taint::FLAGS, args: Args::Nodes, run: |c, w, a, _| super::taint::run(c, w, a) },
    Verb {
        name: "top",
        flags: super::top::FLAGS,
        args: Args::Subcommand(&["node", "pod"]),
        run: |c, w, a, _| super::top::run(c, w, a),
    },
    Verb {
        name: "uncordon",
        flags: super::drain::CORDON_FLAGS,
        args: Args::Nodes,
        run: |c, w, a, _| super::drain::cordon(c, w, a, false),
    },
    Verb {
        name: "version",
        flags: super::info::VERSION_FLAGS,
        args: Args::Nothing,
        run: |_, _, a, _| super::info::version(a),
    },
    Verb {
        name: "wait",
        flags: super::wait::FLAGS,
        args: Args::Resources,
        run: |c, w, a, _| super::wait::run(c, w, a),
    },
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
    InProcess::as_kubectl(cluster, |client, waiter| run_line_with(client, waiter, line, input))
}

/// Run one kubectl command line (with or without the leading `kubectl`) on a cluster in this
/// process, reading `input`. Returns what kubectl prints on success, or its error text.
pub fn run_line(cluster: &mut Cluster, line: &str, input: Input<'_>) -> Result<String, String> {
    run_line_output(cluster, line, input).map(|o| o.text)
}

/// Run one command line through `client` and `waiter`: the text kubectl prints (with the
/// tables in it), or its error text.
pub fn run_line_with(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    line: &str,
    mut input: Input<'_>,
) -> Result<Output, String> {
    if let Some(op) = shell_syntax(line) {
        return Err(format!(
            "error: {op} is the shell's, and kubesim runs one kubectl command, not a shell line; in a script, \
             work on the text kubectl() returns and build the line from variables (kubectl(\"logs \" + pod)); \
             to choose objects, use -l, --field-selector or -o jsonpath"
        ));
    }
    let words = shell_words::split(line).map_err(|e| format!("error: {e}"))?;
    let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
    if args.first() == Some(&"kubectl") {
        args.remove(0);
    }
    // The current context's namespace is the default of `-n`, for the verbs that take one.
    let context_namespace = client.kubeconfig().namespace().map(|ns| format!("--namespace={ns}"));
    if let Some(flag) = &context_namespace {
        if takes_namespace(&args) {
            let at = args.iter().position(|a| *a == "--").unwrap_or(args.len());
            args.insert(at, flag);
            input.namespace_from_context = true;
        }
    }
    if let Some(refused) = args.split_first().and_then(|(verb, rest)| super::later::kustomize_flag(verb, rest)) {
        return Err(refused);
    }
    // Warnings from another line are not this one's.
    client.take_warnings();
    let result = match args.split_first() {
        Some((&"get", rest)) => {
            super::get::run_tables(client, waiter, rest, input).map(|(text, tables)| Output { text, tables })
        }
        _ => run_verb(client, waiter, &args, input).map(|text| Output { text, tables: Vec::new() }),
    };
    // What the command did not print where it belonged comes first, as kubectl writes each
    // warning when its answer arrives.
    match result {
        Ok(mut out) => {
            out.text = super::warnings::heard(client, out.text);
            Ok(out)
        }
        Err(e) => Err(super::warnings::heard(client, e)),
    }
}

/// The first piece of shell syntax in `line` that a shell would act on rather than pass to
/// kubectl: a pipe, redirection, command separator, background `&`, command substitution or
/// variable (outside the quotes that keep it literal). Quoting follows the shell's: nothing is
/// special inside single quotes; inside double quotes only `$` and backquotes are.
fn shell_syntax(line: &str) -> Option<String> {
    let (mut single, mut double) = (false, false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if !double => single = !single,
            _ if single => {}
            '\\' => {
                chars.next();
            }
            '"' => double = !double,
            '`' => return Some("`...` (command substitution)".into()),
            '$' if chars.peek().is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '_' | '{' | '(')) => {
                let rest: String =
                    chars.take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '{' | '(')).collect();
                return Some(format!("${rest} (a shell variable or substitution)"));
            }
            _ if double => {}
            '|' => return Some("| (a pipe)".into()),
            '>' | '<' => return Some(format!("{c} (a redirection)")),
            ';' => return Some("; (a command separator)".into()),
            '&' => {
                return Some(
                    if chars.peek() == Some(&'&') { "&& (a command list)" } else { "& (a background job)" }.into(),
                )
            }
            _ => {}
        }
    }
    None
}

/// Whether a command line's verb takes `--namespace` and the line names none.
fn takes_namespace(args: &[&str]) -> bool {
    let Some(verb) = args.first() else { return false };
    let own = args.iter().take_while(|a| **a != "--").any(|a| {
        matches!(*a, "-n" | "--namespace")
            || a.starts_with("--namespace=")
            || a.starts_with("-n") && a.len() > 2 && !a.starts_with("--")
    });
    let flags =
        if *verb == "get" { Some(super::get::FLAGS) } else { VERBS.iter().find(|v| v.name == *verb).map(|v| v.flags) };
    !own && *verb != "config" && flags.is_some_and(|f| f.iter().any(|f| f.long == "namespace"))
}

fn run_verb(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let Some((&verb, rest)) = args.split_first() else {
        return Err("error: no command given (try `kubectl get pods`)".into());
    };
    match VERBS.iter().find(|v| v.name == verb) {
        Some(v) => (v.run)(client, waiter, rest, input),
        None if super::later::NOT_YET.contains(&verb) => super::later::not_yet(verb),
        None => Err(format!("error: unknown command {verb:?} for \"kubectl\"")),
    }
}
