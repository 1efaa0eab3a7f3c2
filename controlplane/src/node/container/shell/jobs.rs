//! Child processes: a pipeline's stages (each a subshell, stage to stage through pipes) and
//! `&`'s background jobs. They run in the parent's turn, in the order they started; the
//! parent waits for them with `wait` or at the pipeline's end. `kill` signals them, the
//! shell itself, or (through the process tree's outbox) other processes of the container.

use std::sync::Arc;

use super::ir::Cmd;
use super::{Frame, Input, Io, Run, Shell, Sink, Sys};

/// Background jobs remembered after they end, for `wait PID`; older ones are forgotten.
const REAPED_CAP: usize = 64;

#[derive(Debug, Clone)]
pub(super) struct Child {
    pub pid: u32,
    pub shell: Box<Shell>,
    /// The pipe ends it holds: (pipe, write end), closed when it ends.
    ends: Vec<(usize, bool)>,
    /// Its exit status once it has ended.
    pub code: Option<i32>,
    background: bool,
    /// When it sleeps until, from its last turn.
    wake: Option<super::Time>,
}

impl Shell {
    /// A subshell of this shell (`fork`): its variables, functions and streams, no traps.
    fn fork(&self, pid: u32, cmd: Cmd, io: Io) -> Box<Shell> {
        let mut sh = Shell::new(&self.arg0, &[]);
        sh.vars = self.vars.clone();
        sh.funcs = self.funcs.clone();
        sh.args = self.args.clone();
        sh.cwd = self.cwd.clone();
        sh.status = self.status;
        sh.errexit = self.errexit;
        sh.io = io;
        sh.pid = pid;
        sh.frames.push(Frame::Cmd(cmd));
        Box::new(sh)
    }

    /// The ids of the processes running under this shell, itself included.
    pub fn tree_pids(&self, out: &mut Vec<u32>) {
        out.push(self.pid);
        for c in self.children.iter().filter(|c| c.code.is_none()) {
            c.shell.tree_pids(out);
        }
    }

    /// The processes running under this shell, itself included.
    pub fn tree_size(&self) -> usize {
        1 + self.children.iter().filter(|c| c.code.is_none()).map(|c| c.shell.tree_size()).sum::<usize>()
    }

    /// Room for `n` more processes, else ash's error (the container's pids limit).
    fn can_fork(&mut self, n: usize, sys: &mut Sys<'_>) -> bool {
        if sys.procs.forks_left < n {
            self.fail("can't fork: Resource temporarily unavailable", 2);
            return false;
        }
        sys.procs.forks_left -= n;
        true
    }

    pub(super) fn start_pipeline(&mut self, stages: &[Cmd], sys: &mut Sys<'_>) {
        if !self.can_fork(stages.len(), sys) {
            return;
        }
        let mut pids = Vec::new();
        let mut input = self.io.stdin.clone();
        let mut prev: Option<usize> = None;
        for (i, stage) in stages.iter().enumerate() {
            let last = i + 1 == stages.len();
            let pipe = (!last).then(|| sys.procs.pipe());
            let io = Io {
                stdin: input.clone(),
                out: pipe.map_or_else(|| self.io.out.clone(), Sink::Pipe),
                err: self.io.err.clone(),
            };
            let pid = sys.procs.pid();
            let mut ends = Vec::new();
            if let Some(p) = prev {
                ends.push((p, false));
            }
            if let Some(p) = pipe {
                ends.push((p, true));
                input = Some(Input::Pipe(p));
            }
            prev = pipe;
            let shell = self.fork(pid, stage.clone(), io);
            self.children.push(Child { pid, shell, ends, code: None, background: false, wake: None });
            pids.push(pid);
        }
        self.frames.push(Frame::Pipeline(pids));
    }

    /// `cmd &`: a job whose stdin is `/dev/null`, as a non-interactive shell starts it.
    pub(super) fn start_background(&mut self, cmd: &Arc<Cmd>, sys: &mut Sys<'_>) {
        if !self.can_fork(1, sys) {
            return;
        }
        let pid = sys.procs.pid();
        let io = Io { stdin: None, out: self.io.out.clone(), err: self.io.err.clone() };
        let shell = self.fork(pid, (**cmd).clone(), io);
        self.children.push(Child { pid, shell, ends: Vec::new(), code: None, background: true, wake: None });
        self.last_bg = Some(pid);
        self.status = 0;
        // Forget the oldest ended jobs nobody waited for.
        while self.children.iter().filter(|c| c.background && c.code.is_some()).count() > REAPED_CAP {
            if let Some(i) = self.children.iter().position(|c| c.background && c.code.is_some()) {
                self.children.remove(i);
            }
        }
    }

    /// The children still running.
    pub(super) fn live_children(&self) -> usize {
        self.children.iter().filter(|c| c.code.is_none()).count()
    }

    /// Give each running child a turn of at most `quota` steps; the earliest moment a
    /// sleeping one wants to run.
    pub(super) fn run_children(&mut self, sys: &mut Sys<'_>, fuel: &mut u32, quota: u32) -> Run {
        let mut wake: Option<super::Time> = None;
        for i in 0..self.children.len() {
            if *fuel == 0 {
                return Run::Busy;
            }
            let c = &mut self.children[i];
            if c.code.is_some() || c.wake.is_some_and(|w| w > sys.now) && !c.shell.has_pending() {
                if let (None, Some(w)) = (c.code, c.wake) {
                    wake = Some(wake.map_or(w, |x| x.min(w)));
                }
                continue;
            }
            let mut mine = quota.min(*fuel);
            let given = mine;
            let r = c.shell.run(sys, &mut mine);
            *fuel -= given - mine;
            let term = c.shell.term.take();
            c.wake = None;
            match r {
                Run::Exited(code) => {
                    c.code = Some(code);
                    for (p, w) in std::mem::take(&mut c.ends) {
                        sys.procs.close(p, w);
                    }
                    // Its own children end with it (nothing outlives the container's tree).
                    c.shell.children.clear();
                    c.shell.frames.clear();
                }
                Run::Sleeping(t) => {
                    c.wake = Some(t);
                    wake = Some(wake.map_or(t, |x| x.min(t)));
                }
                Run::Busy | Run::Blocked | Run::Reading => {}
            }
            for (s, data) in term {
                self.term_write(s, &data);
            }
        }
        wake.map_or(Run::Blocked, Run::Sleeping)
    }

    /// The shell ends: its children's pipe ends close, and they end too.
    pub(super) fn end_children(&mut self, sys: &mut Sys<'_>) {
        for c in self.children.drain(..) {
            for (p, w) in c.ends {
                sys.procs.close(p, w);
            }
        }
    }

    /// A pipeline's end: every stage has ended; the status is the last stage's.
    pub(super) fn wait_pipeline(&mut self, pids: Vec<u32>) -> Option<Run> {
        let done = |sh: &Shell, pid: &u32| sh.children.iter().find(|c| c.pid == *pid).is_none_or(|c| c.code.is_some());
        if !pids.iter().all(|p| done(self, p)) {
            self.frames.push(Frame::Pipeline(pids));
            return Some(Run::Blocked);
        }
        let last = pids.last().and_then(|p| self.children.iter().find(|c| c.pid == *p)).and_then(|c| c.code);
        self.children.retain(|c| !pids.contains(&c.pid));
        self.status = last.unwrap_or(0);
        self.check_errexit();
        None
    }

    /// `wait [PID]`: for that job (its status, 127 if it is not a child) or for all of them (0).
    pub(super) fn wait_children(&mut self, pid: Option<u32>) -> Option<Run> {
        match pid {
            Some(p) => match self.children.iter().position(|c| c.pid == p) {
                None => self.status = 127,
                Some(i) if self.children[i].code.is_some() => {
                    self.status = self.children[i].code.unwrap_or(0);
                    self.children.remove(i);
                }
                Some(_) => {
                    self.frames.push(Frame::Wait(pid));
                    return Some(Run::Blocked);
                }
            },
            None => {
                if self.children.iter().any(|c| c.background && c.code.is_none()) {
                    self.frames.push(Frame::Wait(None));
                    return Some(Run::Blocked);
                }
                self.children.retain(|c| !c.background);
                self.status = 0;
            }
        }
        None
    }

    /// `wait` builtin's arguments: the status is the last one waited for.
    pub(super) fn wait_builtin(&mut self, args: &[String]) -> Option<Run> {
        if args.is_empty() {
            return self.wait_children(None);
        }
        let mut pids = Vec::new();
        for a in args {
            match a.parse::<u32>() {
                Ok(pid) => pids.push(pid),
                Err(_) => {
                    self.fail(&format!("wait: Illegal number: {a}"), 2);
                    return None;
                }
            }
        }
        for pid in pids.into_iter().rev() {
            self.frames.push(Frame::Wait(Some(pid)));
        }
        None
    }

    /// `kill [-s SIG | -SIG] PID...`, `kill -l`.
    pub(super) fn kill(&mut self, args: &[String], sys: &mut Sys<'_>) -> i32 {
        let mut sig = "TERM";
        let mut rest = args;
        match args.first().map(String::as_str) {
            None => {
                self.err(b"kill: usage: kill [-s SIGNAL | -SIGNAL] PID...\n", sys);
                return 1;
            }
            Some("-l") => {
                let text: String =
                    super::builtins::SIGNALS.iter().skip(1).map(|(n, num)| format!("{num:2}) {n}\n")).collect();
                self.out(text.as_bytes(), sys);
                return 0;
            }
            Some("-s") => {
                let Some(s) = args.get(1).and_then(|s| super::builtins::signal_name(s)) else {
                    self.fail(&format!("kill: bad signal name '{}'", args.get(1).map_or("", |s| s.as_str())), 1);
                    return 1;
                };
                sig = s;
                rest = &args[2..];
            }
            Some(a) if a.starts_with('-') && a.len() > 1 => {
                let Some(s) = super::builtins::signal_name(&a[1..]) else {
                    self.fail(&format!("kill: bad signal name '{}'", &a[1..]), 1);
                    return 1;
                };
                sig = s;
                rest = &args[1..];
            }
            _ => {}
        }
        let mut code = 0;
        for a in rest {
            let Ok(pid) = a.parse::<u32>() else {
                self.fail(&format!("kill: invalid number '{a}'"), 1);
                code = 1;
                continue;
            };
            if !self.signal_pid(pid, sig, sys) {
                let line = format!("sh: kill: can't kill pid {pid}: No such process\n");
                self.err(line.as_bytes(), sys);
                code = 1;
            }
        }
        code
    }

    /// Deliver `sig` to `pid`: this shell, one of its children, or (through the outbox) a
    /// process outside the tree. False when there is no such process.
    fn signal_pid(&mut self, pid: u32, sig: &'static str, sys: &mut Sys<'_>) -> bool {
        if pid == self.pid {
            if !self.signal(sig) && pid != 1 && !harmless(sig) {
                self.exit = Some(128 + signal_number(sig));
            }
            return true;
        }
        if let Some(c) = self.children.iter_mut().find(|c| c.pid == pid && c.code.is_none()) {
            if !c.shell.signal(sig) && !harmless(sig) {
                let code = 128 + signal_number(sig);
                c.code = Some(code);
                for (p, w) in std::mem::take(&mut c.ends) {
                    sys.procs.close(p, w);
                }
                c.shell.children.clear();
            }
            return true;
        }
        if self.children.iter_mut().any(|c| c.shell.signal_pid_in_tree(pid, sig, sys)) {
            return true;
        }
        // The container's other processes are the runtime's to reach.
        if sys.procs.others.contains(&pid) {
            sys.procs.signals.push((pid, sig));
            return true;
        }
        false
    }

    /// Deliver `sig` to `pid` when it runs somewhere under this shell.
    pub(crate) fn signal_pid_in_tree(&mut self, pid: u32, sig: &'static str, sys: &mut Sys<'_>) -> bool {
        let mut pids = Vec::new();
        self.tree_pids(&mut pids);
        pids[1..].contains(&pid) && self.signal_pid(pid, sig, sys)
    }
}

/// Signals whose default action does not end a process.
fn harmless(sig: &str) -> bool {
    matches!(sig, "CHLD" | "CONT" | "URG" | "WINCH" | "STOP" | "TSTP" | "TTIN" | "TTOU" | "EXIT")
}

/// A signal's number (`TERM` → 15).
pub fn signal_number(sig: &str) -> i32 {
    super::builtins::SIGNALS.iter().find(|(n, _)| *n == sig).map_or(15, |(_, n)| *n)
}

/// `Input::Pipe`'s pipe, if stdin is one.
pub(super) fn stdin_pipe(io: &Io) -> Option<usize> {
    match io.stdin {
        Some(Input::Pipe(p)) => Some(p),
        _ => None,
    }
}
