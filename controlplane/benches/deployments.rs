//! The workload controllers at scale: a cluster of NODES workers (5,000; 32 CPUs, 128Gi, 110
//! pods each), DEPLOYMENTS Deployments (1,000) of REPLICAS pods each (100) created through the
//! API server, the clock moved until every one is Available with all its replicas; then every
//! Deployment's image changed at once and the clock moved until every rolling update is done
//! (the ReplicaSet controller makes and deletes the pods, the scheduler binds them, the
//! kubelets start and stop them). Prints wall times, requests and peak memory.
//!
//! `cargo bench -p controlplane --bench deployments` (NODES, DEPLOYMENTS, REPLICAS to change it).

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
use k8s_openapi::api::apps::v1::Deployment;

/// Deployments whose rollout of `image` is complete: every replica updated and available, as
/// `kubectl rollout status` decides.
fn done(c: &Cluster, replicas: i32, image: &str) -> usize {
    c.api_ref()
        .peek_list(Kind::Deployment, Some("default"))
        .iter()
        .filter(|d| matches!(&***d, Object::Deployment(d) if complete(d, replicas, image)))
        .count()
}

fn pod_count(c: &Cluster) -> usize {
    c.api_ref().store().count(&Kind::Pod.info().key_prefix(None))
}

fn complete(d: &Deployment, replicas: i32, image: &str) -> bool {
    let spec_image = d.spec.as_ref().and_then(|s| s.template.spec.as_ref()).and_then(|s| s.containers.first());
    let Some(status) = d.status.as_ref() else { return false };
    spec_image.and_then(|c| c.image.as_deref()) == Some(image)
        && status.observed_generation == d.metadata.generation
        && status.updated_replicas == Some(replicas)
        && status.available_replicas == Some(replicas)
        && status.replicas == Some(replicas)
}

fn main() {
    let nodes = env("NODES", 5_000);
    let deployments = env("DEPLOYMENTS", 1_000);
    let replicas = env("REPLICAS", 100) as i32;
    let start = Instant::now();
    let config = ClusterConfig { workers: nodes, cpu: "32".into(), memory: "128Gi".into(), ..ClusterConfig::default() };
    let mut c = Cluster::new(config);
    println!("cluster of {nodes} workers:       {:.2} s", start.elapsed().as_secs_f64());

    let shapes = [("100m", "128Mi"), ("250m", "256Mi"), ("500m", "512Mi"), ("1", "1Gi")];
    let doc = |i: usize, image: &str| -> Object {
        let (cpu, mem) = shapes[i % shapes.len()];
        decode_one(&format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web-{i}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: web-{i}}}}}\n  template:\n    metadata: {{labels: {{app: web-{i}}}}}\n    spec:\n      containers:\n      - name: app\n        image: {image}\n        resources: {{requests: {{cpu: {cpu}, memory: {mem}}}}}\n"
        ))
        .expect("the deployment decodes")
    };
    let requests = |c: &Cluster| c.api_ref().audit_log().written();

    let start = Instant::now();
    for i in 0..deployments {
        c.api().create("bench", "default", doc(i, "nginx:1.27")).expect("create");
    }
    let all = c
        .run_until(Duration::seconds(1800), |c| done(c, replicas, "nginx:1.27") == deployments)
        .expect("the cluster runs");
    assert!(all, "only {} of {deployments} Deployments Available", done(&c, replicas, "nginx:1.27"));
    let pods = deployments * replicas as usize;
    println!(
        "{deployments} Deployments x {replicas} ({pods} pods) until all Available: {:.2} s wall, at {} simulated, {} requests",
        start.elapsed().as_secs_f64(),
        c.now(),
        requests(&c)
    );

    let before = requests(&c);
    let start = Instant::now();
    for i in 0..deployments {
        let Some(current) = c.api_ref().peek(Kind::Deployment, "default", &format!("web-{i}")) else {
            panic!("web-{i} is gone")
        };
        let Object::Deployment(mut d) = (*current).clone() else { unreachable!("a Deployment") };
        let new = doc(i, "nginx:1.28");
        let Object::Deployment(new) = new else { unreachable!("a Deployment") };
        d.spec = new.spec;
        c.api().update("bench", Object::Deployment(d)).expect("update");
    }
    // The most pods the API server holds between moments: old ones still terminating beside
    // the new ones are what the update's peak memory is made of.
    let mut most = 0;
    let all = c
        .run_until(Duration::seconds(3600), |c| {
            most = most.max(pod_count(c));
            done(c, replicas, "nginx:1.28") == deployments
        })
        .expect("the cluster runs");
    assert!(all, "only {} of {deployments} rollouts done", done(&c, replicas, "nginx:1.28"));
    println!(
        "rolling update of all to a new image:  {:.2} s wall, at {} simulated, {} requests, at most {most} pods at once",
        start.elapsed().as_secs_f64(),
        c.now(),
        requests(&c) - before
    );
    println!("peak memory (VmHWM):              {:.0} MiB", peak_rss_mib());
    println!("at the end:                       {}", census(c.api_ref()));
}
