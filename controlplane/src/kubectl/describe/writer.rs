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

/// Go's tabwriter padding in `tabbedString`.
const PADDING: usize = 2;

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
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let widths: Vec<Vec<usize>> = lines.iter().map(|line| line.iter().map(|c| c.chars().count()).collect()).collect();
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    let mut column_widths = Vec::new();
    format(&lines, &widths, &mut column_widths, 0, lines.len(), &mut out);
    out
}

/// tabwriter's `format`: find the blocks of lines that have a cell in the next column, size
/// the column over each block, and recurse into the columns to its right.
fn format(
    lines: &[Vec<&str>],
    widths: &[Vec<usize>],
    column_widths: &mut Vec<usize>,
    line0: usize,
    line1: usize,
    out: &mut String,
) {
    let column = column_widths.len();
    let mut line0 = line0;
    let mut this = line0;
    while this < line1 {
        // The last cell of a line is not tab-terminated and belongs to no column.
        if column + 1 < lines[this].len() {
            write_lines(lines, widths, column_widths, line0, this, out);
            line0 = this;
            let mut width = 0;
            while this < line1 && column + 1 < lines[this].len() {
                width = width.max(widths[this][column] + PADDING);
                this += 1;
            }
            column_widths.push(width);
            format(lines, widths, column_widths, line0, this, out);
            column_widths.pop();
            line0 = this;
        } else {
            this += 1;
        }
    }
    write_lines(lines, widths, column_widths, line0, line1, out);
}

fn write_lines(
    lines: &[Vec<&str>],
    widths: &[Vec<usize>],
    column_widths: &[usize],
    line0: usize,
    line1: usize,
    out: &mut String,
) {
    for i in line0..line1 {
        for (j, cell) in lines[i].iter().enumerate() {
            out.push_str(cell);
            if let Some(&w) = column_widths.get(j) {
                out.extend(std::iter::repeat_n(' ', w.saturating_sub(widths[i][j])));
            }
        }
        // Every line but the last ended with a newline in the input.
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
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
