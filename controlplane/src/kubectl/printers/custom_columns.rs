//! `kubectl get -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName` and
//! `-o custom-columns-file=FILE`: kubectl's `CustomColumnsPrinter` (`pkg/cmd/get/customcolumn.go`).
//!
//! Each column is a header and a JSONPath expression, written loosely (`metadata.name`,
//! `.metadata.name`, `{metadata.name}` and `{.metadata.name}` are all `{.metadata.name}`).
//! A cell is every value the expression finds, as Go's `fmt.Sprint` prints it (`map[a:b]`
//! for a map, `[x y]` for a list), joined by commas; `<none>` when it finds nothing. Missing
//! keys are never an error. Escape characters print as `^[` and carriage returns as `\r`;
//! the lines go through kubectl's tab writer, so columns line up as in every other table.
//!
//! A file holds two lines: the headers, and the expressions, both separated by spaces.
//! kubectl prints the header line of a file's columns even with `--no-headers`.

use serde_json::Value;

use super::table::render_tabbed;
use crate::kubectl::jsonpath::{self, go_v, JsonPath};

/// One column: its header and its expression in full form (`{.metadata.name}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    pub field_spec: String,
}

/// A custom-columns printer.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomColumns {
    pub columns: Vec<Column>,
    pub no_headers: bool,
}

/// kubectl's `RelaxedJSONPathExpression`: `a.b`, `.a.b`, `{a.b}` and `{.a.b}` all become
/// `{.a.b}`; an empty expression stays empty.
pub fn relaxed_jsonpath(expr: &str) -> Result<String, String> {
    if expr.is_empty() {
        return Ok(String::new());
    }
    let strip_dot = |s: &str| -> String {
        match s.strip_prefix('.') {
            Some(rest) if !rest.is_empty() => rest.to_string(),
            _ => s.to_string(),
        }
    };
    let no_braces = |s: &str| !s.is_empty() && !s.contains(['{', '}']);
    if let Some(inner) = expr.strip_prefix('{').and_then(|e| e.strip_suffix('}')) {
        let spec = strip_dot(inner);
        if no_braces(&spec) {
            return Ok(format!("{{.{spec}}}"));
        }
    }
    let spec = strip_dot(expr);
    if no_braces(&spec) {
        return Ok(format!("{{.{spec}}}"));
    }
    Err("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'"
        .into())
}

impl CustomColumns {
    /// From `-o custom-columns=SPEC`: `HEADER:EXPR` pairs separated by commas.
    pub fn from_spec(spec: &str, no_headers: bool) -> Result<CustomColumns, String> {
        if spec.is_empty() {
            return Err("custom-columns format specified but no custom columns given".into());
        }
        let mut columns = Vec::new();
        for part in spec.split(',') {
            let Some((header, expr)) = part.split_once(':') else {
                return Err(format!("unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"));
            };
            columns.push(Column { header: header.to_string(), field_spec: relaxed_jsonpath(expr)? });
        }
        Ok(CustomColumns { columns, no_headers })
    }

    /// From the text of a `-o custom-columns-file=FILE`: a line of headers and a line of
    /// expressions. The header line is always printed, as kubectl does.
    pub fn from_template(text: &str) -> Result<CustomColumns, String> {
        let mut lines = text.lines();
        let headers: Vec<&str> = lines
            .next()
            .ok_or("invalid template, missing header line. Expected format is one line of space separated headers, one line of space separated column specs.")?
            .split_whitespace()
            .collect();
        let specs: Vec<&str> = lines
            .next()
            .ok_or("invalid template, missing spec line. Expected format is one line of space separated headers, one line of space separated column specs.")?
            .split_whitespace()
            .collect();
        if headers.len() != specs.len() {
            return Err(format!(
                "number of headers ({}) and field specifications ({}) don't match",
                headers.len(),
                specs.len()
            ));
        }
        let mut columns = Vec::new();
        for (header, spec) in headers.into_iter().zip(specs) {
            columns.push(Column { header: header.to_string(), field_spec: relaxed_jsonpath(spec)? });
        }
        Ok(CustomColumns { columns, no_headers: false })
    }

    /// The table for `objects` (each an object as JSON), or the error of an expression that
    /// does not parse (client-go's bare text, `unclosed action`) or fails.
    pub fn print(&self, objects: &[Value]) -> Result<String, String> {
        let parsers: Vec<JsonPath> =
            self.columns.iter().map(|c| jsonpath::parse(&c.field_spec)).collect::<Result<_, _>>()?;
        let mut text = String::new();
        if !self.no_headers {
            let headers: Vec<&str> = self.columns.iter().map(|c| c.header.as_str()).collect();
            text.push_str(&headers.join("\t"));
            text.push('\n');
        }
        for obj in objects {
            let mut cells = Vec::with_capacity(parsers.len());
            for parser in &parsers {
                let groups = parser.find_results(obj)?;
                let mut values: Vec<String> = Vec::new();
                if groups.first().is_none_or(Vec::is_empty) {
                    values.push("<none>".into());
                }
                values.extend(groups.iter().flatten().map(|v| escape_terminal(&go_v(v))));
                cells.push(values.join(","));
            }
            text.push_str(&cells.join("\t"));
            text.push('\n');
        }
        Ok(render_tabbed(&text))
    }
}

/// cli-runtime's `EscapeTerminal`.
fn escape_terminal(s: &str) -> String {
    s.replace('\x1b', "^[").replace('\r', "\\r")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods() -> Vec<Value> {
        vec![
            json!({"metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
                   "spec": {"nodeName": "node-1", "containers": [{"name": "a", "image": "nginx"}, {"name": "b", "image": "redis"}]},
                   "status": {"containerStatuses": [{"restartCount": 3, "ready": true}]}}),
            json!({"metadata": {"name": "db-with-a-long-name"},
                   "spec": {"containers": [{"name": "c", "image": "postgres", "ports": [{"containerPort": 5432}]}]}}),
        ]
    }

    /// Print the test pods with `spec` (or, when it has a newline, as a columns file) and
    /// compare with `expect`, or with `error: <message>`.
    #[track_caller]
    fn check(spec: &str, no_headers: bool, expect: &str) {
        let printer = if spec.contains('\n') {
            CustomColumns::from_template(spec)
        } else {
            CustomColumns::from_spec(spec, no_headers)
        };
        let got = match printer.and_then(|p| p.print(&pods())) {
            Ok(text) => text,
            Err(e) => format!("error: {e}"),
        };
        let expect = expect.strip_prefix('\n').unwrap_or(expect);
        assert_eq!(got, expect, "spec {spec:?}");
    }

    #[test]
    fn columns() {
        check(
            "NAME:.metadata.name,NODE:.spec.nodeName,IMAGES:.spec.containers[*].image",
            false,
            "
NAME                  NODE     IMAGES
web                   node-1   nginx,redis
db-with-a-long-name   <none>   postgres
",
        );
        check(
            "N:metadata.name,L:{.metadata.labels},P:{spec.containers[*].ports},R:.status.containerStatuses[0].restartCount",
            true,
            "
web                   map[app:web tier:front]   <none>                      3
db-with-a-long-name   <none>                    [map[containerPort:5432]]   <none>
",
        );
        check(
            "READY:.status.containerStatuses[*].ready,APP:.metadata.labels.app",
            false,
            "
READY    APP
true     web
<none>   <none>
",
        );
        check("A B\n.a\n", false, "error: number of headers (2) and field specifications (1) don't match");
    }

    #[test]
    fn column_files() {
        check(
            "NAME      CONTAINERS\n{.metadata.name}   .spec.containers[*].name\n",
            true,
            "
NAME                  CONTAINERS
web                   a,b
db-with-a-long-name   c
",
        );
        check("NAME\n", false, "error: invalid template, missing spec line. Expected format is one line of space separated headers, one line of space separated column specs.");
    }

    #[test]
    fn errors() {
        check("", false, "error: custom-columns format specified but no custom columns given");
        check("NAME", false, "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>");
        check(
            "NAME:{.a",
            false,
            "error: unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'",
        );
        check("NAME:.a[", false, "error: unterminated array");
        check("C:.spec.containers[3]", false, "error: array index out of bounds: index 3, length 2");
    }

    #[test]
    fn relaxed_expressions() {
        for (input, expect) in [
            ("metadata.name", "{.metadata.name}"),
            (".metadata.name", "{.metadata.name}"),
            ("{metadata.name}", "{.metadata.name}"),
            ("{.metadata.name}", "{.metadata.name}"),
            (".", "{..}"),
            ("", ""),
        ] {
            assert_eq!(relaxed_jsonpath(input).as_deref(), Ok(expect), "{input}");
        }
        assert!(relaxed_jsonpath("{}").is_err());
        assert!(relaxed_jsonpath("{a}{b}").is_err());
    }

    #[test]
    fn cells_are_escaped() {
        let p = CustomColumns::from_spec("X:.x", false).unwrap();
        assert_eq!(p.print(&[json!({"x": "a\x1b[1mb\rc"})]).unwrap(), "X\na^[[1mb\\rc\n");
        assert_eq!(p.print(&[json!({"x": "two\nlines"}), json!({"x": "y"})]).unwrap(), "X\ntwo\nlines\ny\n");
    }
}
