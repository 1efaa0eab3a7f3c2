//! The component that fills the [`History`] from watch events.

use chrono::{DateTime, Utc};

use super::{sample, History};
use crate::apiserver::{WatchEvent, WatchEventType};
use crate::model::Kind;
use crate::sim::component::{Component, Ctx};

/// Records object histories. It only watches: it never writes, so it changes nothing the
/// cluster does.
#[derive(Debug, Default)]
pub struct Recorder {
    history: History,
    /// Events delivered but not yet recorded. Events carry no time, so they are stamped in
    /// `run`, which the cluster calls at the same moment as the delivery.
    pending: Vec<WatchEvent>,
}

impl Recorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Record the delivered events as changes made at `now`.
    pub fn flush(&mut self, now: DateTime<Utc>) {
        for e in self.pending.drain(..) {
            match e.event_type {
                WatchEventType::Added | WatchEventType::Modified => self.history.written(now, &e.object),
                WatchEventType::Deleted => self.history.deleted(now, &e.object),
            }
        }
    }

    pub fn history(&self) -> &History {
        &self.history
    }
}

impl Component for Recorder {
    fn name(&self) -> &str {
        "history-recorder"
    }

    fn watches(&self) -> &[Kind] {
        sample::KINDS
    }

    fn on_event(&mut self, event: &WatchEvent, _: Option<&crate::model::Object>, _: &crate::controllers::Informers) {
        self.pending.push(event.clone());
    }

    fn on_timer(&mut self, _key: &str) {}

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        self.flush(ctx.now());
        // Recording is not work that others could react to.
        false
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}
