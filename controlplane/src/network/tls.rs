//! The client's side of TLS, as curl 8.5.0 over OpenSSL 3 has it: the name it sends (SNI), the
//! CA file it loads (`--cacert`, exit 77 when it cannot), its check of the certificate it is
//! served (exit 60) unless `-k`, and its words for a server that answers in plain HTTP (exit
//! 35). The servers' side is ingress-nginx's (`ingress::tls`).

use chrono::{DateTime, Utc};

use super::ingress::cert::{self, Certificate};
use super::ingress::tls::Served;

/// A `--cacert` file as curl loads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaFile {
    pub path: String,
    /// Its certificates; None when it cannot be read or holds none.
    pub certs: Option<Vec<Certificate>>,
}

impl CaFile {
    /// The file at `path` with `text` (None: it could not be read).
    pub fn new(path: &str, text: Option<&[u8]>) -> CaFile {
        CaFile { path: path.to_string(), certs: text.and_then(|t| cert::bundle(t).ok()) }
    }
}

/// Why curl gave up on a connection it made: its exit code and words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub exit: i32,
    pub error: String,
}

impl Failure {
    /// A ClientHello answered in plain HTTP (curl 8.5.0 over OpenSSL 3.0.13).
    pub fn wrong_version() -> Failure {
        Failure { exit: 35, error: "OpenSSL/3.0.13: error:0A00010B:SSL routines::wrong version number".into() }
    }
}

/// What the client brings to a TLS handshake.
pub struct ClientTls<'r> {
    /// The name it asks for (SNI): the URL's host, unless that is an address.
    pub sni: Option<String>,
    /// The URL's host, which the certificate must name.
    pub host: String,
    pub insecure: bool,
    pub cacert: Option<&'r CaFile>,
}

impl<'r> ClientTls<'r> {
    /// For `scheme://host`, with curl's `-k` and `--cacert`; None unless the scheme is https.
    pub fn new(scheme: &str, host: &str, insecure: bool, cacert: Option<&'r CaFile>) -> Option<ClientTls<'r>> {
        let sni = host.parse::<std::net::IpAddr>().is_err().then(|| host.to_string());
        (scheme == "https").then(|| ClientTls { sni, host: host.to_string(), insecure, cacert })
    }

    /// curl's exit 77 when it must check the server and its CA file cannot be loaded (as it
    /// sets up TLS, before the handshake).
    pub fn ca_problem(&self) -> Option<Failure> {
        let ca = self.cacert.filter(|c| c.certs.is_none() && !self.insecure)?;
        Some(Failure { exit: 77, error: format!("error setting certificate file: {}", ca.path) })
    }

    /// What the client makes of the certificate it is `served` at `now`.
    pub fn check(&self, served: &Served, now: DateTime<Utc>) -> Result<(), Failure> {
        if self.insecure {
            return Ok(());
        }
        let trusted = self.cacert.and_then(|c| c.certs.as_deref()).unwrap_or_default();
        served.cert.verify(&self.host, trusted, now).map_err(|error| Failure { exit: 60, error })
    }

    /// The hop of the handshake: the name asked for and the certificate it got.
    pub fn hop(&self, served: &Served) -> String {
        let name = self.sni.as_deref().unwrap_or("no name (no SNI)");
        let which = match &served.secret {
            Some(k) => format!("the certificate of secret {k}"),
            None => "the default certificate".to_string(),
        };
        let (subject, issuer) = (&served.cert.subject, &served.cert.issuer);
        format!("ingress-nginx: TLS for {name}: {which} (subject {subject}; issuer {issuer})")
    }
}
