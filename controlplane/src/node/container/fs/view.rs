//! A container's view of files: its own tree, with volumes mounted over path prefixes. A path
//! goes to the mount with the longest prefix of it (the latest of equal ones), else to the
//! container's own tree. A mount with no volumes costs nothing: the table is an empty `Vec`.

use super::tree::{parent, Entry, FsError, Node, Tree};
use super::Shared;

/// What backs a mount, for `df` and `mount`: the node's disk or memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountSource {
    Disk,
    Tmpfs,
}

/// One entry of the mount table (what CRI's `Mount` becomes inside the runtime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Where it appears in the container (normalized, never `/`).
    pub at: String,
    pub tree: Shared,
    /// The directory or file of `tree` mounted there (`/` for all of it).
    pub sub: String,
    pub read_only: bool,
    pub source: MountSource,
}

/// The credentials a container's processes run with (the OCI process's user, from the pod's
/// securityContext): what `id` prints and who owns the files they make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creds {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups, ascending, as the kernel keeps them.
    pub groups: Vec<u32>,
}

impl Default for Creds {
    /// busybox's root: in `root` and `wheel` by the image's `/etc/group`.
    fn default() -> Self {
        Creds { uid: 0, gid: 0, groups: vec![0, 10] }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Fs {
    root: Tree,
    mounts: Vec<Mount>,
    /// Who the container's processes are.
    pub creds: Creds,
    /// `readOnlyRootFilesystem`: the container's own tree refuses writes (its volumes do not).
    pub read_only_root: bool,
}

/// Where a path lands: the container's own tree or a mount, and the path inside it.
struct Route {
    mount: Option<usize>,
    inner: String,
}

impl Fs {
    /// A file system with only `/` and no mounts.
    pub fn new() -> Self {
        Fs::from_tree(Tree::new())
    }

    pub fn from_tree(root: Tree) -> Self {
        Fs { root, mounts: Vec::new(), creds: Creds::default(), read_only_root: false }
    }

    /// The container's own tree (its writable layer).
    pub fn root(&self) -> &Tree {
        &self.root
    }

    pub fn mounts(&self) -> &[Mount] {
        &self.mounts
    }

    /// Mount `m`, making its mount point (a directory, or a file for a file) as the runtime
    /// does before the bind mount.
    pub fn mount(&mut self, mut m: Mount) {
        m.at = super::normalize("/", &m.at);
        if m.at == "/" {
            return;
        }
        let file = m.tree.lock().is_file(&m.sub);
        if file {
            let _ = self.mkdir(parent(&m.at), true);
            if self.get(&m.at).is_none() {
                let _ = self.write(&m.at, b"", false);
            }
        } else {
            // With its parents, in the same tree.
            let _ = self.mkdir(&m.at, true);
        }
        self.mounts.push(m);
    }

    fn route(&self, path: &str) -> Route {
        let mut best: Option<usize> = None;
        for (i, m) in self.mounts.iter().enumerate() {
            let under = path == m.at || path.starts_with(&m.at) && path.as_bytes().get(m.at.len()) == Some(&b'/');
            if under && best.is_none_or(|b| self.mounts[b].at.len() <= m.at.len()) {
                best = Some(i);
            }
        }
        match best {
            None => Route { mount: None, inner: path.to_string() },
            Some(i) => {
                let m = &self.mounts[i];
                let rest = &path[m.at.len()..];
                let inner = match (m.sub.as_str(), rest) {
                    ("/", "") => "/".to_string(),
                    ("/", rest) => rest.to_string(),
                    (sub, rest) => format!("{sub}{rest}"),
                };
                Route { mount: Some(i), inner }
            }
        }
    }

    fn read_with<R>(&self, path: &str, f: impl FnOnce(&Tree, &str) -> R) -> R {
        let r = self.route(path);
        match r.mount {
            None => f(&self.root, &r.inner),
            Some(i) => f(&self.mounts[i].tree.lock(), &r.inner),
        }
    }

    /// Run a change on the tree `path` lands in, unless that is mounted read-only.
    fn write_with<R>(
        &mut self,
        path: &str,
        f: impl FnOnce(&mut Tree, &str) -> Result<R, FsError>,
    ) -> Result<R, FsError> {
        let r = self.route(path);
        match r.mount {
            None if self.read_only_root => Err(FsError::ReadOnly),
            None => f(&mut self.root, &r.inner),
            Some(i) if self.mounts[i].read_only => Err(FsError::ReadOnly),
            Some(i) => f(&mut self.mounts[i].tree.lock(), &r.inner),
        }
    }

    pub fn get(&self, path: &str) -> Option<Node> {
        self.read_with(path, |t, p| t.get(p).cloned())
    }

    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.get(path), Some(Node::Dir))
    }

    pub fn is_file(&self, path: &str) -> bool {
        matches!(self.get(path), Some(Node::File(_)))
    }

    /// The permission bits of `path`.
    pub fn mode(&self, path: &str) -> u32 {
        self.read_with(path, |t, p| t.mode(p))
    }

    /// Who owns `path`: user and group ids.
    pub fn owner(&self, path: &str) -> (u32, u32) {
        self.read_with(path, |t, p| t.owner(p))
    }

    /// Whether what is made at `path` is root's with nothing to note: root makes it in the
    /// container's own tree, where no directory is set-group-ID (only a volume's root is).
    fn plain(&self, path: &str) -> bool {
        self.creds.uid == 0 && self.creds.gid == 0 && self.route(path).mount.is_none()
    }

    /// A new file or directory at `path` belongs to the processes' user and group, or to its
    /// directory's group when that directory is set-group-ID (its new directories are too).
    fn own_new(&mut self, path: &str, dir: bool) {
        let up = parent(path).to_string();
        let (up_mode, (_, up_gid)) = (self.mode(&up), self.owner(&up));
        let inherit = up_mode & super::tree::SETGID != 0;
        let gid = if inherit { up_gid } else { self.creds.gid };
        let uid = self.creds.uid;
        // Root's files in an ordinary directory: nothing to note.
        if (uid, gid) == (0, 0) && !inherit {
            return;
        }
        let _ = self.write_with(path, |t, p| {
            t.set_owner(p, uid, gid);
            if dir && inherit {
                t.set_mode(p, t.mode(p) | super::tree::SETGID);
            }
            Ok(())
        });
    }

    /// The bytes the container's own files hold.
    pub fn used(&self) -> usize {
        self.root.used()
    }

    pub fn read(&self, path: &str) -> Result<std::sync::Arc<Vec<u8>>, FsError> {
        self.read_with(path, |t, p| t.read(p))
    }

    /// Write `data` to the file at `path` (made if missing), replacing or appending.
    pub fn write(&mut self, path: &str, data: &[u8], append: bool) -> Result<(), FsError> {
        if self.plain(path) {
            return self.write_with(path, |t, p| t.write(p, data, append));
        }
        let new = self.get(path).is_none();
        self.write_with(path, |t, p| t.write(p, data, append))?;
        if new {
            self.own_new(path, false);
        }
        Ok(())
    }

    /// Make a directory; with `parents`, its missing parents too and no error if it exists.
    pub fn mkdir(&mut self, path: &str, parents: bool) -> Result<(), FsError> {
        let exists = self.get(path);
        // The directories this makes (with `parents`, the missing ones above it too).
        let mut made = Vec::new();
        if exists.is_none() && !self.plain(path) {
            let mut at = path.to_string();
            while at != "/" && self.get(&at).is_none() {
                made.push(at.clone());
                at = parent(&at).to_string();
            }
        }
        match self.write_with(path, |t, p| t.mkdir(p, parents)) {
            // `mkdir -p` of a directory that is there succeeds, read-only or not.
            Err(FsError::ReadOnly) if parents && matches!(exists, Some(Node::Dir)) => Ok(()),
            Err(FsError::ReadOnly) if exists.is_some() => Err(FsError::Exists),
            Ok(()) => {
                for d in made.iter().rev() {
                    if self.is_dir(d) {
                        self.own_new(d, true);
                    }
                }
                Ok(())
            }
            r => r,
        }
    }

    /// The entries of directory `dir`, by name; mount points show what is mounted on them.
    pub fn list(&self, dir: &str) -> Result<Vec<Entry>, FsError> {
        let mut entries = self.read_with(dir, |t, p| t.list(p))?;
        for m in self.mounts.iter().filter(|m| parent(&m.at) == dir) {
            let name = super::base(&m.at);
            let (node, mode, owner) = {
                let t = m.tree.lock();
                (t.get(&m.sub).cloned(), t.mode(&m.sub), t.owner(&m.sub))
            };
            let Some(node) = node else { continue };
            let (is_dir, size) = match node {
                Node::Dir => (true, 4096),
                Node::File(d) => (false, d.len()),
            };
            let entry = Entry { name: name.to_string(), dir: is_dir, size, mode, owner };
            match entries.binary_search_by(|e| e.name.as_str().cmp(name)) {
                Ok(i) => entries[i] = entry,
                Err(i) => entries.insert(i, entry),
            }
        }
        Ok(entries)
    }

    /// A mount point, or a directory holding one, cannot go: `rm -r` of a mount point
    /// empties it first, as rm's walk would, then fails.
    fn busy(&mut self, path: &str, recursive: bool) -> Option<FsError> {
        let below = |m: &Mount| m.at.starts_with(path) && m.at.as_bytes().get(path.len()) == Some(&b'/') || path == "/";
        if let Some(m) = self.mounts.iter().rev().find(|m| m.at == path) {
            if recursive && !m.read_only {
                let mut t = m.tree.lock();
                for e in t.list(&m.sub).unwrap_or_default() {
                    let child = if m.sub == "/" { format!("/{}", e.name) } else { format!("{}/{}", m.sub, e.name) };
                    let _ = t.remove(&child, true, false);
                }
            }
            return Some(if m.read_only { FsError::ReadOnly } else { FsError::Busy });
        }
        self.mounts.iter().any(below).then_some(FsError::Busy)
    }

    /// Remove a file, or with `recursive` a directory and what it holds; an empty directory
    /// goes with `dir_ok` (rmdir).
    pub fn remove(&mut self, path: &str, recursive: bool, dir_ok: bool) -> Result<(), FsError> {
        if self.get(path).is_none() {
            return Err(FsError::NotFound);
        }
        if let Some(e) = self.busy(path, recursive) {
            return Err(e);
        }
        self.write_with(path, |t, p| t.remove(p, recursive, dir_ok))
    }

    /// Move `from` (a file or a directory with its contents) to `to`; across file systems by
    /// copying, as `mv` does.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), FsError> {
        if self.get(from).is_none() {
            return Err(FsError::NotFound);
        }
        if let Some(e) = self.busy(from, false) {
            return Err(e);
        }
        let (a, b) = (self.route(from), self.route(to));
        if a.mount == b.mount {
            return self.write_with(from, |t, _| t.rename(&a.inner, &b.inner));
        }
        let entries = self.read_with(from, |t, p| t.export(p));
        match self.get(to) {
            Some(Node::Dir) => return Err(FsError::IsDir),
            Some(Node::File(_)) => self.remove(to, false, false)?,
            None => {}
        }
        self.write_with(to, |t, p| t.import(p, &entries))?;
        self.write_with(from, |t, p| t.remove(p, true, false))
    }
}
