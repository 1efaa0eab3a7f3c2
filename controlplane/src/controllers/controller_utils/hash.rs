//! `controller.ComputeHash`: the `pod-template-hash` of a Deployment's ReplicaSets and the
//! `controller-revision-hash` of a DaemonSet's pods. Upstream hashes the Go struct with
//! FNV-1a (`hashutil.DeepHashObject`); kubesim hashes the template's canonical JSON (keys in
//! order) with FNV-1a instead, so the text differs from a real cluster's but is as stable:
//! the same template always gives the same hash. A collision count, when set, is hashed in
//! after it as upstream does (eight little-endian bytes), so a collision gives a new name.

use serde_json::Value;

/// `rand.SafeEncodeString`'s alphabet: no vowels, no look-alike characters.
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `ComputeHash(template, collisionCount)`.
pub fn compute_hash(template: &Value, collision_count: Option<i32>) -> String {
    let mut h = Fnv32a::default();
    h.write(template.to_string().as_bytes());
    if let Some(count) = collision_count {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&(count as u32).to_le_bytes());
        h.write(&bytes);
    }
    safe_encode_string(&h.0.to_string())
}

/// `rand.SafeEncodeString`: each byte mapped into [`ALPHANUMS`].
pub fn safe_encode_string(s: &str) -> String {
    s.bytes().map(|b| ALPHANUMS[b as usize % ALPHANUMS.len()] as char).collect()
}

/// FNV-1a, 32 bits (`hash/fnv.New32a`).
struct Fnv32a(u32);

impl Default for Fnv32a {
    fn default() -> Self {
        Fnv32a(0x811c_9dc5)
    }
}

impl Fnv32a {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u32;
            self.0 = self.0.wrapping_mul(0x0100_0193);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hashes_look_like_upstreams_and_are_stable() {
        let h = compute_hash(&json!({}), None);
        assert!(h.len() >= 8 && h.len() <= 10, "{h}");
        assert!(h.bytes().all(|b| b"bcdfg56789".contains(&b)), "{h}");
        assert_eq!(h, compute_hash(&json!({}), None));
    }

    #[test]
    fn a_collision_count_changes_the_hash() {
        let t = json!({"spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        let none = compute_hash(&t, None);
        let zero = compute_hash(&t, Some(0));
        let one = compute_hash(&t, Some(1));
        assert_ne!(none, zero);
        assert_ne!(zero, one);
    }
}
