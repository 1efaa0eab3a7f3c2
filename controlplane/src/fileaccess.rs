//! The file-access policy: which host files a session may read and write, in the spirit of
//! Deno's `--allow-read`/`--allow-write`. By default a session may read and write under its
//! working directory; flags widen that. Every file kubectl or a script function opens goes
//! through [`FileAccess`], so a notebook or script someone else wrote cannot read or clobber
//! files elsewhere.
//!
//! Paths are resolved as the OS would open them (symlinks followed, `..` taken) before the
//! check, and the resolved path is what is opened, so neither `../` nor a symlink escapes.
//! Reads are bounded: only regular files (a FIFO or a device could block or never end), of at
//! most [`READ_LIMIT`] bytes.
//!
//! kubectl's `-f URL` fetches over HTTP(S) from the hosts the policy names (`net.rs`): by
//! default those the Kubernetes documentation's `https://k8s.io/examples/...` go through,
//! `--allow-net` for others.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

/// The most a file read may hold: kube-apiserver's limit on a request body (3 MiB), so no
/// manifest it would accept is refused.
pub const READ_LIMIT: u64 = 3 * 1024 * 1024;

/// How many symlinks one path may go through (Linux's limit).
const MAX_SYMLINKS: u32 = 40;

/// Reading or writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    fn verb(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    fn gerund(self) -> &'static str {
        match self {
            Access::Read => "reading",
            Access::Write => "writing",
        }
    }
}

/// Why a file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{} {path} is not allowed: kubesim may {} {allowed}; run kubesim with --allow-{}={path} to allow it", .access.gerund(), .access.verb(), .access.verb())]
    Denied { access: Access, path: String, allowed: String },
    #[error("cannot {} {path}: it is {what}; kubesim {}s only regular files", .access.verb(), .access.verb())]
    NotRegular { access: Access, path: String, what: &'static str },
    #[error("cannot read {path}: it is {size} bytes; kubesim reads files of at most {READ_LIMIT} bytes (kube-apiserver's request limit)")]
    TooLarge { path: String, size: u64 },
    #[error("cannot {} {path:?}: {source}", .access.verb())]
    Io { access: Access, path: String, source: io::Error },
    #[error("fetching {url} is not allowed: kubesim may fetch only from {allowed}; run kubesim with --allow-net={host} to allow it")]
    NetDenied { url: String, host: String, allowed: String },
    /// A fetch that failed, in kubectl's words.
    #[error("{0}")]
    Fetch(String),
}

impl FileError {
    /// The OS error, for callers that word it as kubectl does.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            FileError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// An entry of a directory: its name, and whether it is a directory itself (a symlink to one
/// is not, as Go's `filepath.Walk` has it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub is_dir: bool,
}

/// A place a grant covers: its resolved path, and how messages name it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Root {
    path: PathBuf,
    shown: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Grant {
    Everywhere,
    Under(Vec<Root>),
}

impl Grant {
    fn covers(&self, path: &Path) -> bool {
        match self {
            Grant::Everywhere => true,
            Grant::Under(roots) => roots.iter().any(|r| path.starts_with(&r.path)),
        }
    }

    fn add(&mut self, root: Root) {
        if let Grant::Under(roots) = self {
            if !roots.iter().any(|r| root.path.starts_with(&r.path)) {
                roots.push(root);
            }
        }
    }

    /// "only under A and B", for the refusal.
    fn describe(&self) -> String {
        let Grant::Under(roots) = self else { return "anywhere".into() };
        let names: Vec<&str> = roots.iter().map(|r| r.shown.as_str()).collect();
        match names.split_last() {
            None => "no files".into(),
            Some((last, [])) => format!("only under {last}"),
            Some((last, rest)) => format!("only under {} and {last}", rest.join(", ")),
        }
    }
}

/// What a session may read and write. The default allows nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAccess {
    /// What relative paths are relative to (the working directory), resolved.
    base: Option<PathBuf>,
    read: Grant,
    write: Grant,
    net: net::Hosts,
}

static NO_FILES: FileAccess = FileAccess::none();

impl Default for FileAccess {
    fn default() -> Self {
        FileAccess::none()
    }
}

impl FileAccess {
    /// Nothing may be read or written.
    pub const fn none() -> FileAccess {
        FileAccess {
            base: None,
            read: Grant::Under(Vec::new()),
            write: Grant::Under(Vec::new()),
            net: net::Hosts::Only(Vec::new()),
        }
    }

    /// A shared policy that allows nothing.
    pub fn no_files() -> &'static FileAccess {
        &NO_FILES
    }

    /// Read and write under `dir`, the working directory; relative paths are relative to it.
    pub fn working_directory(dir: &Path) -> FileAccess {
        let mut access = FileAccess::none();
        // Absolute first: an empty root would cover every path.
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let base = access.resolve(&dir).unwrap_or(dir);
        let root = Root { path: base.clone(), shown: "the working directory".into() };
        access.read.add(root.clone());
        access.write.add(root);
        access.base = Some(base);
        access.net = net::Hosts::docs();
        access
    }

    /// `--allow-read`: everywhere (`None`), or also under each of `paths`.
    pub fn allow_read(&mut self, paths: Option<&[PathBuf]>) {
        self.read = self.widened(&self.read, paths);
    }

    /// `--allow-net`: fetch from any host (`None`), or also from each of `hosts`.
    pub fn allow_net(&mut self, hosts: Option<&[String]>) {
        self.net.widen(hosts);
    }

    /// `--allow-write`: everywhere (`None`), or also under each of `paths`.
    pub fn allow_write(&mut self, paths: Option<&[PathBuf]>) {
        self.write = self.widened(&self.write, paths);
    }

    fn widened(&self, grant: &Grant, paths: Option<&[PathBuf]>) -> Grant {
        let Some(paths) = paths else { return Grant::Everywhere };
        let mut grant = grant.clone();
        for p in paths {
            // A path that cannot be resolved (a symlink loop) is kept as written: it then
            // covers nothing that resolves.
            let path = self.resolve(p).unwrap_or_else(|_| p.clone());
            grant.add(Root { path, shown: p.display().to_string() });
        }
        grant
    }

    /// `path` as the OS would open it: absolute, symlinks followed, `..` taken. The last part
    /// may not exist yet (a file to write).
    pub fn resolve(&self, path: &Path) -> io::Result<PathBuf> {
        let mut out = self.base.clone().unwrap_or_default();
        let mut budget = MAX_SYMLINKS;
        push_resolved(&mut out, path, &mut budget)?;
        Ok(out)
    }

    /// The resolved path, if `access` to it is allowed.
    fn check(&self, access: Access, path: &str) -> Result<PathBuf, FileError> {
        let resolved =
            self.resolve(Path::new(path)).map_err(|source| FileError::Io { access, path: path.into(), source })?;
        let grant = match access {
            Access::Read => &self.read,
            Access::Write => &self.write,
        };
        if grant.covers(&resolved) {
            Ok(resolved)
        } else {
            Err(FileError::Denied { access, path: path.into(), allowed: grant.describe() })
        }
    }

    /// Whether `path` is a directory this policy lets one read.
    pub fn is_dir(&self, path: &str) -> bool {
        self.check(Access::Read, path).is_ok_and(|p| p.is_dir())
    }

    /// The text of a regular file of at most [`READ_LIMIT`] bytes.
    pub fn read(&self, path: &str) -> Result<String, FileError> {
        let bytes = self.read_bytes(path)?;
        String::from_utf8(bytes).map_err(|_| FileError::Io {
            access: Access::Read,
            path: path.into(),
            source: io::Error::new(io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"),
        })
    }

    /// The bytes of a regular file of at most [`READ_LIMIT`] bytes.
    pub fn read_bytes(&self, path: &str) -> Result<Vec<u8>, FileError> {
        let access = Access::Read;
        let resolved = self.check(access, path)?;
        let io = |source| FileError::Io { access, path: path.into(), source };
        // Looked at before opening: opening a FIFO for reading waits for a writer.
        let meta = std::fs::metadata(&resolved).map_err(io)?;
        regular(&meta, access, path)?;
        let mut file = open(&resolved, OpenOptions::new().read(true)).map_err(io)?;
        // Looked at again on the open file, in case the path changed in between.
        let meta = file.metadata().map_err(io)?;
        regular(&meta, access, path)?;
        if meta.len() > READ_LIMIT {
            return Err(FileError::TooLarge { path: path.into(), size: meta.len() });
        }
        let mut bytes = Vec::new();
        (&mut file).take(READ_LIMIT + 1).read_to_end(&mut bytes).map_err(io)?;
        if bytes.len() as u64 > READ_LIMIT {
            return Err(FileError::TooLarge { path: path.into(), size: bytes.len() as u64 });
        }
        Ok(bytes)
    }

    /// Make a directory and its missing parents (`os.MkdirAll`).
    pub fn create_dir(&self, path: &str) -> Result<(), FileError> {
        let access = Access::Write;
        let resolved = self.check(access, path)?;
        std::fs::create_dir_all(&resolved).map_err(|source| FileError::Io { access, path: path.into(), source })
    }

    /// Write `data` to a regular file, creating or replacing it.
    pub fn write(&self, path: &str, data: &[u8]) -> Result<(), FileError> {
        let access = Access::Write;
        let resolved = self.check(access, path)?;
        let io = |source| FileError::Io { access, path: path.into(), source };
        match std::fs::metadata(&resolved) {
            Ok(meta) => regular(&meta, access, path)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let mut file = open(&resolved, OpenOptions::new().write(true).create(true).truncate(true)).map_err(io)?;
        file.write_all(data).map_err(io)
    }

    /// The entries of a directory, in name order.
    pub fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FileError> {
        let access = Access::Read;
        let resolved = self.check(access, path)?;
        let io = |source| FileError::Io { access, path: path.into(), source };
        let mut entries: Vec<DirEntry> = std::fs::read_dir(&resolved)
            .map_err(io)?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                Some(DirEntry { name, is_dir })
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }
}

/// Append `path` to the resolved `out`, one component at a time, following symlinks.
fn push_resolved(out: &mut PathBuf, path: &Path, budget: &mut u32) -> io::Result<()> {
    for part in path.components() {
        match part {
            Component::Prefix(_) | Component::RootDir => out.push(part.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                // As the OS has it: `..` of what is not a directory does not exist.
                if !out.as_os_str().is_empty() && !out.is_dir() {
                    return Err(io::ErrorKind::NotFound.into());
                }
                out.pop();
            }
            Component::Normal(name) => {
                let next = out.join(name);
                match std::fs::symlink_metadata(&next) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        if *budget == 0 {
                            return Err(io::Error::other("too many levels of symbolic links"));
                        }
                        *budget -= 1;
                        let target = std::fs::read_link(&next)?;
                        push_resolved(out, &target, budget)?;
                    }
                    _ => *out = next,
                }
            }
        }
    }
    Ok(())
}

/// Refuse what is not a regular file; a directory gets the OS's own error.
fn regular(meta: &std::fs::Metadata, access: Access, path: &str) -> Result<(), FileError> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    if kind.is_dir() {
        return Err(FileError::Io { access, path: path.into(), source: io::ErrorKind::IsADirectory.into() });
    }
    Err(FileError::NotRegular { access, path: path.into(), what: file_kind(&kind) })
}

#[cfg(unix)]
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn file_kind(_: &std::fs::FileType) -> &'static str {
    "not a regular file"
}

/// Open without waiting: should the path have become a FIFO since it was looked at, opening
/// it fails or returns at once instead of waiting for the other end.
fn open(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NONBLOCK);
    options.open(path)
}

#[path = "fileaccess_net.rs"]
mod net;
pub use net::is_url;

#[cfg(test)]
#[path = "fileaccess_tests.rs"]
mod tests;
