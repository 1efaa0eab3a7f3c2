//! Startup, readiness and liveness probes: when they run (initialDelaySeconds, then every
//! periodSeconds), how results count (successThreshold, failureThreshold), and what they
//! find. A probe looks inside: the caller runs it (an exec in the container, a connection to
//! the pod's port, an HTTP request its server answers) and says how it went. The pod's
//! annotations override one kind's outcome, measured from the container's start:
//! `kubesim.io/startup-after`, `kubesim.io/ready-after`, `kubesim.io/unready-after`,
//! `kubesim.io/liveness-fails-after`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::core::v1::{Container, Probe};

use crate::node::runtime::behaviour::duration_annotation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Startup,
    Readiness,
    Liveness,
}

impl ProbeKind {
    pub fn word(self) -> &'static str {
        match self {
            ProbeKind::Startup => "Startup",
            ProbeKind::Readiness => "Readiness",
            ProbeKind::Liveness => "Liveness",
        }
    }
}

/// Runs one probe at its moment: `Ok` on success, else what the failure says.
pub type Check<'a> = dyn FnMut(ProbeKind, &Probe, DateTime<Utc>) -> Result<(), String> + 'a;

#[derive(Debug, Clone)]
pub struct Prober {
    pub kind: ProbeKind,
    period: Duration,
    success_threshold: u32,
    failure_threshold: u32,
    /// The probe's own terminationGracePeriodSeconds, for a restart it causes.
    pub grace: Option<i64>,
    next_at: Option<DateTime<Utc>>,
    successes: u32,
    failures: u32,
    /// The last result that counted: `None` until thresholds are met once.
    pub result: Option<bool>,
    /// What a failure the annotations decide says (`HTTP probe failed with statuscode: 500`).
    failure_text: String,
    /// The probe itself, for the caller to run.
    pub probe: Probe,
}

/// What running the due probes did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A failed probe: the Unhealthy event's message.
    Failed(String),
    /// A startup or liveness probe reached its failure threshold: restart the container.
    Restart(ProbeKind, Option<i64>),
}

fn failure_text(probe: &Probe, pod_ip: &str) -> String {
    if let Some(h) = &probe.http_get {
        let _ = h;
        "HTTP probe failed with statuscode: 500".into()
    } else if let Some(t) = &probe.tcp_socket {
        let port = match &t.port {
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(p) => p.to_string(),
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
        };
        format!("dial tcp {pod_ip}:{port}: connect: connection refused")
    } else if let Some(e) = &probe.exec {
        match e.command.as_deref().unwrap_or_default() {
            [cat, file] if cat == "cat" => format!("cat: can't open '{file}': No such file or directory"),
            _ => String::new(),
        }
    } else if probe.grpc.is_some() {
        "service unhealthy (responded with \"NOT_SERVING\")".into()
    } else {
        String::new()
    }
}

impl Prober {
    fn new(kind: ProbeKind, probe: &Probe, started: DateTime<Utc>, pod_ip: &str) -> Self {
        let positive = |v: Option<i32>, d: i32| v.filter(|v| *v > 0).unwrap_or(d);
        Prober {
            kind,
            period: Duration::seconds(i64::from(positive(probe.period_seconds, 10))),
            success_threshold: positive(probe.success_threshold, 1) as u32,
            failure_threshold: positive(probe.failure_threshold, 3) as u32,
            grace: probe.termination_grace_period_seconds,
            next_at: Some(started + Duration::seconds(i64::from(probe.initial_delay_seconds.unwrap_or(0).max(0)))),
            successes: 0,
            failures: 0,
            result: None,
            failure_text: failure_text(probe, pod_ip),
            probe: probe.clone(),
        }
    }
}

/// The probes of one running container.
#[derive(Debug, Clone, Default)]
pub struct Probes {
    pub startup: Option<Prober>,
    pub readiness: Option<Prober>,
    pub liveness: Option<Prober>,
}

impl Probes {
    pub fn new(c: &Container, started: DateTime<Utc>, pod_ip: &str) -> Self {
        let make = |kind, p: &Option<Probe>| p.as_ref().map(|p| Prober::new(kind, p, started, pod_ip));
        Probes {
            startup: make(ProbeKind::Startup, &c.startup_probe),
            readiness: make(ProbeKind::Readiness, &c.readiness_probe),
            liveness: make(ProbeKind::Liveness, &c.liveness_probe),
        }
    }

    /// Whether the container counts as started (no startup probe, or it succeeded).
    pub fn started(&self) -> bool {
        self.startup.as_ref().is_none_or(|p| p.result == Some(true))
    }

    /// Whether the container is ready, given that it runs.
    pub fn ready(&self) -> bool {
        self.started() && self.readiness.as_ref().is_none_or(|p| p.result == Some(true))
    }

    /// When the next probe is due.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        [&self.startup, &self.readiness, &self.liveness].into_iter().flatten().filter_map(|p| p.next_at).min()
    }

    /// Run every probe due by `now`, in time order, for a container started at `started`.
    /// `check` runs one probe at its moment: `Ok` on success, else what the failure says.
    pub fn run_due(
        &mut self,
        now: DateTime<Utc>,
        started: DateTime<Utc>,
        ann: &BTreeMap<String, String>,
        container: &str,
        check: &mut Check<'_>,
    ) -> Vec<Outcome> {
        let mut out = Vec::new();
        while let Some(at) = self.next_due().filter(|t| *t <= now) {
            let ran = at - started;
            for kind in [ProbeKind::Startup, ProbeKind::Readiness, ProbeKind::Liveness] {
                let started_ok = self.started();
                let slot = match kind {
                    ProbeKind::Startup => &mut self.startup,
                    ProbeKind::Readiness => &mut self.readiness,
                    ProbeKind::Liveness => &mut self.liveness,
                };
                let Some(p) = slot.as_mut() else { continue };
                if p.next_at != Some(at) {
                    continue;
                }
                p.next_at = Some(at + p.period);
                if p.kind != ProbeKind::Startup && !started_ok {
                    continue;
                }
                let after = |key| duration_annotation(ann, key, container);
                let overridden = match p.kind {
                    ProbeKind::Startup => after("startup-after").map(|d| ran >= d),
                    ProbeKind::Readiness => match (after("ready-after"), after("unready-after")) {
                        (None, None) => None,
                        (r, u) => Some(r.is_none_or(|d| ran >= d) && u.is_none_or(|d| ran < d)),
                    },
                    ProbeKind::Liveness => after("liveness-fails-after").map(|d| ran < d),
                };
                let result = match overridden {
                    Some(true) => Ok(()),
                    Some(false) => Err(p.failure_text.clone()),
                    None => check(p.kind, &p.probe, at),
                };
                let Err(text) = result else {
                    p.failures = 0;
                    p.successes += 1;
                    if p.successes >= p.success_threshold {
                        p.result = Some(true);
                        if p.kind == ProbeKind::Startup {
                            p.next_at = None;
                        }
                    }
                    continue;
                };
                p.successes = 0;
                p.failures += 1;
                out.push(Outcome::Failed(format!("{} probe failed: {text}", p.kind.word())));
                if p.failures >= p.failure_threshold {
                    p.result = Some(false);
                    if p.kind != ProbeKind::Readiness {
                        out.push(Outcome::Restart(p.kind, p.grace));
                        // The container is being replaced: its probes end with it.
                        for p in [&mut self.startup, &mut self.readiness, &mut self.liveness].into_iter().flatten() {
                            p.next_at = None;
                        }
                        return out;
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::epoch;

    /// Probes of a container (YAML) with annotations; the outcomes second by second up to
    /// `until`, and whether it is ready at each outcome.
    fn check(container: &str, ann: &[(&str, &str)], until: i64, expect: &[&str]) {
        let c: Container = serde_yaml::from_str(container).unwrap();
        let ann: BTreeMap<String, String> =
            ann.iter().map(|(k, v)| (format!("kubesim.io/{k}"), v.to_string())).collect();
        let t0 = epoch();
        let mut probes = Probes::new(&c, t0, "10.244.1.2");
        let mut got = Vec::new();
        let mut ready = None;
        for s in 0..=until {
            let outcomes = probes.run_due(t0 + Duration::seconds(s), t0, &ann, "c", &mut |_, _, _| Ok(()));
            for o in outcomes {
                got.push(format!("{s}s {o:?}"));
            }
            if ready != Some(probes.ready()) {
                ready = Some(probes.ready());
                got.push(format!("{s}s ready={}", probes.ready()));
            }
        }
        assert_eq!(got, expect);
    }

    #[test]
    fn readiness() {
        check("{name: c, readinessProbe: {httpGet: {port: 80}, periodSeconds: 5}}", &[], 6, &["0s ready=true"]);
        check(
            "{name: c, readinessProbe: {httpGet: {port: 80}, periodSeconds: 5, failureThreshold: 2}}",
            &[("unready-after", "12s")],
            30,
            &[
                "0s ready=true",
                "15s Failed(\"Readiness probe failed: HTTP probe failed with statuscode: 500\")",
                "20s Failed(\"Readiness probe failed: HTTP probe failed with statuscode: 500\")",
                "20s ready=false",
                "25s Failed(\"Readiness probe failed: HTTP probe failed with statuscode: 500\")",
                "30s Failed(\"Readiness probe failed: HTTP probe failed with statuscode: 500\")",
            ],
        );
        check(
            "{name: c, readinessProbe: {exec: {command: [cat, /tmp/ready]}, initialDelaySeconds: 5}}",
            &[("ready-after", "10s")],
            16,
            &[
                "0s ready=false",
                "5s Failed(\"Readiness probe failed: cat: can't open '/tmp/ready': No such file or directory\")",
                "15s ready=true",
            ],
        );
    }

    #[test]
    fn liveness_and_startup() {
        check(
            "{name: c, livenessProbe: {tcpSocket: {port: 80}}}",
            &[("liveness-fails-after", "5s")],
            40,
            &[
                "0s ready=true",
                "10s Failed(\"Liveness probe failed: dial tcp 10.244.1.2:80: connect: connection refused\")",
                "20s Failed(\"Liveness probe failed: dial tcp 10.244.1.2:80: connect: connection refused\")",
                "30s Failed(\"Liveness probe failed: dial tcp 10.244.1.2:80: connect: connection refused\")",
                "30s Restart(Liveness, None)",
            ],
        );
        check(
            "{name: c, startupProbe: {httpGet: {port: 80}, periodSeconds: 5}, readinessProbe: {httpGet: {port: 80}, periodSeconds: 5}}",
            &[("startup-after", "7s")],
            12,
            &[
                "0s Failed(\"Startup probe failed: HTTP probe failed with statuscode: 500\")",
                "0s ready=false",
                "5s Failed(\"Startup probe failed: HTTP probe failed with statuscode: 500\")",
                "10s ready=true",
            ],
        );
    }
}
