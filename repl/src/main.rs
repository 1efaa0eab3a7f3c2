//! The `kubesim` binary: the REPL (default), `kubesim run FILE...`, and the kernel front-end.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use stdlib::{Completeness, Session, SessionOptions, Stream};

mod run;

#[derive(Parser)]
#[command(name = "kubesim", version, about = "A whole Kubernetes cluster in one process, on a simulated clock")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Seed of the cluster's random choices (generated names, uids).
    #[arg(long, default_value_t = 0, global = true)]
    seed: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Run scripts, each on a fresh default cluster; exit 1 on the first error or failed assert.
    Run {
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Run as a Jupyter kernel, or install its kernelspec.
    Kernel {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Serve the Kubernetes HTTP API for real kubectl.
    Serve {
        #[arg(long, default_value_t = 6443)]
        port: u16,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = SessionOptions {
        cluster: controlplane::sim::ClusterConfig { seed: cli.seed, ..Default::default() },
        ..Default::default()
    };
    let result = match cli.command {
        None => repl(options),
        Some(Command::Run { files }) => return run::run_files(&files, &options),
        Some(Command::Kernel { .. }) => Err(anyhow::anyhow!("the Jupyter kernel is not built yet")),
        Some(Command::Serve { .. }) => Err(anyhow::anyhow!("serving the HTTP API is not built yet")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kubesim: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A line REPL: inputs run when complete; each input's value is printed.
fn repl(options: SessionOptions) -> anyhow::Result<()> {
    let mut session = Session::new(options);
    session.set_sink(Some(Box::new(|stream, text| match stream {
        Stream::Stdout => {
            print!("{text}");
            let _ = std::io::stdout().flush();
        }
        Stream::Stderr => eprint!("{text}"),
        Stream::Clear => {
            if std::io::stdout().is_terminal() {
                // Clear the screen and go home, as a terminal's `clear` does.
                print!("\x1b[2J\x1b[H");
            }
        }
    })));
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        println!("kubesim {} — a Kubernetes cluster on a simulated clock. Ctrl-D exits.", env!("CARGO_PKG_VERSION"));
    }
    let stdin = std::io::stdin();
    let mut input = String::new();
    loop {
        if interactive {
            print!("{}", if input.is_empty() { "kubesim> " } else { "...      " });
            std::io::stdout().flush().context("writing the prompt")?;
        }
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).context("reading input")? == 0 {
            if !input.trim().is_empty() {
                show(&mut session, &input);
            }
            return Ok(());
        }
        input.push_str(&line);
        if input.trim().is_empty() {
            input.clear();
            continue;
        }
        if session.is_complete(&input) == Completeness::Incomplete {
            continue;
        }
        show(&mut session, &input);
        input.clear();
    }
}

fn show(session: &mut Session, input: &str) {
    let out = session.execute(input);
    if let Some(result) = out.result {
        println!("{}", result.trim_end_matches('\n'));
    }
    if let Some(e) = out.error {
        let _ = std::io::stdout().flush();
        eprintln!("{}", e.message);
    }
}
