//! The `kubesim` binary: the REPL (default), `kubesim run FILE...`, and the kernel front-end.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use controlplane::fileaccess::FileAccess;
use stdlib::SessionOptions;

mod repl;
mod run;

/// mimalloc: the cluster allocates and frees many small objects (every write is a new
/// version of an object); glibc's allocator spends much of a large run consolidating.
#[global_allocator]
static GLOBAL: controlplane::alloc::MiMalloc = controlplane::alloc::MiMalloc;

#[derive(Parser)]
#[command(name = "kubesim", version, about = "A whole Kubernetes cluster in one process, on a simulated clock")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Seed of the cluster's random choices (generated names, uids).
    #[arg(long, default_value_t = 0, global = true)]
    seed: u64,
    /// Let scripts and kubectl read files anywhere, or also under PATHS (comma-separated).
    /// Without it they read only under the working directory.
    #[arg(long, global = true, value_name = "PATHS", num_args = 0..=1, require_equals = true, value_delimiter = ',')]
    allow_read: Option<Vec<PathBuf>>,
    /// Let scripts write files (pictures) anywhere, or also under PATHS (comma-separated).
    /// Without it they write only under the working directory.
    #[arg(long, global = true, value_name = "PATHS", num_args = 0..=1, require_equals = true, value_delimiter = ',')]
    allow_write: Option<Vec<PathBuf>>,
    /// Let kubectl's `-f URL` fetch from any host, or also from HOSTS (comma-separated).
    /// Without it only from the documentation's and kind's: k8s.io, kubernetes.io,
    /// raw.githubusercontent.com and kind.sigs.k8s.io.
    #[arg(long, global = true, value_name = "HOSTS", num_args = 0..=1, require_equals = true, value_delimiter = ',')]
    allow_net: Option<Vec<String>>,
}

impl Cli {
    /// What sessions may read, write and fetch: the working directory and the documentation's
    /// hosts, and what the flags add.
    fn file_access(&self) -> anyhow::Result<FileAccess> {
        let cwd = std::env::current_dir().context("finding the working directory")?;
        let mut files = FileAccess::working_directory(&cwd);
        if let Some(grants) = &self.allow_read {
            files.allow_read(grant(grants));
        }
        if let Some(grants) = &self.allow_write {
            files.allow_write(grant(grants));
        }
        if let Some(hosts) = &self.allow_net {
            files.allow_net((!hosts.is_empty()).then_some(hosts.as_slice()));
        }
        Ok(files)
    }

    /// The flags again, with absolute paths, for a kernelspec: the kernel starts in the
    /// notebook's folder, not here.
    fn grant_flags(&self) -> anyhow::Result<Vec<String>> {
        let cwd = std::env::current_dir().context("finding the working directory")?;
        let mut flags = Vec::new();
        for (flag, grants) in [("--allow-read", &self.allow_read), ("--allow-write", &self.allow_write)] {
            let Some(grants) = grants else { continue };
            flags.push(match grant(grants) {
                None => flag.to_string(),
                Some(paths) => {
                    let paths: Vec<String> = paths.iter().map(|p| cwd.join(p).display().to_string()).collect();
                    format!("{flag}={}", paths.join(","))
                }
            });
        }
        match &self.allow_net {
            None => {}
            Some(hosts) if hosts.is_empty() => flags.push("--allow-net".to_string()),
            Some(hosts) => flags.push(format!("--allow-net={}", hosts.join(","))),
        }
        Ok(flags)
    }
}

/// The paths of a grant flag: `None` (everywhere) when it was given without paths (clap
/// refuses an empty path).
fn grant(paths: &[PathBuf]) -> Option<&[PathBuf]> {
    (!paths.is_empty()).then_some(paths)
}

#[derive(Subcommand)]
enum Command {
    /// Run scripts, each on a fresh default cluster; exit 1 on the first error or failed assert.
    Run {
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Run as a Jupyter kernel (Jupyter starts it so), or install its kernelspec.
    Kernel {
        /// The connection file Jupyter wrote for this kernel.
        #[arg(long, short = 'f', value_name = "FILE")]
        connection_file: Option<std::path::PathBuf>,
        #[command(subcommand)]
        action: Option<KernelAction>,
    },
    /// Serve the Kubernetes HTTP API for real kubectl.
    Serve {
        #[arg(long, default_value_t = 6443)]
        port: u16,
    },
}

#[derive(Subcommand)]
enum KernelAction {
    /// Install the kernelspec `kubesim` ("kubesim (Rhai)") for Jupyter; `--allow-read`,
    /// `--allow-write` and `--allow-net` given here are written into it, for the kernel to run with.
    Install {
        /// Into the user's Jupyter data directory ($JUPYTER_DATA_DIR, else ~/.local/share/jupyter); the default.
        #[arg(long, conflicts_with_all = ["sys_prefix", "prefix"])]
        user: bool,
        /// Into the active Python environment ($VIRTUAL_ENV or $CONDA_PREFIX).
        #[arg(long, conflicts_with = "prefix")]
        sys_prefix: bool,
        /// Into DIR/share/jupyter.
        #[arg(long, value_name = "DIR")]
        prefix: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = cli.file_access().and_then(|files| {
        let options = SessionOptions {
            cluster: controlplane::sim::ClusterConfig { seed: cli.seed, ..Default::default() },
            files,
            ..Default::default()
        };
        // At a terminal and in the kernel a person can interrupt an input (Ctrl-C, the stop
        // button); a script run from a file or piped into the REPL cannot be.
        let interactive = SessionOptions { interactive: true, ..options.clone() };
        let at_terminal = SessionOptions { interactive: std::io::stdin().is_terminal(), ..options.clone() };
        match &cli.command {
            None => on_eval_thread(move || repl::run(at_terminal)).and_then(|r| r).map(|()| ExitCode::SUCCESS),
            Some(Command::Run { files }) => {
                let files = files.clone();
                on_eval_thread(move || run::run_files(&files, options))
            }
            Some(Command::Kernel { connection_file, action }) => {
                kernel_command(&cli, connection_file.as_deref(), action.as_ref(), interactive)
                    .map(|()| ExitCode::SUCCESS)
            }
            Some(Command::Serve { .. }) => Err(anyhow::anyhow!("serving the HTTP API is not built yet")),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kubesim: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `f` on a thread with the stack a session's evaluation needs (the main thread's is
/// the platform's), as the kernel does.
fn on_eval_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    let thread = stdlib::eval_thread("kubesim").spawn(f).context("starting the evaluation thread")?;
    Ok(thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
}

fn kernel_command(
    cli: &Cli,
    connection_file: Option<&std::path::Path>,
    action: Option<&KernelAction>,
    options: SessionOptions,
) -> anyhow::Result<()> {
    match (connection_file, action) {
        (Some(file), None) => Ok(kernel::run(file, options)?),
        (None, Some(KernelAction::Install { user: _, sys_prefix, prefix })) => {
            let target = match (sys_prefix, prefix) {
                (true, _) => kernel::install::Target::SysPrefix,
                (false, Some(dir)) => kernel::install::Target::Prefix(dir.clone()),
                (false, None) => kernel::install::Target::User,
            };
            let program = std::env::current_exe().context("finding the kubesim binary")?;
            let program = std::fs::canonicalize(&program).unwrap_or(program);
            let installed = kernel::install::install(&target, &program, &cli.grant_flags()?)?;
            println!("Installed kernelspec {} in {}", kernel::install::NAME, installed.path.display());
            if let Some(warning) = installed.warning {
                eprintln!("kubesim: {warning}");
            }
            Ok(())
        }
        (Some(_), Some(_)) => Err(anyhow::anyhow!("give either --connection-file or install, not both")),
        (None, None) => Err(anyhow::anyhow!(
            "kubesim kernel needs --connection-file FILE (Jupyter passes it), or `kubesim kernel install` to install the kernelspec"
        )),
    }
}
