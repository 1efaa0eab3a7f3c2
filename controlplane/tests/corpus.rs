//! Every manifest of the shared corpus (the Kubernetes docs' examples and kubernetes/examples)
//! is applied to a fresh default cluster; the per-file outcome is compared with
//! `tests/corpus/expected.txt`, so any change in what is accepted shows up in review.
//! Set UPDATE_EXPECT=1 to rewrite the expected file.
//!
//! The corpus lives beside the repository (`../shared/corpus`), or where KUBESIM_CORPUS says.
//! Without it the test says so and checks nothing.

use std::path::{Path, PathBuf};

use controlplane::kubectl::apply::apply_text;
use controlplane::sim::{Cluster, ClusterConfig};

fn corpus_dir() -> PathBuf {
    match std::env::var_os("KUBESIM_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    }
}

fn manifests(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            manifests(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
            out.push(p);
        }
    }
}

/// The outcome of applying every corpus file, one block per file.
fn outcomes(dir: &Path) -> (String, usize) {
    let mut files = Vec::new();
    manifests(dir, &mut files);
    let mut report = String::new();
    for path in &files {
        let rel = path.strip_prefix(dir).unwrap_or(path).display().to_string();
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => format!("unreadable: {e}"),
        };
        let mut cluster = Cluster::new(ClusterConfig::default());
        report.push_str(&rel);
        report.push('\n');
        for outcome in apply_text(&mut cluster, &text, &rel, "default") {
            let line = match outcome {
                Ok(l) => l,
                Err(e) => e,
            };
            for l in line.lines() {
                report.push_str("  ");
                report.push_str(l);
                report.push('\n');
            }
        }
    }
    (report, files.len())
}

#[test]
fn corpus_applies_or_fails_clearly() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!("corpus not found at {}: the corpus test checked nothing (set KUBESIM_CORPUS)", dir.display());
        return;
    }
    let (report, count) = outcomes(&dir);
    assert!(count >= 600, "expected the whole corpus, found {count} files in {}", dir.display());
    let expected_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/expected.txt");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expected_path, &report).expect("write expected outcomes");
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    if expected != report {
        let diff: Vec<String> = report
            .lines()
            .zip(expected.lines().chain(std::iter::repeat("<missing>")))
            .filter(|(a, b)| a != b)
            .take(20)
            .map(|(got, want)| format!("  got:  {got}\n  want: {want}"))
            .collect();
        panic!("corpus outcomes changed (UPDATE_EXPECT=1 to accept):\n{}", diff.join("\n"));
    }
    println!("corpus: {count} files, outcomes as expected");
}

#[test]
fn corpus_runs_are_deterministic() {
    let dir = corpus_dir().join("website-examples/controllers");
    if !dir.is_dir() {
        println!("corpus not found: determinism over the corpus checked nothing");
        return;
    }
    assert_eq!(outcomes(&dir), outcomes(&dir));
}
