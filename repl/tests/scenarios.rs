//! Scenario scripts under `tests/scenarios/` run through `kubesim run`; each one's stdout,
//! stderr and exit code are compared with the `.out` file beside it (UPDATE_EXPECT=1 rewrites
//! them). Every scenario runs twice and must give byte-identical output (determinism).

use std::path::{Path, PathBuf};
use std::process::Command;

fn scenarios(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("tests/scenarios exists").filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            scenarios(&p, out);
        } else if p.extension().is_some_and(|e| e == "rhai") {
            out.push(p);
        }
    }
}

fn run(script: &Path, root: &Path) -> String {
    let rel = script.strip_prefix(root).unwrap_or(script);
    let output = Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .arg("run")
        .arg(rel)
        .current_dir(root)
        .output()
        .expect("kubesim runs");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.is_empty() {
        text.push_str("--- stderr ---\n");
        text.push_str(&stderr);
    }
    text.push_str(&format!("--- exit: {}\n", output.status.code().unwrap_or(-1)));
    text
}

#[test]
fn scenarios_match_expected_output_and_are_deterministic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut scripts = Vec::new();
    scenarios(&root.join("tests/scenarios"), &mut scripts);
    assert!(!scripts.is_empty(), "no scenario scripts found");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for script in &scripts {
        let got = run(script, &root);
        let again = run(script, &root);
        if got != again {
            failures.push(format!("{}: two runs differ (determinism)", script.display()));
        }
        let expected_path = script.with_extension("out");
        if update {
            std::fs::write(&expected_path, &got).expect("write expected output");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != got {
            failures.push(format!("{}: output differs from {}:\n{got}", script.display(), expected_path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
