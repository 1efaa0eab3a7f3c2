//! NetworkPolicies (networking/v1 `SetDefaults_NetworkPolicy`, part of `ValidateNetworkPolicySpec`):
//! policyTypes default to Ingress (plus Egress when egress rules are given); port protocol TCP.

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::names::{invalid_str, is_valid_port_name, is_valid_port_num};
use super::{selector, Strategy};
use crate::apiserver::error::{quote, FieldError};

impl Strategy for NetworkPolicy {
    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        let ports = spec
            .ingress
            .iter_mut()
            .flatten()
            .flat_map(|r| r.ports.iter_mut().flatten())
            .chain(spec.egress.iter_mut().flatten().flat_map(|r| r.ports.iter_mut().flatten()));
        for p in ports {
            p.protocol.get_or_insert_with(|| "TCP".into());
        }
        if spec.policy_types.as_ref().is_none_or(|t| t.is_empty()) {
            let mut types = vec!["Ingress".to_string()];
            if spec.egress.as_ref().is_some_and(|e| !e.is_empty()) {
                types.push("Egress".into());
            }
            spec.policy_types = Some(types);
        }
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = self.spec.clone().unwrap_or_default();
        if let Some(s) = &spec.pod_selector {
            selector::validate(s, "spec.podSelector", errs);
        }
        for (i, r) in spec.ingress.iter().flatten().enumerate() {
            for (j, p) in r.ports.iter().flatten().enumerate() {
                validate_port(p, &format!("spec.ingress[{i}].ports[{j}]"), errs);
            }
        }
        for (i, r) in spec.egress.iter().flatten().enumerate() {
            for (j, p) in r.ports.iter().flatten().enumerate() {
                validate_port(p, &format!("spec.egress[{i}].ports[{j}]"), errs);
            }
        }
        let types = spec.policy_types.clone().unwrap_or_default();
        for (i, t) in types.iter().enumerate() {
            if t != "Ingress" && t != "Egress" {
                errs.push(FieldError::not_supported(
                    format!("spec.policyTypes[{i}]"),
                    quote(t),
                    &["Ingress", "Egress"],
                ));
            }
        }
        if types.len() > 2 {
            errs.push(FieldError::invalid(
                "spec.policyTypes",
                format!("{types:?}"),
                "may not specify more than two policyTypes",
            ));
        }
    }
}

fn validate_port(p: &NetworkPolicyPort, pp: &str, errs: &mut Vec<FieldError>) {
    if let Some(proto) = p.protocol.as_deref().filter(|x| !matches!(*x, "TCP" | "UDP" | "SCTP")) {
        errs.push(FieldError::not_supported(format!("{pp}.protocol"), quote(proto), &["SCTP", "TCP", "UDP"]));
    }
    match &p.port {
        Some(IntOrString::Int(n)) => {
            for m in is_valid_port_num((*n).into()) {
                errs.push(FieldError::invalid(format!("{pp}.port"), n.to_string(), m));
            }
        }
        Some(IntOrString::String(s)) => errs.extend(invalid_str(format_args!("{pp}.port"), s, is_valid_port_name(s))),
        None => {}
    }
}
