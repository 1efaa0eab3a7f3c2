//! A shell's standard input when someone types into it (`kubectl exec -i`, `attach -i`,
//! `run -i`): the bytes sent so far, read a line at a time, as ash's command loop reads them.
//! With a TTY the shell is interactive as ash is on a terminal: it prints its prompt (`PS1`,
//! by default `\w \$ `, so `/ # ` for root in `/`), `> ` while a command is incomplete, `^C`
//! for Ctrl-C, and a newline when Ctrl-D ends its input.

use super::shell::{ir, Shell};

/// The most input kept unread; more is dropped, as a full pipe would hold the writer.
const INPUT_CAP: usize = 1 << 20;

/// What a client sends down a stream's stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Bytes typed or piped.
    Data(Vec<u8>),
    /// The end of input (Ctrl-D on a terminal, the end of a file).
    Eof,
    /// Ctrl-C on a terminal: SIGINT for the foreground command.
    Interrupt,
}

#[derive(Debug, Clone, Default)]
pub struct Terminal {
    /// A TTY: prompts, echoed control characters, and one output stream.
    pub tty: bool,
    unread: Vec<u8>,
    eof: bool,
    /// The lines of a command not complete yet.
    partial: String,
    /// The prompt for the present read is printed.
    prompted: bool,
    /// A program other than a shell: it runs once its input has ended, reading all of it.
    pub program: Option<Vec<String>>,
}

impl Terminal {
    pub fn new(tty: bool) -> Terminal {
        Terminal { tty, ..Terminal::default() }
    }

    /// Take what the client sent.
    pub fn input(&mut self, shell: &mut Shell, input: Input) {
        match input {
            Input::Data(data) => {
                let room = INPUT_CAP.saturating_sub(self.unread.len());
                self.unread.extend_from_slice(&data[..data.len().min(room)]);
            }
            Input::Eof => self.eof = true,
            Input::Interrupt => {
                if shell.traps("INT") && !shell.idle() {
                    let _ = shell.signal("INT");
                    return;
                }
                if self.tty {
                    shell.term.write(0, b"^C\n");
                }
                self.partial.clear();
                self.prompted = false;
                shell.interrupt();
            }
        }
    }

    /// The shell waits for a command: give it the next complete one (true), or print the
    /// prompt and wait (false). At the end of input the shell stops being interactive, so it
    /// exits with its last status (true).
    pub fn next(&mut self, shell: &mut Shell) -> bool {
        if let Some(words) = &self.program {
            if !self.eof {
                return false;
            }
            shell.io.stdin = Some(super::shell::Input::Data(std::sync::Arc::new(std::mem::take(&mut self.unread)), 0));
            shell.push(ir::literal(words));
            shell.interactive = false;
            self.program = None;
            return true;
        }
        loop {
            if !self.prompted && self.tty {
                let prompt = if self.partial.is_empty() { ps1(shell) } else { ps("PS2", "> ", shell) };
                shell.term.write(0, prompt.as_bytes());
            }
            self.prompted = true;
            let Some(end) = self.unread.iter().position(|b| *b == b'\n') else {
                if !self.eof {
                    return false;
                }
                // The last line without a newline, then the end.
                if !self.unread.is_empty() {
                    self.unread.push(b'\n');
                    continue;
                }
                if !self.partial.is_empty() {
                    self.partial.clear();
                    syntax_error(shell, "syntax error: unexpected end of file");
                }
                if self.tty {
                    shell.term.write(0, b"\n");
                }
                shell.interactive = false;
                return true;
            };
            let line: Vec<u8> = self.unread.drain(..=end).collect();
            self.partial.push_str(&String::from_utf8_lossy(&line));
            self.prompted = false;
            match ir::parse(&self.partial) {
                Ok(cmd) => {
                    self.partial.clear();
                    shell.push(cmd);
                    return true;
                }
                Err(e) if incomplete(&e) => {}
                Err(e) => {
                    self.partial.clear();
                    syntax_error(shell, &e);
                }
            }
        }
    }

    /// The client (re)attached: a shell at its prompt draws it again, as ash's line editor
    /// does on the window-size change kubectl sends.
    pub fn redraw(&mut self, shell: &mut Shell) {
        if self.tty && self.prompted && shell.idle() {
            self.prompted = false;
        }
    }
}

/// A parse error that more lines can mend.
fn incomplete(e: &str) -> bool {
    ["end of file", "unterminated", "EOF in", "missing"].iter().any(|w| e.contains(w))
}

fn syntax_error(shell: &mut Shell, msg: &str) {
    let line = format!("{}: {msg}\n", shell.arg0);
    shell.term.write(if shell.tty { 0 } else { 1 }, line.as_bytes());
    shell.status = 2;
}

fn ps(var: &str, default: &str, shell: &Shell) -> String {
    shell.vars.get(var).map(|v| v.value.clone()).unwrap_or_else(|| default.to_string())
}

/// `PS1` with busybox's prompt escapes: `\w` the directory (`~` for `$HOME`), `\W` its last
/// part, `\h` the host name up to the first dot, `\u` the user, `\$` `#` for root.
fn ps1(shell: &Shell) -> String {
    let raw = ps("PS1", "\\w \\$ ", shell);
    let home = shell.vars.get("HOME").map(|v| v.value.as_str()).unwrap_or("");
    let cwd = &shell.cwd;
    let w = match cwd.strip_prefix(home) {
        Some(rest) if !home.is_empty() && home != "/" && (rest.is_empty() || rest.starts_with('/')) => {
            format!("~{rest}")
        }
        _ => cwd.clone(),
    };
    let host = shell.vars.get("HOSTNAME").map(|v| v.value.clone()).unwrap_or_default();
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('w') => out.push_str(&w),
            Some('W') => out.push_str(cwd.rsplit('/').find(|p| !p.is_empty()).unwrap_or("/")),
            Some('h') => out.push_str(host.split('.').next().unwrap_or_default()),
            Some('u') => out.push_str("root"),
            Some('$') => out.push('#'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::container::{image, Process};
    use crate::sim::clock::epoch;

    /// Type `input` into an interactive `sh` on a TTY; what the terminal shows.
    fn session(inputs: &[Input]) -> (String, Option<i32>) {
        let env = [("HOME".to_string(), "/root".to_string()), ("HOSTNAME".to_string(), "box.local".to_string())];
        let mut p = Process::with_stdin(&["sh".to_string()], &env, 7, true);
        let mut fs = image::files("busybox");
        let mut shown = Vec::new();
        // Everything is typed at one moment: a `sleep` is still running at the next input.
        p.advance(&mut fs, "box", epoch(), &mut |_, d| shown.extend_from_slice(d));
        for input in inputs {
            p.input(input.clone());
            p.advance(&mut fs, "box", epoch(), &mut |_, d| shown.extend_from_slice(d));
        }
        (String::from_utf8_lossy(&shown).into_owned(), p.exit.map(|e| e.1))
    }

    fn typed(s: &str) -> Input {
        Input::Data(s.as_bytes().to_vec())
    }

    #[test]
    fn prompts_continuation_interrupt_and_end_of_input() {
        let (shown, code) = session(&[
            typed("cd /root; pwd\n"),
            typed("if true\n"),
            typed("then echo yes; fi\n"),
            typed("nosuch 2>&1; sleep 100\n"),
            Input::Interrupt,
            typed("echo $?; PS1='\\h\\$ '\n"),
            typed("echo 'open\n"),
            Input::Eof,
        ]);
        assert_eq!(
            shown,
            "/ # /root\n~ # > yes\n~ # sh: nosuch: not found\n^C\n~ # 130\nbox# > sh: syntax error: unexpected end of file\n\n"
        );
        assert_eq!(code, Some(2));
    }

    #[test]
    fn without_a_tty_no_prompt_and_the_last_status() {
        let env: [(String, String); 0] = [];
        let mut p = Process::with_stdin(&["sh".to_string()], &env, 7, false);
        let mut fs = image::files("busybox");
        let mut out = [Vec::new(), Vec::new()];
        p.input(typed("echo a; ls /nope\nexit 5\necho never\n"));
        p.advance(&mut fs, "box", epoch(), &mut |s, d| out[s].extend_from_slice(d));
        assert_eq!(out[0], b"a\n");
        assert_eq!(out[1], b"ls: /nope: No such file or directory\n");
        assert_eq!(p.exit.map(|e| e.1), Some(5));
    }
}
