//! A small POSIX shell, as busybox ash runs in a container: brush-parser reads the script,
//! [`ir`] lowers it, and the evaluator here runs it as an explicit stack of frames, so the
//! shell can stop anywhere (a `sleep`, the end of its step budget) and go on at a later
//! simulated moment. Every call to [`Shell::run`] is bounded by its fuel; nothing blocks.
//!
//! A pipeline's stages and `&`'s commands are child shells ([`jobs`]) that run alongside
//! their parent, stage to stage through bounded pipes ([`pipes`]); a command reading a pipe
//! waits for what it needs ([`stream`]). Each run gives every process of the tree its turn
//! until none can go on.

mod applets;
mod applets_fs;
mod builtins;
mod expand;
pub mod ir;
mod jobs;
mod net;
pub mod pipes;
mod regex;
mod stream;
mod tar;
pub mod term;
mod test;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use applets::{APPLETS, NETWORK};

/// The shell's own commands (builtins, and the shells it runs nested).
pub const BUILTINS: &[&str] = &[
    ":", "true", "exit", "return", "break", "continue", "export", "readonly", "local", "unset", "set", "shift", "trap",
    "cd", "pwd", "wait", "read", "eval", ".", "source", "exec", "sleep", "kill", "sh", "bash", "ash", "dash",
];

/// Whether the container's shell can run `program` (a builtin or an applet, by its base name).
pub fn knows(program: &str) -> bool {
    let base = program.rsplit('/').next().unwrap_or(program);
    BUILTINS.contains(&base) || APPLETS.contains(&base) || NETWORK.contains(&base)
}

use super::fs::{self, Fs};
use ir::{Cmd, Item, Redir};
pub use jobs::signal_number;
pub use pipes::Procs;

pub type Time = DateTime<Utc>;

/// What one run of the shell may do before it yields: a step is one frame (a command, a
/// loop turn). A shell that spends it all without sleeping is CPU-bound; its owner decides
/// when it runs again.
pub const FUEL: u32 = 10_000;

/// What fd 1 and fd 2 wrote since the owner last took them, at most this much each.
const TERM_CAP: usize = 1 << 20;

/// What the shell runs against: its container's files, the time, the host's name, and what
/// its process tree shares.
pub struct Sys<'a> {
    pub fs: &'a mut Fs,
    pub now: Time,
    pub hostname: &'a str,
    pub procs: &'a mut Procs,
}

/// Where a file descriptor writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// The process's own stdout (0) or stderr (1): the container's log, or exec's streams.
    Term(usize),
    Null,
    File(String),
    /// A pipe, or a command substitution's capture.
    Pipe(usize),
}

/// Where stdin reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// What is left of a file or here-document, from a position.
    Data(Arc<Vec<u8>>, usize),
    Pipe(usize),
}

/// The shell's standard streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Io {
    pub stdin: Option<Input>,
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
    /// Waiting for a pipe or a child, which only another process of the tree can change.
    Blocked,
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
    errexit: bool,
}

#[derive(Debug, Clone)]
enum Frame {
    Cmd(Cmd),
    Seq(Arc<[Cmd]>, usize),
    AndOr(Arc<[(bool, Cmd)]>, usize),
    /// `!`: the status inverted.
    Not,
    /// A pipeline's stages, as child processes: the status is the last one's.
    Pipeline(Vec<u32>),
    /// `wait`: for one child, or all of them.
    Wait(Option<u32>),
    /// A command that reads a pipe, waiting for what it needs.
    Input(Box<stream::Reading>),
    /// `yes`: its line, again and again.
    Yes(Arc<[u8]>),
    /// `seq`: the numbers from `next` on.
    Count {
        next: f64,
        step: f64,
        last: f64,
    },
    /// A `for` or `case` whose command substitutions run first.
    Pending {
        cmd: Cmd,
        substs: Vec<String>,
    },
    /// A command whose expansion took time (a command substitution inside `${...}`).
    Run {
        words: Vec<String>,
        assigns: Vec<(String, String)>,
    },
    /// The end of a condition (`if`, `while`, the left of `&&`), where `set -e` does not apply.
    CondEnd,
    /// After the EXIT trap: the shell's exit status.
    ExitAfter(i32),
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
    /// The end of a command run for a moment with other streams.
    RestoreStdin(Option<Input>),
    /// The end of a subshell.
    Scope(Box<Saved>),
    RestoreIo(Io),
    /// The end of a function call: the caller's positional parameters.
    Func(Vec<String>),
    Sleep(Time),
    /// A program waiting for the network's answer to its call.
    Net {
        token: u64,
        client: Box<net::Client>,
    },
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
    /// What fds 1 and 2 wrote to the terminal, in order, for the owner to take.
    pub term: term::Term,
    traps: BTreeMap<String, String>,
    /// Signals caught, whose trap runs when the current command ends.
    pending: Vec<String>,
    exit: Option<i32>,
    pub pid: u32,
    /// Pipeline stages and background jobs, in the order they started.
    children: Vec<jobs::Child>,
    /// `$!`
    last_bg: Option<u32>,
    /// What a command wrote to a full pipe, to go before anything else runs.
    stalled: Vec<(usize, Vec<u8>)>,
    /// A write found no reader: the process dies of SIGPIPE.
    sigpipe: bool,
    /// `set -e`
    errexit: bool,
    /// How many conditions are running (where `set -e` does not apply).
    cond: u32,
    /// Simulated time that expansions took and the command must wait out.
    owed: chrono::Duration,
    /// Lines of its input a streaming `grep -n` has already numbered.
    line_base: usize,
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
            term: term::Term::default(),
            traps: BTreeMap::new(),
            pending: Vec::new(),
            exit: None,
            pid: 1,
            children: Vec::new(),
            last_bg: None,
            stalled: Vec::new(),
            sigpipe: false,
            errexit: false,
            cond: 0,
            owed: chrono::Duration::zero(),
            line_base: 0,
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
                Frame::RestoreIo(io) => self.io = io,
                Frame::Func(args) => self.args = args,
                _ => {}
            }
        }
        // The command line's pipeline stages and what they had in flight go with it.
        self.children.clear();
        self.stalled.clear();
        self.cond = 0;
        self.owed = chrono::Duration::zero();
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
        let stream = if self.tty { 0 } else { i };
        let room = TERM_CAP.saturating_sub(self.term.held(stream));
        self.term.write(stream, &data[..data.len().min(room)]);
    }

    /// Write to a sink (a full capture or file system drops what does not fit; what does not
    /// fit in a pipe waits, and the shell with it).
    fn write_sink(&mut self, sink: &Sink, data: &[u8], sys: &mut Sys<'_>) {
        match sink {
            Sink::Term(i) => self.term_write(*i, data),
            Sink::Null => {}
            Sink::File(path) => {
                let _ = sys.fs.write(path, data, true);
            }
            Sink::Pipe(id) => {
                if let Some(s) = self.stalled.iter_mut().find(|s| s.0 == *id) {
                    let room = pipes::CAPTURE_CAP.saturating_sub(s.1.len());
                    s.1.extend_from_slice(&data[..data.len().min(room)]);
                    return;
                }
                match sys.procs.write(*id, data) {
                    None => self.sigpipe = true,
                    Some(n) if n < data.len() => {
                        let rest = &data[n..];
                        self.stalled.push((*id, rest[..rest.len().min(pipes::CAPTURE_CAP)].to_vec()));
                    }
                    Some(_) => {}
                }
            }
        }
    }

    /// Push stalled writes on; true while some still wait.
    fn flush_stalled(&mut self, sys: &mut Sys<'_>) -> bool {
        let mut i = 0;
        while i < self.stalled.len() {
            let (id, data) = &mut self.stalled[i];
            match sys.procs.write(*id, data) {
                None => {
                    self.sigpipe = true;
                    self.stalled.clear();
                    return false;
                }
                Some(n) => {
                    data.drain(..n);
                    if data.is_empty() {
                        self.stalled.remove(i);
                    } else {
                        i += 1;
                    }
                }
            }
        }
        !self.stalled.is_empty()
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
            errexit: self.errexit,
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
        self.errexit = s.errexit;
    }

    /// Run the shell and its children until it exits, everything sleeps past `sys.now` or
    /// waits on another, or `fuel` is spent. A step that only finds it must wait costs none.
    pub fn run(&mut self, sys: &mut Sys<'_>, fuel: &mut u32) -> Run {
        loop {
            let before = *fuel;
            // Each process of the tree gets a share of the turn, so a busy one cannot starve
            // the others.
            let quota = (*fuel / (self.live_children() as u32 + 1)).max(1);
            let kids = if self.children.is_empty() { Run::Blocked } else { self.run_children(sys, fuel, quota) };
            let mut mine = quota.min(*fuel);
            let given = mine;
            let own = self.run_own(sys, &mut mine);
            *fuel -= given - mine;
            if let Run::Exited(code) = own {
                self.end_children(sys);
                return Run::Exited(code);
            }
            if *fuel == 0 {
                return Run::Busy;
            }
            if *fuel == before {
                // An interactive shell at its prompt waits for its terminal, unless a job of
                // its wakes first.
                if own == Run::Reading {
                    return if matches!(kids, Run::Sleeping(_)) { kids } else { Run::Reading };
                }
                let wakes = [own, kids].into_iter().filter_map(|r| match r {
                    Run::Sleeping(t) => Some(t),
                    _ => None,
                });
                return wakes.min().map_or(Run::Blocked, Run::Sleeping);
            }
        }
    }

    /// The shell's own frames, until it exits, must wait, or spends `fuel`.
    fn run_own(&mut self, sys: &mut Sys<'_>, fuel: &mut u32) -> Run {
        loop {
            if self.sigpipe && self.exit.is_none() {
                self.exit = Some(128 + 13);
            }
            if let Some(code) = self.exit {
                if let Some(action) = self.traps.remove("EXIT") {
                    // The EXIT trap runs once, then the shell ends with the status it had.
                    self.exit = None;
                    self.status = code;
                    self.frames.clear();
                    self.frames.push(Frame::ExitAfter(code));
                    if let Ok(cmd) = ir::parse(&action) {
                        self.frames.push(Frame::Cmd(cmd));
                    }
                    continue;
                }
                return Run::Exited(code);
            }
            if !self.stalled.is_empty() && self.flush_stalled(sys) {
                return Run::Blocked;
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
                if matches!(run, Run::Sleeping(_) | Run::Blocked) {
                    // Finding that it must wait is no work.
                    *fuel += 1;
                }
                return run;
            }
        }
    }

    /// `set -e`: a command that failed outside a condition ends the shell.
    fn check_errexit(&mut self) {
        if self.errexit && self.cond == 0 && self.status != 0 && self.exit.is_none() {
            self.unwind(Unwind::Exit(self.status));
        }
    }

    /// Run `cmd` as a condition.
    fn push_cond(&mut self, cmd: Cmd) {
        self.cond += 1;
        self.frames.push(Frame::CondEnd);
        self.frames.push(Frame::Cmd(cmd));
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
                    self.frames.push(Frame::AndOr(rest.clone(), i + 1));
                    if (self.status == 0) == and {
                        if i + 1 < rest.len() {
                            self.push_cond(c);
                        } else {
                            self.frames.push(Frame::Cmd(c));
                        }
                    }
                }
            }
            Frame::Not => {
                self.status = i32::from(self.status == 0);
            }
            Frame::Pipeline(pids) => return self.wait_pipeline(pids),
            Frame::Wait(pid) => return self.wait_children(pid),
            Frame::Input(r) => return self.step_input(*r, sys),
            Frame::Yes(line) => {
                self.frames.push(Frame::Yes(line.clone()));
                let chunk: Vec<u8> =
                    line.iter().copied().cycle().take(line.len() * (512 / line.len().max(1)).max(1)).collect();
                self.out(&chunk, sys);
            }
            Frame::Count { mut next, step, last } => {
                let mut out = String::new();
                while (step > 0.0 && next <= last || step < 0.0 && next >= last) && out.len() < 4096 {
                    out.push_str(&format!("{next}\n"));
                    next += step;
                }
                if !out.is_empty() {
                    self.frames.push(Frame::Count { next, step, last });
                    self.out(out.as_bytes(), sys);
                }
            }
            Frame::Pending { cmd, substs } => return self.pending(cmd, substs, sys),
            Frame::Run { words, assigns } => {
                let r = self.dispatch(words, assigns, sys);
                self.check_errexit();
                return r;
            }
            Frame::CondEnd => self.cond = self.cond.saturating_sub(1),
            Frame::ExitAfter(code) => self.exit = Some(code),
            Frame::RestoreStdin(input) => self.io.stdin = input,
            Frame::If(arms, i, els) => {
                if self.status == 0 {
                    self.frames.push(Frame::Cmd(arms[i].1.clone()));
                } else if let Some((cond, _)) = arms.get(i + 1).cloned() {
                    self.frames.push(Frame::If(arms, i + 1, els));
                    self.push_cond(cond);
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
                    self.push_cond((*cond).clone());
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
                let data = sys.procs.take(capture);
                let mut text = String::from_utf8_lossy(&data).into_owned();
                while text.ends_with('\n') {
                    text.pop();
                }
                if let Some(Frame::Simple { substs, .. } | Frame::Pending { substs, .. }) = self.frames.last_mut() {
                    substs.push(text);
                }
            }
            Frame::Scope(saved) => {
                // A subshell (or `sh -c`) that set an EXIT trap runs it as it ends.
                if self.traps.contains_key("EXIT") && saved.traps.get("EXIT") != self.traps.get("EXIT") {
                    let action = self.traps.remove("EXIT").unwrap_or_default();
                    self.frames.push(Frame::Scope(saved));
                    if let Ok(cmd) = ir::parse(&action) {
                        self.frames.push(Frame::Trap(self.status));
                        self.frames.push(Frame::Cmd(cmd));
                    }
                    return None;
                }
                self.restore(*saved);
                self.check_errexit();
            }
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
            Frame::Net { token, client } => return self.net_wait(token, client, sys),
        }
        None
    }

    fn start(&mut self, cmd: Cmd, sys: &mut Sys<'_>) {
        match cmd {
            Cmd::Simple(s) => self.frames.push(Frame::Simple { cmd: s, substs: Vec::new() }),
            Cmd::Seq(cmds) => self.frames.push(Frame::Seq(cmds, 0)),
            Cmd::AndOr(first, rest) => {
                self.frames.push(Frame::AndOr(rest, 0));
                self.push_cond((*first).clone());
            }
            Cmd::Pipeline(stages, bang) => {
                if bang {
                    self.frames.push(Frame::Not);
                    self.cond += 1;
                    self.frames.push(Frame::CondEnd);
                }
                if stages.len() == 1 {
                    self.frames.push(Frame::Cmd(stages[0].clone()));
                } else {
                    self.start_pipeline(&stages, sys);
                }
            }
            Cmd::Background(inner) => self.start_background(&inner, sys),
            Cmd::If(arms, els) => {
                if let Some((cond, _)) = arms.first().cloned() {
                    self.frames.push(Frame::If(arms, 0, els));
                    self.push_cond(cond);
                }
            }
            Cmd::Loop { until, cond, body } => {
                self.frames.push(Frame::Loop { until, cond: cond.clone(), body, body_done: false, last: 0 });
                self.push_cond((*cond).clone());
            }
            Cmd::For { .. } | Cmd::Case(..) => {
                let _ = self.pending(cmd, Vec::new(), sys);
            }
            other => self.start_compound(other, sys),
        }
    }

    /// A `for` or `case` once the command substitutions of its words have run (each may
    /// take time, as a simple command's do).
    fn pending(&mut self, cmd: Cmd, substs: Vec<String>, sys: &mut Sys<'_>) -> Option<Run> {
        let wanted = match &cmd {
            Cmd::For { substs, .. } | Cmd::Case(_, substs, _) => substs.clone(),
            _ => Arc::from(Vec::new()),
        };
        if substs.len() < wanted.len() {
            let next = wanted[substs.len()].clone();
            self.next_subst(next, substs, |substs| Frame::Pending { cmd, substs }, sys);
            return None;
        }
        let mut results = substs.into_iter();
        match cmd {
            Cmd::For { var, words, body, .. } => {
                let items: Vec<String> = match words {
                    Some(ws) => match self.expand_words(&ws, &mut results, sys) {
                        Ok(v) => v,
                        Err(msg) => {
                            self.fail(&msg, 1);
                            return None;
                        }
                    },
                    None => self.args.clone(),
                };
                self.status = 0;
                self.frames.push(Frame::For { var, items: items.into(), next: 0, body });
            }
            Cmd::Case(word, _, items) => {
                let value = match self.expand_string_with(&word, &mut results, sys) {
                    Ok(v) => v,
                    Err(msg) => {
                        self.fail(&msg, 1);
                        return None;
                    }
                };
                self.status = 0;
                for (pats, body) in items.iter() {
                    for p in pats {
                        let pat = match self.expand_pattern(p, sys) {
                            Ok(p) => p,
                            Err(msg) => {
                                self.fail(&msg, 1);
                                return None;
                            }
                        };
                        if expand::glob_match(&pat, &value) {
                            if let Some(b) = body {
                                self.frames.push(Frame::Cmd(b.clone()));
                            }
                            return None;
                        }
                    }
                }
            }
            _ => {}
        }
        None
    }

    fn start_compound(&mut self, cmd: Cmd, sys: &mut Sys<'_>) {
        match cmd {
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
            _ => {}
        }
    }

    fn fail(&mut self, msg: &str, status: i32) {
        self.error(msg);
        self.status = status;
    }

    /// Run a command's next command substitution, capturing its output; the command resumes
    /// as `resume(substs)` once it has run. One that does not parse fails with status 2 and
    /// stands for an empty string.
    fn next_subst(
        &mut self,
        next: Result<Cmd, String>,
        mut substs: Vec<String>,
        resume: impl FnOnce(Vec<String>) -> Frame,
        sys: &mut Sys<'_>,
    ) {
        match next {
            Ok(c) => {
                let saved = self.save();
                self.frames.push(resume(substs));
                let capture = sys.procs.capture();
                self.frames.push(Frame::Subst { capture, saved });
                self.io.out = Sink::Pipe(capture);
                self.frames.push(Frame::Cmd(c));
            }
            Err(msg) => {
                self.fail(&msg, 2);
                substs.push(String::new());
                self.frames.push(resume(substs));
            }
        }
    }

    /// A simple command: its command substitutions first (each may sleep), then expansion,
    /// redirections and the command itself.
    fn simple(&mut self, cmd: Arc<ir::Simple>, substs: Vec<String>, sys: &mut Sys<'_>) -> Option<Run> {
        if substs.len() < cmd.substs.len() {
            let next = cmd.substs[substs.len()].clone();
            self.next_subst(next, substs, |substs| Frame::Simple { cmd, substs }, sys);
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
            self.check_errexit();
            if self.owed > chrono::Duration::zero() {
                let until = sys.now.checked_add_signed(std::mem::take(&mut self.owed)).unwrap_or(sys.now);
                let status = self.status;
                self.frames.push(Frame::Trap(status));
                self.frames.push(Frame::Sleep(until));
            }
            return None;
        }
        if self.owed > chrono::Duration::zero() {
            // A command substitution inside `${...}` ran to its end at once; the command
            // waits out the time it took.
            let until = sys.now.checked_add_signed(std::mem::take(&mut self.owed)).unwrap_or(sys.now);
            self.frames.push(Frame::Run { words, assigns });
            self.frames.push(Frame::Sleep(until));
            return None;
        }
        let depth = self.frames.len();
        let r = self.dispatch(words, assigns, sys);
        if r.is_none() && self.frames.len() <= depth {
            self.check_errexit();
        }
        r
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
                                io.stdin = Some(Input::Data(data, 0));
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
                        io.stdin = Some(Input::Data(Arc::new(text.into_bytes()), 0));
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
                (Frame::RestoreStdin(input), _) => self.io.stdin = input,
                (Frame::CondEnd, _) => self.cond = self.cond.saturating_sub(1),
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
