//! PersistentVolumeClaims (core/v1 `SetDefaults_PersistentVolumeClaimSpec`,
//! `ValidatePersistentVolumeClaimSpec`): volumeMode Filesystem, phase Pending on create; access
//! modes and `resources.requests.storage` required; the spec is immutable but for the size and,
//! once, `volumeName`.

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PersistentVolumeClaimStatus};

use super::names::{check_name, invalid_str, NameRule};
use super::persistentvolume::access_modes;
use super::{selector, Strategy};
use crate::apiserver::error::{quote, FieldError};
use crate::model::quantity::Quantity as Qty;

impl Strategy for PersistentVolumeClaim {
    fn default(&mut self) {
        self.spec.get_or_insert_with(Default::default).volume_mode.get_or_insert_with(|| "Filesystem".into());
    }

    fn prepare_for_create(&mut self) {
        self.status = Some(PersistentVolumeClaimStatus { phase: Some("Pending".into()), ..Default::default() });
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = self.spec.clone().unwrap_or_default();
        access_modes(
            spec.access_modes.as_deref().unwrap_or_default(),
            "spec.accessModes",
            "at least 1 access mode is required",
            errs,
        );
        if let Some(s) = &spec.selector {
            selector::validate(s, "spec.selector", errs);
        }
        let storage = spec.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get("storage"));
        match storage.map(|q| (q, Qty::from_k8s(q).ok())) {
            None => errs.push(FieldError::required("spec.resources[storage]", "")),
            Some((_, Some(q))) if q.nanos() <= 0 => errs.push(FieldError::invalid(
                "spec.resources[storage]",
                quote(&q.to_string()),
                "must be greater than zero",
            )),
            Some(_) => {}
        }
        if let Some(sc) = spec.storage_class_name.as_deref().filter(|s| !s.is_empty()) {
            errs.extend(invalid_str("spec.storageClassName", sc, check_name(NameRule::Subdomain, sc, false)));
        }
        if let Some(m) = spec.volume_mode.as_deref().filter(|m| *m != "Block" && *m != "Filesystem") {
            errs.push(FieldError::not_supported("spec.volumeMode", quote(m), &["Block", "Filesystem"]));
        }
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        let mut new = self.spec.clone().unwrap_or_default();
        let mut old_spec = old.spec.clone().unwrap_or_default();
        if old_spec.volume_name.as_deref().unwrap_or("").is_empty() {
            old_spec.volume_name = new.volume_name.clone();
        }
        if old_spec.storage_class_name.is_none() {
            old_spec.storage_class_name = new.storage_class_name.clone();
        }
        let bound = self.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound");
        if bound {
            let storage = |s: &k8s_openapi::api::core::v1::PersistentVolumeClaimSpec| {
                s.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get("storage")).cloned()
            };
            if let (Some(reqs), Some(old_storage)) =
                (new.resources.as_mut().and_then(|r| r.requests.as_mut()), storage(&old_spec))
            {
                reqs.insert("storage".into(), old_storage);
            }
            new.volume_attributes_class_name = old_spec.volume_attributes_class_name.clone();
        }
        if new != old_spec {
            errs.push(FieldError::forbidden(
                "spec",
                "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
            ));
        }
        let (n, o) =
            (self.spec.clone().unwrap_or_default().volume_mode, old.spec.clone().unwrap_or_default().volume_mode);
        if n != o {
            errs.push(FieldError::invalid(
                "volumeMode",
                n.as_deref().map(quote).unwrap_or_else(|| "null".into()),
                "field is immutable",
            ));
        }
    }
}
