//! ingress-nginx's validating webhook (`--validating-webhook=:8443`): what its `CheckIngress`
//! refuses that learners meet. Ingresses of another class pass; a `-snippet` annotation is
//! refused (snippets are off by default since v1.9); and a host and path an older Ingress
//! already serves is refused, unless both or either is a canary as upstream's `checkOverlap`
//! lets through. The servers are built as the controller builds them: Ingresses oldest first,
//! the one under review last; canaries own no location; a path owned with another pathType
//! gets a location of its own.

use std::collections::BTreeMap;

use crate::model::Pod;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use super::status::is_controller;
use super::{annotation, key, ours, CATCH_ALL};
use crate::apiserver::admission::Attributes;
use crate::apiserver::error::{quote, Reason};
use crate::apiserver::webhook::{AdmissionWebhookServer, Denial, Lister};
use crate::model::{Kind, Object};

/// The controller program's webhook.
pub struct Webhook;

fn flag<'a>(pod: &'a Pod, name: &str) -> Option<&'a str> {
    let mut args = pod.spec.iter().flat_map(|s| &s.containers).flat_map(|c| c.args.iter().flatten());
    args.find_map(|a| a.strip_prefix(name)?.strip_prefix('='))
}

/// Go's `strconv.ParseBool` of the `canary` annotation: `None` when it is missing.
fn canary(ing: &Ingress) -> Option<bool> {
    annotation(ing, "canary").map(|v| matches!(v, "1" | "t" | "T" | "TRUE" | "true" | "True"))
}

/// One location of a server: its path, pathType and the Ingress that owns it.
struct Location {
    path: String,
    path_type: String,
    owner: String,
}

/// The locations of each host, from `ingresses` in the controller's order.
fn servers(ingresses: &[&Ingress]) -> BTreeMap<String, Vec<Location>> {
    let mut servers: BTreeMap<String, Vec<Location>> = BTreeMap::new();
    for ing in ingresses {
        if canary(ing) == Some(true) {
            continue;
        }
        for rule in ing.spec.iter().flat_map(|s| s.rules.iter().flatten()) {
            let host = rule.host.clone().filter(|h| !h.is_empty()).unwrap_or_else(|| CATCH_ALL.into());
            let locations = servers.entry(host).or_default();
            for p in rule.http.iter().flat_map(|h| &h.paths) {
                if p.backend.service.is_none() {
                    continue;
                }
                let path = p.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".into());
                let path_type = if p.path_type.is_empty() { "Prefix".to_string() } else { p.path_type.clone() };
                // The first location with the path decides: the same type is already served.
                if locations.iter().find(|l| l.path == path).is_some_and(|l| l.path_type == path_type) {
                    continue;
                }
                locations.push(Location { path, path_type, owner: key(ing) });
            }
        }
    }
    servers
}

/// `checkOverlap`: the first path of `ing` that a location already has decides.
fn check_overlap(ing: &Ingress, servers: &BTreeMap<String, Vec<Location>>, all: &[&Ingress]) -> Result<(), String> {
    let me = key(ing);
    for rule in ing.spec.iter().flat_map(|s| s.rules.iter().flatten()) {
        let Some(http) = &rule.http else { continue };
        let host = rule.host.clone().filter(|h| !h.is_empty()).unwrap_or_else(|| CATCH_ALL.into());
        for p in http.paths.iter().filter(|p| p.backend.service.is_some()) {
            let path = p.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".into());
            let owners: Vec<&str> =
                servers.get(&host).into_iter().flatten().filter(|l| l.path == path).map(|l| l.owner.as_str()).collect();
            if owners.is_empty() {
                continue;
            }
            if owners.contains(&me.as_str()) {
                return Ok(());
            }
            for owner in owners {
                let existing = all.iter().find(|i| key(i) == owner).and_then(|i| canary(i));
                let mine = canary(ing);
                if (mine == Some(true) && existing == Some(true)) || (mine.is_none() && existing.is_none()) {
                    return Err(format!(
                        "host {} and path {} is already defined in ingress {owner}",
                        quote(&host),
                        quote(&path)
                    ));
                }
            }
            return Ok(());
        }
    }
    Ok(())
}

impl AdmissionWebhookServer for Webhook {
    fn serves(&self, pod: &Pod, port: i32) -> bool {
        let listen = flag(pod, "--validating-webhook").and_then(|a| a.rsplit(':').next()?.parse::<i32>().ok());
        is_controller(pod) && listen == Some(port)
    }

    /// The `ca` of the Secret mounted where `--validating-webhook-certificate` points.
    fn serving_ca(&self, pod: &Pod, view: &dyn Lister) -> Option<Vec<u8>> {
        let cert = flag(pod, "--validating-webhook-certificate")?;
        let spec = pod.spec.as_ref()?;
        let mounts = spec.containers.iter().flat_map(|c| c.volume_mounts.iter().flatten());
        let mount = mounts
            .filter(|m| cert.starts_with(m.mount_path.trim_end_matches('/')))
            .max_by_key(|m| m.mount_path.len())?;
        let volume = spec.volumes.iter().flatten().find(|v| v.name == mount.name)?;
        let secret = volume.secret.as_ref()?.secret_name.clone()?;
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
        match view.get(Kind::Secret, namespace, &secret).as_deref() {
            Some(Object::Secret(s)) => s.data.as_ref()?.get("ca").map(|b| b.0.clone()),
            _ => None,
        }
    }

    fn review(&self, _path: &str, request: &Attributes<'_, Option<&Object>>, view: &dyn Lister) -> Result<(), Denial> {
        let deny = |message: String| Denial { reason: Reason::BadRequest, message };
        let Some(Object::Ingress(ing)) = request.object else {
            let what = request.info.name;
            return Err(deny(format!(
                "rejecting admission review because the request does not contain an Ingress resource but {what} with name {} in namespace {}",
                request.name, request.namespace
            )));
        };
        if ing.metadata.deletion_timestamp.is_some() {
            return Ok(());
        }
        let classes: Vec<IngressClass> = view
            .list(Kind::IngressClass)
            .iter()
            .filter_map(|o| match &**o {
                Object::IngressClass(c) => Some((**c).clone()),
                _ => None,
            })
            .collect();
        // The kind manifest's controller watches Ingresses without a class too.
        if !ours(ing, &classes, true) {
            return Ok(());
        }
        let annotations = ing.metadata.annotations.iter().flatten();
        if let Some((k, _)) = annotations.clone().find(|(k, _)| k.ends_with("-snippet")) {
            return Err(deny(format!(
                "{k} annotation cannot be used. Snippet directives are disabled by the Ingress administrator"
            )));
        }
        let stored: Vec<std::sync::Arc<Object>> = view.list(Kind::Ingress);
        let mut others: Vec<&Ingress> = stored
            .iter()
            .filter_map(|o| match &**o {
                Object::Ingress(i) if key(i) != key(ing) && ours(i, &classes, true) => Some(&**i),
                _ => None,
            })
            .collect();
        // sortIngressSlice: oldest first; the same moment in reverse name order.
        others.sort_by(|a, b| {
            let (ta, tb) = (&a.metadata.creation_timestamp, &b.metadata.creation_timestamp);
            ta.as_ref().map(|t| t.0).cmp(&tb.as_ref().map(|t| t.0)).then_with(|| key(b).cmp(&key(a)))
        });
        others.push(ing);
        check_overlap(ing, &servers(&others), &others).map_err(deny)
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

    fn ingress(name: &str, host: &str, annotations: &str) -> String {
        format!(
            "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, annotations: {{{annotations}}}}}
spec:
  ingressClassName: nginx
  rules:
  - host: {host}
    http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}]}}
"
        )
    }

    const WEBHOOK: &str = "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: ingress-nginx-admission}
webhooks:
- name: validate.nginx.ingress.kubernetes.io
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {service: {name: ingress-nginx-controller-admission, namespace: ingress-nginx, path: /networking/v1/ingresses, port: 443}CA}
  rules: [{apiGroups: [networking.k8s.io], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [ingresses]}]
";

    #[test]
    fn webhook_refusals_and_denials() {
        let mut api = ApiServer::new(0, crate::sim::epoch());
        for ns in ["default", "ingress-nginx"] {
            create(&mut api, "", &format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}"));
            create(&mut api, ns, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}");
        }
        create(&mut api, "", "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\nspec: {controller: k8s.io/ingress-nginx}");
        create(&mut api, "", &WEBHOOK.replace("CA", ""));
        let refused = |api: &mut ApiServer, why: &str| {
            let got = create(api, "default", &ingress("early", "foo.bar", ""));
            let url =
                "https://ingress-nginx-controller-admission.ingress-nginx.svc:443/networking/v1/ingresses?timeout=10s";
            let want = format!("Error from server (InternalError): Internal error occurred: failed calling webhook \"validate.nginx.ingress.kubernetes.io\": failed to call webhook: Post \"{url}\": {why}");
            assert_eq!(got, want);
        };
        refused(&mut api, "service \"ingress-nginx-controller-admission\" not found");
        create(&mut api, "ingress-nginx", "apiVersion: v1\nkind: Service\nmetadata: {name: ingress-nginx-controller-admission}\nspec: {clusterIP: 10.96.0.50, selector: {app: c}, ports: [{name: https-webhook, port: 443, targetPort: webhook}]}");
        refused(&mut api, "dial tcp 10.96.0.50:443: connect: connection refused");
        create(&mut api, "ingress-nginx", "apiVersion: v1
kind: Pod
metadata: {name: controller, labels: {app: c}}
spec:
  containers:
  - name: controller
    image: registry.k8s.io/ingress-nginx/controller:v1.12.1
    args: [/nginx-ingress-controller, --validating-webhook=:8443, --validating-webhook-certificate=/usr/local/certificates/cert]
    volumeMounts: [{name: webhook-cert, mountPath: /usr/local/certificates/}]
  volumes: [{name: webhook-cert, secret: {secretName: ingress-nginx-admission}}]
");
        create(&mut api, "ingress-nginx", "apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: admission-1, labels: {kubernetes.io/service-name: ingress-nginx-controller-admission}}
addressType: IPv4
ports: [{name: https-webhook, port: 8443}]
endpoints: [{addresses: [10.244.0.5], conditions: {ready: true}, targetRef: {kind: Pod, name: controller, namespace: ingress-nginx}}]
");
        refused(&mut api, "tls: failed to verify certificate: x509: certificate signed by unknown authority");
        create(&mut api, "ingress-nginx", "apiVersion: v1\nkind: Secret\nmetadata: {name: ingress-nginx-admission}\ndata: {ca: Q0E=, cert: Q0VSVA==, key: S0VZ}");
        api.update("kubectl", decode_one(&WEBHOOK.replace("CA", ", caBundle: Q0E=")).unwrap()).unwrap();
        assert_eq!(create(&mut api, "default", &ingress("other", "foo.bar", "")), "created other");
        assert_eq!(
            create(&mut api, "default", &ingress("again", "foo.bar", "")),
            "Error from server (BadRequest): admission webhook \"validate.nginx.ingress.kubernetes.io\" denied the request: host \"foo.bar\" and path \"/\" is already defined in ingress default/other"
        );
        let canary = "nginx.ingress.kubernetes.io/canary: \"true\"";
        assert_eq!(create(&mut api, "default", &ingress("canary", "foo.bar", canary)), "created canary");
        assert_eq!(create(&mut api, "default", &ingress("elsewhere", "other.bar", "")), "created elsewhere");
        assert_eq!(
            create(&mut api, "default", &ingress("snippet", "snip.bar", "nginx.ingress.kubernetes.io/configuration-snippet: x")),
            "Error from server (BadRequest): admission webhook \"validate.nginx.ingress.kubernetes.io\" denied the request: nginx.ingress.kubernetes.io/configuration-snippet annotation cannot be used. Snippet directives are disabled by the Ingress administrator"
        );
        // Another class is not this controller's to check.
        let theirs = ingress("theirs", "foo.bar", "").replace("ingressClassName: nginx", "ingressClassName: traefik");
        assert_eq!(create(&mut api, "default", &theirs), "created theirs");
    }
}
