//! Volumes whose files outlive the pod: a hostPath on the node's disk (one simulated tree per
//! node, never the host's), and a claim's PersistentVolume (a hostPath PV on the node's disk,
//! any other kind in a tree the kubelets keep by the volume's name).
//!
//! Nothing binds claims yet (the storage work will, by setting `spec.volumeName`). Until then
//! a claim with no volume is served from a tree of its own, kept under its uid, so that the
//! StatefulSet's claims work as a provisioner would make them; with binding, that stand-in
//! goes and such a pod waits, as upstream's.

use crate::model::Pod;

use super::super::Env;
use super::Failure;
use crate::model::{Kind, Object};
use crate::node::container::fs::{normalize, parent, Node, Shared, Tree};

/// The directories a node's disk starts with (a kubeadm node's, in short).
const NODE_DIRS: &[&str] = &[
    "/dev",
    "/etc/kubernetes/manifests",
    "/home",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/srv",
    "/sys",
    "/tmp",
    "/usr/local/bin",
    "/var/lib/kubelet",
    "/var/lib/containerd",
    "/var/log/containers",
    "/var/log/pods",
];

/// A fresh node's disk.
pub fn node_disk() -> Shared {
    let mut t = Tree::new();
    for d in NODE_DIRS {
        let _ = t.mkdir(d, true);
    }
    Shared::new(t)
}

/// `checkType` of the hostPath plugin, with its messages (v1.33's words); the `OrCreate`
/// types make what is missing.
pub fn check_type(host: &Shared, path: &str, type_: &str) -> Result<(), String> {
    let mut t = host.lock();
    let node = t.get(path).cloned();
    let fail = |what: &str| Err(format!("hostPath type check failed: {path} is not a {what}"));
    match type_ {
        // No check; the runtime makes a missing source as a directory.
        "" => {
            if node.is_none() {
                t.mkdir(path, true).map_err(|e| format!("mkdir {path}: {}", e.to_string().to_lowercase()))?;
            }
            Ok(())
        }
        "DirectoryOrCreate" if node.is_none() => {
            t.mkdir(path, true).map_err(|e| format!("mkdir {path}: {}", e.to_string().to_lowercase()))
        }
        "DirectoryOrCreate" | "Directory" => match node {
            Some(Node::Dir) => Ok(()),
            _ => fail("directory"),
        },
        "FileOrCreate" if node.is_none() => {
            // Only the file is made: its directory must be there.
            if !t.is_dir(parent(path)) {
                return Err(format!("open {path}: no such file or directory"));
            }
            t.write(path, b"", false).map_err(|e| format!("open {path}: {}", e.to_string().to_lowercase()))
        }
        "FileOrCreate" | "File" => match node {
            Some(Node::File(_)) => Ok(()),
            _ => fail("file"),
        },
        // The simulated disk holds no sockets or devices.
        "Socket" => fail("socket file"),
        "CharDevice" => fail("character device"),
        "BlockDevice" => fail("block device"),
        other => Err(format!("{other} is an invalid volume type")),
    }
}

/// The key of the files of a claim that no volume is bound to (see the module's doc).
pub fn unbound_key(claim_uid: &str) -> String {
    format!("claim:{claim_uid}")
}

/// The tree and directory of a claim's volume. A claim not found, or bound to a volume not
/// found, keeps the pod waiting, with no event, as the desired state populator only logs it.
pub(super) fn claim(env: &mut Env<'_>, pod: &Pod, claim: &str) -> Result<(Shared, String), Failure> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let pvc = env.api.get(env.user, Kind::PersistentVolumeClaim, ns, claim).map_err(|_| Failure::NotProcessed)?;
    let Object::PersistentVolumeClaim(pvc) = &*pvc else { return Err(Failure::NotProcessed) };
    let volume = pvc.spec.as_ref().and_then(|s| s.volume_name.clone()).filter(|v| !v.is_empty());
    let Some(volume) = volume else {
        let key = unbound_key(pvc.metadata.uid.as_deref().unwrap_or_default());
        let tree = env.claims.entry(key).or_insert_with(|| Shared::new(Tree::new())).clone();
        return Ok((tree, "/".to_string()));
    };
    let pv = env.api.get(env.user, Kind::PersistentVolume, "", &volume).map_err(|_| Failure::NotProcessed)?;
    let Object::PersistentVolume(pv) = &*pv else { return Err(Failure::NotProcessed) };
    if let Some(h) = pv.spec.as_ref().and_then(|s| s.host_path.as_ref()) {
        let path = normalize("/", &h.path);
        check_type(env.host, &path, h.type_.as_deref().unwrap_or("")).map_err(Failure::SetUp)?;
        return Ok((env.host.clone(), path));
    }
    let tree = env.claims.entry(volume).or_insert_with(|| Shared::new(Tree::new())).clone();
    Ok((tree, "/".to_string()))
}
