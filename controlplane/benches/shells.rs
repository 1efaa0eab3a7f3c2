//! Container shells: PODS pods (10,000) on NODES worker nodes (100), created already bound to
//! them (round-robin), each running `sh -c 'for i in $(seq 100); do echo $i > /tmp/f; sleep 1;
//! done'` in busybox, then MINUTES (10) of simulated time: every shell wakes each second,
//! writes its file and sleeps again; after 100 seconds it exits and, restartPolicy Always, is
//! started again after the kubelet's back-off. Prints wall time, the processes' work and peak
//! memory, and checks one container's file through `kubectl exec` at 50 seconds.
//!
//! `cargo bench -p controlplane --bench shells` (PODS=N NODES=M MINUTES=K to change it).

/// The allocator the `kubesim` binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: controlplane::alloc::MiMalloc = controlplane::alloc::MiMalloc;

mod common;
use common::{env, peak_rss_mib};

use std::time::Instant;

use chrono::Duration;
use controlplane::kubectl::{run_line, Input};
use controlplane::model::decode::decode_one;
use controlplane::model::{Kind, Object};
use controlplane::sim::{Cluster, ClusterConfig};

const SCRIPT: &str = "for i in $(seq 100); do echo $i > /tmp/f; sleep 1; done";

fn running(c: &Cluster) -> usize {
    c.api_ref()
        .peek_list(Kind::Pod, Some("default"))
        .iter()
        .filter(|p| matches!(&***p, Object::Pod(p) if p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")))
        .count()
}

fn main() {
    let (pods, nodes, minutes) = (env("PODS", 10_000), env("NODES", 100), env("MINUTES", 1_000) / 100);
    let minutes = minutes.max(1);
    let start = Instant::now();
    let mut c = Cluster::new(ClusterConfig { workers: nodes, ..Default::default() });
    let boot = start.elapsed().as_secs_f64();
    let template = decode_one(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: x}}\nspec:\n  containers:\n  - name: sh\n    image: busybox\n    command: [sh, -c, '{SCRIPT}']\n"
    ))
    .expect("the template decodes");

    let start = Instant::now();
    for i in 0..pods {
        let mut pod: Object = template.clone();
        pod.metadata_mut().name = Some(format!("sh-{i}"));
        if let Object::Pod(p) = &mut pod {
            p.spec.as_mut().expect("a spec").node_name = Some(format!("node-{}", i % nodes + 1));
        }
        c.api().create("bench", "default", pod).expect("create");
    }
    let create = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut at_running = 0.0;
    let mut all_running = None;
    let mut file = String::new();
    for second in 1..=minutes * 60 {
        c.advance(Duration::seconds(1)).expect("the cluster runs");
        if second == 50 {
            // Mid-loop, the first shell's file holds its latest count.
            file = run_line(&mut c, "exec sh-0 -- cat /tmp/f", Input::default()).unwrap_or_else(|e| e);
        }
        if all_running.is_none() && running(&c) == pods {
            all_running = Some(second);
            at_running = start.elapsed().as_secs_f64();
        }
    }
    let run = start.elapsed().as_secs_f64();
    let simulated = c.now();

    let restarts =
        run_line(&mut c, "get pod sh-0 -o jsonpath={.status.containerStatuses[0].restartCount}", Input::default())
            .unwrap_or_else(|e| e);

    println!("cluster of {nodes} workers:             {boot:.2} s");
    println!("{pods} shell pods created, bound:  {create:.2} s");
    match all_running {
        Some(s) => println!("all Running after {s}s simulated:     {at_running:.2} s wall"),
        None => println!("not all Running: {} of {pods}", running(&c)),
    }
    println!("{minutes} simulated minutes of shells:     {run:.2} s wall (to {simulated})");
    println!("sh-0: /tmp/f held {:?} at 50s; {restarts} restarts by the end", file.trim());
    println!("peak memory (VmHWM):                 {:.0} MiB", peak_rss_mib());
}
