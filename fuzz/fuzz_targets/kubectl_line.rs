//! Any kubectl command line runs or fails with an error, never panics.
#![no_main]

use controlplane::sim::{Cluster, ClusterConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut cluster = Cluster::new(ClusterConfig { workers: 1, ..Default::default() });
    let input = controlplane::kubectl::Input { stdin: Some(text), ..Default::default() };
    let _ = controlplane::kubectl::run_line(&mut cluster, text, input);
    let _ = controlplane::kubectl::etcdctl::run_line(&cluster, text);
});
