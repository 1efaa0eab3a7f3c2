//! rustyline's helper over the session: Enter submits only a complete input (else it adds a
//! line), Tab completes, history gives hints, and the input is highlighted as it is typed
//! (keywords, strings, numbers, comments, and the bracket matching the one at the cursor).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::Context;
use stdlib::syntax::{self, Class, Mode};
use stdlib::{Completeness, Session};

pub struct Helper {
    session: Rc<RefCell<Session>>,
    colour: bool,
    hinter: HistoryHinter,
    /// Whether the next highlight shows the matching bracket (not on the final redraw).
    brackets: Cell<bool>,
}

impl Helper {
    pub fn new(session: Rc<RefCell<Session>>, colour: bool) -> Helper {
        Helper { session, colour, hinter: HistoryHinter::new(), brackets: Cell::new(false) }
    }
}

impl rustyline::Helper for Helper {}

impl Validator for Helper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if input.trim().is_empty() || input.trim_start().starts_with(':') {
            return Ok(ValidationResult::Valid(None));
        }
        // Enter ends the current line: a YAML document is complete once that line is empty.
        let code = format!("{input}\n");
        Ok(match self.session.borrow().is_complete(&code) {
            Completeness::Incomplete => ValidationResult::Incomplete,
            // An invalid input runs, so that its error is shown.
            Completeness::Complete | Completeness::Invalid => ValidationResult::Valid(None),
        })
    }
}

impl Completer for Helper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        if let Some(name) = line[..pos].trim_start().strip_prefix(":help ") {
            // `:help NAME`: function names, as in `help("NAME")`.
            let code = format!("help(\"{}", name.trim_start());
            let found = self.session.borrow().complete(&code, code.chars().count());
            let start = pos - name.trim_start().len();
            return Ok((
                start,
                found.matches.into_iter().map(|m| Pair { display: m.clone(), replacement: m }).collect(),
            ));
        }
        if line.trim_start().starts_with(':') {
            return Ok((pos, commands_matching(line, pos)));
        }
        let cursor = line[..pos].chars().count();
        let found = self.session.borrow().complete(line, cursor);
        let start = line.char_indices().nth(found.start).map_or(line.len(), |(i, _)| i);
        // In a kubectl line a single match ends the word, as a shell's completion does.
        let space = Mode::of(line) == Mode::Kubectl && found.matches.len() == 1 && !found.matches[0].ends_with('/');
        let pairs = found
            .matches
            .into_iter()
            .map(|m| Pair { display: m.clone(), replacement: if space { format!("{m} ") } else { m } })
            .collect();
        Ok((start, pairs))
    }
}

/// `:he<Tab>` completes the REPL's commands.
fn commands_matching(line: &str, pos: usize) -> Vec<Pair> {
    let typed = line[..pos].trim_start();
    if typed.contains(' ') {
        return Vec::new();
    }
    super::commands::NAMES
        .iter()
        .filter(|c| c.starts_with(typed))
        .map(|c| Pair { display: c.to_string(), replacement: c[typed.len()..].to_string() })
        .collect()
}

impl Hinter for Helper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.hinter.hint(line, pos, ctx)
    }
}

const RESET: &str = "\x1b[0m";

fn style(class: Class) -> Option<&'static str> {
    Some(match class {
        Class::Keyword => "\x1b[1;32m",
        Class::Function => "\x1b[34m",
        Class::String => "\x1b[33m",
        Class::Number => "\x1b[36m",
        Class::Comment => "\x1b[2;3m",
        Class::Flag => "\x1b[36m",
        Class::Key => "\x1b[34m",
        Class::Ident | Class::Bracket | Class::Operator | Class::Other => return None,
    })
}

/// The matching brackets, bold on a dark background, as IPython shows them.
const MATCHED: &str = "\x1b[1;45m";

impl Highlighter for Helper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        if !self.colour {
            return Cow::Borrowed(line);
        }
        let pair = if self.brackets.get() { syntax::matching_bracket(line, pos) } else { None };
        let marked = |at: usize| pair.is_some_and(|(a, b)| a == at || b == at);
        let mut out = String::with_capacity(line.len() * 2);
        let mut last = 0;
        for t in syntax::tokens(line) {
            out.push_str(&line[last..t.start]);
            let text = &line[t.start..t.end];
            if t.class == Class::Bracket && (marked(t.start) || marked(t.end - 1)) {
                out.push_str(MATCHED);
                out.push_str(text);
                out.push_str(RESET);
            } else if let Some(s) = style(t.class) {
                out.push_str(s);
                out.push_str(text);
                out.push_str(RESET);
            } else {
                out.push_str(text);
            }
            last = t.end;
        }
        out.push_str(&line[last..]);
        Cow::Owned(out)
    }

    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(&'s self, prompt: &'p str, default: bool) -> Cow<'b, str> {
        if self.colour && default {
            Cow::Owned(format!("\x1b[1;32m{prompt}{RESET}"))
        } else {
            Cow::Borrowed(prompt)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            Cow::Owned(format!("\x1b[2m{hint}{RESET}"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        // Redraw on every change and cursor move, so the bracket mark follows the cursor; the
        // final redraw (when the input is accepted) drops it.
        self.brackets.set(kind != CmdKind::ForcedRefresh);
        self.colour
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stdlib::SessionOptions;

    fn helper(colour: bool) -> Helper {
        Helper::new(Rc::new(RefCell::new(Session::new(SessionOptions::default()))), colour)
    }

    /// Highlights `input` with the cursor at the `|` in it; escapes shown as `<n>` codes.
    fn check(input: &str, expect: &str) {
        let h = helper(true);
        let pos = input.find('|').unwrap_or(input.len());
        let line = input.replacen('|', "", 1);
        h.brackets.set(true);
        let got = h.highlight(&line, pos).replace(RESET, "</>").replace('\x1b', "<");
        assert_eq!(got, expect, "{input}");
    }

    #[test]
    fn highlighting() {
        check("let x = 1;", "<[1;32mlet</> x = <[36m1</>;");
        check("advance(\"5m\")|", "<[34madvance</><[1;45m(</><[33m\"5m\"</><[1;45m)</>");
        check("kubectl get pods -n x", "<[1;32mkubectl</> <[1;32mget</> pods <[36m-n</> x");
        assert_eq!(helper(false).highlight("let x", 0), "let x", "no colour, no escapes");
    }

    #[test]
    fn commands_complete() {
        let names: Vec<String> = commands_matching(":re", 3).into_iter().map(|p| p.replacement).collect();
        assert_eq!(names, ["set"]);
    }
}
