//! The text of one description, as kubectl builds it: a prefix writer that indents by levels of
//! two spaces, feeding Go's `text/tabwriter` configured as `tabbedString` does
//! (`tabwriter.Writer.Init(buf, 0, 8, 2, ' ', 0)`: no minimum width, padding two, spaces).
//!
//! The tabwriter rules that shape every `kubectl describe` (and that [`align`] reproduces):
//!
//! - a tab ends a cell; the text after a line's last tab belongs to no column and is never padded;
//! - a column is sized over a *block*: the run of consecutive lines that all have a cell in that
//!   column. A line without a tab (`Containers:`, `Events:`) ends every block, so each section
//!   of a description aligns on its own;
//! - a column is as wide as its widest cell plus two; widths count characters (runes);
//! - blocks nest: column `j+1` is sized within the lines of one block of column `j`.
//!
//! Everything written passes through cli-runtime's `WriteEscaped` first: ESC prints as `^[` and a
//! carriage return as `\r`.

/// A prefix writer over a buffer; [`Writer::finish`] aligns the columns.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    buf: String,
    /// Extra levels added to every write (kubectl's `NewNestedPrefixWriter`).
    base: usize,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    /// `PrefixWriter.Write(level, ...)`: two spaces per level, then the text.
    pub fn write(&mut self, level: usize, text: &str) {
        for _ in 0..(level + self.base) {
            self.buf.push_str("  ");
        }
        escape_into(&mut self.buf, text);
    }

    /// `PrefixWriter.WriteLine(text)`: the text and a newline, without indentation (a nested
    /// writer indents it by its own level).
    pub fn line(&mut self, text: &str) {
        let mut s = String::with_capacity(text.len() + 1);
        s.push_str(text);
        s.push('\n');
        if self.base == 0 {
            escape_into(&mut self.buf, &s);
        } else {
            self.write(0, &s);
        }
    }

    /// Run `f` with every write indented `levels` further.
    pub fn nested(&mut self, levels: usize, f: impl FnOnce(&mut Writer)) {
        self.base += levels;
        f(self);
        self.base -= levels;
    }

    /// The aligned text.
    pub fn finish(self) -> String {
        align(&self.buf)
    }
}

/// `w.write(level, &format!(...))`.
macro_rules! out {
    ($w:expr, $level:expr, $($arg:tt)*) => {
        $w.write($level, &format!($($arg)*))
    };
}
pub(crate) use out;

fn escape_into(buf: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\x1b' => buf.push_str("^["),
            '\r' => buf.push_str("\\r"),
            c => buf.push(c),
        }
    }
}

/// Go's tabwriter with minimum width 0, padding 2 and spaces as padding, over `text`.
pub(crate) fn align(text: &str) -> String {
    // The input's lines; the last has no newline after it (possibly an empty one).
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    crate::kubectl::tabwriter::DESCRIBE.align(&lines, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_align_separately() {
        let text = "Name:\tweb\nNamespace:\tdefault\nContainers:\n  c:\n    Image:\tnginx\n    Port:\t<none>\n";
        assert_eq!(
            align(text),
            "Name:       web\nNamespace:  default\nContainers:\n  c:\n    Image:  nginx\n    Port:   <none>\n"
        );
    }

    #[test]
    fn nested_columns_and_empty_cells() {
        let text = "Labels:\ta=b\n\tc=d\nEvents:\n  Type\tReason\tAge\n  ----\t------\t---\n  Normal\tPulled\t5s\n";
        assert_eq!(
            align(text),
            "Labels:  a=b\n         c=d\nEvents:\n  Type    Reason  Age\n  ----    ------  ---\n  Normal  Pulled  5s\n"
        );
    }

    #[test]
    fn trailing_text_without_newline_and_escapes() {
        let mut w = Writer::new();
        w.write(1, "a:\tb\x1b[0m\r\n");
        w.write(0, "last");
        assert_eq!(w.finish(), "  a:  b^[[0m\\r\nlast");
    }

    #[test]
    fn nested_writer_indents_even_mid_line() {
        // kubectl's nested writer indents what WriteLine writes, even after text on the line.
        let mut w = Writer::new();
        w.nested(2, |w| {
            w.write(0, "X:\t");
            w.line("<none>");
        });
        assert_eq!(w.finish(), "    X:      <none>\n");
    }
}
