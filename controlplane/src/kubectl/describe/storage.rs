//! Storage: volume sources (shared with pods and templates), PersistentVolumes,
//! PersistentVolumeClaims and StorageClasses.

use std::collections::BTreeMap;

use crate::model::Pod;
use k8s_openapi::api::core::v1::{
    LocalObjectReference, PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec, SecretReference, Volume,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::common::*;
use super::writer::{out, Writer};
use super::Ctx;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};

/// Go's `%v` of a `*LocalObjectReference` (its generated `String()`).
fn local_ref(r: Option<&LocalObjectReference>) -> String {
    match r {
        Some(r) => format!("&LocalObjectReference{{Name:{},}}", r.name),
        None => "nil".to_string(),
    }
}

/// Go's `%v` of a `*SecretReference`.
fn secret_ref(r: Option<&SecretReference>) -> String {
    match r {
        Some(r) => format!("&SecretReference{{Name:{},Namespace:{},}}", s(&r.name), s(&r.namespace)),
        None => "nil".to_string(),
    }
}

/// Go's `%v` of a `map[string]string`: `map[a:b c:d]`, keys sorted.
fn go_map(m: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("map[{}]", items.join(" "))
}

/// The `Type:` and details of a pod volume (`describeVolumes`' switch).
pub(crate) fn volume_source(w: &mut Writer, v: &Volume) {
    if let Some(h) = &v.host_path {
        host_path(w, &h.path, h.type_.as_deref());
    } else if let Some(e) = &v.empty_dir {
        let size = e.size_limit.as_ref().filter(|q| parsed_one(q).is_some_and(|q| q.nanos() > 0));
        let size = size.map_or("<unset>".to_string(), |q| qty(q).to_string());
        out!(
            w,
            2,
            "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{size}\n",
            s(&e.medium)
        );
    } else if let Some(g) = &v.gce_persistent_disk {
        out!(w, 2, "Type:\tGCEPersistentDisk (a Persistent Disk resource in Google Compute Engine)\n    PDName:\t{}\n    FSType:\t{}\n    Partition:\t{}\n    ReadOnly:\t{}\n", g.pd_name, s(&g.fs_type), g.partition.unwrap_or(0), go_bool(g.read_only.unwrap_or(false)));
    } else if let Some(a) = &v.aws_elastic_block_store {
        out!(w, 2, "Type:\tAWSElasticBlockStore (a Persistent Disk resource in AWS)\n    VolumeID:\t{}\n    FSType:\t{}\n    Partition:\t{}\n    ReadOnly:\t{}\n", a.volume_id, s(&a.fs_type), a.partition.unwrap_or(0), go_bool(a.read_only.unwrap_or(false)));
    } else if let Some(g) = &v.git_repo {
        out!(w, 2, "Type:\tGitRepo (a volume that is pulled from git when the pod is created)\n    Repository:\t{}\n    Revision:\t{}\n", g.repository, s(&g.revision));
    } else if let Some(sec) = &v.secret {
        out!(
            w,
            2,
            "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n",
            s(&sec.secret_name),
            go_bool(sec.optional.unwrap_or(false))
        );
    } else if let Some(cm) = &v.config_map {
        out!(
            w,
            2,
            "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n",
            cm.name,
            go_bool(cm.optional.unwrap_or(false))
        );
    } else if let Some(n) = &v.nfs {
        nfs(w, &n.server, &n.path, n.read_only.unwrap_or(false));
    } else if let Some(i) = &v.iscsi {
        out!(w, 2, "Type:\tISCSI (an ISCSI Disk resource that is attached to a kubelet's host machine and then exposed to the pod)\n    TargetPortal:\t{}\n    IQN:\t{}\n    Lun:\t{}\n    ISCSIInterface\t{}\n    FSType:\t{}\n    ReadOnly:\t{}\n    Portals:\t{}\n    DiscoveryCHAPAuth:\t{}\n    SessionCHAPAuth:\t{}\n    SecretRef:\t{}\n    InitiatorName:\t{}\n",
            i.target_portal, i.iqn, i.lun, s(&i.iscsi_interface), s(&i.fs_type), go_bool(i.read_only.unwrap_or(false)), go_list(list(&i.portals)),
            go_bool(i.chap_auth_discovery.unwrap_or(false)), go_bool(i.chap_auth_session.unwrap_or(false)), local_ref(i.secret_ref.as_ref()),
            i.initiator_name.as_deref().unwrap_or("<none>"));
    } else if let Some(g) = &v.glusterfs {
        out!(w, 2, "Type:\tGlusterfs (a Glusterfs mount on the host that shares a pod's lifetime)\n    EndpointsName:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n", g.endpoints, g.path, go_bool(g.read_only.unwrap_or(false)));
    } else if let Some(c) = &v.persistent_volume_claim {
        out!(w, 2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n", c.claim_name, go_bool(c.read_only.unwrap_or(false)));
    } else if let Some(e) = &v.ephemeral {
        w.write(2, "Type:\tEphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)\n");
        if let Some(t) = &e.volume_claim_template {
            let meta = t.metadata.clone().unwrap_or_default();
            w.nested(2, |w| print_claim(w, &meta, &t.spec, None));
        }
    } else if let Some(r) = &v.rbd {
        out!(w, 2, "Type:\tRBD (a Rados Block Device mount on the host that shares a pod's lifetime)\n    CephMonitors:\t{}\n    RBDImage:\t{}\n    FSType:\t{}\n    RBDPool:\t{}\n    RadosUser:\t{}\n    Keyring:\t{}\n    SecretRef:\t{}\n    ReadOnly:\t{}\n",
            go_list(&r.monitors), r.image, s(&r.fs_type), s(&r.pool), s(&r.user), s(&r.keyring), local_ref(r.secret_ref.as_ref()), go_bool(r.read_only.unwrap_or(false)));
    } else if let Some(q) = &v.quobyte {
        out!(w, 2, "Type:\tQuobyte (a Quobyte mount on the host that shares a pod's lifetime)\n    Registry:\t{}\n    Volume:\t{}\n    ReadOnly:\t{}\n", q.registry, q.volume, go_bool(q.read_only.unwrap_or(false)));
    } else if let Some(d) = &v.downward_api {
        w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n");
        for item in list(&d.items) {
            if let Some(f) = &item.field_ref {
                out!(w, 3, "{} -> {}\n", f.field_path, item.path);
            }
            if let Some(r) = &item.resource_field_ref {
                out!(w, 3, "{} -> {}\n", r.resource, item.path);
            }
        }
    } else if let Some(a) = &v.azure_disk {
        out!(w, 2, "Type:\tAzureDisk (an Azure Data Disk mount on the host and bind mount to the pod)\n    DiskName:\t{}\n    DiskURI:\t{}\n    Kind: \t{}\n    FSType:\t{}\n    CachingMode:\t{}\n    ReadOnly:\t{}\n",
            a.disk_name, a.disk_uri, s(&a.kind), s(&a.fs_type), s(&a.caching_mode), go_bool(a.read_only.unwrap_or(false)));
    } else if let Some(vs) = &v.vsphere_volume {
        out!(w, 2, "Type:\tvSphereVolume (a Persistent Disk resource in vSphere)\n    VolumePath:\t{}\n    FSType:\t{}\n    StoragePolicyName:\t{}\n", vs.volume_path, s(&vs.fs_type), s(&vs.storage_policy_name));
    } else if let Some(c) = &v.cinder {
        out!(w, 2, "Type:\tCinder (a Persistent Disk resource in OpenStack)\n    VolumeID:\t{}\n    FSType:\t{}\n    ReadOnly:\t{}\n    SecretRef:\t{}\n", c.volume_id, s(&c.fs_type), go_bool(c.read_only.unwrap_or(false)), local_ref(c.secret_ref.as_ref()));
    } else if let Some(p) = &v.photon_persistent_disk {
        out!(w, 2, "Type:\tPhotonPersistentDisk (a Persistent Disk resource in photon platform)\n    PdID:\t{}\n    FSType:\t{}\n", p.pd_id, s(&p.fs_type));
    } else if let Some(p) = &v.portworx_volume {
        out!(w, 2, "Type:\tPortworxVolume (a Portworx Volume resource)\n    VolumeID:\t{}\n", p.volume_id);
    } else if let Some(sio) = &v.scale_io {
        out!(w, 2, "Type:\tScaleIO (a persistent volume backed by a block device in ScaleIO)\n    Gateway:\t{}\n    System:\t{}\n    Protection Domain:\t{}\n    Storage Pool:\t{}\n    Storage Mode:\t{}\n    VolumeName:\t{}\n    FSType:\t{}\n    ReadOnly:\t{}\n",
            sio.gateway, sio.system, s(&sio.protection_domain), s(&sio.storage_pool), s(&sio.storage_mode), s(&sio.volume_name), s(&sio.fs_type), go_bool(sio.read_only.unwrap_or(false)));
    } else if let Some(c) = &v.cephfs {
        out!(w, 2, "Type:\tCephFS (a CephFS mount on the host that shares a pod's lifetime)\n    Monitors:\t{}\n    Path:\t{}\n    User:\t{}\n    SecretFile:\t{}\n    SecretRef:\t{}\n    ReadOnly:\t{}\n",
            go_list(&c.monitors), s(&c.path), s(&c.user), s(&c.secret_file), local_ref(c.secret_ref.as_ref()), go_bool(c.read_only.unwrap_or(false)));
    } else if let Some(so) = &v.storageos {
        out!(w, 2, "Type:\tStorageOS (a StorageOS Persistent Disk resource)\n    VolumeName:\t{}\n    VolumeNamespace:\t{}\n    FSType:\t{}\n    ReadOnly:\t{}\n", s(&so.volume_name), s(&so.volume_namespace), s(&so.fs_type), go_bool(so.read_only.unwrap_or(false)));
    } else if let Some(fc) = &v.fc {
        fc_source(w, fc);
    } else if let Some(a) = &v.azure_file {
        out!(w, 2, "Type:\tAzureFile (an Azure File Service mount on the host and bind mount to the pod)\n    SecretName:\t{}\n    ShareName:\t{}\n    ReadOnly:\t{}\n", a.secret_name, a.share_name, go_bool(a.read_only.unwrap_or(false)));
    } else if let Some(f) = &v.flex_volume {
        out!(w, 2, "Type:\tFlexVolume (a generic volume resource that is provisioned/attached using an exec based plugin)\n    Driver:\t{}\n    FSType:\t{}\n    SecretRef:\t{}\n    ReadOnly:\t{}\n    Options:\t{}\n",
            f.driver, s(&f.fs_type), local_ref(f.secret_ref.as_ref()), go_bool(f.read_only.unwrap_or(false)), go_map(strings(&f.options)));
    } else if let Some(f) = &v.flocker {
        out!(w, 2, "Type:\tFlocker (a Flocker volume mounted by the Flocker agent)\n    DatasetName:\t{}\n    DatasetUUID:\t{}\n", s(&f.dataset_name), s(&f.dataset_uuid));
    } else if let Some(p) = &v.projected {
        w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
        for src in list(&p.sources) {
            if let Some(sec) = &src.secret {
                out!(w, 2, "SecretName:\t{}\n    SecretOptionalName:\t{}\n", sec.name, go_bool_ptr(sec.optional));
            } else if src.downward_api.is_some() {
                w.write(2, "DownwardAPI:\ttrue\n");
            } else if let Some(cm) = &src.config_map {
                out!(w, 2, "ConfigMapName:\t{}\n    ConfigMapOptional:\t{}\n", cm.name, go_bool_ptr(cm.optional));
            } else if let Some(t) = &src.service_account_token {
                out!(w, 2, "TokenExpirationSeconds:\t{}\n", t.expiration_seconds.unwrap_or(0));
            }
        }
    } else if let Some(c) = &v.csi {
        out!(
            w,
            2,
            "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{}\n    FSType:\t{}\n    ReadOnly:\t{}\n",
            c.driver,
            s(&c.fs_type),
            go_bool(c.read_only.unwrap_or(false))
        );
        csi_attributes(w, strings(&c.volume_attributes));
    } else if let Some(i) = &v.image {
        out!(
            w,
            2,
            "Type:\tImage (a container image or OCI artifact)\n    Reference:\t{}\n    PullPolicy:\t{}\n",
            s(&i.reference),
            s(&i.pull_policy)
        );
    } else {
        w.write(1, "<unknown>\n");
    }
}

fn parsed_one(q: &k8s_openapi::apimachinery::pkg::api::resource::Quantity) -> Option<crate::model::quantity::Quantity> {
    crate::model::quantity::Quantity::from_k8s(q).ok()
}

fn host_path(w: &mut Writer, path: &str, type_: Option<&str>) {
    out!(
        w,
        2,
        "Type:\tHostPath (bare host directory volume)\n    Path:\t{path}\n    HostPathType:\t{}\n",
        type_.unwrap_or("<none>")
    );
}

fn nfs(w: &mut Writer, server: &str, path: &str, read_only: bool) {
    out!(
        w,
        2,
        "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{server}\n    Path:\t{path}\n    ReadOnly:\t{}\n",
        go_bool(read_only)
    );
}

fn fc_source(w: &mut Writer, fc: &k8s_openapi::api::core::v1::FCVolumeSource) {
    let lun = fc.lun.map_or("<none>".to_string(), |l| l.to_string());
    out!(
        w,
        2,
        "Type:\tFC (a Fibre Channel disk)\n    TargetWWNs:\t{}\n    LUN:\t{lun}\n    FSType:\t{}\n    ReadOnly:\t{}\n",
        list(&fc.target_wwns).join(", "),
        s(&fc.fs_type),
        go_bool(fc.read_only.unwrap_or(false))
    );
}

/// `printCSIPersistentVolumeAttributesMultiline`.
fn csi_attributes(w: &mut Writer, attributes: &BTreeMap<String, String>) {
    w.write(2, "VolumeAttributes:\t");
    if attributes.is_empty() {
        w.line("<none>");
        return;
    }
    for (i, (k, v)) in attributes.iter().enumerate() {
        if i != 0 {
            w.write(2, "");
            w.write(2, "\t");
        }
        let line = format!("{k}={v}");
        if line.len() > 140 {
            let mut end = 140;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            out!(w, 2, "{}...\n", &line[..end]);
        } else {
            out!(w, 2, "{line}\n");
        }
    }
}

/// `GetAccessModesAsString`: RWO, ROX, RWX, RWOP in that order, each once.
fn access_modes(modes: &[String]) -> String {
    [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")]
        .iter()
        .filter(|(m, _)| modes.iter().any(|x| x == m))
        .map(|(_, short)| *short)
        .collect::<Vec<_>>()
        .join(",")
}

/// The storage class of a volume or claim: the beta annotation first, then the field.
fn storage_class(meta: &ObjectMeta, field: Option<&str>) -> String {
    match strings(&meta.annotations).get("volume.beta.kubernetes.io/storage-class") {
        Some(c) => c.clone(),
        None => field.unwrap_or("").to_string(),
    }
}

pub(super) fn describe_pv(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let pv = PersistentVolume::from_object(obj).ok_or("not a persistent volume")?;
    let events = ctx.events_for(obj);
    let meta = &pv.metadata;
    let spec = pv.spec.clone().unwrap_or_default();
    let status = pv.status.clone().unwrap_or_default();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "Finalizers:\t{}\n", go_list(list(&meta.finalizers)));
    out!(w, 0, "StorageClass:\t{}\n", storage_class(meta, spec.storage_class_name.as_deref()));
    if meta.deletion_timestamp.is_some() {
        out!(w, 0, "Status:\tTerminating (lasts {})\n", since(meta.deletion_timestamp.as_ref(), ctx.now));
    } else {
        out!(w, 0, "Status:\t{}\n", s(&status.phase));
    }
    match &spec.claim_ref {
        Some(r) => out!(w, 0, "Claim:\t{}/{}\n", s(&r.namespace), s(&r.name)),
        None => w.write(0, "Claim:\t\n"),
    }
    out!(w, 0, "Reclaim Policy:\t{}\n", s(&spec.persistent_volume_reclaim_policy));
    out!(w, 0, "Access Modes:\t{}\n", access_modes(list(&spec.access_modes)));
    if let Some(mode) = &spec.volume_mode {
        out!(w, 0, "VolumeMode:\t{mode}\n");
    }
    out!(w, 0, "Capacity:\t{}\n", quantities(&spec.capacity).get("storage").map_or("0", qty));
    w.write(0, "Node Affinity:\t");
    match spec.node_affinity.as_ref().and_then(|a| a.required.as_ref()) {
        None => w.line("<none>"),
        Some(required) => {
            w.line("");
            w.write(1, "Required Terms:\t");
            if required.node_selector_terms.is_empty() {
                w.line("<none>");
            } else {
                w.line("");
                for (i, term) in required.node_selector_terms.iter().enumerate() {
                    out!(w, 2, "Term {i}:\t");
                    let reqs = list(&term.match_expressions);
                    if reqs.is_empty() {
                        w.line("<none>");
                    }
                    for (j, r) in reqs.iter().enumerate() {
                        if j != 0 {
                            w.write(2, "\t");
                        }
                        let mut expr = format!("{} {}", r.key, r.operator.to_lowercase());
                        if !list(&r.values).is_empty() {
                            expr = format!("{expr} [{}]", list(&r.values).join(", "));
                        }
                        out!(w, 0, "{expr}\n");
                    }
                }
            }
        }
    }
    out!(w, 0, "Message:\t{}\n", s(&status.message));
    w.write(0, "Source:\n");
    pv_source(&mut w, &spec);
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

fn pv_source(w: &mut Writer, spec: &k8s_openapi::api::core::v1::PersistentVolumeSpec) {
    if let Some(h) = &spec.host_path {
        host_path(w, &h.path, h.type_.as_deref());
    } else if let Some(n) = &spec.nfs {
        nfs(w, &n.server, &n.path, n.read_only.unwrap_or(false));
    } else if let Some(l) = &spec.local {
        out!(
            w,
            2,
            "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n    Path:\t{}\n",
            l.path
        );
    } else if let Some(c) = &spec.csi {
        out!(
            w,
            2,
            "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{}\n    FSType:\t{}\n    VolumeHandle:\t{}\n    ReadOnly:\t{}\n",
            c.driver,
            s(&c.fs_type),
            c.volume_handle,
            go_bool(c.read_only.unwrap_or(false))
        );
        csi_attributes(w, strings(&c.volume_attributes));
    } else if let Some(g) = &spec.gce_persistent_disk {
        out!(w, 2, "Type:\tGCEPersistentDisk (a Persistent Disk resource in Google Compute Engine)\n    PDName:\t{}\n    FSType:\t{}\n    Partition:\t{}\n    ReadOnly:\t{}\n", g.pd_name, s(&g.fs_type), g.partition.unwrap_or(0), go_bool(g.read_only.unwrap_or(false)));
    } else if let Some(a) = &spec.aws_elastic_block_store {
        out!(w, 2, "Type:\tAWSElasticBlockStore (a Persistent Disk resource in AWS)\n    VolumeID:\t{}\n    FSType:\t{}\n    Partition:\t{}\n    ReadOnly:\t{}\n", a.volume_id, s(&a.fs_type), a.partition.unwrap_or(0), go_bool(a.read_only.unwrap_or(false)));
    } else if let Some(c) = &spec.cephfs {
        out!(w, 2, "Type:\tCephFS (a CephFS mount on the host that shares a pod's lifetime)\n    Monitors:\t{}\n    Path:\t{}\n    User:\t{}\n    SecretFile:\t{}\n    SecretRef:\t{}\n    ReadOnly:\t{}\n",
            go_list(&c.monitors), s(&c.path), s(&c.user), s(&c.secret_file), secret_ref(c.secret_ref.as_ref()), go_bool(c.read_only.unwrap_or(false)));
    } else if let Some(fc) = &spec.fc {
        fc_source(w, fc);
    } else if let Some(a) = &spec.azure_file {
        out!(w, 2, "Type:\tAzureFile (an Azure File Service mount on the host and bind mount to the pod)\n    SecretName:\t{}\n    SecretNamespace:\t{}\n    ShareName:\t{}\n    ReadOnly:\t{}\n",
            a.secret_name, s(&a.secret_namespace), a.share_name, go_bool(a.read_only.unwrap_or(false)));
    } else if let Some(f) = &spec.flex_volume {
        out!(w, 2, "Type:\tFlexVolume (a generic volume resource that is provisioned/attached using an exec based plugin)\n    Driver:\t{}\n    FSType:\t{}\n    SecretRef:\t{}\n    ReadOnly:\t{}\n    Options:\t{}\n",
            f.driver, s(&f.fs_type), secret_ref(f.secret_ref.as_ref()), go_bool(f.read_only.unwrap_or(false)), go_map(strings(&f.options)));
    } else {
        w.write(1, "<unknown>\n");
    }
}

pub(super) fn describe_pvc(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let pvc = PersistentVolumeClaim::from_object(obj).ok_or("not a persistent volume claim")?;
    let meta = &pvc.metadata;
    let ns = s(&meta.namespace).to_string();
    let pods = ctx.list(Kind::Pod, Some(&ns), &LabelSelector::everything());
    let pods: Vec<&Pod> = pods.iter().filter_map(|o| Pod::from_object(o)).collect();
    let name = s(&meta.name);
    let mut used_by: Vec<&Pod> = Vec::new();
    for pod in &pods {
        let spec = pod.spec.as_ref();
        for v in spec.map(|s| list(&s.volumes)).unwrap_or(&[]) {
            if v.persistent_volume_claim.as_ref().is_some_and(|c| c.claim_name == name) {
                used_by.push(pod);
            }
        }
    }
    for owner in list(&meta.owner_references).iter().filter(|r| r.kind == "Pod") {
        if let Some(pod) = pods.iter().find(|p| s(&p.metadata.uid) == owner.uid) {
            if !used_by.iter().any(|u| u.metadata.uid == pod.metadata.uid) {
                used_by.push(pod);
            }
        }
    }
    let events = ctx.events_for(obj);
    let status = pvc.status.clone().unwrap_or_default();
    let spec = pvc.spec.clone().unwrap_or_default();
    let mut w = Writer::new();
    print_claim(&mut w, meta, &spec, Some((&status, ctx.now)));
    w.write(0, "Used By:\t");
    if used_by.is_empty() {
        w.line("<none>");
    } else {
        used_by.sort_by(|a, b| s(&a.metadata.name).cmp(s(&b.metadata.name)));
        for (i, pod) in used_by.iter().enumerate() {
            if i != 0 {
                w.write(0, "\t");
            }
            out!(w, 0, "{}\n", s(&pod.metadata.name));
        }
    }
    let conditions = list(&status.conditions);
    if !conditions.is_empty() {
        w.write(0, "Conditions:\n");
        w.write(1, "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n");
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n");
        for c in conditions {
            out!(
                w,
                1,
                "{} \t{} \t{} \t{} \t{} \t{}\n",
                c.type_,
                c.status,
                rfc1123z(c.last_probe_time.as_ref()),
                rfc1123z(c.last_transition_time.as_ref()),
                s(&c.reason),
                s(&c.message)
            );
        }
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

/// `printPersistentVolumeClaim`: a full claim (with its status) or a claim template.
fn print_claim(
    w: &mut Writer,
    meta: &ObjectMeta,
    spec: &PersistentVolumeClaimSpec,
    full: Option<(&k8s_openapi::api::core::v1::PersistentVolumeClaimStatus, chrono::DateTime<chrono::Utc>)>,
) {
    if full.is_some() {
        out!(w, 0, "Name:\t{}\n", s(&meta.name));
        out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    }
    out!(w, 0, "StorageClass:\t{}\n", storage_class(meta, spec.storage_class_name.as_deref()));
    if let Some((status, now)) = full {
        if meta.deletion_timestamp.is_some() {
            out!(w, 0, "Status:\tTerminating (lasts {})\n", since(meta.deletion_timestamp.as_ref(), now));
        } else {
            out!(w, 0, "Status:\t{}\n", s(&status.phase));
        }
    }
    let volume_name = s(&spec.volume_name);
    out!(w, 0, "Volume:\t{volume_name}\n");
    labels_multiline(w, "Labels", meta.labels.as_ref());
    annotations_multiline(w, "Annotations", meta.annotations.as_ref());
    if full.is_some() {
        out!(w, 0, "Finalizers:\t{}\n", go_list(list(&meta.finalizers)));
    }
    let (mut capacity, mut modes) = (String::new(), String::new());
    if !volume_name.is_empty() {
        let status = full.map(|(st, _)| st.clone()).unwrap_or_default();
        modes = access_modes(list(&status.access_modes));
        capacity = quantities(&status.capacity).get("storage").map_or("0", qty).to_string();
    }
    out!(w, 0, "Capacity:\t{capacity}\n");
    out!(w, 0, "Access Modes:\t{modes}\n");
    if let Some(mode) = &spec.volume_mode {
        out!(w, 0, "VolumeMode:\t{mode}\n");
    }
    if let Some(ds) = &spec.data_source {
        w.write(0, "DataSource:\n");
        if let Some(group) = &ds.api_group {
            out!(w, 1, "APIGroup:\t{group}\n");
        }
        out!(w, 1, "Kind:\t{}\n", ds.kind);
        out!(w, 1, "Name:\t{}\n", ds.name);
    }
}

pub(super) fn describe_storage_class(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let sc = StorageClass::from_object(obj).ok_or("not a storage class")?;
    let events = ctx.events_for(obj);
    let meta = &sc.metadata;
    let annotations = strings(&meta.annotations);
    let is_default =
        ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"]
            .iter()
            .any(|k| annotations.get(*k).is_some_and(|v| v == "true"));
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "IsDefaultClass:\t{}\n", if is_default { "Yes" } else { "No" });
    out!(w, 0, "Annotations:\t{}\n", format_labels(annotations));
    out!(w, 0, "Provisioner:\t{}\n", sc.provisioner);
    out!(w, 0, "Parameters:\t{}\n", format_labels(strings(&sc.parameters)));
    out!(w, 0, "AllowVolumeExpansion:\t{}\n", print_bool_ptr(sc.allow_volume_expansion));
    let options = list(&sc.mount_options);
    if options.is_empty() {
        w.write(0, "MountOptions:\t<none>\n");
    } else {
        w.write(0, "MountOptions:\n");
        for o in options {
            out!(w, 1, "{o}\n");
        }
    }
    if let Some(p) = &sc.reclaim_policy {
        out!(w, 0, "ReclaimPolicy:\t{p}\n");
    }
    if let Some(m) = &sc.volume_binding_mode {
        out!(w, 0, "VolumeBindingMode:\t{m}\n");
    }
    if let Some(topologies) = &sc.allowed_topologies {
        w.write(0, "AllowedTopologies:\t");
        if topologies.is_empty() {
            w.line("<none>");
        } else {
            w.line("");
            for (i, term) in topologies.iter().enumerate() {
                out!(w, 1, "Term {i}:\t");
                let reqs = list(&term.match_label_expressions);
                if reqs.is_empty() {
                    w.line("<none>");
                }
                for (j, r) in reqs.iter().enumerate() {
                    if j != 0 {
                        w.write(1, "\t");
                    }
                    let mut expr = format!("{} in", r.key);
                    if !r.values.is_empty() {
                        expr = format!("{expr} [{}]", r.values.join(", "));
                    }
                    out!(w, 0, "{expr}\n");
                }
            }
        }
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}
