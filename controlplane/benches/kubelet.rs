//! Kubelet figures: a cluster of NODES worker nodes (5,000), PODS pods (150,000) created
//! already bound to them (round-robin, as a scheduler would spread them), then the clock
//! advanced until every pod is Running: each kubelet creates the sandbox, pulls the image once
//! per node, creates and starts the container and writes the pod's status, with its events.
//! Then HEARTBEAT seconds (60) more of simulated time: leases every 10s, node status on change.
//! Prints wall times and peak memory.
//!
//! `cargo bench -p controlplane --bench kubelet` (NODES=N PODS=M HEARTBEAT=S to change it).

/// The allocator the `kubesim` binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: controlplane::alloc::MiMalloc = controlplane::alloc::MiMalloc;

mod common;
use common::{env, peak_rss_mib};

use std::time::Instant;

use chrono::Duration;
use controlplane::model::decode::decode_one;
use controlplane::model::{Kind, Object};
use controlplane::sim::{Cluster, ClusterConfig};

fn running(c: &Cluster) -> usize {
    c.api_ref()
        .peek_list(Kind::Pod, Some("default"))
        .iter()
        .filter(|p| matches!(&***p, Object::Pod(p) if p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")))
        .count()
}

fn main() {
    let (nodes, pods, heartbeat) = (env("NODES", 5_000), env("PODS", 150_000), env("HEARTBEAT", 60));
    let start = Instant::now();
    let mut c = Cluster::new(ClusterConfig { workers: nodes, ..Default::default() });
    // The requests are counted from the audit log: keep all of them.
    c.api().set_audit_limit(usize::MAX);
    let boot = start.elapsed().as_secs_f64();
    let template = decode_one(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x, labels: {app: x}}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n    resources: {requests: {cpu: 10m, memory: 16Mi}}\n",
    )
    .expect("the template decodes");

    let start = Instant::now();
    for i in 0..pods {
        let mut pod: Object = template.clone();
        pod.metadata_mut().name = Some(format!("pod-{i}"));
        if let Object::Pod(p) = &mut pod {
            p.spec.as_mut().expect("a spec").node_name = Some(format!("node-{}", i % nodes + 1));
        }
        c.api().create("bench", "default", pod).expect("create");
    }
    let create = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let all = c.run_until(Duration::seconds(600), |c| running(c) == pods).expect("the cluster runs");
    let run = start.elapsed().as_secs_f64();
    let simulated = c.now();
    assert!(all, "only {} of {pods} pods Running after 10 minutes", running(&c));
    let writes = c.api_ref().audit_log().iter().filter(|r| r.user.starts_with("system:node:")).count();

    let start = Instant::now();
    c.advance(Duration::seconds(heartbeat as i64)).expect("the cluster runs");
    let beat = start.elapsed().as_secs_f64();
    let beat_writes = c.api_ref().audit_log().iter().filter(|r| r.user.starts_with("system:node:")).count() - writes;

    println!("cluster of {nodes} workers:          {boot:.2} s");
    println!("{pods} pods created, bound:     {create:.2} s");
    println!("until all Running:                {run:.2} s wall, {simulated} simulated");
    println!("kubelet requests until then:      {writes}");
    println!("{heartbeat}s more of heartbeats:         {beat:.2} s wall, {beat_writes} kubelet requests");
    println!("peak memory (VmHWM):              {:.0} MiB", peak_rss_mib());
}
