//! Secrets (core/v1 `SetDefaults_Secret`, `ValidateSecret`, `ValidateSecretUpdate`): type Opaque;
//! valid keys, 1 MiB in total, the keys each type requires; type and immutable data fixed.

use k8s_openapi::api::core::v1::Secret;

use super::configmap::MAX_SIZE;
use super::names::{invalid_str, is_config_map_key};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};

impl Strategy for Secret {
    fn default(&mut self) {
        if self.type_.as_deref().unwrap_or("").is_empty() {
            self.type_ = Some("Opaque".into());
        }
        // `stringData` is write-only: it is merged into `data` (winning over it) and not kept.
        if let Some(strings) = self.string_data.take() {
            let data = self.data.get_or_insert_with(Default::default);
            for (k, v) in strings {
                data.insert(k, k8s_openapi::ByteString(v.into_bytes()));
            }
        }
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let data = self.data.clone().unwrap_or_default();
        let mut total = 0;
        for (k, v) in &data {
            errs.extend(invalid_str(format_args!("data[{k}]"), k, is_config_map_key(k)));
            total += v.0.len();
        }
        if total > MAX_SIZE {
            errs.push(FieldError::too_long("data", MAX_SIZE));
        }
        let require = |errs: &mut Vec<FieldError>, key: &str| {
            if !data.contains_key(key) {
                errs.push(FieldError::required(format!("data[{key}]"), ""));
            }
        };
        match self.type_.as_deref().unwrap_or("") {
            "kubernetes.io/service-account-token" => {
                let name = self.metadata.annotations.as_ref().and_then(|a| a.get("kubernetes.io/service-account.name"));
                if name.is_none_or(|n| n.is_empty()) {
                    errs.push(FieldError::required("metadata.annotations[kubernetes.io/service-account.name]", ""));
                }
            }
            t @ ("kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson") => {
                let key = if t == "kubernetes.io/dockercfg" { ".dockercfg" } else { ".dockerconfigjson" };
                match data.get(key) {
                    None => errs.push(FieldError::required(format!("data[{key}]"), "")),
                    Some(b) if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&b.0).is_err() => {
                        errs.push(FieldError::invalid(
                            format!("data[{key}]"),
                            quote("<secret contents redacted>"),
                            "invalid JSON",
                        ))
                    }
                    Some(_) => {}
                }
            }
            // Username or password may be empty, but one of the keys must be present.
            "kubernetes.io/basic-auth" if !data.contains_key("username") && !data.contains_key("password") => {
                errs.push(FieldError::required("data[username]", ""));
                errs.push(FieldError::required("data[password]", ""));
            }
            "kubernetes.io/ssh-auth" if data.get("ssh-privatekey").is_none_or(|v| v.0.is_empty()) => {
                errs.push(FieldError::required("data[ssh-privatekey]", ""));
            }
            "kubernetes.io/tls" => {
                require(errs, "tls.crt");
                require(errs, "tls.key");
            }
            _ => {}
        }
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        if self.type_ != old.type_ {
            errs.push(FieldError::invalid("type", quote(self.type_.as_deref().unwrap_or("")), "field is immutable"));
        }
        if old.immutable == Some(true) {
            if self.immutable != Some(true) {
                errs.push(FieldError::forbidden("immutable", "field is immutable when `immutable` is set"));
            }
            if self.data != old.data {
                errs.push(FieldError::forbidden("data", "field is immutable when `immutable` is set"));
            }
        }
    }
}
