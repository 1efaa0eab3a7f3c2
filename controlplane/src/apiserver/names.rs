//! Generated names and uids, drawn from the cluster's seeded RNG so runs repeat exactly.

use rand_chacha::rand_core::Rng;

/// The characters upstream uses for random name suffixes (no vowels, no confusable digits).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A random 5-character suffix, as `generateName` and pod-template hashes use.
pub fn random_suffix(rng: &mut impl Rng) -> String {
    (0..5).map(|_| ALPHANUMS[(rng.next_u64() % ALPHANUMS.len() as u64) as usize] as char).collect()
}

/// A 5-character suffix derived from `seed` text (FNV-1a), for names that must not depend on
/// the order of RNG draws.
pub fn suffix_from(seed: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in seed.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    (0..5)
        .map(|_| {
            let c = ALPHANUMS[(h % ALPHANUMS.len() as u64) as usize] as char;
            h /= ALPHANUMS.len() as u64;
            c
        })
        .collect()
}

/// A random (version 4) UUID.
pub fn uid(rng: &mut impl Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    // Every object gets one: written byte by byte into place, not formatted or pushed.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'-'; 36];
    let mut at = 0;
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            at += 1;
        }
        out[at] = HEX[usize::from(b >> 4)];
        out[at + 1] = HEX[usize::from(b & 0x0f)];
        at += 2;
    }
    // Hex digits and dashes are ASCII, so this never falls back to the empty string.
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn shapes() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let s = random_suffix(&mut rng);
        assert_eq!(s.len(), 5);
        assert!(s.bytes().all(|c| ALPHANUMS.contains(&c)));
        let u = uid(&mut rng);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        for (i, c) in u.chars().enumerate() {
            assert_eq!(c == '-', matches!(i, 8 | 13 | 18 | 23), "{u}");
            assert!(c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{u}");
        }
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_eq!(suffix_from("web"), suffix_from("web"));
        assert_ne!(suffix_from("web"), suffix_from("api"));
    }
}
