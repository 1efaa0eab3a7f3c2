//! `etcdctl get KEY [--prefix] [--keys-only] [--limit N] [-w json]`: a read-only view of the
//! store, to see how the API server lays objects out in etcd.

use crate::sim::Cluster;

pub fn run_line(cluster: &Cluster, line: &str) -> Result<String, String> {
    let args = shell_words::split(line).map_err(|e| format!("Error: {e}"))?;
    let mut args = args.iter().map(String::as_str).peekable();
    if args.peek() == Some(&"etcdctl") {
        args.next();
    }
    match args.next() {
        Some("get") => {}
        Some(other) => {
            return Err(format!("Error: unknown command {other:?} for \"etcdctl\" (kubesim's etcdctl has only `get`)"))
        }
        None => return Err("Error: no command given; try `etcdctl get /registry/pods --prefix --keys-only`".into()),
    }
    let (mut key, mut prefix, mut keys_only, mut limit, mut json) = (None, false, false, usize::MAX, false);
    while let Some(a) = args.next() {
        match a {
            "--prefix" => prefix = true,
            "--keys-only" => keys_only = true,
            "-w" | "--write-out" => json = args.next() == Some("json"),
            "--write-out=json" | "-wjson" => json = true,
            "--limit" => limit = args.next().and_then(|n| n.parse().ok()).ok_or("Error: --limit needs a number")?,
            a if a.starts_with("--limit=") => {
                limit = a["--limit=".len()..].parse().map_err(|_| "Error: --limit needs a number")?
            }
            a if a.starts_with('-') => return Err(format!("Error: unknown flag: {a}")),
            a if key.is_none() => key = Some(a),
            a => return Err(format!("Error: unexpected argument {a:?}")),
        }
    }
    let key = key.ok_or("Error: get command needs one argument as key")?;
    let store = cluster.api_ref().store();
    let kvs: Vec<_> =
        if prefix { store.range(key).take(limit).collect() } else { store.get(key).into_iter().collect() };
    if json {
        let body = serde_json::json!({
            "header": {"revision": store.revision()},
            "kvs": kvs.iter().map(|kv| serde_json::json!({
                "key": kv.key.as_ref(), "create_revision": kv.create_revision, "mod_revision": kv.mod_revision, "version": kv.version,
            })).collect::<Vec<_>>(),
            "count": kvs.len(),
        });
        return Ok(serde_json::to_string_pretty(&body).unwrap_or_default() + "\n");
    }
    let mut out = String::new();
    for kv in kvs {
        out.push_str(&kv.key);
        out.push('\n');
        if keys_only {
            out.push('\n');
        } else {
            // Real etcd holds protobuf; JSON shows the same object readably.
            out.push_str(&serde_json::to_string(&kv.value.to_value()).unwrap_or_default());
            out.push('\n');
        }
    }
    Ok(out)
}
