//! Function documentation from the engine's metadata: the doc comments and examples of
//! kubesim's `#[export_module]` functions, Rhai's own functions, and functions the user
//! defined with `///` comments. Shared by `help`, `Session::help` and `Session::inspect`.

use std::collections::BTreeSet;

use rhai::{Engine, NativeCallContext, AST};

/// Where a function comes from; listings show kubesim's first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// Defined by the user in the session.
    User,
    /// kubesim's script library.
    Kubesim,
    /// Rhai's standard library.
    Rhai,
}

/// One overload of a function.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FnDoc {
    pub origin: Origin,
    pub name: String,
    /// `advance(d: string)`.
    pub signature: String,
    /// The doc comment without its `///` markers.
    pub doc: String,
}

/// Whether `name` is one a script can call by name (not an operator, getter or indexer).
pub fn callable(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// A Rust type as scripts know it.
fn type_name(t: &str) -> String {
    let t = t.trim().trim_start_matches("&mut ").trim_start_matches('&').trim();
    let t = t.strip_prefix("rhai::").unwrap_or(t);
    match t {
        "str" | "String" | "ImmutableString" => "string".into(),
        "i64" | "INT" | "i32" | "u64" | "usize" => "int".into(),
        "f64" | "FLOAT" | "f32" => "float".into(),
        "Map" => "map".into(),
        "Array" => "array".into(),
        "Dynamic" => "any".into(),
        "FnPtr" => "Fn".into(),
        "ClusterRef" => "Cluster".into(),
        "bool" | "char" | "Blob" => t.to_string(),
        other => other.to_string(),
    }
}

/// The type a native function returns, without the `Result<…, Box<EvalAltResult>>` wrapper.
fn return_type(t: &str) -> Option<String> {
    let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    let inner = t
        .strip_prefix("Result<")
        .and_then(|r| r.strip_suffix(",Box<EvalAltResult>>"))
        .or_else(|| t.strip_prefix("RhaiResultOf<").and_then(|r| r.strip_suffix('>')))
        .unwrap_or(&t);
    let inner = if inner == "RhaiResult" { "Dynamic" } else { inner };
    (!matches!(inner, "" | "()")).then(|| type_name(inner))
}

fn signature(name: &str, params: &[String], ret: Option<String>) -> String {
    let mut s = format!("{name}({})", params.join(", "));
    if let Some(r) = ret {
        s.push_str(" -> ");
        s.push_str(&r);
    }
    s
}

/// The text of doc comments (`/// line` or `/** block */`), without the markers.
fn doc_text(comments: &[&str]) -> String {
    let mut lines = Vec::new();
    for c in comments {
        if let Some(block) = c.strip_prefix("/**") {
            let block = block.strip_suffix("*/").unwrap_or(block);
            lines.extend(block.lines().map(|l| l.trim().trim_start_matches('*').trim_start().to_string()));
        } else {
            for l in c.lines() {
                let l = l.trim_start().trim_start_matches("///");
                lines.push(l.strip_prefix(' ').unwrap_or(l).to_string());
            }
        }
    }
    while lines.first().is_some_and(|l| l.trim().is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// Every callable function the engine knows (kubesim's and Rhai's), plus the user's: the
/// functions defined in `defined` (a session's functions) or, inside a call, in `ctx`.
pub fn collect(engine: &Engine, ctx: Option<&NativeCallContext>, defined: Option<&AST>) -> Vec<FnDoc> {
    let kubesim: BTreeSet<u64> =
        engine.collect_fn_metadata(None, |f| Some(f.metadata.hash), false).into_iter().collect();
    let mut docs = engine.collect_fn_metadata(
        ctx,
        |f| {
            let m = f.metadata;
            if !callable(&m.name) || m.access == rhai::FnAccess::Private {
                return None;
            }
            if let Some(script) = &f.script {
                let params: Vec<String> = script.params.iter().map(|p| p.to_string()).collect();
                return Some(FnDoc {
                    origin: Origin::User,
                    name: m.name.to_string(),
                    signature: signature(&m.name, &params, None),
                    doc: doc_text(&script.comments),
                });
            }
            let params: Vec<String> = m
                .params_info
                .iter()
                .map(|p| match p.split_once(':') {
                    Some((n, t)) => format!("{}: {}", n.trim(), type_name(t)),
                    None => p.to_string(),
                })
                .collect();
            let comments: Vec<&str> = m.comments.iter().map(|c| c.as_str()).collect();
            Some(FnDoc {
                origin: if kubesim.contains(&m.hash) { Origin::Kubesim } else { Origin::Rhai },
                name: m.name.to_string(),
                signature: signature(&m.name, &params, return_type(&m.return_type)),
                doc: doc_text(&comments),
            })
        },
        true,
    );
    if let Some(ast) = defined {
        for f in ast.iter_functions() {
            if f.access == rhai::FnAccess::Private {
                continue;
            }
            let params: Vec<String> = f.params.iter().map(|p| p.to_string()).collect();
            docs.push(FnDoc {
                origin: Origin::User,
                name: f.name.to_string(),
                signature: signature(f.name, &params, None),
                doc: doc_text(&f.comments),
            });
        }
    }
    docs.sort();
    docs.dedup();
    docs
}

/// One function's help: each overload's signature, doc and example. None if no function
/// has that name.
pub fn render(docs: &[FnDoc], name: &str) -> Option<String> {
    let mut overloads: Vec<&FnDoc> = docs.iter().filter(|d| d.name == name).collect();
    if overloads.is_empty() {
        return None;
    }
    // The user's definitions shadow the others; Rhai's own overloads come after kubesim's.
    overloads.sort_by(|a, b| a.origin.cmp(&b.origin).then(a.signature.cmp(&b.signature)));
    let mut out = String::new();
    for d in overloads {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&d.signature);
        out.push('\n');
        out.push_str(&indent_doc(&d.doc));
    }
    Some(out)
}

/// A doc comment as plain text, indented under its signature: Markdown code fences become an
/// indented `Example:` block, `# Heading` lines become `Heading:`.
fn indent_doc(doc: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    let mut after_heading = false;
    for line in doc.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            if !in_code && !after_heading {
                if !out.is_empty() && !out.ends_with("\n\n") {
                    out.push('\n');
                }
                out.push_str("    Example:\n");
            }
            in_code = !in_code;
            after_heading = false;
            continue;
        }
        if in_code {
            if !trimmed.is_empty() {
                out.push_str("        ");
                out.push_str(line);
            }
        } else if let Some(h) = trimmed.strip_prefix("# ") {
            out.push_str("    ");
            out.push_str(h);
            out.push(':');
            after_heading = true;
        } else if trimmed.is_empty() {
            if !out.ends_with("\n\n") && !out.is_empty() {
                out.push('\n');
            }
            continue;
        } else {
            out.push_str("    ");
            out.push_str(line);
            after_heading = false;
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The first sentence of a doc comment, on one line.
pub fn summary(doc: &str) -> String {
    let para: Vec<&str> = doc.lines().map(str::trim).take_while(|l| !l.is_empty() && !l.starts_with("```")).collect();
    let text = para.join(" ");
    match text.find(". ") {
        Some(i) => text[..=i].to_string(),
        None => text,
    }
}

/// How many parameters a signature has.
fn params(signature: &str) -> usize {
    let inside = signature.split_once('(').and_then(|(_, r)| r.split_once(')')).map_or("", |(p, _)| p);
    if inside.trim().is_empty() {
        0
    } else {
        inside.matches(',').count() + 1
    }
}

/// `help()`: kubesim's functions and the user's, one line each.
pub fn listing(docs: &[FnDoc]) -> String {
    let mut out = String::from("kubesim's functions (help(\"name\") shows one in full, with an example):\n");
    let section = |origin: Origin, out: &mut String| {
        let mut seen = BTreeSet::new();
        let rows: Vec<(&str, String)> = docs
            .iter()
            .filter(|d| d.origin == origin && seen.insert(d.name.as_str()))
            .map(|d| {
                // The main overload: the fewest parameters, then the fullest doc (`apply(yaml)`,
                // not `apply(map)`; `kubectl(cmdline)`, not `kubectl(cmdline, stdin)`).
                let main = docs.iter().filter(|o| o.name == d.name && o.origin == origin && !o.doc.is_empty()).min_by(
                    |a, b| {
                        params(&a.signature)
                            .cmp(&params(&b.signature))
                            .then(b.doc.len().cmp(&a.doc.len()))
                            .then(a.signature.cmp(&b.signature))
                    },
                );
                (d.name.as_str(), main.map(|f| summary(&f.doc)).unwrap_or_default())
            })
            .collect();
        let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
        for (name, line) in &rows {
            out.push_str(format!("  {name:width$}  {line}").trim_end());
            out.push('\n');
        }
        !rows.is_empty()
    };
    section(Origin::Kubesim, &mut out);
    if docs.iter().any(|d| d.origin == Origin::User) {
        out.push_str("\nYour functions:\n");
        section(Origin::User, &mut out);
    }
    out.push_str(
        "\nRhai's own functions (len, contains, split, to_string, ...) have help too: help(\"len\").\n\
         A line starting with `kubectl` runs kubectl; a YAML document (apiVersion: ...) is applied.",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(doc: &str, expect: &str) {
        assert_eq!(indent_doc(doc), expect);
    }

    #[test]
    fn doc_layout() {
        check(
            "Moves the clock.\n\n```rhai\nadvance(\"90s\");\n```",
            "    Moves the clock.\n\n    Example:\n        advance(\"90s\");\n",
        );
        check(
            "Length.\n\n# Example\n\n```rhai\nprint(x.len);\n```",
            "    Length.\n\n    Example:\n\n        print(x.len);\n",
        );
        check("", "");
        assert_eq!(summary("One thing. And more\nover lines.\n\n```rhai\nx\n```"), "One thing.");
        assert_eq!(
            summary("All objects of a kind, in\nthe default namespace"),
            "All objects of a kind, in the default namespace"
        );
        assert_eq!(doc_text(&["/// a\n///\n///  b"]), "a\n\n b");
        assert_eq!(doc_text(&["/** block\n * doc */"]), "block\ndoc");
        assert_eq!(return_type("Result<(), Box<EvalAltResult>>"), None);
        assert_eq!(return_type("RhaiResultOf<bool >"), Some("bool".into()));
        assert_eq!(return_type("Result<Array, Box<EvalAltResult>>"), Some("array".into()));
    }
}
