use chrono::Duration;

use super::host::{check_type, node_disk};
use super::PodVolumes;
use crate::sim::clock::epoch;

#[test]
fn host_path_type_checks() {
    let disk = node_disk();
    let check = |path: &str, t: &str| check_type(&disk, path, t).err().unwrap_or_default();
    assert_eq!(check("/data", "Directory"), "hostPath type check failed: /data is not a directory");
    assert_eq!(check("/data", "DirectoryOrCreate"), "");
    assert_eq!(check("/data", "Directory"), "");
    assert_eq!(check("/data", "File"), "hostPath type check failed: /data is not a file");
    assert_eq!(check("/data/f", "FileOrCreate"), "");
    assert!(disk.lock().is_file("/data/f"));
    assert_eq!(check("/nope/f", "FileOrCreate"), "open /nope/f: no such file or directory");
    assert_eq!(check("/data/f", "DirectoryOrCreate"), "hostPath type check failed: /data/f is not a directory");
    assert_eq!(check("/run/x.sock", "Socket"), "hostPath type check failed: /run/x.sock is not a socket file");
    assert_eq!(check("/dev/sda", "BlockDevice"), "hostPath type check failed: /dev/sda is not a block device");
    assert_eq!(check("/dev/tty", "CharDevice"), "hostPath type check failed: /dev/tty is not a character device");
    assert_eq!(check("/x", "Weird"), "Weird is an invalid volume type");
    // No type: the runtime makes a missing directory.
    assert_eq!(check("/made/by/runtime", ""), "");
    assert!(disk.lock().is_dir("/made/by/runtime"));
}

#[test]
fn periodic_syncs_count_from_the_mount() {
    let t0 = epoch();
    let v = PodVolumes { since: Some(t0), ..Default::default() };
    assert_eq!(v.next_sync(t0), t0 + Duration::seconds(60));
    assert_eq!(v.next_sync(t0 + Duration::seconds(59)), t0 + Duration::seconds(60));
    assert_eq!(v.next_sync(t0 + Duration::seconds(60)), t0 + Duration::seconds(120));
}
