//! The eviction manager's local storage check (`localStorageEviction`): every
//! `evictionMonitoringPeriod` (10s) it compares each pod's emptyDir usage, as the volume stats
//! last measured it (every `volumeStatsAggPeriod`, a minute), with the volume's `sizeLimit`,
//! and evicts a pod past it: a Warning `Evicted` event, then the pod worker kills it.

use chrono::Duration;

use super::Kubelet;
use crate::apiserver::ApiServer;
use crate::events::EventType;
use crate::model::Pod;

/// Whether a pod has an emptyDir with a `sizeLimit`, which the pass checks.
pub(super) fn size_limited(pod: &Pod) -> bool {
    let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
    volumes.into_iter().flatten().any(|v| v.empty_dir.as_ref().is_some_and(|e| e.size_limit.is_some()))
}

/// `evictionMonitoringPeriod`.
pub const MONITORING_PERIOD: i64 = 10;
/// `volumeStatsAggPeriod`: how often a pod's volume usage is measured.
const STATS_PERIOD: i64 = 60;

impl Kubelet {
    /// One pass; the uids of the pods it evicted, to sync.
    pub(super) fn eviction_pass(&mut self, api: &mut ApiServer) -> Vec<String> {
        let now = api.now();
        let mut evicted = Vec::new();
        // In uid order, as the pods are kept.
        for uid in &self.size_limited {
            let Some(w) = self.pods.get_mut(uid) else { continue };
            if w.terminal || w.evicted.is_some() || w.is_static {
                continue;
            }
            let limited: Vec<_> = w.volumes.ready.iter().filter(|(_, r)| r.size_limit.is_some()).collect();
            if limited.is_empty() {
                continue;
            }
            if w.volumes.usage_at.is_none_or(|at| now - at >= Duration::seconds(STATS_PERIOD)) {
                let usage = limited.iter().map(|(n, r)| ((*n).clone(), r.tree.lock().used())).collect();
                w.volumes.usage = usage;
                w.volumes.usage_at = Some(now);
            }
            let over = limited.iter().find_map(|(name, r)| {
                let (limit, text) = r.size_limit.as_ref()?;
                let used = *w.volumes.usage.get(*name)? as i128;
                let quote = crate::model::selector::go_quote;
                (*limit > 0 && used > *limit)
                    .then(|| format!("Usage of EmptyDir volume {} exceeds the limit {}. ", quote(name), quote(text)))
            });
            if let Some(msg) = over {
                self.recorder.record(api, &w.pod, None, EventType::Warning, "Evicted", &msg);
                w.evicted = Some(msg);
                evicted.push(w.uid.clone());
            }
        }
        evicted
    }
}
