//! Priority: a pod's `priorityClassName` becomes its `spec.priority` (and the class's
//! `preemptionPolicy`); a pod that names no class gets the global default class, if one exists.

use super::{AdmissionPlugin, Attributes};
use crate::apiserver::error::ApiError;
use crate::model::{Kind, Object};
use crate::store::Store;

pub struct Priority;

/// A class's name, value and preemption policy.
fn class(obj: &Object) -> Option<(String, i32, Option<String>, bool)> {
    let Object::PriorityClass(pc) = obj else { return None };
    Some((obj.name().to_string(), pc.value, pc.preemption_policy.clone(), pc.global_default.unwrap_or(false)))
}

impl AdmissionPlugin for Priority {
    fn name(&self) -> &'static str {
        "Priority"
    }

    fn admit(&self, attrs: &mut Attributes<'_>, store: &Store<Object>) -> Result<(), ApiError> {
        let (info, name) = (attrs.info, attrs.name);
        let Some(pod) = attrs.pod_created() else { return Ok(()) };
        let spec = pod.spec.get_or_insert_with(Default::default);
        let named = spec.priority_class_name.clone().filter(|n| !n.is_empty());
        let (priority, policy) = match named {
            None => {
                // The default class is the global default with the lowest value.
                let default = store
                    .range(&Kind::PriorityClass.info().key_prefix(None))
                    .filter_map(|kv| class(&kv.value))
                    .filter(|c| c.3)
                    .min_by_key(|c| c.1);
                match default {
                    Some((class_name, value, policy, _)) => {
                        spec.priority_class_name = Some(class_name);
                        (value, policy)
                    }
                    None => (spec.priority.unwrap_or(0), None),
                }
            }
            Some(class_name) => {
                let key = Kind::PriorityClass.info().key("", &class_name);
                let Some((_, value, policy, _)) = store.get(&key).and_then(|kv| class(&kv.value)) else {
                    return Err(ApiError::forbidden(
                        info,
                        name,
                        format!("no PriorityClass with name {class_name} was found"),
                    ));
                };
                if let Some(given) = spec.priority.filter(|p| *p != value) {
                    return Err(ApiError::forbidden(
                        info,
                        name,
                        format!("the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {value} from the given PriorityClass name"),
                    ));
                }
                (value, policy)
            }
        };
        spec.priority = Some(priority);
        if let Some(policy) = policy {
            spec.preemption_policy = Some(policy);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::decode::decode_one;
    use crate::model::Object;

    /// The created pod's `priority/preemptionPolicy`, or the error.
    fn check(classes: &[&str], pod_spec: &str, expect: &str) {
        let mut api = crate::apiserver::tests::server();
        for c in classes {
            api.create(
                "t",
                "",
                decode_one(&format!("apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\n{c}")).unwrap(),
            )
            .unwrap();
        }
        let pod = decode_one(&format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec: {pod_spec}")).unwrap();
        let got = match api.create("t", "default", pod) {
            Ok(obj) => match &*obj {
                Object::Pod(p) => {
                    let s = p.spec.as_ref().unwrap();
                    format!(
                        "{}/{}/{}",
                        s.priority_class_name.as_deref().unwrap_or(""),
                        s.priority.unwrap_or(-1),
                        s.preemption_policy.as_deref().unwrap_or("")
                    )
                }
                _ => unreachable!(),
            },
            Err(e) => e.kubectl_message(),
        };
        assert_eq!(got, expect);
    }

    #[test]
    fn priority_classes() {
        let c = "{containers: [{name: c, image: nginx}]";
        check(&[], &format!("{c}}}"), "/0/PreemptLowerPriority");
        check(
            &["metadata: {name: high}\nvalue: 1000"],
            &format!("{c}, priorityClassName: high}}"),
            "high/1000/PreemptLowerPriority",
        );
        check(
            &["metadata: {name: low}\nvalue: 10\npreemptionPolicy: Never"],
            &format!("{c}, priorityClassName: low}}"),
            "low/10/Never",
        );
        check(
            &["metadata: {name: def}\nvalue: 7\nglobalDefault: true"],
            &format!("{c}}}"),
            "def/7/PreemptLowerPriority",
        );
        check(
            &[],
            &format!("{c}, priorityClassName: nope}}"),
            "Error from server (Forbidden): pods \"p\" is forbidden: no PriorityClass with name nope was found",
        );
    }
}
