//! Issue 14 in the Jupyter kernel: `kubectl exec -it` and `run -it` in a cell ask the notebook
//! for each line with an `input_request` (when the request allows it), an interrupt while the
//! kernel waits for the answer ends the session, and a client that never answers holds no
//! more than its cell.

mod common;

use std::time::Duration;

use common::{Client, Kernel, WAIT};
use jupyter_protocol::{InterruptRequest, JupyterMessage, JupyterMessageContent, ReplyStatus, ShutdownRequest};
use tokio::time::timeout;

/// The text of the cell's stdout stream messages, joined.
fn stdout(outputs: &[JupyterMessage]) -> String {
    outputs
        .iter()
        .filter_map(|m| match &m.content {
            JupyterMessageContent::StreamContent(s) if format!("{:?}", s.name) == "Stdout" => Some(s.text.as_str()),
            _ => None,
        })
        .collect()
}

/// The cell's value as text, if it has one.
fn result(outputs: &[JupyterMessage]) -> Option<String> {
    outputs.iter().find_map(|m| match &m.content {
        JupyterMessageContent::ExecuteResult(r) => {
            serde_json::to_value(&r.data).ok()?["text/plain"].as_str().map(str::to_string)
        }
        _ => None,
    })
}

fn status(reply: &JupyterMessage) -> (ReplyStatus, Option<(String, String)>) {
    let JupyterMessageContent::ExecuteReply(r) = &reply.content else { panic!("{reply:?}") };
    (r.status.clone(), r.error.as_ref().map(|e| (e.ename.clone(), e.evalue.clone())))
}

/// When the kernel made the first stdout stream message containing `text`.
fn sent_at(outputs: &[JupyterMessage], text: &str) -> chrono::DateTime<chrono::Utc> {
    outputs
        .iter()
        .find(|m| matches!(&m.content, JupyterMessageContent::StreamContent(s) if s.text.contains(text)))
        .map(|m| m.header.date)
        .unwrap_or_else(|| panic!("no stream with {text:?} in {outputs:?}"))
}

const NOTICE: &str = "All commands and output from this session will be recorded in container logs, including credentials and sensitive information passed through the command prompt.\nIf you don't see a command prompt, try pressing enter.\n";

/// A busybox pod `web` whose shell sleeps, running.
async fn running_pod(client: &mut Client) {
    let created = client.result_text("kubectl run web --image=busybox -- sh -c 'sleep 3600'").await;
    assert_eq!(created, "pod/web created");
    let (reply, _) = client.execute("advance(\"10s\")").await;
    assert_eq!(status(&reply).0, ReplyStatus::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_run_it_rm_asks_the_notebook_for_each_line() {
    let kernel = Kernel::start("stdin-run").await;
    let mut client = kernel.client().await;
    let id = client.send_execute_with_stdin("kubectl run -it --rm t --image=busybox --restart=Never -- sh").await;
    let mut prompts = Vec::new();
    let mut asked = Vec::new();
    for line in ["echo hi", "hostname", "exit"] {
        let (prompt, request) = client.input_request().await;
        assert_eq!(request.parent_header.as_ref().map(|h| h.msg_id.as_str()), Some(id.as_str()));
        prompts.push(prompt);
        asked.push(request.header.date);
        client.input_reply(&request, line).await;
    }
    assert_eq!(prompts, ["/ # ", "/ # ", "/ # "]);
    let reply = client.shell_reply(&id).await;
    assert_eq!(status(&reply), (ReplyStatus::Ok, None));
    let outputs = client.outputs(&id).await;
    let ended = "Session ended, resume using 'kubectl attach t -c t -n default -i -t' command\n";
    assert_eq!(stdout(&outputs), format!("{NOTICE}hi\nt\n{ended}"));
    assert_eq!(result(&outputs).as_deref(), Some("pod \"t\" deleted\n"));
    // What the container printed went out before the input box was asked for (not after the
    // 50 ms that printed text is otherwise gathered for).
    assert!(sent_at(&outputs, "try pressing enter") <= asked[0]);
    assert!(sent_at(&outputs, "hi\n") <= asked[1]);
    assert!(sent_at(&outputs, "t\n") <= asked[2]);
    // --rm deleted the pod.
    let (reply, _) = client.execute("kubectl get pod t").await;
    let error = ("Error".to_string(), "Error from server (NotFound): pods \"t\" not found".to_string());
    assert_eq!(status(&reply), (ReplyStatus::Error, Some(error)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_exec_it_into_a_running_pod_and_eof() {
    let kernel = Kernel::start("stdin-exec").await;
    let mut client = kernel.client().await;
    running_pod(&mut client).await;
    let id = client.send_execute_with_stdin("kubectl exec -it web -- sh").await;
    let (prompt, request) = client.input_request().await;
    assert_eq!(prompt, "/ # ");
    client.input_reply(&request, "cd /tmp; echo $HOSTNAME").await;
    let (prompt, request) = client.input_request().await;
    assert_eq!(prompt, "/tmp # ");
    // An empty answer is an empty line: the shell prompts again. (A reply naming no request
    // answers the one open.)
    drop(request);
    client.input_reply_without_parent("").await;
    let (prompt, request) = client.input_request().await;
    assert_eq!(prompt, "/tmp # ");
    // Ctrl-D (U+0004) is the end of input, as ipykernel reads it.
    client.input_reply(&request, "\u{4}").await;
    let reply = client.shell_reply(&id).await;
    assert_eq!(status(&reply), (ReplyStatus::Ok, None));
    let outputs = client.outputs(&id).await;
    // The shell ends the prompt's line at the end of input, as ash on a terminal does.
    assert_eq!(stdout(&outputs), "web\n\n");
    assert_eq!(result(&outputs), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_without_allow_stdin_an_it_line_says_why_it_reads_nothing() {
    let kernel = Kernel::start("stdin-none").await;
    let mut client = kernel.client().await;
    running_pod(&mut client).await;
    let (reply, outputs) = client.execute("kubectl exec -it web -- sh").await;
    assert_eq!(status(&reply), (ReplyStatus::Ok, None));
    let shown = stdout(&outputs) + &result(&outputs).unwrap_or_default();
    assert_eq!(
        shown,
        "Unable to use a TTY - input is not a terminal or the right kind of file\n\
         kubesim: this Jupyter client does not answer input requests (allow_stdin is false): the container's stdin is empty\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_an_interrupt_while_waiting_for_input_ends_the_session() {
    let kernel = Kernel::start("stdin-interrupt").await;
    let mut client = kernel.client().await;
    let id = client.send_execute_with_stdin("kubectl run -it --rm t --image=busybox --restart=Never -- sh").await;
    let (prompt, request) = client.input_request().await;
    assert_eq!(prompt, "/ # ");
    client.control.send(InterruptRequest {}.into()).await.expect("sent");
    let reply = timeout(WAIT, client.control.read()).await.expect("in time").expect("an interrupt reply");
    assert_eq!(reply.header.msg_type, "interrupt_reply");
    let reply = client.shell_reply(&id).await;
    let interrupted = ("Interrupted".to_string(), "interrupted".to_string());
    assert_eq!(status(&reply), (ReplyStatus::Error, Some(interrupted)));
    let outputs = client.outputs(&id).await;
    // kubectl's --rm deleted the pod; the session did not end with the shell's `exit`.
    assert_eq!(stdout(&outputs), format!("{NOTICE}pod \"t\" deleted\n"));
    // An answer to the abandoned request comes too late and is ignored.
    client.input_reply(&request, "echo late").await;
    assert_eq!(client.result_text("1 + 1").await, "2");
    let (reply, _) = client.execute("kubectl wait --for=delete pod/t --timeout=60s").await;
    assert_eq!(status(&reply), (ReplyStatus::Ok, None));
    // The next -it line asks again.
    let id = client.send_execute_with_stdin("kubectl run -it --rm u --image=busybox --restart=Never -- sh").await;
    let (_, request) = client.input_request().await;
    client.input_reply(&request, "exit 3").await;
    let (state, error) = status(&client.shell_reply(&id).await);
    assert_eq!(state, ReplyStatus::Error);
    assert_eq!(error.map(|e| e.1), Some("pod \"u\" deleted\npod default/u terminated (Error)".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_a_client_gone_while_the_kernel_waits_holds_only_its_cell() {
    let kernel = Kernel::start("stdin-gone").await;
    {
        let mut first = kernel.client().await;
        first.send_execute_with_stdin("kubectl run -it --rm gone --image=busybox --restart=Never -- sh").await;
        first.input_request().await;
        // `first` goes away without answering.
    }
    let mut second = Client::connect(&kernel.info, "second-client").await;
    // Heartbeat, control and IOPub are served while the cell waits; the stop button ends it.
    second.control.send(InterruptRequest {}.into()).await.expect("sent");
    let reply = timeout(WAIT, second.control.read()).await.expect("in time").expect("an interrupt reply");
    assert_eq!(reply.header.msg_type, "interrupt_reply");
    second.kernel_info().await;
    assert_eq!(second.result_text("40 + 2").await, "42");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_shutdown_while_the_kernel_waits_for_input() {
    let mut kernel = Kernel::start("stdin-shutdown").await;
    let mut client = kernel.client().await;
    client.send_execute_with_stdin("kubectl run -it --rm s --image=busybox --restart=Never -- sh").await;
    client.input_request().await;
    client.control.send(ShutdownRequest { restart: false }.into()).await.expect("sent");
    let reply = timeout(WAIT, client.control.read()).await.expect("in time").expect("a shutdown reply");
    assert_eq!(reply.header.msg_type, "shutdown_reply");
    let mut exited = None;
    for _ in 0..200 {
        if let Some(status) = kernel.child.try_wait().expect("the process") {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(exited.is_some_and(|s| s.success()), "the kernel exits cleanly: {exited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_an_interrupt_while_the_container_runs_a_command_is_ctrl_c() {
    let kernel = Kernel::start("stdin-ctrl-c").await;
    let mut client = kernel.client().await;
    running_pod(&mut client).await;
    // The loop moves simulated time as fast as it can: a day's stream limit outlasts the
    // wait for the interrupt by far (4h take a few seconds of wall time).
    let id = client.send_execute_with_stdin("kubectl exec -it --request-timeout=24h web -- sh").await;
    let (_, request) = client.input_request().await;
    client.input_reply(&request, "echo looping; while true; do sleep 1; done").await;
    // Once the loop runs (its first line is out), the stop button.
    loop {
        let msg = timeout(WAIT, client.iopub.read()).await.expect("iopub in time").expect("an iopub message");
        if matches!(&msg.content, JupyterMessageContent::StreamContent(s) if s.text.contains("looping")) {
            break;
        }
    }
    client.control.send(InterruptRequest {}.into()).await.expect("sent");
    // The shell stopped its command and prompts again: the session goes on.
    let (prompt, request) = client.input_request().await;
    assert_eq!(prompt, "/ # ");
    client.input_reply(&request, "echo status=$?; exit").await;
    let reply = client.shell_reply(&id).await;
    assert_eq!(status(&reply), (ReplyStatus::Ok, None));
    let outputs = client.outputs(&id).await;
    assert_eq!(stdout(&outputs), "^C\nstatus=130\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_replies_nobody_asked_for_are_bounded_and_ignored() {
    let kernel = Kernel::start("stdin-flood").await;
    let mut client = kernel.client().await;
    let nobody: JupyterMessage = jupyter_protocol::ExecuteRequest::new(String::new()).into();
    for _ in 0..200 {
        client.input_reply(&nobody, "echo stale").await;
    }
    kernel.wait_for_log("dropped an input_reply: too many are waiting").await;
    let id = client.send_execute_with_stdin("kubectl run -it --rm f --image=busybox --restart=Never -- sh").await;
    let (_, request) = client.input_request().await;
    client.input_reply(&request, "exit").await;
    assert_eq!(status(&client.shell_reply(&id).await), (ReplyStatus::Ok, None));
    let outputs = client.outputs(&id).await;
    assert!(!stdout(&outputs).contains("stale"), "{outputs:?}");
}
