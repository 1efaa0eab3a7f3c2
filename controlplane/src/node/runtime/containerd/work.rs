//! The CPU a server spends on requests: each takes its cost at the container's CPU limit (a
//! whole core without one), one after another, so a stream of requests is slowed to what the
//! limit allows, and what the container used over the last window is what the metrics show.

use std::collections::VecDeque;

use chrono::Duration;

use crate::node::runtime::cri::Time;

/// How far back usage is averaged: metrics-server's resolution.
const WINDOW_SECONDS: i64 = 15;

/// The times the server was busy lately, oldest first, adjacent spans merged; with the speed
/// (millicores) it ran at.
#[derive(Debug, Clone, Default)]
pub struct Work {
    busy: VecDeque<(Time, Time)>,
    speed: i64,
}

impl Work {
    /// A request at `now` that costs `cpu` of one core: it runs after those before it, at the
    /// limit's speed. How long until its answer.
    pub fn serve(&mut self, now: Time, cpu: Duration, limit: Option<i64>) -> Duration {
        self.speed = limit.unwrap_or(1000).clamp(1, 1000);
        let start = self.busy.back().map_or(now, |b| b.1.max(now));
        let micros = cpu.num_microseconds().unwrap_or(0).saturating_mul(1000) / self.speed;
        let end = start + Duration::microseconds(micros);
        match self.busy.back_mut() {
            Some(last) if last.1 == start => last.1 = end,
            _ => self.busy.push_back((start, end)),
        }
        let horizon = now - Duration::seconds(WINDOW_SECONDS);
        while self.busy.front().is_some_and(|b| b.1 <= horizon) {
            self.busy.pop_front();
        }
        end - now
    }

    /// The millicores used on average over the window up to `now`.
    pub fn millicpu(&self, now: Time) -> i64 {
        let from = now - Duration::seconds(WINDOW_SECONDS);
        let busy: i64 = self
            .busy
            .iter()
            .map(|(s, e)| ((*e).min(now) - (*s).max(from)).num_microseconds().unwrap_or(0).max(0))
            .sum();
        busy.saturating_mul(self.speed) / (WINDOW_SECONDS * 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_queue_at_the_limit_and_usage_is_the_windows_average() {
        let t0 = Time::from_timestamp(1_735_689_600, 0).unwrap_or_default();
        let mut w = Work::default();
        let cost = Duration::milliseconds(40);
        // At 500m a 40ms request takes 80ms; a second one at once waits for the first.
        assert_eq!(w.serve(t0, cost, Some(500)), Duration::milliseconds(80));
        assert_eq!(w.serve(t0, cost, Some(500)), Duration::milliseconds(160));
        // Busy 160ms of the last 15s at 500m.
        assert_eq!(w.millicpu(t0 + Duration::seconds(1)), 160 * 500 / 15_000);
        // Busy all the time: the limit.
        let mut t = t0;
        for _ in 0..400 {
            t = t + w.serve(t, cost, Some(500));
        }
        assert_eq!(w.millicpu(t), 500);
        assert!(w.busy.len() <= 2, "adjacent spans merge");
        // Idle for a window: nothing.
        assert_eq!(w.millicpu(t + Duration::seconds(15)), 0);
    }
}
