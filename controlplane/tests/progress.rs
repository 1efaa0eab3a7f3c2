//! Long moves of the clock: the progress hook and the interrupt flag.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::Duration;
use controlplane::apiserver::WatchEvent;
use controlplane::model::Kind;
use controlplane::sim::component::{Component, Ctx};
use controlplane::sim::{Cluster, ClusterConfig, Progress, SimError};

/// A component that wakes every second, so that the clock has a moment to stop at each second.
struct Ticker {
    started: bool,
}

impl Component for Ticker {
    fn name(&self) -> &str {
        "ticker"
    }
    fn watches(&self) -> &[Kind] {
        &[]
    }
    fn on_event(
        &mut self,
        _: &WatchEvent,
        _: Option<&controlplane::model::Object>,
        _: &controlplane::controllers::Informers,
    ) {
    }
    fn on_timer(&mut self, _: &str) {
        self.started = false;
    }
    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        if !self.started {
            self.started = true;
            ctx.after(Duration::seconds(1), "tick");
        }
        false
    }
}

fn ticking() -> Cluster {
    let mut c = Cluster::new(ClusterConfig::default());
    c.add_component(Box::new(Ticker { started: false }));
    c
}

fn secs(p: &Progress) -> (i64, i64) {
    ((p.now - p.from).num_seconds(), (p.target - p.from).num_seconds())
}

#[test]
fn progress_is_reported_every_few_moments_of_a_long_advance() {
    let mut c = ticking();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    c.set_progress(Some(Box::new(move |p| log.borrow_mut().push(secs(&p)))));
    c.advance(Duration::seconds(100)).unwrap();
    assert_eq!(*seen.borrow(), [(31, 100), (63, 100), (95, 100)]);
    seen.borrow_mut().clear();
    c.advance(Duration::seconds(10)).unwrap();
    assert!(seen.borrow().is_empty(), "a short advance is not reported");
    c.set_progress(None);
    c.advance(Duration::seconds(100)).unwrap();
    assert!(seen.borrow().is_empty(), "no hook, no reports");
}

#[test]
fn an_interrupted_advance_stops_the_clock_where_it_was() {
    let mut c = ticking();
    let flag = Arc::new(AtomicBool::new(false));
    c.set_interrupt(flag.clone());
    let start = c.now();
    let stop = flag.clone();
    c.set_progress(Some(Box::new(move |p| {
        if (p.now - p.from).num_seconds() >= 60 {
            stop.store(true, Ordering::Relaxed);
        }
    })));
    assert_eq!(c.advance(Duration::days(3650)), Err(SimError::Interrupted));
    assert_eq!((c.now() - start).num_seconds(), 64, "stopped at the first moment after the flag was set");
    flag.store(false, Ordering::Relaxed);
    c.set_progress(None);
    c.advance(Duration::seconds(6)).unwrap();
    assert_eq!((c.now() - start).num_seconds(), 70, "the cluster goes on from where it stopped");
}

#[test]
fn peek_list_records_no_request() {
    let c = Cluster::new(ClusterConfig::default());
    let before = c.api_ref().audit_log().len();
    let nodes: Vec<_> = c.api_ref().peek_list(Kind::Node, None).iter().map(|o| o.name().to_string()).collect();
    assert_eq!(nodes, ["control-plane", "node-1", "node-2", "node-3"]);
    assert_eq!(c.api_ref().peek_list(Kind::ConfigMap, Some("kube-public")).len(), 1);
    assert_eq!(c.api_ref().audit_log().len(), before);
}
