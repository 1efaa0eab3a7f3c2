//! A small POSIX shell, as busybox ash runs in a container: brush-parser reads the script,
//! [`ir`] lowers it, and the evaluator here runs it as an explicit stack of frames, so the
//! shell can stop anywhere (a `sleep`, the end of its step budget) and go on at a later
//! simulated moment. Every call to [`Shell::run`] is bounded by its fuel; nothing blocks.
//!
//! Pipelines run their stages one after another, each stage's output the next one's input,
//! each in a subshell as ash runs them. `&` runs its command in the foreground.

mod applets;
mod builtins;
mod expand;
pub mod ir;
mod regex;
mod tar;
mod test;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use applets::{APPLETS, NETWORK};

use super::fs::{self, Fs};
use ir::{Cmd, Item, Redir};

pub type Time = DateTime<Utc>;

/// What one run of the shell may do before it yields: a step is one frame (a command, a
/// loop turn). A shell that spends it all without sleeping is CPU-bound; its owner decides
/// when it runs again.
pub const FUEL: u32 = 10_000;

/// The most a pipe or a command substitution holds; more is dropped (as if the reader had
/// stopped reading).
const CAPTURE_CAP: usize = 1 << 20;

/// What fd 1 and fd 2 wrote since the owner last took them, at most this much each.
const TERM_CAP: usize = 1 << 20;

/// What the shell runs against: its container's files, the time, the host's name.
pub struct Sys<'a> {
    pub fs: &'a mut Fs,
    pub now: Time,
    pub hostname: &'a str,
}

/// Where a file descriptor writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// The process's own stdout (0) or stderr (1): the container's log, or exec's streams.
    Term(usize),
    Null,
    File(String),
    Capture(usize),
}

/// The shell's standard streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Io {
    /// What is left to read on stdin, from a position.
    pub stdin: Option<(Arc<Vec<u8>>, usize)>,
    pub out: Sink,
    pub err: Sink,
}

impl Default for Io {
    fn default() -> Self {
        Io { stdin: None, out: Sink::Term(0), err: Sink::Term(1) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub value: String,
    pub exported: bool,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    Exited(i32),
    /// Sleeping until then.
    Sleeping(Time),
    /// Out of fuel: it has more to do now.
    Busy,
    /// An interactive shell between commands, waiting for its next line of input.
    Reading,
}

/// What a subshell restores when it ends.
#[derive(Debug, Clone)]
struct Saved {
    vars: BTreeMap<String, Var>,
    funcs: BTreeMap<Arc<str>, Arc<Cmd>>,
    args: Vec<String>,
    cwd: String,
    traps: BTreeMap<String, String>,
    io: Io,
    arg0: String,
}

#[derive(Debug, Clone)]
enum Frame {
    Cmd(Cmd),
    Seq(Arc<[Cmd]>, usize),
    AndOr(Arc<[(bool, Cmd)]>, usize),
    Pipe {
        stages: Arc<[Cmd]>,
        next: usize,
        bang: bool,
        capture: Option<usize>,
        io: Io,
    },
    If(Arc<[(Cmd, Cmd)]>, usize, Option<Arc<Cmd>>),
    /// `body_done`: the body just ran (the condition is next); else the condition just ran.
    Loop {
        until: bool,
        cond: Arc<Cmd>,
        body: Arc<Cmd>,
        body_done: bool,
        last: i32,
    },
    For {
        var: Arc<str>,
        items: Arc<[String]>,
        next: usize,
        body: Arc<Cmd>,
    },
    Simple {
        cmd: Arc<ir::Simple>,
        substs: Vec<String>,
    },
    /// The end of a command substitution: its output goes to the command below.
    Subst {
        capture: usize,
        saved: Box<Saved>,
    },
    /// The end of a subshell.
    Scope(Box<Saved>),
    RestoreIo(Io),
    /// The end of a function call: the caller's positional parameters.
    Func(Vec<String>),
    Sleep(Time),
    /// The end of a trap's action: `$?` as it was.
    Trap(i32),
}

/// Where an unwinding stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unwind {
    Exit(i32),
    Return(i32),
    Break(u32),
    Continue(u32),
}

#[derive(Debug, Clone)]
pub struct Shell {
    pub vars: BTreeMap<String, Var>,
    funcs: BTreeMap<Arc<str>, Arc<Cmd>>,
    pub arg0: String,
    pub args: Vec<String>,
    pub status: i32,
    frames: Vec<Frame>,
    pub io: Io,
    pub cwd: String,
    captures: Vec<Vec<u8>>,
    /// What fds 1 and 2 wrote to the terminal, for the owner to take.
    pub term: [Vec<u8>; 2],
    traps: BTreeMap<String, String>,
    /// Signals caught, whose trap runs when the current command ends.
    pending: Vec<String>,
    exit: Option<i32>,
    pub pid: u32,
    /// Reading its commands from a terminal or stdin ([`super::terminal`]): with no command
    /// left it waits for the next instead of exiting.
    pub interactive: bool,
    /// Both fds write to one terminal (a TTY), so stdout and stderr keep their order.
    pub tty: bool,
}

impl Shell {
    /// A shell named `arg0` with these environment variables (exported), running nothing yet.
    pub fn new(arg0: &str, env: &[(String, String)]) -> Shell {
        let vars = env.iter().map(|(k, v)| (k.clone(), Var { value: v.clone(), exported: true })).collect();
        Shell {
            vars,
            funcs: BTreeMap::new(),
            arg0: arg0.to_string(),
            args: Vec::new(),
            status: 0,
            frames: Vec::new(),
            io: Io::default(),
            cwd: "/".into(),
            captures: Vec::new(),
            term: [Vec::new(), Vec::new()],
            traps: BTreeMap::new(),
            pending: Vec::new(),
            exit: None,
            pid: 1,
            interactive: false,
            tty: false,
        }
    }

    /// Run `script` (`sh -c`); a syntax error is reported as ash does and ends the shell
    /// with 2.
    pub fn start_script(&mut self, script: &str) {
        match ir::parse(script) {
            Ok(cmd) => self.frames.push(Frame::Cmd(cmd)),
            Err(msg) => {
                self.error(&msg);
                self.exit = Some(2);
            }
        }
    }

    /// Run one command of literal words (a container's command without a shell).
    pub fn start_command(&mut self, words: &[String]) {
        self.frames.push(Frame::Cmd(ir::literal(words)));
    }

    /// Run `cmd` next (a command line read from a terminal).
    pub fn push(&mut self, cmd: Cmd) {
        self.frames.push(Frame::Cmd(cmd));
    }

    /// Whether nothing runs: an interactive shell at its prompt.
    pub fn idle(&self) -> bool {
        self.frames.is_empty()
    }

    /// SIGINT from the terminal (Ctrl-C) without a trap: the running command line stops,
    /// with what its subshells and redirections changed undone, and `$?` is 130.
    pub fn interrupt(&mut self) {
        while let Some(frame) = self.frames.pop() {
            match frame {
                Frame::Scope(saved) | Frame::Subst { saved, .. } => self.restore(*saved),
                Frame::RestoreIo(io) | Frame::Pipe { io, .. } => self.io = io,
                Frame::Func(args) => self.args = args,
                _ => {}
            }
        }
        self.captures.clear();
        self.status = 130;
    }

    /// Whether `sig` has a trap (an empty one ignores it).
    pub fn traps(&self, sig: &str) -> bool {
        self.traps.contains_key(sig)
    }

    /// A caught signal waits for its trap.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    pub fn exited(&self) -> Option<i32> {
        self.exit
    }

    /// `sh: MESSAGE` on stderr.
    fn error(&mut self, msg: &str) {
        let line = format!("{}: {msg}\n", self.arg0);
        self.term_write(1, line.as_bytes());
    }

    fn term_write(&mut self, i: usize, data: &[u8]) {
        let buf = &mut self.term[if self.tty { 0 } else { i }];
        let room = TERM_CAP.saturating_sub(buf.len());
        buf.extend_from_slice(&data[..data.len().min(room)]);
    }

    /// Write to a sink (a full capture or file system drops what does not fit).
    fn write_sink(&mut self, sink: &Sink, data: &[u8], sys: &mut Sys<'_>) {
        match sink {
            Sink::Term(i) => self.term_write(*i, data),
            Sink::Null => {}
            Sink::File(path) => {
                let _ = sys.fs.write(path, data, true);
            }
            Sink::Capture(i) => {
                if let Some(buf) = self.captures.get_mut(*i) {
                    let room = CAPTURE_CAP.saturating_sub(buf.len());
                    buf.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
        }
    }

    pub fn out(&mut self, data: &[u8], sys: &mut Sys<'_>) {
        let sink = self.io.out.clone();
        self.write_sink(&sink, data, sys);
    }

    pub fn err(&mut self, data: &[u8], sys: &mut Sys<'_>) {
        let sink = self.io.err.clone();
        self.write_sink(&sink, data, sys);
    }

    /// A signal arrives (`TERM`, `INT`, ...). True when the shell handles it (a trap, or an
    /// empty trap that ignores it); otherwise the default applies, which for PID 1 is none.
    pub fn signal(&mut self, sig: &str) -> bool {
        match self.traps.get(sig) {
            Some(action) if action.is_empty() => true,
            Some(_) => {
                self.pending.push(sig.to_string());
                true
            }
            None => false,
        }
    }

    fn save(&self) -> Box<Saved> {
        Box::new(Saved {
            vars: self.vars.clone(),
            funcs: self.funcs.clone(),
            args: self.args.clone(),
            cwd: self.cwd.clone(),
            traps: self.traps.clone(),
            io: self.io.clone(),
            arg0: self.arg0.clone(),
        })
    }

    fn restore(&mut self, s: Saved) {
        self.vars = s.vars;
        self.funcs = s.funcs;
        self.args = s.args;
        self.cwd = s.cwd;
        self.traps = s.traps;
        self.io = s.io;
        self.arg0 = s.arg0;
    }

    fn new_capture(&mut self) -> usize {
        self.captures.push(Vec::new());
        self.captures.len() - 1
    }

    fn take_capture(&mut self, i: usize) -> Vec<u8> {
        let data = self.captures.get_mut(i).map(std::mem::take).unwrap_or_default();
        self.captures.truncate(i);
        data
    }

    /// Run until the shell exits, sleeps past `sys.now`, or spends `fuel`.
    pub fn run(&mut self, sys: &mut Sys<'_>, fuel: &mut u32) -> Run {
        loop {
            if let Some(code) = self.exit {
                return Run::Exited(code);
            }
            if !self.pending.is_empty() && !matches!(self.frames.last(), Some(Frame::Sleep(t)) if *t > sys.now) {
                let sig = self.pending.remove(0);
                let action = self.traps.get(&sig).cloned().unwrap_or_default();
                match ir::parse(&action) {
                    Ok(cmd) => {
                        self.frames.push(Frame::Trap(self.status));
                        self.frames.push(Frame::Cmd(cmd));
                    }
                    Err(msg) => self.error(&msg),
                }
            }
            let Some(frame) = self.frames.pop() else {
                if self.interactive {
                    return Run::Reading;
                }
                self.exit = Some(self.status);
                continue;
            };
            if *fuel == 0 {
                self.frames.push(frame);
                return Run::Busy;
            }
            *fuel -= 1;
            if let Some(run) = self.step(frame, sys) {
                return run;
            }
        }
    }

    /// One frame. `Some` when the shell must stop here.
    fn step(&mut self, frame: Frame, sys: &mut Sys<'_>) -> Option<Run> {
        match frame {
            Frame::Cmd(cmd) => self.start(cmd, sys),
            Frame::Seq(cmds, i) => {
                if let Some(c) = cmds.get(i).cloned() {
                    self.frames.push(Frame::Seq(cmds, i + 1));
                    self.frames.push(Frame::Cmd(c));
                }
            }
            Frame::AndOr(rest, i) => {
                if let Some((and, c)) = rest.get(i).cloned() {
                    self.frames.push(Frame::AndOr(rest, i + 1));
                    if (self.status == 0) == and {
                        self.frames.push(Frame::Cmd(c));
                    }
                }
            }
            Frame::Pipe { stages, next, bang, capture, io } => self.pipe_stage(stages, next, bang, capture, io),
            Frame::If(arms, i, els) => {
                if self.status == 0 {
                    self.frames.push(Frame::Cmd(arms[i].1.clone()));
                } else if let Some((cond, _)) = arms.get(i + 1).cloned() {
                    self.frames.push(Frame::If(arms, i + 1, els));
                    self.frames.push(Frame::Cmd(cond));
                } else if let Some(e) = els {
                    self.frames.push(Frame::Cmd((*e).clone()));
                } else {
                    self.status = 0;
                }
            }
            Frame::Loop { until, cond, body, body_done, last } => {
                if body_done {
                    let last = self.status;
                    self.frames.push(Frame::Loop { until, cond: cond.clone(), body, body_done: false, last });
                    self.frames.push(Frame::Cmd((*cond).clone()));
                } else if (self.status == 0) != until {
                    self.frames.push(Frame::Loop { until, cond, body: body.clone(), body_done: true, last });
                    self.frames.push(Frame::Cmd((*body).clone()));
                } else {
                    self.status = last;
                }
            }
            Frame::For { var, items, next, body } => {
                if let Some(v) = items.get(next).cloned() {
                    self.set_var(&var, v);
                    self.frames.push(Frame::For { var, items, next: next + 1, body: body.clone() });
                    self.frames.push(Frame::Cmd((*body).clone()));
                }
            }
            Frame::Simple { cmd, substs } => return self.simple(cmd, substs, sys),
            Frame::Subst { capture, saved } => {
                self.restore(*saved);
                let data = self.take_capture(capture);
                let mut text = String::from_utf8_lossy(&data).into_owned();
                while text.ends_with('\n') {
                    text.pop();
                }
                if let Some(Frame::Simple { substs, .. }) = self.frames.last_mut() {
                    substs.push(text);
                }
            }
            Frame::Scope(saved) => self.restore(*saved),
            Frame::RestoreIo(io) => self.io = io,
            Frame::Func(args) => self.args = args,
            Frame::Sleep(until) => {
                if until > sys.now {
                    self.frames.push(Frame::Sleep(until));
                    return Some(Run::Sleeping(until));
                }
                self.status = 0;
            }
            Frame::Trap(status) => self.status = status,
        }
        None
    }

    fn start(&mut self, cmd: Cmd, sys: &mut Sys<'_>) {
        match cmd {
            Cmd::Simple(s) => self.frames.push(Frame::Simple { cmd: s, substs: Vec::new() }),
            Cmd::Seq(cmds) => self.frames.push(Frame::Seq(cmds, 0)),
            Cmd::AndOr(first, rest) => {
                self.frames.push(Frame::AndOr(rest, 0));
                self.frames.push(Frame::Cmd((*first).clone()));
            }
            Cmd::Pipeline(stages, bang) => {
                let io = self.io.clone();
                self.pipe_stage(stages, 0, bang, None, io);
            }
            Cmd::If(arms, els) => {
                if let Some((cond, _)) = arms.first().cloned() {
                    self.frames.push(Frame::If(arms, 0, els));
                    self.frames.push(Frame::Cmd(cond));
                }
            }
            Cmd::Loop { until, cond, body } => {
                self.frames.push(Frame::Loop { until, cond: cond.clone(), body, body_done: false, last: 0 });
                self.frames.push(Frame::Cmd((*cond).clone()));
            }
            Cmd::For { var, words, body } => {
                let items: Vec<String> = match words {
                    Some(ws) => match self.expand_words(&ws, &mut Vec::new().into_iter(), sys) {
                        Ok(v) => v,
                        Err(msg) => return self.fail(&msg, 1),
                    },
                    None => self.args.clone(),
                };
                self.status = 0;
                self.frames.push(Frame::For { var, items: items.into(), next: 0, body });
            }
            Cmd::Case(word, items) => {
                let value = match self.expand_string(&word, sys) {
                    Ok(v) => v,
                    Err(msg) => return self.fail(&msg, 1),
                };
                self.status = 0;
                for (pats, body) in items.iter() {
                    for p in pats {
                        let pat = match self.expand_pattern(p, sys) {
                            Ok(p) => p,
                            Err(msg) => return self.fail(&msg, 1),
                        };
                        if expand::glob_match(&pat, &value) {
                            if let Some(b) = body {
                                self.frames.push(Frame::Cmd(b.clone()));
                            }
                            return;
                        }
                    }
                }
            }
            Cmd::Subshell(inner) => {
                self.frames.push(Frame::Scope(self.save()));
                self.frames.push(Frame::Cmd((*inner).clone()));
            }
            Cmd::Redirected(inner, redirs) => {
                let saved = self.io.clone();
                match self.redirect(&redirs, &mut Vec::new().into_iter(), sys) {
                    Ok(io) => {
                        self.frames.push(Frame::RestoreIo(saved));
                        self.io = io;
                        self.frames.push(Frame::Cmd((*inner).clone()));
                    }
                    Err(msg) => self.fail(&msg, 2),
                }
            }
            Cmd::Function(name, body) => {
                self.funcs.insert(name, body);
                self.status = 0;
            }
        }
    }

    fn fail(&mut self, msg: &str, status: i32) {
        self.error(msg);
        self.status = status;
    }

    fn pipe_stage(&mut self, stages: Arc<[Cmd]>, next: usize, bang: bool, capture: Option<usize>, io: Io) {
        let input = capture.map(|c| self.take_capture(c));
        if next >= stages.len() {
            self.io = io;
            if bang {
                self.status = i32::from(self.status == 0);
            }
            return;
        }
        let last = next + 1 == stages.len();
        let out = if last { None } else { Some(self.new_capture()) };
        self.frames.push(Frame::Pipe { stages: stages.clone(), next: next + 1, bang, capture: out, io: io.clone() });
        self.frames.push(Frame::Scope(self.save()));
        self.io.stdin = match input {
            Some(data) => Some((Arc::new(data), 0)),
            None => io.stdin.clone(),
        };
        self.io.out = match out {
            Some(c) => Sink::Capture(c),
            None => io.out.clone(),
        };
        self.frames.push(Frame::Cmd(stages[next].clone()));
    }

    /// A simple command: its command substitutions first (each may sleep), then expansion,
    /// redirections and the command itself.
    fn simple(&mut self, cmd: Arc<ir::Simple>, mut substs: Vec<String>, sys: &mut Sys<'_>) -> Option<Run> {
        if substs.len() < cmd.substs.len() {
            match cmd.substs[substs.len()].clone() {
                Ok(c) => {
                    let saved = self.save();
                    self.frames.push(Frame::Simple { cmd, substs });
                    let capture = self.new_capture();
                    self.frames.push(Frame::Subst { capture, saved });
                    self.io.out = Sink::Capture(capture);
                    self.frames.push(Frame::Cmd(c));
                }
                Err(msg) => {
                    self.fail(&msg, 2);
                    substs.push(String::new());
                    self.frames.push(Frame::Simple { cmd, substs });
                }
            }
            return None;
        }
        let had_substs = !substs.is_empty();
        let mut results = substs.into_iter();
        let mut assigns = Vec::new();
        let mut words = Vec::new();
        let mut redirs = Vec::new();
        for item in &cmd.items {
            let r = match item {
                Item::Assign(name, w) => {
                    self.expand_string_with(w, &mut results, sys).map(|v| assigns.push((name.clone(), v)))
                }
                Item::Word(w) => self.expand_word(w, &mut results, sys).map(|v| words.extend(v)),
                Item::Redir(r) => {
                    redirs.push(r.clone());
                    Ok(())
                }
            };
            if let Err(msg) = r {
                self.fail(&msg, 2);
                return None;
            }
        }
        if !had_substs {
            self.status = 0;
        }
        let saved = self.io.clone();
        if !redirs.is_empty() {
            match self.redirect(&redirs, &mut results, sys) {
                Ok(io) => {
                    self.frames.push(Frame::RestoreIo(saved.clone()));
                    self.io = io;
                }
                Err(msg) => {
                    self.fail(&msg, 2);
                    return None;
                }
            }
        }
        if words.is_empty() {
            for (name, v) in assigns {
                self.set_var(&name, v);
            }
            return None;
        }
        self.dispatch(words, assigns, sys)
    }

    pub fn set_var(&mut self, name: &str, value: String) {
        match self.vars.get_mut(name) {
            Some(v) => v.value = value,
            None => {
                self.vars.insert(name.to_string(), Var { value, exported: false });
            }
        }
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.value.as_str())
    }

    /// The exported variables, as a program's environment.
    pub fn environ(&self) -> Vec<(String, String)> {
        self.vars.iter().filter(|(_, v)| v.exported).map(|(k, v)| (k.clone(), v.value.clone())).collect()
    }

    /// Apply redirections to a copy of the current streams.
    fn redirect(
        &mut self,
        redirs: &[Redir],
        results: &mut std::vec::IntoIter<String>,
        sys: &mut Sys<'_>,
    ) -> Result<Io, String> {
        let mut io = self.io.clone();
        for r in redirs {
            match r {
                Redir::File { fd, target, mode } => {
                    let name = self.expand_string_with(target, results, sys)?;
                    let path = fs::normalize(&self.cwd, &name);
                    match mode {
                        ir::Mode::Read => {
                            let data = match path.as_str() {
                                "/dev/null" => Arc::new(Vec::new()),
                                _ => sys
                                    .fs
                                    .read(&path)
                                    .map_err(|e| format!("can't open {name}: {}", errmsg(e, "no such file")))?,
                            };
                            if *fd == 0 {
                                io.stdin = Some((data, 0));
                            }
                        }
                        ir::Mode::Write | ir::Mode::Append => {
                            let sink = match path.as_str() {
                                "/dev/null" => Sink::Null,
                                "/dev/stdout" => io.out.clone(),
                                "/dev/stderr" => io.err.clone(),
                                _ => {
                                    sys.fs.write(&path, b"", *mode == ir::Mode::Append).map_err(|e| {
                                        format!("can't create {name}: {}", errmsg(e, "nonexistent directory"))
                                    })?;
                                    Sink::File(path)
                                }
                            };
                            set_fd(&mut io, *fd, sink);
                        }
                    }
                }
                Redir::Dup { fd, to } => {
                    let sink = match to {
                        1 => io.out.clone(),
                        2 => io.err.clone(),
                        -1 => Sink::Null,
                        0 if *fd == 0 => continue,
                        n => return Err(format!("{n}: bad file descriptor")),
                    };
                    set_fd(&mut io, *fd, sink);
                }
                Redir::Both { target, append } => {
                    let name = self.expand_string_with(target, results, sys)?;
                    let path = fs::normalize(&self.cwd, &name);
                    let sink = if path == "/dev/null" {
                        Sink::Null
                    } else {
                        sys.fs
                            .write(&path, b"", *append)
                            .map_err(|e| format!("can't create {name}: {}", errmsg(e, "nonexistent directory")))?;
                        Sink::File(path)
                    };
                    io.out = sink.clone();
                    io.err = sink;
                }
                Redir::Here { fd, body, expand } => {
                    let mut text = self.expand_string_with(body, results, sys)?;
                    if !*expand {
                        text.push('\n');
                    }
                    if *fd == 0 {
                        io.stdin = Some((Arc::new(text.into_bytes()), 0));
                    }
                }
            }
        }
        Ok(io)
    }

    /// Unwind frames for `exit`, `return`, `break` and `continue`.
    fn unwind(&mut self, how: Unwind) {
        let mut how = how;
        while let Some(frame) = self.frames.pop() {
            match (frame, how) {
                (f @ (Frame::Scope(_) | Frame::Subst { .. }), Unwind::Exit(code)) => {
                    self.status = code;
                    self.frames.push(f);
                    return;
                }
                (f @ (Frame::Scope(_) | Frame::Subst { .. }), _) => {
                    self.frames.push(f);
                    return;
                }
                (Frame::RestoreIo(io), _) => self.io = io,
                (Frame::Func(args), Unwind::Return(code)) => {
                    self.args = args;
                    self.status = code;
                    return;
                }
                (Frame::Func(args), _) => self.args = args,
                (f @ (Frame::Loop { .. } | Frame::For { .. }), Unwind::Break(n) | Unwind::Continue(n)) => {
                    if n > 1 {
                        how = if matches!(how, Unwind::Break(_)) {
                            Unwind::Break(n - 1)
                        } else {
                            Unwind::Continue(n - 1)
                        };
                        continue;
                    }
                    if matches!(how, Unwind::Continue(_)) {
                        self.frames.push(match f {
                            Frame::Loop { until, cond, body, last, .. } => {
                                Frame::Loop { until, cond, body, body_done: true, last }
                            }
                            f => f,
                        });
                    }
                    return;
                }
                _ => {}
            }
        }
        if let Unwind::Exit(code) | Unwind::Return(code) = how {
            self.exit = Some(code);
        }
    }
}

fn set_fd(io: &mut Io, fd: i32, sink: Sink) {
    match fd {
        1 => io.out = sink,
        2 => io.err = sink,
        _ => {}
    }
}

/// ash's `errmsg`: `ENOENT` in the caller's words, else `strerror`.
fn errmsg(e: fs::FsError, enoent: &str) -> String {
    match e {
        fs::FsError::NotFound => enoent.to_string(),
        e => e.to_string(),
    }
}
