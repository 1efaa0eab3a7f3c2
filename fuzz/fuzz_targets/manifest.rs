//! Any text applied as a manifest: decoding, validation, admission and apply must never panic.
#![no_main]

use controlplane::kubectl::apply::apply_text;
use controlplane::sim::{Cluster, ClusterConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut cluster = Cluster::new(ClusterConfig { workers: 1, ..Default::default() });
    let _ = apply_text(&mut cluster, text, "fuzz.yaml", "default");
});
