//! StatefulSets (apps/v1 `SetDefaults_StatefulSet`, `ValidateStatefulSetSpec`): podManagementPolicy
//! OrderedReady, RollingUpdate with partition 0, replicas 1, revisionHistoryLimit 10, PVC
//! retention Retain/Retain. `serviceName` is optional in v1.33. As upstream, the template's pod
//! spec itself is not validated here (only its labels and annotations).

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};

use super::names::{nonnegative, validate_annotations, validate_labels};
use super::podspec::default_template;
use super::podvalidation::validate_restart_always;
use super::{gofmt, intorpercent, selector, Strategy};
use crate::apiserver::error::{quote, FieldError};

impl Strategy for StatefulSet {
    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        if spec.pod_management_policy.as_deref().unwrap_or("").is_empty() {
            spec.pod_management_policy = Some("OrderedReady".into());
        }
        let strategy = spec.update_strategy.get_or_insert_with(Default::default);
        if strategy.type_.as_deref().unwrap_or("").is_empty() {
            strategy.type_ = Some("RollingUpdate".into());
            strategy.rolling_update.get_or_insert_with(Default::default);
        }
        if strategy.type_.as_deref() == Some("RollingUpdate") {
            if let Some(ru) = strategy.rolling_update.as_mut() {
                ru.partition.get_or_insert(0);
            }
        }
        let retention = spec.persistent_volume_claim_retention_policy.get_or_insert_with(Default::default);
        for p in [&mut retention.when_deleted, &mut retention.when_scaled] {
            if p.as_deref().unwrap_or("").is_empty() {
                *p = Some("Retain".into());
            }
        }
        spec.replicas.get_or_insert(1);
        spec.revision_history_limit.get_or_insert(10);
        default_template(&mut spec.template);
    }

    fn prepare_for_create(&mut self) {
        self.status = Some(Default::default());
        drop_disabled_fields(self, None);
    }

    fn prepare_for_update(&mut self, old: &Self) {
        drop_disabled_fields(self, Some(old));
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = spec_of(self);
        match spec.pod_management_policy.as_deref().unwrap_or("") {
            "OrderedReady" | "Parallel" => {}
            "" => errs.push(FieldError::required("spec.podManagementPolicy", "")),
            other => errs.push(FieldError::invalid(
                "spec.podManagementPolicy",
                quote(other),
                "must be 'OrderedReady' or 'Parallel'",
            )),
        }
        validate_update_strategy(&spec, errs);
        if let Some(r) = &spec.persistent_volume_claim_retention_policy {
            for (p, field) in [(&r.when_deleted, "whenDeleted"), (&r.when_scaled, "whenScaled")] {
                let v = p.as_deref().unwrap_or("");
                if v != "Retain" && v != "Delete" {
                    errs.push(FieldError::not_supported(
                        format!("spec.persistentVolumeClaimRetentionPolicy.{field}"),
                        quote(v),
                        &["Retain", "Delete"],
                    ));
                }
            }
        }
        nonnegative(spec.replicas.unwrap_or(0).into(), "spec.replicas", errs);
        nonnegative(spec.min_ready_seconds.unwrap_or(0).into(), "spec.minReadySeconds", errs);
        if let Some(o) = &spec.ordinals {
            nonnegative(o.start.unwrap_or(0).into(), "spec.ordinals.start", errs);
        }
        let labels = spec.template.metadata.as_ref().and_then(|m| m.labels.as_ref());
        if selector::is_unset(&spec.selector) {
            errs.push(FieldError::required("spec.selector", ""));
        } else {
            selector::validate(&spec.selector, "spec.selector", errs);
        }
        selector::check_template(&spec.selector, labels, "spec.template", errs);
        validate_labels(labels, &"spec.template.labels", errs);
        validate_annotations(
            spec.template.metadata.as_ref().and_then(|m| m.annotations.as_ref()),
            &"spec.template.annotations",
            errs,
        );
        validate_restart_always(&spec.template, "StatefulSet", errs);
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        let mut new = spec_of(self);
        let old = spec_of(old);
        new.replicas = old.replicas;
        new.template = old.template.clone();
        new.update_strategy = old.update_strategy.clone();
        new.min_ready_seconds = old.min_ready_seconds;
        new.ordinals = old.ordinals.clone();
        new.persistent_volume_claim_retention_policy = old.persistent_volume_claim_retention_policy.clone();
        if new != old {
            errs.push(FieldError::forbidden(
                "spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            ));
        }
    }
}

/// `dropStatefulSetDisabledFields`: the MaxUnavailableStatefulSet gate is off (alpha until
/// v1.35), so `rollingUpdate.maxUnavailable` is dropped unless the stored object already uses it.
fn drop_disabled_fields(new: &mut StatefulSet, old: Option<&StatefulSet>) {
    let in_use = |s: &StatefulSet| {
        s.spec
            .as_ref()
            .and_then(|s| s.update_strategy.as_ref())
            .and_then(|u| u.rolling_update.as_ref())
            .is_some_and(|r| r.max_unavailable.is_some())
    };
    if old.is_some_and(in_use) {
        return;
    }
    if let Some(ru) = new.spec.as_mut().and_then(|s| s.update_strategy.as_mut()).and_then(|u| u.rolling_update.as_mut())
    {
        ru.max_unavailable = None;
    }
}

fn spec_of(s: &StatefulSet) -> StatefulSetSpec {
    s.spec.clone().unwrap_or_default()
}

fn validate_update_strategy(spec: &StatefulSetSpec, errs: &mut Vec<FieldError>) {
    let s = spec.update_strategy.clone().unwrap_or_default();
    match s.type_.as_deref().unwrap_or("") {
        "" => errs.push(FieldError::required("spec.updateStrategy", "")),
        "OnDelete" => {
            if s.rolling_update.is_some() {
                errs.push(FieldError::invalid(
                    "spec.updateStrategy.rollingUpdate",
                    gofmt::pointer("apps.RollingUpdateStatefulSetStrategy", true),
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "RollingUpdate" => {
            if let Some(ru) = &s.rolling_update {
                let p = "spec.updateStrategy.rollingUpdate";
                nonnegative(ru.partition.unwrap_or(0).into(), format_args!("{p}.partition"), errs);
                if let Some(mu) = &ru.max_unavailable {
                    intorpercent::validate_positive(mu, &format!("{p}.maxUnavailable"), errs);
                    if intorpercent::value(mu) == 0 {
                        errs.push(FieldError::invalid(
                            format!("{p}.maxUnavailable"),
                            gofmt::int_or_string(mu),
                            "cannot be 0",
                        ));
                    }
                    intorpercent::not_more_than_100_percent(mu, &format!("{p}.maxUnavailable"), errs);
                }
            }
        }
        other => {
            let shown = format!(
                "apps.StatefulSetUpdateStrategy{{Type:{}, RollingUpdate:{}}}",
                quote(other),
                gofmt::pointer("apps.RollingUpdateStatefulSetStrategy", s.rolling_update.is_some())
            );
            errs.push(FieldError::invalid("spec.updateStrategy", shown, "must be 'RollingUpdate' or 'OnDelete'"));
        }
    }
}
