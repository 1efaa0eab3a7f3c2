use super::*;
use crate::node::container::image;
use crate::node::container::net::{Answered, NetAnswer, NetCall};
use crate::sim::clock::epoch;

/// Run `script` to its end on a simulated clock: (stdout, stderr, exit code, seconds taken).
fn run_with(script: &str, fs: &mut Fs) -> (String, String, i32, i64) {
    let mut procs = Procs::new(1);
    let mut sh = Shell::new("sh", &[("HOME".into(), "/root".into()), ("MODE".into(), "dev".into())]);
    sh.start_script(script);
    let t0 = epoch();
    let mut now = t0;
    for _ in 0..10_000 {
        let mut fuel = FUEL;
        let r = sh.run(&mut Sys { fs, now, hostname: "web", procs: &mut procs }, &mut fuel);
        match r {
            Run::Exited(code) => {
                let [o, e] = sh.term.take_both();
                let s = |b: Vec<u8>| String::from_utf8(b).unwrap();
                return (s(o), s(e), code, (now - t0).num_seconds());
            }
            Run::Sleeping(t) => now = t,
            Run::Busy => now += chrono::Duration::seconds(1),
            Run::Blocked => panic!("script blocked: {script}"),
            Run::Reading => break,
        }
    }
    panic!("script did not end: {script}");
}

fn run(script: &str) -> (String, String, i32, i64) {
    run_with(script, &mut image::files("busybox"))
}

fn out(script: &str) -> String {
    let (o, e, _, _) = run(script);
    o + &e
}

#[test]
fn variables_and_quoting() {
    assert_eq!(out("echo mode=$MODE"), "mode=dev\n");
    assert_eq!(out("echo \"${UNSET:-fallback}\" '${MODE}' ${MODE}"), "fallback ${MODE} dev\n");
    assert_eq!(out("x='a  b'; echo $x; echo \"$x\""), "a b\na  b\n");
    assert_eq!(out("echo ${#MODE} ${X:=set} $X"), "3 set set\n");
    assert_eq!(out("f=archive.tar.gz; echo ${f%.gz} ${f%%.*} ${f#*.}"), "archive.tar archive tar.gz\n");
    assert_eq!(out("echo $((1 + 2 * 3)) $((7 / 2)) $((10 % 4))"), "7 3 2\n");
    assert_eq!(out("i=0; i=$((i+1)); echo $i"), "1\n");
    assert_eq!(out("echo \"a\\\"b\" 'c\"d'"), "a\"b c\"d\n");
    assert_eq!(out("A=1 env | grep '^A='; echo ${A:-gone}"), "A=1\ngone\n");
}

#[test]
fn lists_pipes_and_status() {
    assert_eq!(out("true && echo yes; false && echo no; false || echo alt"), "yes\nalt\n");
    assert_eq!(out("printf 'b\\na\\nc\\n' | sort | head -n 2"), "a\nb\n");
    assert_eq!(out("echo one two three | wc -w"), "3\n");
    assert_eq!(out("false; echo $?; ! false; echo $?"), "1\n0\n");
    assert_eq!(out("x=$(echo hi; echo there); echo \"$x\""), "hi\nthere\n");
    assert_eq!(run("exit 3").2, 3);
    assert_eq!(run("(exit 4); echo $?").0, "4\n");
    assert_eq!(out("echo a | { read v; echo got $v; }"), "got a\n");
}

#[test]
fn control_flow() {
    assert_eq!(out("for i in 1 2 3; do echo $i; done"), "1\n2\n3\n");
    assert_eq!(out("i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i"), "3\n");
    assert_eq!(out("if [ \"$MODE\" = prod ]; then echo p; elif [ -n \"$MODE\" ]; then echo d; else echo x; fi"), "d\n");
    assert_eq!(out("case $MODE in prod) echo p;; d*) echo dev-ish;; esac"), "dev-ish\n");
    assert_eq!(out("for i in 1 2 3 4; do [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done"), "1\n3\n");
    assert_eq!(out("greet() { echo hello $1; return 3; }; greet you; echo $?"), "hello you\n3\n");
    assert_eq!(out("for i in $(seq 3); do echo -n $i; done; echo"), "123\n");
}

#[test]
fn files_and_redirections() {
    let mut fs = image::files("busybox");
    let r = run_with("echo hi > /tmp/f; echo more >> /tmp/f; cat /tmp/f; wc -l < /tmp/f", &mut fs);
    assert_eq!(r.0, "hi\nmore\n2\n");
    assert_eq!(&**fs.read("/tmp/f").unwrap(), b"hi\nmore\n");
    assert_eq!(out("ls /nope 2>&1 >/dev/null; echo $?"), "ls: /nope: No such file or directory\n1\n");
    assert_eq!(out("cat /nope"), "cat: can't open '/nope': No such file or directory\n");
    let r = run("echo x > /no/dir/f; echo $?");
    assert_eq!((r.0.as_str(), r.1.as_str()), ("2\n", "sh: can't create /no/dir/f: nonexistent directory\n"));
    assert_eq!(out("mkdir -p /data/a && touch /data/a/x /data/b && ls /data"), "a\nb\n");
    assert_eq!(out("mkdir /tmp 2>&1; echo $?"), "mkdir: can't create directory '/tmp': File exists\n1\n");
    assert_eq!(out("cd /etc && cat hostname 2>/dev/null; pwd"), "/etc\n");
    assert_eq!(out("echo a > /tmp/x; cp /tmp/x /tmp/y; mv /tmp/y /tmp/z; rm /tmp/x; ls /tmp"), "z\n");
    assert_eq!(out("echo 'a:b:c' | cut -d: -f2,3"), "b:c\n");
    assert_eq!(out("printf 'x\\ny\\nx\\n' | grep -c x"), "2\n");
    assert_eq!(out("cat <<EOF\nhello $MODE\nEOF"), "hello dev\n");
    assert_eq!(out("touch /tmp/a.log /tmp/b.log; echo /tmp/*.log"), "/tmp/a.log /tmp/b.log\n");
}

#[test]
fn errors_as_ash_gives_them() {
    assert_eq!(run("foo"), (String::new(), "sh: foo: not found\n".into(), 127, 0));
    assert_eq!(
        run("echo 'unterminated"),
        (String::new(), "sh: syntax error: unterminated quoted string\n".into(), 2, 0)
    );
    assert_eq!(out("sleep abc 2>&1; echo $?"), "sleep: invalid number 'abc'\n1\n");
    assert_eq!(out("ping web"), "ping: ICMP is not simulated in kubesim's cluster network\n");
    assert_eq!(out("exit abc"), "sh: exit: Illegal number: abc\n");
}

#[test]
fn sleeps_take_simulated_time() {
    let (o, _, code, took) = run("echo a; sleep 5; echo b; sleep 1m; exit 7");
    assert_eq!((o.as_str(), code, took), ("a\nb\n", 7, 65));
    let (o, _, _, took) = run("x=$(sleep 2; echo late); echo $x");
    assert_eq!((o.as_str(), took), ("late\n", 2));
    assert_eq!(out("date"), "Wed Jan  1 00:00:00 UTC 2025\n");
    assert_eq!(out("sleep 3; date +%H:%M:%S"), "00:00:03\n");
}

#[test]
fn a_sleeping_loop_suspends_and_resumes() {
    let mut procs = Procs::new(1);
    let mut fs = image::files("busybox");
    let mut sh = Shell::new("sh", &[]);
    sh.start_script("while true; do echo hi; sleep 1; done");
    let mut now = epoch();
    let mut lines = 0;
    for _ in 0..5 {
        let mut fuel = FUEL;
        match sh.run(&mut Sys { fs: &mut fs, now, hostname: "h", procs: &mut procs }, &mut fuel) {
            Run::Sleeping(t) => {
                assert_eq!(t, now + chrono::Duration::seconds(1));
                now = t;
            }
            other => panic!("{other:?}"),
        }
        lines += sh.term.take_stream(0).split(|b| *b == b'\n').filter(|l| !l.is_empty()).count();
    }
    assert_eq!(lines, 5);
}

#[test]
fn an_endless_loop_is_bounded_by_its_fuel() {
    let mut procs = Procs::new(1);
    let mut fs = image::files("busybox");
    let mut sh = Shell::new("sh", &[]);
    sh.start_script("while :; do echo spam; done");
    let mut fuel = FUEL;
    assert_eq!(sh.run(&mut Sys { fs: &mut fs, now: epoch(), hostname: "h", procs: &mut procs }, &mut fuel), Run::Busy);
    assert!(sh.term.held(0) < 100_000);
}

#[test]
fn trap_on_term_runs_after_the_current_command() {
    let mut procs = Procs::new(1);
    let mut fs = image::files("busybox");
    let mut sh = Shell::new("sh", &[]);
    sh.start_script("trap 'echo bye; exit 0' TERM; while true; do sleep 10; done");
    let t0 = epoch();
    let mut fuel = FUEL;
    assert_eq!(
        sh.run(&mut Sys { fs: &mut fs, now: t0, hostname: "h", procs: &mut procs }, &mut fuel),
        Run::Sleeping(t0 + chrono::Duration::seconds(10))
    );
    assert!(sh.signal("TERM"));
    let mut fuel = FUEL;
    let t = t0 + chrono::Duration::seconds(10);
    assert_eq!(sh.run(&mut Sys { fs: &mut fs, now: t, hostname: "h", procs: &mut procs }, &mut fuel), Run::Exited(0));
    assert_eq!(sh.term.take_stream(0), b"bye\n");
    let mut plain = Shell::new("sh", &[]);
    plain.start_script("sleep 100");
    assert!(!plain.signal("TERM"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
    /// No input makes the shell panic or run unbounded.
    #[test]
    fn random_scripts_never_panic(script in "[ -~\n]{0,60}") {
        let mut fs = image::files("busybox");
        let mut procs = Procs::new(1);
        let mut sh = Shell::new("sh", &[]);
        sh.start_script(&script);
        let mut fuel = FUEL;
        let _ = sh.run(&mut Sys { fs: &mut fs, now: epoch(), hostname: "h", procs: &mut procs }, &mut fuel);
    }

    #[test]
    fn shell_like_scripts_never_panic(parts in proptest::collection::vec(proptest::sample::select(vec![
        "echo", "$x", "${x:-y}", "\"", "'", "|", "&&", "||", ";", "(", ")", "{", "}", "if", "then", "fi", "while",
        "do", "done", "for", "in", "case", "esac", ";;", ">", "<", ">>", "2>&1", "$(", "`", "$((", "))", "1", "x=",
        "sleep", "cat", "\n", "*", "[", "]", "exit", "break", "trap", "-",
    ]), 0..25)) {
        let script = parts.join(" ");
        let mut fs = image::files("busybox");
        let mut procs = Procs::new(1);
        let mut sh = Shell::new("sh", &[]);
        sh.start_script(&script);
        let mut fuel = FUEL;
        let _ = sh.run(&mut Sys { fs: &mut fs, now: epoch(), hostname: "h", procs: &mut procs }, &mut fuel);
    }
}

#[test]
fn pipelines_run_their_stages_together() {
    assert_eq!(run("yes | head -3"), ("y\ny\ny\n".into(), String::new(), 0, 0));
    // The loop learns that head is gone at its next write, after its sleep, as in any shell.
    let (o, _, code, secs) = run("while true; do echo x; sleep 1; done | head -n 3; echo after");
    assert_eq!((o.as_str(), code, secs), ("x\nx\nx\nafter\n", 0, 3));
    assert_eq!(out("seq 1 100000 | tail -n 1"), "100000\n");
    assert_eq!(out("seq 1 5 | grep -v 3 | wc -l"), "4\n");
    assert_eq!(out("seq 1 30000 | grep -n 0000"), "10000:10000\n20000:20000\n30000:30000\n");
    assert_eq!(out("printf 'a\\nb\\n' | while read l; do echo got $l; done"), "got a\ngot b\n");
    // The writer dies of SIGPIPE once the reader is gone; the status is the last stage's.
    assert_eq!(out("yes | head -1; echo $?"), "y\n0\n");
    assert_eq!(out("(yes; echo never >&2) | head -1"), "y\n");
}

#[test]
fn endless_producer_into_a_filter_streams() {
    let mut fs = image::files("busybox");
    let mut procs = Procs::new(1);
    let mut sh = Shell::new("sh", &[]);
    sh.start_script("while true; do echo x; sleep 1; done | grep x");
    let t0 = epoch();
    let mut now = t0;
    for _ in 0..5 {
        let mut fuel = FUEL;
        match sh.run(&mut Sys { fs: &mut fs, now, hostname: "h", procs: &mut procs }, &mut fuel) {
            Run::Sleeping(t) => now = t,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(String::from_utf8_lossy(&sh.term.take_stream(0)), "x\nx\nx\nx\nx\n");
    assert_eq!((now - t0).num_seconds(), 5);
}

#[test]
fn background_jobs_wait_and_kill() {
    let (o, _, code, secs) = run("sleep 2 & echo started; wait $!; echo \"done $?\"");
    assert_eq!((o.as_str(), code, secs), ("started\ndone 0\n", 0, 2));
    assert_eq!(out("(sleep 1; exit 3) & wait $!; echo $?"), "3\n");
    assert_eq!(out("sleep 10 & kill $!; wait $!; echo $?"), "143\n");
    assert_eq!(out("sleep 10 & kill -9 $!; wait; echo $?"), "0\n");
    let (o, _, _, secs) = run("sleep 3 & sleep 1 & wait; echo all");
    assert_eq!((o.as_str(), secs), ("all\n", 3));
    assert_eq!(out("kill 99999"), "sh: kill: can't kill pid 99999: No such process\n");
    assert_eq!(out("trap 'echo caught' USR1; kill -USR1 $$; echo on"), "caught\non\n");
}

#[test]
fn exit_trap_and_errexit() {
    assert_eq!(out("trap 'echo bye' EXIT; echo hi"), "hi\nbye\n");
    let (o, _, code, _) = run("trap 'echo bye $?' EXIT; exit 4");
    assert_eq!((o.as_str(), code), ("bye 4\n", 4));
    let (o, _, code, _) = run("set -e; echo a; false; echo no");
    assert_eq!((o.as_str(), code), ("a\n", 1));
    let (o, _, code, _) =
        run("set -e; if false; then :; fi; false || echo ok; ! true; while false; do :; done; echo yes");
    assert_eq!((o.as_str(), code), ("ok\nyes\n", 0));
    let (o, _, code, _) = run("set -e; cat /nope | true; echo piped; (false); echo no");
    assert_eq!((o.as_str(), code), ("piped\n", 1));
    assert_eq!(run("set -e; set +e; false; echo on").0, "on\n");
}

#[test]
fn substitutions_in_for_case_and_braces_take_time() {
    let (o, _, _, secs) = run("for i in $(echo a; sleep 2; echo b); do echo $i; done");
    assert_eq!((o.as_str(), secs), ("a\nb\n", 2));
    let (o, _, _, secs) = run("case $(sleep 1; echo x) in x) echo matched;; esac");
    assert_eq!((o.as_str(), secs), ("matched\n", 1));
    let (o, _, _, secs) = run("echo ${X:-$(sleep 3; echo d)}; echo after");
    assert_eq!((o.as_str(), secs), ("d\nafter\n", 3));
}

#[test]
fn big_outputs_stream_and_busy_jobs_share_the_turn() {
    assert_eq!(out("seq 1 1000000 | wc -l"), "1000000\n");
    assert_eq!(out("seq 1 1000000 | tail -n 1"), "1000000\n");
    let (o, _, code, secs) = run("yes > /dev/null & sleep 2; kill $!; echo ok");
    assert_eq!((o.as_str(), code, secs), ("ok\n", 0, 2));
    // A nested `sh -c` runs its EXIT trap as it ends.
    assert_eq!(out("sh -c \"trap 'echo inner done' EXIT; exit 3\"; echo $?"), "inner done\n3\n");
    assert_eq!(out("kill -l | head -n 2"), " 1) HUP\n 2) INT\n");
}

#[test]
fn a_fork_bomb_meets_the_pids_limit() {
    let (o, e, _, _) = run("i=0; while [ $i -lt 2000 ]; do sleep 100 & i=$((i+1)); done; echo spawned");
    assert_eq!(o, "spawned\n");
    assert!(e.starts_with("sh: can't fork: Resource temporarily unavailable\n"), "{e}");
}

/// Run `script` with each network call answered by `answer`; stdout+stderr and the status.
fn run_net(script: &str, answer: impl Fn(&NetCall) -> (Option<&'static str>, i64, NetAnswer)) -> (String, i32) {
    let mut fs = image::files("busybox");
    let mut sh = Shell::new("sh", &[]);
    sh.start_command(&["sh".into(), "-c".into(), script.into()]);
    let mut procs = Procs::new(1);
    let mut now = epoch();
    for _ in 0..1_000 {
        let mut fuel = FUEL;
        let r = sh.run(&mut Sys { fs: &mut fs, now, hostname: "client", procs: &mut procs }, &mut fuel);
        for (token, call) in std::mem::take(&mut procs.net_calls) {
            let (addr, secs, a) = answer(&call);
            let at = now + chrono::Duration::seconds(secs);
            procs.net_answers.insert(token, Answered { addr: addr.map(String::from), at, answer: a });
        }
        match r {
            Run::Exited(code) => {
                let [o, e] = sh.term.take_both();
                return (String::from_utf8(o).unwrap() + &String::from_utf8(e).unwrap(), code);
            }
            Run::Sleeping(t) => now = t.max(now),
            other => panic!("{other:?}"),
        }
    }
    panic!("script did not end: {script}");
}

#[test]
fn network_clients_print_what_busybox_and_curl_print() {
    let ok = |_: &NetCall| (Some("10.96.0.12:80"), 0, NetAnswer::Http { status: 200, body: "hello\n".into() });
    assert_eq!(run_net("wget -qO- http://web", ok), ("hello\n".into(), 0));
    assert_eq!(
        run_net("wget -O- http://web 2>&1", ok).0,
        "Connecting to web (10.96.0.12:80)\nwriting to stdout\nhello\n-                    100% |********************************|     6  0:00:00 ETA\nwritten to stdout\n"
    );
    assert_eq!(run_net("wget -q http://web/a/page.html && cat page.html", ok), ("hello\n".into(), 0));
    let missing = |_: &NetCall| (Some("10.96.0.12:80"), 0, NetAnswer::Http { status: 404, body: String::new() });
    assert_eq!(
        run_net("wget -q -O - http://web/x 2>&1; echo $?", missing).0,
        "wget: server returned error: HTTP/1.1 404 Not Found\n1\n"
    );
    let unresolved = |_: &NetCall| (None, 0, NetAnswer::Unresolved);
    assert_eq!(run_net("wget -q http://nope", unresolved), ("wget: bad address 'nope'\n".into(), 1));
    assert_eq!(run_net("curl -s http://nope; echo $?", unresolved).0, "6\n");
    assert_eq!(run_net("curl nope", unresolved).0, "curl: (6) Could not resolve host: nope\n");
    // A timeout takes the client's time: the answer comes after it.
    let blocked = |c: &NetCall| match c {
        NetCall::Http { timeout, .. } | NetCall::Connect { timeout, .. } => {
            (Some("10.96.0.12:80"), timeout.num_seconds(), NetAnswer::TimedOut)
        }
        NetCall::Lookup { .. } | NetCall::Api { .. } => (None, 0, NetAnswer::Unresolved),
    };
    assert_eq!(
        run_net("wget -q -T 2 http://web 2>&1; echo $?; date +%S", blocked).0,
        "wget: download timed out\n1\n02\n"
    );
    assert_eq!(
        run_net("curl -m 3 web", blocked).0,
        "curl: (28) Failed to connect to web port 80 after 3000 ms: Timeout was reached\n"
    );
    let refused = |_: &NetCall| (Some("10.96.0.12:80"), 0, NetAnswer::Refused);
    assert_eq!(run_net("nc -zv web 80", refused).0, "nc: web (10.96.0.12:80): Connection refused\n");
    let open = |_: &NetCall| (Some("10.96.0.12:80"), 0, NetAnswer::Connected);
    assert_eq!(run_net("nc -z -v -w 1 web 80", open), ("web (10.96.0.12:80) open\n".into(), 0));
    assert_eq!(run_net("nc web", open), (String::from("BusyBox v1.37.0 multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect\nnc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen\n"), 1));
}

#[test]
fn curl_sends_headers_and_cookies_and_reports_tls_failures() {
    // What the call carries: the headers (-H, -b) and whether the certificate goes unchecked.
    let echo = |c: &NetCall| {
        let text = match c {
            NetCall::Http { headers, insecure, .. } => format!("{headers:?} insecure={insecure}\n"),
            _ => String::new(),
        };
        (Some("10.96.0.12:443"), 0, NetAnswer::Http { status: 200, body: text })
    };
    assert_eq!(
        run_net("curl -sk -H 'Host: shop.example.com' -b canary=always -H 'X-Empty:' https://web", echo).0,
        "[(\"Host\", \"shop.example.com\"), (\"Cookie\", \"canary=always\")] insecure=true\n"
    );
    assert_eq!(run_net("curl --insecure https://web", echo).0, "[] insecure=true\n");
    assert_eq!(run_net("curl -s https://web", echo).0, "[] insecure=false\n");
    // busybox's wget checks no certificate.
    assert_eq!(run_net("wget -qO- https://web", echo).0, "[] insecure=true\n");
    // --cacert is read from the container's files (None: not there); --resolve as curl parses it.
    let files = |c: &NetCall| {
        let text = match c {
            NetCall::Http { cacert, resolve, .. } => format!("{cacert:?} {resolve:?}\n"),
            _ => String::new(),
        };
        (Some("10.96.0.12:443"), 0, NetAnswer::Http { status: 200, body: text })
    };
    assert_eq!(
        run_net(
            "echo PEM > /ca.crt; curl --cacert /ca.crt --cacert nothing --resolve Web:443:10.96.0.9 https://web",
            files
        )
        .0,
        "Some((\"nothing\", None)) [(\"web\", 443, 10.96.0.9)]\n"
    );
    assert_eq!(
        run_net("cd /; echo PEM > ca.crt; curl --cacert ca.crt https://web", files).0,
        "Some((\"ca.crt\", Some([80, 69, 77, 10]))) []\n"
    );
    assert_eq!(
        run_net("curl --resolve web:443 https://web 2>&1; echo $?", files).0,
        "curl: (49) Couldn't parse CURLOPT_RESOLVE entry 'web:443'\n49\n"
    );
    let untrusted = |_: &NetCall| {
        let message = "SSL certificate problem: self-signed certificate".to_string();
        (Some("10.96.0.12:443"), 0, NetAnswer::Failed { code: 60, message })
    };
    assert_eq!(
        run_net("curl https://web 2>&1; echo $?", untrusted).0,
        "curl: (60) SSL certificate problem: self-signed certificate\nMore details here: https://curl.se/docs/sslcerts.html\n\ncurl failed to verify the legitimacy of the server and therefore could not\nestablish a secure connection to it. To learn more about this situation and\nhow to fix it, please visit the web page mentioned above.\n60\n"
    );
    assert_eq!(run_net("curl -s https://web; echo $?", untrusted).0, "60\n");
}
