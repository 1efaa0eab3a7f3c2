//! What the custom-harness benchmarks share: sizes from the environment and peak memory.

/// The size `name` from the environment, else `default`. `cargo test --all-targets` runs the
/// benchmarks too (without the `--bench` argument `cargo bench` passes): then they run as quick
/// smoke tests at a hundredth of their size.
pub fn env(name: &str, default: usize) -> usize {
    let default = if std::env::args().any(|a| a == "--bench") { default } else { (default / 100).max(1) };
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Peak resident memory (VmHWM) in MiB.
#[allow(dead_code)] // the criterion benchmark does not print it
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// What the API server holds at the end: the objects, the pods and events among them, and the
/// changes kept for watches (the compactor's backlog), which is where peak memory goes.
#[allow(dead_code)] // not every benchmark prints it
pub fn census(api: &controlplane::apiserver::ApiServer) -> String {
    use controlplane::model::Kind;
    let store = api.store();
    let count = |kind: Kind| store.count(&kind.info().key_prefix(None));
    format!(
        "{} objects ({} pods, {} events), {} changes kept for watches",
        store.len(),
        count(Kind::Pod),
        count(Kind::Event),
        store.history_len()
    )
}
