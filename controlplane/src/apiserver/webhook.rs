//! Admission webhooks as the API server reaches them: a webhook configuration names a Service,
//! the call goes to one ready endpoint of it, and the program listening there in the endpoint's
//! pod reviews the request. Programs that serve webhooks implement [`AdmissionWebhookServer`];
//! the plugin picks the one that says it runs in the pod (never a downcast by the caller).

use std::sync::Arc;

use crate::model::Pod;

use super::admission::Attributes;
use super::error::Reason;
use crate::model::{Kind, Object};
use crate::store::Store;

/// What a webhook's program sees of the cluster: its informers' view, read-only.
pub trait Lister {
    fn list(&self, kind: Kind) -> Vec<Arc<Object>>;
    fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Object>>;
}

impl Lister for Store<Object> {
    fn list(&self, kind: Kind) -> Vec<Arc<Object>> {
        self.range(&kind.info().key_prefix(None)).map(|kv| kv.value.clone()).collect()
    }

    fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Object>> {
        Store::get(self, &kind.info().key(namespace, name)).map(|kv| kv.value.clone())
    }
}

/// A refusal, as the webhook's AdmissionResponse `status` carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub reason: Reason,
    pub message: String,
}

/// A program in a pod that serves admission reviews over HTTPS.
pub trait AdmissionWebhookServer: Sync {
    /// Whether `pod` runs this program with its webhook listening on `port`.
    fn serves(&self, pod: &Pod, port: i32) -> bool;
    /// The CA (PEM) that signed the certificate the program serves with, as its pod's files
    /// hold it; `None` when it has none.
    fn serving_ca(&self, pod: &Pod, view: &dyn Lister) -> Option<Vec<u8>>;
    /// Review one request POSTed to `path`: allowed, or the denial.
    fn review(&self, path: &str, request: &Attributes<'_, Option<&Object>>, view: &dyn Lister) -> Result<(), Denial>;
}
