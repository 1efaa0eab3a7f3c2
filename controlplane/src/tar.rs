//! The tar archives `kubectl cp` streams through `tar` in the container, in the POSIX ustar
//! format that Go's `archive/tar` writes and busybox's `tar` reads: a 512-byte header per
//! entry (name, mode, size, type), the data padded to 512 bytes, two zero blocks at the end.
//! Directories and regular files only; names up to 100 bytes, or 255 with the prefix field.

const BLOCK: usize = 512;

/// One member of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its name, relative (`tmp/f`), a directory's without a trailing slash.
    pub name: String,
    /// A file's contents; `None` for a directory.
    pub data: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TarError {
    #[error("{0}: file name is too long")]
    NameTooLong(String),
    #[error("short read")]
    Short,
    #[error("invalid tar header checksum")]
    Checksum,
}

/// The archive of `entries`.
pub fn write(entries: &[Entry]) -> Result<Vec<u8>, TarError> {
    let mut out = Vec::new();
    for e in entries {
        let mut h = [0u8; BLOCK];
        let name = if e.data.is_none() { format!("{}/", e.name) } else { e.name.clone() };
        let (prefix, rest) = split_name(&name).ok_or_else(|| TarError::NameTooLong(e.name.clone()))?;
        h[..rest.len()].copy_from_slice(rest.as_bytes());
        let size = e.data.as_ref().map_or(0, Vec::len);
        octal(&mut h[100..108], if e.data.is_some() { 0o644 } else { 0o755 });
        octal(&mut h[108..116], 0);
        octal(&mut h[116..124], 0);
        octal(&mut h[124..136], size as u64);
        octal(&mut h[136..148], 0);
        h[156] = if e.data.is_some() { b'0' } else { b'5' };
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
        octal(&mut h[148..155], u64::from(sum));
        h[155] = b' ';
        out.extend_from_slice(&h);
        if let Some(d) = &e.data {
            out.extend_from_slice(d);
            out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
        }
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    Ok(out)
}

/// The members of an archive, up to its end (two zero blocks, or the end of the data).
pub fn read(data: &[u8]) -> Result<Vec<Entry>, TarError> {
    let mut entries = Vec::new();
    let mut at = 0;
    while at + BLOCK <= data.len() {
        let h = &data[at..at + BLOCK];
        if h.iter().all(|b| *b == 0) {
            break;
        }
        let stored = parse_octal(&h[148..156]);
        let sum: u64 =
            h.iter().enumerate().map(|(i, b)| if (148..156).contains(&i) { 32 } else { u64::from(*b) }).sum();
        if stored != sum {
            return Err(TarError::Checksum);
        }
        let field = |r: std::ops::Range<usize>| {
            let f = &h[r];
            String::from_utf8_lossy(&f[..f.iter().position(|b| *b == 0).unwrap_or(f.len())]).into_owned()
        };
        let mut name = field(0..100);
        let prefix = if &h[257..262] == b"ustar" { field(345..500) } else { String::new() };
        if !prefix.is_empty() {
            name = format!("{prefix}/{name}");
        }
        let size = usize::try_from(parse_octal(&h[124..136])).map_err(|_| TarError::Short)?;
        at += BLOCK;
        let kind = h[156];
        let dir = kind == b'5' || name.ends_with('/');
        let name = name.trim_end_matches('/').to_string();
        if dir {
            entries.push(Entry { name, data: None });
        } else {
            let end = at.checked_add(size).filter(|e| *e <= data.len()).ok_or(TarError::Short)?;
            // Regular files (`0`, or NUL in old archives); links and devices are skipped.
            if kind == b'0' || kind == 0 {
                entries.push(Entry { name, data: Some(data[at..end].to_vec()) });
            }
            at += size.div_ceil(BLOCK) * BLOCK;
        }
    }
    Ok(entries)
}

/// A name as ustar's prefix (up to 155 bytes) and name (up to 100) fields.
fn split_name(name: &str) -> Option<(&str, &str)> {
    if name.len() <= 100 {
        return Some(("", name));
    }
    let cut = name[..name.len().min(156)].rfind('/')?;
    let (prefix, rest) = (&name[..cut], &name[cut + 1..]);
    (rest.len() <= 100 && !rest.is_empty()).then_some((prefix, rest))
}

/// `n` in octal, zero-padded, NUL-terminated, filling `field`.
fn octal(field: &mut [u8], n: u64) {
    let text = format!("{n:0width$o}", width = field.len() - 1);
    let bytes = text.as_bytes();
    let len = bytes.len().min(field.len() - 1);
    field[..len].copy_from_slice(&bytes[bytes.len() - len..]);
    field[len] = 0;
}

fn parse_octal(field: &[u8]) -> u64 {
    field
        .iter()
        .skip_while(|b| **b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(*b))
        .fold(0u64, |n, b| n.saturating_mul(8).saturating_add(u64::from(b - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_files_directories_and_long_names() {
        let long = format!("{}/{}", "d".repeat(120), "f".repeat(90));
        let entries = vec![
            Entry { name: "dir".into(), data: None },
            Entry { name: "dir/a.txt".into(), data: Some(b"hello\n".to_vec()) },
            Entry { name: "dir/empty".into(), data: Some(Vec::new()) },
            Entry { name: long.clone(), data: Some(vec![7; 1000]) },
        ];
        let bytes = write(&entries).unwrap();
        assert_eq!(bytes.len() % BLOCK, 0);
        assert_eq!(read(&bytes).unwrap(), entries);
        assert!(write(&[Entry { name: "x".repeat(300), data: None }]).is_err());
        let mut bad = bytes.clone();
        bad[0] ^= 1;
        assert_eq!(read(&bad), Err(TarError::Checksum));
        assert_eq!(read(&bytes[..5 * BLOCK + 100]), Err(TarError::Short));
    }
}
