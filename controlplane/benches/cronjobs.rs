//! A day of CronJobs: NODES workers (100), CRONJOBS CronJobs (50) every minute, each Job one
//! 20-second pod, and a Deployment (REPLICAS pods, 20) rolled to a new image every hour, for
//! HOURS simulated hours (24). The CronJob controller makes the Jobs, the Job controller the
//! pods, the history limits and the garbage collector take the old ones away. Prints the wall
//! time and peak memory (VmHWM) with what the cluster keeps, hour by hour: memory should stay
//! flat once the first hour has filled the history limits and the Event leases.
//!
//! `cargo bench -p controlplane --bench cronjobs` (NODES, CRONJOBS, REPLICAS, HOURS to change it;
//! REQUESTS=1 keeps every request in the audit log and prints them counted by who made them,
//! verb and resource).

/// The allocator the `kubesim` binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: controlplane::alloc::MiMalloc = controlplane::alloc::MiMalloc;

mod common;
use common::{env, peak_rss_mib};

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::Duration;
use controlplane::model::decode::decode_one;
use controlplane::model::{Kind, Object};
use controlplane::sim::{Cluster, ClusterConfig};

fn deployment(replicas: usize, image: &str) -> Object {
    decode_one(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers:\n      - name: app\n        image: {image}\n        resources: {{requests: {{cpu: 100m, memory: 128Mi}}}}\n"
    ))
    .expect("the deployment decodes")
}

fn cronjob(i: usize) -> Object {
    decode_one(&format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: tick-{i}}}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: c\n            image: busybox\n            command: [sleep, '20']\n            resources: {{requests: {{cpu: 50m, memory: 32Mi}}}}\n"
    ))
    .expect("the cronjob decodes")
}

fn count(c: &Cluster, kind: Kind) -> usize {
    c.api_ref().peek_list(kind, Some("default")).len()
}

fn main() {
    let (nodes, cronjobs) = (env("NODES", 100), env("CRONJOBS", 50));
    let (replicas, hours) = (env("REPLICAS", 20), env("HOURS", 24));
    let by_request = env("REQUESTS", 0) > 0;
    let mut config =
        ClusterConfig { workers: nodes, cpu: "32".into(), memory: "128Gi".into(), ..ClusterConfig::default() };
    if by_request {
        config.audit_log = usize::MAX;
    }
    let mut c = Cluster::new(config);
    c.api().create("bench", "default", deployment(replicas, "nginx:1.27")).expect("create the deployment");
    for i in 0..cronjobs {
        c.api().create("bench", "default", cronjob(i)).expect("create a cronjob");
    }
    let start = Instant::now();
    for hour in 1..=hours {
        let image = if hour % 2 == 1 { "nginx:1.28" } else { "nginx:1.27" };
        let Some(current) = c.api_ref().peek(Kind::Deployment, "default", "web") else { panic!("web is gone") };
        let Object::Deployment(mut d) = (*current).clone() else { unreachable!("a Deployment") };
        let Object::Deployment(new) = deployment(replicas, image) else { unreachable!("a Deployment") };
        d.spec = new.spec;
        c.api().update("bench", Object::Deployment(d)).expect("roll the deployment");
        c.advance(Duration::hours(1)).expect("the cluster runs");
        let store = c.api_ref().store();
        println!(
            "after {hour:>2} h: {:>7.2} s wall, peak {:>6.0} MiB; {} objects, {} Jobs, {} pods, {} Event leases, {} requests",
            start.elapsed().as_secs_f64(),
            peak_rss_mib(),
            store.len(),
            count(&c, Kind::Job),
            count(&c, Kind::Pod),
            store.lease_count(),
            c.api_ref().audit_log().written(),
        );
    }
    let jobs_made = c.api_ref().audit_log().written();
    assert!(count(&c, Kind::Job) >= cronjobs, "every CronJob keeps its recent Jobs ({jobs_made} requests)");
    println!(
        "{hours} h of {cronjobs} CronJobs every minute on {nodes} nodes: {:.2} s wall",
        start.elapsed().as_secs_f64()
    );
    if by_request {
        print_requests(&c);
    }
}

/// The requests of the whole run, counted by who made them (a node's kubelet as any node's),
/// verb and resource, most first.
fn print_requests(c: &Cluster) {
    let mut counts: BTreeMap<(String, &str, String), usize> = BTreeMap::new();
    for r in c.api_ref().audit_log().iter() {
        let user = r.user.trim_end_matches(|ch: char| ch.is_ascii_digit()).to_string();
        *counts.entry((user, r.verb, r.resource.to_string())).or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    for ((user, verb, resource), n) in counts {
        println!("{n:>9} {user} {verb} {resource}");
    }
}
