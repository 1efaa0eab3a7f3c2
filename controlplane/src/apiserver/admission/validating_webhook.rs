//! ValidatingAdmissionWebhook: every ValidatingWebhookConfiguration's webhooks whose rules,
//! namespaceSelector and objectSelector match the request are called, configurations in name
//! order. A webhook's Service is reached as kube-apiserver (without aggregator routing) reaches
//! it: through its ClusterIP, so with no ready endpoint the connection is refused; a caBundle
//! that did not sign the server's certificate fails the TLS handshake. A call that fails is
//! the request's failure under `failurePolicy: Fail` and is skipped under `Ignore`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::model::Pod;
use k8s_openapi::api::admissionregistration::v1::{RuleWithOperations, ValidatingWebhook};
use k8s_openapi::api::core::v1::Service;

use super::{AdmissionPlugin, Attributes, Operation};
use crate::apiserver::error::{quote, ApiError, Reason};
use crate::apiserver::webhook::{AdmissionWebhookServer, Lister};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, KindInfo, Object};
use crate::store::Store;

pub struct ValidatingAdmissionWebhook {
    /// The programs that can serve a webhook, asked in turn which runs in the endpoint's pod.
    pub servers: &'static [&'static dyn AdmissionWebhookServer],
}

impl AdmissionPlugin for ValidatingAdmissionWebhook {
    fn name(&self) -> &'static str {
        "ValidatingAdmissionWebhook"
    }

    fn validate(&self, attrs: &Attributes<'_, Option<&Object>>, store: &Store<Object>) -> Result<(), ApiError> {
        // Webhook configurations are never subject to webhooks (upstream exempts them too).
        if matches!(attrs.info.kind, Kind::ValidatingWebhookConfiguration | Kind::MutatingWebhookConfiguration) {
            return Ok(());
        }
        // Read in place: every request passes here, and a cluster usually has no configuration.
        static CONFIGS: LazyLock<String> =
            LazyLock::new(|| Kind::ValidatingWebhookConfiguration.info().key_prefix(None));
        if !store.bucket_has_keys(&CONFIGS) {
            return Ok(());
        }
        for kv in store.range(&CONFIGS) {
            let Object::ValidatingWebhookConfiguration(config) = &*kv.value else { continue };
            for hook in config.webhooks.iter().flatten() {
                if !matches(hook, attrs, store) {
                    continue;
                }
                match self.call(hook, attrs, store) {
                    Ok(Ok(())) => {}
                    Ok(Err(denial)) => {
                        let denied = format!("admission webhook {} denied the request", quote(&hook.name));
                        let message = if denial.message.is_empty() {
                            format!("{denied} without explanation")
                        } else {
                            format!("{denied}: {}", denial.message)
                        };
                        return Err(ApiError::new(denial.reason, message));
                    }
                    Err(_) if hook.failure_policy.as_deref() == Some("Ignore") => {}
                    Err(why) => {
                        let message = format!(
                            "Internal error occurred: failed calling webhook {}: failed to call webhook: {why}",
                            quote(&hook.name)
                        );
                        return Err(ApiError::new(Reason::InternalError, message));
                    }
                }
            }
        }
        Ok(())
    }
}

fn operation(op: Operation) -> &'static str {
    match op {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
    }
}

fn listed(list: &Option<Vec<String>>, value: &str) -> bool {
    list.iter().flatten().any(|v| v == "*" || v == value)
}

/// Whether a rule covers the request (`rules.Matcher`): operation, group, version, the
/// resource (no subresource: status writes are not admitted here) and scope.
fn rule_matches(rule: &RuleWithOperations, op: Operation, info: &KindInfo) -> bool {
    let resource = rule.resources.iter().flatten().any(|r| r == "*" || r == "*/*" || r == info.plural);
    let scope = match rule.scope.as_deref().unwrap_or("*") {
        "Cluster" => !info.namespaced,
        "Namespaced" => info.namespaced,
        _ => true,
    };
    listed(&rule.operations, operation(op))
        && listed(&rule.api_groups, info.group)
        && (listed(&rule.api_versions, info.version)
            || info.other_versions.iter().any(|v| listed(&rule.api_versions, v)))
        && resource
        && scope
}

fn labels_of(obj: Option<&Object>) -> BTreeMap<String, String> {
    obj.and_then(|o| o.metadata().labels.clone()).unwrap_or_default()
}

fn matches(hook: &ValidatingWebhook, attrs: &Attributes<'_, Option<&Object>>, store: &Store<Object>) -> bool {
    if !hook.rules.iter().flatten().any(|r| rule_matches(r, attrs.operation, attrs.info)) {
        return false;
    }
    // The namespace's labels for namespaced objects, a Namespace's own; other cluster-scoped
    // objects are never skipped by it.
    let ns_labels = if attrs.info.kind == Kind::Namespace {
        Some(labels_of(attrs.object.or(attrs.old)))
    } else if attrs.info.namespaced {
        Some(labels_of(Lister::get(store, Kind::Namespace, "", attrs.namespace).as_deref()))
    } else {
        None
    };
    if let Some(labels) = ns_labels {
        if !LabelSelector::selects_or_all(hook.namespace_selector.as_ref(), &labels) {
            return false;
        }
    }
    LabelSelector::selects_or_all(hook.object_selector.as_ref(), &labels_of(attrs.object))
        || LabelSelector::selects_or_all(hook.object_selector.as_ref(), &labels_of(attrs.old))
}

impl ValidatingAdmissionWebhook {
    /// Call one webhook: its answer, or why the call failed (Go's `url.Error` text).
    fn call(
        &self,
        hook: &ValidatingWebhook,
        attrs: &Attributes<'_, Option<&Object>>,
        store: &Store<Object>,
    ) -> Result<Result<(), crate::apiserver::webhook::Denial>, String> {
        let cc = &hook.client_config;
        let timeout = hook.timeout_seconds.unwrap_or(10);
        let Some(svc) = &cc.service else {
            // A URL: the simulated world has no hosts outside the cluster. kube-apiserver
            // resolves a name with its node's resolver (kind's `172.18.0.1`), which knows none;
            // an address does not answer before the timeout.
            let url = cc.url.clone().unwrap_or_default();
            let parsed = crate::network::url::Url::parse(&url).ok();
            let why = match parsed {
                Some(u) if u.host.parse::<std::net::IpAddr>().is_ok() => {
                    format!("dial tcp {}:{}: i/o timeout", u.host, u.port)
                }
                Some(u) => format!("dial tcp: lookup {} on 172.18.0.1:53: no such host", u.host),
                None => format!("parse {}: invalid URL", quote(&url)),
            };
            let sep = if url.contains('?') { '&' } else { '?' };
            return Err(format!("Post {}: {why}", quote(&format!("{url}{sep}timeout={timeout}s"))));
        };
        let port = svc.port.unwrap_or(443);
        let path = svc.path.clone().unwrap_or_default();
        let url = format!("https://{}.{}.svc:{port}{path}?timeout={timeout}s", svc.name, svc.namespace);
        let fail = |why: String| format!("Post {}: {why}", quote(&url));
        let service = match Lister::get(store, Kind::Service, &svc.namespace, &svc.name).as_deref() {
            Some(Object::Service(s)) => (**s).clone(),
            _ => return Err(fail(format!("service {} not found", quote(&svc.name)))),
        };
        let Some((cluster_ip, port_name)) = cluster_port(&service, port) else {
            return Err(fail(format!("no service port {port} found for service {}", quote(&svc.name))));
        };
        let Some((pod, target)) = ready_endpoint(store, &svc.namespace, &svc.name, &port_name) else {
            // kube-proxy rejects a ClusterIP without ready endpoints.
            return Err(fail(format!("dial tcp {cluster_ip}:{port}: connect: connection refused")));
        };
        let Some(server) = self.servers.iter().find(|s| s.serves(&pod, target)) else {
            let ip = pod.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default();
            return Err(fail(format!("dial tcp {ip}:{target}: connect: connection refused")));
        };
        let ca = cc.ca_bundle.as_ref().map(|b| b.0.clone()).unwrap_or_default();
        if ca.is_empty() || server.serving_ca(&pod, store).as_deref() != Some(ca.as_slice()) {
            return Err(fail(
                "tls: failed to verify certificate: x509: certificate signed by unknown authority".into(),
            ));
        }
        Ok(server.review(&path, attrs, store))
    }
}

/// The ClusterIP and the name of the Service's port `port`.
fn cluster_port(service: &Service, port: i32) -> Option<(String, String)> {
    let spec = service.spec.as_ref()?;
    let p = spec.ports.iter().flatten().find(|p| p.port == port)?;
    Some((spec.cluster_ip.clone().unwrap_or_default(), p.name.clone().unwrap_or_default()))
}

/// The first ready endpoint (by address) of the Service's slices for the named port: its pod
/// and the port number there.
fn ready_endpoint(store: &Store<Object>, namespace: &str, service: &str, port_name: &str) -> Option<(Pod, i32)> {
    let mut found: Vec<(String, String, i32)> = Vec::new();
    for obj in store.range(&Kind::EndpointSlice.info().key_prefix(Some(namespace))) {
        let Object::EndpointSlice(slice) = &*obj.value else { continue };
        let labels = slice.metadata.labels.as_ref();
        if labels.and_then(|l| l.get("kubernetes.io/service-name")).map(String::as_str) != Some(service) {
            continue;
        }
        let ports = slice.ports.iter().flatten();
        let Some(number) = ports.filter(|p| p.name.as_deref().unwrap_or("") == port_name).find_map(|p| p.port) else {
            continue;
        };
        for ep in &slice.endpoints {
            let ready = ep.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true);
            let pod = ep.target_ref.as_ref().filter(|r| r.kind.as_deref() == Some("Pod")).and_then(|r| r.name.clone());
            if let (true, Some(pod), Some(addr)) = (ready, pod, ep.addresses.first()) {
                found.push((addr.clone(), pod, number));
            }
        }
    }
    found.sort();
    let (_, name, number) = found.into_iter().next()?;
    match Lister::get(store, Kind::Pod, namespace, &name).as_deref() {
        Some(Object::Pod(p)) => Some(((**p).clone(), number)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::apiserver::ApiServer;
    use crate::model::decode::decode_one;

    fn create(api: &mut ApiServer, ns: &str, yaml: &str) -> String {
        match api.create("kubectl", ns, decode_one(yaml).unwrap()) {
            Ok(o) => format!("created {}", o.name()),
            Err(e) => e.kubectl_message(),
        }
    }

    fn webhook(name: &str, policy: &str, selectors: &str) -> String {
        format!(
            "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {{name: {name}}}
webhooks:
- name: {name}.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: {policy}
  clientConfig: {{url: 'https://hooks.example.com/check'}}
  rules: [{{operations: [CREATE], apiGroups: [''], apiVersions: [v1], resources: [configmaps], scope: Namespaced}}]
{selectors}"
        )
    }

    fn cm(name: &str, labels: &str) -> String {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, labels: {{{labels}}}}}")
    }

    #[test]
    fn rules_selectors_and_failure_policy() {
        let mut api = ApiServer::new(0, crate::sim::epoch());
        for ns in ["default", "quiet"] {
            let labels = if ns == "quiet" { "{hooks: off}" } else { "{}" };
            create(
                &mut api,
                "",
                &format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: {labels}}}"),
            );
        }
        create(&mut api, "", &webhook("lenient", "Ignore", ""));
        assert_eq!(create(&mut api, "default", &cm("a", "")), "created a");
        let selectors = "  namespaceSelector: {matchExpressions: [{key: hooks, operator: NotIn, values: [off]}]}\n  objectSelector: {matchLabels: {checked: 'yes'}}\n";
        create(&mut api, "", &webhook("strict", "Fail", selectors));
        // Not selected: the object's labels, then the namespace's.
        assert_eq!(create(&mut api, "default", &cm("b", "")), "created b");
        assert_eq!(create(&mut api, "quiet", &cm("c", "checked: 'yes'")), "created c");
        assert_eq!(
            create(&mut api, "default", &cm("d", "checked: 'yes'")),
            "Error from server (InternalError): Internal error occurred: failed calling webhook \"strict.example.com\": failed to call webhook: Post \"https://hooks.example.com/check?timeout=10s\": dial tcp: lookup hooks.example.com on 172.18.0.1:53: no such host"
        );
        // Other kinds and operations are not the rule's.
        assert_eq!(
            create(&mut api, "default", "apiVersion: v1\nkind: Secret\nmetadata: {name: s, labels: {checked: 'yes'}}"),
            "created s"
        );
    }
}
