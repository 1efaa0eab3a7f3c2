//! What the workload controllers (ReplicaSet, Deployment, DaemonSet, Job, StatefulSet) share,
//! after upstream's `pkg/controller`: pods made from a template with a controller
//! ownerReference and created through `PodControl` (`template.rs`), adoption and release of
//! pods (or ReplicaSets, ControllerRevisions) by a selector (`ref_manager.rs`,
//! `controller_ref_manager.go`), slow-start batches, and
//! which pods are active and which to delete first on scale-down (`ranking.rs`).
//!
//! Everything here talks to the cluster only through the API server, as the controller's own
//! user, so adoptions, releases and creations show up in the audit log as upstream's do.

mod hash;
mod ranking;
mod ref_manager;
mod template;

pub use hash::{compute_hash, safe_encode_string};
pub use ranking::{
    after_or_zero, creation_time, deletion_cost, filter_active_pods, get_pods_to_delete, is_pod_active,
    is_pod_available, is_pod_ready, next_availability, pod_available_after, pod_phase, pod_ready_time, ActivePods,
    ActivePodsWithRanks, POD_DELETION_COST,
};
pub use ref_manager::ControllerRefManager;
pub use template::{
    get_pod_from_template, is_namespace_terminating, new_controller_ref, validate_controller_ref, PodControl, PodExtras,
};

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::apiserver::{ApiError, Reason};

/// What a controller_utils operation can fail with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// `validateControllerRef`: a reference pods cannot be created with.
    #[error("{0}")]
    InvalidControllerRef(&'static str),
    /// A pod without labels could never be selected by its controller again.
    #[error("unable to create pods, no labels")]
    NoLabels,
    /// `RecheckDeletionTimestamp`: the owner is gone or going, so it may not adopt.
    #[error("can't adopt {kind} {namespace}/{name} ({uid}): {why}")]
    CannotAdopt { kind: &'static str, namespace: String, name: String, uid: String, why: String },
    /// The API server refused a request.
    #[error("{}", .0.message)]
    Api(ApiError),
    /// Several of the above, as `utilerrors.NewAggregate`.
    #[error("{}", aggregate_message(.0))]
    Aggregate(Vec<Error>),
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(e)
    }
}

/// A failure as the controller runtime's error, which only decides the back-off: the API
/// server's own error, or an internal one.
impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Api(e) => e,
            other => ApiError::new(Reason::InternalError, other.to_string()),
        }
    }
}

impl Error {
    fn is_reason(&self, reason: Reason) -> bool {
        matches!(self, Error::Api(e) if e.reason == reason)
    }
}

/// `utilerrors.NewAggregate(...).Error()`: one error as is, several as `[a, b]`.
fn aggregate_message(errs: &[Error]) -> String {
    crate::model::validation::aggregate(errs.iter().map(ToString::to_string).collect()).unwrap_or_default()
}

/// `SlowStartInitialBatchSize`: the first batch of a slow start.
pub const SLOW_START_INITIAL_BATCH_SIZE: usize = 1;

/// `slowStartBatch`: call `f` `count` times in batches of `initial_batch_size`, then twice as
/// many each time, so a controller whose creations all fail (a quota, a bad template) makes one
/// failing request rather than `count`. Every call of a batch is made; the first batch with a
/// failure is the last. Returns how many calls succeeded and the first error.
pub fn slow_start_batch<E>(
    count: usize,
    initial_batch_size: usize,
    mut f: impl FnMut() -> Result<(), E>,
) -> (usize, Result<(), E>) {
    let mut remaining = count;
    let mut successes = 0;
    let mut batch_size = remaining.min(initial_batch_size);
    while batch_size > 0 {
        let mut first_error = None;
        for _ in 0..batch_size {
            match f() {
                Ok(()) => successes += 1,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return (successes, Err(e));
        }
        remaining -= batch_size;
        batch_size = (2 * batch_size).min(remaining);
    }
    (successes, Ok(()))
}

/// `intstr.GetScaledValueFromIntOrPercent`: a count, or a percentage of `total` rounded up
/// or down.
pub fn scaled_value(v: &IntOrString, total: i32, round_up: bool) -> Result<i32, String> {
    match v {
        IntOrString::Int(i) => Ok(*i),
        IntOrString::String(s) => {
            let pct: i64 = s
                .strip_suffix('%')
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| "invalid value for IntOrString: invalid type: string is not a percentage".to_string())?;
            let product = pct * total as i64;
            let value = if round_up {
                product.div_euclid(100) + i64::from(product.rem_euclid(100) != 0)
            } else {
                product.div_euclid(100)
            };
            Ok(value as i32)
        }
    }
}

#[cfg(test)]
mod tests;
