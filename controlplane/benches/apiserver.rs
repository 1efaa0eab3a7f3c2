//! API server figures: create 150,000 pods through the API server (validation, defaulting,
//! admission, the store, the audit log), list them by a label selector, and follow them with a
//! watch. Prints creates per second, list times, watch delivery time and peak memory.
//!
//! `cargo bench -p controlplane --bench apiserver` (PODS=N to change the count).

/// The allocator the `kubesim` binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: controlplane::alloc::MiMalloc = controlplane::alloc::MiMalloc;

mod common;
use common::{env, peak_rss_mib};

use std::time::Instant;

use controlplane::apiserver::ApiServer;
use controlplane::model::decode::decode_one;
use controlplane::model::selector::LabelSelector;
use controlplane::model::{Kind, Object};
use controlplane::sim::epoch;

fn main() {
    let pods: usize = env("PODS", 150_000);
    let mut api = ApiServer::new(0, epoch());
    api.create("bench", "", decode_one("apiVersion: v1\nkind: Namespace\nmetadata: {name: default}").unwrap()).unwrap();
    api.create(
        "bench",
        "default",
        decode_one("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}").unwrap(),
    )
    .unwrap();
    let template = decode_one(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x, labels: {app: x, tier: web}}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n    resources: {requests: {cpu: 100m, memory: 128Mi}}\n",
    )
    .unwrap();
    let watch_from = api.revision();

    let start = Instant::now();
    for i in 0..pods {
        let mut pod: Object = template.clone();
        let meta = pod.metadata_mut();
        meta.name = Some(format!("pod-{i}"));
        meta.labels =
            Some([("app".to_string(), format!("app-{}", i % 100)), ("tier".to_string(), "web".to_string())].into());
        api.create("bench", "default", pod).expect("create");
    }
    let create_secs = start.elapsed().as_secs_f64();

    let selective = LabelSelector::parse("app=app-7").unwrap();
    let start = Instant::now();
    let one_percent = api.list("bench", Kind::Pod, Some("default"), |o| selective.matches(o.labels())).items.len();
    let list_1pct = start.elapsed();
    let broad = LabelSelector::parse("tier=web,app!=app-0").unwrap();
    let start = Instant::now();
    let most = api.list("bench", Kind::Pod, Some("default"), |o| broad.matches(o.labels())).items.len();
    let list_most = start.elapsed();

    let start = Instant::now();
    let mut added = 0usize;
    api.watch_each(Kind::Pod, None, watch_from, |e| {
        if e.event_type == controlplane::apiserver::WatchEventType::Added {
            added += 1;
        }
    })
    .unwrap();
    let watch = start.elapsed();

    println!("pods created:             {pods}");
    println!("creates per second:       {:.0}", pods as f64 / create_secs);
    println!("create total:             {create_secs:.2} s");
    println!("list app=app-7:           {one_percent} pods in {:.2} ms", list_1pct.as_secs_f64() * 1e3);
    println!("list tier=web,app!=app-0: {most} pods in {:.2} ms", list_most.as_secs_f64() * 1e3);
    println!("watch from start:         {added} ADDED events in {:.2} ms", watch.as_secs_f64() * 1e3);
    println!("peak memory (VmHWM):      {:.0} MiB", peak_rss_mib());
    assert_eq!(one_percent, pods / 100);
    assert_eq!(added, pods);
}
