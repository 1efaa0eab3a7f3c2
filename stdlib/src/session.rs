//! Session: the one evaluation core. It owns the Rhai engine, the script's scope and
//! function definitions (which persist from one input to the next), and the current
//! cluster. Inputs whose first word is `kubectl` run as kubectl commands; YAML documents
//! are applied.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use controlplane::fileaccess::FileAccess;
use controlplane::kubectl::printers::Table;
use controlplane::sim::{Cluster, ClusterConfig};
use rhai::{Dynamic, Engine, EvalAltResult, Scope, AST};

use crate::api;
use crate::clusters::{attach, ProgressSlot};
use crate::limits;
use crate::pictures::Picture;
use crate::syntax::Mode;

/// Which output stream a piece of text goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
    /// `clear_output()`: what was shown so far should be cleared.
    Clear,
}

/// A handle on a cluster, shared by the session and script values of type `Cluster`.
#[derive(Clone)]
pub struct ClusterRef(pub Rc<RefCell<Cluster>>);

/// What an input shows while it runs, handed to the sink as it happens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Emit<'a> {
    /// Printed text (`print` to stdout, `debug` to stderr), or `clear_output()`.
    Text(Stream, &'a str),
    /// `display(value)`: the value's mime bundle, shown now.
    Display(&'a MimeBundle),
    /// `help(name)`: a page of documentation (a notebook's pager; the REPL prints it).
    Page(&'a str),
}

/// Where printed text goes: captured into [`Outputs`], or handed on as it is printed.
pub type Sink = Box<dyn FnMut(Emit<'_>)>;

/// A value as a notebook shows it: text always, and HTML or SVG when it has them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MimeBundle {
    pub text: String,
    pub html: Option<String>,
    pub svg: Option<String>,
}

impl MimeBundle {
    pub fn text(text: impl Into<String>) -> MimeBundle {
        MimeBundle { text: text.into(), ..MimeBundle::default() }
    }

    /// `(mime type, data)`, text/plain first.
    pub fn entries(&self) -> Vec<(&'static str, &str)> {
        let mut all = vec![("text/plain", self.text.as_str())];
        if let Some(html) = &self.html {
            all.push(("text/html", html));
        }
        if let Some(svg) = &self.svg {
            all.push(("image/svg+xml", svg));
        }
        all
    }
}

/// State the script functions reach through the engine's tag.
pub struct State {
    pub current: ClusterRef,
    pub sink: Option<Sink>,
    pub stdout: String,
    pub stderr: String,
    /// Whether `clear_output()` ran during the input.
    pub cleared: bool,
    pub interrupt: Arc<AtomicBool>,
    /// Told how far a long `advance` or `run_until` has got, on any of the session's clusters.
    pub progress: ProgressSlot,
    /// The cluster the session started with (or got at its last reset).
    pub default: ClusterRef,
    /// Clusters made with `cluster()`, while something still holds them.
    pub made: Vec<Weak<RefCell<Cluster>>>,
    /// The latest kubectl outputs that were tables, by their text: a string a script returns
    /// that is one of them can still be shown as a table.
    pub tables: Vec<(String, Vec<Table>)>,
    /// What kubectl, the pictures and `import` may read and write on the host.
    pub files: Rc<FileAccess>,
    /// How deep a value may nest to be shown or converted (the session's `max_data_depth`).
    pub max_data_depth: usize,
    /// Whether a person can interrupt an input (the session's `interactive`).
    pub interactive: bool,
}

/// How many recent kubectl tables are remembered.
const REMEMBERED_TABLES: usize = 8;

impl State {
    /// Remember the tables of a kubectl output.
    pub fn remember_tables(&mut self, text: &str, tables: Vec<Table>) {
        if tables.is_empty() {
            return;
        }
        self.tables.retain(|(t, _)| t != text);
        if self.tables.len() >= REMEMBERED_TABLES {
            self.tables.remove(0);
        }
        self.tables.push((text.to_string(), tables));
    }

    /// The HTML of a remembered kubectl table whose text is `text` (ignoring its final newline).
    pub fn table_html(&self, text: &str) -> Option<String> {
        let wanted = text.trim_end_matches('\n');
        self.tables
            .iter()
            .rev()
            .find(|(t, _)| t.trim_end_matches('\n') == wanted)
            .map(|(_, tables)| tables.iter().map(Table::render_html).collect::<Vec<_>>().join("\n"))
    }
}

impl State {
    pub fn write(&mut self, stream: Stream, text: &str) {
        match (&mut self.sink, stream) {
            (Some(sink), _) => sink(Emit::Text(stream, text)),
            (None, Stream::Stdout) => self.stdout.push_str(text),
            (None, Stream::Stderr) => self.stderr.push_str(text),
            (None, Stream::Clear) => {
                self.stdout.clear();
                self.cleared = true;
            }
        }
    }
}

impl State {
    /// `display(value)`: handed to the sink, or (captured) its text printed.
    pub fn display(&mut self, bundle: &MimeBundle) {
        match &mut self.sink {
            Some(sink) => sink(Emit::Display(bundle)),
            None => {
                self.stdout.push_str(&bundle.text);
                if !bundle.text.ends_with('\n') {
                    self.stdout.push('\n');
                }
            }
        }
    }

    /// A page of documentation: handed to the sink, or (captured) printed.
    pub fn page(&mut self, text: &str) {
        match &mut self.sink {
            Some(sink) => sink(Emit::Page(text)),
            None => self.stdout.push_str(text),
        }
    }

    /// How a value is shown: its text, with HTML for a kubectl table or a list of objects,
    /// and SVG for a picture. Err (the limit's message) for a value nested too deep to show.
    pub fn bundle(&self, value: &Dynamic) -> Result<MimeBundle, String> {
        if let Some(picture) = value.read_lock::<Picture>() {
            return Ok(MimeBundle { text: picture.text.clone(), html: None, svg: Some(picture.svg.clone()) });
        }
        let text = display(value, self.max_data_depth)?;
        let html = if value.is_string() { self.table_html(&text) } else { crate::rich::object_list_html(value) };
        Ok(MimeBundle { text, html, svg: None })
    }
}

pub type Shared = Rc<RefCell<State>>;

/// Limits on what a script may use; exceeding one stops the script with a clear error.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionOptions {
    pub cluster: ClusterConfig,
    /// The host files scripts and kubectl may read and write: none by default; the front-ends
    /// allow the working directory and what `--allow-read`/`--allow-write` add.
    pub files: FileAccess,
    /// Operations per input (0: unlimited).
    pub max_operations: u64,
    pub max_call_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    /// How deep arrays, maps and curried functions may nest in a value.
    pub max_data_depth: usize,
    /// Whether a person at the session can interrupt an input (the REPL's Ctrl-C, a notebook's
    /// stop button); a script run from a file cannot be, so `kubectl get -w` needs a timeout there.
    pub interactive: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            cluster: ClusterConfig::default(),
            files: FileAccess::none(),
            max_operations: 0,
            max_call_depth: 64,
            max_string_size: 16 * 1024 * 1024,
            max_array_size: 1_000_000,
            max_map_size: 1_000_000,
            max_data_depth: 1_000,
            interactive: false,
        }
    }
}

/// An error with the position in the input where it happened (1-based), if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub kind: ErrorKind,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// What sort of error ended an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input does not parse.
    Syntax,
    /// It ran and failed: a thrown error, a failed call, a refused kubectl command or manifest.
    Runtime,
    /// Stopped by Ctrl-C or a kernel interrupt.
    Interrupted,
    /// It went over one of the session's limits.
    Limit,
}

impl ErrorKind {
    /// A short name, as a notebook shows it above the message.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "SyntaxError",
            ErrorKind::Runtime => "Error",
            ErrorKind::Interrupted => "Interrupted",
            ErrorKind::Limit => "LimitError",
        }
    }
}

/// The message of an input the user stopped.
const INTERRUPTED: &str = "interrupted";

impl ScriptError {
    /// A limit passed outside the script's own code (where its value is shown).
    fn limit(message: String) -> ScriptError {
        ScriptError { kind: ErrorKind::Limit, message, line: None, column: None }
    }

    /// Stopped by the user at input line `line`, as a stopped script's error reads.
    fn interrupted(line: usize) -> ScriptError {
        ScriptError {
            kind: ErrorKind::Interrupted,
            message: INTERRUPTED.to_string(),
            line: Some(line),
            column: Some(1),
        }
    }
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What one input produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outputs {
    /// Text printed while it ran (empty when a sink took it).
    pub stdout: String,
    pub stderr: String,
    /// The value of the input as text, when it has one (not for `()`).
    pub result: Option<String>,
    pub error: Option<ScriptError>,
    /// `clear_output()` ran: what was shown before it is to be cleared.
    pub cleared: bool,
    /// The value as HTML, when it is (or came from) a kubectl table, or is a list of objects.
    pub result_html: Option<String>,
    /// The value as SVG, when it is a picture.
    pub result_svg: Option<String>,
}

impl Outputs {
    /// The value with its HTML and SVG, when it has a value.
    pub fn result_bundle(&self) -> Option<MimeBundle> {
        let text = self.result.clone()?;
        Some(MimeBundle { text, html: self.result_html.clone(), svg: self.result_svg.clone() })
    }

    /// The value as a Jupyter mime bundle: `(mime type, data)`, text/plain first.
    pub fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        let Some(bundle) = self.result_bundle() else { return Vec::new() };
        bundle.entries().into_iter().map(|(m, d)| (m, d.to_string())).collect()
    }
}

pub struct Session {
    pub(crate) engine: Engine,
    pub(crate) scope: Scope<'static>,
    /// Functions defined by earlier inputs.
    pub(crate) functions: AST,
    pub(crate) state: Shared,
    pub(crate) options: SessionOptions,
    /// The front-end's terminal, for `kubectl exec -it` and `run -it` lines.
    terminal: Option<TerminalFn>,
    /// Without a terminal: the front-end's line on why, shown when such a line asks for stdin.
    no_terminal: Option<String>,
}

/// A front-end's terminal: shows the prompt, reads one line (or Ctrl-D, Ctrl-C; or a hang-up
/// when the user stopped the input while it waited, which fails the line as an interrupt).
pub type TerminalFn = Box<dyn FnMut(&str) -> controlplane::kubectl::Typed>;

impl Session {
    pub fn new(options: SessionOptions) -> Session {
        let interrupt = Arc::new(AtomicBool::new(false));
        let progress = ProgressSlot::default();
        let cluster = attach(Cluster::new(options.cluster.clone()), &interrupt, &progress);
        let state = Rc::new(RefCell::new(State {
            current: cluster.clone(),
            sink: None,
            stdout: String::new(),
            stderr: String::new(),
            cleared: false,
            interrupt: interrupt.clone(),
            progress,
            default: cluster,
            made: Vec::new(),
            tables: Vec::new(),
            files: Rc::new(options.files.clone()),
            max_data_depth: options.max_data_depth,
            interactive: options.interactive,
        }));
        let mut engine = Engine::new();
        engine.set_max_operations(options.max_operations);
        engine.set_max_call_levels(options.max_call_depth);
        engine.set_max_expr_depths(limits::MAX_EXPR_DEPTH, limits::MAX_FUNCTION_EXPR_DEPTH);
        limits::watch_depth(&mut engine, options.max_data_depth);
        engine.set_max_string_size(options.max_string_size);
        engine.set_max_array_size(options.max_array_size);
        engine.set_max_map_size(options.max_map_size);
        engine.set_default_tag(Dynamic::from(state.clone()));
        let printer = state.clone();
        engine.on_print(move |s| {
            let mut st = printer.borrow_mut();
            st.write(Stream::Stdout, s);
            st.write(Stream::Stdout, "\n");
        });
        let debugger = state.clone();
        engine.on_debug(move |s, _, _| {
            let mut st = debugger.borrow_mut();
            st.write(Stream::Stderr, s);
            st.write(Stream::Stderr, "\n");
        });
        let flag = interrupt;
        engine
            .on_progress(move |_| if flag.load(Ordering::Relaxed) { Some(Dynamic::from("interrupted")) } else { None });
        api::register(&mut engine);
        engine.set_module_resolver(crate::modules::Resolver::new(state.borrow().files.clone()));
        Session {
            engine,
            scope: Scope::new(),
            functions: AST::empty(),
            state,
            options,
            terminal: None,
            no_terminal: None,
        }
    }

    /// The terminal `kubectl exec -it`, `attach -it` and `run -it` lines read from (without
    /// one they act as kubectl does when input is not a terminal).
    pub fn set_terminal(&mut self, terminal: Option<TerminalFn>) {
        self.terminal = terminal;
    }

    /// Without a terminal: one line on why, which such a line prints after kubectl's own
    /// warning (a notebook client that does not answer input requests).
    pub fn set_no_terminal_reason(&mut self, why: Option<String>) {
        self.no_terminal = why;
    }

    /// Send printed text to `sink` as it is printed instead of capturing it.
    pub fn set_sink(&mut self, sink: Option<Sink>) {
        self.state.borrow_mut().sink = sink;
    }

    /// The flag that stops a running input (Ctrl-C, a kernel interrupt). It is cleared when
    /// the next input starts.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.state.borrow().interrupt.clone()
    }

    /// What the session may read and write on the host.
    pub fn files(&self) -> Rc<FileAccess> {
        self.state.borrow().files.clone()
    }

    /// The current cluster.
    pub fn cluster(&self) -> ClusterRef {
        self.state.borrow().current.clone()
    }

    /// Run one input: a script, a `kubectl ...` line, or a YAML document.
    pub fn execute(&mut self, code: &str) -> Outputs {
        self.state.borrow().interrupt.store(false, Ordering::Relaxed);
        let outcome = match Mode::of(code) {
            Mode::Kubectl => self.run_kubectl(code.trim()),
            Mode::Yaml => self.run_yaml(code),
            Mode::Script => self.run_script(code),
        };
        let mut st = self.state.borrow_mut();
        let mut out = Outputs {
            stdout: std::mem::take(&mut st.stdout),
            stderr: std::mem::take(&mut st.stderr),
            ..Outputs::default()
        };
        match outcome {
            Ok(Some(value)) => match st.bundle(&value) {
                Ok(bundle) => {
                    out.result = Some(bundle.text);
                    out.result_html = bundle.html;
                    out.result_svg = bundle.svg;
                }
                Err(message) => out.error = Some(ScriptError::limit(message)),
            },
            Ok(None) => {}
            Err(e) => out.error = Some(e),
        }
        out
    }

    /// One `kubectl ...` line, or several (a notebook cell): each runs in turn, every output
    /// but the last shown as it comes, the last the input's value. `#` comments and blank
    /// lines are skipped; the first failure stops the rest.
    fn run_kubectl(&mut self, input: &str) -> Result<Option<Dynamic>, ScriptError> {
        let lines: Vec<(usize, &str)> = input
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
            .collect();
        if let Some((n, _)) = lines.iter().find(|(_, l)| !(l.starts_with("kubectl ") || *l == "kubectl")) {
            return Err(ScriptError {
                kind: ErrorKind::Syntax,
                message: "a kubectl input has one kubectl command per line; this line is not one".to_string(),
                line: Some(*n),
                column: Some(1),
            });
        }
        let mut terminal = self.terminal.take();
        let result = self.kubectl_lines(&lines, terminal.as_mut());
        self.terminal = terminal;
        result
    }

    fn kubectl_lines(
        &mut self,
        lines: &[(usize, &str)],
        mut terminal: Option<&mut TerminalFn>,
    ) -> Result<Option<Dynamic>, ScriptError> {
        let has_terminal = terminal.is_some();
        // The user stopped the line at the terminal: it fails as an interrupt does.
        let hung_up = std::cell::Cell::new(false);
        let reader = RefCell::new(|prompt: &str| {
            let typed = match terminal.as_mut() {
                Some(read) => read(prompt),
                None => controlplane::kubectl::Typed::Eof,
            };
            if typed == controlplane::kubectl::Typed::Hangup {
                hung_up.set(true);
            }
            typed
        });
        let no_terminal = self.no_terminal.clone();
        let mut last = None;
        let files = self.files();
        let interactive = self.state.borrow().interactive;
        // `get -w` and `rollout status` print each line as it happens, as the session prints
        // (then their value is only what was not shown yet: nothing is shown twice).
        let printer = self.state.clone();
        let live = RefCell::new(move |text: &str| printer.borrow_mut().write(Stream::Stdout, text));
        for (i, (n, line)) in lines.iter().enumerate() {
            let cluster = self.cluster();
            let stdout = controlplane::kubectl::Stdout::to(&live);
            let terminal = match (has_terminal, &no_terminal) {
                (true, _) => controlplane::kubectl::Tty::to(&reader),
                (false, Some(why)) => controlplane::kubectl::Tty::absent(why),
                (false, None) => controlplane::kubectl::Tty::default(),
            };
            let input = controlplane::kubectl::Input {
                stdin: None,
                files: &files,
                interactive,
                stdout,
                terminal,
                namespace_from_context: false,
            };
            let result = controlplane::kubectl::run_line_output(&mut cluster.0.borrow_mut(), line, input);
            let output = result.map_err(|message| {
                if hung_up.get() {
                    // kubectl, stopped, says no more than what it printed (`--rm`'s delete).
                    self.state.borrow_mut().write(Stream::Stdout, &message);
                    return ScriptError::interrupted(*n);
                }
                ScriptError { kind: ErrorKind::Runtime, message, line: Some(*n), column: Some(1) }
            })?;
            let mut st = self.state.borrow_mut();
            st.remember_tables(&output.text, output.tables);
            if output.text.is_empty() {
                // kubectl prints nothing (`wait --for=delete` of what is gone): neither do we.
                continue;
            }
            if i + 1 < lines.len() {
                let text = Dynamic::from(output.text);
                let bundle = st.bundle(&text).unwrap_or_else(MimeBundle::text);
                st.display(&bundle);
            } else {
                last = Some(output.text.into());
            }
        }
        Ok(last)
    }

    fn run_yaml(&mut self, text: &str) -> Result<Option<Dynamic>, ScriptError> {
        let cluster = self.cluster();
        let mut c = cluster.0.borrow_mut();
        let namespace = api::cluster::context_namespace(&c);
        let outcomes = controlplane::kubectl::apply::apply_text(&mut c, text, "STDIN", &namespace);
        api::cluster::join_outcomes(outcomes).map(|t| Some(t.into())).map_err(|message| ScriptError {
            kind: ErrorKind::Runtime,
            message,
            line: Some(1),
            column: Some(1),
        })
    }

    fn run_script(&mut self, code: &str) -> Result<Option<Dynamic>, ScriptError> {
        let ast = self.engine.compile_with_scope(&self.scope, code).map_err(|e| {
            let pos = e.1;
            ScriptError { kind: ErrorKind::Syntax, message: e.0.to_string(), line: pos.line(), column: pos.position() }
        })?;
        let here: Vec<String> = ast.iter_functions().map(|f| f.name.to_string()).collect();
        self.functions += ast.clone_functions_only();
        let mut program = self.functions.clone();
        program += ast;
        let value = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &program)
            .map_err(|e| script_error(e, &self.options, &here))?;
        Ok(if value.is_unit() { None } else { Some(value) })
    }
}

impl Session {
    /// A user expression (Jupyter's `user_expressions`): one expression, no statements,
    /// evaluated in the session's scope with its functions; its value as a mime bundle.
    pub fn evaluate_expression(&mut self, expression: &str) -> Result<MimeBundle, ScriptError> {
        self.state.borrow().interrupt.store(false, Ordering::Relaxed);
        let ast = self.engine.compile_expression_with_scope(&self.scope, expression).map_err(|e| ScriptError {
            kind: ErrorKind::Syntax,
            message: e.0.to_string(),
            line: e.1.line(),
            column: e.1.position(),
        })?;
        let mut program = self.functions.clone();
        program += ast;
        let value = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &program)
            .map_err(|e| script_error(e, &self.options, &[]))?;
        let bundle = self.state.borrow().bundle(&value);
        bundle.map_err(ScriptError::limit)
    }
}

/// How a value is shown as the result of an input. Err (the limit's message) for a value
/// nested deeper than `max_depth`: Rhai's printing recurses through every level.
pub fn display(value: &Dynamic, max_depth: usize) -> Result<String, String> {
    if let Some(picture) = value.read_lock::<Picture>() {
        Ok(picture.text.clone())
    } else if value.is_string() {
        Ok(value.clone().into_string().unwrap_or_default())
    } else if limits::within(value, max_depth) {
        Ok(value.to_string())
    } else {
        Err(limits::depth_message(max_depth))
    }
}

/// A Rhai error as a message and the position of the failing call in the input.
#[allow(clippy::boxed_local)] // Rhai hands errors over boxed.
/// `here` names the functions the failing input defines.
fn script_error(err: Box<EvalAltResult>, limits: &SessionOptions, here: &[String]) -> ScriptError {
    // Inside a script function, report the innermost error. Its position is in the input
    // only while every function on the way was defined by this input; past a function of an
    // earlier input, the call in this input is the place to show.
    let mut err = *err;
    let mut call_here = None;
    let mut earlier_function = None;
    while let EvalAltResult::ErrorInFunctionCall(name, _, inner, call) = err {
        if earlier_function.is_none() {
            call_here = Some(call);
            if !here.contains(&name) {
                earlier_function = Some(name);
            }
        }
        err = *inner;
    }
    let inner_pos = err.take_position();
    let pos = match (&earlier_function, call_here) {
        (Some(_), Some(call)) => call,
        _ => inner_pos,
    };
    let thrown = match &err {
        EvalAltResult::ErrorRuntime(v, _) => Some(display(v, limits.max_data_depth)),
        _ => None,
    };
    let kind = match (&err, &thrown) {
        (EvalAltResult::ErrorTerminated(_, _), _) => ErrorKind::Interrupted,
        (
            EvalAltResult::ErrorStackOverflow(_)
            | EvalAltResult::ErrorTooManyOperations(_)
            | EvalAltResult::ErrorDataTooLarge(_, _),
            _,
        )
        | (_, Some(Err(_))) => ErrorKind::Limit,
        _ => ErrorKind::Runtime,
    };
    let message = match (&err, thrown) {
        (_, Some(Ok(text) | Err(text))) => text,
        (EvalAltResult::ErrorTerminated(_, _), _) => INTERRUPTED.to_string(),
        (EvalAltResult::ErrorStackOverflow(_), _) => {
            format!("script limit: calls nested deeper than {} (max_call_depth)", limits.max_call_depth)
        }
        (EvalAltResult::ErrorTooManyOperations(_), _) => {
            format!("script limit: more than {} operations in one input (max_operations)", limits.max_operations)
        }
        (EvalAltResult::ErrorDataTooLarge(what, _), _) => crate::limits::data_too_large(what, limits),
        (other, _) => other.to_string(),
    };
    let message = match earlier_function {
        Some(name) => format!("{message} (in {name}(), defined in an earlier input)"),
        None => message,
    };
    ScriptError { kind, message, line: pos.line(), column: pos.position() }
}

/// Whether an input is ready to run (as Jupyter's is_complete_request asks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    Complete,
    /// More lines are needed (an open block, bracket or string).
    Incomplete,
    Invalid,
}

impl Session {
    pub fn is_complete(&self, code: &str) -> Completeness {
        let mode = Mode::of(code);
        if mode == Mode::Kubectl {
            return Completeness::Complete;
        }
        if mode == Mode::Yaml {
            // A YAML document goes on until an empty line.
            let ended = code.ends_with("\n\n") || code.ends_with("\r\n\r\n");
            return if ended { Completeness::Complete } else { Completeness::Incomplete };
        }
        match self.engine.compile_with_scope(&self.scope, code) {
            Ok(_) => Completeness::Complete,
            Err(e) => {
                use rhai::{LexError, ParseErrorType as P};
                match &*e.0 {
                    P::MissingToken(_, _) | P::UnexpectedEOF => Completeness::Incomplete,
                    P::BadInput(LexError::UnterminatedString) => Completeness::Incomplete,
                    _ if e.1.is_none() => Completeness::Incomplete,
                    _ => Completeness::Invalid,
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
pub(crate) mod tests;
