//! Any frames a client sends the kernel are decoded or dropped, never a panic. The input is
//! split into frames at each 0xFF byte; the first frame is the connection's key.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0xFF);
    let key = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let frames: Vec<Bytes> = parts.map(Bytes::copy_from_slice).collect();
    kernel::fuzz_message(frames, &key);
});
