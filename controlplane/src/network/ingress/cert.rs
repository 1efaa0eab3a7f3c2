//! The certificates of TLS: a `kubernetes.io/tls` Secret's `tls.crt` read as X.509 (subject,
//! issuer, names, validity) with its `tls.key` checked against it as Go's `tls.X509KeyPair`
//! checks a pair (kubectl and ingress-nginx both do), ingress-nginx's fake certificate, and
//! what a client (curl over OpenSSL) makes of a certificate it is served. No signature is
//! computed or checked: a certificate is trusted when the client holds it, or holds one whose
//! subject is its issuer.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::public_key::PublicKey;

/// The common name of the certificate ingress-nginx makes for itself at start.
pub const FAKE_CN: &str = "Kubernetes Ingress Controller Fake Certificate";

/// One X.509 certificate, as much of it as TLS clients and ingress-nginx look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The subject as `CN=…, O=…`.
    pub subject: String,
    pub issuer: String,
    pub common_name: Option<String>,
    /// The subjectAltName's DNS names.
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// SHA-256 of the DER: the same certificate.
    fingerprint: [u8; 32],
    /// The DER of the subject and issuer names, to find an issuer among a client's CAs.
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
}

/// Why a certificate and key are no pair, in Go's `crypto/tls` and `crypto/x509` words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairError {
    #[error("tls: failed to find any PEM data in certificate input")]
    NoCertificate,
    #[error("tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched")]
    Switched,
    #[error("tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM blocks of the following types: [{0}]")]
    OtherBlocks(String),
    #[error("x509: malformed certificate")]
    Malformed,
    #[error("tls: failed to find any PEM data in key input")]
    NoKey,
    #[error("tls: found a certificate rather than a key in the PEM for the private key")]
    CertificateAsKey,
    #[error("tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after skipping PEM blocks of the following types: [{0}]")]
    OtherKeyBlocks(String),
    #[error("tls: failed to parse private key")]
    BadKey,
    #[error("tls: private key type does not match public key type")]
    KeyType,
    #[error("tls: private key does not match public key")]
    Mismatch,
}

/// One `-----BEGIN LABEL-----` block, decoded.
struct Block {
    label: String,
    der: Vec<u8>,
}

/// The PEM blocks of `text` in order, as Go's `pem.Decode` finds them: a block whose body is
/// no base64 is skipped.
fn blocks(text: &[u8]) -> Vec<Block> {
    use base64::Engine;
    let text = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let Some(end_label) = after.find("-----") else { break };
        let label = after[..end_label].to_string();
        let body = &after[end_label + 5..];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = body.find(&end_marker) else { break };
        // Headers (`Proc-Type: …`) end at an empty line; base64 has no ':'.
        let lines: Vec<&str> = body[..end].lines().filter(|l| !l.contains(':')).collect();
        let b64: String = lines.concat().split_whitespace().collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) {
            out.push(Block { label, der });
        }
        rest = &body[end + end_marker.len()..];
    }
    out
}

/// The certificates of a PEM bundle (`--cacert`), each parsed; none when it holds none.
pub fn bundle(pem: &[u8]) -> Result<Vec<Certificate>, PairError> {
    let certs: Vec<Certificate> =
        blocks(pem).iter().filter(|b| b.label == "CERTIFICATE").map(|b| parse(&b.der)).collect::<Result<_, _>>()?;
    if certs.is_empty() {
        return Err(PairError::NoCertificate);
    }
    Ok(certs)
}

fn time(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

/// One DER certificate.
fn parse(der: &[u8]) -> Result<Certificate, PairError> {
    let (_, x) = X509Certificate::from_der(der).map_err(|_| PairError::Malformed)?;
    Ok(read(&x, der))
}

fn read(x: &X509Certificate<'_>, der: &[u8]) -> Certificate {
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    if let Ok(Some(san)) = x.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(n) => dns_names.push(n.to_string()),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => ip_addresses.push(IpAddr::from(<[u8; 4]>::try_from(*b).unwrap_or_default())),
                    16 => ip_addresses.push(IpAddr::from(<[u8; 16]>::try_from(*b).unwrap_or_default())),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    // The last CN is the most significant (as curl takes it).
    let common_name = x.subject().iter_common_name().filter_map(|a| a.as_str().ok()).last().map(str::to_string);
    Certificate {
        subject: x.subject().to_string(),
        issuer: x.issuer().to_string(),
        common_name,
        dns_names,
        ip_addresses,
        not_before: time(x.validity().not_before.timestamp()),
        not_after: time(x.validity().not_after.timestamp()),
        fingerprint: Sha256::digest(der).into(),
        subject_der: x.subject().as_raw().to_vec(),
        issuer_der: x.issuer().as_raw().to_vec(),
    }
}

/// `tls.crt` and `tls.key` as `tls.X509KeyPair` takes them: the first certificate of the
/// chain, and a private key whose public half is the certificate's.
pub fn key_pair(crt: &[u8], key: &[u8]) -> Result<Certificate, PairError> {
    let crt_blocks = blocks(crt);
    let Some(first) = crt_blocks.iter().find(|b| b.label == "CERTIFICATE") else {
        let skipped: Vec<&str> = crt_blocks.iter().map(|b| b.label.as_str()).collect();
        return Err(match skipped.as_slice() {
            [] => PairError::NoCertificate,
            [one] if one.ends_with("PRIVATE KEY") => PairError::Switched,
            more => PairError::OtherBlocks(more.join(" ")),
        });
    };
    let key_blocks = blocks(key);
    let is_key = |b: &&Block| b.label == "PRIVATE KEY" || b.label.ends_with(" PRIVATE KEY");
    let Some(key) = key_blocks.iter().find(is_key) else {
        let skipped: Vec<&str> = key_blocks.iter().map(|b| b.label.as_str()).collect();
        return Err(match skipped.as_slice() {
            [] => PairError::NoKey,
            ["CERTIFICATE"] => PairError::CertificateAsKey,
            more => PairError::OtherKeyBlocks(more.join(" ")),
        });
    };
    let (_, x) = X509Certificate::from_der(&first.der).map_err(|_| PairError::Malformed)?;
    let public = private_key_public(&key.der).ok_or(PairError::BadKey)?;
    match (x.public_key().parsed(), public) {
        (Ok(PublicKey::RSA(rsa)), KeyPublic::Rsa(n)) => {
            if trim(rsa.modulus) != trim(&n) {
                return Err(PairError::Mismatch);
            }
        }
        (Ok(PublicKey::EC(_)), KeyPublic::Ec(Some(point))) => {
            if x.public_key().subject_public_key.data.as_ref() != point.as_slice() {
                return Err(PairError::Mismatch);
            }
        }
        // A key that does not carry its public half (Ed25519, an EC key without it) would need
        // its curve's arithmetic to compare: taken as it is.
        (Ok(PublicKey::EC(_)), KeyPublic::Ec(None)) | (Ok(PublicKey::Unknown(_)), KeyPublic::Other) => {}
        _ => return Err(PairError::KeyType),
    }
    Ok(read(&x, &first.der))
}

fn trim(n: &[u8]) -> &[u8] {
    let zeros = n.iter().take_while(|b| **b == 0).count();
    &n[zeros..]
}

/// What a private key says of its public half.
enum KeyPublic {
    /// An RSA modulus.
    Rsa(Vec<u8>),
    /// An EC point, when the key carries it.
    Ec(Option<Vec<u8>>),
    Other,
}

/// One DER element: its tag and its content.
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        (rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The elements of a SEQUENCE.
fn sequence(der: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let (tag, mut content, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let mut out = Vec::new();
    while !content.is_empty() {
        let (t, c, rest) = tlv(content)?;
        out.push((t, c));
        content = rest;
    }
    Some(out)
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// Go's `parsePrivateKey`: PKCS #1, then PKCS #8, then SEC 1, whatever the block's label.
fn private_key_public(der: &[u8]) -> Option<KeyPublic> {
    pkcs1(der).or_else(|| pkcs8(der)).or_else(|| sec1(der))
}

/// RSAPrivateKey: version, modulus, publicExponent, privateExponent, …
fn pkcs1(der: &[u8]) -> Option<KeyPublic> {
    let seq = sequence(der)?;
    (seq.len() >= 9 && seq.iter().take(9).all(|(t, _)| *t == 0x02)).then(|| KeyPublic::Rsa(seq[1].1.to_vec()))
}

/// ECPrivateKey: version 1, privateKey, [0] parameters, [1] publicKey.
fn sec1(der: &[u8]) -> Option<KeyPublic> {
    let seq = sequence(der)?;
    if seq.len() < 2 || seq[0] != (0x02, &[1][..]) || seq[1].0 != 0x04 {
        return None;
    }
    let point = seq.iter().find(|(t, _)| *t == 0xa1).and_then(|(_, c)| {
        let (tag, bits, _) = tlv(c)?;
        // The BIT STRING's first byte counts its unused bits.
        (tag == 0x03 && !bits.is_empty()).then(|| bits[1..].to_vec())
    });
    Some(KeyPublic::Ec(point))
}

/// PrivateKeyInfo: version, algorithm, privateKey (the algorithm's own form).
fn pkcs8(der: &[u8]) -> Option<KeyPublic> {
    let seq = sequence(der)?;
    if seq.len() < 3 || seq[0].0 != 0x02 || seq[1].0 != 0x30 || seq[2].0 != 0x04 {
        return None;
    }
    let (tag, oid, _) = tlv(seq[1].1)?;
    if tag != 0x06 {
        return None;
    }
    match oid {
        OID_RSA => pkcs1(seq[2].1),
        OID_EC => sec1(seq[2].1),
        _ => Some(KeyPublic::Other),
    }
}

impl Certificate {
    /// The certificate ingress-nginx makes when it starts (`GetFakeSSLCert`): self-signed, for
    /// `ingress.local`, a year from `at`. `seed` stands for its random key.
    pub fn fake(at: DateTime<Utc>, seed: &str) -> Certificate {
        let subject = format!("O=Acme Co, CN={FAKE_CN}");
        Certificate {
            subject: subject.clone(),
            issuer: subject.clone(),
            common_name: Some(FAKE_CN.into()),
            dns_names: vec!["ingress.local".into()],
            ip_addresses: Vec::new(),
            not_before: at,
            not_after: at + Duration::days(365),
            fingerprint: Sha256::digest(format!("{FAKE_CN}/{seed}")).into(),
            subject_der: subject.clone().into_bytes(),
            issuer_der: subject.into_bytes(),
        }
    }

    pub fn self_signed(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    /// Whether it names `host`, as ingress-nginx checks a Secret against a server (Go's
    /// `VerifyHostname`, then the common name).
    pub fn covers(&self, host: &str) -> bool {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self.ip_addresses.contains(&ip);
        }
        self.dns_names.iter().chain(&self.common_name).any(|n| name_matches(n, host))
    }

    /// What curl (over OpenSSL) says of being served this for `host`, trusting `cas`, at
    /// `now`: `Err` with the words after `curl: (60) `.
    pub fn verify(&self, host: &str, cas: &[Certificate], now: DateTime<Utc>) -> Result<(), String> {
        let trusted = cas.iter().any(|ca| ca.fingerprint == self.fingerprint || ca.subject_der == self.issuer_der);
        if !trusted {
            let why =
                if self.self_signed() { "self-signed certificate" } else { "unable to get local issuer certificate" };
            return Err(format!("SSL certificate problem: {why}"));
        }
        if now < self.not_before {
            return Err("SSL certificate problem: certificate is not yet valid".into());
        }
        if now > self.not_after {
            return Err("SSL certificate problem: certificate has expired".into());
        }
        self.verify_host(host)
    }

    /// curl's `ossl_verifyhost`: the subjectAltName's names of the host's kind, and only when
    /// it has none, the last common name.
    fn verify_host(&self, host: &str) -> Result<(), String> {
        let has_alt = !self.dns_names.is_empty() || !self.ip_addresses.is_empty();
        let matched = match host.parse::<IpAddr>() {
            Ok(ip) => self.ip_addresses.contains(&ip),
            Err(_) => self.dns_names.iter().any(|n| name_matches(n, host)),
        };
        if matched {
            return Ok(());
        }
        if has_alt {
            return Err(format!("SSL: no alternative certificate subject name matches target host name '{host}'"));
        }
        match &self.common_name {
            Some(cn) if name_matches(cn, host) => Ok(()),
            Some(cn) => Err(format!("SSL: certificate subject name '{cn}' does not match target host name '{host}'")),
            None => Err("SSL: unable to obtain common name from peer certificate".into()),
        }
    }
}

/// A name or a `*.` wildcard against a host, case-insensitively; the wildcard stands for one
/// whole label and needs two more after it.
pub fn name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(rest) if rest.contains('.') => {
            host.split_once('.').is_some_and(|(first, tail)| !first.is_empty() && tail == rest)
        }
        _ => pattern == host,
    }
}
