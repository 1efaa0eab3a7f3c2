//! The kernel's input history, for history requests: each stored input with its execution
//! count and the text of its result. One session (the kernel's life); nothing is kept on disk.

use jupyter_protocol::{HistoryEntry, HistoryRequest};

/// The session number the kernel reports (IPython counts sessions from 1).
pub const SESSION: usize = 1;

struct Entry {
    line: usize,
    input: String,
    output: String,
}

#[derive(Default)]
pub struct History {
    entries: Vec<Entry>,
}

impl History {
    pub fn record(&mut self, line: usize, input: &str, output: Option<&str>) {
        self.entries.push(Entry { line, input: input.to_string(), output: output.unwrap_or_default().to_string() });
    }

    pub fn answer(&self, request: &HistoryRequest) -> Vec<HistoryEntry> {
        let (chosen, output): (Vec<&Entry>, bool) = match request {
            HistoryRequest::Tail { n, output, .. } => (last(self.entries.iter().collect(), *n), *output),
            HistoryRequest::Range { session, start, stop, output, .. } => {
                // Session 0 (or none) is the current one, as IPython counts; earlier ones are gone.
                let current = session.is_none_or(|s| s == 0 || s == SESSION as i32);
                let chosen = self
                    .entries
                    .iter()
                    .filter(|e| current && e.line as i64 >= i64::from(*start))
                    .filter(|e| *stop <= 0 || (e.line as i64) < i64::from(*stop))
                    .collect();
                (chosen, *output)
            }
            HistoryRequest::Search { pattern, unique, output, n, .. } => {
                let Ok(glob) = glob::Pattern::new(pattern) else { return Vec::new() };
                let mut found: Vec<&Entry> = self.entries.iter().filter(|e| glob.matches(&e.input)).collect();
                if *unique {
                    // The latest of each input, in the order they were last run.
                    let mut seen = std::collections::HashSet::new();
                    found.reverse();
                    found.retain(|e| seen.insert(e.input.as_str()));
                    found.reverse();
                }
                (last(found, *n), *output)
            }
        };
        chosen
            .into_iter()
            .map(|e| {
                if output {
                    HistoryEntry::InputOutput(SESSION, e.line, (e.input.clone(), e.output.clone()))
                } else {
                    HistoryEntry::Input(SESSION, e.line, e.input.clone())
                }
            })
            .collect()
    }
}

/// The last `n` (all for `n` ≤ 0).
fn last(mut entries: Vec<&Entry>, n: i32) -> Vec<&Entry> {
    if n > 0 && entries.len() > n as usize {
        entries.drain(..entries.len() - n as usize);
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(entries: Vec<HistoryEntry>) -> Vec<(usize, String)> {
        entries
            .into_iter()
            .map(|e| match e {
                HistoryEntry::Input(_, line, input) => (line, input),
                HistoryEntry::InputOutput(_, line, (input, output)) => (line, format!("{input} -> {output}")),
            })
            .collect()
    }

    fn history() -> History {
        let mut h = History::default();
        h.record(1, "1 + 1", Some("2"));
        h.record(2, "print(3)", None);
        h.record(3, "1 + 1", Some("2"));
        h.record(4, "now()", Some("2025-01-01T00:00:00Z"));
        h
    }

    #[test]
    fn tail_range_and_search() {
        let h = history();
        let tail = HistoryRequest::Tail { n: 2, output: true, raw: true };
        assert_eq!(lines(h.answer(&tail)), [(3, "1 + 1 -> 2".into()), (4, "now() -> 2025-01-01T00:00:00Z".into())]);
        let range =
            HistoryRequest::Range { session: Some(SESSION as i32), start: 2, stop: 3, output: false, raw: true };
        assert_eq!(lines(h.answer(&range)), [(2, "print(3)".into())]);
        let old = HistoryRequest::Range { session: Some(-1), start: 0, stop: 0, output: false, raw: true };
        assert!(h.answer(&old).is_empty());
        let search = |unique, n| HistoryRequest::Search { pattern: "1*".into(), unique, output: false, raw: true, n };
        assert_eq!(lines(h.answer(&search(false, 0))), [(1, "1 + 1".into()), (3, "1 + 1".into())]);
        assert_eq!(lines(h.answer(&search(true, 0))), [(3, "1 + 1".into())]);
        assert_eq!(lines(h.answer(&search(false, 1))), [(3, "1 + 1".into())]);
    }
}
