//! Deep values through a Session on the evaluation stack the front-ends use: the input picks
//! how a value is nested (arrays, maps, curried functions, closures, in place, `this`, a
//! manifest's text), how deep, and what is done with it (shown, printed, compared, converted,
//! applied, inspected). Each ends in a value or an error, never a stack overflow or a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stdlib::{Session, SessionOptions};

/// How the value grows by one level in a loop, `v` being the value.
const SHAPES: [&str; 7] = [
    "v = [v];",
    "v = #{a: v};",
    "v = Fn(\"f\").curry(take(v));",
    "let w = v; v = || w;",
    "v = [v]; v[0] = [v[0]];",
    "if i % 2 == 0 { v = [v] } else { v = #{a: v, b: s} }",
    "v = [v, s, [s]];",
];

/// What is done with the value.
const ACTIONS: [&str; 12] = [
    "v",
    "print(v);",
    "display(v);",
    "`${v}`.len()",
    "v == v",
    "apply(#{apiVersion: \"apps/v1\", kind: \"ControllerRevision\", metadata: #{name: \"r\"}, revision: 1, data: #{v: v}})",
    "throw v;",
    "fn deeper(n, x) { if n == 0 { x } else { [[[[[[[deeper(n - 1, x)]]]]]]] } } deeper(8, v)",
    "v.to_json()",
    "parse_json(#{v: v}.to_json())",
    "fn deepen(n) { for i in 0..n { this = [this]; } } v.deepen(50); v",
    "let copy = v; copy",
];

fuzz_target!(|data: &[u8]| {
    let [shape, action, hi, lo, rest @ ..] = data else { return };
    // Past the (lowered) depth limit and back, quickly: the deepest values and calls the
    // default limits allow are the stdlib's stack tests.
    let depth = u16::from_be_bytes([*hi, *lo]) % 300;
    // Text the value carries, kept to characters that need no escaping in a string literal.
    let text: String = String::from_utf8_lossy(rest)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || " -_.:/{}[]".contains(*c))
        .take(64)
        .collect();
    let shape = SHAPES[*shape as usize % SHAPES.len()];
    let action = ACTIONS[*action as usize % ACTIONS.len()];
    let script = format!("let s = \"{text}\"; let v = s; for i in 0..{depth} {{ {shape} }}\n{action}");
    let manifest = format!(
        "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata:\n  name: m\nrevision: 1\ndata: {}{text}{}\n\n",
        "{a: ".repeat(depth as usize),
        "}".repeat(depth as usize)
    );
    let run = move || {
        let mut options = SessionOptions::default();
        options.max_operations = 1_000_000;
        options.max_data_depth = 100;
        options.cluster.workers = 1;
        let mut session = Session::new(options);
        let _ = session.execute(&script);
        let _ = session.inspect("v", 1);
        let _ = session.complete("v.", 2);
        let _ = session.evaluate_expression("[[[[v]]]]");
        let _ = session.execute(&manifest);
        let _ = session.execute("kubectl get controllerrevisions -o yaml");
    };
    stdlib::eval_thread("fuzz").spawn(run).expect("an evaluation thread").join().expect("no panic");
});
