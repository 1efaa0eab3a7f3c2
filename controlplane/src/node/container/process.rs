//! A process in a container: a shell (or one applet) run slice by slice on the simulated
//! clock. Each [`Process::advance`] runs it until it sleeps, exits or spends its step budget;
//! a process that spends it all is CPU-bound and gets its next slice a second later, so an
//! endless loop without sleeps costs [`shell::FUEL`] steps per simulated second and no more.

use chrono::{DateTime, Duration, Utc};

use super::fs::Fs;
use super::net::{Answered, NetCall};
use super::shell::{self, Procs, Run, Shell, Sys};
use super::terminal::{Input, Terminal};

pub type Time = DateTime<Utc>;

/// How long a CPU-bound process waits for its next slice.
pub const SLICE: i64 = 1;

/// What an exec'd command wrote and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Its exit code once it has ended.
    pub code: Option<i32>,
    /// When it wants to run again, while it runs.
    pub wake: Option<Time>,
}

#[derive(Debug, Clone)]
pub struct Process {
    shell: Shell,
    /// Its pipes and children's ids, and the signals it sends outside.
    procs: Procs,
    /// When and how it ended.
    pub exit: Option<(Time, i32)>,
    /// When it runs next, while it runs.
    pub wake: Option<Time>,
    /// Its stdin, when a client streams it (`exec -i`, `attach -i`) and it is a shell.
    pub terminal: Option<Terminal>,
    /// Its command line, as `ps` shows it.
    pub cmdline: String,
}

/// Whether `program` (a path or a name) is one of the shells.
pub fn is_shell(program: &str) -> bool {
    matches!(program.rsplit('/').next(), Some("sh" | "bash" | "ash" | "dash"))
}

/// A process's command line as `ps` shows it: its words, but a shell given one simple
/// command (`sh -c "sleep 1h"`) has become that command, as busybox's `sh -c` execs it.
pub fn shown_cmdline(words: &[String]) -> String {
    match words {
        [sh, c, script] if is_shell(sh) && c == "-c" => {
            let simple = !script.contains([';', '&', '|', '\n', '(', '`', '$', '>', '<']);
            if simple {
                script.trim().to_string()
            } else {
                words.join(" ")
            }
        }
        _ => words.join(" "),
    }
}

/// A shell with no script (`sh`, `bash -l`): it reads its commands from stdin.
pub fn shell_without_script(words: &[String]) -> bool {
    let shells = ["sh", "/bin/sh", "bash", "/bin/bash", "ash", "/bin/ash", "dash"];
    words.first().is_some_and(|w| shells.contains(&w.as_str()))
        && words[1..].iter().all(|a| a.starts_with('-') && a != "-c")
}

impl Process {
    /// `words` run as a program with `env` (a shell for `sh -c ...`).
    pub fn new(words: &[String], env: &[(String, String)], pid: u32) -> Process {
        let mut shell = Shell::new("sh", env);
        shell.pid = pid;
        shell.start_command(words);
        let cmdline = shown_cmdline(words);
        Process { shell, procs: Procs::new(pid), exit: None, wake: None, terminal: None, cmdline }
    }

    /// `words` run with stdin open to a client (`-i`; `tty` for `-t`): a shell with no script
    /// reads its commands from there; a filter (`cat`, `tar`, ...) starts at the end of its
    /// input, with all of it to read; another program runs as without stdin.
    pub fn with_stdin(words: &[String], env: &[(String, String)], pid: u32, tty: bool) -> Process {
        let reads_stdin = shell_without_script(words);
        // The filters that read stdin wait for it; other programs (`sleep`) run at once.
        let filters = ["cat", "tar", "wc", "grep", "sort", "head", "tail", "cut", "tr", "uniq"];
        let filter = words.first().is_some_and(|w| filters.contains(&w.rsplit('/').next().unwrap_or(w)));
        if !reads_stdin && !filter {
            return Process::new(words, env, pid);
        }
        let mut shell = Shell::new("sh", env);
        shell.pid = pid;
        shell.interactive = true;
        shell.tty = tty;
        let mut terminal = Terminal::new(tty);
        if !reads_stdin {
            // Another program reads its input whole, once it has ended (`tar xf -`, `cat`).
            terminal.program = Some(words.to_vec());
        }
        let cmdline = shown_cmdline(words);
        Process { shell, procs: Procs::new(pid), exit: None, wake: None, terminal: Some(terminal), cmdline }
    }

    /// What the client sent to its stdin; it runs at the next [`Process::advance`].
    pub fn input(&mut self, input: Input) {
        if let Some(t) = self.terminal.as_mut() {
            t.input(&mut self.shell, input);
            self.wake = None;
        }
    }

    /// A client attached: a shell at its prompt draws it again.
    pub fn redraw(&mut self) {
        if let Some(t) = self.terminal.as_mut() {
            t.redraw(&mut self.shell);
            self.wake = None;
        }
    }

    /// A shell at its prompt with nothing left to read.
    pub fn reading(&self) -> bool {
        self.exit.is_none() && self.wake.is_none() && self.terminal.is_some()
    }

    /// Deliver a signal; true when the process handles it (a trap), false when the default
    /// applies (for PID 1: nothing).
    pub fn signal(&mut self, sig: &str) -> bool {
        self.shell.signal(sig)
    }

    /// Run until `now`; what it writes goes to `out(stream, bytes)`.
    pub fn advance(&mut self, fs: &mut Fs, hostname: &str, now: Time, out: &mut dyn FnMut(usize, &[u8])) {
        if self.exit.is_some() || self.wake.is_some_and(|w| w > now) && !self.shell.has_pending() {
            return;
        }
        let mut fuel = shell::FUEL;
        self.procs.forks_left = shell::pipes::PROCS_CAP.saturating_sub(self.shell.tree_size());
        let mut run = self.shell.run(&mut Sys { fs, now, hostname, procs: &mut self.procs }, &mut fuel);
        while run == Run::Reading && self.terminal.as_mut().is_some_and(|t| t.next(&mut self.shell)) {
            run = self.shell.run(&mut Sys { fs, now, hostname, procs: &mut self.procs }, &mut fuel);
        }
        for (i, buf) in self.shell.term.take() {
            out(i, &buf);
        }
        match run {
            Run::Exited(code) => {
                self.exit = Some((now, code));
                self.wake = None;
            }
            Run::Sleeping(t) => self.wake = Some(t),
            Run::Busy => self.wake = Some(now + Duration::seconds(SLICE)),
            // Everything waits on a pipe no one will write: only a signal can change that.
            Run::Blocked => self.wake = Some(Time::MAX_UTC),
            Run::Reading => self.wake = None,
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.shell.pid
    }

    /// The ids of its process tree while it runs, itself first.
    pub fn pids(&self, out: &mut Vec<u32>) {
        if self.exit.is_none() {
            self.shell.tree_pids(out);
        }
    }

    /// Enter the container's pid namespace before it runs: its children's ids follow `last`,
    /// the last id given in the container, and `others` are the container's live processes
    /// outside its tree, which its `kill` may reach.
    pub fn enter(&mut self, last: u32, others: Vec<u32>) {
        self.procs.enter(last, others);
    }

    /// The container's other processes, for `ps`: id and command line.
    pub fn set_table(&mut self, mut others: Vec<(u32, String)>) {
        others.push((self.pid(), self.cmdline.clone()));
        others.sort();
        self.procs.table = others;
    }

    /// The last id given in the container, after it ran.
    pub fn last_pid(&self) -> u32 {
        self.procs.last_pid()
    }

    /// Deliver `sig` from another process of the container to `pid`, one of this process's
    /// descendants. False when none of them has that id.
    pub fn signal_descendant(&mut self, pid: u32, sig: &'static str, fs: &mut Fs, hostname: &str, now: Time) -> bool {
        let mut sys = Sys { fs, now, hostname, procs: &mut self.procs };
        let found = self.shell.signal_pid_in_tree(pid, sig, &mut sys);
        if found {
            self.wake = None;
        }
        found
    }

    /// The default action of a signal it does not handle: it dies (128 + the signal).
    pub fn kill(&mut self, now: Time, code: i32) {
        if self.exit.is_none() {
            self.exit = Some((now, code));
            self.wake = None;
        }
    }

    /// The network calls its programs made since the last take: (token, call).
    pub fn take_net_calls(&mut self) -> Vec<(u64, NetCall)> {
        std::mem::take(&mut self.procs.net_calls)
    }

    /// The answer to its call `token`: the program waiting for it runs at the answer's time.
    pub fn net_answer(&mut self, token: u64, answer: Answered) {
        let at = answer.at;
        self.procs.net_answers.insert(token, answer);
        if self.exit.is_none() {
            self.wake = Some(self.wake.map_or(at, |w| w.min(at)));
        }
    }

    /// Signals its commands sent to other processes of the container: (pid, signal).
    pub fn take_signals(&mut self) -> Vec<(u32, &'static str)> {
        std::mem::take(&mut self.procs.signals)
    }

    /// Run an exec'd process until `now`, collecting its output.
    pub fn advance_exec(&mut self, fs: &mut Fs, hostname: &str, now: Time, into: &mut ExecOutput) {
        self.advance(fs, hostname, now, &mut |s, d| {
            let buf = if s == 0 { &mut into.stdout } else { &mut into.stderr };
            let room = (1usize << 20).saturating_sub(buf.len());
            buf.extend_from_slice(&d[..d.len().min(room)]);
        });
        into.code = self.exit.map(|e| e.1);
        into.wake = self.wake;
    }
}
