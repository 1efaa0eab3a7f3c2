//! Endpoints (core/v1 `SetDefaults_Endpoints`, `validateEndpointSubsets`): port protocol TCP;
//! each subset has addresses, valid IPs and valid ports.

use k8s_openapi::api::core::v1::Endpoints;

use super::names::{invalid_str, is_dns1123_label, is_valid_port_num, one_of};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};

impl Strategy for Endpoints {
    fn default(&mut self) {
        for p in self.subsets.iter_mut().flatten().flat_map(|s| s.ports.iter_mut().flatten()) {
            if p.protocol.as_deref().unwrap_or("").is_empty() {
                p.protocol = Some("TCP".into());
            }
        }
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        for (i, s) in self.subsets.iter().flatten().enumerate() {
            let sp = format!("subsets[{i}]");
            let (ready, not_ready) =
                (s.addresses.clone().unwrap_or_default(), s.not_ready_addresses.clone().unwrap_or_default());
            if ready.is_empty() && not_ready.is_empty() {
                errs.push(FieldError::required(&sp, "must specify `addresses` or `notReadyAddresses`"));
            }
            for (list, field) in [(&ready, "addresses"), (&not_ready, "notReadyAddresses")] {
                for (j, a) in list.iter().enumerate() {
                    if a.ip.parse::<std::net::IpAddr>().is_err() {
                        errs.push(FieldError::invalid(
                            format!("{sp}.{field}[{j}].ip"),
                            quote(&a.ip),
                            "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                        ));
                    }
                    if let Some(h) = a.hostname.as_deref().filter(|h| !h.is_empty()) {
                        errs.extend(invalid_str(format_args!("{sp}.{field}[{j}].hostname"), h, is_dns1123_label(h)));
                    }
                }
            }
            let ports = s.ports.clone().unwrap_or_default();
            for (j, p) in ports.iter().enumerate() {
                let pp = format!("{sp}.ports[{j}]");
                let name = p.name.clone().unwrap_or_default();
                if ports.len() > 1 && name.is_empty() {
                    errs.push(FieldError::required(format!("{pp}.name"), ""));
                } else if !name.is_empty() {
                    errs.extend(invalid_str(format_args!("{pp}.name"), &name, is_dns1123_label(&name)));
                }
                for m in is_valid_port_num(p.port.into()) {
                    errs.push(FieldError::invalid(format!("{pp}.port"), p.port.to_string(), m));
                }
                one_of(p.protocol.as_deref().unwrap_or(""), format!("{pp}.protocol"), &["SCTP", "TCP", "UDP"], errs);
            }
        }
    }
}
