//! Taints and tolerations: whether a toleration tolerates a taint, which the scheduler's
//! plugins and the taint eviction controller both ask.

use k8s_openapi::api::core::v1::{Taint, Toleration};

/// Whether `t` tolerates `taint` (`Toleration.ToleratesTaint`): an empty effect or key matches
/// any; `Exists` ignores the value, `Equal` (the default) compares it.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect = t.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = t.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match t.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" | "" => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        _ => false,
    }
}

/// `v1helper.FindMatchingUntoleratedTaint`: the first taint `filter` accepts that none of
/// `tolerations` tolerates.
pub fn find_untolerated<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    filter: impl Fn(&Taint) -> bool,
) -> Option<&'a Taint> {
    taints.iter().filter(|taint| filter(taint)).find(|taint| !tolerations.iter().any(|t| tolerates(t, taint)))
}
