//! ServiceAccount: every pod runs as a service account (`default` unless named), which must
//! exist; its API token is mounted as the projected volume `kube-api-access-<suffix>`.

use crate::model::Pod;
use k8s_openapi::api::core::v1::{
    ConfigMapProjection, DownwardAPIProjection, DownwardAPIVolumeFile, KeyToPath, ObjectFieldSelector,
    ProjectedVolumeSource, ServiceAccountTokenProjection, Volume, VolumeMount, VolumeProjection,
};

use super::{AdmissionPlugin, Attributes};
use crate::apiserver::error::ApiError;
use crate::model::{Kind, Object};
use crate::store::Store;

pub struct ServiceAccount;

/// Where the token volume is mounted in every container.
pub const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

impl AdmissionPlugin for ServiceAccount {
    fn name(&self) -> &'static str {
        "ServiceAccount"
    }

    fn admit(&self, attrs: &mut Attributes<'_>, store: &Store<Object>) -> Result<(), ApiError> {
        let namespace = attrs.namespace;
        let (info, name) = (attrs.info, attrs.name);
        let Some(pod) = attrs.pod_created() else { return Ok(()) };
        let spec = pod.spec.get_or_insert_with(Default::default);
        let sa_name = match spec.service_account_name.as_deref() {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => "default".to_string(),
        };
        spec.service_account_name = Some(sa_name.clone());
        // The deprecated alias mirrors serviceAccountName, as the apiserver's defaulting does.
        spec.service_account = Some(sa_name.clone());
        let key = Kind::ServiceAccount.info().key(namespace, &sa_name);
        let Some(sa) = store.get(&key) else {
            return Err(ApiError::forbidden(
                info,
                name,
                format!(
                    "error looking up service account {namespace}/{sa_name}: serviceaccount \"{sa_name}\" not found"
                ),
            ));
        };
        let sa_automount = match &*sa.value {
            Object::ServiceAccount(sa) => sa.automount_service_account_token,
            _ => None,
        };
        let automount = spec.automount_service_account_token.or(sa_automount).unwrap_or(true);
        if automount {
            mount_token(pod);
        }
        Ok(())
    }
}

fn mount_token(pod: &mut Pod) {
    let Some(spec) = pod.spec.as_deref_mut() else { return };
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    // A pod that mounts something at the token path itself keeps its own.
    let has_own = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .any(|c| c.volume_mounts.iter().flatten().any(|m| m.mount_path == TOKEN_MOUNT_PATH));
    if has_own {
        return;
    }
    // Upstream takes a random 5-character suffix; a hash of the pod's name keeps runs repeatable.
    let suffix = crate::apiserver::names::suffix_from(pod.metadata.name.as_deref().unwrap_or(""));
    let volume_name = format!("kube-api-access-{suffix}");
    volumes.push(Volume { name: volume_name.clone(), projected: Some(token_projection()), ..Default::default() });
    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        c.volume_mounts.get_or_insert_with(Vec::new).push(VolumeMount {
            name: volume_name.clone(),
            mount_path: TOKEN_MOUNT_PATH.to_string(),
            read_only: Some(true),
            ..Default::default()
        });
    }
}

fn token_projection() -> ProjectedVolumeSource {
    ProjectedVolumeSource {
        default_mode: Some(420),
        sources: Some(vec![
            VolumeProjection {
                service_account_token: Some(ServiceAccountTokenProjection {
                    expiration_seconds: Some(3607),
                    path: "token".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            VolumeProjection {
                config_map: Some(ConfigMapProjection {
                    name: "kube-root-ca.crt".into(),
                    items: Some(vec![KeyToPath { key: "ca.crt".into(), path: "ca.crt".into(), mode: None }]),
                    optional: None,
                }),
                ..Default::default()
            },
            VolumeProjection {
                downward_api: Some(DownwardAPIProjection {
                    items: Some(vec![DownwardAPIVolumeFile {
                        path: "namespace".into(),
                        field_ref: Some(ObjectFieldSelector {
                            api_version: Some("v1".into()),
                            field_path: "metadata.namespace".into(),
                        }),
                        ..Default::default()
                    }]),
                }),
                ..Default::default()
            },
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::TOKEN_MOUNT_PATH;
    use crate::apiserver::ApiServer;
    use crate::model::decode::decode_one;
    use crate::model::Object;

    fn server() -> ApiServer {
        let mut api = crate::apiserver::tests::server();
        api.create(
            "t",
            "default",
            decode_one(
                "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: quiet}\nautomountServiceAccountToken: false",
            )
            .unwrap(),
        )
        .unwrap();
        api
    }

    /// The pod's service account and the mount paths of its first container.
    fn check(spec: &str, expect: Result<(&str, Vec<&str>), &str>) {
        let mut api = server();
        let pod = decode_one(&format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec: {spec}")).unwrap();
        match (api.create("kubectl", "default", pod), expect) {
            (Ok(obj), Ok((sa, mounts))) => {
                let Object::Pod(p) = &*obj else { panic!() };
                let s = p.spec.as_ref().unwrap();
                assert_eq!(s.service_account_name.as_deref(), Some(sa));
                let got: Vec<&str> =
                    s.containers[0].volume_mounts.iter().flatten().map(|m| m.mount_path.as_str()).collect();
                assert_eq!(got, mounts);
            }
            (Err(e), Err(msg)) => assert_eq!(e.kubectl_message(), msg),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn service_accounts() {
        check("{containers: [{name: c, image: nginx}]}", Ok(("default", vec![TOKEN_MOUNT_PATH])));
        check("{serviceAccountName: quiet, containers: [{name: c, image: nginx}]}", Ok(("quiet", vec![])));
        check("{automountServiceAccountToken: false, containers: [{name: c, image: nginx}]}", Ok(("default", vec![])));
        check(
            "{serviceAccountName: ghost, containers: [{name: c, image: nginx}]}",
            Err("Error from server (Forbidden): pods \"p\" is forbidden: error looking up service account default/ghost: serviceaccount \"ghost\" not found"),
        );
    }
}
