//! Image references as containerd resolves them, and the stable digests and sizes kubesim
//! gives images (there is no registry: an image exists unless its name says it does not).

/// The fully qualified reference: `nginx` → `docker.io/library/nginx:latest`.
pub fn normalize(image: &str) -> String {
    thread_local! {
        static NORMALIZED: crate::memo::Table<String> = crate::memo::Table::default();
    }
    crate::memo::remembered(&NORMALIZED, 256, image, || normalize_uncached(image))
}

fn normalize_uncached(image: &str) -> String {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let first = name.split('/').next().unwrap_or("");
    let has_registry = name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let mut full = if has_registry {
        name.to_string()
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    let last = full.rsplit('/').next().unwrap_or("");
    if let Some(d) = digest {
        full.push('@');
        full.push_str(d);
    } else if !last.contains(':') {
        full.push_str(":latest");
    }
    full
}

/// The repository of a reference, without tag or digest.
pub fn repository(full: &str) -> &str {
    split_tag(full).0
}

/// The tag of a reference (`1.28` of `busybox:1.28`), if it names one; a registry's port is
/// not a tag.
pub fn tag(image: &str) -> Option<&str> {
    split_tag(image).1
}

/// A reference without its digest, as repository and tag.
fn split_tag(image: &str) -> (&str, Option<&str>) {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => (&no_digest[..i], Some(&no_digest[i + 1..])),
        _ => (no_digest, None),
    }
}

/// A stable 64-hex-digit digest of `text` (FNV-1a, stretched): not SHA-256, but it looks like
/// one and never changes between runs.
pub fn digest(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Written digit by digit, not through the formatter: every container and sandbox gets an
    // id from it.
    let mut out = [0u8; 64];
    for (round, chunk) in (0u64..4).zip(out.chunks_exact_mut(16)) {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ round.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for b in text.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= h >> 29;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 32;
        for (i, digit) in chunk.iter_mut().enumerate() {
            *digit = HEX[((h >> (60 - 4 * i)) & 15) as usize];
        }
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// The compressed size of an image, as the Pulled event reports it.
pub fn size(full: &str) -> u64 {
    let name = super::behaviour::short_name(full);
    match name {
        "nginx" => 72_188_133,
        "redis" => 45_006_781,
        "busybox" => 2_166_802,
        "alpine" => 3_652_536,
        "httpd" => 58_119_623,
        "postgres" => 158_533_710,
        "pause" => 320_368,
        _ => 10_000_000 + u64::from_str_radix(&digest(full)[..6], 16).unwrap_or(0) * 4,
    }
}

/// Whether the registry has no such image: a tag or name saying so (`nginx:doesnotexist`).
pub fn missing(full: &str) -> bool {
    let lower = full.to_ascii_lowercase();
    ["doesnotexist", "does-not-exist", "nonexistent", "notexist", "notfound", "no-such"]
        .iter()
        .any(|w| lower.contains(w))
}

/// containerd's error for a reference the registry does not have.
pub fn not_found_error(full: &str) -> String {
    format!(
        "rpc error: code = NotFound desc = failed to pull and unpack image \"{full}\": failed to resolve reference \"{full}\": {full}: not found"
    )
}

/// The images kind's node image carries, present on every node from the start.
pub fn preloaded() -> Vec<String> {
    let v = crate::sim::bootstrap::KUBERNETES_VERSION;
    vec![
        "registry.k8s.io/etcd:3.5.21-0".into(),
        format!("registry.k8s.io/kube-apiserver:{v}"),
        format!("registry.k8s.io/kube-controller-manager:{v}"),
        format!("registry.k8s.io/kube-scheduler:{v}"),
        format!("registry.k8s.io/kube-proxy:{v}"),
        "registry.k8s.io/coredns/coredns:v1.12.0".into(),
        "registry.k8s.io/pause:3.10".into(),
        "docker.io/kindest/kindnetd:v20250214-acbabc1a".into(),
        "docker.io/kindest/local-path-provisioner:v20250214-acbabc1a".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(image: &str, expect: &str) {
        assert_eq!(normalize(image), expect);
    }

    #[test]
    fn references() {
        check("nginx", "docker.io/library/nginx:latest");
        check("nginx:1.27", "docker.io/library/nginx:1.27");
        check("bitnami/redis", "docker.io/bitnami/redis:latest");
        check("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10");
        check("localhost:5000/app", "localhost:5000/app:latest");
        check("nginx@sha256:abcd", "docker.io/library/nginx@sha256:abcd");
        assert_eq!(repository("docker.io/library/nginx:1.27"), "docker.io/library/nginx");
        assert_eq!(repository("localhost:5000/app"), "localhost:5000/app");
        assert!(missing("docker.io/library/nginx:doesnotexist"));
        assert_eq!(digest("x").len(), 64);
        assert_eq!(digest("x"), digest("x"));
    }
}
