//! What a running cell shows, sent to IOPub as it happens: printed text (which the IOPub
//! loop gathers), displays, clears, and a progress display for a long move of the clock that
//! updates in place.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use controlplane::sim::Progress;
use jupyter_protocol::{ClearOutput, DisplayData, JupyterMessage, JupyterMessageContent, Transient, UpdateDisplayData};
use stdlib::{Emit, MimeBundle, Stream};
use tokio::sync::{mpsc, oneshot};

use super::media;
use crate::server::{child, Publish};

/// A move of the clock shorter than this gets no progress display.
const PROGRESS_AFTER: Duration = Duration::from_millis(300);
/// Least time between two updates of the progress display.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

pub struct Publisher {
    iopub: mpsc::UnboundedSender<Publish>,
    /// The request of the running cell (None between cells).
    /// Shared with the printed text sent for it (cloned per print otherwise).
    parent: Option<Arc<JupyterMessage>>,
    silent: bool,
    pages: Vec<String>,
    started: Instant,
    progress: Option<ProgressDisplay>,
    /// Progress displays made so far (their ids are unique in the kernel's life).
    displays: u64,
}

struct ProgressDisplay {
    id: Option<String>,
    from: DateTime<Utc>,
    target: DateTime<Utc>,
    now: DateTime<Utc>,
    began: Instant,
    updated: Instant,
}

impl Publisher {
    pub fn new(iopub: mpsc::UnboundedSender<Publish>) -> Publisher {
        Publisher {
            iopub,
            parent: None,
            silent: false,
            pages: Vec::new(),
            started: Instant::now(),
            progress: None,
            displays: 0,
        }
    }

    /// A cell starts.
    pub fn begin(&mut self, parent: &JupyterMessage, silent: bool) {
        self.parent = Some(Arc::new(parent.clone()));
        self.silent = silent;
        self.pages.clear();
        self.started = Instant::now();
        self.progress = None;
    }

    /// Send `content` to IOPub as a child of the cell's request.
    pub fn send(&mut self, content: JupyterMessageContent) {
        if let Some(parent) = &self.parent {
            let _ = self.iopub.send(Publish::Message(Box::new(child(content, parent))));
        }
    }

    pub fn emit(&mut self, emit: Emit<'_>) {
        match emit {
            Emit::Text(Stream::Clear, _) => {
                if !self.silent {
                    self.send(ClearOutput { wait: false }.into());
                }
            }
            Emit::Text(stream, text) => self.text(stream, text),
            Emit::Display(bundle) => {
                if !self.silent {
                    self.send(DisplayData::new(media(bundle)).into());
                }
            }
            Emit::Page(text) => self.pages.push(text.to_string()),
        }
    }

    fn text(&mut self, stream: Stream, text: &str) {
        if self.silent || text.is_empty() {
            return;
        }
        if let Some(parent) = &self.parent {
            let parent = parent.clone();
            let _ = self.iopub.send(Publish::Text { parent, stderr: stream == Stream::Stderr, text: text.to_string() });
        }
    }

    /// A long `advance` or `run_until` has got this far.
    pub fn progress(&mut self, p: &Progress) {
        if self.silent {
            return;
        }
        let now = Instant::now();
        let same = self.progress.as_ref().is_some_and(|d| d.target == p.target && d.from == p.from);
        if !same {
            // A new move of the clock: the one before it has reached its target.
            if let Some(ProgressDisplay { id: Some(id), from, target, .. }) = self.progress.take() {
                let bundle = progress_bundle(from, target, target);
                self.send(UpdateDisplayData::new(media(&bundle), &id).into());
            }
        }
        let display = match &mut self.progress {
            Some(d) if same => d,
            _ => self.progress.insert(ProgressDisplay {
                id: None,
                from: p.from,
                target: p.target,
                now: p.now,
                began: now,
                updated: now,
            }),
        };
        display.now = p.now;
        if now.duration_since(display.began) < PROGRESS_AFTER || now.duration_since(display.updated) < PROGRESS_EVERY {
            return;
        }
        display.updated = now;
        let bundle = progress_bundle(display.from, display.now, display.target);
        match display.id.clone() {
            Some(id) => self.send(UpdateDisplayData::new(media(&bundle), &id).into()),
            None => {
                self.displays += 1;
                let id = format!("kubesim-progress-{}", self.displays);
                self.progress.as_mut().expect("set above").id = Some(id.clone());
                let mut data = DisplayData::new(media(&bundle));
                data.transient = Some(Transient { display_id: Some(id) });
                self.send(data.into());
            }
        }
    }

    /// The cell's code has run: send the rest of its text, and leave the progress display
    /// (if there was one) showing where the clock stopped.
    pub fn finish(&mut self, now: DateTime<Utc>) {
        if let Some(ProgressDisplay { id: Some(id), from, target, .. }) = self.progress.take() {
            let bundle = progress_bundle(from, now.min(target), target);
            self.send(UpdateDisplayData::new(media(&bundle), &id).into());
        }
    }

    /// Wait until everything published so far has gone out on IOPub, gathered text too (before
    /// an input request, so the notebook shows the output and then the input box).
    pub fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.iopub.send(Publish::Flush(done)).is_ok() {
            // An error is an IOPub loop gone: nothing left to wait for.
            let _ = flushed.blocking_recv();
        }
    }

    /// `help()` pages shown by the cell.
    pub fn pages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.pages)
    }

    /// The cell is over.
    pub fn end(&mut self) {
        self.parent = None;
    }

    /// A bug stopped the cell.
    pub fn abandon(&mut self) {
        self.progress = None;
    }
}

/// Where a move of the clock has got: a bar in text and in HTML.
fn progress_bundle(from: DateTime<Utc>, now: DateTime<Utc>, target: DateTime<Utc>) -> MimeBundle {
    let total = (target - from).num_milliseconds().max(1) as f64;
    let done = ((now - from).num_milliseconds().max(0) as f64 / total).min(1.0);
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let filled = (done * 30.0).round() as usize;
    let text = format!(
        "[{}{}] {:>3}% {} of {}",
        "#".repeat(filled),
        ".".repeat(30 - filled),
        (done * 100.0).round(),
        time(now),
        time(target)
    );
    let html = format!(
        "<div class=\"kubesim-progress\"><progress value=\"{:.3}\" max=\"1\" style=\"width:20em\"></progress> \
         <code>{}</code> of <code>{}</code></div>",
        done,
        time(now),
        time(target)
    );
    MimeBundle { text, html: Some(html), svg: None }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn progress_reads_simulated_time() {
        let t = |s: i64| Utc.timestamp_opt(1_735_689_600 + s, 0).single().expect("a time");
        let bundle = progress_bundle(t(0), t(30), t(60));
        assert_eq!(bundle.text, "[###############...............]  50% 2025-01-01T00:00:30Z of 2025-01-01T00:01:00Z");
        assert!(bundle.html.unwrap_or_default().contains("<progress value=\"0.500\""));
    }
}
