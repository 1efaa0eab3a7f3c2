//! The allocator the `kubesim` binary and the benchmarks install: mimalloc, asked for an
//! alignment only when a request needs more than its plain blocks give.
//!
//! Rust hands every allocation an alignment. The `mimalloc` crate passes it on to
//! `mi_malloc_aligned`, whose version 3 serves a request from its plain free list only when
//! a block happens to be ready; otherwise, unless the size is a power of two, it allocates
//! `size + align - 1` bytes, so a 48-byte object can take a 64-byte block, and it takes a
//! slower path each time. Every mimalloc block is 8-byte aligned (its size is a multiple of
//! 8 and a page's first block is 16-aligned), and every block of a size that is a multiple
//! of 16 is 16-aligned, so those requests go to `mi_malloc` itself, as Rust's `System`
//! allocator sends the same requests to `malloc`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// mimalloc as the global allocator: `#[global_allocator] static A: MiMalloc = MiMalloc;`.
pub struct MiMalloc;

/// Whether a plain block of `size` bytes is aligned to `align`.
#[inline]
fn plain(size: usize, align: usize) -> bool {
    align <= 8 || (align == 16 && size.is_multiple_of(16))
}

// SAFETY: every path returns a block of mimalloc's at least `size` bytes, aligned to `align`
// (plain blocks only where `plain` holds, as above), or null; `mi_free` and `mi_realloc*`
// take any block mimalloc handed out, aligned or not.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's entry points accept any size and power-of-two alignment.
        unsafe {
            if plain(layout.size(), layout.align()) {
                mi::mi_malloc(layout.size()) as *mut u8
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe {
            if plain(layout.size(), layout.align()) {
                mi::mi_zalloc(layout.size()) as *mut u8
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator (the caller's contract).
        unsafe { mi::mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator; a block that moves is a new plain block
        // only where `plain` holds for the new size.
        unsafe {
            if plain(new_size, layout.align()) {
                mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size up to 4 KiB and a few large ones, at every alignment up to 4 KiB, in every
    /// call: the block is aligned, holds its bytes through a realloc, and is zeroed when asked.
    #[test]
    fn blocks_are_aligned_and_keep_their_bytes() {
        let sizes = (1..=4096).chain([10_000, 65_536, 100_000, 1 << 20, (1 << 22) + 8]);
        for size in sizes {
            for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
                let Ok(layout) = Layout::from_size_align(size, align) else { continue };
                // Several blocks, so the later ones come from a free list and not a fresh page.
                let blocks: Vec<*mut u8> = (0..3)
                    .map(|i| {
                        // SAFETY: a non-zero size; the blocks are freed below.
                        let p = unsafe {
                            if i == 1 {
                                MiMalloc.alloc_zeroed(layout)
                            } else {
                                MiMalloc.alloc(layout)
                            }
                        };
                        assert!(!p.is_null());
                        assert_eq!(p as usize % align, 0, "size {size}, align {align}");
                        if i == 1 {
                            // SAFETY: `p` holds `size` bytes.
                            assert!(unsafe { std::slice::from_raw_parts(p, size) }.iter().all(|&b| b == 0));
                        }
                        p
                    })
                    .collect();
                for p in blocks {
                    // SAFETY: `p` holds `size` bytes; the grown block replaces it and is freed.
                    unsafe {
                        p.write_bytes(0xab, size);
                        let q = MiMalloc.realloc(p, layout, size * 2 + 8);
                        assert!(!q.is_null());
                        assert_eq!(q as usize % align, 0, "realloc of size {size}, align {align}");
                        assert!(std::slice::from_raw_parts(q, size).iter().all(|&b| b == 0xab));
                        MiMalloc.dealloc(q, Layout::from_size_align_unchecked(size * 2 + 8, align));
                    }
                }
            }
        }
    }

    #[test]
    fn plain_blocks_only_where_mimalloc_aligns_them() {
        assert!(plain(24, 8) && plain(1, 1) && plain(48, 16) && plain(4096, 16));
        assert!(!plain(24, 16) && !plain(64, 32) && !plain(4096, 4096));
    }
}
