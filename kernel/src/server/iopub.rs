//! The IOPub loop: everything the other loops and the evaluation thread publish goes through
//! one queue, in order; printed text is gathered for a moment; each new subscriber gets
//! `iopub_welcome` (JEP 65), so no output is lost to a client that subscribed late.

use std::sync::Arc;
use std::time::Duration;

use jupyter_protocol::{IoPubWelcome, JupyterMessage, StreamContent};
use jupyter_zmq_client::{KernelIoPubXPubConnection, SubscriptionEvent};
use tokio::sync::{mpsc, oneshot};

use super::child;
use crate::wire::log;

/// What the IOPub loop is asked to do.
pub enum Publish {
    Message(Box<JupyterMessage>),
    /// Printed text of the cell `parent`: gathered for a moment with the text that follows it
    /// on the same stream, so a loop of prints is not a message per line.
    Text {
        parent: Arc<JupyterMessage>,
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
    parent: Arc<JupyterMessage>,
    stderr: bool,
    text: String,
    deadline: tokio::time::Instant,
}

/// Sends what the other loops publish, in order, and welcomes each new subscriber.
pub(super) async fn iopub_loop(mut iopub: KernelIoPubXPubConnection, mut queue: mpsc::UnboundedReceiver<Publish>) {
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
                        Some(p) if p.stderr == stderr && Arc::ptr_eq(&p.parent, &parent) => {
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
