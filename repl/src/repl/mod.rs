//! The REPL. On a terminal: rustyline with history, multi-line input, completion, hints and
//! highlighting, `:commands`, Ctrl-C that stops a running input and keeps the session, and a
//! progress bar for long moves of the clock. Otherwise (input from a pipe or a file): no
//! prompt and no colours, each input's value printed.
//!
//! Everything about the input itself — whether it is complete, what completes it, how it
//! runs — is asked of `Session`; this module only draws.

mod commands;
mod helper;
mod progress;

use std::cell::RefCell;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use controlplane::kubectl::Typed;
use rustyline::config::{ColorMode, CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::Editor;
use stdlib::{Completeness, Emit, Session, SessionOptions, Stream};

use commands::Outcome;
use helper::Helper;
use progress::ProgressBars;

const PROMPT: &str = "kubesim> ";

/// Whether to colour output: on a terminal, unless `NO_COLOR` is set (https://no-color.org).
pub fn colours(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub fn run(options: SessionOptions) -> anyhow::Result<()> {
    let mut session = Session::new(options);
    session.set_sink(Some(Box::new(|emit| match emit {
        Emit::Text(Stream::Stdout, text) | Emit::Page(text) => print_now(text),
        Emit::Display(bundle) => {
            print_now(&bundle.text);
            if !bundle.text.ends_with('\n') {
                print_now("\n");
            }
        }
        Emit::Text(Stream::Stderr, text) => {
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        }
        Emit::Text(Stream::Clear, _) => {
            if std::io::stdout().is_terminal() {
                // Clear the screen and go home, as a terminal's `clear` does.
                let _ = std::io::stdout().lock().write_all(b"\x1b[2J\x1b[H");
            }
        }
    })));
    if std::io::stdin().is_terminal() {
        interactive(session)
    } else {
        piped(session)
    }
}

fn print_now(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// The file history is kept in: `$XDG_DATA_HOME/kubesim/history` (or the platform's data
/// directory).
fn history_file() -> Option<PathBuf> {
    let dir = dirs::data_dir()?.join("kubesim");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("history"))
}

/// The terminal of `kubectl exec -it` and `run -it`: a plain line editor of its own (the
/// container's shell is not Rhai: no completion or highlighting), whose prompt is what the
/// container printed last. Ctrl-C and Ctrl-D go to the container.
fn container_terminal() -> anyhow::Result<stdlib::TerminalFn> {
    let mut editor = rustyline::DefaultEditor::new()?;
    Ok(Box::new(move |prompt: &str| match editor.readline(prompt) {
        Ok(line) => {
            if !line.trim().is_empty() {
                let _ = editor.add_history_entry(line.as_str());
            }
            Typed::Line(line)
        }
        Err(ReadlineError::Interrupted) => Typed::Interrupt,
        Err(_) => Typed::Eof,
    }))
}

fn interactive(mut session: Session) -> anyhow::Result<()> {
    let colour = colours(std::io::stdout().is_terminal());
    let flag = session.interrupt_flag();
    // Ctrl-C while an input runs stops it; at the prompt the terminal is in raw mode and
    // rustyline reads Ctrl-C as a key instead (it clears the line).
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)).context("setting the Ctrl-C handler")?;
    session.set_terminal(Some(container_terminal()?));
    let bars = Rc::new(ProgressBars::new(std::io::stderr().is_terminal(), colours(std::io::stderr().is_terminal())));
    let session = Rc::new(RefCell::new(session));
    session.borrow_mut().set_progress(Some(bars.hook()));

    let config = Config::builder()
        .history_ignore_space(true)
        .history_ignore_dups(true)?
        .max_history_size(10_000)?
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .color_mode(if colour { ColorMode::Enabled } else { ColorMode::Disabled })
        .build();
    let mut editor: Editor<Helper, FileHistory> = Editor::with_config(config)?;
    editor.set_helper(Some(Helper::new(session.clone(), colour)));
    let history = history_file();
    if let Some(path) = &history {
        if path.exists() {
            let _ = editor.load_history(path);
        }
    }
    println!(
        "kubesim {} — a Kubernetes cluster on a simulated clock. :help for help, Ctrl-D exits.",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        let line = match editor.readline(PROMPT) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("reading input"),
        };
        if line.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(line.as_str());
        if let Some(path) = &history {
            let _ = editor.append_history(path);
        }
        if let Some(command) = line.trim_start().strip_prefix(':') {
            if commands::run(&mut session.borrow_mut(), command, colour) == Outcome::Quit {
                break;
            }
            continue;
        }
        bars.start();
        let out = session.borrow_mut().execute(&line);
        bars.finish();
        show(out, colour);
    }
    Ok(())
}

/// Input from a pipe or a file: inputs run when complete, values printed, no prompt.
fn piped(mut session: Session) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut input = String::new();
    loop {
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).context("reading input")? == 0 {
            if !input.trim().is_empty() {
                show(session.execute(&input), false);
            }
            return Ok(());
        }
        if input.is_empty() {
            if let Some(command) = line.trim_start().strip_prefix(':') {
                if commands::run(&mut session, command.trim_end(), false) == Outcome::Quit {
                    return Ok(());
                }
                continue;
            }
        }
        input.push_str(&line);
        if input.trim().is_empty() {
            input.clear();
            continue;
        }
        if session.is_complete(&input) == Completeness::Incomplete {
            continue;
        }
        show(session.execute(&input), false);
        input.clear();
    }
}

/// An input's value on stdout; its error on stderr (in red on a terminal).
fn show(out: stdlib::Outputs, colour: bool) {
    if let Some(result) = out.result {
        println!("{}", result.trim_end_matches('\n'));
    }
    if let Some(e) = out.error {
        let _ = std::io::stdout().flush();
        if colour && std::io::stderr().is_terminal() {
            eprintln!("\x1b[31m{}\x1b[0m", e.message);
        } else {
            eprintln!("{}", e.message);
        }
    }
}
