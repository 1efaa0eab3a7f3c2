//! ControllerRevisions, the snapshots of a template the DaemonSet (and later StatefulSet)
//! controllers keep, after upstream's `pkg/controller/history`: their names, their order, and
//! the controller's revisions as kubectl finds them.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::ControllerRevision;

use crate::model::{Object, Typed};

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
