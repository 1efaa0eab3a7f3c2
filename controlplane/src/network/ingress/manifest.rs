//! kind's ingress-nginx manifest (`deploy.yaml`, kubernetes/ingress-nginx
//! deploy/static/provider/kind/deploy.yaml at controller-v1.12.1, unchanged), which
//! `cluster(#{ingress: true})` creates as `kubectl apply -f` of the same file would.

use crate::model::{decode, Object};

/// The label of the node the controller runs on (kind's guide sets it on the control plane).
pub const NODE_LABEL: (&str, &str) = ("ingress-ready", "true");

/// The manifest's text.
pub const DEPLOY_YAML: &str = include_str!("deploy.yaml");

/// The manifest's objects, in the order `kubectl apply` creates them.
pub fn objects() -> Result<Vec<Object>, decode::DecodeError> {
    decode::parse_documents(DEPLOY_YAML)?.into_iter().map(decode::decode).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_whole_manifest_decodes() {
        let objects = super::objects().unwrap();
        let names: Vec<String> = objects.iter().map(|o| format!("{:?}/{}", o.kind(), o.name())).collect();
        assert_eq!(names.len(), 19, "{names:?}");
        assert_eq!(names.last().map(String::as_str), Some("ValidatingWebhookConfiguration/ingress-nginx-admission"));
    }
}
