//! issue 10: the file-access policy from the command line. By default `kubesim`, `kubesim run`
//! and the kernel read and write only under the working directory (and read the scripts named
//! on the command line); `--allow-read[=PATHS]` and `--allow-write[=PATHS]` widen that.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh folder with `work/` (where kubesim runs) and `outside/` holding a manifest and a
/// script.
fn tree(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubesim-file-access-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("work")).expect("a temporary directory");
    std::fs::create_dir_all(dir.join("outside")).expect("a temporary directory");
    std::fs::write(dir.join("outside/cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside}\n")
        .expect("written");
    std::fs::write(dir.join("outside/script.rhai"), "print(kubectl(\"apply -f ../outside/cm.yaml\"));\n")
        .expect("written");
    dir
}

/// `kubesim ARGS` in `work/`, with `stdin` piped in; stdout and stderr merged, then the exit code.
fn kubesim(work: &Path, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .args(args)
        .current_dir(work)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubesim runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("written");
    let Output { status, stdout, stderr } = child.wait_with_output().expect("kubesim ends");
    format!(
        "{}{}exit {}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr),
        status.code().unwrap_or(-1)
    )
}

#[test]
fn issue_10_run_reads_only_the_working_directory_and_named_scripts() {
    let dir = tree("run");
    let work = dir.join("work");
    // The script is named on the command line, so it may be read; the manifest it names may not.
    assert_eq!(
        kubesim(&work, &["run", "../outside/script.rhai"], ""),
        "../outside/script.rhai:1:7: error: reading ../outside/cm.yaml is not allowed: kubesim may read only under the working directory and ../outside/script.rhai; run kubesim with --allow-read=../outside/cm.yaml to allow it
    1 | print(kubectl(\"apply -f ../outside/cm.yaml\"));
      |       ^
exit 1"
    );
    assert_eq!(
        kubesim(&work, &["run", "--allow-read=../outside", "../outside/script.rhai"], ""),
        "configmap/outside created\nexit 0"
    );
    assert_eq!(
        kubesim(&work, &["--allow-read", "run", "../outside/script.rhai"], ""),
        "configmap/outside created\nexit 0"
    );
    assert_eq!(
        kubesim(&work, &["run", "--allow-read=", "../outside/script.rhai"], ""),
        "error: a value is required for '--allow-read[=<PATHS>]' but none was supplied\n\nFor more information, try '--help'.\nexit 2"
    );
    std::fs::remove_dir_all(&dir).expect("removed");
}

#[test]
fn issue_10_the_repl_writes_only_where_allowed() {
    let dir = tree("repl");
    let work = dir.join("work");
    let input = "show(\"here.svg\")\nshow(\"../outside/there.svg\")\n:load ../outside/script.rhai\n";
    let got = kubesim(&work, &[], input);
    assert!(got.contains("wrote here.svg ("), "{got}");
    assert!(work.join("here.svg").is_file());
    assert!(got.contains("show: writing ../outside/there.svg is not allowed: kubesim may write only under the working directory; run kubesim with --allow-write=../outside/there.svg to allow it"), "{got}");
    assert!(got.contains(":load: reading ../outside/script.rhai is not allowed"), "{got}");
    assert!(!dir.join("outside/there.svg").exists());
    let got = kubesim(&work, &["--allow-write=../outside", "--allow-read=../outside"], input);
    assert!(got.contains("wrote ../outside/there.svg ("), "{got}");
    assert!(got.contains("configmap/outside created"), "{got}");
    assert!(dir.join("outside/there.svg").is_file());
    std::fs::remove_dir_all(&dir).expect("removed");
}
