use super::*;

/// Run inputs in one session, on an evaluation thread as the front-ends do; each gives
/// `value`, `error: ...` or `()`, with printed text first.
pub(crate) fn check(inputs: &[&str], expect: &[&str]) {
    let owned: Vec<String> = inputs.iter().map(|i| i.to_string()).collect();
    let run = move || {
        let mut s = Session::new(SessionOptions { max_operations: 100_000, ..Default::default() });
        owned
            .iter()
            .map(|i| {
                let out = s.execute(i);
                let mut text = format!("{}{}", out.stdout, out.stderr);
                text.push_str(&match (out.result, out.error) {
                    (_, Some(e)) => format!("error: {}", e.message),
                    (Some(r), None) => r,
                    (None, None) => "()".into(),
                });
                text
            })
            .collect::<Vec<String>>()
    };
    let got = crate::eval_thread("check").spawn(run).expect("an evaluation thread").join().expect("no panic");
    assert_eq!(got, expect);
}

#[test]
fn definitions_persist_across_inputs() {
    check(&["let x = 20;", "fn twice(n) { n * 2 }", "twice(x) + 2"], &["()", "()", "42"]);
}

#[test]
fn kubectl_lines_and_yaml_documents() {
    check(
        &[
            "kubectl get ns default -o name",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n\n",
            "get(\"cm\", \"c\").metadata.name",
        ],
        &["namespace/default\n", "configmap/c created", "c"],
    );
}

#[test]
fn print_and_debug_streams() {
    let mut s = Session::new(SessionOptions::default());
    let out = s.execute("print(\"to stdout\"); debug(\"to stderr\");");
    assert_eq!(out.stdout, "to stdout\n");
    assert!(out.stderr.contains("to stderr"), "{}", out.stderr);
}

#[test]
fn script_limits_give_clear_errors() {
    check(
        &["fn f(n) { f(n + 1) } f(0)", "loop { }", "let s = \"xxxxxxxx\"; for i in 0..30 { s += s; }"],
        &[
            "error: script limit: calls nested deeper than 64 (max_call_depth)",
            "error: script limit: more than 100000 operations in one input (max_operations)",
            "error: script limit: a string longer than 16777216 bytes, counting all the strings in an array or map together (max_string_size)",
        ],
    );
}

#[test]
fn errors_carry_their_position() {
    let mut s = Session::new(SessionOptions::default());
    let out = s.execute("let a = 1;\n  kubectl(\"get foo\");");
    let e = out.error.unwrap();
    assert_eq!((e.line, e.column), (Some(2), Some(3)));
    assert_eq!(e.message, "error: the server doesn't have a resource type \"foo\"");
    let out = s.execute("let = ;");
    assert!(out.error.unwrap().line == Some(1));
}

#[test]
fn interrupt_stops_a_running_input_and_keeps_the_session() {
    let mut s = Session::new(SessionOptions::default());
    s.execute("let kept = 7;");
    let flag = s.interrupt_flag();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let out = s.execute("loop { advance(\"1s\"); }");
    stopper.join().unwrap();
    assert_eq!(out.error.unwrap().message, "interrupted");
    assert_eq!(s.execute("kept").result.as_deref(), Some("7"));
}

#[test]
fn completeness() {
    let s = Session::new(SessionOptions::default());
    let check = |code: &str, want: Completeness| assert_eq!(s.is_complete(code), want, "{code:?}");
    check("let x = 1;", Completeness::Complete);
    check("fn f() {", Completeness::Incomplete);
    check("let s = \"abc", Completeness::Incomplete);
    check("kubectl get pods", Completeness::Complete);
    check("apiVersion: v1\nkind: Namespace", Completeness::Incomplete);
    check("apiVersion: v1\nkind: Namespace\n\n", Completeness::Complete);
    check("let = 5;", Completeness::Invalid);
}

#[test]
fn kubectl_tables_stay_tables() {
    let mut s = Session::new(SessionOptions::default());
    // A kubectl line, a kubectl() value, and the same value after string handling.
    let direct = s.execute("kubectl get nodes");
    assert!(direct.result_html.as_deref().unwrap().starts_with("<table class=\"kubesim-table\">"));
    assert_eq!(direct.mime_bundle().iter().map(|(m, _)| *m).collect::<Vec<_>>(), ["text/plain", "text/html"]);
    let value = s.execute("let t = kubectl(\"get ns\"); t");
    assert!(value.result_html.unwrap().contains("<td style=\"text-align:left\">kube-system</td>"));
    // It is a plain string for scripts.
    let text = s.execute("t.contains(\"kube-public\") && t.split(\"\\n\").len() == 5 && `${t}` == t");
    assert_eq!(text.result.as_deref(), Some("true"));
    assert_eq!(text.result_html, None);
    assert_eq!(s.execute("t.trim() + \"!\"").result_html, None, "a changed string is just a string");
    assert_eq!(s.execute("kubectl get ns default -o name").result_html, None);
}

#[test]
fn a_kubectl_input_of_several_lines_runs_each() {
    let mut s = Session::new(SessionOptions::default());
    let out = s.execute("kubectl get ns default -o name\n# a comment\n\nkubectl get nodes node-1 -o name\n");
    assert_eq!(out.stdout, "namespace/default\n");
    assert_eq!(out.result.as_deref(), Some("node/node-1\n"));
    let bad = s.execute("kubectl get ns\nget nodes");
    let e = bad.error.expect("an error");
    assert_eq!(
        (e.message.as_str(), e.line),
        ("a kubectl input has one kubectl command per line; this line is not one", Some(2))
    );
    let failed = s.execute("kubectl get ns nosuch\nkubectl get ns default -o name");
    assert_eq!(
        failed.error.map(|e| (e.message, e.line)),
        Some(("Error from server (NotFound): namespaces \"nosuch\" not found".to_string(), Some(1)))
    );
    assert_eq!(failed.result, None);
}

#[test]
fn a_manifest_starting_with_kind_or_a_comment_is_applied() {
    let mut s = Session::new(SessionOptions::default());
    let out = s.execute("# a namespace\nkind: Namespace\napiVersion: v1\nmetadata:\n  name: study\n");
    assert_eq!((out.result.as_deref(), out.error), (Some("namespace/study created"), None));
    assert_eq!(s.execute("#{a: 1}.a").result.as_deref(), Some("1"), "a map literal is a script");
}

#[test]
fn an_error_in_a_function_of_an_earlier_input_points_at_the_call() {
    let mut s = Session::new(SessionOptions::default());
    assert_eq!(s.execute("fn boom(x) {\n  x + nosuch()\n}").error, None);
    let e = s.execute("let a = 1;\nlet b = boom(a);").error.expect("an error");
    assert_eq!(
        (e.message.as_str(), e.line, e.column),
        ("Function not found: nosuch () (in boom(), defined in an earlier input)", Some(2), Some(9))
    );
    // Defined in the same input: the line inside the function.
    let e = s.execute("fn again() {\n  nosuch()\n}\nagain()").error.expect("an error");
    assert_eq!((e.message.as_str(), e.line, e.column), ("Function not found: nosuch ()", Some(2), Some(3)));
}

#[test]
fn a_user_expression_is_one_expression_in_the_session_scope() {
    let mut s = Session::new(SessionOptions::default());
    s.execute("let x = 20; fn twice(n) { n * 2 }");
    assert_eq!(s.evaluate_expression("twice(x) + 2").map(|b| b.text), Ok("42".to_string()));
    let e = s.evaluate_expression("let y = 1").expect_err("a statement is no expression");
    assert_eq!(e.kind, crate::ErrorKind::Syntax);
    assert_eq!(s.evaluate_expression("nosuch").map_err(|e| e.message), Err("Variable not found: nosuch".to_string()));
}

#[test]
fn issue_11_the_audit_log_size_is_a_cluster_option() {
    check(
        &[
            "use_cluster(cluster(#{workers: 1, audit_log: 3})); kubectl(\"get pods\"); audit_log().len()",
            "audit_log()[2].verb",
            "cluster(#{audit_log: 0})",
        ],
        &["3", "list", "error: audit_log must be a number of requests from 1 to 10000000"],
    );
}

/// Issue 14: a terminal that hangs up (a notebook's stop button while it waited for a line)
/// fails the line as an interrupt, after what kubectl printed (`--rm`'s delete).
#[test]
fn issue_14_a_terminal_hang_up_is_an_interrupt() {
    use controlplane::kubectl::Typed;
    let run = || {
        let mut s = Session::new(SessionOptions::default());
        let mut typed = vec![Typed::Hangup, Typed::Line("echo hi".to_string())];
        let prompts = Rc::new(RefCell::new(Vec::new()));
        let seen = prompts.clone();
        s.set_terminal(Some(Box::new(move |prompt: &str| {
            seen.borrow_mut().push(prompt.to_string());
            typed.pop().unwrap_or(Typed::Eof)
        })));
        let out = s.execute("kubectl run -it --rm t --image=busybox --restart=Never -- sh");
        let error = out.error.map(|e| (e.kind, e.message, e.line));
        let after = s.execute("kubectl get pod t -o name").error.map(|e| e.message);
        let asked = prompts.borrow().clone();
        (out.stdout, error, asked, after)
    };
    let (stdout, error, prompts, after) = crate::eval_thread("check").spawn(run).expect("a thread").join().expect("ok");
    assert!(stdout.ends_with("try pressing enter.\nhi\npod \"t\" deleted\n"), "{stdout}");
    assert_eq!(error, Some((ErrorKind::Interrupted, "interrupted".to_string(), Some(1))));
    assert_eq!(prompts, ["/ # ", "/ # "]);
    // The hang-up closed the container's stdin (`stdinOnce`), so its shell ended and the
    // deleted pod had nothing to wait for.
    assert!(after.as_deref().is_some_and(|e| e.contains("\"t\" not found")), "{after:?}");
}

/// Issue 14: without a terminal, the front-end's reason is printed after kubectl's warning.
#[test]
fn issue_14_the_reason_there_is_no_terminal() {
    let run = || {
        let mut s = Session::new(SessionOptions::default());
        s.execute("kubectl run box --image=busybox -- sleep 3600");
        s.execute("advance(\"10s\")");
        s.set_no_terminal_reason(Some("no input here".to_string()));
        let out = s.execute("kubectl exec -it box -- sh");
        (format!("{}{}", out.stdout, out.result.unwrap_or_default()), out.error.map(|e| e.message))
    };
    let (shown, error) = crate::eval_thread("check").spawn(run).expect("a thread").join().expect("ok");
    assert_eq!(shown, format!("{}\nno input here\n", controlplane::kubectl::stream::NO_TTY));
    assert_eq!(error, None);
}
