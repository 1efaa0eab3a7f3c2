//! The kernel's sockets and their loops: heartbeat, IOPub (with the welcome of JEP 65),
//! control (kernel_info, interrupt, shutdown) and shell (everything else, one request at a
//! time). No read or send error ends a loop: it is logged and the loop goes on.

use std::path::Path;
use std::time::Duration;

use jupyter_protocol::{
    CodeMirrorMode, CommClose, CommInfoReply, CompleteReply, ConnectionInfo, ExecuteReply, ExecutionCount, HelpLink,
    HistoryReply, InspectReply, InterruptReply, IoPubWelcome, IsCompleteReply, IsCompleteReplyStatus, JupyterMessage,
    JupyterMessageContent, KernelInfoReply, LanguageInfo, Media, MediaType, ReplyError, ReplyStatus, ShutdownReply,
    Status, StreamContent,
};
use jupyter_zmq_client::{
    create_kernel_control_connection, create_kernel_heartbeat_connection, create_kernel_iopub_xpub_connection,
    create_kernel_shell_connection, create_kernel_stdin_connection, KernelControlConnection, KernelHeartbeatConnection,
    KernelIoPubXPubConnection, KernelShellConnection, SubscriptionEvent,
};
use stdlib::{Completeness, SessionOptions};
use tokio::sync::{mpsc, oneshot};
use zeromq::{SocketRecv, SocketSend};

use crate::evaluator::{Cell, Evaluator, Job};
use crate::history::History;
use crate::wire::{self, log, Incoming};
use crate::KernelError;

/// How long a request already sent may take to come off the socket when looking for the
/// ones queued behind a failed cell.
const QUEUED_WAIT: Duration = Duration::from_millis(1);

/// The Jupyter protocol version spoken.
const PROTOCOL_VERSION: &str = "5.3";

/// What the IOPub loop is asked to do.
pub enum Publish {
    Message(Box<JupyterMessage>),
    /// Printed text of the cell `parent`: gathered for a moment with the text that follows it
    /// on the same stream, so a loop of prints is not a message per line.
    Text {
        parent: Box<JupyterMessage>,
        stderr: bool,
        text: String,
    },
    /// Answer once everything queued before has been sent.
    Flush(oneshot::Sender<()>),
}

/// How long printed text may wait to be joined by more before it is sent.
const TEXT_WAIT: Duration = Duration::from_millis(50);
/// Printed text is sent at once when this much has gathered.
const TEXT_BATCH: usize = 64 * 1024;

/// Printed text not sent yet.
struct PendingText {
    parent: Box<JupyterMessage>,
    stderr: bool,
    text: String,
    deadline: tokio::time::Instant,
}

/// Run the kernel on the sockets a Jupyter connection file names, until a shutdown request.
pub fn run(connection_file: &Path, options: SessionOptions) -> Result<(), KernelError> {
    let text = std::fs::read_to_string(connection_file)
        .map_err(|source| KernelError::ConnectionFile { path: connection_file.to_path_buf(), source })?;
    let info: ConnectionInfo = serde_json::from_str(&text)
        .map_err(|source| KernelError::ConnectionInfo { path: connection_file.to_path_buf(), source })?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(KernelError::Runtime)?;
    runtime.block_on(serve(info, options))
}

async fn serve(info: ConnectionInfo, options: SessionOptions) -> Result<(), KernelError> {
    let session_id = session_id();
    let bind = |socket: &'static str| {
        move |e: jupyter_zmq_client::RuntimeError| KernelError::Bind { socket, message: e.to_string() }
    };
    let heartbeat = create_kernel_heartbeat_connection(&info).await.map_err(bind("heartbeat"))?;
    let iopub = create_kernel_iopub_xpub_connection(&info, &session_id).await.map_err(bind("iopub"))?;
    let shell = create_kernel_shell_connection(&info, &session_id).await.map_err(bind("shell"))?;
    let control = create_kernel_control_connection(&info, &session_id).await.map_err(bind("control"))?;
    let stdin = create_kernel_stdin_connection(&info, &session_id).await.map_err(bind("stdin"))?;

    let (publish, queue) = mpsc::unbounded_channel();
    let evaluator = std::rc::Rc::new(Evaluator::start(options, publish.clone()));
    let (shutdown, shutdown_requested) = mpsc::unbounded_channel::<()>();

    let local = tokio::task::LocalSet::new();
    local.spawn_local(heartbeat_loop(heartbeat));
    local.spawn_local(iopub_loop(iopub, queue));
    local.spawn_local(stdin_loop(stdin));
    let kernel = Kernel { publish: publish.clone(), evaluator: evaluator.clone(), shutdown: shutdown.clone() };
    local.spawn_local(control_loop(control, kernel.clone()));
    local.spawn_local(shell_loop(shell, kernel, History::default()));
    local
        .run_until(async move {
            let mut shutdown_requested = shutdown_requested;
            shutdown_requested.recv().await;
            // A cell still running stops; what was queued for IOPub goes out before the end.
            evaluator.interrupt();
            let (done, flushed) = oneshot::channel();
            if publish.send(Publish::Flush(done)).is_ok() {
                let _ = tokio::time::timeout(Duration::from_secs(2), flushed).await;
            }
        })
        .await;
    Ok(())
}

/// A session id for the kernel's messages: unique enough, with no randomness to seed.
fn session_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("kubesim-{:x}-{:x}", std::process::id(), nanos)
}

/// A message for IOPub, child of `parent` (no routing identities: IOPub has subscribers).
pub fn child(content: impl Into<JupyterMessageContent>, parent: &JupyterMessage) -> JupyterMessage {
    let mut message = JupyterMessage::new(content, Some(parent));
    message.zmq_identities.clear();
    message.header.username = "kubesim".to_string();
    message
}

/// A reply to `request` on its own socket (routed back to the client that sent it).
fn reply(content: impl Into<JupyterMessageContent>, request: &JupyterMessage) -> JupyterMessage {
    let mut message = JupyterMessage::new(content, Some(request));
    message.header.username = "kubesim".to_string();
    message
}

/// What the control and shell loops share.
#[derive(Clone)]
struct Kernel {
    publish: mpsc::UnboundedSender<Publish>,
    evaluator: std::rc::Rc<Evaluator>,
    shutdown: mpsc::UnboundedSender<()>,
}

impl Kernel {
    fn status(&self, busy: bool, parent: &JupyterMessage) {
        let status = if busy { Status::busy() } else { Status::idle() };
        let _ = self.publish.send(Publish::Message(Box::new(child(status, parent))));
    }

    fn publish(&self, content: impl Into<JupyterMessageContent>, parent: &JupyterMessage) {
        let _ = self.publish.send(Publish::Message(Box::new(child(content, parent))));
    }
}

async fn heartbeat_loop(mut heartbeat: KernelHeartbeatConnection) {
    loop {
        match heartbeat.socket.recv().await {
            // The heartbeat echoes what it is sent.
            Ok(ping) => {
                if let Err(e) = heartbeat.socket.send(ping).await {
                    log(&format!("heartbeat send error: {e}"));
                }
            }
            Err(e) => {
                log(&format!("heartbeat read error: {e}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Sends what the other loops publish, in order, and welcomes each new subscriber.
async fn iopub_loop(mut iopub: KernelIoPubXPubConnection, mut queue: mpsc::UnboundedReceiver<Publish>) {
    let mut paused_until: Option<tokio::time::Instant> = None;
    let mut pending: Option<PendingText> = None;
    loop {
        let listening = paused_until.is_none_or(|t| tokio::time::Instant::now() >= t);
        let text_due = pending.as_ref().map(|p| p.deadline);
        tokio::select! {
            biased;
            item = queue.recv() => match item {
                Some(Publish::Text { parent, stderr, text }) => {
                    match &mut pending {
                        Some(p) if p.stderr == stderr && p.parent.header.msg_id == parent.header.msg_id => {
                            p.text.push_str(&text);
                        }
                        _ => {
                            send_text(&mut iopub, pending.take()).await;
                            let deadline = tokio::time::Instant::now() + TEXT_WAIT;
                            pending = Some(PendingText { parent, stderr, text, deadline });
                        }
                    }
                    if pending.as_ref().is_some_and(|p| p.text.len() >= TEXT_BATCH) {
                        send_text(&mut iopub, pending.take()).await;
                    }
                }
                Some(Publish::Message(message)) => {
                    send_text(&mut iopub, pending.take()).await;
                    if let Err(e) = iopub.send(*message).await {
                        log(&format!("iopub send error: {e}"));
                    }
                }
                Some(Publish::Flush(done)) => {
                    send_text(&mut iopub, pending.take()).await;
                    let _ = done.send(());
                }
                None => return,
            },
            _ = tokio::time::sleep_until(text_due.unwrap_or_else(tokio::time::Instant::now)), if text_due.is_some() => {
                send_text(&mut iopub, pending.take()).await;
            }
            event = iopub.recv_subscription(), if listening => match event {
                Ok(SubscriptionEvent::Subscribe(topic)) => {
                    paused_until = None;
                    let welcome = JupyterMessage::new(IoPubWelcome::new(topic), None);
                    if let Err(e) = iopub.send(welcome).await {
                        log(&format!("iopub send error: {e}"));
                    }
                }
                Ok(SubscriptionEvent::Unsubscribe(_)) => {}
                Err(e) => {
                    // Not a reason to stop publishing; listen again a little later.
                    log(&format!("iopub subscription read error: {e}"));
                    paused_until = Some(tokio::time::Instant::now() + Duration::from_millis(100));
                }
            },
            _ = tokio::time::sleep_until(paused_until.unwrap_or_else(tokio::time::Instant::now)), if !listening => {}
        }
    }
}

async fn send_text(iopub: &mut KernelIoPubXPubConnection, pending: Option<PendingText>) {
    let Some(p) = pending else { return };
    let content = if p.stderr { StreamContent::stderr(&p.text) } else { StreamContent::stdout(&p.text) };
    if let Err(e) = iopub.send(child(content, &p.parent)).await {
        log(&format!("iopub send error: {e}"));
    }
}

/// kubesim never asks for input; the socket is served so clients can connect to it.
async fn stdin_loop(mut stdin: jupyter_zmq_client::KernelStdinConnection) {
    loop {
        if let Incoming::Message(message) = wire::read(&mut stdin, "stdin").await {
            log(&format!("ignored a {} on stdin", message.header.msg_type));
        }
    }
}

async fn control_loop(mut control: KernelControlConnection, kernel: Kernel) {
    loop {
        let request = match wire::read(&mut control, "control").await {
            Incoming::Message(message) => message,
            Incoming::Malformed { parent, error } => {
                kernel.status(true, &parent);
                if let Some(answer) = error_reply(&parent, &error) {
                    send(&mut control, answer, "control").await;
                }
                kernel.status(false, &parent);
                continue;
            }
            Incoming::Dropped => continue,
        };
        kernel.status(true, &request);
        match &request.content {
            JupyterMessageContent::KernelInfoRequest(_) => {
                send(&mut control, reply(kernel_info(), &request), "control").await;
            }
            JupyterMessageContent::InterruptRequest(_) => {
                kernel.evaluator.interrupt();
                send(&mut control, reply(InterruptReply::new(), &request), "control").await;
            }
            JupyterMessageContent::ShutdownRequest(req) => {
                let answer = ShutdownReply { restart: req.restart, status: ReplyStatus::Ok, error: None };
                send(&mut control, reply(answer, &request), "control").await;
                kernel.status(false, &request);
                let _ = kernel.shutdown.send(());
                continue;
            }
            other => log(&format!("ignored a {} on control", other.message_type())),
        }
        kernel.status(false, &request);
    }
}

async fn shell_loop(mut shell: KernelShellConnection, kernel: Kernel, mut history: History) {
    loop {
        let request = match wire::read(&mut shell, "shell").await {
            Incoming::Message(message) => message,
            Incoming::Malformed { parent, error } => {
                kernel.status(true, &parent);
                if let Some(answer) = error_reply(&parent, &error) {
                    send(&mut shell, answer, "shell").await;
                }
                kernel.status(false, &parent);
                continue;
            }
            Incoming::Dropped => continue,
        };
        kernel.status(true, &request);
        let answer = answer_shell(&kernel, &request, &mut history).await;
        let failed = answer.as_ref().is_some_and(
            |a| matches!(&a.content, JupyterMessageContent::ExecuteReply(r) if r.status == ReplyStatus::Error),
        );
        let stop = matches!(&request.content, JupyterMessageContent::ExecuteRequest(req) if req.stop_on_error);
        // Cells already queued behind a failed one (a notebook's "run all") are not run.
        let queued = if failed && stop { drain(&mut shell).await } else { Vec::new() };
        if let Some(answer) = answer {
            send(&mut shell, answer, "shell").await;
        }
        kernel.status(false, &request);
        if matches!(request.content, JupyterMessageContent::ShutdownRequest(_)) {
            let _ = kernel.shutdown.send(());
        }
        for request in queued {
            kernel.status(true, &request);
            let answer = if matches!(request.content, JupyterMessageContent::ExecuteRequest(_)) {
                Some(aborted(&request))
            } else {
                answer_shell(&kernel, &request, &mut history).await
            };
            if let Some(answer) = answer {
                send(&mut shell, answer, "shell").await;
            }
            kernel.status(false, &request);
        }
    }
}

/// The requests waiting on the shell socket now.
async fn drain(shell: &mut KernelShellConnection) -> Vec<Box<JupyterMessage>> {
    let mut queued = Vec::new();
    while let Ok(incoming) = tokio::time::timeout(QUEUED_WAIT, wire::read(shell, "shell")).await {
        if let Incoming::Message(request) = incoming {
            queued.push(request);
        }
    }
    queued
}

/// The reply to a cell not run because one before it failed (as ipykernel answers).
fn aborted(request: &JupyterMessage) -> JupyterMessage {
    let content = ExecuteReply {
        status: ReplyStatus::Aborted,
        execution_count: ExecutionCount::new(0),
        payload: Vec::new(),
        user_expressions: Some(Default::default()),
        error: None,
    };
    reply(content, request)
}

/// The reply to a shell request (None for messages that get none).
async fn answer_shell(kernel: &Kernel, request: &JupyterMessage, history: &mut History) -> Option<JupyterMessage> {
    let evaluator = &kernel.evaluator;
    let content: JupyterMessageContent = match &request.content {
        JupyterMessageContent::KernelInfoRequest(_) => kernel_info().into(),
        JupyterMessageContent::ExecuteRequest(req) => {
            let cell = Cell {
                code: req.code.clone(),
                silent: req.silent,
                store_history: req.store_history,
                parent: request.clone(),
            };
            let (done, executed) = oneshot::channel();
            let executed = if evaluator.send(Job::Execute(Box::new(cell), done)) { executed.await.ok() } else { None };
            let Some(executed) = executed else {
                return Some(failure(request, "the evaluation thread has stopped"));
            };
            if req.store_history && !req.silent {
                history.record(executed.count, &req.code, executed.result.as_deref());
            }
            ExecuteReply {
                status: if executed.error.is_some() { ReplyStatus::Error } else { ReplyStatus::Ok },
                execution_count: ExecutionCount::new(executed.count),
                payload: executed.payload,
                // null fails the message schema: an empty object.
                user_expressions: Some(Default::default()),
                error: executed.error.map(Box::new),
            }
            .into()
        }
        JupyterMessageContent::CompleteRequest(req) => {
            let (done, answer) = oneshot::channel();
            let job = Job::Complete { code: req.code.clone(), cursor: req.cursor_pos, done };
            let completions = if evaluator.send(job) { answer.await.ok() } else { None };
            let Some(c) = completions else { return Some(failure(request, "completion failed")) };
            CompleteReply {
                matches: c.matches,
                cursor_start: c.start,
                cursor_end: c.end,
                metadata: Default::default(),
                status: ReplyStatus::Ok,
                error: None,
            }
            .into()
        }
        JupyterMessageContent::InspectRequest(req) => {
            let (done, answer) = oneshot::channel();
            let job = Job::Inspect { code: req.code.clone(), cursor: req.cursor_pos, done };
            let Ok(found) =
                (if evaluator.send(job) { answer.await } else { return Some(failure(request, "inspection failed")) })
            else {
                return Some(failure(request, "inspection failed"));
            };
            InspectReply {
                found: found.is_some(),
                data: found.map(|text| Media::new(vec![MediaType::Plain(text)])).unwrap_or_default(),
                metadata: Default::default(),
                status: ReplyStatus::Ok,
                error: None,
            }
            .into()
        }
        JupyterMessageContent::IsCompleteRequest(req) => {
            let (done, answer) = oneshot::channel();
            let job = Job::IsComplete { code: req.code.clone(), done };
            let verdict = if evaluator.send(job) { answer.await.ok() } else { None };
            match verdict {
                Some(Completeness::Complete) => IsCompleteReply::new(IsCompleteReplyStatus::Complete, String::new()),
                Some(Completeness::Incomplete) => {
                    IsCompleteReply::new(IsCompleteReplyStatus::Incomplete, String::new())
                }
                Some(Completeness::Invalid) => IsCompleteReply::new(IsCompleteReplyStatus::Invalid, String::new()),
                None => IsCompleteReply::new(IsCompleteReplyStatus::Unknown, String::new()),
            }
            .into()
        }
        JupyterMessageContent::HistoryRequest(req) => HistoryReply::new(history.answer(req)).into(),
        JupyterMessageContent::CommInfoRequest(_) => CommInfoReply::default().into(),
        JupyterMessageContent::CommOpen(open) => {
            // No comm targets: the protocol's answer is to close it at once.
            kernel.publish(CommClose { comm_id: open.comm_id.clone(), data: Default::default() }, request);
            return None;
        }
        JupyterMessageContent::CommMsg(_) | JupyterMessageContent::CommClose(_) => return None,
        JupyterMessageContent::ShutdownRequest(req) => {
            ShutdownReply { restart: req.restart, status: ReplyStatus::Ok, error: None }.into()
        }
        other => {
            log(&format!("ignored a {} on shell", other.message_type()));
            return None;
        }
    };
    Some(reply(content, request))
}

/// An error reply to a request that could not be answered.
fn failure(request: &JupyterMessage, what: &str) -> JupyterMessage {
    error_reply(request, what).unwrap_or_else(|| reply(ShutdownReply::default(), request))
}

/// The error reply of a request's type (for the requests whose replies have a status).
fn error_reply(request: &JupyterMessage, what: &str) -> Option<JupyterMessage> {
    let error = Some(Box::new(ReplyError {
        ename: "BadRequest".to_string(),
        evalue: what.to_string(),
        traceback: vec![format!("BadRequest: {what}")],
    }));
    let status = ReplyStatus::Error;
    let content: JupyterMessageContent = match request.header.msg_type.as_str() {
        "execute_request" => ExecuteReply {
            status,
            execution_count: ExecutionCount::new(0),
            payload: Vec::new(),
            user_expressions: Some(Default::default()),
            error,
        }
        .into(),
        "complete_request" => CompleteReply { status, error, ..Default::default() }.into(),
        "inspect_request" => InspectReply { status, error, ..Default::default() }.into(),
        "history_request" => HistoryReply { status, error, ..Default::default() }.into(),
        "comm_info_request" => CommInfoReply { status, error, ..Default::default() }.into(),
        "kernel_info_request" => kernel_info().into(),
        _ => return None,
    };
    Some(reply(content, request))
}

async fn send<S: SocketSend>(
    connection: &mut jupyter_zmq_client::Connection<S>,
    message: JupyterMessage,
    channel: &str,
) {
    if let Err(e) = connection.send(message).await {
        log(&format!("{channel} send error: {e}"));
    }
}

fn kernel_info() -> KernelInfoReply {
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: PROTOCOL_VERSION.to_string(),
        implementation: "kubesim".to_string(),
        implementation_version: env!("CARGO_PKG_VERSION").to_string(),
        language_info: LanguageInfo {
            name: "rhai".to_string(),
            version: stdlib::RHAI_VERSION.to_string(),
            mimetype: Some("text/x-rhai".to_string()),
            file_extension: Some(".rhai".to_string()),
            // Rhai reads much like Rust; neither Pygments nor CodeMirror knows Rhai itself.
            pygments_lexer: Some("rust".to_string()),
            codemirror_mode: Some(CodeMirrorMode::Simple("rust".to_string())),
            nbconvert_exporter: None,
        },
        banner: format!(
            "kubesim {} — a Kubernetes cluster on a simulated clock. help() lists the functions; \
             cells starting with kubectl run kubectl, YAML cells are applied.",
            env!("CARGO_PKG_VERSION")
        ),
        help_links: vec![
            HelpLink { text: "Rhai language".to_string(), url: "https://rhai.rs/book/".to_string() },
            HelpLink { text: "Kubernetes documentation".to_string(), url: "https://kubernetes.io/docs/".to_string() },
        ],
        debugger: false,
        error: None,
    }
}
