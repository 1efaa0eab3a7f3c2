//! Go's `text/tabwriter` as kubectl configures it: cells end at a tab, the cells of a column
//! are padded to the column's widest cell plus the padding, and a column is sized over each
//! run of consecutive lines that have a cell in it (so blocks align separately). The last
//! cell of a line belongs to no column and is not padded.

/// A tab writer's settings (`tabwriter.NewWriter(out, minwidth, tabwidth, padding, ' ', 0)`).
#[derive(Debug, Clone, Copy)]
pub struct TabWriter {
    pub min_width: usize,
    pub padding: usize,
}

/// `kubectl get`'s tables: minwidth 6, padding 3.
pub const TABLES: TabWriter = TabWriter { min_width: 6, padding: 3 };
/// `kubectl describe`: minwidth 0, padding 2.
pub const DESCRIBE: TabWriter = TabWriter { min_width: 0, padding: 2 };

impl TabWriter {
    /// Align lines of cells. Each line is written with a newline after it, except the last
    /// when `last_has_newline` is false (the input ended without one).
    pub fn align<S: AsRef<str>>(&self, lines: &[Vec<S>], last_has_newline: bool) -> String {
        let widths: Vec<Vec<usize>> =
            lines.iter().map(|line| line.iter().map(|c| c.as_ref().chars().count()).collect()).collect();
        let mut out = String::new();
        let mut column_widths = Vec::new();
        self.format(lines, &widths, &mut column_widths, 0, lines.len(), &mut out);
        if !last_has_newline && out.ends_with('\n') {
            out.pop();
        }
        out
    }

    /// Find the column blocks, size each from its widest cell, and recurse into the columns
    /// to its right.
    fn format<S: AsRef<str>>(
        &self,
        lines: &[Vec<S>],
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
            if column + 1 < lines[this].len() {
                write_lines(lines, widths, column_widths, line0, this, out);
                line0 = this;
                let mut width = self.min_width;
                while this < line1 && column + 1 < lines[this].len() {
                    width = width.max(widths[this][column] + self.padding);
                    this += 1;
                }
                column_widths.push(width);
                self.format(lines, widths, column_widths, line0, this, out);
                column_widths.pop();
                line0 = this;
            } else {
                this += 1;
            }
        }
        write_lines(lines, widths, column_widths, line0, line1, out);
    }
}

fn write_lines<S: AsRef<str>>(
    lines: &[Vec<S>],
    widths: &[Vec<usize>],
    column_widths: &[usize],
    line0: usize,
    line1: usize,
    out: &mut String,
) {
    for i in line0..line1 {
        for (j, cell) in lines[i].iter().enumerate() {
            out.push_str(cell.as_ref());
            if let Some(&w) = column_widths.get(j) {
                out.extend(std::iter::repeat_n(' ', w.saturating_sub(widths[i][j])));
            }
        }
        out.push('\n');
    }
}
