//! The simulated clock and its timer queue: the only source of time in the cluster.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Duration, Utc};

/// Where the clock starts unless told otherwise: 2025-01-01T00:00:00Z.
pub fn epoch() -> DateTime<Utc> {
    DateTime::from_timestamp(1_735_689_600, 0).expect("a valid timestamp")
}

/// A timer: at `at`, component number `component` is told `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub at: DateTime<Utc>,
    /// Order of registration: timers due at the same moment fire in the order they were set.
    pub seq: u64,
    pub component: usize,
    pub key: String,
}

/// The clock and the one timer queue.
/// Timers in time order, then in the order they were set: `seq` is unique, so the rest of a
/// timer never needs comparing (the heap compares on every push and pop).
impl Ord for Timer {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone)]
pub struct Clock {
    now: DateTime<Utc>,
    timers: BinaryHeap<Reverse<Timer>>,
    seq: u64,
}

impl Clock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Clock { now: start, timers: BinaryHeap::new(), seq: 0 }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Set a timer for `component` at `at` (a moment in the past fires at once).
    pub fn set_timer(&mut self, at: DateTime<Utc>, component: usize, key: String) {
        self.seq += 1;
        self.timers.push(Reverse(Timer { at: at.max(self.now), seq: self.seq, component, key }));
    }

    /// When the next timer is due.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.timers.peek().map(|t| t.0.at)
    }

    pub fn pending(&self) -> usize {
        self.timers.len()
    }

    /// Move the clock forward to `t` (never backward).
    pub fn move_to(&mut self, t: DateTime<Utc>) {
        if t > self.now {
            self.now = t;
        }
    }

    /// Remove and return the timers due now, in order.
    pub fn take_due(&mut self) -> Vec<Timer> {
        let mut due = Vec::new();
        while self.timers.peek().is_some_and(|t| t.0.at <= self.now) {
            due.push(self.timers.pop().expect("peeked").0);
        }
        due
    }
}

/// The longest duration accepted: about 3,000 years, far inside the calendar's range.
pub const MAX_SECONDS: f64 = 1e11;

/// Parse a duration as scripts write it: `90s`, `5m`, `1h30m`, `2d`, `500ms`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = s.parse::<f64>() {
        return seconds(secs);
    }
    let mut total_ms: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_end == 0 {
            return Err(format!("invalid duration {s:?}: expected a number at {rest:?}"));
        }
        let n: f64 = rest[..num_end].parse().map_err(|_| format!("invalid duration {s:?}"))?;
        rest = &rest[num_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit_ms = match &rest[..unit_end] {
            "ms" => 1.0,
            "s" => 1_000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "d" => 86_400_000.0,
            "" => return Err(format!("invalid duration {s:?}: missing unit (ms, s, m, h, d)")),
            u => return Err(format!("invalid duration {s:?}: unknown unit {u:?} (ms, s, m, h, d)")),
        };
        rest = &rest[unit_end..];
        total_ms = total_ms.saturating_add((n * unit_ms).round() as i64);
    }
    if total_ms > MAX_SECONDS as i64 * 1000 {
        return Err(format!("invalid duration {s:?}: too long (at most {MAX_SECONDS} seconds)"));
    }
    Ok(Duration::milliseconds(total_ms))
}

/// A duration from a number of seconds.
pub fn seconds(secs: f64) -> Result<Duration, String> {
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("invalid duration {secs}: must be a non-negative number of seconds"));
    }
    if secs > MAX_SECONDS {
        return Err(format!("invalid duration {secs}: too long (at most {MAX_SECONDS} seconds)"));
    }
    Ok(Duration::milliseconds((secs * 1000.0).round() as i64))
}

/// Go's `time.Duration.String()`, to the millisecond: `0s`, `500ms`, `12s`, `1.5s`, `1m30s`,
/// `1h0m0s`, as kubectl and the kubelet print durations.
pub fn go_duration(d: Duration) -> String {
    let ms = d.num_milliseconds();
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let secs = if frac == 0 { format!("{s}s") } else { format!("{s}.{}s", format!("{frac:03}").trim_end_matches('0')) };
    match (h, m) {
        (0, 0) => secs,
        (0, m) => format!("{m}m{secs}"),
        (h, m) => format!("{h}h{m}m{secs}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let check = |s: &str, ms: Result<i64, ()>| {
            assert_eq!(parse_duration(s).map(|d| d.num_milliseconds()).map_err(|_| ()), ms, "{s}")
        };
        check("90s", Ok(90_000));
        check("5m", Ok(300_000));
        check("1h30m", Ok(5_400_000));
        check("2d", Ok(172_800_000));
        check("500ms", Ok(500));
        check("1.5s", Ok(1_500));
        check("30", Ok(30_000));
        check("", Err(()));
        check("5x", Err(()));
        check("-5", Err(()));
        check("m", Err(()));
        check("999999999999999d", Err(()));
        check("100000000000000", Err(()));
    }

    #[test]
    fn timers_fire_in_order() {
        let mut c = Clock::new(epoch());
        c.set_timer(epoch() + Duration::seconds(5), 1, "b".into());
        c.set_timer(epoch() + Duration::seconds(5), 0, "a".into());
        c.set_timer(epoch() + Duration::seconds(1), 2, "first".into());
        assert_eq!(c.next_due(), Some(epoch() + Duration::seconds(1)));
        assert!(c.take_due().is_empty());
        c.move_to(epoch() + Duration::seconds(5));
        let keys: Vec<_> = c.take_due().into_iter().map(|t| t.key).collect();
        assert_eq!(keys, ["first", "b", "a"], "due timers fire by time, then by registration order");
    }

    #[test]
    fn go_durations() {
        let f = |ms| go_duration(Duration::milliseconds(ms));
        assert_eq!([f(10_000), f(300_000), f(500), f(90_000), f(2_500)], ["10s", "5m0s", "500ms", "1m30s", "2.5s"]);
    }
}
