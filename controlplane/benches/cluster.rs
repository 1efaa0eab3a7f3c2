//! The whole path, end to end: a cluster of NODES workers (5,000; 32 CPUs, 128Gi, 110 pods
//! each), PODS pending pods with requests (150,000, four shapes) created through the API
//! server, then the clock moved until every pod is Running — the scheduler binds each one,
//! the node's kubelet pulls the image (once per node), starts the container and reports, and
//! the controllers watch it all. Prints wall times, requests and peak memory.
//!
//! `cargo bench -p controlplane --bench cluster` (NODES=N PODS=M to change it).

/// The allocator the `kubesim` binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: controlplane::alloc::MiMalloc = controlplane::alloc::MiMalloc;

mod common;
use common::{census, env, peak_rss_mib};

use std::time::Instant;

use chrono::Duration;
use controlplane::model::decode::decode_one;
use controlplane::model::{Kind, Object};
use controlplane::sim::{Cluster, ClusterConfig};

fn count(c: &Cluster, f: impl Fn(&controlplane::model::Pod) -> bool) -> usize {
    c.api_ref().peek_list(Kind::Pod, Some("default")).iter().filter(|p| matches!(&***p, Object::Pod(p) if f(p))).count()
}

fn running(p: &controlplane::model::Pod) -> bool {
    p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
}

fn bound(p: &controlplane::model::Pod) -> bool {
    p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some()
}

fn main() {
    let (nodes, pods) = (env("NODES", 5_000), env("PODS", 150_000));
    let start = Instant::now();
    let config = ClusterConfig { workers: nodes, cpu: "32".into(), memory: "128Gi".into(), ..ClusterConfig::default() };
    let mut c = Cluster::new(config);
    println!("cluster of {nodes} workers:       {:.2} s", start.elapsed().as_secs_f64());

    let shapes = [("100m", "128Mi"), ("250m", "256Mi"), ("500m", "512Mi"), ("1", "1Gi")];
    let docs: Vec<Object> = (0..pods)
        .map(|i| {
            let (cpu, mem) = shapes[i % shapes.len()];
            decode_one(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: pod-{i}, labels: {{app: app-{}}}}}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n    resources: {{requests: {{cpu: {cpu}, memory: {mem}}}}}\n",
                i % 100
            ))
            .expect("the pod decodes")
        })
        .collect();
    let start = Instant::now();
    for pod in docs {
        c.api().create("bench", "default", pod).expect("create");
    }
    println!("{pods} pods created:        {:.2} s", start.elapsed().as_secs_f64());

    // The moment they were made: the scheduler binds them all, and the kubelets start them.
    let start = Instant::now();
    c.settle().expect("the cluster settles");
    let first = start.elapsed().as_secs_f64();
    let scheduled = count(&c, bound);
    println!("first moment (all bound, pulls begin): {first:.2} s wall, {scheduled} bound");
    let all = c.run_until(Duration::seconds(600), |c| count(c, running) == pods).expect("the cluster runs");
    let total = start.elapsed().as_secs_f64();
    assert!(all, "only {} of {pods} Running", count(&c, running));
    println!("until all Running:                {total:.2} s wall, at {} simulated", c.now());
    println!("requests handled:                 {}", c.api_ref().audit_log().written());
    println!("peak memory (VmHWM):              {:.0} MiB", peak_rss_mib());
    println!("at the end:                       {}", census(c.api_ref()));
}
