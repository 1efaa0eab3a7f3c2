//! A printed table: headers and rows of cells, rendered as kubectl's text.
//!
//! kubectl writes each row as tab-separated cells into `tabwriter.NewWriter(out, 6, 4, 3, ' ', 0)`
//! (cli-runtime `printers.GetNewTabWriter`; the `liggitt/tabwriter` fork, which only adds
//! remembering widths across flushes). [`Table::render`] reproduces that writer:
//!
//! - every cell of a column is left-aligned and padded with spaces to the column's width, which
//!   is the widest cell plus three, and at least six; widths count characters (runes);
//! - the last cell of a line belongs to no column and is never padded, so lines have no trailing
//!   spaces — except when the last cell is empty, where the padding of the cell before it stays,
//!   exactly as in kubectl (tabwriter does not trim);
//! - a string cell is cut at its first `\n`, `\r` or `\f` and gets `...` appended, and an escape
//!   character prints as `^[` (cli-runtime's `printTable` and `WriteEscaped`);
//! - a tab inside a cell ends the cell, as it does in kubectl, shifting the rest of that row;
//! - a table without rows prints nothing (kubectl prints no headers then, and says
//!   `No resources found` on stderr instead).
//!
//! These rules were checked against kubectl v1.32.4 printing tables served by a stub API
//! server: the same cells render byte for byte the same, trailing padding included.
//!
//! The table itself keeps the cells unescaped, so another layer can render it as HTML.

use crate::kubectl::tabwriter::TABLES;

/// Headers (already upper-case, as kubectl prints them; empty for `--no-headers`) and rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The same table as HTML, for a notebook: a header row and one row per object.
    pub fn render_html(&self) -> String {
        let mut out = String::from("<table class=\"kubesim-table\">\n");
        if !self.headers.is_empty() {
            out.push_str("<thead><tr>");
            for h in &self.headers {
                out.push_str("<th style=\"text-align:left\">");
                escape_html(h, &mut out);
                out.push_str("</th>");
            }
            out.push_str("</tr></thead>\n");
        }
        out.push_str("<tbody>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for cell in row {
                out.push_str("<td style=\"text-align:left\">");
                escape_html(cell, &mut out);
                out.push_str("</td>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>");
        out
    }

    /// kubectl's text: one line per row (after the header line, if any), each ending in `\n`.
    pub fn render(&self) -> String {
        if self.rows.is_empty() {
            return String::new();
        }
        let mut lines: Vec<Vec<String>> = Vec::with_capacity(self.rows.len() + 1);
        if !self.headers.is_empty() {
            lines.push(split_cells(&self.headers.join("\t")));
        }
        for row in &self.rows {
            let printed: Vec<String> = row.iter().map(|c| printable_cell(c)).collect();
            lines.push(split_cells(&printed.join("\t")));
        }
        TABLES.align(&lines, true)
    }
}

/// kubectl's tab writer over text a printer wrote itself (custom columns write their lines
/// straight into it): lines end at `\n`, cells at a tab, and the cells are written as they are,
/// aligned by the same rules as [`Table::render`].
pub fn render_tabbed(text: &str) -> String {
    let lines: Vec<Vec<String>> = text.split_terminator('\n').map(split_cells).collect();
    TABLES.align(&lines, true)
}

/// Rows of cells aligned as kubectl's tables are (the last cell unpadded), for other views.
pub fn render_rows(rows: &[Vec<String>]) -> String {
    TABLES.align(rows, true)
}

/// The text kubectl writes for one string cell.
fn printable_cell(cell: &str) -> String {
    let (text, cut) = match cell.find(['\n', '\r', '\x0c']) {
        Some(i) => (&cell[..i], true),
        None => (cell, false),
    };
    let mut out = text.replace('\x1b', "^[");
    if cut {
        out.push_str("...");
    }
    out
}

/// tabwriter ends a cell at a tab or a vertical tab.
fn split_cells(line: &str) -> Vec<String> {
    line.split(['\t', '\x0b']).map(str::to_string).collect()
}

fn escape_html(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(headers: &[&str], rows: &[&[&str]], expect: &str) {
        let table = Table {
            headers: headers.iter().map(|s| s.to_string()).collect(),
            rows: rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect(),
        };
        assert_eq!(table.render(), expect.strip_prefix('\n').unwrap_or(expect));
    }

    #[test]
    fn columns_pad_to_widest_cell_plus_three() {
        check(
            &["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            &[
                &["web-5d78c9b6f5-abcde", "1/1", "Running", "0", "5m"],
                &["db", "0/1", "CrashLoopBackOff", "3 (10s ago)", "2d"],
            ],
            "
NAME                   READY   STATUS             RESTARTS      AGE
web-5d78c9b6f5-abcde   1/1     Running            0             5m
db                     0/1     CrashLoopBackOff   3 (10s ago)   2d
",
        );
    }

    #[test]
    fn minimum_width_is_six() {
        check(&["A", "B", "C"], &[&["x", "y", "z"]], "\nA     B     C\nx     y     z\n");
    }

    #[test]
    fn no_headers_and_no_rows() {
        check(&[], &[&["a", "b"], &["ccccccc", "d"]], "\na         b\nccccccc   d\n");
        check(&["NAME", "AGE"], &[], "");
    }

    #[test]
    fn empty_last_cell_keeps_the_padding_before_it() {
        // As tabwriter does: `kubectl get leases` with an empty HOLDER is not the last column,
        // but an empty last column (here MESSAGE) leaves the padding of the cell before it.
        check(
            &["TYPE", "REASON", "MESSAGE"],
            &[&["Normal", "Started", ""], &["Normal", "Pulled", "ok"]],
            "
TYPE     REASON    MESSAGE
Normal   Started   \nNormal   Pulled    ok
",
        );
    }

    #[test]
    fn cells_are_cut_at_line_breaks_and_escapes_shown() {
        check(
            &["NAME", "MESSAGE"],
            &[&["a", "first line\nsecond line"], &["b", "bell\x1b[31mred"], &["c", "cr\rhere"]],
            "
NAME   MESSAGE
a      first line...
b      bell^[[31mred
c      cr...
",
        );
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        check(&["NAME", "X"], &[&["żółw", "1"], &["ab", "2"]], "\nNAME   X\nżółw   1\nab     2\n");
    }

    #[test]
    fn a_tab_inside_a_cell_splits_it() {
        check(
            &["A", "B"],
            &[&["x\ty", "z"], &["long-name", "w"]],
            "\nA           B\nx           y     z\nlong-name   w\n",
        );
    }

    #[test]
    fn html() {
        let t = Table { headers: vec!["NAME".into(), "NODE".into()], rows: vec![vec!["web".into(), "<none>".into()]] };
        assert_eq!(
            t.render_html(),
            "<table class=\"kubesim-table\">\n<thead><tr><th style=\"text-align:left\">NAME</th><th style=\"text-align:left\">NODE</th></tr></thead>\n<tbody>\n<tr><td style=\"text-align:left\">web</td><td style=\"text-align:left\">&lt;none&gt;</td></tr>\n</tbody>\n</table>"
        );
    }
}
