//! `kubesim kernel install` as a user runs it: where the kernelspec goes (Jupyter's rules:
//! JUPYTER_DATA_DIR, the active environment, a prefix), what kernel.json says, and the note
//! when Jupyter would not look there (JUPYTER_PATH).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubesim-install-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Run `kubesim kernel ARGS` with only the given Jupyter variables set.
fn kernel(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubesim"));
    cmd.arg("kernel").args(args);
    for var in ["JUPYTER_DATA_DIR", "JUPYTER_PATH", "VIRTUAL_ENV", "CONDA_PREFIX"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("kubesim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn user_install_honours_jupyter_data_dir() {
    let data = dir("user");
    let out = kernel(&["install", "--user"], &[("JUPYTER_DATA_DIR", &data)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let spec_dir = data.join("kernels/kubesim");
    assert_eq!(text(&out.stdout), format!("Installed kernelspec kubesim in {}\n", spec_dir.display()));
    assert_eq!(text(&out.stderr), "", "Jupyter looks in JUPYTER_DATA_DIR: no note");
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec_dir.join("kernel.json")).expect("kernel.json"))
            .expect("JSON");
    let program = std::fs::canonicalize(env!("CARGO_BIN_EXE_kubesim")).expect("the binary");
    assert_eq!(
        spec["argv"],
        serde_json::json!([program.to_string_lossy(), "kernel", "--connection-file", "{connection_file}"])
    );
    assert_eq!(spec["display_name"], "kubesim (Rhai)");
    assert_eq!(spec["language"], "rhai");
    assert_eq!(spec["interrupt_mode"], "message");
    for logo in ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"] {
        assert!(spec_dir.join(logo).is_file(), "{logo}");
    }
    // The default is the user's directory too.
    let again = kernel(&["install"], &[("JUPYTER_DATA_DIR", &data)]);
    assert!(again.status.success());
}

#[test]
fn sys_prefix_installs_into_the_active_environment() {
    let env = dir("venv");
    let out = kernel(&["install", "--sys-prefix"], &[("VIRTUAL_ENV", &env)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(env.join("share/jupyter/kernels/kubesim/kernel.json").is_file());
    let none = kernel(&["install", "--sys-prefix"], &[]);
    assert!(!none.status.success());
    assert_eq!(
        text(&none.stderr),
        "kubesim: --sys-prefix needs an active Python environment (VIRTUAL_ENV or CONDA_PREFIX is not set)\n"
    );
}

#[test]
fn a_prefix_outside_jupyter_path_gets_a_note() {
    let prefix = dir("prefix");
    let data = prefix.join("share/jupyter");
    let out = kernel(&["install", "--prefix", prefix.to_str().expect("a path")], &[]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stderr),
        format!(
            "kubesim: Jupyter does not look in {} for kernels; add it to JUPYTER_PATH (export JUPYTER_PATH={})\n",
            data.display(),
            data.display()
        )
    );
    let seen = kernel(&["install", "--prefix", prefix.to_str().expect("a path")], &[("JUPYTER_PATH", &data)]);
    assert_eq!(text(&seen.stderr), "", "on JUPYTER_PATH: no note");
}

#[test]
fn kernel_without_a_connection_file_says_what_it_needs() {
    let out = kernel(&[], &[]);
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        "kubesim: kubesim kernel needs --connection-file FILE (Jupyter passes it), or `kubesim kernel install` to install the kernelspec\n"
    );
    let missing = kernel(&["--connection-file", "/nonexistent/kernel-1.json"], &[]);
    assert!(text(&missing.stderr).starts_with("kubesim: cannot read the connection file /nonexistent/kernel-1.json: "));
    let bad = dir("bad");
    std::fs::write(bad.join("c.json"), "{\"ip\": 1}").expect("written");
    let invalid = kernel(&["--connection-file", bad.join("c.json").to_str().expect("a path")], &[]);
    assert!(text(&invalid.stderr).contains("is not a Jupyter connection file"), "{}", text(&invalid.stderr));
}

/// issue 10: `kernel install --allow-read/--allow-write` writes the grants into the
/// kernelspec's argv, with paths made absolute (the kernel starts in the notebook's folder);
/// `--allow-net`'s hosts go as given.
#[test]
fn issue_10_install_writes_the_file_grants_into_argv() {
    let data = dir("grants");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubesim"));
    cmd.current_dir(&data).args([
        "kernel",
        "install",
        "--allow-read=manifests,/etc/kubesim",
        "--allow-write",
        "--allow-net=example.com,127.0.0.1",
    ]);
    for var in ["JUPYTER_PATH", "VIRTUAL_ENV", "CONDA_PREFIX"] {
        cmd.env_remove(var);
    }
    let out = cmd.env("JUPYTER_DATA_DIR", &data).output().expect("kubesim runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("kernels/kubesim/kernel.json")).expect("kernel.json"))
            .expect("JSON");
    let program = std::fs::canonicalize(env!("CARGO_BIN_EXE_kubesim")).expect("the binary");
    // The working directory as the OS names it (the temporary folder may be a symlink).
    let manifests = std::fs::canonicalize(&data).expect("the folder").join("manifests");
    assert_eq!(
        spec["argv"],
        serde_json::json!([
            program.to_string_lossy(),
            "kernel",
            format!("--allow-read={},/etc/kubesim", manifests.display()),
            "--allow-write",
            "--allow-net=example.com,127.0.0.1",
            "--connection-file",
            "{connection_file}"
        ])
    );
    // Without grants, the argv has none.
    let plain = kernel(&["install"], &[("JUPYTER_DATA_DIR", &data)]);
    assert!(plain.status.success());
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("kernels/kubesim/kernel.json")).expect("kernel.json"))
            .expect("JSON");
    assert_eq!(spec["argv"].as_array().map(Vec::len), Some(4));
}
