//! `kubectl get validatingwebhookconfigurations` and `mutatingwebhookconfigurations`
//! (`printValidatingWebhook`, `printMutatingWebhook`): NAME WEBHOOKS AGE.

use k8s_openapi::api::admissionregistration::v1::{MutatingWebhookConfiguration, ValidatingWebhookConfiguration};

use super::{col, Column, Ctx};

pub(super) const COLUMNS: &[Column] = &[col("NAME"), col("WEBHOOKS"), col("AGE")];

pub(super) fn validating_row(c: &ValidatingWebhookConfiguration, ctx: &Ctx) -> Vec<String> {
    let count = c.webhooks.as_ref().map_or(0, Vec::len);
    vec![
        c.metadata.name.clone().unwrap_or_default(),
        count.to_string(),
        ctx.age(c.metadata.creation_timestamp.as_ref()),
    ]
}

pub(super) fn mutating_row(c: &MutatingWebhookConfiguration, ctx: &Ctx) -> Vec<String> {
    let count = c.webhooks.as_ref().map_or(0, Vec::len);
    vec![
        c.metadata.name.clone().unwrap_or_default(),
        count.to_string(),
        ctx.age(c.metadata.creation_timestamp.as_ref()),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    #[test]
    fn webhook_counts() {
        let yaml = "
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: ingress-nginx-admission}
webhooks:
- {name: validate.nginx.ingress.kubernetes.io, admissionReviewVersions: [v1], sideEffects: None, clientConfig: {url: 'https://example.com'}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: none}
";
        assert_text(
            &render(yaml, &PrintOptions::default()),
            "
NAME                      WEBHOOKS   AGE
ingress-nginx-admission   1          60m
none                      0          60m
",
        );
    }
}
