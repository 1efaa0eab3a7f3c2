//! `kubesim kernel install`: the kernelspec `kubesim` (kernel.json and logos) where Jupyter
//! looks for kernels, with Jupyter's own rules for where that is.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::KernelError;

/// The kernelspec's name (the folder under `kernels/`).
pub const NAME: &str = "kubesim";
pub const DISPLAY_NAME: &str = "kubesim (Rhai)";

const LOGO_SVG: &[u8] = include_bytes!("../assets/logo-svg.svg");
const LOGO_32: &[u8] = include_bytes!("../assets/logo-32x32.png");
const LOGO_64: &[u8] = include_bytes!("../assets/logo-64x64.png");

/// Which Jupyter data directory to install into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The user's: `$JUPYTER_DATA_DIR`, else the platform's (`~/.local/share/jupyter`).
    User,
    /// The active Python environment's (`$VIRTUAL_ENV` or `$CONDA_PREFIX`): `<prefix>/share/jupyter`.
    SysPrefix,
    /// `<DIR>/share/jupyter`.
    Prefix(PathBuf),
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The kernelspec's folder.
    pub path: PathBuf,
    /// Set when Jupyter will not look in the data directory installed into.
    pub warning: Option<String>,
}

/// Install the kernelspec whose kernel is `program` (this binary) run with `flags` (the
/// file-access grants), replacing an older one.
pub fn install(target: &Target, program: &Path, flags: &[String]) -> Result<Installed, KernelError> {
    let data = data_dir(target)?;
    let path = data.join("kernels").join(NAME);
    let failed = |source| KernelError::Install { path: path.clone(), source };
    std::fs::create_dir_all(&path).map_err(failed)?;
    let spec = kernel_json(program, flags);
    let text = serde_json::to_string_pretty(&spec).expect("a JSON value serialises") + "\n";
    std::fs::write(path.join("kernel.json"), text).map_err(failed)?;
    std::fs::write(path.join("logo-svg.svg"), LOGO_SVG).map_err(failed)?;
    std::fs::write(path.join("logo-32x32.png"), LOGO_32).map_err(failed)?;
    std::fs::write(path.join("logo-64x64.png"), LOGO_64).map_err(failed)?;
    let warning = (!searched(&data)).then(|| {
        format!(
            "Jupyter does not look in {} for kernels; add it to JUPYTER_PATH (export JUPYTER_PATH={})",
            data.display(),
            data.display()
        )
    });
    Ok(Installed { path, warning })
}

/// kernel.json: how Jupyter starts the kernel and what it calls it.
pub fn kernel_json(program: &Path, flags: &[String]) -> serde_json::Value {
    let mut argv = vec![program.to_string_lossy().into_owned(), "kernel".into()];
    argv.extend(flags.iter().cloned());
    argv.extend(["--connection-file".into(), "{connection_file}".into()]);
    json!({
        "argv": argv,
        "display_name": DISPLAY_NAME,
        "language": "rhai",
        "interrupt_mode": "message",
        "metadata": { "debugger": false },
    })
}

/// The Jupyter data directory of `target`.
fn data_dir(target: &Target) -> Result<PathBuf, KernelError> {
    match target {
        Target::User => user_data_dir(),
        Target::SysPrefix => sys_prefix().map(|p| p.join("share").join("jupyter")).ok_or_else(|| {
            KernelError::NoPrefix(
                "--sys-prefix needs an active Python environment (VIRTUAL_ENV or CONDA_PREFIX is not set)".to_string(),
            )
        }),
        Target::Prefix(dir) => Ok(dir.join("share").join("jupyter")),
    }
}

/// The user's Jupyter data directory, as jupyter_core finds it.
fn user_data_dir() -> Result<PathBuf, KernelError> {
    if let Some(dir) = non_empty_var("JUPYTER_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let home = dirs::home_dir();
    if cfg!(target_os = "macos") {
        if let Some(home) = home {
            return Ok(home.join("Library").join("Jupyter"));
        }
    } else if cfg!(windows) {
        if let Some(app_data) = non_empty_var("APPDATA") {
            return Ok(PathBuf::from(app_data).join("jupyter"));
        }
    } else if let Some(xdg) = non_empty_var("XDG_DATA_HOME") {
        return Ok(PathBuf::from(xdg).join("jupyter"));
    } else if let Some(home) = home {
        return Ok(home.join(".local").join("share").join("jupyter"));
    }
    Err(KernelError::NoPrefix("no home directory to install into: set JUPYTER_DATA_DIR, or use --prefix".to_string()))
}

fn sys_prefix() -> Option<PathBuf> {
    non_empty_var("VIRTUAL_ENV").or_else(|| non_empty_var("CONDA_PREFIX")).map(PathBuf::from)
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Whether Jupyter searches `data` for kernels: the JUPYTER_PATH entries, the user's data
/// directory, the environment's and the system's.
fn searched(data: &Path) -> bool {
    let mut dirs: Vec<PathBuf> =
        non_empty_var("JUPYTER_PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    dirs.extend(user_data_dir().ok());
    dirs.extend(sys_prefix().map(|p| p.join("share").join("jupyter")));
    dirs.push(PathBuf::from("/usr/local/share/jupyter"));
    dirs.push(PathBuf::from("/usr/share/jupyter"));
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let data = canonical(data);
    dirs.iter().any(|d| canonical(d) == data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_json_runs_this_binary_with_message_interrupts() {
        let spec = kernel_json(Path::new("/opt/kubesim/bin/kubesim"), &[]);
        assert_eq!(
            spec,
            json!({
                "argv": ["/opt/kubesim/bin/kubesim", "kernel", "--connection-file", "{connection_file}"],
                "display_name": "kubesim (Rhai)",
                "language": "rhai",
                "interrupt_mode": "message",
                "metadata": { "debugger": false },
            })
        );
        // The file-access grants go before the connection file.
        let flags = ["--allow-read".to_string(), "--allow-write=/data,/tmp".to_string()];
        let spec = kernel_json(Path::new("/opt/kubesim/bin/kubesim"), &flags);
        assert_eq!(
            spec["argv"],
            json!([
                "/opt/kubesim/bin/kubesim",
                "kernel",
                "--allow-read",
                "--allow-write=/data,/tmp",
                "--connection-file",
                "{connection_file}"
            ])
        );
    }

    #[test]
    fn prefix_installs_under_share_jupyter() {
        let dir = std::env::temp_dir().join(format!("kubesim-install-test-{}", std::process::id()));
        let installed = install(&Target::Prefix(dir.clone()), Path::new("/bin/kubesim"), &[]).expect("installs");
        assert_eq!(installed.path, dir.join("share/jupyter/kernels/kubesim"));
        for file in ["kernel.json", "logo-svg.svg", "logo-32x32.png", "logo-64x64.png"] {
            assert!(installed.path.join(file).is_file(), "{file}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
