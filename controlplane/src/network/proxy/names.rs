//! kube-proxy's names for its iptables chains and the probabilities it writes, as
//! pkg/proxy/iptables/proxier.go makes them.

use sha2::{Digest, Sha256};

/// "KUBE-SVC-": a service port's chain for "Cluster" traffic policy.
pub const SVC_PREFIX: &str = "KUBE-SVC-";
/// "KUBE-SVL-": a service port's chain for "Local" traffic policy.
pub const SVL_PREFIX: &str = "KUBE-SVL-";
/// "KUBE-FW-": a LoadBalancer's loadBalancerSourceRanges firewall.
pub const FW_PREFIX: &str = "KUBE-FW-";
/// "KUBE-EXT-": what external destinations (NodePort, externalIPs, LoadBalancer) jump to.
pub const EXT_PREFIX: &str = "KUBE-EXT-";
/// "KUBE-SEP-": one endpoint's DNAT chain.
pub const SEP_PREFIX: &str = "KUBE-SEP-";

/// The first 16 characters of base32(sha256(text)) (RFC 4648 alphabet, as Go's
/// `base32.StdEncoding`): iptables chain names must stay under 29 characters.
pub fn hash16(text: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(text.as_bytes());
    // 16 base32 characters are 80 bits: the first 10 bytes.
    let mut out = String::with_capacity(16);
    let (mut bits, mut acc) = (0u32, 0u64);
    for &b in &digest[..10] {
        acc = (acc << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
    }
    out
}

/// `portProtoHash`: a service port's hash, from its name (`ns/svc:port`) and lower-case
/// protocol.
pub fn port_proto_hash(service_port_name: &str, protocol: &str) -> String {
    hash16(&format!("{service_port_name}{protocol}"))
}

/// A chain named after a service port: `prefix` + its 16-character hash.
pub fn service_chain(prefix: &str, service_port_name: &str, protocol: &str) -> String {
    format!("{prefix}{}", port_proto_hash(service_port_name, protocol))
}

/// `servicePortEndpointChainName`: the KUBE-SEP chain of one endpoint (`ip:port`).
pub fn endpoint_chain(service_port_name: &str, protocol: &str, endpoint: &str) -> String {
    format!("{SEP_PREFIX}{}", hash16(&format!("{service_port_name}{protocol}{endpoint}")))
}

/// `computeProbability`: what kube-proxy writes for the i-th of n endpoint rules,
/// `1/n` as Go's `%0.10f`.
pub fn probability_arg(n: usize) -> String {
    format!("{:.10}", 1.0 / n.max(1) as f64)
}

/// What the kernel keeps of a `--probability` argument: iptables turns it into a 31-bit
/// threshold (`lround(0x80000000 * p)`), which a random draw is compared against.
pub fn probability_threshold(arg: &str) -> u32 {
    let p: f64 = arg.parse().unwrap_or(1.0);
    (p.clamp(0.0, 1.0) * 2_147_483_648.0).round() as u32
}

/// How iptables-save prints a threshold back (`%.11f` of threshold / 2^31), which is why
/// kube-proxy's "0.3333333333" reads "0.33333333349".
pub fn probability_text(threshold: u32) -> String {
    format!("{:.11}", f64::from(threshold) / 2_147_483_648.0)
}
