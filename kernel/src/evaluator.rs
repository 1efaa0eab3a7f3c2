//! The evaluation thread: it owns the Session (which is not `Send`) and runs one job at a time
//! for the shell loop. While a cell runs, what it prints, displays and clears goes straight
//! to IOPub, parented to the cell's request.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use jupyter_protocol::{
    ErrorOutput, ExecuteInput, ExecuteResult, ExecutionCount, ExpressionResult, JupyterMessage, Media, MediaType,
    Payload, ReplyError, Transient,
};
use stdlib::{Completeness, Completions, Emit, MimeBundle, Session, SessionOptions};
use tokio::sync::{mpsc, oneshot};

use crate::server::Publish;
use crate::traceback;
use crate::wire::log;

mod publisher;
mod terminal;

use publisher::Publisher;
pub use terminal::{StdinEvent, StdinLink, EVENTS};

/// A cell to run.
pub struct Cell {
    pub code: String,
    pub silent: bool,
    pub store_history: bool,
    /// Whether the client answers input requests (`kubectl exec -it` reads lines then).
    pub allow_stdin: bool,
    /// Expressions to evaluate after the code, by name (the request's `user_expressions`).
    pub user_expressions: Vec<(String, String)>,
    /// The execute request: outputs are its children.
    pub parent: JupyterMessage,
}

/// How a cell ended.
pub struct Executed {
    pub count: usize,
    pub error: Option<ReplyError>,
    pub payload: Vec<Payload>,
    /// The result's text, for the history.
    pub result: Option<String>,
    pub user_expressions: HashMap<String, ExpressionResult>,
}

pub enum Job {
    Execute(Box<Cell>, oneshot::Sender<Executed>),
    Complete { code: String, cursor: usize, done: oneshot::Sender<Completions> },
    Inspect { code: String, cursor: usize, done: oneshot::Sender<Option<String>> },
    IsComplete { code: String, done: oneshot::Sender<Completeness> },
}

/// The shell loop's handle on the evaluation thread.
pub struct Evaluator {
    jobs: mpsc::UnboundedSender<Job>,
    /// The current session's interrupt flag (a new session after an internal error has a
    /// new one).
    interrupt: InterruptFlag,
    /// Wakes a cell waiting for an input reply, to look at the flag.
    wake: std::sync::mpsc::SyncSender<StdinEvent>,
}

type InterruptFlag = Arc<Mutex<Arc<AtomicBool>>>;

impl Evaluator {
    /// Start the thread. The session is made there; the shell loop does not wait for it.
    /// `stdin` is how its cells ask for input; `wake` sends to `stdin.events`.
    pub fn start(
        options: SessionOptions,
        iopub: mpsc::UnboundedSender<Publish>,
        stdin: StdinLink,
        wake: std::sync::mpsc::SyncSender<StdinEvent>,
    ) -> Evaluator {
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        let interrupt: InterruptFlag = Arc::new(Mutex::new(Arc::new(AtomicBool::new(false))));
        let flag = interrupt.clone();
        stdlib::eval_thread("kubesim-eval")
            .spawn(move || {
                let mut worker = Worker::new(options, iopub, flag, stdin);
                while let Some(job) = queue.blocking_recv() {
                    worker.run(job);
                }
            })
            .expect("spawning the evaluation thread");
        Evaluator { jobs, interrupt, wake }
    }

    /// Hand a job over; false if the thread is gone.
    pub fn send(&self, job: Job) -> bool {
        self.jobs.send(job).is_ok()
    }

    /// Stop the running cell: it ends with an error; the session and its cluster stay.
    pub fn interrupt(&self) {
        if let Ok(flag) = self.interrupt.lock() {
            flag.store(true, Ordering::Relaxed);
        }
        // After the flag: a cell waiting for input looks at it when woken. (A full queue
        // wakes it as well.)
        let _ = self.wake.try_send(StdinEvent::Wake);
    }
}

struct Worker {
    session: Session,
    options: SessionOptions,
    publisher: Rc<RefCell<Publisher>>,
    interrupt: InterruptFlag,
    stdin: Rc<StdinLink>,
    count: usize,
}

impl Worker {
    fn new(
        options: SessionOptions,
        iopub: mpsc::UnboundedSender<Publish>,
        interrupt: InterruptFlag,
        stdin: StdinLink,
    ) -> Worker {
        let publisher = Rc::new(RefCell::new(Publisher::new(iopub)));
        let session = wired_session(&options, &publisher, &interrupt);
        Worker { session, options, publisher, interrupt, stdin: Rc::new(stdin), count: 0 }
    }

    fn run(&mut self, job: Job) {
        // A bug in kubesim must not take the kernel down: the cell fails and the session
        // starts afresh (its state may be half-changed).
        match job {
            Job::Execute(cell, done) => {
                let executed = match catch_unwind(AssertUnwindSafe(|| self.execute(&cell))) {
                    Ok(executed) => executed,
                    Err(panic) => {
                        let what = panic_message(panic.as_ref());
                        self.recover(&what);
                        self.failed(&cell, &what)
                    }
                };
                let _ = done.send(executed);
            }
            other => {
                // The dropped answer tells the shell loop the request failed.
                if let Err(panic) = catch_unwind(AssertUnwindSafe(|| self.answer(other))) {
                    self.recover(&panic_message(panic.as_ref()));
                }
            }
        }
    }

    fn answer(&mut self, job: Job) {
        match job {
            Job::Execute(..) => {}
            Job::Complete { code, cursor, done } => {
                let _ = done.send(self.session.complete(&code, cursor));
            }
            Job::Inspect { code, cursor, done } => {
                let _ = done.send(self.session.inspect(&code, cursor));
            }
            Job::IsComplete { code, done } => {
                let _ = done.send(self.session.is_complete(&code));
            }
        }
    }

    fn recover(&mut self, what: &str) {
        log(&format!("internal error, the session starts afresh: {what}"));
        self.publisher.borrow_mut().abandon();
        self.session = wired_session(&self.options, &self.publisher, &self.interrupt);
    }

    /// The reply (and error output) of a cell a bug stopped.
    fn failed(&mut self, cell: &Cell, what: &str) -> Executed {
        let error = ReplyError {
            ename: "InternalError".to_string(),
            evalue: format!("kubesim hit a bug ({what}); the session has started afresh"),
            traceback: vec![format!(
                "\x1b[1;31mInternalError\x1b[0m: kubesim hit a bug ({what}); the session has started afresh"
            )],
        };
        let mut publisher = self.publisher.borrow_mut();
        if !cell.silent {
            let output = ErrorOutput {
                ename: error.ename.clone(),
                evalue: error.evalue.clone(),
                traceback: error.traceback.clone(),
            };
            publisher.send(output.into());
        }
        publisher.end();
        Executed {
            count: self.count,
            error: Some(error),
            payload: Vec::new(),
            result: None,
            user_expressions: HashMap::new(),
        }
    }

    fn execute(&mut self, cell: &Cell) -> Executed {
        let store = cell.store_history && !cell.silent;
        if store {
            self.count += 1;
        }
        let count = self.count;
        self.publisher.borrow_mut().begin(&cell.parent, cell.silent);
        if !cell.silent {
            let input = ExecuteInput { code: cell.code.clone(), execution_count: ExecutionCount::new(count) };
            self.publisher.borrow_mut().send(input.into());
        }
        self.wire_terminal(cell);
        let out = self.session.execute(&cell.code);
        self.session.set_terminal(None);
        let now = self.session.cluster().0.borrow().now();
        let mut publisher = self.publisher.borrow_mut();
        publisher.finish(now);
        let payload = publisher.pages().into_iter().map(page).collect();
        let error = out.error.as_ref().map(|e| ReplyError {
            ename: e.kind.name().to_string(),
            evalue: e.message.clone(),
            traceback: traceback::render(e, &cell.code),
        });
        if !cell.silent {
            if let Some(e) = &error {
                let output =
                    ErrorOutput { ename: e.ename.clone(), evalue: e.evalue.clone(), traceback: e.traceback.clone() };
                publisher.send(output.into());
            } else if let Some(bundle) = out.result_bundle() {
                // `transient` null fails the message schema: an empty object.
                let result = ExecuteResult {
                    execution_count: ExecutionCount::new(count),
                    data: media(&bundle),
                    metadata: Default::default(),
                    transient: Some(Transient::default()),
                };
                publisher.send(result.into());
            }
        }
        drop(publisher);
        // As ipykernel: the expressions are evaluated after code that ran without error.
        let user_expressions =
            if error.is_none() { self.user_expressions(&cell.user_expressions) } else { HashMap::new() };
        self.publisher.borrow_mut().end();
        Executed { count, error, payload, result: out.result, user_expressions }
    }

    /// The cell's terminal: the notebook's input box when the client answers input
    /// requests, else none (and a line saying so).
    fn wire_terminal(&mut self, cell: &Cell) {
        if cell.allow_stdin {
            let flag = self.session.interrupt_flag();
            let term = terminal::terminal(&cell.parent, &self.stdin, &self.publisher, flag);
            self.session.set_terminal(Some(term));
            self.session.set_no_terminal_reason(None);
        } else {
            self.session.set_terminal(None);
            self.session.set_no_terminal_reason(Some(terminal::NO_STDIN.to_string()));
        }
    }

    fn user_expressions(&mut self, expressions: &[(String, String)]) -> HashMap<String, ExpressionResult> {
        let mut results = HashMap::new();
        for (name, expression) in expressions {
            let result = match self.session.evaluate_expression(expression) {
                Ok(bundle) => ExpressionResult::Ok { data: media(&bundle), metadata: Default::default() },
                Err(e) => ExpressionResult::Error {
                    ename: e.kind.name().to_string(),
                    evalue: e.message.clone(),
                    traceback: traceback::render(&e, expression),
                },
            };
            results.insert(name.clone(), result);
        }
        results
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".to_string())
}

/// A session whose output goes to the publisher and which stops on the kernel's interrupt.
fn wired_session(options: &SessionOptions, publisher: &Rc<RefCell<Publisher>>, interrupt: &InterruptFlag) -> Session {
    let mut session = Session::new(options.clone());
    let sink = publisher.clone();
    session.set_sink(Some(Box::new(move |emit: Emit<'_>| sink.borrow_mut().emit(emit))));
    let progress = publisher.clone();
    session.set_progress(Some(Box::new(move |p| progress.borrow_mut().progress(p))));
    if let Ok(mut flag) = interrupt.lock() {
        *flag = session.interrupt_flag();
    }
    session
}

/// A mime bundle as the protocol's media.
pub fn media(bundle: &MimeBundle) -> Media {
    let mut all = vec![MediaType::Plain(bundle.text.clone())];
    if let Some(html) = &bundle.html {
        all.push(MediaType::Html(html.clone()));
    }
    if let Some(svg) = &bundle.svg {
        all.push(MediaType::Svg(svg.clone()));
    }
    Media::new(all)
}

/// `help(name)`'s text as a pager payload.
fn page(text: String) -> Payload {
    Payload::Page { data: Media::new(vec![MediaType::Plain(text)]), start: 0 }
}
