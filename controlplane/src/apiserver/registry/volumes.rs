//! Validation of a pod spec's volumes (core `ValidateVolumes`, `validateVolumeSource`): unique
//! DNS-label names, exactly one source each, and the required fields of the common sources.

use std::collections::BTreeSet;
use std::fmt::Display;

use k8s_openapi::api::core::v1::{KeyToPath, Volume};

use super::containers::local_descending_path;
use super::names::{invalid_str, is_dns1123_label};
use crate::apiserver::error::{quote, FieldError};
use crate::model::quantity::Quantity as Qty;

const FILE_MODE_MSG: &str = "must be a number between 0 and 0777 (octal), both inclusive";

/// Validate the volumes; returns the names of those that are valid (mounts may refer to them).
pub fn validate_volumes(volumes: &[Volume], path: &dyn Display, errs: &mut Vec<FieldError>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, v) in volumes.iter().enumerate() {
        let ip = format_args!("{path}[{i}]");
        let mut el = Vec::new();
        validate_source(v, &ip, &mut el);
        if v.name.is_empty() {
            el.push(FieldError::required(format!("{ip}.name"), ""));
        } else {
            el.extend(invalid_str(format_args!("{ip}.name"), &v.name, is_dns1123_label(&v.name)));
        }
        if names.contains(&v.name) {
            el.push(FieldError::duplicate(format!("{ip}.name"), quote(&v.name)));
        }
        if el.is_empty() {
            names.insert(v.name.clone());
        } else {
            errs.extend(el);
        }
    }
    names
}

fn validate_source(v: &Volume, ip: &dyn Display, errs: &mut Vec<FieldError>) {
    // Upstream's order; `downwarAPI` is upstream's own spelling in this message.
    let present = [
        (v.empty_dir.is_some(), "emptyDir"),
        (v.host_path.is_some(), "hostPath"),
        (v.git_repo.is_some(), "gitRepo"),
        (v.gce_persistent_disk.is_some(), "gcePersistentDisk"),
        (v.aws_elastic_block_store.is_some(), "awsElasticBlockStore"),
        (v.secret.is_some(), "secret"),
        (v.nfs.is_some(), "nfs"),
        (v.iscsi.is_some(), "iscsi"),
        (v.glusterfs.is_some(), "glusterfs"),
        (v.flocker.is_some(), "flocker"),
        (v.persistent_volume_claim.is_some(), "persistentVolumeClaim"),
        (v.rbd.is_some(), "rbd"),
        (v.cinder.is_some(), "cinder"),
        (v.cephfs.is_some(), "cephFS"),
        (v.quobyte.is_some(), "quobyte"),
        (v.downward_api.is_some(), "downwarAPI"),
        (v.fc.is_some(), "fc"),
        (v.flex_volume.is_some(), "flexVolume"),
        (v.config_map.is_some(), "configMap"),
        (v.azure_file.is_some(), "azureFile"),
        (v.vsphere_volume.is_some(), "vsphereVolume"),
        (v.photon_persistent_disk.is_some(), "photonPersistentDisk"),
        (v.portworx_volume.is_some(), "portworxVolume"),
        (v.azure_disk.is_some(), "azureDisk"),
        (v.storageos.is_some(), "storageos"),
        (v.projected.is_some(), "projected"),
        (v.scale_io.is_some(), "scaleIO"),
        (v.csi.is_some(), "csi"),
        (v.ephemeral.is_some(), "ephemeral"),
        (v.image.is_some(), "image"),
    ];
    let mut count = 0;
    for (is, name) in present {
        if !is {
            continue;
        }
        if count > 0 {
            errs.push(FieldError::forbidden(format!("{ip}.{name}"), "may not specify more than 1 volume type"));
            continue;
        }
        count += 1;
        check_one(v, name, &format_args!("{ip}.{name}"), errs);
    }
    if count == 0 {
        errs.push(FieldError::required(ip.to_string(), "must specify a volume type"));
    }
}

fn check_one(v: &Volume, name: &str, sp: &dyn Display, errs: &mut Vec<FieldError>) {
    match name {
        "emptyDir" => {
            let limit = v.empty_dir.as_ref().and_then(|e| e.size_limit.as_ref()).and_then(|q| Qty::from_k8s(q).ok());
            if limit.is_some_and(|q| q.nanos() < 0) {
                errs.push(FieldError::forbidden(
                    format!("{sp}.sizeLimit"),
                    "SizeLimit field must be a valid resource quantity",
                ));
            }
        }
        "hostPath" => {
            let h = v.host_path.as_ref().expect("present");
            if h.path.is_empty() {
                errs.push(FieldError::required(format!("{sp}.path"), ""));
                return;
            }
            if h.path.split('/').any(|s| s == "..") {
                errs.push(FieldError::invalid(format!("{sp}.path"), quote(&h.path), "must not contain '..'"));
            }
            const TYPES: &[&str] =
                &["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"];
            if let Some(t) = h.type_.as_deref().filter(|t| !TYPES.contains(t)) {
                errs.push(FieldError::not_supported(format!("{sp}.type"), quote(t), TYPES));
            }
        }
        "secret" => {
            let s = v.secret.as_ref().expect("present");
            if s.secret_name.as_deref().unwrap_or("").is_empty() {
                errs.push(FieldError::required(format!("{sp}.secretName"), ""));
            }
            mode(s.default_mode, &format_args!("{sp}.defaultMode"), errs);
            items(s.items.as_deref(), &format_args!("{sp}.items"), errs);
        }
        "configMap" => {
            let c = v.config_map.as_ref().expect("present");
            if c.name.is_empty() {
                errs.push(FieldError::required(format!("{sp}.name"), ""));
            }
            mode(c.default_mode, &format_args!("{sp}.defaultMode"), errs);
            items(c.items.as_deref(), &format_args!("{sp}.items"), errs);
        }
        "persistentVolumeClaim" if v.persistent_volume_claim.as_ref().expect("present").claim_name.is_empty() => {
            errs.push(FieldError::required(format!("{sp}.claimName"), ""))
        }
        "nfs" => {
            let n = v.nfs.as_ref().expect("present");
            if n.server.is_empty() {
                errs.push(FieldError::required(format!("{sp}.server"), ""));
            }
            if n.path.is_empty() {
                errs.push(FieldError::required(format!("{sp}.path"), ""));
            } else if !n.path.starts_with('/') {
                errs.push(FieldError::invalid(format!("{sp}.path"), quote(&n.path), "must be an absolute path"));
            }
        }
        "csi" if v.csi.as_ref().expect("present").driver.is_empty() => {
            errs.push(FieldError::required(format!("{sp}.driver"), ""))
        }
        "ephemeral" if v.ephemeral.as_ref().expect("present").volume_claim_template.is_none() => {
            errs.push(FieldError::required(format!("{sp}.volumeClaimTemplate"), ""))
        }
        _ => {}
    }
}

fn mode(m: Option<i32>, path: &dyn Display, errs: &mut Vec<FieldError>) {
    if let Some(m) = m.filter(|m| !(0..=0o777).contains(m)) {
        errs.push(FieldError::invalid(path.to_string(), m.to_string(), FILE_MODE_MSG));
    }
}

fn items(list: Option<&[KeyToPath]>, path: &dyn Display, errs: &mut Vec<FieldError>) {
    for (i, kp) in list.unwrap_or_default().iter().enumerate() {
        let ip = format_args!("{path}[{i}]");
        if kp.key.is_empty() {
            errs.push(FieldError::required(format!("{ip}.key"), ""));
        }
        if kp.path.is_empty() {
            errs.push(FieldError::required(format!("{ip}.path"), ""));
        } else {
            local_descending_path(&kp.path, format_args!("{ip}.path"), errs);
            if kp.path.starts_with("..") {
                errs.push(FieldError::invalid(format!("{ip}.path"), quote(&kp.path), "must not start with '..'"));
            }
        }
        mode(kp.mode, &format_args!("{ip}.mode"), errs);
    }
}
