//! `kubesim run FILE...`: each file runs on a fresh default cluster; the first error stops
//! the run with `FILE:LINE:COL: message` and the failing line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use stdlib::{Emit, Session, SessionOptions, Stream};

pub fn run_files(files: &[PathBuf], mut options: SessionOptions) -> ExitCode {
    // The scripts named on the command line may be read wherever they are.
    options.files.allow_read(Some(files));
    for file in files {
        let shown = file.display().to_string();
        let code = match options.files.read(&shown) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("kubesim: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut session = Session::new(options.clone());
        session.set_sink(Some(Box::new(|emit| match emit {
            Emit::Text(Stream::Stdout, text) | Emit::Page(text) => {
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
            }
            Emit::Display(bundle) => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(bundle.text.as_bytes());
                if !bundle.text.ends_with('\n') {
                    let _ = out.write_all(b"\n");
                }
            }
            Emit::Text(Stream::Stderr, text) => {
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
            // A script's output is a log: nothing to clear.
            Emit::Text(Stream::Clear, _) => {}
        })));
        let out = session.execute(&code);
        if let Some(e) = out.error {
            let _ = std::io::stdout().flush();
            let line = e.line.unwrap_or(0);
            let col = e.column.unwrap_or(0);
            eprintln!("{shown}:{line}:{col}: {}", e.message);
            if let Some(src) = line.checked_sub(1).and_then(|l| code.lines().nth(l)) {
                eprintln!("{line:>5} | {src}");
                eprintln!("      | {}^", " ".repeat(col.saturating_sub(1)));
            }
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
