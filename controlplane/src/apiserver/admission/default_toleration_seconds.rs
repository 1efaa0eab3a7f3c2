//! DefaultTolerationSeconds: every pod tolerates `not-ready` and `unreachable` NoExecute
//! taints for 300 seconds unless it says otherwise, so pods leave a dead node after 5 minutes.

use k8s_openapi::api::core::v1::Toleration;

use super::{AdmissionPlugin, Attributes};
use crate::apiserver::error::ApiError;
use crate::model::Object;
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
        let Some(pod) = attrs.pod_created() else { return Ok(()) };
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

#[cfg(test)]
mod tests {
    use crate::model::decode::decode_one;
    use crate::model::Object;

    /// The pod's tolerations as `key:effect:seconds` after admission.
    fn check(tolerations: &str, expect: &[&str]) {
        let mut api = crate::apiserver::tests::server();
        let pod = decode_one(&format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec: {{tolerations: {tolerations}, containers: [{{name: c, image: nginx}}]}}")).unwrap();
        let obj = api.create("kubectl", "default", pod).unwrap();
        let Object::Pod(p) = &*obj else { panic!() };
        let got: Vec<String> = p
            .spec
            .as_ref()
            .unwrap()
            .tolerations
            .iter()
            .flatten()
            .map(|t| {
                format!(
                    "{}:{}:{}",
                    t.key.as_deref().unwrap_or(""),
                    t.effect.as_deref().unwrap_or(""),
                    t.toleration_seconds.map_or("-".into(), |s| s.to_string())
                )
            })
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn default_tolerations() {
        check("[]", &["node.kubernetes.io/not-ready:NoExecute:300", "node.kubernetes.io/unreachable:NoExecute:300"]);
        check(
            "[{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 10}]",
            &["node.kubernetes.io/unreachable:NoExecute:10", "node.kubernetes.io/not-ready:NoExecute:300"],
        );
        // A pod that tolerates everything needs nothing added.
        check("[{operator: Exists}]", &["::-"]);
    }
}
