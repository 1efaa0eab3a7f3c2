//! Reading `-f` arguments: a file, a directory of manifests, a URL, or `-` for standard input.
//! Files are opened, and URLs fetched, through the session's
//! [`FileAccess`](crate::fileaccess::FileAccess) policy.

use super::command::Input;
use crate::apiserver::ApiError;
use crate::fileaccess::{FileError, READ_LIMIT};

/// One file `-f` names: its source name, and its text or kubectl's error for it.
type Source = (String, Result<String, String>);

/// The files `-f arg` names, in name order for directories, where a file that cannot be read
/// is an error of its own, as kubectl goes on with the others. `sending` is what kubectl does
/// with the objects ("creating"): a file over the API server's request limit is then refused
/// in the server's words; `None` for a verb that sends no body.
pub fn read(arg: &str, input: Input<'_>, recursive: bool, sending: Option<&str>) -> Result<Vec<Source>, String> {
    if arg == "-" {
        let text = input
            .stdin
            .ok_or("error: no input given for -f - (pass it as the second argument: kubectl(\"apply -f -\", yaml))")?;
        return Ok(vec![("STDIN".to_string(), Ok(text.to_string()))]);
    }
    if crate::fileaccess::is_url(arg) {
        let text = input.files.fetch(arg).map_err(|e| error(arg, &e, sending))?;
        return Ok(vec![(arg.to_string(), Ok(text))]);
    }
    if input.files.is_dir(arg) {
        let mut out = Vec::new();
        read_dir(arg, input, recursive, sending, &mut out)?;
        if out.is_empty() {
            return Err(format!("error: error reading [{arg}]: recognized file extensions are [.json .yaml .yml]"));
        }
        return Ok(out);
    }
    let text = input.files.read(arg).map_err(|e| error(arg, &e, sending))?;
    Ok(vec![(arg.to_string(), Ok(text))])
}

/// One document with its file's source name, or kubectl's error for that file.
pub type Document = (String, Result<serde_json::Value, String>);

/// One file's source name, and its documents or kubectl's error for it.
type Documents = (String, Result<Vec<serde_json::Value>, String>);

/// The documents of the files `-f arg` names: each file's source name with its documents, or
/// kubectl's error for that file.
fn read_documents(
    arg: &str,
    input: Input<'_>,
    recursive: bool,
    sending: Option<&str>,
) -> Result<Vec<Documents>, String> {
    let files = read(arg, input, recursive, sending)?;
    Ok(files
        .into_iter()
        .map(|(source, text)| {
            let docs = text.and_then(|text| {
                crate::model::decode::parse_documents(&text).map_err(|e| format!("error: error parsing {source}: {e}"))
            });
            (source, docs)
        })
        .collect())
}

/// Each document of every file the `-f` flags name (`-R` to descend), with its file's source
/// name, in order; a file that cannot be read or parsed is kubectl's error for it in its place,
/// and the others go on.
pub fn documents(
    flags: &super::flags::Parsed,
    input: Input<'_>,
    sending: Option<&str>,
) -> Result<Vec<Document>, String> {
    let typed = typed_namespace(flags, input);
    let mut out = Vec::new();
    for arg in flags.all("filename") {
        for (source, docs) in read_documents(arg, input, flags.is_set("recursive"), sending)? {
            match docs {
                Ok(docs) => out
                    .extend(docs.into_iter().map(|doc| (source.clone(), require_namespace(&doc, typed).map(|()| doc)))),
                Err(e) => out.push((source, Err(e))),
            }
        }
    }
    Ok(out)
}

/// The namespace typed with `-n`, which the objects of files must be in; none when it was
/// not given or came from the current context (kubectl's `enforceNamespace`).
pub fn typed_namespace<'a>(flags: &'a super::flags::Parsed, input: Input<'_>) -> Option<&'a str> {
    flags.get("namespace").filter(|_| !input.namespace_from_context)
}

/// `RequireNamespace`: a namespaced object of a file that names a namespace other than the
/// one typed with `-n` is refused (one that names none goes to `-n`'s).
pub fn require_namespace(doc: &serde_json::Value, typed: Option<&str>) -> Result<(), String> {
    let Some(typed) = typed else { return Ok(()) };
    let Some(ns) = doc.pointer("/metadata/namespace").and_then(serde_json::Value::as_str) else { return Ok(()) };
    let namespaced = crate::model::decode::kind_of(doc).is_ok_and(|kind| kind.info().namespaced);
    if ns.is_empty() || ns == typed || !namespaced {
        return Ok(());
    }
    Err(format!(
        "error: the namespace from the provided object \"{ns}\" does not match the namespace \"{typed}\". You must pass '--namespace={ns}' to perform this operation."
    ))
}

/// As Go's `filepath.Walk`: a symlink to a directory is not descended into.
fn read_dir(
    dir: &str,
    input: Input<'_>,
    recursive: bool,
    sending: Option<&str>,
    out: &mut Vec<Source>,
) -> Result<(), String> {
    for entry in input.files.read_dir(dir).map_err(|e| format!("error: {e}"))? {
        let path = go_join(dir, &entry.name);
        if entry.is_dir {
            if recursive {
                read_dir(&path, input, recursive, sending, out)?;
            }
            continue;
        }
        let ext = std::path::Path::new(&entry.name).extension().and_then(|e| e.to_str()).unwrap_or("");
        if matches!(ext, "yaml" | "yml" | "json") {
            let text = input.files.read(&path).map_err(|e| error(&path, &e, sending));
            out.push((path, text));
        }
    }
    Ok(())
}

/// Go's `filepath.Join`, which cleans the path (`./a` is `a`): how kubectl names the files
/// of a directory.
fn go_join(dir: &str, name: &str) -> String {
    let joined = format!("{dir}/{name}");
    let rooted = joined.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            _ => parts.push(part),
        }
    }
    match (rooted, parts.join("/")) {
        (true, body) => format!("/{body}"),
        (false, body) if body.is_empty() => ".".to_string(),
        (false, body) => body,
    }
}

/// kubectl's words for a file it could not read; the policy's own for what it refuses.
fn error(path: &str, e: &FileError, sending: Option<&str>) -> String {
    match (e, sending) {
        (FileError::Io { source, .. }, _) if source.kind() == std::io::ErrorKind::NotFound => {
            format!("error: the path \"{path}\" does not exist")
        }
        (FileError::Io { source, .. }, _) => format!("error: error reading {path}: {source}"),
        (FileError::TooLarge { .. }, Some(verb)) => ApiError::request_entity_too_large(READ_LIMIT)
            .kubectl_message_with_source(Some(&format!("error when {verb} {path:?}: "))),
        _ => format!("error: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use crate::fileaccess::FileAccess;
    use crate::kubectl::{run_line, Input};
    use crate::sim::{Cluster, ClusterConfig};

    /// Only a typed namespace binds, and only namespaced objects that name another one.
    #[test]
    fn typed_namespace_binds_the_objects_of_files() {
        use super::require_namespace;
        let doc = |kind: &str, ns: &str| serde_json::json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": "x", "namespace": ns}});
        assert_eq!(
            require_namespace(&doc("ConfigMap", "a"), Some("b")).unwrap_err(),
            "error: the namespace from the provided object \"a\" does not match the namespace \"b\". You must pass '--namespace=a' to perform this operation."
        );
        assert!(require_namespace(&doc("ConfigMap", "a"), None).is_ok());
        assert!(require_namespace(&doc("ConfigMap", "b"), Some("b")).is_ok());
        assert!(require_namespace(&doc("ConfigMap", ""), Some("b")).is_ok());
        assert!(require_namespace(&doc("Namespace", "a"), Some("b")).is_ok());
    }

    /// A line's input with no standard input, reading through `files`.
    fn input(files: &FileAccess) -> Input<'_> {
        Input {
            stdin: None,
            files,
            interactive: false,
            stdout: Default::default(),
            terminal: Default::default(),
            namespace_from_context: false,
        }
    }

    fn configmap(name: &str) -> String {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n")
    }

    /// issue 10: `-f` reads only regular files the policy allows, of at most 3 MiB, and a
    /// directory only as deep as asked.
    #[test]
    fn issue_10_reads_are_bounded_and_allowed() {
        let dir = std::env::temp_dir().join(format!("kubesim-kubectl-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let work = dir.join("work");
        std::fs::create_dir_all(work.join("dir/sub")).unwrap();
        std::fs::write(work.join("a.yaml"), configmap("a")).unwrap();
        std::fs::write(work.join("dir/b.yaml"), configmap("b")).unwrap();
        std::fs::write(work.join("dir/notes.txt"), "not a manifest").unwrap();
        std::fs::write(work.join("dir/sub/d.yaml"), configmap("d")).unwrap();
        let big = configmap("big") + "data:\n  x: " + &"x".repeat(3 * 1024 * 1024) + "\n";
        std::fs::write(work.join("big.yaml"), big).unwrap();
        std::os::unix::fs::symlink(&work, work.join("dir/loop")).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(work.join("fifo")).status().unwrap().success());
        let mut files = FileAccess::working_directory(&work);
        let mut c = Cluster::new(ClusterConfig::default());
        let mut run = |files: &FileAccess, line: &str| {
            let out = run_line(&mut c, line, input(files)).unwrap_or_else(|e| e);
            format!("{line} → {out}")
        };
        let mut got = Vec::new();
        for line in [
            "apply -f a.yaml",
            "apply -f dir",
            "apply -f dir -R",
            "apply -f ./dir/ -R",
            "apply -f missing.yaml",
            "apply -f fifo",
            "apply -f /dev/zero",
            "apply -f ../work/../../etc/hostname",
            "apply -f big.yaml",
            "create -f big.yaml",
            "delete -f big.yaml",
            "apply -f .",
            "create configmap c --from-file=fifo",
        ] {
            got.push(run(&files, line));
        }
        files.allow_read(None);
        got.push(run(&files, "create -f /dev/zero"));
        let expect = r#"
apply -f a.yaml → configmap/a created
apply -f dir → configmap/b created
apply -f dir -R → configmap/b unchanged
configmap/d created
apply -f ./dir/ -R → configmap/b unchanged
configmap/d unchanged
apply -f missing.yaml → error: the path "missing.yaml" does not exist
apply -f fifo → error: cannot read fifo: it is a named pipe; kubesim reads only regular files
apply -f /dev/zero → error: reading /dev/zero is not allowed: kubesim may read only under the working directory; run kubesim with --allow-read=/dev/zero to allow it
apply -f ../work/../../etc/hostname → error: reading ../work/../../etc/hostname is not allowed: kubesim may read only under the working directory; run kubesim with --allow-read=../work/../../etc/hostname to allow it
apply -f big.yaml → Error from server (RequestEntityTooLarge): error when creating "big.yaml": Request entity too large: limit is 3145728
create -f big.yaml → Error from server (RequestEntityTooLarge): error when creating "big.yaml": Request entity too large: limit is 3145728
delete -f big.yaml → error: cannot read big.yaml: it is 3145793 bytes; kubesim reads files of at most 3145728 bytes (kube-apiserver's request limit)
apply -f . → configmap/a unchanged
Error from server (RequestEntityTooLarge): error when creating "big.yaml": Request entity too large: limit is 3145728
create configmap c --from-file=fifo → error: cannot read fifo: it is a named pipe; kubesim reads only regular files
create -f /dev/zero → error: cannot read /dev/zero: it is a character device; kubesim reads only regular files
"#;
        assert_eq!(got.join("\n"), expect.trim());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A server on a local port that answers each request by its path: `/pod.yaml` a
    /// manifest, `/moved` a redirect to it, `/away` a redirect to another host, `/flaky`
    /// a 503 then the manifest, anything else 404. Serves `requests` requests, then stops.
    fn serve(requests: usize) -> u16 {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut flaky = 0;
            for stream in listener.incoming().take(requests) {
                let mut stream = stream.unwrap();
                let mut line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                reader.read_line(&mut line).unwrap();
                while let Ok(n) = reader.read_line(&mut String::new()) {
                    if n <= 2 {
                        break;
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: nginx}\nspec:\n  containers:\n  - {name: nginx, image: nginx:1.14.2}\n";
                let (status, headers, body) = match path.as_str() {
                    "/pod.yaml" => ("200 OK", String::new(), pod),
                    "/moved" => ("301 Moved Permanently", "Location: /pod.yaml\r\n".to_string(), ""),
                    "/away" => ("302 Found", "Location: https://example.com/pod.yaml\r\n".to_string(), ""),
                    "/flaky" if flaky == 0 => {
                        flaky += 1;
                        ("503 Service Unavailable", String::new(), "")
                    }
                    "/flaky" => ("200 OK", String::new(), pod),
                    _ => ("404 Not Found", String::new(), "404 page not found\n"),
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(answer.as_bytes()).unwrap();
            }
        });
        port
    }

    /// `-f URL` fetches as kubectl does: redirects followed, a server error tried again,
    /// any other answer than 200 is kubectl's error; only from hosts the policy allows, each
    /// hop of a redirect checked.
    #[test]
    fn urls_are_fetched_from_allowed_hosts() {
        let port = serve(7);
        let dir = std::env::temp_dir().join(format!("kubesim-kubectl-urls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut files = FileAccess::working_directory(&dir);
        let mut c = Cluster::new(ClusterConfig::default());
        let mut run = |files: &FileAccess, line: &str| {
            let out = run_line(&mut c, line, input(files)).unwrap_or_else(|e| e);
            format!("{line} → {out}").replace(&port.to_string(), "PORT")
        };
        let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
        let mut got = vec![run(&files, &format!("apply -f {}", url("/pod.yaml")))];
        files.allow_net(Some(&["127.0.0.1".to_string()]));
        for line in [
            format!("apply -f {}", url("/pod.yaml")),
            format!("create -f {}", url("/moved")),
            format!("delete -f {}", url("/flaky")),
            format!("apply -f {}", url("/missing.yaml")),
            format!("apply -f {}", url("/away")),
        ] {
            got.push(run(&files, &line));
        }
        let expect = r#"
apply -f http://127.0.0.1:PORT/pod.yaml → error: fetching http://127.0.0.1:PORT/pod.yaml is not allowed: kubesim may fetch only from k8s.io, kubernetes.io, raw.githubusercontent.com, kind.sigs.k8s.io; run kubesim with --allow-net=127.0.0.1 to allow it
apply -f http://127.0.0.1:PORT/pod.yaml → pod/nginx created
create -f http://127.0.0.1:PORT/moved → Error from server (AlreadyExists): error when creating "http://127.0.0.1:PORT/moved": pods "nginx" already exists
delete -f http://127.0.0.1:PORT/flaky → pod "nginx" deleted
apply -f http://127.0.0.1:PORT/missing.yaml → error: unable to read URL "http://127.0.0.1:PORT/missing.yaml", server reported 404 Not Found, status code=404
apply -f http://127.0.0.1:PORT/away → error: fetching https://example.com/pod.yaml is not allowed: kubesim may fetch only from k8s.io, kubernetes.io, raw.githubusercontent.com, kind.sigs.k8s.io, 127.0.0.1; run kubesim with --allow-net=example.com to allow it
"#;
        assert_eq!(got.join("\n"), expect.trim());
        assert!(crate::fileaccess::is_url("https://k8s.io/examples/pods/simple-pod.yaml"));
        assert!(!crate::fileaccess::is_url("httpd.yaml"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn directory_entries_are_named_as_go_joins_them() {
        for (dir, name, joined) in [
            (".", "a.yaml", "a.yaml"),
            ("./dir/", "b.yaml", "dir/b.yaml"),
            ("dir//sub", "c.yaml", "dir/sub/c.yaml"),
            ("../x/..", "d.yaml", "../d.yaml"),
            ("/", "e.yaml", "/e.yaml"),
            ("/..", "f.yaml", "/f.yaml"),
        ] {
            assert_eq!(super::go_join(dir, name), joined, "{dir} + {name}");
        }
    }
}
