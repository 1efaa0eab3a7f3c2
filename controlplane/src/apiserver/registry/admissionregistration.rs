//! Validating and mutating webhook configurations (`SetDefaults_ValidatingWebhook`,
//! `ValidateValidatingWebhookConfiguration` and their mutating twins): the defaults a webhook
//! gets (failurePolicy Fail, matchPolicy Equivalent, empty selectors, 10 s timeout, service
//! port 443, rule scope `*`) and the checks a learner's manifest meets first.

use std::collections::BTreeSet;

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations, ValidatingWebhook,
    ValidatingWebhookConfiguration, WebhookClientConfig,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::names::{is_dns1123_subdomain, one_of};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};

/// The fields both kinds of webhook share, borrowed for defaulting and validation.
struct Hook<'a> {
    name: &'a String,
    client_config: &'a mut WebhookClientConfig,
    failure_policy: &'a mut Option<String>,
    match_policy: &'a mut Option<String>,
    namespace_selector: &'a mut Option<LabelSelector>,
    object_selector: &'a mut Option<LabelSelector>,
    rules: &'a mut Option<Vec<RuleWithOperations>>,
    side_effects: &'a String,
    timeout_seconds: &'a mut Option<i32>,
    admission_review_versions: &'a Vec<String>,
}

macro_rules! hook {
    ($w:expr) => {
        Hook {
            name: &$w.name,
            client_config: &mut $w.client_config,
            failure_policy: &mut $w.failure_policy,
            match_policy: &mut $w.match_policy,
            namespace_selector: &mut $w.namespace_selector,
            object_selector: &mut $w.object_selector,
            rules: &mut $w.rules,
            side_effects: &$w.side_effects,
            timeout_seconds: &mut $w.timeout_seconds,
            admission_review_versions: &$w.admission_review_versions,
        }
    };
}

fn default_hook(h: Hook<'_>) {
    h.failure_policy.get_or_insert_with(|| "Fail".into());
    h.match_policy.get_or_insert_with(|| "Equivalent".into());
    h.namespace_selector.get_or_insert_with(LabelSelector::default);
    h.object_selector.get_or_insert_with(LabelSelector::default);
    h.timeout_seconds.get_or_insert(10);
    if let Some(service) = h.client_config.service.as_mut() {
        service.port.get_or_insert(443);
    }
    for rule in h.rules.iter_mut().flatten() {
        rule.scope.get_or_insert_with(|| "*".into());
    }
}

/// `validateValidatingWebhook` / `validateMutatingWebhook`, the parts kubesim checks.
fn validate_hook(h: Hook<'_>, path: &str, names: &mut BTreeSet<String>, errs: &mut Vec<FieldError>) {
    let name = h.name.as_str();
    if name.is_empty() {
        errs.push(FieldError::required(format!("{path}.name"), ""));
    } else if let Some(e) = is_dns1123_subdomain(name).into_iter().next() {
        errs.push(FieldError::invalid(format!("{path}.name"), quote(name), e));
    } else if name.split('.').count() < 3 {
        let why = "should be a domain with at least three segments separated by dots";
        errs.push(FieldError::invalid(format!("{path}.name"), quote(name), why));
    } else if !names.insert(name.to_string()) {
        errs.push(FieldError::duplicate(format!("{path}.name"), quote(name)));
    }
    if h.admission_review_versions.is_empty() {
        errs.push(FieldError::required(format!("{path}.admissionReviewVersions"), "must specify one of v1, v1beta1"));
    }
    match h.side_effects.as_str() {
        "" => errs.push(FieldError::required(format!("{path}.sideEffects"), "must specify one of None, NoneOnDryRun")),
        s => one_of(s, format!("{path}.sideEffects"), &["None", "NoneOnDryRun"], errs),
    }
    if let Some(p) = h.failure_policy.as_deref() {
        one_of(p, format!("{path}.failurePolicy"), &["Fail", "Ignore"], errs);
    }
    if let Some(p) = h.match_policy.as_deref() {
        one_of(p, format!("{path}.matchPolicy"), &["Equivalent", "Exact"], errs);
    }
    if let Some(t) = *h.timeout_seconds {
        if !(1..=30).contains(&t) {
            let why = "the timeout value must be between 1 and 30 seconds";
            errs.push(FieldError::invalid(format!("{path}.timeoutSeconds"), t.to_string(), why));
        }
    }
    let cc = &h.client_config;
    if cc.url.is_some() == cc.service.is_some() {
        let why = "exactly one of url or service is required";
        errs.push(FieldError::required(format!("{path}.clientConfig"), why));
    }
    if let Some(s) = &cc.service {
        if s.name.is_empty() {
            errs.push(FieldError::required(format!("{path}.clientConfig.service.name"), "service name is required"));
        }
        if s.namespace.is_empty() {
            let why = "service namespace is required";
            errs.push(FieldError::required(format!("{path}.clientConfig.service.namespace"), why));
        }
        if let Some(p) = s.path.as_deref().filter(|p| !p.starts_with('/')) {
            errs.push(FieldError::invalid(
                format!("{path}.clientConfig.service.path"),
                quote(p),
                "must start with a '/'",
            ));
        }
    }
    for (i, rule) in h.rules.iter().flatten().enumerate() {
        for op in rule.operations.iter().flatten() {
            let ops = &["*", "CONNECT", "CREATE", "DELETE", "UPDATE"];
            one_of(op, format!("{path}.rules[{i}].operations"), ops, errs);
        }
        if let Some(scope) = rule.scope.as_deref() {
            one_of(scope, format!("{path}.rules[{i}].scope"), &["*", "Cluster", "Namespaced"], errs);
        }
    }
}

impl Strategy for ValidatingWebhookConfiguration {
    fn default(&mut self) {
        for w in self.webhooks.iter_mut().flatten() {
            default_hook(hook!(w));
        }
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let mut names = BTreeSet::new();
        let mut copy = self.clone();
        for (i, w) in copy.webhooks.iter_mut().flatten().enumerate() {
            let w: &mut ValidatingWebhook = w;
            validate_hook(hook!(w), &format!("webhooks[{i}]"), &mut names, errs);
        }
    }

    fn prepare_for_update(&mut self, old: &Self) {
        // Generation moves only when the webhooks change, as upstream's PrepareForUpdate.
        if self.webhooks == old.webhooks {
            self.metadata.generation = old.metadata.generation;
        }
    }
}

impl Strategy for MutatingWebhookConfiguration {
    fn default(&mut self) {
        for w in self.webhooks.iter_mut().flatten() {
            w.reinvocation_policy.get_or_insert_with(|| "Never".into());
            default_hook(hook!(w));
        }
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let mut names = BTreeSet::new();
        let mut copy = self.clone();
        for (i, w) in copy.webhooks.iter_mut().flatten().enumerate() {
            let w: &mut MutatingWebhook = w;
            if let Some(p) = w.reinvocation_policy.as_deref() {
                one_of(p, format!("webhooks[{i}].reinvocationPolicy"), &["IfNeeded", "Never"], errs);
            }
            validate_hook(hook!(w), &format!("webhooks[{i}]"), &mut names, errs);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::apiserver::ApiServer;
    use crate::model::decode::decode_one;

    fn check(yaml: &str, expect: &str) {
        let mut api = ApiServer::new(0, crate::sim::epoch());
        let got = match api.create("kubectl", "", decode_one(yaml).unwrap()) {
            Ok(o) => serde_json::to_string(&o.to_value()["webhooks"]).unwrap(),
            Err(e) => e.kubectl_message(),
        };
        assert_eq!(got, expect);
    }

    #[test]
    fn defaults() {
        check(
            "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: v}
webhooks:
- name: validate.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {service: {name: s, namespace: n, path: /check}}
  rules: [{operations: [CREATE], apiGroups: [''], apiVersions: [v1], resources: [pods]}]
",
            r#"[{"admissionReviewVersions":["v1"],"clientConfig":{"service":{"name":"s","namespace":"n","path":"/check","port":443}},"failurePolicy":"Fail","matchPolicy":"Equivalent","name":"validate.example.com","namespaceSelector":{},"objectSelector":{},"rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"],"scope":"*"}],"sideEffects":"None","timeoutSeconds":10}]"#,
        );
    }

    #[test]
    fn refusals() {
        check(
            "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: v}
webhooks:
- name: check
  admissionReviewVersions: []
  sideEffects: Some
  timeoutSeconds: 60
  clientConfig: {}
",
            "The ValidatingWebhookConfiguration \"v\" is invalid: \n* webhooks[0].name: Invalid value: \"check\": should be a domain with at least three segments separated by dots\n* webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1\n* webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: \"None\", \"NoneOnDryRun\"\n* webhooks[0].timeoutSeconds: Invalid value: 60: the timeout value must be between 1 and 30 seconds\n* webhooks[0].clientConfig: Required value: exactly one of url or service is required",
        );
    }
}
