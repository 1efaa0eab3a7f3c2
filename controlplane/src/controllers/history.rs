//! ControllerRevisions, the snapshots of a template the DaemonSet and StatefulSet
//! controllers keep, after upstream's `pkg/controller/history`: their names, their order, the
//! patch a revision holds and its application, `realHistory`'s creation with the collision
//! count, and the controller's revisions as kubectl finds them.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use serde_json::{json, Value};

use super::controller_utils::compute_hash;
use crate::apiserver::patch::apply_patch;
use crate::apiserver::{ApiError, ApiServer, PatchType, Reason};
use crate::model::{Kind, Object, Typed};

/// `ControllerRevisionHashLabel`.
pub const REVISION_HASH_LABEL: &str = "controller-revision-hash";

/// `getPatch` (of the DaemonSet and StatefulSet controllers): what a revision stores, a
/// strategic merge patch that puts `template` back.
pub fn template_patch(template: &PodTemplateSpec) -> Value {
    let mut t = serde_json::to_value(template).unwrap_or_else(|_| json!({}));
    if let Value::Object(m) = &mut t {
        m.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": t}})
}

/// `ApplyRevision`: `obj` as it was at `revision`, its stored patch applied; None when the
/// patch does not apply or gives no valid object.
pub fn apply_revision<T: Typed + serde::de::DeserializeOwned>(
    obj: &Object,
    revision: &ControllerRevision,
) -> Option<T> {
    let mut doc = obj.to_value();
    let data = revision.data.as_ref().map(|d| d.0.clone()).unwrap_or_default();
    apply_patch(PatchType::Strategic, &mut doc, &data).ok()?;
    serde_json::from_value(doc).ok()
}

/// `EqualRevision`: whether two revisions hold the same data (kubesim's hash labels are never
/// decimal numbers, so upstream's comparison of parsed hashes never applies).
pub fn equal_revision(a: &ControllerRevision, b: &ControllerRevision) -> bool {
    a.data == b.data
}

/// `realHistory.CreateControllerRevision`: create `revision` named `<parent>-<hash>`, the hash
/// of its data and the collision count; a name taken by other data bumps the count and tries
/// the next name, a name taken by the same data is that revision. The count may have grown.
pub fn create_revision(
    api: &mut ApiServer,
    user: &str,
    parent: &Object,
    revision: &ControllerRevision,
    collision_count: &mut i32,
) -> Result<ControllerRevision, ApiError> {
    let data = revision.data.as_ref().map(|d| d.0.clone()).unwrap_or_default();
    let ns = parent.namespace();
    loop {
        let mut clone = revision.clone();
        clone.metadata.name = Some(revision_name(parent.name(), &compute_hash(&data, Some(*collision_count))));
        clone.metadata.namespace = Some(ns.to_string());
        match api.create(user, ns, clone.clone().into_object()) {
            Ok(created) => return Ok(ControllerRevision::from_object(&created).cloned().unwrap_or(clone)),
            Err(e) if e.reason == Reason::AlreadyExists => {
                let name = clone.metadata.name.as_deref().unwrap_or("");
                let existing = api.get(user, Kind::ControllerRevision, ns, name)?;
                let existing = ControllerRevision::from_object(&existing).cloned().unwrap_or_default();
                if existing.data.as_ref().map(|d| &d.0) == Some(&data) {
                    return Ok(existing);
                }
                *collision_count = collision_count.saturating_add(1);
            }
            Err(e) => return Err(e),
        }
    }
}

/// `ControllerRevisionName`: `<prefix>-<hash>`, the prefix cut so the name stays valid.
pub fn revision_name(prefix: &str, hash: &str) -> String {
    let prefix: String = prefix.chars().take(223).collect();
    format!("{prefix}-{hash}")
}

/// The highest revision number of `revisions`, 0 if none (`maxRevision`).
pub fn max_revision<'a>(revisions: impl IntoIterator<Item = &'a ControllerRevision>) -> i64 {
    revisions.into_iter().map(|r| r.revision).max().unwrap_or(0).max(0)
}

/// `historiesByRevision`: oldest first; equal numbers keep their order.
pub fn sort_by_revision(revisions: &mut [&ControllerRevision]) {
    revisions.sort_by_key(|r| r.revision);
}

/// The revisions `owner` controls among `all` (kubectl's `controlledHistory`), by revision.
pub fn controlled_by<'a>(owner: &Object, all: &'a [Arc<Object>]) -> Vec<&'a ControllerRevision> {
    let uid = owner.metadata().uid.as_deref().unwrap_or("");
    let mut owned: Vec<&ControllerRevision> = all
        .iter()
        .filter_map(|o| ControllerRevision::from_object(o))
        .filter(|r| crate::controllers::informers::controller_ref(&r.metadata).is_some_and(|c| c.uid == uid))
        .collect();
    sort_by_revision(&mut owned);
    owned
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(n: i64) -> ControllerRevision {
        ControllerRevision { revision: n, ..Default::default() }
    }

    #[test]
    fn names_and_order() {
        assert_eq!(revision_name("web", "abc"), "web-abc");
        assert_eq!(revision_name(&"a".repeat(300), "h").len(), 225);
        let (a, b, c) = (rev(3), rev(1), rev(2));
        let mut all = vec![&a, &b, &c];
        sort_by_revision(&mut all);
        assert_eq!(all.iter().map(|r| r.revision).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(max_revision(all), 3);
        assert_eq!(max_revision([]), 0);
    }
}
