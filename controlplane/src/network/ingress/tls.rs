//! The certificates the controller serves, as its store and `createServers` settle them: each
//! Secret an Ingress's `spec.tls` names is read into a certificate (or refused, with the
//! warning its store logs), each server with TLS gets its Secret's certificate when that names
//! the host, else the default one; a TLS handshake for a name gets its server's certificate,
//! and a name without one (or no name: a client without SNI) the default, fake certificate.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Secret;

use super::cert::{key_pair, Certificate, PairError};
use super::{Table, CATCH_ALL};

/// A warning as the controller logs it (klog, at its source line in v1.12.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub at: &'static str,
    pub text: String,
}

fn warn(at: &'static str, text: String) -> Warning {
    Warning { at, text }
}

impl Warning {
    /// klog's line: `W1204 18:20:00.000000       7 controller.go:1441] …` (the controller runs
    /// as pid 7 under dumb-init).
    pub fn line(&self, now: DateTime<Utc>) -> String {
        format!("W{}       7 {}] {}", now.format("%m%d %H:%M:%S%.6f"), self.at, self.text)
    }
}

/// The certificates settled for one table.
#[derive(Debug, Default)]
pub struct Certificates {
    /// By server host: the Secret (`namespace/name`) whose certificate it serves; a server
    /// with TLS that is absent here serves the default certificate.
    by_server: BTreeMap<String, (String, Certificate)>,
    pub warnings: Vec<Warning>,
}

/// What a TLS handshake was served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// `namespace/name` of its Secret; None for the default certificate.
    pub secret: Option<String>,
    pub cert: Certificate,
}

/// What the store keeps of a Secret (`getPemCertificate`): a certificate, or only a CA.
enum Local {
    Pair(Box<Certificate>),
    CaOnly,
}

/// The Secret `key` as the store reads it, or the error it logs.
fn local(secret: Option<&Secret>, key: &str) -> Result<Local, String> {
    let Some(secret) = secret else { return Err(format!("no object matching key {key:?} in local store")) };
    let data = secret.data.clone().unwrap_or_default();
    match (data.get("tls.crt"), data.get("tls.key")) {
        (Some(crt), Some(tls_key)) => create_ssl_cert(&crt.0, &tls_key.0)
            .map(|c| Local::Pair(Box::new(c)))
            .map_err(|e| format!("unexpected error creating SSL Cert: {e}")),
        _ if data.get("ca.crt").is_some_and(|c| !c.0.is_empty()) => Ok(Local::CaOnly),
        _ => Err(format!("secret {key:?} contains no keypair or CA certificate")),
    }
}

/// `ssl.CreateSSLCert`: the first PEM block of the certificate and key together must be the
/// certificate, then they must be a pair.
fn create_ssl_cert(crt: &[u8], key: &[u8]) -> Result<Certificate, String> {
    let text = String::from_utf8_lossy(crt);
    match text.find("-----BEGIN ") {
        None if !String::from_utf8_lossy(key).contains("-----BEGIN ") => {
            return Err("no valid PEM formatted block found".into())
        }
        Some(i) if text[i..].starts_with("-----BEGIN CERTIFICATE-----") => {}
        _ => {
            return Err(
                "no certificate PEM data found, make sure certificate content starts with 'BEGIN CERTIFICATE'".into()
            )
        }
    }
    key_pair(crt, key).map_err(|e| match e {
        PairError::Malformed => e.to_string(),
        e => format!("certificate and private key does not have a matching public key: {e}"),
    })
}

/// Go's `x509.HostnameError`, for a certificate that does not name `host`.
fn hostname_error(cert: &Certificate, host: &str) -> String {
    let has_san = !cert.dns_names.is_empty() || !cert.ip_addresses.is_empty();
    if !has_san && cert.common_name.as_deref().is_some_and(|cn| super::cert::name_matches(cn, host)) {
        return "x509: certificate relies on legacy Common Name field, use SANs instead".into();
    }
    let valid = if host.parse::<IpAddr>().is_ok() {
        if cert.ip_addresses.is_empty() {
            return format!("x509: cannot validate certificate for {host} because it doesn't contain any IP SANs");
        }
        cert.ip_addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    } else {
        cert.dns_names.join(", ")
    };
    if valid.is_empty() {
        return format!("x509: certificate is not valid for any names, but wanted to match {host}");
    }
    format!("x509: certificate is valid for {valid}, not {host}")
}

/// Go's `VerifyHostname`: the subjectAltName only.
fn san_names(cert: &Certificate, host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(ip) => cert.ip_addresses.contains(&ip),
        Err(_) => cert.dns_names.iter().any(|n| super::cert::name_matches(n, host)),
    }
}

impl Certificates {
    /// Settle the certificates of `table`'s servers at `now`, with `secret` the controller's
    /// Secret lister (by `namespace/name`).
    pub fn settle<'s>(table: &Table, secret: impl Fn(&str) -> Option<&'s Secret>, now: DateTime<Utc>) -> Certificates {
        let mut out = Certificates::default();
        let mut keys = BTreeSet::new();
        for tls in table.servers.values().filter_map(|s| s.tls.as_ref()) {
            for name in tls.listed.iter().chain(&tls.others).filter(|n| !n.is_empty()) {
                keys.insert(format!("{}/{name}", tls.namespace));
            }
        }
        // The store syncs each referenced Secret first, logging those it cannot take.
        let mut locals = BTreeMap::new();
        for key in keys {
            match local(secret(&key), &key) {
                Ok(l) => {
                    locals.insert(key, l);
                }
                Err(e) => {
                    out.warnings.push(warn("backend_ssl.go:47", format!("Error obtaining X.509 certificate: {e}")))
                }
            }
        }
        for server in table.servers.values().filter(|s| s.host != CATCH_ALL) {
            let Some(tls) = &server.tls else { continue };
            let host = server.host.as_str();
            let Some(name) = tls.listed.clone().or_else(|| out.by_san(tls, host, &locals)) else { continue };
            if name.is_empty() {
                continue;
            }
            let key = format!("{}/{name}", tls.namespace);
            let cert = match locals.get(&key) {
                None => {
                    let e = format!("local SSL certificate {key} was not found");
                    let text = format!("Error getting SSL certificate {key:?}: {e}. Using default certificate");
                    out.warnings.push(warn("controller.go:1441", text));
                    continue;
                }
                Some(Local::CaOnly) => {
                    let text =
                        format!("SSL certificate {key:?} does not contain a valid SSL certificate for server {host:?}");
                    out.warnings.push(warn("controller.go:1447", text));
                    out.warnings.push(warn("controller.go:1448", "Using default certificate".into()));
                    continue;
                }
                Some(Local::Pair(cert)) => cert,
            };
            if !san_names(cert, host) {
                let e = hostname_error(cert, host);
                let text = format!("Unexpected error validating SSL certificate {key:?} for server {host:?}: {e}");
                out.warnings.push(warn("controller.go:1455", text));
                let text = "Validating certificate against DNS names. This will be deprecated in a future version";
                out.warnings.push(warn("controller.go:1456", text.into()));
                if !cert.covers(host) {
                    let text = format!(
                        "SSL certificate {key:?} does not contain a Common Name or Subject Alternative Name for server {host:?}: {e}"
                    );
                    out.warnings.push(warn("controller.go:1461", text));
                    out.warnings.push(warn("controller.go:1462", "Using default certificate".into()));
                    continue;
                }
            }
            // Taken all the same, with a word on its date (Go's `time.Time` as `%v` prints it).
            let expiry = cert.not_after.format("%Y-%m-%d %H:%M:%S +0000 UTC");
            if cert.not_after < now {
                let text = format!("SSL certificate for server {host:?} expired ({expiry})");
                out.warnings.push(warn("controller.go:1472", text));
            } else if cert.not_after < now + chrono::Duration::hours(240) {
                let text = format!("SSL certificate for server {host:?} is about to expire ({expiry})");
                out.warnings.push(warn("controller.go:1474", text));
            }
            out.by_server.insert(server.host.clone(), (key, (**cert).clone()));
        }
        out
    }

    /// `extractTLSSecretName` for a host its Ingress's `spec.tls` does not list: the first
    /// Secret whose certificate names it.
    fn by_san(&mut self, tls: &super::Tls, host: &str, locals: &BTreeMap<String, Local>) -> Option<String> {
        tls.others.iter().find_map(|name| {
            let key = format!("{}/{name}", tls.namespace);
            match locals.get(&key) {
                None => {
                    let text =
                        format!("Error getting SSL certificate {key:?}: local SSL certificate {key} was not found");
                    self.warnings.push(warn("controller.go:1720", text));
                    None
                }
                Some(Local::Pair(cert)) if san_names(cert, host) => Some(name.clone()),
                Some(_) => None,
            }
        })
    }

    /// The certificate a handshake for `sni` (none: the client sent no name) is served, with
    /// `fake` the controller's own.
    pub fn served(&self, table: &Table, sni: Option<&str>, fake: &Certificate) -> Served {
        let found = sni.and_then(|n| table.certificate_server(n)).and_then(|s| self.by_server.get(&s.host));
        match found {
            Some((key, cert)) => Served { secret: Some(key.clone()), cert: cert.clone() },
            None => Served { secret: None, cert: fake.clone() },
        }
    }
}

/// The most controller pods whose last warnings are remembered.
const MAX_PODS: usize = 64;

/// What each controller pod last logged of its certificates: the warnings are logged again
/// when they change (each sync that sees a change logs them).
#[derive(Debug, Default)]
pub struct Logged {
    by_pod: BTreeMap<String, Vec<Warning>>,
}

impl Logged {
    /// The warnings of `pod` to log now: all of them when they differ from the last.
    pub fn news(&mut self, pod: &str, warnings: &[Warning]) -> Vec<Warning> {
        if self.by_pod.get(pod).is_some_and(|w| w == warnings) {
            return Vec::new();
        }
        self.by_pod.insert(pod.to_string(), warnings.to_vec());
        while self.by_pod.len() > MAX_PODS {
            self.by_pod.pop_first();
        }
        warnings.to_vec()
    }
}
