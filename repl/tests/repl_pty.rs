//! The interactive REPL through a pseudo-terminal, as a person types at it: multi-line input,
//! Tab completion, Ctrl-C, `:commands`, history. Each wait is bounded, so a hang fails fast.

#![cfg(unix)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use expectrl::process::unix::WaitStatus;
use expectrl::{ControlCode, Eof, Expect, Regex, Session};

type Repl = Session<expectrl::process::unix::UnixProcess, expectrl::process::unix::PtyStream>;

/// A data directory of the test's own, for the history file.
fn data_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubesim-pty-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

fn start(data: &PathBuf) -> Repl {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubesim"));
    cmd.env("NO_COLOR", "1").env("TERM", "xterm").env("XDG_DATA_HOME", data);
    let mut p = Session::spawn(cmd).expect("kubesim starts in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(15)));
    p.expect("Ctrl-D exits.").expect("the banner");
    p
}

/// Wait for a fresh prompt: the REPL reads keys again (typing earlier would reach the
/// terminal before the line editor does). The prompt on an empty line is the last thing
/// written, but for the editor's cursor move and end of synchronized output.
fn ready(p: &mut Repl) {
    p.expect(Regex(r"kubesim> (\r\x1b\[9C)?(\x1b\[\?2026l)?$")).expect("a prompt");
}

/// Type a line and press Enter.
fn enter(p: &mut Repl, text: &str) {
    p.send(text).unwrap();
    p.send("\r").unwrap();
}

fn quit(mut p: Repl) {
    ready(&mut p);
    p.send(ControlCode::EndOfTransmission).unwrap();
    p.expect(Eof).expect("Ctrl-D exits");
    let status = p.get_process().wait().unwrap();
    assert!(matches!(status, WaitStatus::Exited(_, 0)), "{status:?}");
}

#[test]
fn multi_line_input_a_function_and_a_yaml_document() {
    let data = data_dir("multiline");
    let mut p = start(&data);
    ready(&mut p);
    enter(&mut p, "fn triple(x) {");
    enter(&mut p, "  x * 3");
    enter(&mut p, "}");
    ready(&mut p);
    enter(&mut p, "triple(14001)");
    p.expect("42003").expect("the function defined over three lines");

    ready(&mut p);
    enter(&mut p, "apiVersion: v1");
    enter(&mut p, "kind: ConfigMap");
    enter(&mut p, "metadata: {name: typed-in}");
    enter(&mut p, "data: {color: blue}");
    enter(&mut p, "");
    p.expect("configmap/typed-in created").expect("the document applied at the empty line");
    ready(&mut p);
    enter(&mut p, "get(\"cm\", \"typed-in\").data.color + \"-ish\"");
    p.expect("blue-ish").unwrap();
    quit(p);

    let history = std::fs::read_to_string(data.join("kubesim/history")).expect("a history file");
    assert!(history.contains("triple(14001)"), "{history}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn tab_completes_functions_kinds_and_object_names() {
    let data = data_dir("tab");
    let mut p = start(&data);
    // A function name: `adv` has one completion.
    ready(&mut p);
    p.send("adv\t").unwrap();
    p.expect("advance").unwrap();
    enter(&mut p, "(\"90s\"); now()");
    p.expect("2025-01-01T00:01:30Z").unwrap();

    // A kind: the common part at the first Tab, the choices at the second.
    ready(&mut p);
    p.send("kubectl get deploym\t\t").unwrap();
    p.expect(Regex("deployment +deployments")).expect("the kinds listed");
    enter(&mut p, "s -n kube-system");
    p.expect(Regex(r"coredns +\d/\d")).expect("the typed command ran");

    // Object names from the cluster.
    ready(&mut p);
    p.send("kubectl get node node-\t\t").unwrap();
    p.expect(Regex("node-1 +node-2 +node-3")).expect("the nodes listed");
    enter(&mut p, "2");
    p.expect(Regex("node-2 +Ready")).unwrap();
    ready(&mut p);
    p.send("kubectl get pods -n kube-system etcd\t").unwrap();
    p.expect("etcd-control-plane").unwrap();
    enter(&mut p, "-o name");
    p.expect("pod/etcd-control-plane").expect("the completed name ran, with a space after it");
    quit(p);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn ctrl_c_stops_a_running_input_and_keeps_the_session() {
    let data = data_dir("ctrlc");
    let mut p = start(&data);
    ready(&mut p);
    enter(&mut p, "let kept = 4242;");
    // With no timers set, one `advance` is a single jump; a loop of short ones keeps the
    // clock busy until Ctrl-C.
    ready(&mut p);
    enter(&mut p, "loop { advance(\"1s\"); }");
    std::thread::sleep(Duration::from_millis(700));
    p.send(ControlCode::EndOfText).unwrap();
    p.expect("interrupted").expect("the loop stopped");
    ready(&mut p);
    enter(&mut p, "let t = now(); [t == now(), t > \"2025-01-01T00:00:10Z\", kept]");
    p.expect("[true, true, 4242]").expect("the clock stopped where it was; the variable is still there");

    // At the prompt, Ctrl-C clears the line.
    ready(&mut p);
    p.send("this is not run").unwrap();
    p.send(ControlCode::EndOfText).unwrap();
    ready(&mut p);
    enter(&mut p, "6 * 7 * 1001");
    p.expect("42042").unwrap();
    quit(p);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_watch_prints_each_change_as_it_comes_and_ctrl_c_ends_it() {
    let data = data_dir("watch");
    let mut p = start(&data);
    ready(&mut p);
    enter(&mut p, r#"kubectl run crash --image=busybox --command -- sh -c "sleep 5; exit 1""#);
    p.expect("pod/crash created").unwrap();
    ready(&mut p);
    // Without --request-timeout the watch runs the clock until interrupted (a script refuses
    // it). Its lines reach the terminal while it runs, before any Ctrl-C.
    enter(&mut p, "kubectl get pods -w");
    p.expect("READY").expect("the table's header");
    p.expect("crash").expect("the pods listed when the watch began");
    p.expect("CrashLoopBackOff").expect("a change printed while the watch runs");
    p.send(ControlCode::EndOfText).unwrap();
    ready(&mut p);
    enter(&mut p, "now() > \"2025-01-01T00:00:10Z\"");
    p.expect("true").expect("the watch moved the clock");
    quit(p);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn help_and_reset_commands() {
    let data = data_dir("commands");
    let mut p = start(&data);
    ready(&mut p);
    enter(&mut p, ":help advance");
    p.expect("Moves the clock forward by `secs` seconds.").unwrap();
    ready(&mut p);
    enter(&mut p, "let before = 1; advance(\"1h\"); now()");
    p.expect("2025-01-01T01:00:00Z").unwrap();
    ready(&mut p);
    enter(&mut p, ":reset");
    p.expect("A fresh default cluster").unwrap();
    ready(&mut p);
    enter(&mut p, "now()");
    p.expect("2025-01-01T00:00:00Z").expect("the clock of the new cluster");
    ready(&mut p);
    enter(&mut p, "before");
    p.expect("Variable not found: before").expect("variables cleared");
    ready(&mut p);
    enter(&mut p, "let c = cluster(#{workers: 1});");
    ready(&mut p);
    enter(&mut p, ":clusters");
    p.expect(Regex(r"#1 +2 +8 +0 +2025-01-01T00:00:00Z +c")).expect("the cluster made with cluster()");
    ready(&mut p);
    enter(&mut p, ":quit");
    p.expect(Eof).expect(":quit exits");
    let _ = std::fs::remove_dir_all(&data);
}

/// Wait for the container shell's prompt, as the line editor draws it.
fn shell_prompt(p: &mut Repl, prompt: &str) {
    p.expect(Regex(&format!(r"{}(\r\x1b\[\d+C)?(\x1b\[\?2026l)?$", regex_escape(prompt)))).expect("the shell's prompt");
}

fn regex_escape(s: &str) -> String {
    s.chars().map(|c| if "\\.+*?()|[]{}^$#".contains(c) { format!("\\{c}") } else { c.to_string() }).collect()
}

/// Regression for issue 14: `kubectl run -it --rm` is an interactive shell in the container
/// on the simulated clock; `exit` ends it and the pod is deleted.
#[test]
fn run_it_rm_is_an_interactive_shell_in_the_container() {
    let data = data_dir("runit");
    let mut p = start(&data);
    ready(&mut p);
    enter(&mut p, "kubectl run -it --rm tmp --image=busybox --restart=Never -- sh");
    p.expect("If you don't see a command prompt, try pressing enter.").unwrap();
    shell_prompt(&mut p, "/ # ");
    enter(&mut p, "cd /tmp; echo hello > f; cat f");
    p.expect("hello").expect("the command ran in the container");
    shell_prompt(&mut p, "/tmp # ");
    enter(&mut p, "for i in 1 2");
    shell_prompt(&mut p, "> ");
    enter(&mut p, "do echo n$i; done");
    p.expect("n2").expect("a command over two lines");
    shell_prompt(&mut p, "/tmp # ");
    enter(&mut p, "sleep 30; echo awake");
    p.expect("awake").unwrap();
    shell_prompt(&mut p, "/tmp # ");
    enter(&mut p, "exit");
    p.expect("Session ended, resume using 'kubectl attach tmp -c tmp -n default -i -t' command").unwrap();
    p.expect("pod \"tmp\" deleted").expect("--rm deleted the pod");
    ready(&mut p);
    // The sleep moved the cluster's clock.
    enter(&mut p, "now()");
    p.expect(Regex(r"2025-01-01T00:00:[3-5]\dZ")).expect("the clock moved by the sleep");
    quit(p);
    let _ = std::fs::remove_dir_all(&data);
}

/// Regression for issue 14: `kubectl exec -it POD -- sh`: Ctrl-C stops the container's
/// command, Ctrl-D leaves the shell.
#[test]
fn exec_it_sh_reads_lines_ctrl_c_and_ctrl_d() {
    let data = data_dir("execit");
    let mut p = start(&data);
    ready(&mut p);
    // The loop below runs simulated time as fast as it can until Ctrl-C: the pod's own
    // command must outlast that, or the exec ends with its container.
    enter(&mut p, "kubectl run web --image=busybox -- sh -c 'while true; do sleep 3600; done'");
    p.expect("pod/web created").unwrap();
    ready(&mut p);
    enter(&mut p, "advance(\"10s\")");
    ready(&mut p);
    enter(&mut p, "kubectl exec -it web -- sh");
    shell_prompt(&mut p, "/ # ");
    enter(&mut p, "echo $HOSTNAME");
    p.expect("web").unwrap();
    shell_prompt(&mut p, "/ # ");
    // On a terminal the stream's 4 hours are idle time, as the kubelet's: a loop that prints
    // keeps it open past them, until Ctrl-C.
    enter(&mut p, "while true; do sleep 600; date; done");
    p.expect(Regex(r"Wed Jan  1 0[5-9]:\d\d:\d\d UTC 2025")).expect("the loop ran past 4 hours");
    p.send(ControlCode::EndOfText).unwrap();
    p.expect("^C").expect("Ctrl-C reached the container");
    shell_prompt(&mut p, "/ # ");
    enter(&mut p, "echo status=$?");
    p.expect("status=130").unwrap();
    shell_prompt(&mut p, "/ # ");
    p.send(ControlCode::EndOfTransmission).unwrap();
    ready(&mut p);
    enter(&mut p, "kubectl get pod web");
    p.expect(Regex(r"web +1/1 +Running")).unwrap();
    quit(p);
    let _ = std::fs::remove_dir_all(&data);
}
