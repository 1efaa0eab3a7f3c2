//! The kernel's sockets and their loops: heartbeat, stdin, control (kernel_info, interrupt,
//! shutdown) here; IOPub and shell in their own files. No read or send error ends a loop: it
//! is logged and the loop goes on.

mod iopub;
mod shell;

use std::path::Path;
use std::time::Duration;

pub use iopub::Publish;

use jupyter_protocol::{
    ConnectionInfo, InterruptReply, JupyterMessage, JupyterMessageContent, ReplyStatus, ShutdownReply, Status,
};
use jupyter_zmq_client::{
    create_kernel_control_connection, create_kernel_heartbeat_connection, create_kernel_iopub_xpub_connection,
    create_kernel_shell_connection, create_kernel_stdin_connection, Connection, KernelControlConnection,
    KernelHeartbeatConnection,
};
use stdlib::SessionOptions;
use tokio::sync::{mpsc, oneshot};
use zeromq::{SocketRecv, SocketSend};

use crate::evaluator::{Evaluator, StdinEvent, StdinLink, EVENTS};
use crate::history::History;
use crate::wire::{self, log, Incoming};
use crate::KernelError;

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
    let (requests, asked) = mpsc::unbounded_channel();
    let (events, replies) = std::sync::mpsc::sync_channel(EVENTS);
    let link = StdinLink { requests, events: replies };
    let evaluator = std::rc::Rc::new(Evaluator::start(options, publish.clone(), link, events.clone()));
    let (shutdown, shutdown_requested) = mpsc::unbounded_channel::<()>();

    let local = tokio::task::LocalSet::new();
    local.spawn_local(heartbeat_loop(heartbeat));
    local.spawn_local(iopub::iopub_loop(iopub, queue));
    local.spawn_local(stdin_loop(stdin, asked, events));
    let kernel = Kernel { publish: publish.clone(), evaluator: evaluator.clone(), shutdown: shutdown.clone() };
    local.spawn_local(control_loop(control, kernel.clone()));
    local.spawn_local(shell::shell_loop(shell, kernel, History::default()));
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

/// A reply to `request` on its own socket (routed back to the client that sent it), or an
/// input request on stdin for the client of an execute request.
pub(crate) fn reply(content: impl Into<JupyterMessageContent>, request: &JupyterMessage) -> JupyterMessage {
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

/// Sends the evaluation thread's input requests (`kubectl exec -it` in a cell) and hands the
/// replies back, with the id of the request each answers.
async fn stdin_loop(
    mut stdin: jupyter_zmq_client::KernelStdinConnection,
    mut requests: mpsc::UnboundedReceiver<JupyterMessage>,
    replies: std::sync::mpsc::SyncSender<StdinEvent>,
) {
    let mut asking = true;
    loop {
        tokio::select! {
            request = requests.recv(), if asking => match request {
                Some(request) => send(&mut stdin, request, "stdin").await,
                // The evaluation thread is gone; the socket is still served.
                None => asking = false,
            },
            incoming = wire::read(&mut stdin, "stdin") => {
                let Incoming::Message(message) = incoming else { continue };
                match &message.content {
                    JupyterMessageContent::InputReply(answer) => {
                        let request = message.parent_header.as_ref().map(|h| h.msg_id.clone()).unwrap_or_default();
                        let reply = StdinEvent::Reply { request, value: answer.value.clone() };
                        if replies.try_send(reply).is_err() {
                            log("dropped an input_reply: too many are waiting");
                        }
                    }
                    other => log(&format!("ignored a {} on stdin", other.message_type())),
                }
            }
        }
    }
}

async fn control_loop(mut control: KernelControlConnection, kernel: Kernel) {
    loop {
        let Some(request) = next_request(&mut control, "control", &kernel).await else { continue };
        kernel.status(true, &request);
        match &request.content {
            JupyterMessageContent::KernelInfoRequest(_) => {
                send(&mut control, reply(shell::kernel_info(), &request), "control").await;
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

/// The next request on a socket. A request whose content does not parse is answered here
/// (an error reply, between busy and idle); what cannot be read at all is dropped.
async fn next_request<S: SocketRecv + SocketSend>(
    connection: &mut Connection<S>,
    channel: &str,
    kernel: &Kernel,
) -> Option<Box<JupyterMessage>> {
    match wire::read(connection, channel).await {
        Incoming::Message(message) => Some(message),
        Incoming::Malformed { parent, error } => {
            kernel.status(true, &parent);
            if let Some(answer) = shell::error_reply(&parent, &error) {
                send(connection, answer, channel).await;
            }
            kernel.status(false, &parent);
            None
        }
        Incoming::Dropped => None,
    }
}

async fn send<S: SocketSend>(connection: &mut Connection<S>, message: JupyterMessage, channel: &str) {
    if let Err(e) = connection.send(message).await {
        log(&format!("{channel} send error: {e}"));
    }
}
