//! Running a command: functions, the shell's builtins (those that change the shell itself,
//! and `sleep`, which stops it), nested shells, then busybox's applets.

use chrono::Duration;

use super::ir::{self, Cmd};
use super::{net, Frame, Run, Shell, Sys, Unwind};
use crate::node::container::fs;

/// Signals `trap` and `kill` know, by number.
pub(super) const SIGNALS: &[(&str, i32)] = &[
    ("EXIT", 0),
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// A signal's name (`TERM`) from `TERM`, `SIGTERM` or `15`.
pub fn signal_name(s: &str) -> Option<&'static str> {
    let up = s.to_ascii_uppercase();
    let up = up.strip_prefix("SIG").unwrap_or(&up);
    SIGNALS.iter().find(|(n, num)| *n == up || num.to_string() == up).map(|(n, _)| *n)
}

/// `sleep`'s argument as busybox reads it: a decimal number with an optional `s`, `m`, `h`
/// or `d` suffix, or `inf`.
pub fn sleep_duration(arg: &str) -> Option<Option<Duration>> {
    if matches!(arg, "inf" | "infinity") {
        return Some(None);
    }
    let (num, mult) = match arg.char_indices().last() {
        Some((i, 's')) => (&arg[..i], 1.0),
        Some((i, 'm')) => (&arg[..i], 60.0),
        Some((i, 'h')) => (&arg[..i], 3600.0),
        Some((i, 'd')) => (&arg[..i], 86400.0),
        _ => (arg, 1.0),
    };
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let secs: f64 = num.parse().ok()?;
    let ms = (secs * mult * 1000.0).min(1e14);
    Some(Some(Duration::milliseconds(ms as i64)))
}

impl Shell {
    pub(super) fn dispatch(
        &mut self,
        words: Vec<String>,
        assigns: Vec<(String, String)>,
        sys: &mut Sys<'_>,
    ) -> Option<Run> {
        let name = words[0].clone();
        let args = &words[1..];
        if let Some(body) = self.funcs.get(name.as_str()).cloned() {
            for (k, v) in assigns {
                self.set_var(&k, v);
            }
            let saved = std::mem::replace(&mut self.args, args.to_vec());
            self.frames.push(Frame::Func(saved));
            self.frames.push(Frame::Cmd((*body).clone()));
            return None;
        }
        if self.read_pipe_first(&words, &assigns) {
            return None;
        }
        let code = match name.as_str() {
            ":" | "true" => 0,
            "exit" | "return" => {
                let code = match args.first() {
                    None => self.status,
                    Some(a) => match a.parse::<i64>() {
                        Ok(n) => (n & 0xff) as i32,
                        Err(_) => {
                            self.fail(&format!("{name}: Illegal number: {a}"), 2);
                            return None;
                        }
                    },
                };
                self.unwind(if name == "exit" { Unwind::Exit(code) } else { Unwind::Return(code) });
                return None;
            }
            "break" | "continue" => {
                let n = args.first().and_then(|a| a.parse::<u32>().ok()).unwrap_or(1).max(1);
                self.status = 0;
                self.unwind(if name == "break" { Unwind::Break(n) } else { Unwind::Continue(n) });
                return None;
            }
            "export" | "readonly" | "local" => {
                for a in args {
                    let (k, v) = match a.split_once('=') {
                        Some((k, v)) => (k, Some(v.to_string())),
                        None => (a.as_str(), None),
                    };
                    if let Some(v) = v {
                        self.set_var(k, v);
                    }
                    if name == "export" {
                        if let Some(v) = self.vars.get_mut(k) {
                            v.exported = true;
                        }
                    }
                }
                0
            }
            "unset" => {
                for a in args.iter().filter(|a| !a.starts_with('-')) {
                    self.vars.remove(a.as_str());
                    self.funcs.remove(a.as_str());
                }
                0
            }
            "set" => {
                let mut args = args;
                // Options: `-e`/`+e` and `-o errexit`; others are accepted and ignored.
                while let Some(a) = args.first().filter(|a| a.len() > 1 && a.starts_with(['-', '+']) && *a != "--") {
                    let on = a.starts_with('-');
                    if a == "-o" || a == "+o" {
                        if args.get(1).map(String::as_str) == Some("errexit") {
                            self.errexit = on;
                        }
                        args = &args[args.len().min(2)..];
                        continue;
                    }
                    if a.contains('e') {
                        self.errexit = on;
                    }
                    args = &args[1..];
                }
                if let Some(i) = args.iter().position(|a| a == "--") {
                    self.args = args[i + 1..].to_vec();
                } else if !args.is_empty() {
                    self.args = args.to_vec();
                } else if words.len() == 1 {
                    let text: String = self.vars.iter().map(|(k, v)| format!("{k}='{}'\n", v.value)).collect();
                    self.out(text.as_bytes(), sys);
                }
                0
            }
            "shift" => {
                let n = args.first().and_then(|a| a.parse::<usize>().ok()).unwrap_or(1);
                if n > self.args.len() {
                    self.fail("shift: can't shift that many", 2);
                    return None;
                }
                self.args.drain(..n);
                0
            }
            "trap" => return self.trap(args, sys),
            "cd" => {
                let target =
                    args.first().cloned().or_else(|| self.var("HOME").map(str::to_string)).unwrap_or("/".into());
                let path = fs::normalize(&self.cwd, &target);
                if sys.fs.is_dir(&path) {
                    self.cwd = path.clone();
                    self.set_var("PWD", path);
                    0
                } else {
                    let why = if sys.fs.is_file(&path) { "Not a directory" } else { "No such file or directory" };
                    self.fail(&format!("cd: can't cd to {target}: {why}"), 2);
                    return None;
                }
            }
            "pwd" => {
                let line = format!("{}\n", self.cwd);
                self.out(line.as_bytes(), sys);
                0
            }
            "wait" => return self.wait_builtin(args),
            "kill" => self.kill(args, sys),
            "yes" => {
                let mut line = if args.is_empty() { "y".to_string() } else { args.join(" ") };
                line.push('\n');
                self.frames.push(Frame::Yes(std::sync::Arc::from(line.into_bytes())));
                return None;
            }
            "read" => self.read(args),
            "eval" => return self.run_text(&args.join(" ")),
            "." | "source" => {
                let Some(file) = args.first() else {
                    self.fail(".: filename argument required", 2);
                    return None;
                };
                let path = fs::normalize(&self.cwd, file);
                match sys.fs.read(&path) {
                    Ok(data) => return self.run_text(&String::from_utf8_lossy(&data)),
                    Err(_) => {
                        self.fail(&format!(".: can't open '{file}'"), 2);
                        return None;
                    }
                }
            }
            "exec" => {
                if args.is_empty() {
                    // `exec >file`: the redirections stay.
                    if let Some(Frame::RestoreIo(_)) = self.frames.last() {
                        self.frames.pop();
                    }
                    self.status = 0;
                    return None;
                }
                // The command replaces the shell: nothing after it runs.
                self.frames.clear();
                return self.dispatch(args.to_vec(), assigns, sys);
            }
            "sleep" => match args.first().map(|a| sleep_duration(a)) {
                None => {
                    let msg = b"BusyBox v1.37.0 multi-call binary.\n\nUsage: sleep [N]...\n";
                    self.err(msg, sys);
                    1
                }
                Some(None) => {
                    let line = format!("sleep: invalid number '{}'\n", args[0]);
                    self.err(line.as_bytes(), sys);
                    1
                }
                Some(Some(None)) => {
                    self.frames.push(Frame::Sleep(chrono::DateTime::<chrono::Utc>::MAX_UTC));
                    return None;
                }
                Some(Some(Some(d))) => {
                    let until = sys.now.checked_add_signed(d).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
                    self.frames.push(Frame::Sleep(until));
                    return None;
                }
            },
            "sh" | "/bin/sh" | "bash" | "/bin/bash" | "ash" | "/bin/ash" | "dash" => {
                return self.nested_shell(&name, args, sys);
            }
            n if n.rsplit('/').next() == Some(crate::node::container::certgen::PROGRAM) => {
                return self.certgen_start(args, sys);
            }
            n if net::CLIENTS.contains(&n.rsplit('/').next().unwrap_or(n)) => {
                return self.net_start(n.rsplit('/').next().unwrap_or(n), args, sys);
            }
            _ => {
                let saved: Vec<_> = assigns.iter().map(|(k, _)| (k.clone(), self.vars.get(k).cloned())).collect();
                for (k, v) in &assigns {
                    self.vars.insert(k.clone(), super::Var { value: v.clone(), exported: true });
                }
                let code = self.applet(&name, args, sys);
                for (k, old) in saved {
                    match old {
                        Some(v) => self.vars.insert(k, v),
                        None => self.vars.remove(&k),
                    };
                }
                code
            }
        };
        self.status = code;
        None
    }

    /// Parse and run `text` here (`eval`, `.`).
    fn run_text(&mut self, text: &str) -> Option<Run> {
        match ir::parse(text) {
            Ok(cmd) => {
                self.status = 0;
                self.frames.push(Frame::Cmd(cmd));
            }
            Err(msg) => self.fail(&msg, 2),
        }
        None
    }

    /// `sh -c SCRIPT [NAME [ARGS...]]`, `sh FILE [ARGS...]`: a child shell, as a subshell.
    fn nested_shell(&mut self, name: &str, args: &[String], sys: &mut Sys<'_>) -> Option<Run> {
        let (script, arg0, rest) = match args.first().map(String::as_str) {
            Some("-c") => match args.get(1) {
                Some(s) => (s.clone(), args.get(2).cloned().unwrap_or_else(|| name.to_string()), args.get(3..)),
                None => {
                    self.fail("-c requires an argument", 2);
                    return None;
                }
            },
            Some(file) => {
                let path = fs::normalize(&self.cwd, file);
                match sys.fs.read(&path) {
                    Ok(d) => (String::from_utf8_lossy(&d).into_owned(), file.to_string(), args.get(1..)),
                    Err(_) => {
                        self.fail(&format!("can't open '{file}'"), 2);
                        return None;
                    }
                }
            }
            None => {
                let text = match &self.io.stdin {
                    Some(super::Input::Data(d, pos)) => {
                        Some(String::from_utf8_lossy(d.get(*pos..).unwrap_or_default()).into_owned())
                    }
                    _ => None,
                };
                (text.unwrap_or_default(), name.to_string(), None)
            }
        };
        let cmd: Cmd = match ir::parse(&script) {
            Ok(c) => c,
            Err(msg) => {
                let line = format!("{name}: {msg}\n");
                self.err(line.as_bytes(), sys);
                self.status = 2;
                return None;
            }
        };
        self.frames.push(Frame::Scope(self.save()));
        self.vars.retain(|_, v| v.exported);
        self.funcs.clear();
        self.traps.clear();
        self.args = rest.map(<[String]>::to_vec).unwrap_or_default();
        self.arg0 = arg0;
        self.status = 0;
        self.frames.push(Frame::Cmd(cmd));
        None
    }

    fn trap(&mut self, args: &[String], sys: &mut Sys<'_>) -> Option<Run> {
        if args.is_empty() {
            let text: String = self.traps.iter().map(|(sig, action)| format!("trap -- '{action}' {sig}\n")).collect();
            self.out(text.as_bytes(), sys);
            self.status = 0;
            return None;
        }
        let (action, sigs) = if args.len() == 1 || signal_name(&args[0]).is_some() && args[0].parse::<i32>().is_ok() {
            (None, args)
        } else {
            (Some(args[0].clone()), &args[1..])
        };
        for s in sigs {
            let Some(sig) = signal_name(s) else {
                self.fail(&format!("trap: {s}: bad trap"), 1);
                return None;
            };
            match action.as_deref() {
                None | Some("-") => {
                    self.traps.remove(sig);
                }
                Some(a) => {
                    self.traps.insert(sig.to_string(), a.to_string());
                }
            }
        }
        self.status = 0;
        None
    }

    /// `read [-r] NAME...`: one line of stdin into the names; 1 at the end of input.
    fn read(&mut self, args: &[String]) -> i32 {
        let raw = args.iter().any(|a| a == "-r");
        let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let Some(super::Input::Data(data, pos)) = self.io.stdin.clone() else { return 1 };
        if pos >= data.len() {
            return 1;
        }
        let rest = &data[pos..];
        let end = rest.iter().position(|b| *b == b'\n');
        let line_end = end.unwrap_or(rest.len());
        let mut line = String::from_utf8_lossy(&rest[..line_end]).into_owned();
        self.io.stdin = Some(super::Input::Data(data.clone(), pos + line_end + usize::from(end.is_some())));
        if !raw {
            line = line.replace('\\', "");
        }
        let names: Vec<String> =
            if names.is_empty() { vec!["REPLY".into()] } else { names.into_iter().cloned().collect() };
        let mut fields = line.split_whitespace().map(str::to_string).collect::<Vec<_>>().into_iter();
        for (i, n) in names.iter().enumerate() {
            let v = if i + 1 == names.len() {
                // The last name takes the rest of the line.
                let taken: Vec<String> = fields.by_ref().collect();
                taken.join(" ")
            } else {
                fields.next().unwrap_or_default()
            };
            self.set_var(n, v);
        }
        i32::from(end.is_none() && line_end == 0)
    }
}
