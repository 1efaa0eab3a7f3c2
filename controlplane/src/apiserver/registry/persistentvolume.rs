//! PersistentVolumes (core/v1 `SetDefaults_PersistentVolume`, `ValidatePersistentVolume`):
//! reclaim policy Retain, volumeMode Filesystem, phase Pending on create; access modes, capacity
//! (storage only) and exactly one volume source required; the source is immutable.

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeSpec, PersistentVolumeStatus};

use super::names::{check_name, invalid_str, NameRule};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};
use crate::model::quantity::Quantity as Qty;

pub const ACCESS_MODES: &[&str] = &["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

impl Strategy for PersistentVolume {
    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        if spec.persistent_volume_reclaim_policy.as_deref().unwrap_or("").is_empty() {
            spec.persistent_volume_reclaim_policy = Some("Retain".into());
        }
        spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
    }

    fn prepare_for_create(&mut self) {
        self.status = Some(PersistentVolumeStatus { phase: Some("Pending".into()), ..Default::default() });
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = self.spec.clone().unwrap_or_default();
        access_modes(spec.access_modes.as_deref().unwrap_or_default(), "spec.accessModes", "", errs);
        let capacity = spec.capacity.clone().unwrap_or_default();
        if capacity.is_empty() {
            errs.push(FieldError::required("spec.capacity", ""));
        }
        if !capacity.contains_key("storage") || capacity.len() > 1 {
            let shown = format!(
                "core.ResourceList{{{}}}",
                capacity.iter().map(|(k, v)| format!("{}:{}", quote(k), quote(&v.0))).collect::<Vec<_>>().join(", ")
            );
            errs.push(FieldError::not_supported("spec.capacity", shown, &["storage"]));
        }
        for (k, v) in &capacity {
            if let Some(q) = Qty::from_k8s(v).ok().filter(|q| q.nanos() <= 0) {
                errs.push(FieldError::invalid(
                    format!("spec.capacity[{k}]"),
                    quote(&q.to_string()),
                    "must be greater than zero",
                ));
            }
        }
        if let Some(p) = spec.persistent_volume_reclaim_policy.as_deref().filter(|p| !p.is_empty()) {
            if !["Delete", "Recycle", "Retain"].contains(&p) {
                errs.push(FieldError::not_supported(
                    "spec.persistentVolumeReclaimPolicy",
                    quote(p),
                    &["Delete", "Recycle", "Retain"],
                ));
            }
        }
        let sources = source_names(&spec);
        for extra in sources.iter().skip(1) {
            errs.push(FieldError::forbidden(format!("spec.{extra}"), "may not specify more than 1 volume type"));
        }
        if let Some(h) = spec.host_path.as_ref().filter(|_| sources.first() == Some(&"hostPath")) {
            if h.path.is_empty() {
                errs.push(FieldError::required("spec.hostPath.path", ""));
            }
        }
        if spec.local.is_some() && spec.node_affinity.is_none() {
            errs.push(FieldError::required("spec.nodeAffinity", "Local volume requires node affinity"));
        }
        if sources.is_empty() {
            errs.push(FieldError::required("spec", "must specify a volume type"));
        }
        if let Some(sc) = spec.storage_class_name.as_deref().filter(|s| !s.is_empty()) {
            errs.extend(invalid_str("spec.storageClassName", sc, check_name(NameRule::Subdomain, sc, false)));
        }
        if let Some(m) = spec.volume_mode.as_deref().filter(|m| *m != "Block" && *m != "Filesystem") {
            errs.push(FieldError::not_supported("spec.volumeMode", quote(m), &["Block", "Filesystem"]));
        }
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        let (new, old) = (self.spec.clone().unwrap_or_default(), old.spec.clone().unwrap_or_default());
        if sources_of(&new) != sources_of(&old) {
            errs.push(FieldError::forbidden(
                "spec.persistentvolumesource",
                "spec.persistentvolumesource is immutable after creation",
            ));
        }
        if new.volume_mode != old.volume_mode {
            let shown = new.volume_mode.as_deref().map(quote).unwrap_or_else(|| "null".into());
            errs.push(FieldError::invalid("volumeMode", shown, "field is immutable"));
        }
    }
}

/// `ValidatePersistentVolume(Claim)Spec`'s access-mode checks; `required` is the detail of a missing list.
pub fn access_modes(modes: &[String], path: &str, required: &str, errs: &mut Vec<FieldError>) {
    if modes.is_empty() {
        errs.push(FieldError::required(path, required));
    }
    let (mut once_pod, mut other) = (false, false);
    for m in modes {
        if !ACCESS_MODES.contains(&m.as_str()) {
            errs.push(FieldError::not_supported(path, quote(m), ACCESS_MODES));
        } else if m == "ReadWriteOncePod" {
            once_pod = true;
        } else {
            other = true;
        }
    }
    if once_pod && other {
        errs.push(FieldError::forbidden(path, "may not use ReadWriteOncePod with other access modes"));
    }
}

/// The volume source with everything else blanked, to compare sources.
fn sources_of(spec: &PersistentVolumeSpec) -> PersistentVolumeSpec {
    PersistentVolumeSpec {
        access_modes: None,
        capacity: None,
        claim_ref: None,
        mount_options: None,
        node_affinity: None,
        persistent_volume_reclaim_policy: None,
        storage_class_name: None,
        volume_attributes_class_name: None,
        volume_mode: None,
        ..spec.clone()
    }
}

fn source_names(s: &PersistentVolumeSpec) -> Vec<&'static str> {
    [
        (s.host_path.is_some(), "hostPath"),
        (s.gce_persistent_disk.is_some(), "gcePersistentDisk"),
        (s.aws_elastic_block_store.is_some(), "awsElasticBlockStore"),
        (s.glusterfs.is_some(), "glusterfs"),
        (s.flocker.is_some(), "flocker"),
        (s.nfs.is_some(), "nfs"),
        (s.rbd.is_some(), "rbd"),
        (s.quobyte.is_some(), "quobyte"),
        (s.cephfs.is_some(), "cephFS"),
        (s.iscsi.is_some(), "iscsi"),
        (s.cinder.is_some(), "cinder"),
        (s.fc.is_some(), "fc"),
        (s.flex_volume.is_some(), "flexVolume"),
        (s.azure_file.is_some(), "azureFile"),
        (s.vsphere_volume.is_some(), "vsphereVolume"),
        (s.photon_persistent_disk.is_some(), "photonPersistentDisk"),
        (s.portworx_volume.is_some(), "portworxVolume"),
        (s.azure_disk.is_some(), "azureDisk"),
        (s.scale_io.is_some(), "scaleIO"),
        (s.local.is_some(), "local"),
        (s.storageos.is_some(), "storageos"),
        (s.csi.is_some(), "csi"),
    ]
    .into_iter()
    .filter(|(present, _)| *present)
    .map(|(_, n)| n)
    .collect()
}
