//! `kubectl cp SRC DEST [-c CONTAINER]`: files between the local file system (through the
//! session's file access) and a container, as kubectl copies them: a tar archive streamed
//! through `tar` run in the container (`tar -xmf - -C DIR` to it, after `test -d` says whether
//! the destination is a directory; `tar cf - PATH` from it), so the errors are tar's.

use chrono::Duration;

use super::exec::{choose_container, stream_error, Target};
use super::flags::{flag, parse, FlagSpec};
use super::stream;
use super::Input;
use crate::client::{Client, Response, Waiter};
use crate::fileaccess::FileAccess;
use crate::node::runtime::cri::Streams;
use crate::tar::{self, Entry};

pub(super) const FLAGS: &[FlagSpec] =
    &[flag("container", Some('c'), true), flag("namespace", Some('n'), true), flag("no-preserve", None, false)];

/// One side of a copy: `[[namespace/]pod:]path`.
struct Spec {
    namespace: Option<String>,
    pod: Option<String>,
    path: String,
}

fn spec(arg: &str) -> Result<Spec, String> {
    let bad = || "error: filespec must match the canonical format: [[namespace/]pod:]file/path".to_string();
    match arg.find(':') {
        Some(0) => Err(bad()),
        None => Ok(Spec { namespace: None, pod: None, path: arg.to_string() }),
        Some(i) => {
            let (pod, path) = (&arg[..i], &arg[i + 1..]);
            match pod.split('/').collect::<Vec<_>>().as_slice() {
                [p] => Ok(Spec { namespace: None, pod: Some(p.to_string()), path: path.to_string() }),
                [ns, p] => {
                    Ok(Spec { namespace: Some(ns.to_string()), pod: Some(p.to_string()), path: path.to_string() })
                }
                _ => Err(bad()),
            }
        }
    }
}

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let [src, dest] = flags.positional.as_slice() else {
        return Err("error: source and destination are required".into());
    };
    let (src, dest) = (spec(src)?, spec(dest)?);
    if src.pod.is_some() && dest.pod.is_some() {
        return Err("error: one of src or dest must be a local file specification".into());
    }
    if src.path.is_empty() || dest.path.is_empty() {
        return Err("error: filepath can not be empty".into());
    }
    let default_ns = flags.get("namespace").unwrap_or("default").to_string();
    let copy = |s: &Spec| Copy {
        namespace: s.namespace.clone().unwrap_or_else(|| default_ns.clone()),
        pod: s.pod.clone().unwrap_or_default(),
        container: flags.get("container").map(str::to_string),
        files: input.files,
    };
    if src.pod.is_some() {
        return copy(&src).copy_from_pod(client, waiter, &src.path, &dest.path);
    }
    if dest.pod.is_some() {
        return copy(&dest).copy_to_pod(client, waiter, &src.path, &dest.path);
    }
    Err("error: one of src or dest must be a remote file specification".into())
}

struct Copy<'a> {
    namespace: String,
    pod: String,
    container: Option<String>,
    files: &'a FileAccess,
}

/// How long each of cp's streams may run.
const LIMIT: i64 = 30;

impl Copy<'_> {
    /// Run `cmd` in the container with `stdin` (sent whole): what it gave.
    fn exec(
        &self,
        client: &mut dyn Client,
        waiter: &mut dyn Waiter,
        cmd: &[&str],
        stdin: Option<Vec<u8>>,
    ) -> Result<stream::Collected, String> {
        let target =
            Target { namespace: &self.namespace, pod: &self.pod, container: self.container.as_deref(), quiet: false };
        let (container, _, _) = choose_container(client, &target, "exec into")?;
        let cmd: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        let streams = Streams { stdin: stdin.is_some(), tty: false };
        let step = client
            .exec(&self.namespace, &self.pod, &container, &cmd, streams)
            .map(Response::into_body)
            .map_err(stream_error)?;
        stream::collect(client, waiter, step, stdin, Duration::seconds(LIMIT))
    }

    /// `copyToPod`: the local file or directory `src` as `dest` in the container (inside it
    /// when `dest` is a directory there).
    fn copy_to_pod(
        &self,
        client: &mut dyn Client,
        waiter: &mut dyn Waiter,
        src: &str,
        dest: &str,
    ) -> Result<String, String> {
        let local = std::path::Path::new(src);
        let exists = self.files.is_dir(src) || self.files.read_bytes(src).is_ok();
        if !exists {
            return Err(format!("error: {src} doesn't exist in local filesystem"));
        }
        let mut dest = clean(dest);
        let base = local.file_name().and_then(|n| n.to_str()).unwrap_or(src).to_string();
        if self.exec(client, waiter, &["test", "-d", &dest], None)?.code == Some(0) {
            dest = if dest == "/" { format!("/{base}") } else { format!("{dest}/{base}") };
        }
        let (dir, name) = match dest.rfind('/') {
            Some(0) => ("/".to_string(), dest[1..].to_string()),
            Some(i) => (dest[..i].to_string(), dest[i + 1..].to_string()),
            None => (String::new(), dest.clone()),
        };
        let mut entries = Vec::new();
        self.pack(src, &name, &mut entries)?;
        let archive = tar::write(&entries).map_err(|e| format!("error: {e}"))?;
        let mut cmd = vec!["tar", "-xmf", "-"];
        if !dir.is_empty() {
            cmd.extend(["-C", dir.as_str()]);
        }
        let got = self.exec(client, waiter, &cmd, Some(archive))?;
        ended(got, String::new())
    }

    /// `recursiveTar`: a local path and what is under it, named from `name`.
    fn pack(&self, path: &str, name: &str, out: &mut Vec<Entry>) -> Result<(), String> {
        if self.files.is_dir(path) {
            let entries = self.files.read_dir(path).map_err(|e| format!("error: {e}"))?;
            if entries.is_empty() {
                out.push(Entry { name: name.to_string(), data: None });
            }
            for e in entries {
                self.pack(&format!("{}/{}", path.trim_end_matches('/'), e.name), &format!("{name}/{}", e.name), out)?;
            }
            return Ok(());
        }
        let data = self.files.read_bytes(path).map_err(|e| format!("error: {e}"))?;
        out.push(Entry { name: name.to_string(), data: Some(data) });
        Ok(())
    }

    /// `copyFromPod`: the container's `src` (a file, or a directory and all under it) as the
    /// local `dest`.
    fn copy_from_pod(
        &self,
        client: &mut dyn Client,
        waiter: &mut dyn Waiter,
        src: &str,
        dest: &str,
    ) -> Result<String, String> {
        let got = self.exec(client, waiter, &["tar", "cf", "-", src], None)?;
        let stderr = String::from_utf8_lossy(&got.stderr).into_owned();
        if got.code != Some(0) {
            // Its stdout is the (empty) archive: only what tar said is shown.
            return ended(stream::Collected { stdout: Vec::new(), ..got }, String::new());
        }
        let entries = tar::read(&got.stdout).map_err(|e| format!("{stderr}error: {e}"))?;
        // Members are named without the leading `/`; what follows the source's own name goes
        // under `dest`.
        let prefix = clean(src).trim_start_matches('/').to_string();
        for Entry { name, data } in entries {
            let Some(rest) = name.strip_prefix(&prefix) else { continue };
            if !rest.is_empty() && !rest.starts_with('/') {
                continue;
            }
            let path = format!("{}{rest}", dest.trim_end_matches('/'));
            let path = if path.is_empty() { "/".to_string() } else { path };
            if rest.split('/').any(|p| p == "..") {
                return Err(format!("{stderr}error: illegal file path: {name}"));
            }
            let written = match data {
                None => self.files.create_dir(&path),
                Some(d) => {
                    let parent = std::path::Path::new(&path).parent().and_then(|p| p.to_str()).unwrap_or("");
                    let made = if parent.is_empty() { Ok(()) } else { self.files.create_dir(parent) };
                    made.and_then(|_| self.files.write(&path, &d))
                }
            };
            written.map_err(|e| format!("{stderr}error: {e}"))?;
        }
        Ok(stderr.trim_end_matches('\n').to_string())
    }
}

/// A cp stream's end: what tar said, and kubectl's line for a failed exit.
fn ended(got: stream::Collected, ok: String) -> Result<String, String> {
    let text = String::from_utf8_lossy(&got.stdout).into_owned() + &String::from_utf8_lossy(&got.stderr);
    match got.code {
        Some(0) => Ok(text.trim_end_matches('\n').to_string() + &ok),
        Some(code) => Err(format!("{text}command terminated with exit code {code}")),
        None => Err(format!("{text}error: the copy did not finish")),
    }
}

/// A remote path without `.`/`..` and doubled or trailing slashes (`path.Clean`).
fn clean(p: &str) -> String {
    let absolute = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            x => parts.push(x),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}
