//! What the scheduler decided for a pod, and why: each node's Filter verdict (the plugin that
//! rejected it, with its reason) and each feasible node's score per plugin. The last
//! [`KEEP`] decisions are kept exactly as they were made; `explain_schedule` and
//! `kubectl describe pod` render them as text tables.

use std::collections::VecDeque;
use std::fmt::Write;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::cache::Cache;
use super::framework::{PodInfo, Status};
use super::profile::SCHEDULER_NAME;
use crate::model::Object;

/// How many recent decisions are kept.
pub const KEEP: usize = 1000;

/// One evaluation of a pod against the nodes.
#[derive(Default)]
pub struct Evaluation {
    /// The nodes checked, in order (stable node indices, see [`Cache::name_of`]).
    pub checked: Vec<u32>,
    /// Positions (in the cache's node order) of the nodes that passed.
    pub feasible: Vec<usize>,
    /// Positions and statuses of the nodes that did not, with the plugin that rejected each.
    pub statuses: Vec<(usize, Status)>,
    pub rejectors: Vec<&'static str>,
    /// Per Score plugin that ran: name, weight, normalized scores (in `feasible` order).
    pub scores: Vec<(&'static str, i64, Vec<i64>)>,
    pub totals: Vec<i64>,
    pub processed: usize,
    pub pre_filter_failure: Option<(&'static str, Status)>,
}

impl Evaluation {
    /// The feasible node with the highest total (the first among equals).
    pub fn best(&self) -> Option<usize> {
        if self.totals.is_empty() {
            return self.feasible.first().copied();
        }
        let mut best = 0;
        for i in 1..self.totals.len() {
            if self.totals[i] > self.totals[best] {
                best = i;
            }
        }
        Some(self.feasible[best])
    }
}

pub struct Decision {
    pub key: String,
    pub uid: String,
    pub time: DateTime<Utc>,
    pub attempt: u32,
    pub num_nodes: usize,
    /// Nodes checked, in order, and the rejected ones with plugin and status.
    pub checked: Vec<u32>,
    pub rejected: Vec<(u32, &'static str, Status)>,
    pub feasible: Vec<u32>,
    pub scores: Vec<(&'static str, i64, Vec<i64>)>,
    pub totals: Vec<i64>,
    pub chosen: Option<u32>,
    /// The FailedScheduling message when no node was chosen.
    pub message: String,
    /// Computed on request against the current cluster rather than recorded.
    pub computed_now: bool,
    /// What preemption did, when it nominated a node.
    pub preemption: String,
}

impl Decision {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        pod: &PodInfo,
        time: DateTime<Utc>,
        attempt: u32,
        cache: &Cache,
        eval: Evaluation,
        chosen: Option<usize>,
        message: String,
    ) -> Decision {
        let rejected = eval
            .statuses
            .into_iter()
            .zip(eval.rejectors)
            .map(|((pos, status), plugin)| (cache.index_at(pos), plugin, status))
            .collect();
        Decision {
            key: pod.key.clone(),
            uid: pod.uid.clone(),
            time,
            attempt,
            num_nodes: cache.num_nodes(),
            checked: eval.checked,
            rejected,
            feasible: eval.feasible.iter().map(|&p| cache.index_at(p)).collect(),
            scores: eval.scores,
            totals: eval.totals,
            chosen: chosen.map(|p| cache.index_at(p)),
            message,
            computed_now: false,
            preemption: String::new(),
        }
    }

    /// The decision as text: a heading, the Filter table, the Score table.
    pub fn render(&self, cache: &Cache) -> String {
        let mut out = String::new();
        let source = if self.computed_now {
            "no recorded decision; computed now against the current cluster, without this pod's own placement"
                .to_string()
        } else {
            format!("recorded at {}, attempt {}", self.time.format("%Y-%m-%dT%H:%M:%SZ"), self.attempt)
        };
        let _ = writeln!(out, "Pod {} ({source})", self.key);
        match self.chosen {
            Some(n) if self.computed_now => {
                let _ = writeln!(out, "Would be scheduled to: {}", cache.name_of(n));
            }
            Some(n) => {
                let _ = writeln!(out, "Scheduled to: {}", cache.name_of(n));
            }
            None => {
                let _ = writeln!(out, "Not scheduled: {}", self.message);
            }
        }
        if !self.preemption.is_empty() {
            let _ = writeln!(out, "Preemption: {}", self.preemption);
        }
        let _ = writeln!(out, "Filter ({} of {} nodes checked):", self.checked.len(), self.num_nodes);
        let mut rows = vec![vec!["NODE".to_string(), "RESULT".to_string()]];
        for &node in &self.checked {
            let v = match self.rejected.iter().find(|(n, _, _)| *n == node) {
                None => "passed".to_string(),
                Some((_, plugin, status)) => format!("{plugin}: {}", status.message()),
            };
            rows.push(vec![cache.name_of(node).to_string(), v]);
        }
        table(&mut out, &rows);
        if self.feasible.len() > 1 && !self.scores.is_empty() {
            let _ = writeln!(out, "Score (normalized score × weight):");
            let mut header = vec!["NODE".to_string()];
            header.extend(self.scores.iter().map(|(name, w, _)| format!("{name}(×{w})")));
            header.push("TOTAL".into());
            let mut rows = vec![header];
            for (i, &node) in self.feasible.iter().enumerate() {
                let mut row = vec![cache.name_of(node).to_string()];
                row.extend(self.scores.iter().map(|(_, w, s)| (s[i] * w).to_string()));
                row.push(self.totals.get(i).map(|t| t.to_string()).unwrap_or_default());
                rows.push(row);
            }
            table(&mut out, &rows);
        } else if self.feasible.len() == 1 {
            let _ = writeln!(out, "Score: not run (one feasible node)");
        }
        out
    }
}

/// Left-aligned columns, three spaces apart.
fn table(out: &mut String, rows: &[Vec<String>]) {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..cols).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    for row in rows {
        let mut line = String::from("  ");
        for (c, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < row.len() {
                line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 3));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// The last `keep` decisions.
pub struct Decisions {
    keep: usize,
    list: VecDeque<Decision>,
}

impl Decisions {
    pub fn new(keep: usize) -> Decisions {
        Decisions { keep, list: VecDeque::new() }
    }

    pub fn push(&mut self, d: Decision) {
        if self.keep == 0 {
            return;
        }
        if self.list.len() >= self.keep {
            self.list.pop_front();
        }
        self.list.push_back(d);
    }

    /// The latest decision about the pod `key` with this uid (not an earlier pod of the same name).
    pub fn latest(&self, key: &str, uid: &str) -> Option<&Decision> {
        self.list.iter().rev().find(|d| d.key == key && d.uid == uid)
    }
}

/// The scheduler answers the API server's `pods/scheduling` subresource.
impl crate::apiserver::scheduling::SchedulerServer for super::Scheduler {
    fn decision(&self, pod: &Object) -> Option<String> {
        let key = format!("{}/{}", pod.namespace(), pod.name());
        let uid = pod.metadata().uid.clone().unwrap_or_default();
        self.decisions.latest(&key, &uid).map(|d| d.render(&self.cache))
    }

    fn explain(&mut self, pod: Arc<Object>) -> String {
        let note = match &*pod {
            Object::Pod(p) => {
                let spec = p.spec.as_ref();
                let scheduler = spec.and_then(|s| s.scheduler_name.as_deref()).unwrap_or(SCHEDULER_NAME);
                if scheduler != SCHEDULER_NAME {
                    format!(
                        "Note: this pod asks for scheduler {scheduler:?}, not {SCHEDULER_NAME}; it does not place it.\n"
                    )
                } else {
                    String::new()
                }
            }
            _ => String::new(),
        };
        let (namespace, name) = (pod.namespace().to_string(), pod.name().to_string());
        format!("{note}{}", super::Scheduler::explain(self, &namespace, &name, Some(pod)))
    }
}
