//! What a process tree shares, as the kernel would: pipes (bounded buffers between a
//! pipeline's stages, and the captures of command substitutions), process ids, and the
//! signals its commands send to processes outside it (`kill 1` from `kubectl exec`).

use std::collections::{BTreeMap, VecDeque};

use crate::node::container::net::{Answered, NetCall};

/// A pipe's capacity, as Linux's default (16 pages).
pub const PIPE_CAP: usize = 64 << 10;

/// The most a command substitution's capture holds; more is dropped.
pub const CAPTURE_CAP: usize = 1 << 20;

/// The most processes one process tree may have running (a container's pids limit).
pub const PROCS_CAP: usize = 1024;

/// The highest process id before ids wrap around (Linux's `pid_max` on 64-bit systems).
pub const PID_MAX: u32 = 4_194_304;

/// The id after `last` in a pid namespace: after `pid_max` ids wrap around, skipping `live`.
pub fn next_pid(last: u32, live: &[u32]) -> u32 {
    let mut pid = last;
    loop {
        pid = if pid >= PID_MAX { 2 } else { pid + 1 };
        if !live.contains(&pid) {
            return pid;
        }
    }
}

#[derive(Debug, Clone)]
struct Pipe {
    buf: VecDeque<u8>,
    cap: usize,
    /// A capture drops what does not fit instead of making the writer wait.
    lossy: bool,
    reader: bool,
    writer: bool,
}

/// What a read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    Data(Vec<u8>),
    /// Nothing yet, and a writer may still write: the reader waits.
    Empty,
    Eof,
}

#[derive(Debug, Clone)]
pub struct Procs {
    pipes: Vec<Option<Pipe>>,
    /// The last id given in the container's pid namespace.
    next_pid: u32,
    /// The live processes of the container outside this tree, which its `kill` may reach.
    pub others: Vec<u32>,
    /// The container's processes as `ps` lists them, this one among them: id and command
    /// line (given to exec'd processes only).
    pub table: Vec<(u32, String)>,
    /// Signals sent to processes outside this tree: (pid, signal name).
    pub signals: Vec<(u32, &'static str)>,
    /// How many more processes may start in this turn; the owner sets it from the tree's size.
    pub forks_left: usize,
    /// Network calls made in this turn, for the owner to carry: (token, call).
    pub net_calls: Vec<(u64, NetCall)>,
    /// Answers handed back, by token, until the program waiting for each reads it.
    pub net_answers: BTreeMap<u64, Answered>,
    net_token: u64,
}

impl Procs {
    /// The shared state of a process whose children get ids after `pid`.
    pub fn new(pid: u32) -> Procs {
        Procs {
            pipes: Vec::new(),
            next_pid: pid,
            others: Vec::new(),
            table: Vec::new(),
            signals: Vec::new(),
            forks_left: PROCS_CAP,
            net_calls: Vec::new(),
            net_answers: BTreeMap::new(),
            net_token: 0,
        }
    }

    /// Leave a network call to be carried; its token names the answer.
    pub fn net_call(&mut self, call: NetCall) -> u64 {
        self.net_token += 1;
        self.net_calls.push((self.net_token, call));
        self.net_token
    }

    /// The next free id in the namespace (after `pid_max` they wrap, skipping the live ones
    /// outside this tree).
    pub fn pid(&mut self) -> u32 {
        self.next_pid = next_pid(self.next_pid, &self.others);
        self.next_pid
    }

    /// Continue the namespace's numbering from `last`, with `others` the live processes
    /// outside this tree.
    pub fn enter(&mut self, last: u32, others: Vec<u32>) {
        self.next_pid = last;
        self.others = others;
    }

    /// The last id given.
    pub fn last_pid(&self) -> u32 {
        self.next_pid
    }

    fn alloc(&mut self, p: Pipe) -> usize {
        match self.pipes.iter().position(Option::is_none) {
            Some(i) => {
                self.pipes[i] = Some(p);
                i
            }
            None => {
                self.pipes.push(Some(p));
                self.pipes.len() - 1
            }
        }
    }

    /// A pipe between two processes.
    pub fn pipe(&mut self) -> usize {
        self.alloc(Pipe { buf: VecDeque::new(), cap: PIPE_CAP, lossy: false, reader: true, writer: true })
    }

    /// A command substitution's capture, read all at once when the command ends.
    pub fn capture(&mut self) -> usize {
        self.alloc(Pipe { buf: VecDeque::new(), cap: CAPTURE_CAP, lossy: true, reader: true, writer: true })
    }

    /// Write what fits: how much, or `None` when no one reads any more (SIGPIPE).
    pub fn write(&mut self, id: usize, data: &[u8]) -> Option<usize> {
        let p = self.pipes.get_mut(id)?.as_mut()?;
        if !p.reader {
            return None;
        }
        let n = data.len().min(p.cap.saturating_sub(p.buf.len()));
        p.buf.extend(&data[..n]);
        Some(if p.lossy { data.len() } else { n })
    }

    /// Whether a writer to `id` would have to wait.
    pub fn full(&self, id: usize) -> bool {
        self.pipes.get(id).and_then(Option::as_ref).is_some_and(|p| !p.lossy && p.reader && p.buf.len() >= p.cap)
    }

    /// Everything buffered, or what the end of the writing means.
    pub fn read(&mut self, id: usize) -> Read {
        let Some(p) = self.pipes.get_mut(id).and_then(Option::as_mut) else { return Read::Eof };
        if !p.buf.is_empty() {
            return Read::Data(p.buf.drain(..).collect());
        }
        if p.writer {
            Read::Empty
        } else {
            Read::Eof
        }
    }

    /// Complete lines only (all that is left at the end of the writing).
    pub fn read_lines(&mut self, id: usize) -> Read {
        let Some(p) = self.pipes.get_mut(id).and_then(Option::as_mut) else { return Read::Eof };
        match p.buf.iter().rposition(|b| *b == b'\n') {
            Some(i) => Read::Data(p.buf.drain(..=i).collect()),
            None if p.writer => Read::Empty,
            None if p.buf.is_empty() => Read::Eof,
            None => Read::Data(p.buf.drain(..).collect()),
        }
    }

    /// One line (with its newline, if it has one).
    pub fn read_line(&mut self, id: usize) -> Read {
        let Some(p) = self.pipes.get_mut(id).and_then(Option::as_mut) else { return Read::Eof };
        match p.buf.iter().position(|b| *b == b'\n') {
            Some(i) => Read::Data(p.buf.drain(..=i).collect()),
            None if p.writer => Read::Empty,
            None if p.buf.is_empty() => Read::Eof,
            None => Read::Data(p.buf.drain(..).collect()),
        }
    }

    /// Close one end; a pipe with both ends closed is gone.
    pub fn close(&mut self, id: usize, write_end: bool) {
        let Some(slot) = self.pipes.get_mut(id) else { return };
        if let Some(p) = slot.as_mut() {
            if write_end {
                p.writer = false;
            } else {
                p.reader = false;
                p.buf.clear();
            }
            if !p.reader && !p.writer {
                *slot = None;
            }
        }
        while matches!(self.pipes.last(), Some(None)) {
            self.pipes.pop();
        }
    }

    /// A capture's contents; the capture is gone.
    pub fn take(&mut self, id: usize) -> Vec<u8> {
        let data = match self.pipes.get_mut(id).and_then(Option::take) {
            Some(p) => p.buf.into_iter().collect(),
            None => Vec::new(),
        };
        while matches!(self.pipes.last(), Some(None)) {
            self.pipes.pop();
        }
        data
    }
}
