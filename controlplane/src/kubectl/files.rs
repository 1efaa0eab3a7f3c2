//! Reading `-f` arguments: a file, a directory of manifests, or `-` for standard input.

use std::path::Path;

/// (source name, text) for each file `-f arg` names, in name order for directories.
pub fn read(arg: &str, stdin: Option<&str>, recursive: bool) -> Result<Vec<(String, String)>, String> {
    if arg == "-" {
        let text = stdin
            .ok_or("error: no input given for -f - (pass it as the second argument: kubectl(\"apply -f -\", yaml))")?;
        return Ok(vec![("STDIN".to_string(), text.to_string())]);
    }
    let path = Path::new(arg);
    if path.is_dir() {
        let mut out = Vec::new();
        read_dir(path, recursive, &mut out)?;
        if out.is_empty() {
            return Err(format!("error: error reading [{arg}]: recognized file extensions are [.json .yaml .yml]"));
        }
        return Ok(out);
    }
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("error: the path \"{arg}\" does not exist"),
        _ => format!("error: error reading {arg}: {e}"),
    })?;
    Ok(vec![(arg.to_string(), text)])
}

fn read_dir(dir: &Path, recursive: bool, out: &mut Vec<(String, String)>) -> Result<(), String> {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).map_err(|e| format!("error: {e}"))?.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if recursive {
                read_dir(&p, recursive, out)?;
            }
            continue;
        }
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        if matches!(ext, "yaml" | "yml" | "json") {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("error: error reading {}: {e}", p.display()))?;
            out.push((p.display().to_string(), text));
        }
    }
    Ok(())
}
