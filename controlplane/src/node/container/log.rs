//! A container's log as the runtime writes it: complete lines with the moment they were
//! written, stdout and stderr interleaved. The kubelet rotates a log at `containerLogMaxSize`
//! (10Mi by default); kubesim keeps the latest [`LOG_CAP`] bytes of each container's log in
//! memory, dropping the oldest lines, so a chatty process cannot grow it without bound.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

pub type Time = DateTime<Utc>;

pub const LOG_CAP: usize = 1 << 20;

/// The longest line kept whole: the runtime splits longer ones (as CRI's 16K partial lines).
const LINE_CAP: usize = 16 << 10;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Log {
    lines: VecDeque<(Time, String)>,
    bytes: usize,
    /// What each stream wrote after its last newline.
    partial: [Vec<u8>; 2],
}

impl Log {
    /// What stream 0 (stdout) or 1 (stderr) wrote at `at`.
    pub fn write(&mut self, at: Time, stream: usize, data: &[u8]) {
        let mut rest = data;
        while let Some(i) = rest.iter().position(|b| *b == b'\n') {
            let mut line = std::mem::take(&mut self.partial[stream]);
            line.extend_from_slice(&rest[..i]);
            self.push(at, &line);
            rest = &rest[i + 1..];
        }
        self.partial[stream].extend_from_slice(rest);
        while self.partial[stream].len() > LINE_CAP {
            let line: Vec<u8> = self.partial[stream].drain(..LINE_CAP).collect();
            self.push(at, &line);
        }
    }

    /// A line without its newline.
    pub fn push(&mut self, at: Time, line: &[u8]) {
        let text = String::from_utf8_lossy(line).into_owned();
        self.bytes += text.len() + 1;
        self.lines.push_back((at, text));
        while self.bytes > LOG_CAP {
            match self.lines.pop_front() {
                Some((_, l)) => self.bytes -= l.len() + 1,
                None => break,
            }
        }
    }

    /// The process ended: what it wrote without a final newline is a line too.
    pub fn flush(&mut self, at: Time) {
        for s in 0..2 {
            let rest = std::mem::take(&mut self.partial[s]);
            if !rest.is_empty() {
                self.push(at, &rest);
            }
        }
    }

    pub fn lines(&self) -> impl Iterator<Item = &(Time, String)> {
        self.lines.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::epoch;

    #[test]
    fn lines_and_cap() {
        let mut log = Log::default();
        let t = epoch();
        log.write(t, 0, b"a\nb");
        log.write(t, 1, b"err\n");
        log.write(t, 0, b"c\n");
        let got: Vec<&str> = log.lines().map(|(_, l)| l.as_str()).collect();
        assert_eq!(got, ["a", "err", "bc"]);
        for _ in 0..200_000 {
            log.write(t, 0, b"0123456789\n");
        }
        assert!(log.bytes <= LOG_CAP);
        assert_eq!(log.lines().last().map(|(_, l)| l.as_str()), Some("0123456789"));
    }
}
