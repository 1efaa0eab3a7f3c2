//! `kubectl get namespaces`: NAME STATUS AGE (`printNamespace`).

use k8s_openapi::api::core::v1::Namespace;

use super::{col, Column, Ctx};

pub(super) const COLUMNS: &[Column] = &[col("NAME"), col("STATUS"), col("AGE")];

pub(super) fn row(ns: &Namespace, ctx: &Ctx) -> Vec<String> {
    let phase = ns.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
    vec![ns.metadata.name.clone().unwrap_or_default(), phase, ctx.age(ns.metadata.creation_timestamp.as_ref())]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(yaml: &str, expect: &str) {
        assert_text(&render(yaml, &PrintOptions::default()), expect);
    }

    #[test]
    fn active_and_terminating() {
        check(
            "
apiVersion: v1
kind: Namespace
metadata: {name: default, creationTimestamp: '2024-12-30T00:00:00Z'}
status: {phase: Active}
---
apiVersion: v1
kind: Namespace
metadata: {name: old-team, deletionTimestamp: '2025-01-01T00:59:00Z'}
status: {phase: Terminating}
",
            "
NAME       STATUS        AGE
default    Active        2d1h
old-team   Terminating   60m
",
        );
    }
}
