//! Storage: persistentvolumes, persistentvolumeclaims, storageclasses
//! (`printPersistentVolume`, `printPersistentVolumeClaim`, `printStorageClass`).

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{col, list, wide, Column, Ctx};

/// The beta annotation still wins over `storageClassName` (`helper.GetPersistentVolumeClass`).
const BETA_STORAGE_CLASS: &str = "volume.beta.kubernetes.io/storage-class";
const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
const BETA_DEFAULT_CLASS: &str = "storageclass.beta.kubernetes.io/is-default-class";

pub(super) const PV_COLUMNS: &[Column] = &[
    col("NAME"),
    col("CAPACITY"),
    col("ACCESS MODES"),
    col("RECLAIM POLICY"),
    col("STATUS"),
    col("CLAIM"),
    col("STORAGECLASS"),
    col("VOLUMEATTRIBUTESCLASS"),
    col("REASON"),
    col("AGE"),
    wide("VOLUMEMODE"),
];

/// Absent fields print as the API server defaults them: reclaim policy Retain, phase Pending,
/// volume mode Filesystem.
pub(super) fn pv_row(pv: &PersistentVolume, ctx: &Ctx) -> Vec<String> {
    let spec = pv.spec.as_ref();
    let status = pv.status.as_ref();
    let claim = spec
        .and_then(|s| s.claim_ref.as_ref())
        .map(|c| format!("{}/{}", c.namespace.as_deref().unwrap_or(""), c.name.as_deref().unwrap_or("")))
        .unwrap_or_default();
    let phase = if pv.metadata.deletion_timestamp.is_some() {
        "Terminating".to_string()
    } else {
        status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".to_string())
    };
    let class = storage_class(&pv.metadata, spec.and_then(|s| s.storage_class_name.as_deref()));
    vec![
        pv.metadata.name.clone().unwrap_or_default(),
        spec.and_then(|s| s.capacity.as_ref())
            .and_then(|c| c.get("storage"))
            .map(|q| q.0.clone())
            .unwrap_or_else(|| "0".into()),
        access_modes(spec.map(|s| list(&s.access_modes)).unwrap_or(&[])),
        spec.and_then(|s| s.persistent_volume_reclaim_policy.clone()).unwrap_or_else(|| "Retain".to_string()),
        phase,
        claim,
        class,
        spec.and_then(|s| s.volume_attributes_class_name.clone()).unwrap_or_else(|| "<unset>".to_string()),
        status.and_then(|s| s.reason.clone()).unwrap_or_default(),
        ctx.age(pv.metadata.creation_timestamp.as_ref()),
        spec.and_then(|s| s.volume_mode.clone()).unwrap_or_else(|| "Filesystem".to_string()),
    ]
}

pub(super) const PVC_COLUMNS: &[Column] = &[
    col("NAME"),
    col("STATUS"),
    col("VOLUME"),
    col("CAPACITY"),
    col("ACCESS MODES"),
    col("STORAGECLASS"),
    col("VOLUMEATTRIBUTESCLASS"),
    col("AGE"),
    wide("VOLUMEMODE"),
];

/// CAPACITY and ACCESS MODES come from the status, and only once the claim is bound to a
/// volume. Absent phase and volume mode print as Pending and Filesystem.
pub(super) fn pvc_row(pvc: &PersistentVolumeClaim, ctx: &Ctx) -> Vec<String> {
    let spec = pvc.spec.as_ref();
    let status = pvc.status.as_ref();
    let phase = if pvc.metadata.deletion_timestamp.is_some() {
        "Terminating".to_string()
    } else {
        status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".to_string())
    };
    let volume = spec.and_then(|s| s.volume_name.clone()).unwrap_or_default();
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        let capacity = status.and_then(|s| s.capacity.as_ref()).and_then(|c| c.get("storage"));
        (
            capacity.map(|q| q.0.clone()).unwrap_or_else(|| "0".to_string()),
            access_modes(status.map(|s| list(&s.access_modes)).unwrap_or(&[])),
        )
    };
    vec![
        pvc.metadata.name.clone().unwrap_or_default(),
        phase,
        volume,
        capacity,
        modes,
        storage_class(&pvc.metadata, spec.and_then(|s| s.storage_class_name.as_deref())),
        spec.and_then(|s| s.volume_attributes_class_name.clone()).unwrap_or_else(|| "<unset>".to_string()),
        ctx.age(pvc.metadata.creation_timestamp.as_ref()),
        spec.and_then(|s| s.volume_mode.clone()).unwrap_or_else(|| "Filesystem".to_string()),
    ]
}

fn storage_class(meta: &ObjectMeta, name: Option<&str>) -> String {
    match meta.annotations.as_ref().and_then(|a| a.get(BETA_STORAGE_CLASS)) {
        Some(class) => class.clone(),
        None => name.unwrap_or("").to_string(),
    }
}

/// `helper.GetAccessModesAsString`: RWO, ROX, RWX, RWOP in that order, each once.
fn access_modes(modes: &[String]) -> String {
    [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")]
        .iter()
        .filter(|(mode, _)| modes.iter().any(|m| m == mode))
        .map(|(_, short)| *short)
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) const SC_COLUMNS: &[Column] = &[
    col("NAME"),
    col("PROVISIONER"),
    col("RECLAIMPOLICY"),
    col("VOLUMEBINDINGMODE"),
    col("ALLOWVOLUMEEXPANSION"),
    col("AGE"),
];

/// The default class is marked `(default)` after its name; booleans print as Go prints them.
pub(super) fn sc_row(sc: &StorageClass, ctx: &Ctx) -> Vec<String> {
    let annotations = sc.metadata.annotations.as_ref();
    let is_default = [DEFAULT_CLASS, BETA_DEFAULT_CLASS]
        .iter()
        .any(|k| annotations.and_then(|a| a.get(*k)).is_some_and(|v| v == "true"));
    let mut name = sc.metadata.name.clone().unwrap_or_default();
    if is_default {
        name.push_str(" (default)");
    }
    vec![
        name,
        sc.provisioner.clone(),
        sc.reclaim_policy.clone().unwrap_or_else(|| "Delete".to_string()),
        sc.volume_binding_mode.clone().unwrap_or_else(|| "Immediate".to_string()),
        sc.allow_volume_expansion.unwrap_or(false).to_string(),
        ctx.age(sc.metadata.creation_timestamp.as_ref()),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(yaml: &str, wide: bool, expect: &str) {
        assert_text(&render(yaml, &PrintOptions { wide, ..Default::default() }), expect);
    }

    #[test]
    fn volumes() {
        let yaml = "
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-data}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteMany, ReadWriteOnce, ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  storageClassName: standard
  claimRef: {namespace: default, name: data}
  hostPath: {path: /data}
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-old, annotations: {volume.beta.kubernetes.io/storage-class: slow}, deletionTimestamp: '2025-01-01T00:59:00Z'}
spec: {capacity: {storage: 1Gi}, accessModes: [ReadOnlyMany, ReadWriteOncePod], volumeMode: Block, volumeAttributesClassName: gold, hostPath: {path: /old}}
status: {phase: Failed, reason: RecyclerFailed}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-new}
spec: {capacity: {storage: 500Mi}, hostPath: {path: /new}}
";
        check(yaml, false, "
NAME      CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS        CLAIM          STORAGECLASS   VOLUMEATTRIBUTESCLASS   REASON           AGE
pv-data   10Gi       RWO,RWX        Delete           Bound         default/data   standard       <unset>                                  60m
pv-old    1Gi        ROX,RWOP       Retain           Terminating                  slow           gold                    RecyclerFailed   60m
pv-new    500Mi                     Retain           Pending                                     <unset>                                  60m
");
        check(yaml, true, "
NAME      CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS        CLAIM          STORAGECLASS   VOLUMEATTRIBUTESCLASS   REASON           AGE   VOLUMEMODE
pv-data   10Gi       RWO,RWX        Delete           Bound         default/data   standard       <unset>                                  60m   Filesystem
pv-old    1Gi        ROX,RWOP       Retain           Terminating                  slow           gold                    RecyclerFailed   60m   Block
pv-new    500Mi                     Retain           Pending                                     <unset>                                  60m   Filesystem
");
    }

    #[test]
    fn claims() {
        let yaml = "
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: default}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 8Gi}}, storageClassName: standard, volumeName: pv-data}
status: {phase: Bound, accessModes: [ReadWriteOnce, ReadWriteMany], capacity: {storage: 10Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: waiting, namespace: default}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, storageClassName: standard}
status: {phase: Pending}
";
        check(
            yaml,
            false,
            "
NAME      STATUS    VOLUME    CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE
data      Bound     pv-data   10Gi       RWO,RWX        standard       <unset>                 60m
waiting   Pending                                       standard       <unset>                 60m
",
        );
    }

    #[test]
    fn storage_classes() {
        let yaml = "
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: standard, annotations: {storageclass.kubernetes.io/is-default-class: 'true'}}
provisioner: rancher.io/local-path
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: kubernetes.io/no-provisioner
reclaimPolicy: Retain
allowVolumeExpansion: true
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: legacy, annotations: {storageclass.beta.kubernetes.io/is-default-class: 'true'}}
provisioner: example.com/legacy
";
        check(
            yaml,
            false,
            "
NAME                 PROVISIONER                    RECLAIMPOLICY   VOLUMEBINDINGMODE      ALLOWVOLUMEEXPANSION   AGE
standard (default)   rancher.io/local-path          Delete          WaitForFirstConsumer   false                  60m
fast                 kubernetes.io/no-provisioner   Retain          Immediate              true                   60m
legacy (default)     example.com/legacy             Delete          Immediate              false                  60m
",
        );
    }
}
