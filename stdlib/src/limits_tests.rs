use rhai::{Array, Dynamic, Engine, FnPtr, Map, Scope};

use super::*;
use crate::session::display;
use crate::session::tests::check;
use crate::{ErrorKind, Session, SessionOptions};

fn depth_error(place: &str) -> String {
    format!(
        "error: script limit: a value nested deeper than 1000 levels (max_data_depth); {place} is now () to free it"
    )
}

#[test]
fn issue_10_a_value_built_too_deep_stops_the_script_and_is_freed() {
    let a = depth_error("variable a");
    let m = depth_error("variable m");
    let f = depth_error("variable f");
    let c = depth_error("variable c");
    let b = depth_error("variable b");
    let this = depth_error("this");
    check(
        &[
            "let kept = 7;",
            "let a = []; for i in 0..5000 { a = [a]; } a",
            "a",
            "let m = #{}; for i in 0..50000 { m = #{a: m}; }",
            // Curried function pointers and closures nest without Rhai counting their size.
            "let f = Fn(\"g\"); for i in 0..200000 { f = Fn(\"g\").curry(take(f)); }",
            "let c = || 1; for i in 0..200000 { let d = c; c = || d; }",
            "let b = [[]]; for i in 0..5000 { b[0] = [b[0]]; }",
            "fn deepen(n) { for i in 0..n { let j = i; this = [this]; } } let x = []; x.deepen(5000);",
            "x",
            "kept",
        ],
        &["()", &a, "()", &m, &f, &c, &b, &this, "()", "7"],
    );
}

#[test]
fn issue_10_a_value_at_the_depth_limit_is_kept() {
    check(
        &["let a = []; for i in 0..999 { a = [a]; } a.len()", "a = [a];", "a.len()"],
        &["1", "()", &depth_error("variable a")],
    );
}

#[test]
fn issue_10_a_value_too_deep_to_show_or_convert_is_refused() {
    let n = 1000;
    assert!(display(&nested("array", n), n).is_ok());
    assert_eq!(display(&nested("array", n + 1), n), Err(depth_message(n)));
    // One expression may nest beyond the limit a value it reads (here, the depth of the
    // deepest call chain): it is refused where it would be shown.
    let script = "fn f(n, x) { if n == 0 { x } else { [[[[[[[f(n - 1, x)]]]]]]] } }";
    let limit = "error: script limit: a value nested deeper than 100 levels (max_data_depth)";
    check_with(
        SessionOptions { max_data_depth: 100, ..Default::default() },
        &[
            script,
            "let x = []; for i in 0..90 { x = [x]; }",
            "f(2, x).len()",
            "f(2, x)",
            "display(f(2, x))",
            "throw f(2, x)",
            "apply(#{apiVersion: \"v1\", kind: \"ConfigMap\", metadata: #{name: \"deep\"}, data: f(2, x)})",
        ],
        &["()", "()", "1", limit, limit, limit, limit],
    );
}

#[test]
fn issue_10_limit_messages_name_the_limit_passed() {
    check(
        &[
            "let a = []; a.pad(1000001, 0);",
            "let s = \"x\"; s.pad(16777217, \"y\");",
            "let s = \"x\"; s.pad(1048576, \"y\"); let t = [s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s];",
            "let bl = blob(10); bl.pad(1000001, 0);",
        ],
        &[
            "error: script limit: an array of more than 1000000 items, counting the items of the arrays nested in it (max_array_size)",
            "error: script limit: a string longer than 16777216 bytes, counting all the strings in an array or map together (max_string_size)",
            "error: script limit: a string longer than 16777216 bytes, counting all the strings in an array or map together (max_string_size)",
            "error: script limit: a BLOB of more than 1000000 bytes (max_array_size)",
        ],
    );
    let out = run_alone(
        SessionOptions { max_map_size: 10, ..Default::default() },
        "let m = #{}; for i in 0..11 { m[`k${i}`] = i; } m + #{}",
    );
    assert_eq!(
        out,
        "error: script limit: an object map of more than 10 properties, counting the properties of the maps nested in it (max_map_size)"
    );
}

#[test]
fn issue_10_the_eval_stack_holds_the_deepest_call_chain() {
    // Calls as deep as allowed, each with the most nested expression Rhai parses in a function
    // body, and a comparison of nested values at the bottom.
    let f = "fn f(n) { if n == 0 { [] } else { [[[[[[[f(n - 1)]]]]]]] } }";
    let run = move || {
        let mut s = Session::new(SessionOptions::default());
        assert_eq!(s.execute(f).error, None);
        for k in (1..=MAX_FUNCTION_EXPR_DEPTH).rev() {
            let g = format!(
                "fn g(n) {{ if n == 0 {{ f(30) == f(30) }} else {{ {}g(n - 1){} }} }}",
                "(".repeat(k),
                ")".repeat(k)
            );
            let out = s.execute(&format!("{g}\ng(31)"));
            match out.error {
                Some(e) if e.kind == ErrorKind::Syntax => continue,
                e => return (k, out.result, e),
            }
        }
        (0, None, None)
    };
    let (k, result, error) = crate::eval_thread("calls").spawn(run).unwrap().join().unwrap();
    assert!(k > 5, "{k}");
    assert_eq!((result.as_deref(), error), (Some("true"), None));
}

/// The deepest value a script can make: what variables may hold, plus what one expression
/// adds to a value it reads (at most a level per expression level in each function of the
/// deepest call chain, and `parse_json`'s 128), plus what a method adds to `this` between
/// two checks.
fn reachable(o: &SessionOptions) -> usize {
    o.max_data_depth
        + o.max_call_depth * MAX_FUNCTION_EXPR_DEPTH
        + MAX_EXPR_DEPTH
        + 128
        + THIS_CHECKED_EVERY as usize * MAX_FUNCTION_EXPR_DEPTH
}

#[test]
fn issue_10_the_eval_stack_holds_values_past_the_depth_limit() {
    // Twice the deepest value a script can make, through everything Rhai and kubesim do
    // recursively over a value. A stack too small for it aborts the test.
    let depth = 2 * reachable(&SessionOptions::default());
    let run = move || {
        for kind in ["array", "map", "fnptr", "mixed"] {
            let value = nested(kind, depth);
            assert!(!within(&value, depth - 1) && within(&value, depth), "{kind}");
            let _ = value.to_string();
            let _ = format!("{value:?}");
            drop(value.clone());
            let mut engine = Engine::new();
            engine.set_max_array_size(10_000_000).set_max_map_size(10_000_000);
            assert!(engine.ensure_data_size_within_limits(&value).is_ok());
            if kind != "fnptr" {
                // Rhai copies the right side at every level, so this takes time in the square
                // of the depth: once the deepest, not twice.
                let value = nested(kind, depth / 2);
                let mut scope = Scope::new();
                scope.push_dynamic("a", value.clone());
                scope.push_dynamic("b", value);
                let equal = Engine::new().eval_with_scope::<bool>(&mut scope, "a == b").ok();
                assert_eq!(equal, (kind != "mixed").then_some(true), "{kind}");
            }
            if let Ok(json) = rhai::serde::from_dynamic::<serde_json::Value>(&value) {
                let _ = serde_json::to_string(&json);
                let _ = controlplane::kubectl::printers::yaml::to_yaml(&json);
                drop(crate::convert::to_dynamic(&json));
            }
            drop(value);
        }
    };
    crate::eval_thread("values").spawn(run).unwrap().join().unwrap();
}

/// A value `depth` levels deep around an integer.
fn nested(kind: &str, depth: usize) -> Dynamic {
    let mut value = Dynamic::from(1_i64);
    for level in 0..depth {
        value = match (kind, level % 3) {
            ("array", _) | ("mixed", 0) => Dynamic::from_array(Array::from([value])),
            ("map", _) | ("mixed", 1) => Dynamic::from_map(Map::from([("a".into(), value)])),
            _ => {
                let mut f = FnPtr::new("f").unwrap();
                f.add_curry(value);
                Dynamic::from(f)
            }
        };
    }
    value
}

fn check_with(options: SessionOptions, inputs: &[&str], expect: &[&str]) {
    let owned: Vec<String> = inputs.iter().map(|i| i.to_string()).collect();
    let run = move || {
        let mut s = Session::new(options);
        owned.iter().map(|i| outcome(s.execute(i))).collect::<Vec<_>>()
    };
    let got = crate::eval_thread("check").spawn(run).unwrap().join().unwrap();
    assert_eq!(got, expect);
}

fn run_alone(options: SessionOptions, input: &str) -> String {
    let input = input.to_string();
    let run = move || outcome(Session::new(options).execute(&input));
    crate::eval_thread("check").spawn(run).unwrap().join().unwrap()
}

fn outcome(out: crate::Outputs) -> String {
    match (out.result, out.error) {
        (_, Some(e)) => format!("error: {}", e.message),
        (Some(r), None) => r,
        (None, None) => "()".into(),
    }
}
