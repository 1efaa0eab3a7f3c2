//! An error as a notebook shows it: the message, then the failing line of the cell with a
//! caret under the place it failed (ANSI colours, which notebooks render).

use stdlib::ScriptError;

const RED: &str = "\x1b[0;31m";
const BOLD_RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

/// The traceback lines of `error` raised by `code`.
pub fn render(error: &ScriptError, code: &str) -> Vec<String> {
    let mut lines = vec![format!("{BOLD_RED}{}{RESET}: {}", error.kind.name(), error.message)];
    let Some(line) = error.line.filter(|l| *l >= 1) else { return lines };
    let Some(source) = code.lines().nth(line - 1) else { return lines };
    let column = error.column.unwrap_or(0);
    let width = line.to_string().len();
    lines.push(format!("{:width$}--> cell line {line}{}", "", column_note(column)));
    lines.push(format!("{line} | {source}"));
    if column >= 1 {
        lines.push(format!("{:width$} | {}{RED}^{RESET}", "", " ".repeat(column - 1)));
    }
    lines
}

fn column_note(column: usize) -> String {
    if column >= 1 {
        format!(", column {column}")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use stdlib::ErrorKind;

    use super::*;

    #[test]
    fn shows_the_failing_line() {
        let error = ScriptError { kind: ErrorKind::Runtime, message: "boom".into(), line: Some(2), column: Some(9) };
        assert_eq!(
            render(&error, "let a = 1;\nlet b = nosuch();\n"),
            [
                "\x1b[1;31mError\x1b[0m: boom",
                " --> cell line 2, column 9",
                "2 | let b = nosuch();",
                "  |         \x1b[0;31m^\x1b[0m",
            ]
        );
        let nowhere =
            ScriptError { kind: ErrorKind::Interrupted, message: "interrupted".into(), line: None, column: None };
        assert_eq!(render(&nowhere, "advance(\"1h\")"), ["\x1b[1;31mInterrupted\x1b[0m: interrupted"]);
    }
}
