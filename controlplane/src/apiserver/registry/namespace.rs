//! Namespaces (`pkg/registry/core/namespace/strategy.go`, core/v1 `SetDefaults_Namespace`):
//! the `kubernetes.io/metadata.name` label, `spec.finalizers: [kubernetes]` and phase Active on create.

use k8s_openapi::api::core::v1::{Namespace, NamespaceSpec, NamespaceStatus};

use super::names::{invalid_str, is_qualified_name};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};

/// The label every namespace carries with its own name (NamespaceDefaultLabelName).
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";

impl Strategy for Namespace {
    fn default(&mut self) {
        if let Some(name) = self.metadata.name.clone().filter(|n| !n.is_empty()) {
            self.metadata.labels.get_or_insert_with(Default::default).insert(NAME_LABEL.into(), name);
        }
        if let Some(status) = self.status.as_mut() {
            if status.phase.as_deref().unwrap_or("").is_empty() {
                status.phase = Some("Active".into());
            }
        }
    }

    fn prepare_for_create(&mut self) {
        self.status = Some(NamespaceStatus { phase: Some("Active".into()), ..Default::default() });
        let finalizers = self.spec.get_or_insert_with(NamespaceSpec::default).finalizers.get_or_insert_with(Vec::new);
        if !finalizers.iter().any(|f| f == "kubernetes") {
            finalizers.push("kubernetes".into());
        }
    }

    /// `spec.finalizers` change only through the `finalize` subresource.
    fn prepare_for_update(&mut self, old: &Self) {
        let finalizers = old.spec.as_ref().and_then(|s| s.finalizers.clone());
        self.spec.get_or_insert_with(NamespaceSpec::default).finalizers = finalizers;
    }

    /// The namespace controller empties a deleted namespace, then removes the `kubernetes`
    /// finalizer (namespace REST storage's `Delete`).
    fn before_delete(&mut self) {
        self.status.get_or_insert_with(Default::default).phase = Some("Terminating".into());
    }

    /// A namespace stays until its `spec.finalizers` are gone too (`ShouldDeleteNamespaceDuringUpdate`).
    fn held(&self) -> bool {
        self.spec.as_ref().and_then(|s| s.finalizers.as_ref()).is_some_and(|f| !f.is_empty())
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        for f in self.spec.iter().flat_map(|s| s.finalizers.iter().flatten()) {
            errs.extend(invalid_str("spec.finalizers", f, is_qualified_name(f)));
            if !f.contains('/') && !["kubernetes", "orphan", "foregroundDeletion"].contains(&f.as_str()) {
                errs.push(FieldError::invalid(
                    "spec.finalizers",
                    quote(f),
                    "name is neither a standard finalizer name nor is it fully qualified",
                ));
            }
        }
    }
}
