//! `updateDaemonSetStatus` and `storeDaemonSetStatus`: the counts `kubectl get ds` shows,
//! written only when they change.

use chrono::Duration;
use k8s_openapi::api::apps::v1::DaemonSetStatus;

use super::util::{is_pod_updated, template_generation};
use super::{sort_by_creation, DaemonSetsController, Sync};
use crate::apiserver::ApiError;
use crate::controllers::controller_utils::{is_pod_available, is_pod_ready};
use crate::model::Typed;
use crate::sim::component::Ctx;

/// Go's zero for an `omitempty` field: not written.
fn nonzero(n: i32) -> Option<i32> {
    (n != 0).then_some(n)
}

/// The counts of one DaemonSet over its nodes: the oldest pod of each node decides.
fn counts(s: &Sync<'_>, hash: &str) -> DaemonSetStatus {
    let (mut desired, mut current, mut misscheduled, mut ready, mut updated, mut available) = (0, 0, 0, 0, 0, 0);
    let generation = template_generation(s.ds);
    for (node, &(should_run, _)) in s.nodes.iter().zip(&s.fits) {
        let pods = s.pods.get(node.metadata.name.as_deref().unwrap_or("")).filter(|p| !p.is_empty());
        if !should_run {
            misscheduled += i32::from(pods.is_some());
            continue;
        }
        desired += 1;
        let Some(pods) = pods else { continue };
        current += 1;
        let mut pods = pods.clone();
        sort_by_creation(&mut pods);
        let pod = pods[0];
        if is_pod_ready(pod) {
            ready += 1;
            available += i32::from(is_pod_available(pod, s.min_ready_seconds(), s.now));
        }
        updated += i32::from(is_pod_updated(pod, hash, generation));
    }
    DaemonSetStatus {
        desired_number_scheduled: desired,
        current_number_scheduled: current,
        number_misscheduled: misscheduled,
        number_ready: ready,
        updated_number_scheduled: nonzero(updated),
        number_available: nonzero(available),
        number_unavailable: nonzero(desired - available),
        ..Default::default()
    }
}

impl DaemonSetsController {
    /// Write the status if a count changed or the generation is new; the delay after which
    /// pods that are ready but not yet available must be looked at again.
    pub(super) fn update_status(
        &mut self,
        ctx: &mut Ctx<'_>,
        s: &Sync<'_>,
        hash: &str,
    ) -> Result<Option<Duration>, ApiError> {
        let want = counts(s, hash);
        let old = s.ds.status.clone().unwrap_or_default();
        let generation = s.ds.metadata.generation.unwrap_or(0);
        let same = old.desired_number_scheduled == want.desired_number_scheduled
            && old.current_number_scheduled == want.current_number_scheduled
            && old.number_misscheduled == want.number_misscheduled
            && old.number_ready == want.number_ready
            && old.updated_number_scheduled.unwrap_or(0) == want.updated_number_scheduled.unwrap_or(0)
            && old.number_available.unwrap_or(0) == want.number_available.unwrap_or(0)
            && old.number_unavailable.unwrap_or(0) == want.number_unavailable.unwrap_or(0)
            && old.observed_generation.unwrap_or(0) >= generation;
        if !same {
            let mut ds = s.ds.clone();
            let status = ds.status.get_or_insert_with(Default::default);
            status.observed_generation = Some(generation).filter(|g| *g != 0);
            status.desired_number_scheduled = want.desired_number_scheduled;
            status.current_number_scheduled = want.current_number_scheduled;
            status.number_misscheduled = want.number_misscheduled;
            status.number_ready = want.number_ready;
            status.updated_number_scheduled = want.updated_number_scheduled;
            status.number_available = want.number_available;
            status.number_unavailable = want.number_unavailable;
            ctx.api.update_status(&self.user, ds.into_object())?;
        }
        let min_ready = s.min_ready_seconds();
        let waiting = want.number_ready != want.number_available.unwrap_or(0);
        Ok((min_ready > 0 && waiting).then(|| Duration::seconds(i64::from(min_ready))))
    }
}
