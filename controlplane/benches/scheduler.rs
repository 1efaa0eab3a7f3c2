//! Scheduler figures: a cluster of 5,000 nodes, 150,000 pending pods with requests (four
//! shapes), and the wall time for the scheduler to bind them all, through the API server (one
//! binding and one Scheduled event per pod); then 10,000 pods with required pod anti-affinity
//! (one per node within each of ten groups) on 5,000 nodes. Prints pods scheduled per second
//! and peak memory.
//!
//! `cargo bench -p controlplane --bench scheduler` (NODES=N, PODS=N, ANTI_PODS=N to scale).

/// The allocator the `kubesim` binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: controlplane::alloc::MiMalloc = controlplane::alloc::MiMalloc;

mod common;
use common::{env, peak_rss_mib};

use std::time::Instant;

use controlplane::model::decode::decode_one;
use controlplane::model::{Kind, Object};
use controlplane::node::kubelet::Kubelets;
use controlplane::scheduler::Scheduler;
use controlplane::sim::bootstrap::{try_add_node, NodeSpec};
use controlplane::sim::cluster::{Cluster, ClusterConfig};

/// A cluster with `nodes` workers of 32 CPUs, 128Gi and 110 pods each, no audit log, and its
/// kubelets stopped.
fn cluster(nodes: usize) -> Cluster {
    let mut c = Cluster::new(ClusterConfig { workers: 0, ..ClusterConfig::default() });
    c.api().set_audit(false);
    let start = Instant::now();
    for i in 1..=nodes {
        let spec = NodeSpec::worker(&format!("node-{i}"), "32", "128Gi", "110");
        try_add_node(c.api(), &spec, i).expect("node");
    }
    c.settle().expect("settle");
    // The scheduler alone: the kubelets stay out of the timed work (nothing starts the pods).
    c.with_component::<Kubelets, _>(|k, _| {
        for node in k.node_names() {
            k.stop(&node);
        }
    });
    println!("  {nodes} nodes registered in {:.1} s", start.elapsed().as_secs_f64());
    c
}

fn bound(c: &Cluster) -> usize {
    c.api_ref()
        .peek_list(Kind::Pod, Some("default"))
        .iter()
        .filter(|o| matches!(&***o, Object::Pod(p) if p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some()))
        .count()
}

/// Create the pods (not timed), then time the scheduler binding them.
fn run(c: &mut Cluster, pods: &[Object]) -> (usize, f64) {
    for pod in pods {
        c.api().create("bench", "default", pod.clone()).expect("create");
    }
    let start = Instant::now();
    c.settle().expect("settle");
    let secs = start.elapsed().as_secs_f64();
    (bound(c), secs)
}

fn main() {
    let nodes = env("NODES", 5000);
    let pods = env("PODS", 150_000);
    let anti_pods = env("ANTI_PODS", 10_000);

    println!("resources: {pods} pods with requests on {nodes} nodes");
    let mut c = cluster(nodes);
    let shapes = [("100m", "128Mi"), ("250m", "256Mi"), ("500m", "512Mi"), ("1", "1Gi")];
    let list: Vec<Object> = (0..pods)
        .map(|i| {
            let (cpu, mem) = shapes[i % shapes.len()];
            decode_one(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: pod-{i}, labels: {{app: app-{}}}}}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n    resources: {{requests: {{cpu: {cpu}, memory: {mem}}}}}\n",
                i % 100
            ))
            .expect("pod")
        })
        .collect();
    let (n, secs) = run(&mut c, &list);
    println!("  bound {n} of {pods} in {secs:.2} s: {:.0} pods/s", n as f64 / secs);
    assert_eq!(n, pods);
    let pending = c.component_mut::<Scheduler>().map(|s| s.pending_pods()).unwrap_or(0);
    assert_eq!(pending, 0);
    println!("  peak memory (VmHWM): {:.0} MiB", peak_rss_mib());
    drop(c);

    println!("anti-affinity: {anti_pods} pods with required anti-affinity (hostname, 10 groups) on {nodes} nodes");
    let mut c = cluster(nodes);
    let list: Vec<Object> = (0..anti_pods)
        .map(|i| {
            let g = i % 10;
            decode_one(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: anti-{i}, labels: {{group: g{g}}}}}\nspec:\n  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {{matchLabels: {{group: g{g}}}}}\n        topologyKey: kubernetes.io/hostname\n  containers:\n  - name: app\n    image: nginx:1.27\n    resources: {{requests: {{cpu: 100m, memory: 128Mi}}}}\n"
            ))
            .expect("pod")
        })
        .collect();
    let (n, secs) = run(&mut c, &list);
    println!("  bound {n} of {anti_pods} in {secs:.2} s: {:.0} pods/s", n as f64 / secs);
    println!("  peak memory (VmHWM): {:.0} MiB", peak_rss_mib());
}
