//! NamespaceLifecycle: no new objects in a namespace that does not exist or is being
//! terminated, and the system namespaces may not be deleted.

use super::{AdmissionPlugin, Attributes, Operation};
use crate::apiserver::error::{quote, ApiError};
use crate::model::{Kind, Object};
use crate::store::Store;

pub struct NamespaceLifecycle;

/// Namespaces that can never be deleted.
const IMMORTAL: &[&str] = &["default", "kube-system", "kube-public"];

impl AdmissionPlugin for NamespaceLifecycle {
    fn name(&self) -> &'static str {
        "NamespaceLifecycle"
    }

    fn admit(&self, attrs: &mut Attributes<'_>, store: &Store<Object>) -> Result<(), ApiError> {
        if attrs.info.kind == Kind::Namespace {
            if attrs.operation == Operation::Delete && IMMORTAL.contains(&attrs.name) {
                return Err(ApiError::forbidden(attrs.info, attrs.name, "this namespace may not be deleted"));
            }
            return Ok(());
        }
        if !attrs.info.namespaced || attrs.operation != Operation::Create {
            return Ok(());
        }
        let ns_info = Kind::Namespace.info();
        let Some(ns) = ns_info.with_key("", attrs.namespace, |key| store.get(key)) else {
            return Err(ApiError::new(
                crate::apiserver::error::Reason::NotFound,
                format!("namespaces {} not found", quote(attrs.namespace)),
            ));
        };
        let terminating = ns.value.metadata().deletion_timestamp.is_some()
            || matches!(&*ns.value, Object::Namespace(n) if n.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating"));
        // Events about the namespace's own teardown are still let in, as upstream does.
        if terminating && attrs.info.kind != Kind::Event {
            return Err(ApiError::forbidden(
                attrs.info,
                attrs.name,
                format!("unable to create new content in namespace {} because it is being terminated", attrs.namespace),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::apiserver::{ApiServer, DeleteOptions};
    use crate::model::decode::decode_one;
    use crate::model::Kind;

    fn check(api: &mut ApiServer, yaml: &str, ns: &str, expect: &str) {
        let got = match api.create("kubectl", ns, decode_one(yaml).unwrap()) {
            Ok(o) => format!("created {}", o.name()),
            Err(e) => e.kubectl_message(),
        };
        assert_eq!(got, expect);
    }

    #[test]
    fn namespaces_must_exist_and_be_active() {
        let mut api = ApiServer::new(0, crate::sim::epoch());
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}";
        check(&mut api, cm, "shop", "Error from server (NotFound): namespaces \"shop\" not found");
        check(
            &mut api,
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\nspec: {finalizers: [kubernetes]}",
            "",
            "created shop",
        );
        check(&mut api, cm, "shop", "created c");
        api.delete("kubectl", Kind::Namespace, "", "shop", DeleteOptions::default()).unwrap();
        check(
            &mut api,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}",
            "shop",
            "Error from server (Forbidden): configmaps \"d\" is forbidden: unable to create new content in namespace shop because it is being terminated",
        );
        check(&mut api, "apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}", "", "created kube-system");
        let e = api.delete("kubectl", Kind::Namespace, "", "kube-system", DeleteOptions::default()).unwrap_err();
        assert_eq!(
            e.kubectl_message(),
            "Error from server (Forbidden): namespaces \"kube-system\" is forbidden: this namespace may not be deleted"
        );
    }
}
