//! Commands that read a pipe. A pipe's writer may still be writing, so such a command
//! cannot run at once: filters that work line by line (`cat`, `grep`, `tr`, `cut`) run on
//! each batch of complete lines as it comes, `head` stops after its lines (closing the pipe,
//! so the writer gets SIGPIPE), `read` waits for one line, and the rest (`sort`, `wc`,
//! `tail`, a shell reading its script) wait for the end of the input.

use std::sync::Arc;

use super::pipes::{Read, CAPTURE_CAP};
use super::{Frame, Input, Run, Shell, Sys};

#[derive(Debug, Clone)]
pub(super) enum Mode {
    /// Everything until the writer is done.
    Gather(Vec<u8>),
    /// One line (`read`).
    Line,
    /// Batches of complete lines; `matched` for grep's status, `seen` for `grep -n`.
    Lines { matched: bool, seen: usize },
    /// `head`: this many lines still to print.
    Head { left: usize },
    /// `wc`: lines, words and bytes so far.
    Wc([usize; 3]),
}

#[derive(Debug, Clone)]
pub(super) struct Reading {
    pipe: usize,
    words: Vec<String>,
    assigns: Vec<(String, String)>,
    mode: Mode,
}

/// Operands: the arguments that are not options (`-x`), skipping the values of `valued`.
fn operands<'a>(args: &'a [String], valued: &[&str]) -> Vec<&'a String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a.len() > 1 && a.starts_with('-') {
            if valued.contains(&a.as_str()) {
                it.next();
            }
            continue;
        }
        out.push(a);
    }
    out
}

/// How `name args` reads its stdin, when it reads it at all.
fn mode(name: &str, args: &[String]) -> Option<Mode> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let stdin_only = |ops: &[&String]| ops.iter().all(|o| o.as_str() == "-");
    match base {
        "read" => Some(Mode::Line),
        "cat" | "cut" if stdin_only(&operands(args, &["-d", "-f", "-c"])) => {
            Some(Mode::Lines { matched: false, seen: 0 })
        }
        "tr" => Some(Mode::Lines { matched: false, seen: 0 }),
        "grep" => {
            let ops = operands(args, &["-e", "-m", "-A", "-B", "-C"]);
            if !stdin_only(ops.get(1..).unwrap_or_default()) {
                return None;
            }
            let whole = args
                .iter()
                .any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains(['c', 'l', 'L', 'q', 'm']));
            Some(if whole { Mode::Gather(Vec::new()) } else { Mode::Lines { matched: false, seen: 0 } })
        }
        "head" => {
            if !stdin_only(&operands(args, &["-n", "-c"])) {
                return None;
            }
            let mut n = 10;
            let mut it = args.iter();
            while let Some(a) = it.next() {
                if a == "-n" {
                    n = it.next().and_then(|v| v.parse().ok()).unwrap_or(n);
                } else if let Some(v) = a.strip_prefix("-n").or_else(|| a.strip_prefix('-')) {
                    n = v.parse().unwrap_or(n);
                }
            }
            Some(Mode::Head { left: n })
        }
        "wc" if stdin_only(&operands(args, &[])) => Some(Mode::Wc([0; 3])),
        "tail" | "sort" | "uniq" if stdin_only(&operands(args, &["-n", "-c"])) => Some(Mode::Gather(Vec::new())),
        "sh" | "bash" | "ash" | "dash" if args.is_empty() => Some(Mode::Gather(Vec::new())),
        _ => None,
    }
}

impl Shell {
    /// If stdin is a pipe and `words` read it, wait for it in a frame: true when so.
    pub(super) fn read_pipe_first(&mut self, words: &[String], assigns: &[(String, String)]) -> bool {
        let Some(pipe) = super::jobs::stdin_pipe(&self.io) else { return false };
        let Some(mode) = mode(&words[0], &words[1..]) else { return false };
        let r = Reading { pipe, words: words.to_vec(), assigns: assigns.to_vec(), mode };
        self.frames.push(Frame::Input(Box::new(r)));
        true
    }

    /// Run `words` with `data` as stdin, the pipe stdin again after.
    fn with_stdin(
        &mut self,
        data: Vec<u8>,
        words: Vec<String>,
        assigns: Vec<(String, String)>,
        sys: &mut Sys<'_>,
    ) -> Option<Run> {
        let old = self.io.stdin.replace(Input::Data(Arc::new(data), 0));
        self.frames.push(Frame::RestoreStdin(old));
        self.dispatch(words, assigns, sys)
    }

    pub(super) fn step_input(&mut self, mut r: Reading, sys: &mut Sys<'_>) -> Option<Run> {
        let (pipe, words, assigns) = (r.pipe, r.words.clone(), r.assigns.clone());
        match &mut r.mode {
            Mode::Gather(buf) => match sys.procs.read(pipe) {
                Read::Data(d) => {
                    buf.extend_from_slice(&d);
                    // Bounded: `tail` keeps the end, the others the beginning.
                    if buf.len() > CAPTURE_CAP {
                        if words[0].rsplit('/').next() == Some("tail") {
                            buf.drain(..buf.len() - CAPTURE_CAP);
                        } else {
                            buf.truncate(CAPTURE_CAP);
                        }
                    }
                    self.frames.push(Frame::Input(Box::new(r)));
                    None
                }
                Read::Empty => {
                    self.frames.push(Frame::Input(Box::new(r)));
                    Some(Run::Blocked)
                }
                Read::Eof => {
                    let data = std::mem::take(buf);
                    self.with_stdin(data, words, assigns, sys)
                }
            },
            Mode::Line => match sys.procs.read_line(pipe) {
                Read::Data(line) => self.with_stdin(line, words, assigns, sys),
                Read::Empty => {
                    self.frames.push(Frame::Input(Box::new(r)));
                    Some(Run::Blocked)
                }
                Read::Eof => self.with_stdin(Vec::new(), words, assigns, sys),
            },
            Mode::Lines { matched, seen } => match sys.procs.read_lines(pipe) {
                Read::Data(chunk) => {
                    let grep = words[0].rsplit('/').next() == Some("grep");
                    let lines = chunk.iter().filter(|b| **b == b'\n').count();
                    let old = self.io.stdin.replace(Input::Data(Arc::new(chunk), 0));
                    self.line_base = *seen;
                    let _ = self.dispatch(words, assigns, sys);
                    self.line_base = 0;
                    *seen += lines;
                    self.io.stdin = old;
                    if grep && self.status == 2 {
                        return None;
                    }
                    *matched |= grep && self.status == 0;
                    self.frames.push(Frame::Input(Box::new(r)));
                    None
                }
                Read::Empty => {
                    self.frames.push(Frame::Input(Box::new(r)));
                    Some(Run::Blocked)
                }
                Read::Eof => {
                    let grep = words[0].rsplit('/').next() == Some("grep");
                    self.status = i32::from(grep && !*matched);
                    self.check_errexit();
                    None
                }
            },
            Mode::Wc(counts) => match sys.procs.read_lines(pipe) {
                Read::Data(chunk) => {
                    let c = super::applets::wc_counts(&chunk);
                    for i in 0..3 {
                        counts[i] += c[i];
                    }
                    self.frames.push(Frame::Input(Box::new(r)));
                    None
                }
                Read::Empty => {
                    self.frames.push(Frame::Input(Box::new(r)));
                    Some(Run::Blocked)
                }
                Read::Eof => {
                    let flags: Vec<&str> =
                        words[1..].iter().map(String::as_str).filter(|a| a.starts_with('-')).collect();
                    let want = super::applets::wc_wanted(&flags);
                    let mut line = super::applets::wc_format(&want, want.len() == 1, *counts);
                    line.push('\n');
                    self.out(line.as_bytes(), sys);
                    self.status = 0;
                    self.check_errexit();
                    None
                }
            },
            Mode::Head { left } => {
                if *left == 0 {
                    self.status = 0;
                    return None;
                }
                match sys.procs.read_lines(pipe) {
                    Read::Data(chunk) => {
                        let mut end = 0;
                        for (i, b) in chunk.iter().enumerate() {
                            if *b == b'\n' {
                                *left -= 1;
                                if *left == 0 {
                                    end = i + 1;
                                    break;
                                }
                            }
                            end = i + 1;
                        }
                        self.out(&chunk[..end], sys);
                        self.frames.push(Frame::Input(Box::new(r)));
                        None
                    }
                    Read::Empty => {
                        self.frames.push(Frame::Input(Box::new(r)));
                        Some(Run::Blocked)
                    }
                    Read::Eof => {
                        self.status = 0;
                        None
                    }
                }
            }
        }
    }
}
