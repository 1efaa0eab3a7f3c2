//! busybox's applets, in its words: what they print, their errors and exit codes. Each runs
//! at once over the container's files and the shell's streams.

use super::{Shell, Sys};
use crate::node::container::fs::{self, FsError};

/// Programs that reach the network: `wget`, `curl`, `nc` and `nslookup` (in `net.rs`) go
/// through the cluster network; ICMP and the remote shells are not simulated.
pub const NETWORK: &[&str] = &["wget", "curl", "nslookup", "nc", "ping", "telnet", "ssh"];

pub const APPLETS: &[&str] = &[
    "echo", "printf", "cat", "ls", "mkdir", "rmdir", "rm", "touch", "cp", "mv", "env", "printenv", "hostname", "id",
    "whoami", "date", "true", "false", "test", "[", "wc", "head", "tail", "grep", "cut", "sort", "uniq", "seq",
    "uname", "basename", "dirname", "tr", "yes", "kill", "df", "mount", "tar", "ps",
];

impl Shell {
    pub(super) fn input(&mut self) -> Vec<u8> {
        match self.io.stdin.take() {
            Some(super::Input::Data(data, pos)) => {
                let rest = data.get(pos..).unwrap_or_default().to_vec();
                self.io.stdin = Some(super::Input::Data(data.clone(), data.len()));
                rest
            }
            // A pipe is read by the frame that waits for it (see `stream`), never here.
            other => {
                self.io.stdin = other;
                Vec::new()
            }
        }
    }

    /// `APPLET: MESSAGE` on stderr.
    pub(super) fn warn(&mut self, applet: &str, msg: &str, sys: &mut Sys<'_>) {
        let line = format!("{applet}: {msg}\n");
        self.err(line.as_bytes(), sys);
    }

    /// The contents of the files named (stdin for none or `-`), with busybox's "can't open".
    fn inputs(&mut self, applet: &str, files: &[&String], sys: &mut Sys<'_>) -> (Vec<(String, Vec<u8>)>, i32) {
        let mut out = Vec::new();
        let mut code = 0;
        if files.is_empty() {
            out.push(("standard input".to_string(), self.input()));
        }
        for f in files {
            if f.as_str() == "-" {
                out.push(("standard input".to_string(), self.input()));
                continue;
            }
            match sys.fs.read(&fs::normalize(&self.cwd, f)) {
                Ok(d) => out.push((f.to_string(), d.to_vec())),
                Err(e) => {
                    let msg = if applet == "grep" { format!("{f}: {e}") } else { format!("can't open '{f}': {e}") };
                    self.warn(applet, &msg, sys);
                    code = 1;
                }
            }
        }
        (out, code)
    }

    pub(super) fn applet(&mut self, name: &str, args: &[String], sys: &mut Sys<'_>) -> i32 {
        let base = name.rsplit('/').next().unwrap_or(name);
        if name.contains('/') && !APPLETS.contains(&base) && !NETWORK.contains(&base) {
            let path = fs::normalize(&self.cwd, name);
            let msg = if sys.fs.get(&path).is_some() { "Permission denied" } else { "not found" };
            self.fail(&format!("{name}: {msg}"), if msg == "not found" { 127 } else { 126 });
            return self.status;
        }
        let flags: Vec<&str> =
            args.iter().map(String::as_str).take_while(|a| a.starts_with('-') && *a != "-").collect();
        let has = |c: char| flags.iter().any(|f| !f.starts_with("--") && f.contains(c));
        let operands: Vec<&String> = args.iter().skip(flags.len()).collect();
        match base {
            "true" => 0,
            "false" => 1,
            "echo" => {
                let (mut newline, mut escapes, mut skip) = (true, false, 0);
                for a in args {
                    if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E')) {
                        newline &= !a.contains('n');
                        escapes = a.contains('e') || escapes && !a.contains('E');
                        skip += 1;
                    } else {
                        break;
                    }
                }
                let mut text = args[skip..].join(" ");
                if escapes {
                    let (t, stop) = backslash_escapes(&text);
                    text = t;
                    newline &= !stop;
                }
                if newline {
                    text.push('\n');
                }
                self.out(text.as_bytes(), sys);
                0
            }
            "printf" => match args.split_first() {
                None => {
                    self.warn("printf", "missing argument", sys);
                    1
                }
                Some((fmt, rest)) => {
                    let (text, code) = printf(fmt, rest);
                    self.out(text.as_bytes(), sys);
                    code
                }
            },
            "tar" => self.tar(args, sys),
            "cat" => {
                let (inputs, code) = self.inputs("cat", &operands, sys);
                for (_, d) in inputs {
                    self.out(&d, sys);
                }
                code
            }
            "ls" => self.ls(&operands, has('a'), has('l'), has('d'), sys),
            "df" => self.df(args, sys),
            "mount" => self.mount(args, sys),
            "mkdir" => {
                let mut code = 0;
                for d in &operands {
                    if let Err(e) = sys.fs.mkdir(&fs::normalize(&self.cwd, d), has('p')) {
                        self.warn("mkdir", &format!("can't create directory '{d}': {e}"), sys);
                        code = 1;
                    }
                }
                code
            }
            "rmdir" => {
                let mut code = 0;
                for d in &operands {
                    let path = fs::normalize(&self.cwd, d);
                    let r =
                        if sys.fs.is_file(&path) { Err(FsError::NotDir) } else { sys.fs.remove(&path, false, true) };
                    if let Err(e) = r {
                        self.warn("rmdir", &format!("'{d}': {e}"), sys);
                        code = 1;
                    }
                }
                code
            }
            "rm" => {
                let mut code = 0;
                let recursive = has('r') || has('R');
                for f in &operands {
                    let path = fs::normalize(&self.cwd, f);
                    match sys.fs.remove(&path, recursive, false) {
                        Ok(()) => {}
                        Err(FsError::NotFound) if has('f') => {}
                        Err(FsError::IsDir) => {
                            self.warn("rm", &format!("'{f}' is a directory"), sys);
                            code = 1;
                        }
                        Err(e) => {
                            self.warn("rm", &format!("can't remove '{f}': {e}"), sys);
                            code = 1;
                        }
                    }
                }
                code
            }
            "touch" => {
                let mut code = 0;
                for f in &operands {
                    let path = fs::normalize(&self.cwd, f);
                    if sys.fs.get(&path).is_none() {
                        if let Err(e) = sys.fs.write(&path, b"", true) {
                            self.warn("touch", &format!("{f}: {e}"), sys);
                            code = 1;
                        }
                    }
                }
                code
            }
            "cp" | "mv" => self.copy(base, &operands, sys),
            "env" | "printenv" => {
                let env = self.environ();
                if base == "printenv" && !operands.is_empty() {
                    let mut code = 0;
                    for n in &operands {
                        match env.iter().find(|(k, _)| k == *n) {
                            Some((_, v)) => {
                                let line = format!("{v}\n");
                                self.out(line.as_bytes(), sys);
                            }
                            None => code = 1,
                        }
                    }
                    return code;
                }
                if base == "env" && !operands.is_empty() {
                    let (sets, cmd): (Vec<&String>, Vec<&String>) =
                        operands.iter().partition(|a| a.contains('=') && !a.starts_with('='));
                    let cmd: Vec<String> = cmd.into_iter().cloned().collect();
                    let assigns: Vec<(String, String)> = sets
                        .iter()
                        .filter_map(|s| s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
                        .collect();
                    if !cmd.is_empty() {
                        let _ = self.dispatch(cmd, assigns, sys);
                        return self.status;
                    }
                    let mut text = String::new();
                    for (k, v) in env.iter().filter(|(k, _)| !assigns.iter().any(|(a, _)| a == k)) {
                        text.push_str(&format!("{k}={v}\n"));
                    }
                    for (k, v) in assigns {
                        text.push_str(&format!("{k}={v}\n"));
                    }
                    self.out(text.as_bytes(), sys);
                    return 0;
                }
                let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
                self.out(text.as_bytes(), sys);
                0
            }
            "hostname" => {
                let line = format!("{}\n", sys.hostname);
                self.out(line.as_bytes(), sys);
                0
            }
            "id" => {
                let c = sys.fs.creds.clone();
                let named = |id: u32, file: &str| match crate::node::container::users::name(sys.fs, file, id) {
                    Some(n) => format!("{id}({n})"),
                    None => id.to_string(),
                };
                let groups: Vec<String> = c.groups.iter().map(|g| named(*g, "/etc/group")).collect();
                let line = format!(
                    "uid={} gid={} groups={}\n",
                    named(c.uid, "/etc/passwd"),
                    named(c.gid, "/etc/group"),
                    groups.join(",")
                );
                self.out(line.as_bytes(), sys);
                0
            }
            "ps" => {
                self.ps(args, sys);
                0
            }
            "whoami" => {
                let uid = sys.fs.creds.uid;
                match crate::node::container::users::name(sys.fs, "/etc/passwd", uid) {
                    Some(n) => {
                        self.out(format!("{n}\n").as_bytes(), sys);
                        0
                    }
                    None => {
                        self.warn("whoami", &format!("unknown uid {uid}"), sys);
                        1
                    }
                }
            }
            "uname" => {
                let parts: Vec<&str> = if has('a') {
                    vec!["Linux", sys.hostname, "6.8.0-kubesim", "#1 SMP", "x86_64", "GNU/Linux"]
                } else {
                    let mut p = Vec::new();
                    if has('s') || flags.is_empty() {
                        p.push("Linux");
                    }
                    if has('n') {
                        p.push(sys.hostname);
                    }
                    if has('r') {
                        p.push("6.8.0-kubesim");
                    }
                    if has('m') {
                        p.push("x86_64");
                    }
                    p
                };
                let line = format!("{}\n", parts.join(" "));
                self.out(line.as_bytes(), sys);
                0
            }
            "date" => {
                let fmt = operands.iter().find_map(|a| a.strip_prefix('+')).unwrap_or("%a %b %e %H:%M:%S %Z %Y");
                let fmt = fmt.replace("%Z", "UTC");
                let items: Vec<chrono::format::Item> = chrono::format::StrftimeItems::new(&fmt).collect();
                if items.contains(&chrono::format::Item::Error) {
                    self.warn("date", &format!("invalid format '{fmt}'"), sys);
                    return 1;
                }
                let line = format!("{}\n", sys.now.format_with_items(items.into_iter()));
                self.out(line.as_bytes(), sys);
                0
            }
            "test" | "[" => {
                let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
                if base == "[" {
                    if a.last() != Some(&"]") {
                        self.fail("[: missing ]", 2);
                        return 2;
                    }
                    a.pop();
                }
                match super::test::eval(&a, |p| {
                    let path = fs::normalize(&self.cwd, p);
                    sys.fs.get(&path).map(|n| match n {
                        fs::Node::Dir => (true, 4096),
                        fs::Node::File(d) => (false, d.len()),
                    })
                }) {
                    Ok(true) => 0,
                    Ok(false) => 1,
                    Err(msg) => {
                        self.fail(&format!("{base}: {msg}"), 2);
                        2
                    }
                }
            }
            "wc" => self.wc(&flags, &operands, sys),
            "head" | "tail" => self.head_tail(base, args, sys),
            "grep" => self.grep(&flags, &operands, sys),
            "cut" => self.cut(args, sys),
            "sort" | "uniq" => {
                let (inputs, code) = self.inputs(base, &operands, sys);
                let text: String = inputs.iter().map(|(_, d)| String::from_utf8_lossy(d).into_owned()).collect();
                let mut lines: Vec<&str> = text.lines().collect();
                if base == "sort" {
                    if has('n') {
                        lines.sort_by(|a, b| leading_number(a).total_cmp(&leading_number(b)).then(a.cmp(b)));
                    } else {
                        lines.sort();
                    }
                    if has('r') {
                        lines.reverse();
                    }
                }
                if base == "uniq" || has('u') {
                    lines.dedup();
                }
                let out: String = lines.iter().map(|l| format!("{l}\n")).collect();
                self.out(out.as_bytes(), sys);
                code
            }
            "tr" => {
                let (Some(from), Some(to)) = (operands.first(), operands.get(1)) else {
                    self.warn("tr", "missing operand", sys);
                    return 1;
                };
                let (from, to) = (tr_set(from), tr_set(to));
                let input = String::from_utf8_lossy(&self.input()).into_owned();
                let out: String = input
                    .chars()
                    .map(|c| match from.iter().position(|f| *f == c) {
                        Some(i) => to.get(i).or(to.last()).copied().unwrap_or(c),
                        None => c,
                    })
                    .collect();
                self.out(out.as_bytes(), sys);
                0
            }
            "seq" => {
                let nums: Vec<f64> = operands.iter().filter_map(|a| a.parse::<f64>().ok()).collect();
                if nums.len() != operands.len() || nums.is_empty() || nums.len() > 3 {
                    let bad = operands.iter().find(|a| a.parse::<f64>().is_err()).map(|a| a.as_str()).unwrap_or("");
                    self.warn("seq", &format!("invalid number '{bad}'"), sys);
                    return 1;
                }
                let (first, step, last) = match nums.as_slice() {
                    [l] => (1.0, 1.0, *l),
                    [f, l] => (*f, 1.0, *l),
                    [f, s, l] => (*f, *s, *l),
                    _ => (1.0, 1.0, 0.0),
                };
                // It writes as it counts (a frame at a time), so a reader that stops stops it.
                if step != 0.0 {
                    self.frames.push(super::Frame::Count { next: first, step, last });
                }
                0
            }
            "basename" | "dirname" => {
                let Some(p) = operands.first() else {
                    self.warn(base, "missing operand", sys);
                    return 1;
                };
                let trimmed = p.trim_end_matches('/');
                let out = if base == "basename" {
                    let b = if trimmed.is_empty() { "/" } else { fs::base(trimmed) };
                    b.strip_suffix(operands.get(1).map(|s| s.as_str()).unwrap_or("\0"))
                        .filter(|s| !s.is_empty())
                        .unwrap_or(b)
                        .to_string()
                } else if !trimmed.contains('/') {
                    ".".to_string()
                } else {
                    fs::parent(trimmed).to_string()
                };
                let line = format!("{out}\n");
                self.out(line.as_bytes(), sys);
                0
            }
            n if NETWORK.contains(&n) => {
                let what = if n == "ping" { "ICMP" } else { n };
                self.warn(n, &format!("{what} is not simulated in kubesim's cluster network"), sys);
                1
            }
            _ => {
                self.fail(&format!("{name}: not found"), 127);
                127
            }
        }
    }

    fn ls(&mut self, operands: &[&String], all: bool, long: bool, dirs_as_files: bool, sys: &mut Sys<'_>) -> i32 {
        let dot = ".".to_string();
        let targets: Vec<&String> = if operands.is_empty() { vec![&dot] } else { operands.to_vec() };
        let fs_ref: &fs::Fs = sys.fs;
        let line = |name: &str, dir: bool, size: usize, mode: u32, (uid, gid): (u32, u32)| {
            if long {
                let mode = mode_string(dir, mode);
                let links = if dir { 2 } else { 1 };
                let user =
                    crate::node::container::users::name(fs_ref, "/etc/passwd", uid).unwrap_or_else(|| uid.to_string());
                let group =
                    crate::node::container::users::name(fs_ref, "/etc/group", gid).unwrap_or_else(|| gid.to_string());
                format!("{mode} {links:>4} {user:<8} {group:<8} {size:>9} {name}\n")
            } else {
                format!("{name}\n")
            }
        };
        // `-d` lists a directory itself, as a file is.
        let (files, dirs): (Vec<&String>, Vec<&String>) =
            targets.iter().partition(|t| dirs_as_files || !fs_ref.is_dir(&fs::normalize(&self.cwd, t)));
        let mut out = String::new();
        let mut missing = Vec::new();
        for f in &files {
            let path = fs::normalize(&self.cwd, f);
            let (mode, owner) = (fs_ref.mode(&path), fs_ref.owner(&path));
            match fs_ref.get(&path) {
                Some(fs::Node::File(d)) => out.push_str(&line(f, false, d.len(), mode, owner)),
                Some(fs::Node::Dir) => out.push_str(&line(f, true, 4096, mode, owner)),
                None => missing.push(f.to_string()),
            }
        }
        for (i, d) in dirs.iter().enumerate() {
            if targets.len() > 1 {
                if i > 0 || !files.is_empty() {
                    out.push('\n');
                }
                out.push_str(&format!("{d}:\n"));
            }
            let entries = fs_ref.list(&fs::normalize(&self.cwd, d)).unwrap_or_default();
            if long {
                out.push_str(&format!("total {}\n", entries.len() * 4));
            }
            for e in entries.iter().filter(|e| all || !e.name.starts_with('.')) {
                out.push_str(&line(&e.name, e.dir, e.size, e.mode, e.owner));
            }
        }
        for f in &missing {
            let msg = format!("ls: {f}: No such file or directory\n");
            self.err(msg.as_bytes(), sys);
        }
        self.out(out.as_bytes(), sys);
        i32::from(!missing.is_empty())
    }

    /// busybox's `ps`: the container's processes (every option shows the same columns), all
    /// the container's user; `ps` itself among them, as the child the shell forks for it
    /// unless it is the process exec'd.
    fn ps(&mut self, args: &[String], sys: &mut Sys<'_>) {
        let invocation = std::iter::once("ps").chain(args.iter().map(String::as_str)).collect::<Vec<_>>().join(" ");
        let mut rows = sys.procs.table.clone();
        let me = self.pid;
        if !rows.iter().any(|(pid, cmd)| {
            *pid == me && cmd.split_whitespace().next().map(|w| w.rsplit('/').next()) == Some(Some("ps"))
        }) {
            rows.push((sys.procs.pid(), invocation));
        }
        let uid = sys.fs.creds.uid;
        let user = crate::node::container::users::name(sys.fs, "/etc/passwd", uid).unwrap_or_else(|| uid.to_string());
        let mut out = String::from("PID   USER     TIME  COMMAND\n");
        for (pid, cmd) in rows {
            out.push_str(&format!("{pid:>5} {user:<8} {:>2}:{:02} {cmd}\n", 0, 0));
        }
        self.out(out.as_bytes(), sys);
    }

    fn copy(&mut self, applet: &str, operands: &[&String], sys: &mut Sys<'_>) -> i32 {
        let Some((dest, sources)) = operands.split_last().filter(|(_, s)| !s.is_empty()) else {
            self.warn(applet, "missing file operand", sys);
            return 1;
        };
        let dest_path = fs::normalize(&self.cwd, dest);
        let into_dir = sys.fs.is_dir(&dest_path);
        let mut code = 0;
        for src in sources {
            let from = fs::normalize(&self.cwd, src);
            let to = if into_dir {
                format!("{}/{}", dest_path.trim_end_matches('/'), fs::base(&from))
            } else {
                dest_path.clone()
            };
            let r = if applet == "mv" {
                sys.fs.rename(&from, &to).map_err(|e| format!("can't rename '{src}': {e}"))
            } else {
                match sys.fs.get(&from) {
                    None => Err(format!("can't stat '{src}': No such file or directory")),
                    Some(fs::Node::Dir) => Err(format!("omitting directory '{src}'")),
                    Some(fs::Node::File(d)) => {
                        let d = d.clone();
                        sys.fs.write(&to, &d, false).map_err(|e| format!("can't create '{dest}': {e}"))
                    }
                }
            };
            if let Err(msg) = r {
                self.warn(applet, &msg, sys);
                code = 1;
            }
        }
        code
    }

    fn wc(&mut self, flags: &[&str], operands: &[&String], sys: &mut Sys<'_>) -> i32 {
        let want = wc_wanted(flags);
        let (inputs, code) = self.inputs("wc", operands, sys);
        let one = want.len() == 1 && operands.len() <= 1;
        let mut totals = [0usize; 3];
        let mut out = String::new();
        for (name, d) in &inputs {
            let counts = wc_counts(d);
            out.push_str(&wc_format(&want, one, counts));
            for i in 0..3 {
                totals[i] += counts[i];
            }
            if operands.is_empty() {
                out.push('\n');
            } else {
                out.push_str(&format!(" {name}\n"));
            }
        }
        if inputs.len() > 1 {
            out.push_str(&wc_format(&want, false, totals));
            out.push_str(" total\n");
        }
        self.out(out.as_bytes(), sys);
        code
    }

    fn head_tail(&mut self, applet: &str, args: &[String], sys: &mut Sys<'_>) -> i32 {
        let mut n: usize = 10;
        let mut files = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "-n" => match it.next().and_then(|v| v.trim_start_matches('+').parse().ok()) {
                    Some(v) => n = v,
                    None => {
                        self.warn(applet, "invalid number", sys);
                        return 1;
                    }
                },
                "-f" | "-F" => {}
                s if s.starts_with("-n") => n = s[2..].parse().unwrap_or(n),
                s if s.len() > 1 && s.starts_with('-') && s[1..].chars().all(|c| c.is_ascii_digit()) => {
                    n = s[1..].parse().unwrap_or(n)
                }
                _ => files.push(a),
            }
        }
        let (inputs, code) = self.inputs(applet, &files, sys);
        let many = inputs.len() > 1;
        let mut out = String::new();
        for (i, (name, d)) in inputs.iter().enumerate() {
            if many {
                out.push_str(&format!("{}==> {name} <==\n", if i > 0 { "\n" } else { "" }));
            }
            let text = String::from_utf8_lossy(d);
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let pick =
                if applet == "head" { &lines[..n.min(lines.len())] } else { &lines[lines.len().saturating_sub(n)..] };
            out.extend(pick.iter().copied());
        }
        self.out(out.as_bytes(), sys);
        code
    }

    fn grep(&mut self, flags: &[&str], operands: &[&String], sys: &mut Sys<'_>) -> i32 {
        let has = |c: char| flags.iter().any(|f| f.contains(c));
        let Some((pattern, files)) = operands.split_first() else {
            self.err(b"BusyBox v1.37.0 multi-call binary.\n\nUsage: grep [-HhnlLoqvsrRiwFE] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...\n", sys);
            return 2;
        };
        let re = match super::regex::Regex::new(pattern, has('E'), has('F'), has('i')) {
            Ok(r) => r,
            Err(msg) => {
                self.warn("grep", &msg, sys);
                return 2;
            }
        };
        let mut code = 1;
        let mut out = String::new();
        let mut missing = false;
        let many = files.len() > 1;
        let names: Vec<&String> = files.to_vec();
        let (inputs, failed) = self.inputs("grep", &names, sys);
        if failed != 0 {
            missing = true;
        }
        for (name, d) in &inputs {
            let text = String::from_utf8_lossy(d);
            let mut count = 0;
            for (i, line) in text.lines().enumerate() {
                if re.is_match(line) != has('v') {
                    count += 1;
                    code = 0;
                    if has('q') {
                        return 0;
                    }
                    if has('c') || has('l') {
                        continue;
                    }
                    if many {
                        out.push_str(&format!("{name}:"));
                    }
                    if has('n') {
                        out.push_str(&format!("{}:", i + 1 + self.line_base));
                    }
                    out.push_str(line);
                    out.push('\n');
                }
            }
            if has('c') {
                out.push_str(&if many { format!("{name}:{count}\n") } else { format!("{count}\n") });
            } else if has('l') && count > 0 {
                out.push_str(&format!("{name}\n"));
            }
        }
        self.out(out.as_bytes(), sys);
        if missing {
            2
        } else {
            code
        }
    }

    fn cut(&mut self, args: &[String], sys: &mut Sys<'_>) -> i32 {
        let (mut delim, mut fields, mut chars, mut files) = ('\t', None, None, Vec::new());
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (opt, val) = if a.starts_with('-') && a.len() > 2 {
                (&a[..2], Some(a[2..].to_string()))
            } else {
                (a.as_str(), None)
            };
            match opt {
                "-d" | "-f" | "-c" => {
                    let v = val.or_else(|| it.next().cloned()).unwrap_or_default();
                    match opt {
                        "-d" => delim = v.chars().next().unwrap_or('\t'),
                        "-f" => fields = Some(ranges(&v)),
                        _ => chars = Some(ranges(&v)),
                    }
                }
                _ => files.push(a),
            }
        }
        let Some(list) = fields.clone().or(chars.clone()) else {
            self.warn("cut", "expected a list of bytes, characters, or fields", sys);
            return 1;
        };
        let (inputs, code) = self.inputs("cut", &files, sys);
        let mut out = String::new();
        for (_, d) in inputs {
            for line in String::from_utf8_lossy(&d).lines() {
                let parts: Vec<String> = if fields.is_some() {
                    if !line.contains(delim) {
                        out.push_str(line);
                        out.push('\n');
                        continue;
                    }
                    line.split(delim).map(str::to_string).collect()
                } else {
                    line.chars().map(|c| c.to_string()).collect()
                };
                let picked: Vec<&str> = parts
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| list.iter().any(|(a, b)| *a <= i + 1 && *i < *b))
                    .map(|(_, p)| p.as_str())
                    .collect();
                let sep = if fields.is_some() { delim.to_string() } else { String::new() };
                out.push_str(&picked.join(&sep));
                out.push('\n');
            }
        }
        self.out(out.as_bytes(), sys);
        code
    }
}

/// The counts `wc` prints, from its flags: lines, words, bytes.
pub(super) fn wc_wanted(flags: &[&str]) -> Vec<char> {
    let all: String = flags.iter().map(|f| f.trim_start_matches('-')).collect();
    let w: Vec<char> =
        ['l', 'w', 'c'].into_iter().filter(|c| all.contains(*c) || all.contains('m') && *c == 'c').collect();
    if w.is_empty() {
        vec!['l', 'w', 'c']
    } else {
        w
    }
}

/// Lines, words and bytes of `d`.
pub(super) fn wc_counts(d: &[u8]) -> [usize; 3] {
    let text = String::from_utf8_lossy(d);
    [d.iter().filter(|b| **b == b'\n').count(), text.split_whitespace().count(), d.len()]
}

/// `wc`'s columns: one bare number when one count of one input is asked for, else each
/// right-aligned in 9 (without the name).
pub(super) fn wc_format(want: &[char], one: bool, counts: [usize; 3]) -> String {
    let mut out = String::new();
    for (i, c) in ['l', 'w', 'c'].iter().enumerate() {
        if want.contains(c) {
            let first = want.first() == Some(c);
            out.push_str(&match (one, first) {
                (true, _) => counts[i].to_string(),
                (false, true) => format!("{:>9}", counts[i]),
                (false, false) => format!(" {:>9}", counts[i]),
            });
        }
    }
    out
}

/// `1,3-5,7-` as inclusive ranges.
fn ranges(spec: &str) -> Vec<(usize, usize)> {
    spec.split(',')
        .filter_map(|r| match r.split_once('-') {
            Some((a, b)) => Some((a.parse().unwrap_or(1), b.parse().unwrap_or(usize::MAX))),
            None => r.parse().ok().map(|n| (n, n)),
        })
        .collect()
}

fn leading_number(s: &str) -> f64 {
    let t = s.trim_start();
    let end = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).unwrap_or(t.len());
    t[..end].parse().unwrap_or(0.0)
}

/// `tr`'s sets: `a-z` ranges and plain characters.
fn tr_set(s: &str) -> Vec<char> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if i + 2 < c.len() && c[i + 1] == '-' && c[i] <= c[i + 2] && (c[i + 2] as u32 - c[i] as u32) < 1024 {
            out.extend(c[i]..=c[i + 2]);
            i += 3;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// echo -e and printf's `%b`: the text, and whether `\c` stopped it.
fn backslash_escapes(s: &str) -> (String, bool) {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some('\\') => out.push('\\'),
            Some('c') => return (out, true),
            Some('0') => {
                let mut n = 0u32;
                for _ in 0..3 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            n = n * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.extend(char::from_u32(n));
            }
            Some(c) => {
                out.push('\\');
                out.push(c);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

/// printf FORMAT ARGS: the format is reused while arguments remain.
fn printf(fmt: &str, args: &[String]) -> (String, i32) {
    let mut out = String::new();
    let mut code = 0;
    let mut args = args.iter();
    loop {
        let mut used = false;
        let mut chars = fmt.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' {
                let mut esc = String::from('\\');
                esc.extend(chars.next());
                let (t, stop) = backslash_escapes(&esc);
                out.push_str(&t);
                if stop {
                    return (out, code);
                }
                continue;
            }
            if c != '%' {
                out.push(c);
                continue;
            }
            let mut spec = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_ascii_digit() || matches!(d, '-' | '.' | '+' | ' ' | '#' | '0') {
                    spec.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            let Some(conv) = chars.next() else { break };
            if conv == '%' {
                out.push('%');
                continue;
            }
            used = true;
            let arg = args.next().map(String::as_str).unwrap_or("");
            let left = spec.starts_with('-');
            let zero = spec.trim_start_matches('-').starts_with('0');
            let (width, prec): (usize, Option<usize>) =
                match spec.trim_start_matches(['-', '0', '+', ' ', '#']).split_once('.') {
                    Some((w, p)) => (w.parse().unwrap_or(0), Some(p.parse().unwrap_or(0))),
                    None => (spec.trim_start_matches(['-', '0', '+', ' ', '#']).parse().unwrap_or(0), None),
                };
            let body = match conv {
                's' => match prec {
                    Some(p) => arg.chars().take(p).collect(),
                    None => arg.to_string(),
                },
                'b' => backslash_escapes(arg).0,
                'c' => arg.chars().next().map(String::from).unwrap_or_default(),
                'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
                    let n: i64 = if arg.is_empty() {
                        0
                    } else {
                        match arg.trim().parse() {
                            Ok(n) => n,
                            Err(_) => {
                                code = 1;
                                out.push_str(&format!("printf: invalid number '{arg}'\n"));
                                0
                            }
                        }
                    };
                    match conv {
                        'x' => format!("{n:x}"),
                        'X' => format!("{n:X}"),
                        'o' => format!("{n:o}"),
                        _ => n.to_string(),
                    }
                }
                'f' | 'e' | 'g' => {
                    let x: f64 = arg.trim().parse().unwrap_or(0.0);
                    format!("{:.*}", prec.unwrap_or(6), x)
                }
                other => format!("%{spec}{other}"),
            };
            let pad = width.saturating_sub(body.chars().count());
            if left {
                out.push_str(&body);
                out.extend(std::iter::repeat_n(' ', pad));
            } else {
                let fill = if zero && conv != 's' { '0' } else { ' ' };
                out.extend(std::iter::repeat_n(fill, pad));
                out.push_str(&body);
            }
        }
        if !used || args.len() == 0 {
            break;
        }
    }
    (out, code)
}

/// `ls -l`'s mode column: `-rw-r--r--`.
fn mode_string(dir: bool, mode: u32) -> String {
    let mut s = String::from(if dir { "d" } else { "-" });
    // setuid, setgid and sticky show in the user's, group's and others' execute column.
    for (shift, special, letter) in [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(match (bits & 1 != 0, mode & special != 0) {
            (true, true) => letter,
            (false, true) => letter.to_ascii_uppercase(),
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    s
}
