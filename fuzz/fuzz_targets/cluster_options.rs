//! `cluster(#{...})` with any options, then nodes and pods of any capacity and requests: each
//! is refused with an error or made, never a panic. The options are built from the input as
//! Rhai text (keys the parser knows and others; ints, floats, strings, quantities, bools, unit,
//! arrays), run through a Session as a user would type them. Run it with `-max_len=512` or so:
//! a short input gives empty option maps.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use stdlib::{Session, SessionOptions};

const KEYS: [&str; 7] = ["workers", "seed", "cpu", "memory", "pods", "image_pull_seconds", "size"];
const SUFFIXES: [&str; 20] =
    ["", "m", "n", "u", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "e", "e+", "e-", "i"];

/// A quantity-like text: sign, digits, point, digits, suffix, exponent; or any short text.
fn quantity(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 8)? {
        let s: String = u.arbitrary()?;
        return Ok(s.chars().take(40).collect());
    }
    let mut s = String::new();
    s.push_str(*u.choose(&["", "", "-", "+"])?);
    let digits = |u: &mut Unstructured<'_>, s: &mut String| -> Result<()> {
        for _ in 0..u.int_in_range(0..=30)? {
            s.push(char::from(b'0' + u.int_in_range(0..=9)?));
        }
        Ok(())
    };
    digits(u, &mut s)?;
    if u.ratio(1, 3)? {
        s.push('.');
        digits(u, &mut s)?;
    }
    s.push_str(u.choose(&SUFFIXES)?);
    if s.ends_with(['e', '+', '-']) {
        s.push_str(&u.int_in_range(0..=500u32)?.to_string());
    }
    Ok(s)
}

/// A Rhai value: a number, a quoted quantity, a bool, unit or an array.
fn value(u: &mut Unstructured<'_>, depth: u32) -> Result<String> {
    Ok(match u.int_in_range(0..=7)? {
        0 => u.arbitrary::<i64>()?.to_string(),
        1 => u.int_in_range(-3..=3i64)?.to_string(),
        2 => format!("{:?}", u.arbitrary::<f64>()?).replace("inf", "1.0e308").replace("NaN", "0.0"),
        3 => "true".into(),
        4 => "()".into(),
        5 if depth < 2 => format!("[{}, {}]", value(u, depth + 1)?, value(u, depth + 1)?),
        _ => format!("{:?}", quantity(u)?),
    })
}

/// `#{key: value, ...}` with keys from `keys` (and some the caller does not know).
fn map(u: &mut Unstructured<'_>, keys: &[&str]) -> Result<String> {
    let mut entries = Vec::new();
    for _ in 0..u.int_in_range(0..=5)? {
        let key = *u.choose(keys)?;
        let mut v = value(u, 0)?;
        if key == "workers" {
            // Many workers build slowly, not wrongly: a few are enough here.
            v = format!("({v}) % 3");
        }
        if !entries.iter().any(|(k, _)| *k == key) {
            entries.push((key, v));
        }
    }
    Ok(format!("#{{{}}}", entries.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ")))
}

fn inputs(u: &mut Unstructured<'_>) -> Result<Vec<String>> {
    let options = map(u, &KEYS)?;
    let node = map(u, &["cpu", "memory", "pods", "labels"])?;
    let (cpu, memory) = (quantity(u)?, quantity(u)?);
    Ok(vec![
        format!("c = cluster({options}); use_cluster(c);"),
        format!("add_node({});", node.replacen("#{", "#{name: \"extra\", ", 1)),
        format!(
            "apply(#{{apiVersion: \"v1\", kind: \"Pod\", metadata: #{{name: \"p\"}}, spec: #{{nodeName: \"{}\", containers: [#{{name: \"c\", image: \"nginx\", resources: #{{requests: #{{cpu: {cpu:?}, memory: {memory:?}}}}}}}]}}}});",
            u.choose(&["node-1", "extra", "control-plane"])?
        ),
        format!(
            "apply(#{{apiVersion: \"v1\", kind: \"Pod\", metadata: #{{name: \"q\"}}, spec: #{{containers: [#{{name: \"c\", image: \"nginx\", resources: #{{limits: #{{cpu: {cpu:?}}}}}}}]}}}});"
        ),
        "advance(\"2s\");".into(),
        "kubectl(\"describe nodes\"); kubectl(\"describe pods\"); kubectl(\"get pods -o wide\");".into(),
        "delete(\"pod\", \"p\");".into(),
        "delete(\"pod\", \"q\");".into(),
    ])
}

thread_local! {
    /// One session for all runs, as a user's: building one per run would leave little time
    /// for the inputs. A refused `cluster()` leaves the last good cluster current.
    static SESSION: RefCell<Session> = RefCell::new({
        let mut options = SessionOptions::default();
        options.max_operations = 100_000;
        options.cluster.workers = 1;
        let mut session = Session::new(options);
        session.execute("let c = ();");
        session
    });
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(inputs) = inputs(&mut u) else { return };
    SESSION.with(|s| {
        let mut session = s.borrow_mut();
        for input in inputs {
            let _ = session.execute(&input);
        }
    });
});
