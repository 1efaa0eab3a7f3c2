//! Any bytes as a file kubectl reads (`apply -f`, `create -f`, `delete -f`, `-o jsonpath-file=`,
//! `-o custom-columns-file=`, `--from-file`), through the file-access policy: an error or a
//! result, never a panic.
#![no_main]

use controlplane::fileaccess::FileAccess;
use controlplane::kubectl::{run_line, Input};
use controlplane::sim::{Cluster, ClusterConfig};
use libfuzzer_sys::fuzz_target;

const LINES: &[&str] = &[
    "apply -f input.yaml",
    "create -f input.yaml",
    "get pods -A -o jsonpath-file=input.yaml",
    "get pods -A -o custom-columns-file=input.yaml",
    "create configmap c --from-file=input.yaml --from-env-file=input.yaml",
    "delete -f input.yaml",
    "apply -f . -R",
];

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("kubesim-fuzz-files-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_err() || std::fs::write(dir.join("input.yaml"), data).is_err() {
        return;
    }
    let files = FileAccess::working_directory(&dir);
    let mut cluster = Cluster::new(ClusterConfig { workers: 1, ..Default::default() });
    for line in LINES {
        let _ = run_line(&mut cluster, line, Input { stdin: None, files: &files, interactive: false });
    }
});
