//! The Jupyter kernel driven over ZeroMQ as a client drives it, in the hard cases: an
//! interrupt during a long `advance`, shutdown and restart, a message with a bad signature,
//! malformed messages, a client that goes away mid-execute. After each, the kernel keeps
//! serving. Every wait is bounded, so a hang fails fast.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{kinds, Client, Kernel, WAIT};
use jupyter_protocol::{
    ExecuteRequest, InterruptRequest, JupyterMessage, JupyterMessageContent, KernelInfoRequest, ReplyStatus,
    ShutdownRequest,
};
use jupyter_zmq_client::create_client_heartbeat_connection;
use tokio::time::timeout;
use zeromq::{SocketRecv, SocketSend, ZmqMessage};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_stops_a_long_advance_and_keeps_the_session() {
    let kernel = Kernel::start("interrupt").await;
    let mut client = kernel.client().await;
    assert_eq!(client.result_text("let kept = 7; kept").await, "7");
    // Thirty simulated days take far longer than the wait below.
    let id = client.send_execute("advance(\"30d\")").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let interrupt: JupyterMessage = InterruptRequest {}.into();
    let interrupt_id = interrupt.header.msg_id.clone();
    client.control.send(interrupt).await.expect("sent");
    let reply = timeout(WAIT, client.control.read()).await.expect("in time").expect("an interrupt reply");
    assert_eq!(reply.parent_header.map(|h| h.msg_id), Some(interrupt_id));
    assert_eq!(reply.header.msg_type, "interrupt_reply");

    let reply = client.shell_reply(&id).await;
    let JupyterMessageContent::ExecuteReply(r) = &reply.content else { panic!("{reply:?}") };
    assert_eq!(r.status, ReplyStatus::Error);
    assert_eq!(r.error.as_ref().map(|e| e.ename.as_str()), Some("Interrupted"));
    let outputs = client.outputs(&id).await;
    let seen = kinds(&outputs);
    assert!(seen.contains(&"error"), "{seen:?}");
    // The long move of the clock showed its progress, updated in place.
    assert!(seen.contains(&"display_data"), "{seen:?}");
    assert!(seen.contains(&"update_display_data"), "{seen:?}");

    // The session and its cluster survive: the variable, and the clock where it stopped.
    assert_eq!(client.result_text("kept").await, "7");
    let now = client.result_text("now()").await;
    assert!(now.as_str() > "2025-01-01T00:00:00Z" && now.as_str() < "2025-01-31T00:00:00Z", "{now}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_streams_its_lines_and_an_interrupt_keeps_them() {
    let kernel = Kernel::start("watch").await;
    let mut client = kernel.client().await;
    // Without --request-timeout the watch moves the clock until the stop button. Its lines
    // arrive as `stream` output while the cell runs, before any interrupt.
    let id = client.send_execute("kubectl get pods -n kube-system -w").await;
    let mut streamed = String::new();
    while !streamed.contains("kube-apiserver") {
        let msg = timeout(WAIT, client.iopub.read()).await.expect("iopub in time").expect("an iopub message");
        if msg.parent_header.as_ref().is_some_and(|h| h.msg_id == id) {
            if let JupyterMessageContent::StreamContent(s) = &msg.content {
                streamed.push_str(&s.text);
            }
        }
    }
    assert!(streamed.contains("READY"), "{streamed}");
    client.control.send(InterruptRequest {}.into()).await.expect("sent");
    let reply = timeout(WAIT, client.control.read()).await.expect("in time").expect("an interrupt reply");
    assert_eq!(reply.header.msg_type, "interrupt_reply");
    let reply = client.shell_reply(&id).await;
    let JupyterMessageContent::ExecuteReply(r) = &reply.content else { panic!("{reply:?}") };
    assert_eq!(r.status, ReplyStatus::Ok, "{reply:?}");
    // What was streamed is not shown again as the cell's value.
    let outputs = client.outputs(&id).await;
    assert!(!kinds(&outputs).contains(&"execute_result"), "{outputs:?}");
    let now = client.result_text("now()").await;
    assert!(now.as_str() > "2025-01-01T00:00:10Z", "the watch moved the clock: {now}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_restart_ends_the_process_and_a_new_one_serves() {
    let mut kernel = Kernel::start("shutdown").await;
    let mut client = kernel.client().await;
    client.kernel_info().await;
    // kernel_info is answered on control too.
    client.control.send(KernelInfoRequest {}.into()).await.expect("sent");
    let reply = timeout(WAIT, client.control.read()).await.expect("in time").expect("a reply");
    assert_eq!(reply.header.msg_type, "kernel_info_reply");
    let request: JupyterMessage = ShutdownRequest { restart: true }.into();
    client.control.send(request).await.expect("sent");
    let reply = timeout(WAIT, client.control.read()).await.expect("in time").expect("a shutdown reply");
    let JupyterMessageContent::ShutdownReply(r) = reply.content else { panic!("{reply:?}") };
    assert!(r.restart);
    let mut exited = None;
    for _ in 0..100 {
        if let Some(status) = kernel.child.try_wait().expect("the process") {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(exited.is_some_and(|s| s.success()), "the kernel exits cleanly: {exited:?}");

    kernel.restart();
    let mut client = kernel.client().await;
    client.kernel_info().await;
    assert_eq!(client.result_text("1 + 1").await, "2");
}

/// Frames of a message with `content`, signed with `key` (or a wrong signature).
fn frames(msg_type: &str, content: &str, signature: Option<&str>) -> ZmqMessage {
    let header = serde_json::json!({
        "msg_id": format!("raw-{msg_type}"), "username": "test", "session": "raw",
        "date": "2025-01-01T00:00:00Z", "msg_type": msg_type, "version": "5.3",
    })
    .to_string();
    let parts: Vec<Bytes> = vec![
        Bytes::from_static(b"<IDS|MSG>"),
        Bytes::from(signature.unwrap_or(&"0".repeat(64)).to_string()),
        Bytes::from(header),
        Bytes::from_static(b"{}"),
        Bytes::from_static(b"{}"),
        Bytes::from(content.to_string()),
    ];
    ZmqMessage::try_from(parts).expect("frames")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_signature_is_dropped_and_logged() {
    let kernel = Kernel::start("signature").await;
    let mut client = kernel.client().await;
    client.shell.socket.send(frames("execute_request", r#"{"code": "1"}"#, None)).await.expect("sent");
    // No reply comes for it; the next good request is answered.
    let quiet = timeout(Duration::from_millis(500), client.shell.read()).await;
    assert!(quiet.is_err(), "no reply to a badly signed message: {quiet:?}");
    client.kernel_info().await;
    kernel.wait_for_log("dropped a message on shell with a wrong signature").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_leave_the_kernel_serving() {
    let kernel = Kernel::start("malformed").await;
    let mut client = kernel.client().await;
    // Too few frames.
    let short = ZmqMessage::try_from(vec![Bytes::from_static(b"<IDS|MSG>"), Bytes::from_static(b"")]).expect("frames");
    client.shell.socket.send(short).await.expect("sent");
    // Not a Jupyter message at all.
    client.shell.socket.send(ZmqMessage::from("hello")).await.expect("sent");
    client.control.socket.send(ZmqMessage::from("hello")).await.expect("sent");
    client.kernel_info().await;
    let log = kernel.wait_for_log("dropped a malformed message on control").await;
    assert!(log.contains("dropped a malformed message on shell"), "{log}");
    // Heartbeat echoes whatever it is sent.
    let mut heartbeat = create_client_heartbeat_connection(&kernel.info).await.expect("heartbeat");
    heartbeat.socket.send(ZmqMessage::from("ping-42")).await.expect("sent");
    let echo = timeout(WAIT, heartbeat.socket.recv()).await.expect("in time").expect("an echo");
    assert_eq!(echo.get(0).map(|b| b.to_vec()), Some(b"ping-42".to_vec()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_with_bad_content_gets_an_error_reply() {
    let kernel = Kernel::start("content").await;
    let mut client = kernel.client().await;
    // Correctly signed, but `code` is not a string.
    let request: JupyterMessage = ExecuteRequest::new(String::new()).into();
    let content = serde_json::json!({"code": 5, "silent": false, "store_history": true});
    client.shell.socket.send(signed_frames(&kernel.info.key, &request, &content)).await.expect("sent");
    let reply = client.shell_reply(&request.header.msg_id).await;
    let JupyterMessageContent::ExecuteReply(r) = &reply.content else { panic!("{reply:?}") };
    assert_eq!(r.status, ReplyStatus::Error);
    assert_eq!(r.error.as_ref().map(|e| e.ename.as_str()), Some("BadRequest"));
    assert_eq!(client.result_text("1 + 1").await, "2");
}

/// Frames of `message` with its content replaced by `content`, signed with `key`.
fn signed_frames(key: &str, message: &JupyterMessage, content: &serde_json::Value) -> ZmqMessage {
    let header = serde_json::to_vec(&message.header).expect("JSON");
    let parent = b"{}".to_vec();
    let metadata = b"{}".to_vec();
    let content = serde_json::to_vec(content).expect("JSON");
    let signature = hmac_sha256_hex(key.as_bytes(), &[&header, &parent, &metadata, &content]);
    let parts: Vec<Bytes> = vec![
        Bytes::from_static(b"<IDS|MSG>"),
        Bytes::from(signature),
        Bytes::from(header),
        Bytes::from(parent),
        Bytes::from(metadata),
        Bytes::from(content),
    ];
    ZmqMessage::try_from(parts).expect("frames")
}

fn hmac_sha256_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let mut ctx = ring::hmac::Context::with_key(&key);
    for part in parts {
        ctx.update(part);
    }
    ctx.sign().as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_execute_does_not_stop_the_kernel() {
    let kernel = Kernel::start("disconnect").await;
    {
        let mut first = kernel.client().await;
        first.send_execute("advance(\"2h\"); 1").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        // `first` goes away with its sockets while the cell runs.
    }
    let mut second = Client::connect(&kernel.info, "second-client").await;
    second.kernel_info().await;
    assert_eq!(second.result_text("40 + 2").await, "42");
    assert_eq!(second.result_text("now()").await, "2025-01-01T02:00:00Z", "the first client's cell ran to its end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cells_queued_behind_a_failed_cell_are_aborted() {
    let kernel = Kernel::start("abort").await;
    let mut client = kernel.client().await;
    client.kernel_info().await;
    // "Run all": the requests are queued together. The failing cell runs a while, so the
    // next one is surely queued behind it.
    let failing = client.send_execute("advance(\"2h\"); throw \"boom\"").await;
    let queued = client.send_execute("let ran = true; 1").await;
    let status = |m: &JupyterMessage| match &m.content {
        JupyterMessageContent::ExecuteReply(r) => r.status.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(status(&client.shell_reply(&failing).await), ReplyStatus::Error);
    assert_eq!(status(&client.shell_reply(&queued).await), ReplyStatus::Aborted);
    // The next cell sent on its own runs.
    let (reply, _) = client.execute("is_def_var(\"ran\")").await;
    assert_eq!(status(&reply), ReplyStatus::Ok);
    assert_eq!(client.result_text("is_def_var(\"ran\")").await, "false");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_text_is_gathered_and_keeps_its_order() {
    let kernel = Kernel::start("streams").await;
    let mut client = kernel.client().await;
    let (_, outputs) =
        client.execute("for i in 0..1000 { print(i) } display(1); debug(\"after\"); print(\"end\")").await;
    let mut shown = Vec::new();
    let mut stdout = String::new();
    for m in &outputs {
        match &m.content {
            JupyterMessageContent::StreamContent(s) => {
                let name = format!("{:?}", s.name).to_lowercase();
                if name == "stdout" {
                    stdout.push_str(&s.text);
                }
                shown.push(format!("{name}:{}", s.text.lines().last().unwrap_or_default()));
            }
            JupyterMessageContent::DisplayData(_) => shown.push("display".to_string()),
            _ => {}
        }
    }
    let expected: String = (0..1000).map(|i| format!("{i}\n")).collect::<String>() + "end\n";
    assert_eq!(stdout, expected);
    // A thousand prints come in far fewer messages (they are gathered for 50ms at a time).
    let before_display = shown.iter().position(|s| s == "display").expect("the display");
    assert!((1..=100).contains(&before_display), "{shown:?}");
    assert_eq!(shown[before_display - 1], "stdout:999");
    assert_eq!(shown[before_display..], ["display", "stderr:\"after\"", "stdout:end"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_expressions_are_evaluated_after_the_code() {
    let kernel = Kernel::start("expressions").await;
    let mut client = kernel.client().await;
    let mut request = ExecuteRequest::new("let base = 20;".to_string());
    request.user_expressions = Some(
        [("double", "base * 2"), ("bad", "nosuch")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    );
    let request: JupyterMessage = request.into();
    let id = request.header.msg_id.clone();
    client.shell.send(request).await.expect("sent");
    let reply = client.shell_reply(&id).await;
    let content = serde_json::to_value(&reply.content).expect("JSON");
    assert_eq!(
        content["user_expressions"]["double"],
        serde_json::json!({"status": "ok", "data": {"text/plain": "40"}, "metadata": {}})
    );
    assert_eq!(content["user_expressions"]["bad"]["status"], "error");
    assert_eq!(content["user_expressions"]["bad"]["evalue"], "Variable not found: nosuch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_10_a_deep_value_fails_its_cell_and_the_session_stays() {
    let kernel = Kernel::start("deep").await;
    let mut client = kernel.client().await;
    assert_eq!(client.result_text("let kept = 7; kept").await, "7");
    // Printing a value this deep used to overflow the evaluation thread's stack.
    let (reply, _) = client.execute("let a = []; for i in 0..5000 { a = [a]; } print(a)").await;
    let JupyterMessageContent::ExecuteReply(r) = &reply.content else { panic!("{reply:?}") };
    assert_eq!(r.status, ReplyStatus::Error);
    let error = r.error.as_ref().map(|e| (e.ename.as_str(), e.evalue.as_str()));
    let limit = "script limit: a value nested deeper than 1000 levels (max_data_depth)";
    assert_eq!(error, Some(("LimitError", format!("{limit}; variable a is now () to free it").as_str())));
    assert_eq!(client.result_text("kept").await, "7");
    assert_eq!(client.result_text("type_of(a)").await, "()");
    // A user expression that nests a value past the limit is refused too.
    let code = "fn deeper(n, x) { if n == 0 { x } else { [[[[[[[deeper(n - 1, x)]]]]]]] } }
        let x = []; for i in 0..999 { x = [x]; }";
    let mut request = ExecuteRequest::new(code.to_string());
    request.user_expressions = Some([("deep".to_string(), "deeper(2, x)".to_string())].into_iter().collect());
    let request: JupyterMessage = request.into();
    let id = request.header.msg_id.clone();
    client.shell.send(request).await.expect("sent");
    let content = serde_json::to_value(&client.shell_reply(&id).await.content).expect("JSON");
    assert_eq!(content["status"], "ok");
    assert_eq!(content["user_expressions"]["deep"]["ename"], "LimitError");
    assert_eq!(content["user_expressions"]["deep"]["evalue"], limit);
    assert_eq!(client.result_text("kept").await, "7");
}
