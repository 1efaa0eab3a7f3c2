//! The namespace finalize subresource (`PUT namespaces/NAME/finalize`), as the namespace
//! registry's `FinalizeREST`: it sets only `spec.finalizers`, the namespace controller's last
//! step. A namespace being deleted goes once none are left (the namespace strategy's hold).

use std::sync::Arc;

use super::error::ApiError;
use super::{ApiServer, RequestInfo, UserInfo};
use crate::model::{Kind, Object};

impl ApiServer {
    /// Set a namespace's `spec.finalizers` from `obj`; everything else is kept as stored.
    pub fn finalize_namespace(&mut self, user: impl Into<UserInfo>, obj: Object) -> Result<Arc<Object>, ApiError> {
        let info = Kind::Namespace.info();
        let name = obj.name().to_string();
        let req = RequestInfo { verb: "update", info, sub: "finalize", namespace: "", name: &name };
        self.serve(user, req, |s, _| match (&obj, s.peek(Kind::Namespace, "", &name)) {
            (Object::Namespace(new), Some(current)) => {
                let mut out = (*current).clone();
                if let Object::Namespace(ns) = &mut out {
                    ns.spec.get_or_insert_with(Default::default).finalizers =
                        new.spec.as_ref().and_then(|s| s.finalizers.clone());
                }
                s.store_update(info, &info.key("", &name), &name, &current, out)
            }
            _ => Err(ApiError::not_found(info, &name)),
        })
    }
}
