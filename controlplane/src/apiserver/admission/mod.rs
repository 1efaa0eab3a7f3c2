//! The admission chain: plugins that may change (mutate) or refuse (validate) a request after
//! decoding and defaulting, as kube-apiserver's `--enable-admission-plugins`. One file per plugin.

use crate::model::Pod;

use super::error::ApiError;
use crate::model::{Kind, KindInfo, Object};
use crate::store::Store;

mod default_toleration_seconds;
mod namespace_lifecycle;
mod priority;
mod service_account;
mod validating_webhook;

pub use default_toleration_seconds::DefaultTolerationSeconds;
pub use namespace_lifecycle::NamespaceLifecycle;
pub use priority::Priority;
pub use service_account::ServiceAccount;
pub use validating_webhook::ValidatingAdmissionWebhook;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

/// What a plugin sees of a request (admission.Attributes).
pub struct Attributes<'a, O = Option<&'a mut Object>> {
    pub operation: Operation,
    pub info: &'static KindInfo,
    pub namespace: &'a str,
    pub name: &'a str,
    /// The object being written (None on delete): mutable in the mutating phase only.
    pub object: O,
    /// The object as stored before this request (update and delete).
    pub old: Option<&'a Object>,
}

impl Attributes<'_> {
    /// The pod a create request writes: what the plugins that act only on new pods change.
    pub fn pod_created(&mut self) -> Option<&mut Pod> {
        if self.operation != Operation::Create || self.info.kind != Kind::Pod {
            return None;
        }
        match self.object.as_deref_mut() {
            Some(Object::Pod(pod)) => Some(pod),
            _ => None,
        }
    }
}

/// One admission plugin. Plugins read cluster state from the store the API server owns,
/// as the real ones read the apiserver's informer caches.
pub trait AdmissionPlugin {
    /// The plugin's name as in `--enable-admission-plugins`.
    fn name(&self) -> &'static str;
    /// Mutating phase: may change the object.
    fn admit(&self, _attrs: &mut Attributes<'_>, _store: &Store<Object>) -> Result<(), ApiError> {
        Ok(())
    }
    /// Validating phase: may only refuse.
    fn validate(&self, _attrs: &Attributes<'_, Option<&Object>>, _store: &Store<Object>) -> Result<(), ApiError> {
        Ok(())
    }
}

/// The enabled plugins, in kube-apiserver's order.
pub fn default_chain() -> Vec<Box<dyn AdmissionPlugin>> {
    vec![
        Box::new(NamespaceLifecycle),
        Box::new(ServiceAccount),
        Box::new(Priority),
        Box::new(DefaultTolerationSeconds),
        Box::new(ValidatingAdmissionWebhook { servers: crate::network::WEBHOOK_SERVERS }),
    ]
}
