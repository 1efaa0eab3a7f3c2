//! Ingresses (`ValidateIngressSpec`): rules or a default backend; hosts are DNS names (wildcards
//! allowed); every HTTP path has a pathType, an absolute path and one backend.

use k8s_openapi::api::networking::v1::{Ingress, IngressBackend};

use super::names::{
    check_name, invalid_str, is_dns1123_subdomain, is_valid_port_name, is_valid_port_num,
    is_wildcard_dns1123_subdomain, path_segment_name, NameRule,
};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};

impl Strategy for Ingress {
    fn prepare_for_create(&mut self) {
        self.status = Some(Default::default());
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = self.spec.clone().unwrap_or_default();
        let rules = spec.rules.clone().unwrap_or_default();
        if rules.is_empty() && spec.default_backend.is_none() {
            errs.push(FieldError::invalid(
                "spec",
                "[]networking.IngressRule(nil)",
                "either `defaultBackend` or `rules` must be specified",
            ));
        }
        if let Some(b) = &spec.default_backend {
            validate_backend(b, "spec.defaultBackend", errs);
        }
        for (i, rule) in rules.iter().enumerate() {
            let rp = format!("spec.rules[{i}]");
            if let Some(host) = rule.host.as_deref().filter(|h| !h.is_empty()) {
                if host.parse::<std::net::IpAddr>().is_ok() {
                    errs.push(FieldError::invalid(
                        format!("{rp}.host"),
                        quote(host),
                        "must be a DNS name, not an IP address",
                    ));
                }
                let msgs =
                    if host.contains('*') { is_wildcard_dns1123_subdomain(host) } else { is_dns1123_subdomain(host) };
                errs.extend(invalid_str(format_args!("{rp}.host"), host, msgs));
            }
            let Some(http) = &rule.http else { continue };
            if http.paths.is_empty() {
                errs.push(FieldError::required(format!("{rp}.http.paths"), ""));
            }
            for (j, path) in http.paths.iter().enumerate() {
                let pp = format!("{rp}.http.paths[{j}]");
                let p = path.path.clone().unwrap_or_default();
                match path.path_type.as_str() {
                    "" => {
                        errs.push(FieldError::required(format!("{pp}.pathType"), "pathType must be specified"));
                        continue;
                    }
                    "Exact" | "Prefix" => {
                        if !p.starts_with('/') {
                            errs.push(FieldError::invalid(format!("{pp}.path"), quote(&p), "must be an absolute path"));
                        }
                        for seq in ["//", "/./", "/../", "%2f", "%2F"] {
                            if p.contains(seq) {
                                errs.push(FieldError::invalid(
                                    format!("{pp}.path"),
                                    quote(&p),
                                    format!("must not contain '{seq}'"),
                                ));
                            }
                        }
                        for suffix in ["/..", "/."] {
                            if p.ends_with(suffix) {
                                errs.push(FieldError::invalid(
                                    format!("{pp}.path"),
                                    quote(&p),
                                    format!("cannot end with '{suffix}'"),
                                ));
                            }
                        }
                    }
                    "ImplementationSpecific" => {
                        if !p.is_empty() && !p.starts_with('/') {
                            errs.push(FieldError::invalid(format!("{pp}.path"), quote(&p), "must be an absolute path"));
                        }
                    }
                    other => errs.push(FieldError::not_supported(
                        format!("{pp}.pathType"),
                        quote(other),
                        &["Exact", "ImplementationSpecific", "Prefix"],
                    )),
                }
                validate_backend(&path.backend, &format!("{pp}.backend"), errs);
            }
        }
        for (i, tls) in spec.tls.iter().flatten().enumerate() {
            for (j, host) in tls.hosts.iter().flatten().enumerate() {
                let msgs =
                    if host.contains('*') { is_wildcard_dns1123_subdomain(host) } else { is_dns1123_subdomain(host) };
                errs.extend(invalid_str(format_args!("spec.tls[{i}].hosts[{j}]"), host, msgs));
            }
            if let Some(secret) = tls.secret_name.as_deref().filter(|s| !s.is_empty()) {
                errs.extend(invalid_str(
                    format_args!("spec.tls[{i}].secretName"),
                    secret,
                    check_name(NameRule::Subdomain, secret, false),
                ));
            }
        }
        if let Some(class) = spec.ingress_class_name.as_deref() {
            errs.extend(invalid_str("spec.ingressClassName", class, check_name(NameRule::Subdomain, class, false)));
        }
    }
}

fn validate_backend(b: &IngressBackend, p: &str, errs: &mut Vec<FieldError>) {
    match (&b.resource, &b.service) {
        (Some(_), Some(_)) => {
            errs.push(FieldError::invalid(p, quote(""), "cannot set both resource and service backends"))
        }
        (Some(r), None) => {
            if r.kind.is_empty() {
                errs.push(FieldError::required(format!("{p}.resource.kind"), "kind is required"));
            } else {
                errs.extend(invalid_str(format_args!("{p}.resource.kind"), &r.kind, path_segment_name(&r.kind, false)));
            }
            if r.name.is_empty() {
                errs.push(FieldError::required(format!("{p}.resource.name"), "name is required"));
            } else {
                errs.extend(invalid_str(format_args!("{p}.resource.name"), &r.name, path_segment_name(&r.name, false)));
            }
        }
        (None, Some(s)) => {
            if s.name.is_empty() {
                errs.push(FieldError::required(format!("{p}.service.name"), ""));
            } else {
                errs.extend(invalid_str(
                    format_args!("{p}.service.name"),
                    &s.name,
                    check_name(NameRule::Dns1035, &s.name, false),
                ));
            }
            let port = s.port.clone().unwrap_or_default();
            let name = port.name.unwrap_or_default();
            let number = port.number.unwrap_or(0);
            match (name.is_empty(), number == 0) {
                (false, false) => {
                    errs.push(FieldError::invalid(p, quote(""), "cannot set both port name & port number"))
                }
                (false, true) => {
                    errs.extend(invalid_str(format_args!("{p}.service.port.name"), &name, is_valid_port_name(&name)))
                }
                (true, false) => {
                    for m in is_valid_port_num(number.into()) {
                        errs.push(FieldError::invalid(format!("{p}.service.port.number"), number.to_string(), m));
                    }
                }
                (true, true) => errs.push(FieldError::required(p, "port name or number is required")),
            }
        }
        (None, None) => errs.push(FieldError::invalid(p, quote(""), "resource or service backend is required")),
    }
}
