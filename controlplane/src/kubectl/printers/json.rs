//! JSON as kubectl prints it: Go's `json.MarshalIndent(obj, "", "    ")` of an unstructured
//! object (cli-runtime `printers.JSONPrinter`).
//!
//! That means: keys sorted by their bytes (Go sorts `map[string]interface{}` keys), four-space
//! indent, `"key": value`, `{}` and `[]` for empty objects and arrays, and Go's string escapes:
//! `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026` (HTML-safe by default), U+2028 and U+2029
//! escaped, other control characters as `\u00XX`. Floats print as Go prints a float64: plain
//! decimals between 1e-6 and 1e21, exponents (`1e+21`, `1e-7`) outside.

use serde_json::Value;

/// The indented JSON text of `value`, without a trailing newline.
pub(crate) fn to_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, 0, &mut out);
    out
}

/// The JSON text of `value` on one line, as Go's `json.Marshal` writes it (the same key order
/// and escapes, no spaces).
pub(crate) fn to_json_compact(value: &Value) -> String {
    let mut out = String::new();
    write_compact(value, &mut out);
    out
}

fn write_compact(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_compact(&map[key], out);
            }
            out.push('}');
        }
        scalar => write_value(scalar, 0, out),
    }
}

fn write_value(value: &Value, depth: usize, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => write_string(s, out),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(depth + 1, out);
                write_value(item, depth + 1, out);
            }
            newline(depth, out);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(depth + 1, out);
                write_string(key, out);
                out.push_str(": ");
                write_value(&map[key], depth + 1, out);
            }
            newline(depth, out);
            out.push('}');
        }
    }
}

fn newline(depth: usize, out: &mut String) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("    ");
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON number as Go's encoder writes it.
pub(crate) fn number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    go_json_float(n.as_f64().unwrap_or(0.0))
}

/// Go's `encoding/json` float64: `'f'` format in [1e-6, 1e21), else `'e'` with the exponent's
/// leading zero dropped (`1e-07` becomes `1e-7`).
pub(crate) fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        // Rust's Display is the shortest round-trip decimal without an exponent, as Go's 'f', -1.
        return format!("{f}");
    }
    let (mantissa, exp) = shortest_exp(f);
    format!("{mantissa}e{}{}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, how YAML prints a float: the shortest digits,
/// in scientific notation (`1.234567e+06`, `1e-05`: at least two exponent digits) when the
/// decimal exponent is below -4 or at least 6 — strconv fixes that threshold at 6 for the
/// shortest precision — else as a plain decimal.
pub(crate) fn go_format_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let (mantissa, exp) = shortest_exp(f);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.unsigned_abs());
    }
    format!("{f}")
}

/// The shortest digits of `f` as `d.ddd` and its decimal exponent.
fn shortest_exp(f: f64) -> (String, i32) {
    let s = format!("{f:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    (mantissa.to_string(), exp.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: Value, expect: &str) {
        assert_eq!(to_json(&value), expect.strip_prefix('\n').unwrap_or(expect));
    }

    #[test]
    fn layout_and_key_order() {
        check(
            json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "web", "labels": {}}, "spec": {"containers": [{"name": "c", "args": []}], "B": 1, "a_b": true, "aZ": null}}),
            r#"
{
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "labels": {},
        "name": "web"
    },
    "spec": {
        "B": 1,
        "aZ": null,
        "a_b": true,
        "containers": [
            {
                "args": [],
                "name": "c"
            }
        ]
    }
}"#,
        );
        check(json!([]), "[]");
        check(json!({}), "{}");
    }

    #[test]
    fn go_string_escapes() {
        check(
            json!("a<b>&c \"q\" \\ \n\r\t \u{8}\u{c} \u{1} \u{7f} \u{2028}\u{2029} é ☃ 😀"),
            "\"a\\u003cb\\u003e\\u0026c \\\"q\\\" \\\\ \\n\\r\\t \\b\\f \\u0001 \u{7f} \\u2028\\u2029 é ☃ 😀\"",
        );
    }

    #[test]
    fn numbers() {
        check(json!(-42), "-42");
        check(json!(u64::MAX), "18446744073709551615");
        check(json!(0.5), "0.5");
        check(json!(2.0), "2");
        check(json!(1e20), "100000000000000000000");
        check(json!(1e21), "1e+21");
        check(json!(1.5e-7), "1.5e-7");
        check(json!(0.000001), "0.000001");
        check(json!(-2.5e-10), "-2.5e-10");
    }

    #[test]
    fn go_g_format() {
        let cases = [
            (0.5, "0.5"),
            (999999.5, "999999.5"),
            (1234567.5, "1.2345675e+06"),
            (1e6, "1e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-1.5e-300, "-1.5e-300"),
            (608863452348.1149, "6.088634523481149e+11"),
            (f64::INFINITY, "+Inf"),
            (-0.0, "-0"),
        ];
        for (f, expect) in cases {
            assert_eq!(go_format_g(f), expect, "{f}");
        }
    }
}
