//! The shell loop: one request at a time, answered by the evaluation thread (execute,
//! complete, inspect, is_complete) or here (kernel_info, history, comm_info). After a failed
//! cell, the requests already queued behind it are aborted, as ipykernel does.

use std::time::Duration;

use jupyter_protocol::{
    CodeMirrorMode, CommClose, CommInfoReply, CompleteReply, ExecuteReply, ExecutionCount, HelpLink, HistoryReply,
    InspectReply, IsCompleteReply, IsCompleteReplyStatus, JupyterMessage, JupyterMessageContent, KernelInfoReply,
    LanguageInfo, Media, MediaType, ReplyError, ReplyStatus, ShutdownReply,
};
use jupyter_zmq_client::KernelShellConnection;
use stdlib::Completeness;
use tokio::sync::oneshot;

use super::{next_request, reply, send, Kernel};
use crate::evaluator::{Cell, Evaluator, Job};
use crate::history::History;
use crate::wire::{self, log, Incoming};

/// How long a request already sent may take to come off the socket when looking for the
/// ones queued behind a failed cell.
const QUEUED_WAIT: Duration = Duration::from_millis(1);

/// The Jupyter protocol version spoken.
const PROTOCOL_VERSION: &str = "5.3";

pub(super) async fn shell_loop(mut shell: KernelShellConnection, kernel: Kernel, mut history: History) {
    loop {
        let Some(request) = next_request(&mut shell, "shell", &kernel).await else { continue };
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
                allow_stdin: req.allow_stdin,
                user_expressions: sorted(req.user_expressions.as_ref()),
                parent: request.clone(),
            };
            let Some(executed) = ask(evaluator, |done| Job::Execute(Box::new(cell), done)).await else {
                return error_reply(request, "the evaluation thread has stopped");
            };
            if req.store_history && !req.silent {
                history.record(executed.count, &req.code, executed.result.as_deref());
            }
            ExecuteReply {
                status: if executed.error.is_some() { ReplyStatus::Error } else { ReplyStatus::Ok },
                execution_count: ExecutionCount::new(executed.count),
                payload: executed.payload,
                // Never null, which fails the message schema: an empty object at least.
                user_expressions: Some(executed.user_expressions),
                error: executed.error.map(Box::new),
            }
            .into()
        }
        JupyterMessageContent::CompleteRequest(req) => {
            let job = |done| Job::Complete { code: req.code.clone(), cursor: req.cursor_pos, done };
            let Some(c) = ask(evaluator, job).await else { return error_reply(request, "completion failed") };
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
            let job = |done| Job::Inspect { code: req.code.clone(), cursor: req.cursor_pos, done };
            let Some(found) = ask(evaluator, job).await else { return error_reply(request, "inspection failed") };
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
            let status = match ask(evaluator, |done| Job::IsComplete { code: req.code.clone(), done }).await {
                Some(Completeness::Complete) => IsCompleteReplyStatus::Complete,
                Some(Completeness::Incomplete) => IsCompleteReplyStatus::Incomplete,
                Some(Completeness::Invalid) => IsCompleteReplyStatus::Invalid,
                None => IsCompleteReplyStatus::Unknown,
            };
            IsCompleteReply::new(status, String::new()).into()
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

/// The request's user expressions in name order, so they run in the same order every time.
fn sorted(expressions: Option<&std::collections::HashMap<String, String>>) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> =
        expressions.into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
    all.sort();
    all
}

/// Hand a job to the evaluation thread and wait for its answer (None if the thread is gone
/// or dropped the job).
async fn ask<T>(evaluator: &Evaluator, job: impl FnOnce(oneshot::Sender<T>) -> Job) -> Option<T> {
    let (done, answer) = oneshot::channel();
    if !evaluator.send(job(done)) {
        return None;
    }
    answer.await.ok()
}

/// The error reply of a request's type (for the requests whose replies have a status).
pub(super) fn error_reply(request: &JupyterMessage, what: &str) -> Option<JupyterMessage> {
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

pub(super) fn kernel_info() -> KernelInfoReply {
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
