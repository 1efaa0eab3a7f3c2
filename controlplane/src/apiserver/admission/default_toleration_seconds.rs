//! DefaultTolerationSeconds: every pod tolerates `not-ready` and `unreachable` NoExecute
//! taints for 300 seconds unless it says otherwise, so pods leave a dead node after 5 minutes.

use k8s_openapi::api::core::v1::Toleration;

use super::{AdmissionPlugin, Attributes, Operation};
use crate::apiserver::error::ApiError;
use crate::model::{Kind, Object};
use crate::store::Store;

pub struct DefaultTolerationSeconds;

pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const DEFAULT_SECONDS: i64 = 300;

impl AdmissionPlugin for DefaultTolerationSeconds {
    fn name(&self) -> &'static str {
        "DefaultTolerationSeconds"
    }

    fn admit(&self, attrs: &mut Attributes<'_>, _store: &Store<Object>) -> Result<(), ApiError> {
        if attrs.operation != Operation::Create || attrs.info.kind != Kind::Pod {
            return Ok(());
        }
        let Some(Object::Pod(pod)) = attrs.object.as_deref_mut() else { return Ok(()) };
        let spec = pod.spec.get_or_insert_with(Default::default);
        let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
        for key in [NOT_READY, UNREACHABLE] {
            // A toleration for the key with effect NoExecute (or any effect) already decides.
            let covered = tolerations.iter().any(|t| {
                let effect_ok = matches!(t.effect.as_deref(), None | Some("") | Some("NoExecute"));
                let key_ok = t.key.as_deref() == Some(key)
                    || (t.key.as_deref().unwrap_or("").is_empty() && t.operator.as_deref() == Some("Exists"));
                effect_ok && key_ok
            });
            if !covered {
                tolerations.push(Toleration {
                    key: Some(key.to_string()),
                    operator: Some("Exists".into()),
                    effect: Some("NoExecute".into()),
                    toleration_seconds: Some(DEFAULT_SECONDS),
                    value: None,
                });
            }
        }
        Ok(())
    }
}
