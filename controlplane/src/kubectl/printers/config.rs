//! Configuration: configmaps, secrets, serviceaccounts (`printConfigMap`, `printSecret`,
//! `printServiceAccount`).

use k8s_openapi::api::core::v1::{ConfigMap, Secret, ServiceAccount};

use super::{col, list, Column, Ctx};

pub(super) const CONFIGMAP_COLUMNS: &[Column] = &[col("NAME"), col("DATA"), col("AGE")];

/// DATA counts `data` and `binaryData` keys.
pub(super) fn configmap_row(cm: &ConfigMap, ctx: &Ctx) -> Vec<String> {
    let count = cm.data.as_ref().map_or(0, |d| d.len()) + cm.binary_data.as_ref().map_or(0, |d| d.len());
    vec![
        cm.metadata.name.clone().unwrap_or_default(),
        count.to_string(),
        ctx.age(cm.metadata.creation_timestamp.as_ref()),
    ]
}

pub(super) const SECRET_COLUMNS: &[Column] = &[col("NAME"), col("TYPE"), col("DATA"), col("AGE")];

/// TYPE defaults to `Opaque`, as the API server defaults it. `stringData` is write-only: the
/// API server merges it into `data`, so only `data` counts.
pub(super) fn secret_row(secret: &Secret, ctx: &Ctx) -> Vec<String> {
    vec![
        secret.metadata.name.clone().unwrap_or_default(),
        secret.type_.clone().unwrap_or_else(|| "Opaque".to_string()),
        secret.data.as_ref().map_or(0, |d| d.len()).to_string(),
        ctx.age(secret.metadata.creation_timestamp.as_ref()),
    ]
}

pub(super) const SERVICEACCOUNT_COLUMNS: &[Column] = &[col("NAME"), col("SECRETS"), col("AGE")];

/// SECRETS counts the legacy `secrets` references (0 since token secrets are no longer made).
pub(super) fn serviceaccount_row(sa: &ServiceAccount, ctx: &Ctx) -> Vec<String> {
    vec![
        sa.metadata.name.clone().unwrap_or_default(),
        list(&sa.secrets).len().to_string(),
        ctx.age(sa.metadata.creation_timestamp.as_ref()),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(yaml: &str, expect: &str) {
        assert_text(&render(yaml, &PrintOptions::default()), expect);
    }

    #[test]
    fn configmaps_secrets_serviceaccounts() {
        check(
            "
apiVersion: v1
kind: ConfigMap
metadata: {name: kube-root-ca.crt, namespace: default}
data: {ca.crt: '-----BEGIN CERTIFICATE-----'}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: default}
data: {a: '1', b: '2'}
binaryData: {logo.png: aGVsbG8=}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: empty, namespace: default}
",
            "
NAME               DATA   AGE
kube-root-ca.crt   1      60m
app-config         3      60m
empty              0      60m
",
        );
        check(
            "
apiVersion: v1
kind: Secret
metadata: {name: db-pass, namespace: default}
type: Opaque
data: {username: YWRtaW4=, password: czNjcjN0}
---
apiVersion: v1
kind: Secret
metadata: {name: tls, namespace: default}
type: kubernetes.io/tls
data: {tls.crt: Y2VydA==, tls.key: a2V5}
---
apiVersion: v1
kind: Secret
metadata: {name: untyped, namespace: default}
",
            "
NAME      TYPE                DATA   AGE
db-pass   Opaque              2      60m
tls       kubernetes.io/tls   2      60m
untyped   Opaque              0      60m
",
        );
        check(
            "
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: default}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: legacy, namespace: default}
secrets: [{name: legacy-token-abcde}]
",
            "
NAME      SECRETS   AGE
default   0         60m
legacy    1         60m
",
        );
    }
}
