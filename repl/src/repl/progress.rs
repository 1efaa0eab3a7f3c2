//! A progress bar on stderr for an `advance` or `run_until` that takes more than half a
//! second of wall time: simulated time reached out of the target.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use controlplane::sim::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stdlib::ProgressFn;

/// Wall time a move of the clock runs before it gets a bar.
const AFTER: Duration = Duration::from_millis(500);

pub struct ProgressBars {
    /// Whether stderr is a terminal (no bar otherwise).
    enabled: bool,
    colour: bool,
    current: RefCell<Option<Current>>,
}

struct Current {
    target: DateTime<Utc>,
    since: Instant,
    bar: Option<ProgressBar>,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl ProgressBars {
    pub fn new(enabled: bool, colour: bool) -> ProgressBars {
        ProgressBars { enabled, colour, current: RefCell::new(None) }
    }

    /// The hook the session calls.
    pub fn hook(self: &Rc<Self>) -> ProgressFn {
        let bars = self.clone();
        Box::new(move |p| bars.report(p))
    }

    /// An input starts.
    pub fn start(&self) {
        self.finish();
    }

    /// The input ended: the bar goes.
    pub fn finish(&self) {
        if let Some(bar) = self.current.borrow_mut().take().and_then(|c| c.bar) {
            bar.finish_and_clear();
        }
    }

    fn report(&self, p: &Progress) {
        if !self.enabled {
            return;
        }
        let mut current = self.current.borrow_mut();
        if current.as_ref().is_none_or(|c| c.target != p.target) {
            if let Some(bar) = current.take().and_then(|c| c.bar) {
                bar.finish_and_clear();
            }
            *current = Some(Current { target: p.target, since: Instant::now(), bar: None });
        }
        let Some(c) = current.as_mut() else { return };
        if c.bar.is_none() && c.since.elapsed() >= AFTER {
            let total = (p.target - p.from).num_seconds().max(1) as u64;
            let template =
                if self.colour { "{bar:40.cyan/blue} {msg} ({elapsed})" } else { "{bar:40} {msg} ({elapsed})" };
            let style = ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()).with_style(style);
            c.bar = Some(bar);
        }
        if let Some(bar) = &c.bar {
            bar.set_position((p.now - p.from).num_seconds().max(0) as u64);
            bar.set_message(format!("{} of {} (Ctrl-C stops)", time(p.now), time(p.target)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        controlplane::sim::epoch() + chrono::Duration::seconds(secs)
    }

    /// Reports moments `nows` of a move from 0 to 1000 s, waiting `wait` before the last;
    /// gives the bar's position and length, if there is a bar.
    fn check(enabled: bool, nows: &[i64], wait: Duration, expect: Option<(u64, u64)>) {
        let bars = Rc::new(ProgressBars::new(enabled, false));
        let mut hook = bars.hook();
        for (i, now) in nows.iter().enumerate() {
            if i + 1 == nows.len() {
                std::thread::sleep(wait);
            }
            hook(&Progress { from: at(0), now: at(*now), target: at(1000) });
        }
        let got = bars
            .current
            .borrow()
            .as_ref()
            .and_then(|c| c.bar.as_ref().map(|b| (b.position(), b.length().unwrap_or(0))));
        assert_eq!(got, expect);
        bars.finish();
        assert!(bars.current.borrow().is_none());
    }

    #[test]
    fn a_bar_only_for_long_moves() {
        check(true, &[10, 20], Duration::ZERO, None);
        check(true, &[10, 600], AFTER, Some((600, 1000)));
        check(false, &[10, 600], AFTER, None);
    }
}
