//! Nodes (core/v1 `SetDefaults_NodeStatus`, `ValidateNode`, `ValidateNodeUpdate`): allocatable
//! defaults to capacity; taints unique by key and effect; capacity and allocatable not
//! negative, pods whole; podCIDRs and providerID set once.

use crate::model::shared::Node;

use super::containers::quantity_value;
use super::names::{invalid_str, is_label_value, is_qualified_name, one_of};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};

impl Strategy for Node {
    fn default(&mut self) {
        if let Some(status) = self.status.as_mut() {
            if status.allocatable.is_none() && status.capacity.is_some() {
                status.allocatable = status.capacity.clone();
            }
        }
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = self.spec.clone().unwrap_or_default();
        let mut seen: Vec<(String, String)> = Vec::new();
        // Upstream validates taints under `metadata.taints`.
        for (i, t) in spec.taints.iter().flatten().enumerate() {
            let ip = format!("metadata.taints[{i}]");
            errs.extend(invalid_str(format_args!("{ip}.key"), &t.key, is_qualified_name(&t.key)));
            let value = t.value.clone().unwrap_or_default();
            let msgs = is_label_value(&value);
            if !msgs.is_empty() {
                errs.push(FieldError::invalid(format!("{ip}.value"), quote(&value), msgs.join(";")));
            }
            one_of(t.effect.as_str(), format!("{ip}.effect"), &["NoSchedule", "PreferNoSchedule", "NoExecute"], errs);
            let key = (t.key.clone(), t.effect.clone());
            if seen.contains(&key) {
                let mut e = FieldError::duplicate(
                    &ip,
                    format!(
                        "core.Taint{{Key:{}, Value:{}, Effect:{}, TimeAdded:(*v1.Time)(nil)}}",
                        quote(&t.key),
                        quote(&value),
                        quote(&t.effect)
                    ),
                );
                e.detail = "taints must be unique by key and effect pair".into();
                errs.push(e);
                continue;
            }
            seen.push(key);
        }
        // `ValidateNodeResources`: optional, but valid when given.
        let status = self.status.as_ref();
        for (list, resources) in [
            ("capacity", status.and_then(|s| s.capacity.as_ref())),
            ("allocatable", status.and_then(|s| s.allocatable.as_ref())),
        ] {
            for (name, q) in resources.into_iter().flatten() {
                quantity_value(name, q, &format!("status.{list}.{name}"), errs);
            }
        }
        for (i, cidr) in spec.pod_cidrs.iter().flatten().enumerate() {
            if !is_cidr(cidr) {
                errs.push(FieldError::invalid(
                    format!("spec.podCIDRs[{i}]"),
                    quote(cidr),
                    "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
                ));
            }
        }
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        let (new, old) = (self.spec.clone().unwrap_or_default(), old.spec.clone().unwrap_or_default());
        let old_cidrs = old.pod_cidrs.unwrap_or_default();
        if !old_cidrs.is_empty() && new.pod_cidrs.unwrap_or_default() != old_cidrs {
            errs.push(FieldError::forbidden(
                "spec.podCIDRs",
                "node updates may not change podCIDR except from \"\" to valid",
            ));
        }
        let old_provider = old.provider_id.unwrap_or_default();
        if !old_provider.is_empty() && new.provider_id.unwrap_or_default() != old_provider {
            errs.push(FieldError::forbidden(
                "spec.providerID",
                "node updates may not change providerID except from \"\" to valid",
            ));
        }
    }
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else { return false };
    let Ok(addr) = ip.parse::<std::net::IpAddr>() else { return false };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    bits.parse::<u8>().is_ok_and(|b| b <= max)
}
