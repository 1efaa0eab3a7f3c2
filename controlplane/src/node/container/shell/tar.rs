//! busybox's `tar`, as far as `kubectl cp` and a learner use it: `tar cf - PATH...` writes an
//! archive of the paths (directories recursively, the leading `/` removed as busybox says) to
//! stdout, `tar xf - [-C DIR]` unpacks one from stdin, `tar tf -` lists it. `f` with another
//! file than `-` reads or writes that file.

use super::{fs, Shell, Sys};
use crate::tar::{self, Entry};

impl Shell {
    pub(super) fn tar(&mut self, args: &[String], sys: &mut Sys<'_>) -> i32 {
        // Old style (`tar cf - x`): the first word is the letters; else `-x -m -f - -C dir`.
        let mut letters = String::new();
        let mut operands = Vec::new();
        let mut values: Vec<char> = Vec::new();
        let (mut file, mut dir) = (None::<String>, None::<String>);
        for (i, a) in args.iter().enumerate() {
            if let Some(want) = values.first().copied() {
                values.remove(0);
                match want {
                    'f' => file = Some(a.clone()),
                    _ => dir = Some(a.clone()),
                }
            } else if a.starts_with('-') && a.len() > 1 || i == 0 && !a.starts_with('/') {
                for c in a.trim_start_matches('-').chars() {
                    letters.push(c);
                    if c == 'f' || c == 'C' {
                        values.push(c);
                    }
                }
            } else {
                operands.push(a.clone());
            }
        }
        let has = |c: char| letters.contains(c);
        if let Some(d) = &dir {
            let path = fs::normalize(&self.cwd, d);
            if !sys.fs.is_dir(&path) {
                self.warn("tar", &format!("can't change directory to '{d}': No such file or directory"), sys);
                return 1;
            }
        }
        let base = dir.as_deref().map(|d| fs::normalize(&self.cwd, d)).unwrap_or_else(|| self.cwd.clone());
        let file = file.unwrap_or_else(|| "-".to_string());
        match (has('c'), has('x') || has('t')) {
            (true, false) => self.tar_create(&operands, &base, &file, sys),
            (false, true) => self.tar_extract(&base, &file, has('t'), sys),
            _ => {
                self.warn("tar", "need exactly one of 'c', 'x' or 't'", sys);
                1
            }
        }
    }

    fn tar_create(&mut self, paths: &[String], base: &str, file: &str, sys: &mut Sys<'_>) -> i32 {
        if paths.is_empty() {
            self.warn("tar", "empty archive", sys);
            return 1;
        }
        let mut entries = Vec::new();
        let mut code = 0;
        let mut told = false;
        for p in paths {
            let path = fs::normalize(base, p);
            if sys.fs.get(&path).is_none() {
                self.warn("tar", &format!("{p}: No such file or directory"), sys);
                code = 1;
                continue;
            }
            let name = if p.starts_with('/') {
                if !told {
                    self.warn("tar", "removing leading '/' from member names", sys);
                    told = true;
                }
                path.trim_start_matches('/').to_string()
            } else {
                p.trim_end_matches('/').to_string()
            };
            walk(sys.fs, &path, &name, &mut entries);
        }
        let bytes = match tar::write(&entries) {
            Ok(b) => b,
            Err(e) => {
                self.warn("tar", &e.to_string(), sys);
                return 1;
            }
        };
        if file == "-" {
            self.out(&bytes, sys);
        } else if let Err(e) = sys.fs.write(&fs::normalize(&self.cwd, file), &bytes, false) {
            self.warn("tar", &format!("can't open '{file}': {e}"), sys);
            return 1;
        }
        if code != 0 {
            self.warn("tar", "error exit delayed from previous errors", sys);
        }
        code
    }

    fn tar_extract(&mut self, base: &str, file: &str, list: bool, sys: &mut Sys<'_>) -> i32 {
        let data = if file == "-" {
            self.input()
        } else {
            match sys.fs.read(&fs::normalize(&self.cwd, file)) {
                Ok(d) => d.to_vec(),
                Err(e) => {
                    self.warn("tar", &format!("can't open '{file}': {e}"), sys);
                    return 1;
                }
            }
        };
        if data.is_empty() {
            self.warn("tar", "short read", sys);
            return 1;
        }
        let entries = match tar::read(&data) {
            Ok(e) => e,
            Err(e) => {
                self.warn("tar", &e.to_string(), sys);
                return 1;
            }
        };
        let mut code = 0;
        for Entry { name, data } in entries {
            if list {
                let line = if data.is_none() { format!("{name}/\n") } else { format!("{name}\n") };
                self.out(line.as_bytes(), sys);
                continue;
            }
            let path = fs::normalize(base, &name);
            let done = match data {
                None => sys.fs.mkdir(&path, true),
                Some(d) => sys.fs.mkdir(fs::parent(&path), true).and_then(|_| sys.fs.write(&path, &d, false)),
            };
            if let Err(e) = done {
                self.warn("tar", &format!("can't create '{name}': {e}"), sys);
                code = 1;
            }
        }
        code
    }
}

/// `path` and what is under it, as archive members named from `name`.
fn walk(files: &fs::Fs, path: &str, name: &str, out: &mut Vec<Entry>) {
    match files.get(path) {
        Some(fs::Node::File(d)) => out.push(Entry { name: name.to_string(), data: Some(d.to_vec()) }),
        Some(fs::Node::Dir) => {
            out.push(Entry { name: name.to_string(), data: None });
            for e in files.list(path).unwrap_or_default() {
                let child = if path == "/" { format!("/{}", e.name) } else { format!("{path}/{}", e.name) };
                let child_name = if name.is_empty() { e.name.clone() } else { format!("{name}/{}", e.name) };
                walk(files, &child, &child_name, out);
            }
        }
        None => {}
    }
}
