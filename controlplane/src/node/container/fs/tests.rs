use super::*;

fn volume(files: &[(&str, &str)]) -> Shared {
    let mut t = Tree::new();
    for (p, d) in files {
        t.mkdir(parent(p), true).unwrap();
        t.write(p, d.as_bytes(), false).unwrap();
    }
    Shared::new(t)
}

fn mount(at: &str, tree: &Shared, sub: &str, read_only: bool) -> Mount {
    Mount { at: at.into(), tree: tree.clone(), sub: sub.into(), read_only, source: MountSource::Disk }
}

#[test]
fn mounts_route_by_longest_prefix() {
    let shared = volume(&[("/a/f", "shared\n")]);
    let mut one = Fs::new();
    one.mount(mount("/data", &shared, "/", false));
    let mut two = Fs::new();
    two.mount(mount("/mnt/x", &shared, "/a", false));
    assert_eq!(&**one.read("/data/a/f").unwrap(), b"shared\n");
    assert_eq!(&**two.read("/mnt/x/f").unwrap(), b"shared\n");
    one.write("/data/a/g", b"new", false).unwrap();
    assert_eq!(&**two.read("/mnt/x/g").unwrap(), b"new");
    // The container's own files are its own; a sibling path is not under the mount.
    one.write("/database", b"x", false).unwrap();
    assert!(two.get("/database").is_none());
    assert_eq!(shared.lock().get("/database"), None);
    let names: Vec<String> = one.list("/").unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["data", "database"]);
}

#[test]
fn read_only_mounts_refuse_writes() {
    let shared = volume(&[("/f", "x")]);
    let mut fs = Fs::new();
    fs.mount(mount("/ro", &shared, "/", true));
    assert_eq!(fs.write("/ro/f", b"y", false), Err(FsError::ReadOnly));
    assert_eq!(fs.write("/ro/new", b"y", false), Err(FsError::ReadOnly));
    assert_eq!(fs.mkdir("/ro/d", false), Err(FsError::ReadOnly));
    assert_eq!(fs.mkdir("/ro", true), Ok(()));
    assert_eq!(fs.remove("/ro/f", false, false), Err(FsError::ReadOnly));
    assert_eq!(fs.rename("/ro/f", "/tmp-f"), Err(FsError::ReadOnly));
    assert_eq!(&**fs.read("/ro/f").unwrap(), b"x");
}

#[test]
fn file_mounts_and_moves_across_mounts() {
    let shared = volume(&[("/conf/app.conf", "a=1\n")]);
    let mut fs = Fs::new();
    fs.mkdir("/etc", false).unwrap();
    fs.mount(mount("/etc/app.conf", &shared, "/conf/app.conf", false));
    assert!(fs.is_file("/etc/app.conf"));
    assert_eq!(fs.list("/etc").unwrap()[0].size, 4);
    assert_eq!(fs.remove("/etc/app.conf", false, false), Err(FsError::Busy));
    assert_eq!(fs.remove("/etc", true, false), Err(FsError::Busy));
    let data = volume(&[]);
    fs.mount(mount("/data", &data, "/", false));
    fs.write("/tmp.txt", b"moved", false).unwrap();
    fs.rename("/tmp.txt", "/data/t").unwrap();
    assert!(fs.get("/tmp.txt").is_none());
    assert_eq!(&**data.lock().read("/t").unwrap(), b"moved");
    fs.write("/data/t2", b"2", false).unwrap();
    // `rm -r` of a mount point empties it and then fails, as on Linux.
    assert_eq!(fs.remove("/data", true, false), Err(FsError::Busy));
    assert!(data.lock().list("/").unwrap().is_empty());
}

#[test]
fn snapshots_keep_modes_and_stay_apart() {
    let shared = volume(&[("/k", "v1")]);
    shared.lock().set_mode("/k", 0o400);
    let snap = shared.lock().snapshot("/k");
    shared.lock().write("/k", b"v2", false).unwrap();
    assert_eq!(&**snap.read("/k").unwrap(), b"v1");
    assert_eq!(snap.mode("/k"), 0o400);
}

#[test]
fn deep_mount_points() {
    let v = volume(&[("/token", "t")]);
    let mut fs = crate::node::container::image::files("busybox");
    fs.mount(Mount {
        at: "/var/run/secrets/kubernetes.io/serviceaccount".into(),
        tree: v,
        sub: "/".into(),
        read_only: true,
        source: MountSource::Tmpfs,
    });
    assert!(fs.is_dir("/var/run/secrets/kubernetes.io/serviceaccount"));
    assert_eq!(&**fs.read("/var/run/secrets/kubernetes.io/serviceaccount/token").unwrap(), b"t");
}

#[test]
fn emptying_the_root_keeps_it() {
    let v = volume(&[("/a/b", "x")]);
    v.lock().remove("/", true, false).unwrap();
    assert!(v.lock().is_dir("/"));
    assert!(v.lock().list("/").unwrap().is_empty());
}

#[test]
fn new_files_belong_to_the_processes_and_a_setgid_directory_gives_its_group() {
    let mut shared = Tree::new();
    shared.set_owner("/", 0, 2000);
    shared.set_mode("/", 0o777 | SETGID);
    let shared = Shared::new(shared);
    let mut fs = Fs::new();
    fs.mount(mount("/data", &shared, "/", false));
    fs.mkdir("/tmp", false).unwrap();
    fs.mkdir("/etc", false).unwrap();
    fs.creds = Creds { uid: 1000, gid: 3000, groups: vec![2000, 3000] };
    fs.write("/data/f", b"x", false).unwrap();
    fs.mkdir("/data/a/b", true).unwrap();
    fs.write("/tmp/mine", b"x", false).unwrap();
    assert_eq!(fs.owner("/data/f"), (1000, 2000));
    assert_eq!((fs.owner("/data/a/b"), fs.mode("/data/a/b")), ((1000, 2000), 0o755 | SETGID));
    assert_eq!(fs.owner("/tmp/mine"), (1000, 3000));
    // Rewriting a file keeps its owner; a move takes it along; a removal forgets it.
    fs.creds = Creds::default();
    fs.write("/data/f", b"y", true).unwrap();
    assert_eq!(fs.owner("/data/f"), (1000, 2000));
    fs.rename("/data/f", "/data/g").unwrap();
    assert_eq!(fs.owner("/data/g"), (1000, 2000));
    fs.remove("/data/a", true, false).unwrap();
    fs.mkdir("/data/a", false).unwrap();
    assert_eq!(fs.owner("/data/a"), (0, 2000), "root's, in the directory's group");
    // Root in an ordinary directory notes nothing.
    fs.write("/etc/x", b"", false).unwrap();
    assert_eq!((fs.owner("/etc/x"), fs.mode("/etc/x")), ((0, 0), FILE_MODE));
}
