//! kubectl's standard output for the commands that go on while time passes (`get -w`,
//! `rollout status`): kubectl prints each of their lines when it happens, not when the command
//! ends. A front-end that shows output as it comes hands one [`Stdout`] in with
//! [`super::Input`]; kubectl knows nothing of terminals or notebooks, only that it writes text.
//! Without one, the command's lines are kept and returned as its text, as for every other
//! command.

use std::cell::RefCell;

/// A front-end's writer of printed text.
pub type Write<'a> = RefCell<dyn FnMut(&str) + 'a>;

/// Where a command's lines go as they are printed: a writer the front-end owns, or nowhere
/// (the lines are returned when the command ends).
#[derive(Clone, Copy, Default)]
pub struct Stdout<'a>(Option<&'a Write<'a>>);

impl<'a> Stdout<'a> {
    /// Lines go to `write` as they are printed.
    pub fn to(write: &'a Write<'a>) -> Stdout<'a> {
        Stdout(Some(write))
    }
}

impl std::fmt::Debug for Stdout<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Stdout(live)" } else { "Stdout(returned)" })
    }
}

/// What a streaming command has printed: written to the front-end's [`Stdout`] at once, or
/// kept to be returned. Its result holds only what was not shown yet, so nothing is shown
/// twice.
pub(super) struct Printed<'a> {
    live: Stdout<'a>,
    kept: String,
}

impl<'a> Printed<'a> {
    pub(super) fn new(live: Stdout<'a>) -> Printed<'a> {
        Printed { live, kept: String::new() }
    }

    /// Print `text` (whole lines, each with its newline).
    pub(super) fn print(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.live.0 {
            // A writer already borrowed (one streaming command inside another) cannot happen
            // from kubectl's own commands; keeping the text then loses nothing.
            Some(write) => match write.try_borrow_mut() {
                Ok(mut write) => write(text),
                Err(_) => self.kept.push_str(text),
            },
            None => self.kept.push_str(text),
        }
    }

    /// The command succeeded: the text not shown yet, without its final newline.
    pub(super) fn done(self) -> String {
        self.kept.trim_end_matches('\n').to_string()
    }

    /// The text not shown yet, as it was printed.
    pub(super) fn into_text(self) -> String {
        self.kept
    }

    /// The command failed with `error`: the text not shown yet, then the error.
    pub(super) fn failed(self, error: &str) -> String {
        format!("{}{error}", self.kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_go_out_live_or_are_returned_once() {
        let mut kept = Printed::new(Stdout::default());
        kept.print("a\n");
        kept.print("b\n");
        assert_eq!(kept.done(), "a\nb");

        let seen = RefCell::new(Vec::<String>::new());
        let write = RefCell::new(|t: &str| seen.borrow_mut().push(t.to_string()));
        let mut live = Printed::new(Stdout::to(&write));
        live.print("a\n");
        live.print("");
        live.print("b\n");
        assert_eq!(live.failed("error: gone"), "error: gone");
        assert_eq!(*seen.borrow(), ["a\n", "b\n"]);
    }
}
