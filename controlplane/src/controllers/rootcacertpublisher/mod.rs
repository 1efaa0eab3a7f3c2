//! RootCACertPublisher: every namespace has the `kube-root-ca.crt` ConfigMap holding the
//! cluster's CA certificate, which the service-account token volume mounts.

use std::collections::BTreeMap;

use crate::apiserver::{ApiError, WatchEvent};
use crate::controllers::informers::Informers;
use crate::controllers::runtime::{controller_user, namespace_key, Action, Controller};
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

pub struct RootCaCertPublisher;

const NAME: &str = "root-ca-cert-publisher";
pub const CONFIGMAP: &str = "kube-root-ca.crt";

/// A stand-in for the cluster CA: there is no TLS in the simulation, but the file exists.
pub const CA_CERT: &str =
    "-----BEGIN CERTIFICATE-----\nkubesim simulated cluster CA (no TLS in the simulation)\n-----END CERTIFICATE-----\n";

impl Controller for RootCaCertPublisher {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Namespace, Kind::ConfigMap]
    }

    fn keys_for(&mut self, event: &WatchEvent, _old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        namespace_key(event, Kind::ConfigMap, CONFIGMAP)
    }

    fn reconcile(&mut self, namespace: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers = ctx.informers;
        let Some(ns) = informers.get(Kind::Namespace, namespace) else { return Ok(Action::AwaitChange) };
        if ns.metadata().deletion_timestamp.is_some() {
            return Ok(Action::AwaitChange);
        }
        if informers.get(Kind::ConfigMap, &format!("{namespace}/{CONFIGMAP}")).is_none() {
            let mut cm = Object::named(Kind::ConfigMap, Some(namespace), CONFIGMAP);
            if let Object::ConfigMap(c) = &mut cm {
                c.data = Some(BTreeMap::from([("ca.crt".to_string(), CA_CERT.to_string())]));
                c.metadata.annotations = Some(BTreeMap::from([(
                    "kubernetes.io/description".to_string(),
                    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.".to_string(),
                )]));
            }
            let _ = ctx.api.create(&controller_user(NAME), namespace, cm);
        }
        Ok(Action::AwaitChange)
    }
}
