//! What the kubelet writes into the volumes it fills from API objects (the atomic writer's
//! payload): configMap, secret, downwardAPI and projected volumes, as `MakePayload` of each
//! plugin makes it, with upstream's errors; and the service account token.

use std::collections::BTreeMap;

use crate::model::Pod;
use k8s_openapi::api::core::v1::{DownwardAPIVolumeFile, KeyToPath, ProjectedVolumeSource, Volume};

use super::super::Env;
use crate::model::{Kind, Object};

/// The mode of files a volume's `defaultMode` does not set (0644).
pub const DEFAULT_MODE: i32 = 0o644;

/// One file: its path in the volume, contents and mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: String,
    pub data: Vec<u8>,
    pub mode: u32,
}

/// The API objects a payload was read from, so that a change to one refreshes the volume.
pub type Refs = Vec<(Kind, String)>;

/// A ConfigMap's `data` and `binaryData`, or a Secret's `data` and `stringData` (decoded), by
/// key; `None` when there is no such object.
fn object_data(env: &mut Env<'_>, kind: Kind, ns: &str, name: &str) -> Option<BTreeMap<String, Vec<u8>>> {
    let obj = env.api.get(env.user, kind, ns, name).ok()?;
    let mut out = BTreeMap::new();
    match &*obj {
        Object::ConfigMap(cm) => {
            for (k, v) in cm.data.iter().flatten() {
                out.insert(k.clone(), v.clone().into_bytes());
            }
            for (k, v) in cm.binary_data.iter().flatten() {
                out.insert(k.clone(), v.0.clone());
            }
        }
        Object::Secret(s) => {
            for (k, v) in s.data.iter().flatten() {
                out.insert(k.clone(), v.0.clone());
            }
        }
        _ => {}
    }
    Some(out)
}

/// `configmap.MakePayload` / `secret.MakePayload`: all keys, or the items asked for.
#[allow(clippy::too_many_arguments)]
fn key_payload(
    env: &mut Env<'_>,
    kind: Kind,
    ns: &str,
    name: &str,
    items: Option<&Vec<KeyToPath>>,
    default_mode: i32,
    optional: bool,
    out: &mut Vec<File>,
    refs: &mut Refs,
) -> Result<(), String> {
    refs.push((kind, name.to_string()));
    let word = if kind == Kind::ConfigMap { "configmap" } else { "secret" };
    let Some(data) = object_data(env, kind, ns, name) else {
        return if optional { Ok(()) } else { Err(format!("{word} \"{name}\" not found")) };
    };
    let mode = |m: Option<i32>| (m.unwrap_or(default_mode) & 0o777) as u32;
    match items.filter(|i| !i.is_empty()) {
        None => {
            for (k, v) in data {
                out.push(File { path: k, data: v, mode: mode(None) });
            }
        }
        Some(items) => {
            for it in items {
                match data.get(&it.key) {
                    Some(v) => out.push(File { path: it.path.clone(), data: v.clone(), mode: mode(it.mode) }),
                    None if optional => {}
                    None if kind == Kind::ConfigMap => {
                        return Err(format!("configmap references non-existent config key: {}", it.key))
                    }
                    None => return Err(format!("references non-existent secret key: {}", it.key)),
                }
            }
        }
    }
    Ok(())
}

/// `fieldpath.FormatMap`: `key="value"` lines, sorted by key.
fn format_map(m: Option<&BTreeMap<String, String>>) -> String {
    let lines: Vec<String> =
        m.into_iter().flatten().map(|(k, v)| format!("{k}={}", crate::model::selector::go_quote(v))).collect();
    lines.join("\n")
}

/// `downwardapi.CollectData`.
fn downward_payload(
    env: &mut Env<'_>,
    pod: &Pod,
    pod_ip: &str,
    items: &[DownwardAPIVolumeFile],
    default_mode: i32,
    out: &mut Vec<File>,
) -> Result<(), String> {
    let containers = pod.spec.as_ref().map_or(&[][..], |s| s.containers.as_slice());
    for it in items {
        let text = if let Some(f) = &it.field_ref {
            match f.field_path.as_str() {
                "metadata.labels" => format_map(pod.metadata.labels.as_ref()),
                "metadata.annotations" => format_map(pod.metadata.annotations.as_ref()),
                path => super::super::envvars::field(pod, path, pod_ip, env.node_ip)?,
            }
        } else if let Some(r) = &it.resource_field_ref {
            let own = containers.iter().find(|c| Some(&c.name) == r.container_name.as_ref());
            let Some(own) = own else {
                return Err(format!("couldn't find container {:?}", r.container_name.as_deref().unwrap_or("")));
            };
            super::super::envvars::resource(env, containers, own, r)?
        } else {
            continue;
        };
        let mode = (it.mode.unwrap_or(default_mode) & 0o777) as u32;
        out.push(File { path: it.path.clone(), data: text.into_bytes(), mode });
    }
    Ok(())
}

/// A bound service account token for the pod, from the API server's TokenRequest, as the
/// kubelet's token manager asks for it.
fn token(env: &mut Env<'_>, pod: &Pod, audience: Option<&str>, expiration: i64) -> Result<Vec<u8>, String> {
    use k8s_openapi::api::authentication::v1::{BoundObjectReference, TokenRequestSpec};
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let sa = pod.spec.as_ref().and_then(|s| s.service_account_name.clone()).unwrap_or_else(|| "default".into());
    let spec = TokenRequestSpec {
        audiences: audience.map(|a| vec![a.to_string()]).unwrap_or_default(),
        expiration_seconds: Some(expiration),
        bound_object_ref: Some(BoundObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Pod".into()),
            name: pod.metadata.name.clone(),
            uid: pod.metadata.uid.clone(),
        }),
    };
    match env.api.create_token(env.user, ns, &sa, &spec) {
        Ok(t) => Ok(t.status.map(|s| s.token).unwrap_or_default().into_bytes()),
        Err(e) => Err(format!("failed to fetch token: {}", e.message)),
    }
}

/// `projected.collectData`: every source's files; errors are gathered, as upstream's
/// aggregate, and the first is reported.
fn projected_payload(
    env: &mut Env<'_>,
    pod: &Pod,
    pod_ip: &str,
    source: &ProjectedVolumeSource,
    out: &mut Vec<File>,
    refs: &mut Refs,
) -> Result<(), String> {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let default_mode = source.default_mode.unwrap_or(DEFAULT_MODE);
    let mut errors = Vec::new();
    for s in source.sources.iter().flatten() {
        let r = if let Some(c) = &s.config_map {
            let optional = c.optional == Some(true);
            key_payload(env, Kind::ConfigMap, &ns, &c.name, c.items.as_ref(), default_mode, optional, out, refs)
        } else if let Some(c) = &s.secret {
            let optional = c.optional == Some(true);
            key_payload(env, Kind::Secret, &ns, &c.name, c.items.as_ref(), default_mode, optional, out, refs)
        } else if let Some(d) = &s.downward_api {
            downward_payload(env, pod, pod_ip, d.items.as_deref().unwrap_or_default(), default_mode, out)
        } else if let Some(t) = &s.service_account_token {
            token(env, pod, t.audience.as_deref(), t.expiration_seconds.unwrap_or(3600)).map(|data| {
                out.push(File { path: t.path.clone(), data, mode: (default_mode & 0o777) as u32 });
            })
        } else {
            Ok(())
        };
        if let Err(e) = r {
            errors.push(e);
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(format!("[{}]", errors.join(", "))),
    }
}

/// The files of a volume the kubelet fills from API objects, and the objects read; `None`
/// for other volume types.
pub fn payload(env: &mut Env<'_>, pod: &Pod, pod_ip: &str, v: &Volume) -> Option<Result<(Vec<File>, Refs), String>> {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let (mut out, mut refs) = (Vec::new(), Vec::new());
    let r = if let Some(c) = &v.config_map {
        let mode = c.default_mode.unwrap_or(DEFAULT_MODE);
        let optional = c.optional == Some(true);
        key_payload(env, Kind::ConfigMap, &ns, &c.name, c.items.as_ref(), mode, optional, &mut out, &mut refs)
    } else if let Some(s) = &v.secret {
        let name = s.secret_name.clone().unwrap_or_default();
        let mode = s.default_mode.unwrap_or(DEFAULT_MODE);
        let optional = s.optional == Some(true);
        key_payload(env, Kind::Secret, &ns, &name, s.items.as_ref(), mode, optional, &mut out, &mut refs)
    } else if let Some(d) = &v.downward_api {
        let mode = d.default_mode.unwrap_or(DEFAULT_MODE);
        downward_payload(env, pod, pod_ip, d.items.as_deref().unwrap_or_default(), mode, &mut out)
    } else if let Some(p) = &v.projected {
        projected_payload(env, pod, pod_ip, p, &mut out, &mut refs)
    } else {
        return None;
    };
    Some(r.map(|()| (out, refs)))
}
