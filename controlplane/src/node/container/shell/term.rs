//! What a process wrote to its terminal streams (stdout 0, stderr 1), in the order written, so
//! that a container's log and an attached stream show `echo a; echo b >&2; echo c` as the
//! three lines they are rather than stdout's lines first.

/// Chunks of one stream each, oldest first; consecutive writes to one stream share a chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    chunks: Vec<(usize, Vec<u8>)>,
    /// Bytes held per stream.
    held: [usize; 2],
}

impl Term {
    /// Append `data` to `stream` (0 or 1).
    pub fn write(&mut self, stream: usize, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let stream = stream.min(1);
        self.held[stream] += data.len();
        match self.chunks.last_mut() {
            Some((s, buf)) if *s == stream => buf.extend_from_slice(data),
            _ => self.chunks.push((stream, data.to_vec())),
        }
    }

    /// How many bytes `stream` holds.
    pub fn held(&self, stream: usize) -> usize {
        self.held[stream.min(1)]
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Everything written, in order, as (stream, bytes); the terminal is left empty.
    pub fn take(&mut self) -> Vec<(usize, Vec<u8>)> {
        self.held = [0, 0];
        std::mem::take(&mut self.chunks)
    }

    /// What one stream holds, taken out; the other stays.
    pub fn take_stream(&mut self, stream: usize) -> Vec<u8> {
        let stream = stream.min(1);
        let mut out = Vec::new();
        self.chunks.retain_mut(|(s, buf)| {
            if *s == stream {
                out.append(buf);
                false
            } else {
                true
            }
        });
        // Chunks of the other stream that are now neighbours join again.
        let mut joined: Vec<(usize, Vec<u8>)> = Vec::with_capacity(self.chunks.len());
        for (s, buf) in self.chunks.drain(..) {
            match joined.last_mut() {
                Some((last, b)) if *last == s => b.extend_from_slice(&buf),
                _ => joined.push((s, buf)),
            }
        }
        self.chunks = joined;
        self.held[stream] = 0;
        out
    }

    /// Each stream's bytes, stdout first (for callers that keep them apart).
    pub fn take_both(&mut self) -> [Vec<u8>; 2] {
        let mut both = [Vec::new(), Vec::new()];
        for (s, buf) in self.take() {
            both[s].extend_from_slice(&buf);
        }
        both
    }
}

#[cfg(test)]
mod tests {
    use super::Term;

    #[test]
    fn writes_keep_their_order_across_streams() {
        let mut t = Term::default();
        t.write(0, b"a\n");
        t.write(1, b"b\n");
        t.write(0, b"c\n");
        t.write(0, b"d\n");
        assert_eq!((t.held(0), t.held(1)), (6, 2));
        assert_eq!(t.take(), vec![(0, b"a\n".to_vec()), (1, b"b\n".to_vec()), (0, b"c\nd\n".to_vec())]);
        assert!(t.is_empty());
        t.write(0, b"x");
        t.write(1, b"y");
        t.write(0, b"z");
        assert_eq!(t.take_stream(1), b"y".to_vec());
        assert_eq!(t.take(), vec![(0, b"xz".to_vec())]);
        t.write(1, b"e");
        t.write(0, b"o");
        assert_eq!(t.take_both(), [b"o".to_vec(), b"e".to_vec()]);
    }
}
