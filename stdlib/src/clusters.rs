//! The session's clusters: the one it starts with and those made with `cluster()`, a fresh
//! start (`reset`), and the hook told how far a long move of the clock has got.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::SecondsFormat;
use controlplane::model::Kind;
use controlplane::sim::{Cluster, Progress};
use rhai::{Scope, AST};

use crate::session::{ClusterRef, Session};

/// Told how far a long `advance` or `run_until` has got (see [`Cluster::set_progress`]).
pub type ProgressFn = Box<dyn FnMut(&Progress)>;

/// The session's progress hook, shared by all its clusters.
#[derive(Clone, Default)]
pub struct ProgressSlot(Rc<RefCell<Option<ProgressFn>>>);

/// A cluster wired to the session: its interrupt flag and its progress hook.
pub(crate) fn attach(mut cluster: Cluster, interrupt: &Arc<AtomicBool>, progress: &ProgressSlot) -> ClusterRef {
    cluster.set_interrupt(interrupt.clone());
    let slot = progress.clone();
    cluster.set_progress(Some(Box::new(move |p| {
        if let Some(report) = slot.0.borrow_mut().as_mut() {
            report(&p);
        }
    })));
    ClusterRef(Rc::new(RefCell::new(cluster)))
}

/// One of the session's clusters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSummary {
    /// The one global functions act on.
    pub current: bool,
    /// The cluster the session started with (or got at its last reset).
    pub default: bool,
    /// Variables holding it.
    pub variables: Vec<String>,
    pub nodes: usize,
    pub pods: usize,
    pub seed: u64,
    /// Its simulated time, RFC 3339.
    pub now: String,
}

impl Session {
    /// Have `report` told how far a long `advance` or `run_until` has got, on any of the
    /// session's clusters (every few moments of simulated time; see [`Cluster::set_progress`]).
    /// It must not use the session.
    pub fn set_progress(&mut self, report: Option<ProgressFn>) {
        let slot = self.state.borrow().progress.clone();
        *slot.0.borrow_mut() = report;
    }

    /// A fresh start: a new default cluster, no variables, no functions. The output sink,
    /// the interrupt flag and the progress hook stay.
    pub fn reset(&mut self) {
        let mut st = self.state.borrow_mut();
        let cluster = attach(Cluster::new(self.options.cluster.clone()), &st.interrupt, &st.progress);
        st.current = cluster.clone();
        st.default = cluster;
        st.made.clear();
        drop(st);
        self.scope = Scope::new();
        self.functions = AST::empty();
    }

    /// The session's clusters: the default one first, then those made with `cluster()` that
    /// something still holds, oldest first.
    pub fn clusters(&self) -> Vec<ClusterSummary> {
        let st = self.state.borrow();
        let mut all: Vec<Rc<RefCell<Cluster>>> = vec![st.default.0.clone()];
        all.extend(st.made.iter().filter_map(|w| w.upgrade()));
        if !all.iter().any(|c| Rc::ptr_eq(c, &st.current.0)) {
            all.push(st.current.0.clone());
        }
        all.iter()
            .map(|c| {
                let mut variables: Vec<String> = self
                    .scope
                    .iter_raw()
                    .filter(|(_, _, v)| v.read_lock::<ClusterRef>().is_some_and(|r| Rc::ptr_eq(&r.0, c)))
                    .map(|(name, _, _)| name.to_string())
                    .collect();
                variables.sort();
                variables.dedup();
                let cluster = c.borrow();
                let api = cluster.api_ref();
                ClusterSummary {
                    current: Rc::ptr_eq(c, &st.current.0),
                    default: Rc::ptr_eq(c, &st.default.0),
                    variables,
                    nodes: api.peek_list(Kind::Node, None).len(),
                    pods: api.peek_list(Kind::Pod, None).len(),
                    seed: cluster.config().seed,
                    now: cluster.now().to_rfc3339_opts(SecondsFormat::AutoSi, true),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionOptions;

    /// Runs `inputs`, then compares the cluster list, one line per cluster.
    fn check(inputs: &[&str], expect: &[&str]) {
        let mut s = Session::new(SessionOptions::default());
        for input in inputs {
            let out = s.execute(input);
            assert_eq!(out.error, None, "{input}");
        }
        let got: Vec<String> = s
            .clusters()
            .iter()
            .map(|c| {
                format!(
                    "{}{} nodes={} pods={} seed={} now={} vars={}",
                    if c.current { "*" } else { " " },
                    if c.default { "default" } else { "made" },
                    c.nodes,
                    c.pods,
                    c.seed,
                    c.now,
                    c.variables.join(",")
                )
            })
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn listing() {
        check(&[], &["*default nodes=4 pods=10 seed=0 now=2025-01-01T00:00:00Z vars="]);
        check(
            &["let big = cluster(#{workers: 5, seed: 7}); let same = big;", "use_cluster(big); advance(\"1m\");"],
            &[
                " default nodes=4 pods=10 seed=0 now=2025-01-01T00:00:00Z vars=",
                "*made nodes=6 pods=12 seed=7 now=2025-01-01T00:01:00Z vars=big,same",
            ],
        );
        check(
            &["cluster(#{workers: 1});", "let kept = cluster(#{workers: 1});"],
            &[
                "*default nodes=4 pods=10 seed=0 now=2025-01-01T00:00:00Z vars=",
                " made nodes=2 pods=8 seed=0 now=2025-01-01T00:00:00Z vars=kept",
            ],
        );
    }

    #[test]
    fn issue_10_bad_capacity_is_refused_and_nothing_is_made() {
        const FORMAT: &str =
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
        let table = [
            (r#"cluster(#{cpu: "-1"})"#, r#"cluster option cpu: Invalid value: "-1": must be greater than or equal to 0"#.to_string()),
            (r#"cluster(#{memory: "1e400"})"#, r#"cluster option memory: Invalid value: "1e400": must be less than or equal to 9223372036854775807"#.to_string()),
            ("cluster(#{pods: -5})", r#"cluster option pods: Invalid value: "-5": must be greater than or equal to 0"#.to_string()),
            ("cluster(#{pods: 1.5})", "cluster option pods: Invalid value: 1500m: must be an integer".to_string()),
            ("cluster(#{cpu: true, workers: 1})", format!(r#"cluster option cpu: Invalid value: "true": {FORMAT}"#)),
            ("cluster(#{memory: ()})", format!(r#"cluster option memory: Invalid value: "": {FORMAT}"#)),
            (
                r#"add_node(#{name: "n", cpu: "1e29"})"#,
                r#"The Node "n" is invalid: status.capacity.cpu: Invalid value: "1e29": must be less than or equal to 9223372036854775807"#.to_string(),
            ),
            (
                r#"add_node(#{name: "n", memory: "8Gi", pods: "lots"})"#,
                format!(r#"The Node "n" is invalid: status.capacity.pods: Invalid value: "lots": {FORMAT}"#),
            ),
            (
                r#"add_node(#{name: "n", cpu: "-2", pods: "0.5"})"#,
                "The Node \"n\" is invalid: \n* status.capacity.cpu: Invalid value: \"-2\": must be greater than or equal to 0\n* status.capacity.pods: Invalid value: 500m: must be an integer".to_string(),
            ),
        ];
        let mut s = Session::new(SessionOptions::default());
        for (input, want) in table {
            let out = s.execute(input);
            assert_eq!(out.error.map(|e| e.message), Some(want), "{input}");
        }
        assert_eq!(s.clusters().len(), 1, "no cluster was made");
        assert_eq!(s.execute(r#"get("nodes").len()"#).result.as_deref(), Some("4"), "no node was made");
        // Capacity at the largest a quantity may be, and capped binary values, are taken.
        let out =
            s.execute(r#"cluster(#{workers: 1, cpu: "9223372036854775807", memory: "99999999999999999999Ei"}); 1"#);
        assert_eq!(out.error, None);
    }

    #[test]
    fn reset_starts_afresh() {
        let mut s = Session::new(SessionOptions::default());
        s.execute("let x = 1; fn f() { 2 } let c = cluster(); use_cluster(c); advance(\"1h\");");
        s.reset();
        assert_eq!(s.execute("now()").result.as_deref(), Some("2025-01-01T00:00:00Z"));
        assert!(s.execute("x").error.is_some(), "variables are gone");
        assert!(s.execute("f()").error.is_some(), "functions are gone");
        assert_eq!(s.clusters().len(), 1);
    }

    /// Wakes every second, so that a long advance has a moment at each second (as a cluster
    /// with kubelets has).
    pub(crate) struct Ticker(pub bool);

    impl controlplane::sim::component::Component for Ticker {
        fn name(&self) -> &str {
            "ticker"
        }
        fn watches(&self) -> &[Kind] {
            &[]
        }
        fn on_event(
            &mut self,
            _: &controlplane::apiserver::WatchEvent,
            _: Option<&controlplane::model::Object>,
            _: &controlplane::controllers::Informers,
        ) {
        }
        fn on_timer(&mut self, _: &str) {
            self.0 = false;
        }
        fn run(&mut self, ctx: &mut controlplane::sim::component::Ctx<'_>) -> bool {
            if !self.0 {
                self.0 = true;
                ctx.after(chrono::Duration::seconds(1), "tick");
            }
            false
        }
    }

    #[test]
    fn progress_reaches_clusters_made_later() {
        let mut s = Session::new(SessionOptions::default());
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        s.set_progress(Some(Box::new(move |p| log.borrow_mut().push((p.now - p.from).num_seconds()))));
        s.execute("use_cluster(cluster());");
        s.cluster().0.borrow_mut().add_component(Box::new(Ticker(false)));
        s.execute("advance(\"100s\");");
        assert_eq!(*seen.borrow(), [31, 63, 95]);
        s.set_progress(None);
        s.execute("advance(\"100s\");");
        assert_eq!(seen.borrow().len(), 3);
    }

    #[test]
    fn an_interrupted_advance_keeps_the_session() {
        let mut s = Session::new(SessionOptions::default());
        s.cluster().0.borrow_mut().add_component(Box::new(Ticker(false)));
        s.execute("let kept = 7;");
        let flag = s.interrupt_flag();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let out = s.execute("advance(\"3650d\")");
        stopper.join().unwrap();
        assert_eq!(out.error.map(|e| e.message).as_deref(), Some("interrupted"));
        let now = s.execute("now()").result.unwrap();
        assert!(now.as_str() > "2025-01-01T00:00:00Z" && now.as_str() < "2034-12-30T00:00:00Z", "{now}");
        assert_eq!(s.execute("now()").result.unwrap(), now, "the clock stays where it stopped");
        assert_eq!(s.execute("kept").result.as_deref(), Some("7"));
        assert_eq!(s.execute("advance(\"1s\"); 1").result.as_deref(), Some("1"), "the next input runs");
    }
}
