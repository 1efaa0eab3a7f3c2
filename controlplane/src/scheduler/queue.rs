//! The scheduling queue (`internal/queue.PriorityQueue`): activeQ in PrioritySort order
//! (higher priority first, then the earlier queued), backoffQ for pods that failed recently
//! (1s, doubling per attempt, at most 10s), and the unschedulable pods, which cluster events
//! move back, or which go back anyway after 5 minutes.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use crate::fasthash::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::model::Object;

pub const INITIAL_BACKOFF_SECONDS: i64 = 1;
pub const MAX_BACKOFF_SECONDS: i64 = 10;
/// `podMaxInUnschedulablePodsDuration`.
pub const MAX_UNSCHEDULABLE_SECONDS: i64 = 300;
/// How often upstream checks for pods left unschedulable too long.
pub const FLUSH_PERIOD_SECONDS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    Active,
    Backoff,
    Unschedulable,
    /// Popped: being scheduled now.
    InFlight,
}

pub struct Entry {
    pub pod: Arc<Object>,
    pub attempts: u32,
    pub place: Where,
    /// Order within the same priority: the moment it was (re)queued, as a sequence number.
    seq: u64,
    priority: i32,
    /// When the last attempt failed (for the backoff).
    pub failed_at: Option<DateTime<Utc>>,
    /// The plugins that rejected the pod on its last attempt (by name).
    pub rejected_by: Vec<&'static str>,
    /// Bumped at each move, so a stale timer for an earlier place is ignored.
    pub generation: u64,
}

#[derive(Default)]
pub struct Queue {
    active: BTreeSet<(Reverse<i32>, u64, String)>,
    entries: HashMap<String, Entry>,
    /// The keys of `entries` whose place is `Unschedulable`, in key order: cluster events scan
    /// only these, not every queued pod (upstream's `unschedulablePods`).
    unschedulable: BTreeSet<String>,
    seq: u64,
}

/// A timer the scheduler should set: after `delay`, `key`.
pub struct Timer {
    pub delay: Duration,
    pub key: String,
}

fn priority(pod: &Object) -> i32 {
    match pod {
        Object::Pod(p) => p.spec.as_ref().and_then(|s| s.priority).unwrap_or(0),
        _ => 0,
    }
}

impl Queue {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    fn activate(&mut self, key: &str) {
        self.seq += 1;
        let seq = self.seq;
        if let Some(e) = self.entries.get_mut(key) {
            if e.place == Where::Unschedulable {
                self.unschedulable.remove(key);
            }
            e.place = Where::Active;
            e.seq = seq;
            e.generation += 1;
            self.active.insert((Reverse(e.priority), seq, key.to_string()));
        }
    }

    fn deactivate(&mut self, key: &str) {
        if let Some(e) = self.entries.get(key) {
            if e.place == Where::Active {
                self.active.remove(&(Reverse(e.priority), e.seq, key.to_string()));
            }
        }
    }

    /// A new pending pod, or a newer version of one already queued.
    pub fn add_or_update(&mut self, key: &str, pod: Arc<Object>) -> bool {
        let p = priority(&pod);
        match self.entries.get_mut(key) {
            Some(e) => {
                let changed = spec_or_labels_changed(&e.pod, &pod);
                e.pod = pod;
                if e.priority != p && e.place == Where::Active {
                    let old = (Reverse(e.priority), e.seq, key.to_string());
                    e.priority = p;
                    self.active.remove(&old);
                    self.active.insert((Reverse(p), e.seq, key.to_string()));
                }
                e.priority = p;
                // A changed pod may fit now: try again (after its backoff).
                changed && e.place == Where::Unschedulable
            }
            None => {
                self.entries.insert(
                    key.to_string(),
                    Entry {
                        pod,
                        attempts: 0,
                        place: Where::Active,
                        seq: 0,
                        priority: p,
                        failed_at: None,
                        rejected_by: Vec::new(),
                        generation: 0,
                    },
                );
                self.activate(key);
                true
            }
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.deactivate(key);
        self.unschedulable.remove(key);
        self.entries.remove(key);
    }

    /// The next pod to schedule, marked in flight.
    pub fn pop(&mut self) -> Option<(String, Arc<Object>, u32)> {
        let (_, _, key) = self.active.pop_first()?;
        let e = self.entries.get_mut(&key)?;
        e.place = Where::InFlight;
        e.attempts += 1;
        Some((key, e.pod.clone(), e.attempts))
    }

    /// Done with a pod that was bound (or dropped).
    pub fn done(&mut self, key: &str) {
        if self.entries.get(key).is_some_and(|e| e.place == Where::InFlight) {
            self.entries.remove(key);
        }
    }

    fn backoff(attempts: u32) -> Duration {
        let mut d = INITIAL_BACKOFF_SECONDS;
        for _ in 1..attempts {
            d *= 2;
            if d >= MAX_BACKOFF_SECONDS {
                return Duration::seconds(MAX_BACKOFF_SECONDS);
            }
        }
        Duration::seconds(d.min(MAX_BACKOFF_SECONDS))
    }

    /// The attempt failed: the pod waits in the unschedulable pods (or in backoff, for an
    /// error) until an event moves it or the flush timer fires. Returns the timer to set.
    pub fn failed(
        &mut self,
        key: &str,
        now: DateTime<Utc>,
        rejected_by: Vec<&'static str>,
        error: bool,
    ) -> Option<Timer> {
        let e = self.entries.get_mut(key)?;
        e.failed_at = Some(now);
        e.rejected_by = rejected_by;
        e.generation += 1;
        if error {
            self.unschedulable.remove(key);
            e.place = Where::Backoff;
            return Some(Timer { delay: Self::backoff(e.attempts), key: format!("backoff {} {key}", e.generation) });
        }
        e.place = Where::Unschedulable;
        self.unschedulable.insert(key.to_string());
        // Upstream looks every 30s for pods unschedulable for more than 5 minutes.
        let due = now.timestamp() + MAX_UNSCHEDULABLE_SECONDS;
        let tick = (due / FLUSH_PERIOD_SECONDS + 1) * FLUSH_PERIOD_SECONDS;
        Some(Timer { delay: Duration::seconds(tick - now.timestamp()), key: format!("flush {} {key}", e.generation) })
    }

    /// An unschedulable pod goes back: to the active queue when its backoff is over, else to
    /// the backoff queue (with the timer to set).
    pub fn move_to_active_or_backoff(&mut self, key: &str, now: DateTime<Utc>) -> Option<Timer> {
        let e = self.entries.get_mut(key)?;
        if e.place != Where::Unschedulable {
            return None;
        }
        let until = e.failed_at.unwrap_or(now) + Self::backoff(e.attempts);
        if until > now {
            self.unschedulable.remove(key);
            e.place = Where::Backoff;
            e.generation += 1;
            return Some(Timer { delay: until - now, key: format!("backoff {} {key}", e.generation) });
        }
        self.activate(key);
        None
    }

    /// A timer fired: `backoff GEN KEY` moves a backing-off pod to active; `flush GEN KEY` an
    /// unschedulable one. Stale timers (another generation) do nothing.
    pub fn on_timer(&mut self, timer: &str) -> bool {
        let mut parts = timer.splitn(3, ' ');
        let (Some(what), Some(generation), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return false;
        };
        let Some(e) = self.entries.get(key) else { return false };
        if e.generation.to_string() != generation {
            return false;
        }
        let due = match what {
            "backoff" => e.place == Where::Backoff,
            "flush" => e.place == Where::Unschedulable,
            _ => false,
        };
        if due {
            self.activate(key);
        }
        due
    }

    /// Keys of unschedulable pods that one of `plugins` rejected (all of them when `None`), in key order.
    pub fn unschedulable(&self, plugins: Option<&[&str]>) -> Vec<String> {
        self.unschedulable
            .iter()
            .filter(|k| {
                self.entries.get(*k).is_some_and(|e| {
                    plugins.is_none_or(|ps| e.rejected_by.is_empty() || e.rejected_by.iter().any(|r| ps.contains(r)))
                })
            })
            .cloned()
            .collect()
    }
}

fn spec_or_labels_changed(old: &Object, new: &Object) -> bool {
    match (old, new) {
        (Object::Pod(a), Object::Pod(b)) => a.spec != b.spec || a.metadata.labels != b.metadata.labels,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_ten_seconds() {
        let got: Vec<i64> = (1..=6).map(|a| Queue::backoff(a).num_seconds()).collect();
        assert_eq!(got, vec![1, 2, 4, 8, 10, 10]);
    }
}
