//! The robustness suite: what a careless or hostile user might type, under `tests/robustness/`.
//!
//! A case (`<family>/<name>.case`) is a list of inputs separated by lines that start with
//! `# %%`. Each case runs in a fresh working directory holding the fixtures `fifo` (a named pipe
//! nobody writes to) and `big.yaml` (a ConfigMap manifest just over the API server's 3 MiB
//! request limit), two ways here and a third in `tests/kernel/test_robustness.py`:
//!
//! - piped into the REPL as one session, after a prologue that sets a variable and makes a pod
//!   and before an epilogue that shows both again: the transcript (stdout and stderr as one
//!   stream) must equal `<name>.out` and end with the epilogue's lines, so every case proves the
//!   session outlived it;
//! - each input alone as `kubesim run`, the transcripts together equal to `<name>.run.out`.
//!
//! Every process must end with exit 0 or 1 within a minute: never a panic, an abort, a signal
//! or a hang. The working directory's path is written `$WORKDIR` in the expected files.
//! `UPDATE_EXPECT=1` rewrites them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Inputs run before each case's own.
const PROLOGUE: [&str; 2] = ["let kept = \"session intact\";", "kubectl run keeper --image=nginx"];
/// Inputs run after them; the transcript must end with [`INTACT`].
const EPILOGUE: [&str; 2] = ["kept", "kubectl get pod keeper -o name"];
const INTACT: &str = "session intact\npod/keeper\n";
/// How long one process may take before the case counts as hung.
const HANG: Duration = Duration::from_secs(60);
/// The API server's request body limit; `big.yaml` is just over it.
const REQUEST_LIMIT: usize = 3 * 1024 * 1024;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = read.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            cases(&p, out);
        } else if p.extension().is_some_and(|e| e == "case") {
            out.push(p);
        }
    }
}

/// A case's inputs: the text between `# %%` lines, blank lines at either end dropped.
fn inputs(text: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut flush = |lines: &mut Vec<&str>| {
        let joined = lines.join("\n");
        let trimmed = joined.trim_matches('\n');
        if !trimmed.trim().is_empty() {
            all.push(format!("{trimmed}\n"));
        }
        lines.clear();
    };
    for line in text.lines() {
        if line.starts_with("# %%") {
            flush(&mut current);
        } else {
            current.push(line);
        }
    }
    flush(&mut current);
    all
}

/// A fresh working directory with the fixtures.
fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("robustness").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("make the working directory");
    let fifo = Command::new("mkfifo").arg(dir.join("fifo")).status().expect("mkfifo runs");
    assert!(fifo.success(), "mkfifo failed");
    std::fs::write(dir.join("big.yaml"), big_manifest()).expect("write big.yaml");
    dir
}

/// A valid ConfigMap manifest a little over the request limit.
fn big_manifest() -> String {
    let head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: ";
    format!("{head}{}\n", "x".repeat(REQUEST_LIMIT - head.len()))
}

/// Runs `kubesim ARGS` in `dir` with `stdin`; returns the merged output and how it ended.
fn kubesim(dir: &Path, args: &[&str], stdin: &str) -> (String, Result<i32, String>) {
    let (mut reader, writer) = std::io::pipe().expect("a pipe");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(writer.try_clone().expect("clone the pipe"))
        .stderr(writer)
        .spawn()
        .expect("kubesim starts");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_string();
    let feeder = std::thread::spawn(move || {
        // The process may end (or crash) before it reads everything.
        let _ = input.write_all(stdin.as_bytes());
    });
    let collector = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        bytes
    });
    let started = Instant::now();
    let ended = loop {
        if let Some(status) = child.try_wait().expect("wait for kubesim") {
            break match status.code() {
                Some(code) => Ok(code),
                None => Err(format!("killed by a signal ({status})")),
            };
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            break Err(format!("still running after {}s", HANG.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = feeder.join();
    let bytes = collector.join().expect("collect output");
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    for shown in [std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()), dir.to_path_buf()] {
        text = text.replace(&shown.display().to_string(), "$WORKDIR");
    }
    (text, ended)
}

/// Problems with how a process ended, for the report.
fn check_end(what: &str, text: &str, ended: &Result<i32, String>, problems: &mut Vec<String>) {
    match ended {
        Ok(0 | 1) => {}
        Ok(code) => problems.push(format!("{what}: exit {code}")),
        Err(e) => problems.push(format!("{what}: {e}")),
    }
    if text.contains("panicked at") || text.contains("stack overflow") {
        problems.push(format!("{what}: a panic or stack overflow in the output"));
    }
}

fn compare(path: &Path, got: &str, update: bool, problems: &mut Vec<String>) {
    if update {
        std::fs::write(path, got).expect("write the expected output");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != got {
        problems.push(format!("output differs from {}:\n{got}", path.display()));
    }
}

#[test]
fn robustness_cases_leave_the_session_intact() {
    let root = root();
    let mut all = Vec::new();
    cases(&root.join("tests/robustness"), &mut all);
    assert!(!all.is_empty(), "no cases under tests/robustness");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for case in &all {
        let rel = case.strip_prefix(&root).unwrap_or(case).display().to_string();
        let name = rel.trim_start_matches("../").replace(['/', '.'], "_");
        let text = std::fs::read_to_string(case).expect("read the case");
        let own = inputs(&text);
        let mut problems = Vec::new();
        if own.is_empty() {
            problems.push("no inputs".to_string());
        }

        // One REPL session: a blank line after each input ends a YAML document.
        let dir = workdir(&name);
        let session: String = PROLOGUE
            .iter()
            .map(|s| format!("{s}\n"))
            .chain(own.iter().cloned())
            .chain(EPILOGUE.iter().map(|s| format!("{s}\n")))
            .map(|input| format!("{input}\n"))
            .collect();
        let (transcript, ended) = kubesim(&dir, &[], &session);
        check_end("REPL", &transcript, &ended, &mut problems);
        if !transcript.ends_with(INTACT) {
            problems.push("REPL: the session did not come through intact (the epilogue is missing)".to_string());
        }
        compare(&case.with_extension("out"), &transcript, update, &mut problems);

        // Each input alone as a script.
        let mut runs = String::new();
        for (i, input) in own.iter().enumerate() {
            let dir = workdir(&name);
            let file = format!("input-{}.rhai", i + 1);
            std::fs::write(dir.join(&file), input).expect("write the input");
            let (out, ended) = kubesim(&dir, &["run", &file], "");
            check_end(&format!("kubesim run {file}"), &out, &ended, &mut problems);
            let code = ended.map(|c| c.to_string()).unwrap_or_else(|e| e);
            runs.push_str(&format!("# %% kubesim run {file}\n{out}--- exit: {code}\n"));
        }
        compare(&case.with_extension("run.out"), &runs, update, &mut problems);

        failures.extend(problems.into_iter().map(|p| format!("{rel}: {p}")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_case_is_split_into_its_inputs() {
    let text = "# %% what it checks\nkubectl get pods\n# %% second\n\napiVersion: v1\nkind: Namespace\n\n# %%\nlet a = 1;\na\n";
    assert_eq!(inputs(text), ["kubectl get pods\n", "apiVersion: v1\nkind: Namespace\n", "let a = 1;\na\n"]);
    assert_eq!(big_manifest().len(), REQUEST_LIMIT + 1);
}
