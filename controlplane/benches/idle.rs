//! An idle cluster over simulated days: NODES workers (100) and nothing else running but the
//! heartbeats, leases, node status and periodic controllers. Prints the wall time of the first
//! 24 simulated hours, and peak memory (VmHWM) and what the cluster keeps (objects, watch
//! history, audit records and the strings they use, Event leases, history points) after 1, 24
//! and HOURS (72) hours: what is kept in simulated time must stay bounded, so the peak after 72
//! hours should be close to the peak after the rings have filled.
//!
//! `cargo bench -p controlplane --bench idle` (NODES=N HOURS=H to change it).

/// The allocator the `kubesim` binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: controlplane::alloc::MiMalloc = controlplane::alloc::MiMalloc;

mod common;
use common::{env, peak_rss_mib};

use std::time::Instant;

use chrono::Duration;
use controlplane::sim::{Cluster, ClusterConfig};

fn report(c: &mut Cluster, hours: i64) {
    let points = c.history().map_or(0, |h| h.points());
    let api = c.api_ref();
    let store = api.store();
    println!(
        "after {hours:>3} h: peak {:>6.0} MiB; {} objects, {} watch events kept, {} audit records of {} written ({} strings), {} Event leases, {} history points",
        peak_rss_mib(),
        store.len(),
        store.history_len(),
        api.audit_log().len(),
        api.audit_log().written(),
        api.audit_log().symbols(),
        store.lease_count(),
        points
    );
}

fn main() {
    let (nodes, hours) = (env("NODES", 100), env("HOURS", 72) as i64);
    let start = Instant::now();
    let mut c = Cluster::new(ClusterConfig { workers: nodes, ..ClusterConfig::default() });
    println!("cluster of {nodes} workers:       {:.2} s", start.elapsed().as_secs_f64());
    let start = Instant::now();
    let mut at = 0;
    for mark in [1, 24, hours] {
        if mark <= at || mark > hours {
            continue;
        }
        c.advance(Duration::hours(mark - at)).expect("the idle cluster runs");
        at = mark;
        if mark == 24 {
            println!("24 simulated hours:               {:.2} s wall", start.elapsed().as_secs_f64());
        }
        report(&mut c, mark);
    }
}
