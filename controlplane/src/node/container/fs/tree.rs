//! One file system in memory (a container's writable layer, a volume, a node's disk):
//! absolute paths to directories and files. Nothing here touches the host's files. The whole
//! tree is one map keyed by normalized path, so a directory's entries are a range of keys.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

/// What a write may add to one tree's files in all, unless it is made smaller: past it, writes
/// fail with `No space left on device`, so a script appending forever stays bounded.
pub const CAPACITY: usize = 16 << 20;

/// The mode of a file nobody set one for (0644).
pub const FILE_MODE: u32 = 0o644;
/// The mode of a directory nobody set one for (0755).
pub const DIR_MODE: u32 = 0o755;
/// The set-group-ID bit: a directory's new files take its group.
pub const SETGID: u32 = 0o2000;

/// A failed file operation, with the C library's words (`strerror`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FsError {
    #[error("No such file or directory")]
    NotFound,
    #[error("Not a directory")]
    NotDir,
    #[error("Is a directory")]
    IsDir,
    #[error("File exists")]
    Exists,
    #[error("Directory not empty")]
    NotEmpty,
    #[error("No space left on device")]
    NoSpace,
    #[error("Read-only file system")]
    ReadOnly,
    #[error("Resource busy")]
    Busy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir,
    File(Arc<Vec<u8>>),
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub dir: bool,
    pub size: usize,
    /// The permission bits (`0o644`), with setgid and the sticky bit.
    pub mode: u32,
    /// Its owner: user and group ids.
    pub owner: (u32, u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// By path; the paths shared, so that a copy of an image's tree (each container's own)
    /// copies the map, not its names.
    nodes: BTreeMap<Arc<str>, Node>,
    used: usize,
    capacity: usize,
    /// Files whose mode is not [`FILE_MODE`] (a ConfigMap volume's `defaultMode`) and
    /// directories whose mode is not [`DIR_MODE`]: few, so kept aside rather than in every node.
    modes: BTreeMap<String, u32>,
    /// Files and directories not owned by root: few, kept aside too.
    owners: BTreeMap<String, (u32, u32)>,
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

/// `path` made absolute against `cwd`, with `.`, `..` and doubled slashes resolved.
pub fn normalize(cwd: &str, path: &str) -> String {
    if is_normal(path) {
        return path.to_string();
    }
    // A relative path of plain names under a normal directory (a volume's files, most
    // operands a shell is given) is the two joined.
    if !path.starts_with('/') && plain_names(path) && is_normal(cwd) {
        let mut out = String::with_capacity(cwd.len() + 1 + path.len());
        if cwd != "/" {
            out.push_str(cwd);
        }
        out.push('/');
        out.push_str(path);
        return out;
    }
    by_components(cwd, path)
}

/// [`normalize`] the long way: `path` joined to `cwd`, then resolved component by component.
fn by_components(cwd: &str, path: &str) -> String {
    let joined = if path.starts_with('/') { path.to_string() } else { format!("{cwd}/{path}") };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Whether `path` is already as [`normalize`] makes it: absolute, without empty, `.` or `..`
/// components and without a trailing slash (most paths the kubelet and runtime write are).
fn is_normal(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    path.starts_with('/') && plain_names(&path[1..])
}

/// Whether `path` is names joined by single slashes: none empty (no leading, trailing or
/// doubled slash), `.` or `..`.
fn plain_names(path: &str) -> bool {
    path.split('/').all(|p| !matches!(p, "" | "." | ".."))
}

/// The directory holding `path` (`/` for `/`).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last component of `path`.
pub fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl Tree {
    /// A file system with only `/`.
    pub fn new() -> Self {
        Tree::with_capacity(CAPACITY)
    }

    /// An empty file system that holds at most `capacity` bytes of files.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert("/".into(), Node::Dir);
        Tree { nodes, used: 0, capacity, modes: BTreeMap::new(), owners: BTreeMap::new() }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The permission bits of `path`.
    pub fn mode(&self, path: &str) -> u32 {
        let default = if self.is_dir(path) { DIR_MODE } else { FILE_MODE };
        self.modes.get(path).copied().unwrap_or(default)
    }

    /// Set a file's or directory's permission bits (with setgid and the sticky bit).
    pub fn set_mode(&mut self, path: &str, mode: u32) {
        let default = match self.nodes.get(path) {
            Some(Node::Dir) => DIR_MODE,
            Some(Node::File(_)) => FILE_MODE,
            None => return,
        };
        if mode & 0o3777 == default {
            self.modes.remove(path);
        } else {
            self.modes.insert(path.to_string(), mode & 0o3777);
        }
    }

    /// Who owns `path`: user and group ids (root's unless set).
    pub fn owner(&self, path: &str) -> (u32, u32) {
        self.owners.get(path).copied().unwrap_or((0, 0))
    }

    /// Give `path` to user `uid` and group `gid`.
    pub fn set_owner(&mut self, path: &str, uid: u32, gid: u32) {
        if !self.nodes.contains_key(path) {
            return;
        }
        if (uid, gid) == (0, 0) {
            self.owners.remove(path);
        } else {
            self.owners.insert(path.to_string(), (uid, gid));
        }
    }

    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.nodes.get(path), Some(Node::Dir))
    }

    pub fn is_file(&self, path: &str) -> bool {
        matches!(self.nodes.get(path), Some(Node::File(_)))
    }

    /// The bytes the files hold.
    pub fn used(&self) -> usize {
        self.used
    }

    fn check_parent(&self, path: &str) -> Result<(), FsError> {
        match self.nodes.get(parent(path)) {
            Some(Node::Dir) => Ok(()),
            Some(Node::File(_)) => Err(FsError::NotDir),
            None => Err(FsError::NotFound),
        }
    }

    pub fn read(&self, path: &str) -> Result<Arc<Vec<u8>>, FsError> {
        match self.nodes.get(path) {
            Some(Node::File(data)) => Ok(data.clone()),
            Some(Node::Dir) => Err(FsError::IsDir),
            None => Err(FsError::NotFound),
        }
    }

    /// Write `data` to the file at `path` (made if missing), replacing or appending.
    pub fn write(&mut self, path: &str, data: &[u8], append: bool) -> Result<(), FsError> {
        self.check_parent(path)?;
        let old = match self.nodes.get(path) {
            Some(Node::Dir) => return Err(FsError::IsDir),
            Some(Node::File(d)) => d.len(),
            None => 0,
        };
        let new_len = if append { old + data.len() } else { data.len() };
        let used = self.used - old + new_len;
        if used > self.capacity && new_len > old {
            return Err(FsError::NoSpace);
        }
        self.used = used;
        match self.nodes.get_mut(path) {
            Some(Node::File(d)) if append => Arc::make_mut(d).extend_from_slice(data),
            _ => {
                self.nodes.insert(path.into(), Node::File(Arc::new(data.to_vec())));
            }
        }
        Ok(())
    }

    /// Make a directory; with `parents`, its missing parents too and no error if it exists.
    pub fn mkdir(&mut self, path: &str, parents: bool) -> Result<(), FsError> {
        if parents {
            let mut at = String::new();
            for p in path.split('/').filter(|p| !p.is_empty()) {
                at.push('/');
                at.push_str(p);
                match self.nodes.get(at.as_str()) {
                    Some(Node::Dir) => {}
                    Some(Node::File(_)) => return Err(FsError::NotDir),
                    None => {
                        self.nodes.insert(at.as_str().into(), Node::Dir);
                    }
                }
            }
            return Ok(());
        }
        if self.nodes.contains_key(path) {
            return Err(FsError::Exists);
        }
        self.check_parent(path)?;
        self.nodes.insert(path.into(), Node::Dir);
        Ok(())
    }

    /// The paths under directory `dir` (all depths), in order.
    fn below(&self, dir: &str) -> Vec<String> {
        let prefix = if dir == "/" { "/".to_string() } else { format!("{dir}/") };
        let within = self
            .nodes
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(&prefix));
        within.filter(|(k, _)| k.len() > prefix.len()).map(|(k, _)| k.to_string()).collect()
    }

    /// The entries of directory `dir`, by name.
    pub fn list(&self, dir: &str) -> Result<Vec<Entry>, FsError> {
        match self.nodes.get(dir) {
            Some(Node::Dir) => {}
            Some(Node::File(_)) => return Err(FsError::NotDir),
            None => return Err(FsError::NotFound),
        }
        let prefix = if dir == "/" { "/".to_string() } else { format!("{dir}/") };
        let mut out = Vec::new();
        for (k, node) in self
            .nodes
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(&prefix))
        {
            let rest = &k[prefix.len()..];
            if rest.is_empty() || rest.contains('/') {
                continue;
            }
            let (dir, size) = match node {
                Node::Dir => (true, 4096),
                Node::File(d) => (false, d.len()),
            };
            out.push(Entry { name: rest.to_string(), dir, size, mode: self.mode(k), owner: self.owner(k) });
        }
        Ok(out)
    }

    /// Remove a file, or with `recursive` a directory and what it holds; an empty directory
    /// goes with `dir_ok` (rmdir).
    pub fn remove(&mut self, path: &str, recursive: bool, dir_ok: bool) -> Result<(), FsError> {
        match self.nodes.get(path) {
            None => Err(FsError::NotFound),
            Some(Node::File(d)) => {
                self.used -= d.len();
                self.nodes.remove(path);
                self.modes.remove(path);
                self.owners.remove(path);
                Ok(())
            }
            Some(Node::Dir) => {
                let below = self.below(path);
                if !(recursive || dir_ok && below.is_empty()) {
                    return Err(if dir_ok { FsError::NotEmpty } else { FsError::IsDir });
                }
                for k in below {
                    if let Some(Node::File(d)) = self.nodes.remove(k.as_str()) {
                        self.used -= d.len();
                    }
                    self.modes.remove(&k);
                    self.owners.remove(&k);
                }
                if path != "/" {
                    self.nodes.remove(path);
                    self.modes.remove(path);
                    self.owners.remove(path);
                }
                Ok(())
            }
        }
    }

    /// Move `from` (a file or a directory with its contents) to `to`.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), FsError> {
        if !self.nodes.contains_key(from) {
            return Err(FsError::NotFound);
        }
        self.check_parent(to)?;
        if from == to {
            return Ok(());
        }
        if self.is_dir(to) {
            return Err(FsError::IsDir);
        }
        let mut moved = vec![from.to_string()];
        moved.extend(self.below(from));
        if let Some(Node::File(d)) = self.nodes.get(to) {
            self.used -= d.len();
        }
        for k in moved {
            if let Some(node) = self.nodes.remove(k.as_str()) {
                let dest = format!("{to}{}", &k[from.len()..]);
                if let Some(m) = self.modes.remove(&k) {
                    self.modes.insert(dest.clone(), m);
                }
                if let Some(o) = self.owners.remove(&k) {
                    self.owners.insert(dest.clone(), o);
                }
                self.nodes.insert(dest.into(), node);
            }
        }
        Ok(())
    }

    /// `path` and what is below it, with paths relative to `path` (`""` for itself).
    pub fn export(&self, path: &str) -> Vec<(String, Node, u32)> {
        let Some(node) = self.nodes.get(path) else { return Vec::new() };
        let mut out = vec![(String::new(), node.clone(), self.mode(path))];
        let skip = if path == "/" { 0 } else { path.len() };
        for k in self.below(path) {
            let rel = k[skip..].to_string();
            let node = self.nodes[k.as_str()].clone();
            out.push((rel, node, self.mode(&k)));
        }
        out
    }

    /// Put what [`Tree::export`] gave under `to` (which must not exist; its parent must).
    pub fn import(&mut self, to: &str, entries: &[(String, Node, u32)]) -> Result<(), FsError> {
        self.check_parent(to)?;
        if self.nodes.contains_key(to) && to != "/" {
            return Err(FsError::Exists);
        }
        for (rel, node, mode) in entries {
            let path = if to == "/" && !rel.is_empty() { rel.clone() } else { format!("{to}{rel}") };
            match node {
                Node::Dir => self.mkdir(&path, true)?,
                Node::File(d) => {
                    self.write(&path, d, false)?;
                    self.set_mode(&path, *mode);
                }
            }
        }
        Ok(())
    }

    /// A copy of the tree below `path` as a tree of its own (what a subPath mount of a
    /// volume the kubelet rewrites keeps seeing: the file as it was when the container
    /// started).
    pub fn snapshot(&self, path: &str) -> Tree {
        let mut t = Tree::with_capacity(self.capacity);
        match self.nodes.get(path) {
            Some(Node::File(d)) => {
                let _ = t.write(&format!("/{}", base(path)), d, false);
                t.set_mode(&format!("/{}", base(path)), self.mode(path));
            }
            Some(Node::Dir) => {
                let _ = t.import("/", &self.export(path)[1..]);
            }
            None => {}
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_relative_paths_are_joined() {
        assert_eq!(normalize("/", "token"), "/token");
        assert_eq!(normalize("/var/run", "a/b"), "/var/run/a/b");
        assert_eq!(normalize("/var/run/", "a"), "/var/run/a");
        assert_eq!(normalize("/x", "../y"), "/y");
        assert_eq!(normalize("/x", ""), "/x");
    }

    proptest! {
        #[test]
        fn normalize_is_resolving_by_components(cwd in "(/[a.]{0,2}){0,3}/?", path in "/?([a.]{0,2}/){0,3}[a.]{0,2}") {
            prop_assert_eq!(normalize(&cwd, &path), by_components(&cwd, &path));
        }
    }

    #[test]
    fn paths() {
        assert_eq!(normalize("/", "tmp/../etc//hosts"), "/etc/hosts");
        assert_eq!(normalize("/a/b", ".."), "/a");
        assert_eq!(normalize("/", "/../.."), "/");
        assert_eq!(parent("/tmp/f"), "/tmp");
        assert_eq!(parent("/tmp"), "/");
        assert_eq!(base("/tmp/f"), "f");
    }

    #[test]
    fn files_and_dirs() {
        let mut fs = Tree::new();
        assert_eq!(fs.write("/tmp/f", b"x", false), Err(FsError::NotFound));
        fs.mkdir("/tmp", false).unwrap();
        fs.write("/tmp/f", b"hi\n", false).unwrap();
        fs.write("/tmp/f", b"more\n", true).unwrap();
        assert_eq!(&**fs.read("/tmp/f").unwrap(), b"hi\nmore\n");
        assert_eq!(fs.used(), 8);
        assert_eq!(fs.mkdir("/tmp", false), Err(FsError::Exists));
        fs.mkdir("/a/b/c", true).unwrap();
        let names: Vec<String> = fs.list("/").unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["a", "tmp"]);
        assert_eq!(fs.remove("/a", false, false), Err(FsError::IsDir));
        assert_eq!(fs.remove("/a", false, true), Err(FsError::NotEmpty));
        fs.rename("/tmp", "/a/t").unwrap();
        assert_eq!(&**fs.read("/a/t/f").unwrap(), b"hi\nmore\n");
        fs.remove("/a", true, false).unwrap();
        assert_eq!(fs.used(), 0);
        assert!(fs.get("/a/t/f").is_none());
    }

    #[test]
    fn capacity_is_bounded() {
        let mut fs = Tree::new();
        let big = vec![b'x'; CAPACITY];
        fs.write("/big", &big, false).unwrap();
        assert_eq!(fs.write("/big", b"y", true), Err(FsError::NoSpace));
        fs.write("/big", b"", false).unwrap();
        assert_eq!(fs.used(), 0);
    }
}
