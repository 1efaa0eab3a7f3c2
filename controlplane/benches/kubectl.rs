//! `kubectl get pods -A` over 10,000 pods: listing, status columns, AGE and table layout.
//! `cargo bench -p controlplane --bench kubectl`.

/// The allocator the `kubesim` binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: controlplane::alloc::MiMalloc = controlplane::alloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};

mod common;

use controlplane::kubectl::run_line;
use controlplane::model::decode::decode_one;
use controlplane::sim::{Cluster, ClusterConfig};

fn cluster_with_pods(n: usize) -> Cluster {
    let mut cluster = Cluster::new(ClusterConfig::default());
    let template = decode_one("apiVersion: v1\nkind: Pod\nmetadata: {name: x, labels: {app: x}}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n").unwrap();
    for i in 0..n {
        let mut pod = template.clone();
        let meta = pod.metadata_mut();
        meta.name = Some(format!("web-{i}"));
        cluster.api().create("bench", "default", pod).unwrap();
    }
    cluster.settle().unwrap();
    cluster
}

fn get_pods(c: &mut Criterion) {
    let pods = common::env("PODS", 10_000);
    let mut cluster = cluster_with_pods(pods);
    let lines = run_line(&mut cluster, "get pods -A", Default::default()).unwrap().lines().count();
    assert_eq!(lines, pods + 10 + 1, "every pod, the system's ten pods and the header");
    c.bench_function("kubectl get pods -A (10,000 pods)", |b| {
        b.iter(|| run_line(&mut cluster, "get pods -A", Default::default()).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = get_pods
}
criterion_main!(benches);
