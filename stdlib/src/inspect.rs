//! Inspection: what the name under the cursor is. For a function, its signatures, doc and
//! example (what `help` prints); for a variable holding an object map, the object as kubectl
//! prints YAML; for another variable, its type and value.

use controlplane::kubectl::printers::yaml::to_yaml;
use rhai::Dynamic;

use crate::complete::byte_at;
use crate::session::{display, ClusterRef, Session};
use crate::syntax::{is_ident_char, script_tokens, Class, Mode};
use crate::{convert, docs};

impl Session {
    /// What the name at code point `cursor` (or the call the cursor is in) is, as text.
    pub fn inspect(&self, code: &str, cursor: usize) -> Option<String> {
        if Mode::of(code) != Mode::Script {
            return None;
        }
        let at = byte_at(code, cursor);
        let start = code[..at].char_indices().rev().take_while(|(_, c)| is_ident_char(*c)).last().map_or(at, |x| x.0);
        let end = code[at..].char_indices().find(|(_, c)| !is_ident_char(*c)).map_or(code.len(), |x| at + x.0);
        let word = &code[start..end];
        if !word.is_empty() {
            let called = code[end..].trim_start().starts_with('(');
            let member = code[..start].ends_with('.');
            if !called && !member {
                if let Some(text) = self.variable(word) {
                    return Some(text);
                }
            }
            if let Some(text) = self.help(word) {
                return Some(text);
            }
        }
        // Inside the parentheses of a call: the function called.
        let tokens = script_tokens(&code[..at]);
        let mut depth = 0;
        for (i, t) in tokens.iter().enumerate().rev() {
            match (t.class, &code[t.start..t.end]) {
                (Class::Bracket, ")" | "]" | "}") => depth += 1,
                (Class::Bracket, "(") if depth == 0 => {
                    let name = tokens.get(i.checked_sub(1)?).filter(|t| t.class == Class::Function)?;
                    return self.help(&code[name.start..name.end]);
                }
                (Class::Bracket, _) if depth == 0 => return None,
                (Class::Bracket, _) => depth -= 1,
                _ => {}
            }
        }
        None
    }

    /// A variable's value: maps (Kubernetes objects) and arrays as YAML, others with their type.
    fn variable(&self, name: &str) -> Option<String> {
        let (_, _, value) = self.scope.iter_raw().filter(|(n, _, _)| *n == name).last()?;
        let max_depth = self.options.max_data_depth;
        if value.is_map() || value.is_array() {
            if let Ok(json) = convert::to_json(value, max_depth) {
                return Some(to_yaml(&json));
            }
        }
        if value.is::<ClusterRef>() {
            return Some(format!("{name}: Cluster\n"));
        }
        let shown = display(value, max_depth).unwrap_or_else(|message| message);
        Some(format!("{name}: {}\n{shown}\n", type_of(value)))
    }

    /// A function's help: each overload's signature, doc comment and example. With an empty
    /// name, the list of kubesim's functions and the user's, one line each. None if no
    /// function has that name.
    pub fn help(&self, name: &str) -> Option<String> {
        let all = docs::collect(&self.engine, None, Some(&self.functions));
        let name = name.trim();
        if name.is_empty() {
            Some(docs::listing(&all))
        } else {
            docs::render(&all, name)
        }
    }
}

fn type_of(value: &Dynamic) -> String {
    match value.type_name() {
        "i64" => "int".into(),
        "f64" => "float".into(),
        other => other.rsplit("::").next().unwrap_or(other).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionOptions;

    /// Inspects `input` at the `|` in it after running `setup`.
    fn check(setup: &str, input: &str, expect: Option<&str>) {
        let mut s = Session::new(SessionOptions::default());
        if !setup.is_empty() {
            assert_eq!(s.execute(setup).error, None, "{setup}");
        }
        let cursor = input[..input.find('|').expect("a cursor")].chars().count();
        let got = s.inspect(&input.replacen('|', "", 1), cursor);
        assert_eq!(got.as_deref(), expect, "{input}");
    }

    const ADVANCE: &str = "advance(d: string)
    Moves the clock forward by `d` (`\"90s\"`, `\"5m\"`, `\"1h30m\"`), running everything due.

    Example:
        advance(\"90s\");

advance(secs: float)
    Moves the clock forward by `secs` (fractional) seconds.

advance(secs: int)
    Moves the clock forward by `secs` seconds.

    Example:
        advance(30);
";

    #[test]
    fn functions() {
        check("", "adv|ance(\"1m\")", Some(ADVANCE));
        check("", "advance|", Some(ADVANCE));
        check("", "advance(\"1|m\")", Some(ADVANCE));
        check("", "now(|)", Some("now() -> string\n    The simulated time, RFC 3339 (`2025-01-01T00:00:00Z` at the start).\n\n    Example:\n        print(now());\n"));
        check("", "x.le|n()", Some("len(array: array) -> int\n    Number of elements in the array.\n\nlen(blob: Blob) -> int\n    Return the length of the BLOB.\n\n    Example:\n\n        let b = blob(10, 0x42);\n\n        print(b);           // prints \"[4242424242424242 4242]\"\n\n        print(b.len());     // prints 10\n\nlen(map: map) -> int\n    Return the number of properties in the object map.\n\nlen(string: string) -> int\n    Return the length of the string, in number of characters.\n\n    Example:\n\n        let text = \"朝には紅顔ありて夕べには白骨となる\";\n\n        print(text.len);        // prints 17\n"));
        check("/// Twice `x`.\nfn double(x) { x * 2 }", "doub|le(2)", Some("double(x)\n    Twice `x`.\n"));
        check("", "nosuch|", None);
        check("", "(1 + |2)", None);
    }

    #[test]
    fn variables() {
        check("let cm = get(\"cm\", \"kube-root-ca.crt\");", "c|m", Some(&cm_yaml()));
        check("let n = 42;", "n|", Some("n: int\n42\n"));
        check("let s = \"text\";", "s| + 1", Some("s: string\ntext\n"));
        check("let c = cluster();", "|c", Some("c: Cluster\n"));
        check("let now = 1;", "now|()", Some("now() -> string\n    The simulated time, RFC 3339 (`2025-01-01T00:00:00Z` at the start).\n\n    Example:\n        print(now());\n"));
        check("let now = 1;", "now|", Some("now: int\n1\n"));
    }

    fn cm_yaml() -> String {
        let mut s = Session::new(SessionOptions::default());
        s.execute("kubectl get cm kube-root-ca.crt -o yaml").result.unwrap()
    }

    #[test]
    fn help_texts() {
        let s = Session::new(SessionOptions::default());
        let all = s.help("").unwrap();
        assert!(all.starts_with("kubesim's functions (help(\"name\") shows one in full, with an example):\n"), "{all}");
        assert!(all.contains("\n  advance           Moves the clock forward by `d` (`\"90s\"`, `\"5m\"`, `\"1h30m\"`), running everything due.\n"), "{all}");
        assert!(!all.contains("\n  len "), "Rhai's own functions are not listed: {all}");
        assert_eq!(s.help("advance").as_deref(), Some(ADVANCE));
        assert_eq!(s.help("nosuch"), None);
    }
}
