//! The `kubesim` binary: the REPL (default), `kubesim run FILE...`, and the kernel front-end.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stdlib::SessionOptions;

mod repl;
mod run;

/// mimalloc: the cluster allocates and frees many small objects (every write is a new
/// version of an object); glibc's allocator spends much of a large run consolidating.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        None => repl::run(options),
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
