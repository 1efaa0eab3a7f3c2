//! A container's files: its own tree ([`Tree`], the image's files and what the container
//! writes) and a mount table ([`Fs`]) that routes path prefixes to volumes, trees shared with
//! other containers or kept by the node ([`Shared`]).

mod tree;
mod view;

pub use tree::{base, normalize, parent, Entry, FsError, Node, Tree, CAPACITY, DIR_MODE, FILE_MODE, SETGID};
pub use view::{Creds, Fs, Mount, MountSource};

use std::sync::{Arc, Mutex, MutexGuard};

/// A tree more than one owner holds: a volume a pod's containers share, a node's disk.
#[derive(Debug, Clone, Default)]
pub struct Shared(Arc<Mutex<Tree>>);

impl Shared {
    pub fn new(tree: Tree) -> Self {
        Shared(Arc::new(Mutex::new(tree)))
    }

    /// The tree; a holder that panicked left it consistent (every change is one call).
    pub fn lock(&self) -> MutexGuard<'_, Tree> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The same tree (not a copy).
    pub fn same(&self, other: &Shared) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl PartialEq for Shared {
    fn eq(&self, other: &Shared) -> bool {
        self.same(other)
    }
}

impl Eq for Shared {}

#[cfg(test)]
mod tests;
