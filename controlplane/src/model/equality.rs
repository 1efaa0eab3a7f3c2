//! Whether two versions of an object are the same, as cheaply as it can be told: the API
//! server asks on every write (a write that changes nothing is not stored, as upstream's), and
//! most writes are status writes, whose spec is equal and large. Comparing the status first
//! finds their difference before the spec is walked; a Lease's renewals change its spec.

use super::Object;

impl Object {
    /// `self == other`, with the status compared before the rest for the kinds whose status
    /// changes most.
    pub fn same_as(&self, other: &Object) -> bool {
        macro_rules! status_first {
            ($a:expr, $b:expr) => {
                $a.status == $b.status && $a.metadata == $b.metadata && $a.spec == $b.spec
            };
        }
        // The kinds of `model::shared` keep their resourceVersion apart from their metadata.
        macro_rules! status_first_versioned {
            ($a:expr, $b:expr) => {
                $a.status == $b.status
                    && $a.resource_version == $b.resource_version
                    && $a.metadata == $b.metadata
                    && $a.spec == $b.spec
            };
        }
        match (self, other) {
            (Object::Pod(a), Object::Pod(b)) => status_first_versioned!(a, b),
            (Object::Job(a), Object::Job(b)) => status_first_versioned!(a, b),
            (Object::Node(a), Object::Node(b)) => status_first_versioned!(a, b),
            (Object::Deployment(a), Object::Deployment(b)) => status_first!(a, b),
            (Object::ReplicaSet(a), Object::ReplicaSet(b)) => status_first!(a, b),
            (Object::StatefulSet(a), Object::StatefulSet(b)) => status_first!(a, b),
            (Object::DaemonSet(a), Object::DaemonSet(b)) => status_first!(a, b),
            (Object::CronJob(a), Object::CronJob(b)) => status_first_versioned!(a, b),
            (Object::HorizontalPodAutoscaler(a), Object::HorizontalPodAutoscaler(b)) => status_first!(a, b),
            // A renewal changes only the spec's renewTime. Every field named, so that one a new
            // version adds cannot be left out.
            (Object::Lease(a), Object::Lease(b)) => {
                let crate::model::shared::Lease { metadata, resource_version, spec } = &**a;
                *spec == b.spec && *resource_version == b.resource_version && *metadata == b.metadata
            }
            (a, b) => a == b,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::decode::decode_one;

    #[test]
    fn same_as_is_equality() {
        let pod = decode_one("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\nstatus: {phase: Pending}").unwrap();
        let running = decode_one("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\nstatus: {phase: Running}").unwrap();
        let other_image = decode_one("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: redis}]}\nstatus: {phase: Pending}").unwrap();
        let labelled = decode_one("apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {a: b}}\nspec: {containers: [{name: c, image: nginx}]}\nstatus: {phase: Pending}").unwrap();
        let cm = decode_one("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}").unwrap();
        for (a, b) in [(&pod, &pod), (&pod, &running), (&pod, &other_image), (&pod, &labelled), (&pod, &cm), (&cm, &cm)]
        {
            assert_eq!(a.same_as(b), a == b);
        }
    }
}
