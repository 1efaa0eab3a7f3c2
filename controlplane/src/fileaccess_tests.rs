use super::*;

/// A fresh folder with `work/` (the working directory) and `outside/secret.yaml`.
fn tree(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubesim-fileaccess-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("work/sub")).unwrap();
    std::fs::create_dir_all(dir.join("outside")).unwrap();
    std::fs::write(dir.join("work/a.yaml"), "kind: A\n").unwrap();
    std::fs::write(dir.join("work/sub/b.yaml"), "kind: B\n").unwrap();
    std::fs::write(dir.join("outside/secret.yaml"), "kind: Secret\n").unwrap();
    dir
}

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// Reads each path under `access` and compares `path → text or error` lines.
fn check_reads(access: &FileAccess, dir: &Path, paths: &[&str], expect: &str) {
    let got: Vec<String> = paths
        .iter()
        .map(|p| match access.read(p) {
            Ok(text) => format!("{p} → {}", text.trim_end()),
            Err(e) => format!("{p} → {e}"),
        })
        .collect();
    let got = got.join("\n").replace(&dir.display().to_string(), "DIR");
    assert_eq!(got, expect.trim());
}

#[test]
fn reads_inside_the_working_directory_only() {
    let dir = tree("inside");
    let access = FileAccess::working_directory(&dir.join("work"));
    let secret = dir.join("outside/secret.yaml").display().to_string();
    check_reads(
        &access,
        &dir,
        &[
            "a.yaml",
            "./sub/b.yaml",
            "sub/../a.yaml",
            &dir.join("work/a.yaml").display().to_string(),
            "../outside/secret.yaml",
            &secret,
            "sub/../../outside/secret.yaml",
            "missing.yaml",
            "none/../a.yaml",
            "a.yaml/../a.yaml",
        ],
        r#"
a.yaml → kind: A
./sub/b.yaml → kind: B
sub/../a.yaml → kind: A
DIR/work/a.yaml → kind: A
../outside/secret.yaml → reading ../outside/secret.yaml is not allowed: kubesim may read only under the working directory; run kubesim with --allow-read=../outside/secret.yaml to allow it
DIR/outside/secret.yaml → reading DIR/outside/secret.yaml is not allowed: kubesim may read only under the working directory; run kubesim with --allow-read=DIR/outside/secret.yaml to allow it
sub/../../outside/secret.yaml → reading sub/../../outside/secret.yaml is not allowed: kubesim may read only under the working directory; run kubesim with --allow-read=sub/../../outside/secret.yaml to allow it
missing.yaml → cannot read "missing.yaml": No such file or directory (os error 2)
none/../a.yaml → cannot read "none/../a.yaml": entity not found
a.yaml/../a.yaml → cannot read "a.yaml/../a.yaml": entity not found
"#,
    );
    // Nothing was written outside either.
    let e = access.write("../outside/x.svg", b"<svg/>").unwrap_err().to_string();
    assert_eq!(e, "writing ../outside/x.svg is not allowed: kubesim may write only under the working directory; run kubesim with --allow-write=../outside/x.svg to allow it");
    assert!(!dir.join("outside/x.svg").exists());
    access.write("sub/x.svg", b"<svg/>").unwrap();
    assert_eq!(std::fs::read_to_string(dir.join("work/sub/x.svg")).unwrap(), "<svg/>");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn symlinks_are_followed_before_the_check() {
    let dir = tree("symlinks");
    let work = dir.join("work");
    symlink(&dir.join("outside/secret.yaml"), &work.join("link.yaml"));
    symlink(&dir.join("outside"), &work.join("out"));
    symlink(Path::new("a.yaml"), &work.join("same.yaml"));
    symlink(Path::new("../outside/new.svg"), &work.join("dangling.svg"));
    symlink(Path::new("loop2"), &work.join("loop1"));
    symlink(Path::new("loop1"), &work.join("loop2"));
    let access = FileAccess::working_directory(&work);
    check_reads(
        &access,
        &dir,
        &["same.yaml", "link.yaml", "out/secret.yaml", "out/../work/a.yaml", "loop1"],
        r#"
same.yaml → kind: A
link.yaml → reading link.yaml is not allowed: kubesim may read only under the working directory; run kubesim with --allow-read=link.yaml to allow it
out/secret.yaml → reading out/secret.yaml is not allowed: kubesim may read only under the working directory; run kubesim with --allow-read=out/secret.yaml to allow it
out/../work/a.yaml → kind: A
loop1 → cannot read "loop1": too many levels of symbolic links
"#,
    );
    // A dangling symlink would have the write create a file outside.
    assert!(matches!(access.write("dangling.svg", b"x"), Err(FileError::Denied { .. })));
    assert!(!dir.join("outside/new.svg").exists());
    // A working directory reached through a symlink is the same directory.
    symlink(&work, &dir.join("work-link"));
    let via_link = FileAccess::working_directory(&dir.join("work-link"));
    assert_eq!(via_link.read("a.yaml").unwrap(), "kind: A\n");
    assert_eq!(via_link.read(&work.join("a.yaml").display().to_string()).unwrap(), "kind: A\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn allow_flags_widen_the_grant() {
    let dir = tree("flags");
    let outside = dir.join("outside");
    let mut access = FileAccess::working_directory(&dir.join("work"));
    let other = dir.join("other");
    access.allow_read(Some(&[PathBuf::from("../outside"), other.clone()]));
    assert_eq!(access.read("../outside/secret.yaml").unwrap(), "kind: Secret\n");
    // Writing is a grant of its own.
    let e = access.write("../outside/x.svg", b"x").unwrap_err().to_string();
    assert!(
        e.starts_with("writing ../outside/x.svg is not allowed: kubesim may write only under the working directory;")
    );
    // A refusal names every place that is allowed, as given.
    let e = access.read("/").unwrap_err().to_string();
    assert_eq!(
        e.replace(&dir.display().to_string(), "DIR"),
        "reading / is not allowed: kubesim may read only under the working directory, ../outside and DIR/other; run kubesim with --allow-read=/ to allow it"
    );
    access.allow_write(Some(&[outside.join("x.svg")]));
    access.write("../outside/x.svg", b"x").unwrap();
    assert!(access.write("../outside/y.svg", b"y").is_err(), "only the one file was allowed");
    access.allow_read(None);
    assert_eq!(access.read(&outside.join("x.svg").display().to_string()).unwrap(), "x");
    access.allow_write(None);
    access.write("../outside/y.svg", b"y").unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_relative_working_directory_is_made_absolute() {
    let access = FileAccess::working_directory(Path::new("."));
    assert!(matches!(access.read("/etc/hostname"), Err(FileError::Denied { .. })));
    assert_eq!(access.read("Cargo.toml").unwrap(), std::fs::read_to_string("Cargo.toml").unwrap());
}

#[test]
fn the_default_allows_nothing() {
    let e = FileAccess::default().read("a.yaml").unwrap_err().to_string();
    assert_eq!(
        e,
        "reading a.yaml is not allowed: kubesim may read no files; run kubesim with --allow-read=a.yaml to allow it"
    );
    assert!(!FileAccess::no_files().is_dir("."));
}

#[test]
fn only_regular_files_are_opened_and_never_wait() {
    let dir = tree("special");
    let work = dir.join("work");
    let fifo = work.join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let _socket = std::os::unix::net::UnixListener::bind(work.join("socket")).unwrap();
    let mut access = FileAccess::working_directory(&work);
    access.allow_read(None);
    check_reads(
        &access,
        &dir,
        &["fifo", "socket", "/dev/zero", "sub"],
        r#"
fifo → cannot read fifo: it is a named pipe; kubesim reads only regular files
socket → cannot read socket: it is a socket; kubesim reads only regular files
/dev/zero → cannot read /dev/zero: it is a character device; kubesim reads only regular files
sub → cannot read "sub": is a directory
"#,
    );
    let e = access.write("fifo", b"x").unwrap_err().to_string();
    assert_eq!(e, "cannot write fifo: it is a named pipe; kubesim writes only regular files");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reads_are_bounded_by_the_request_limit() {
    let dir = tree("limit");
    let work = dir.join("work");
    let limit = READ_LIMIT as usize;
    std::fs::write(work.join("at.yaml"), "#".repeat(limit)).unwrap();
    std::fs::write(work.join("over.yaml"), "#".repeat(limit + 1)).unwrap();
    std::fs::write(work.join("binary"), [0xff, 0xfe]).unwrap();
    let access = FileAccess::working_directory(&work);
    assert_eq!(access.read("at.yaml").unwrap().len(), limit);
    check_reads(
        &access,
        &dir,
        &["over.yaml", "binary"],
        r#"
over.yaml → cannot read over.yaml: it is 3145729 bytes; kubesim reads files of at most 3145728 bytes (kube-apiserver's request limit)
binary → cannot read "binary": stream did not contain valid UTF-8
"#,
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn directories_list_in_name_order_when_readable() {
    let dir = tree("listing");
    let work = dir.join("work");
    symlink(&dir.join("outside"), &work.join("out"));
    let access = FileAccess::working_directory(&work);
    let names: Vec<String> = access
        .read_dir(".")
        .unwrap()
        .into_iter()
        .map(|e| format!("{}{}", e.name, if e.is_dir { "/" } else { "" }))
        .collect();
    assert_eq!(names, ["a.yaml", "out", "sub/"]);
    assert!(access.is_dir("sub"));
    assert!(!access.is_dir("out"), "a symlink out of the working directory");
    assert!(matches!(access.read_dir("out"), Err(FileError::Denied { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}
