//! String values, short ones kept inside the slot.
//!
//! A string value in its own heap allocation costs the allocation (a 64-byte value takes an
//! 80-byte block from glibc's malloc: its 8-byte header and 16-byte rounding), a 24-byte
//! `Vec` header in the slot, and a pointer chase on every read. Most cached values are short
//! (tokens, counters, small JSON documents), so strings of up to [`INLINE_STR`] bytes live
//! in the slot itself, next to the key: no allocation, no header, one cache line or two for
//! the whole entry. Longer strings are a `Vec` as before.
//!
//! Invariant: a string is inline exactly when its length is at most [`INLINE_STR`]. Every
//! constructor and [`Str::edit`] restore it, so a string that grows past the limit (`APPEND`,
//! `SETRANGE`, `SETBIT`) moves to the heap, and one written short again (`SET`) moves back.

use alloc::vec::Vec;
use core::ops::{Deref, DerefMut};

/// Strings of up to this many bytes are stored inline. 70 is what fits in the 72 bytes the
/// heap form and the collection variants of [`Value`](super::Value) leave room for once the
/// enum tags and the length byte are counted (a test checks `size_of::<Value>()`).
pub(crate) const INLINE_STR: usize = 70;

/// A binary-safe string value: inline when at most [`INLINE_STR`] bytes, a `Vec` otherwise.
#[derive(Clone)]
pub(crate) enum Str {
    /// The bytes are `buf[..len]`.
    Inline { len: u8, buf: [u8; INLINE_STR] },
    /// Longer than [`INLINE_STR`] bytes.
    Heap(Vec<u8>),
}

impl Str {
    /// A copy of `bytes`, inline when short enough.
    pub(crate) fn from_slice(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_STR {
            let mut buf = [0u8; INLINE_STR];
            buf[..bytes.len()].copy_from_slice(bytes);
            Str::Inline {
                len: bytes.len() as u8,
                buf,
            }
        } else {
            Str::Heap(bytes.to_vec())
        }
    }

    /// Takes `bytes`: its buffer is kept when the string is too long to be inline (with its
    /// capacity, as `APPEND`'s amortised growth left it), freed otherwise.
    pub(crate) fn from_vec(bytes: Vec<u8>) -> Self {
        if bytes.len() <= INLINE_STR {
            Self::from_slice(&bytes)
        } else {
            Str::Heap(bytes)
        }
    }

    /// The bytes.
    #[inline(always)]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Str::Inline { len, buf } => &buf[..usize::from(*len)],
            Str::Heap(v) => v,
        }
    }

    /// The bytes, mutable in place (the length cannot change this way).
    #[inline]
    fn as_bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Str::Inline { len, buf } => &mut buf[..usize::from(*len)],
            Str::Heap(v) => v,
        }
    }

    /// Whether the bytes live inside the value (no heap allocation).
    #[cfg(test)]
    pub(crate) fn is_inline(&self) -> bool {
        matches!(self, Str::Inline { .. })
    }

    /// Heap bytes owned: the buffer's capacity, 0 when inline.
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Str::Inline { .. } => 0,
            Str::Heap(v) => v.capacity(),
        }
    }

    /// The bytes as an owned `Vec` (no copy when already on the heap).
    pub(crate) fn into_vec(self) -> Vec<u8> {
        match self {
            Str::Inline { len, buf } => buf[..usize::from(len)].to_vec(),
            Str::Heap(v) => v,
        }
    }

    /// `len` zero bytes, inline when short enough (a heap one holds exactly `len`).
    pub(crate) fn zeroed(len: usize) -> Self {
        if len <= INLINE_STR {
            Str::Inline {
                len: len as u8,
                buf: [0u8; INLINE_STR],
            }
        } else {
            Str::Heap(alloc::vec![0; len])
        }
    }

    /// Zero-extends the string to at least `min_len` bytes, then runs `f` on all its bytes
    /// (`SETRANGE`, `SETBIT`, `APPEND`: the writes that only grow a string). In place while
    /// the result fits inline: no allocation for short strings.
    pub(crate) fn grow_and_write<R>(
        &mut self,
        min_len: usize,
        f: impl FnOnce(&mut [u8]) -> R,
    ) -> R {
        match self {
            Str::Inline { len, buf } if min_len <= INLINE_STR => {
                let old = usize::from(*len);
                if old < min_len {
                    buf[old..min_len].fill(0);
                    *len = min_len as u8;
                }
                f(&mut buf[..usize::from(*len)])
            }
            Str::Inline { len, buf } => {
                // Room to grow, as `Vec` itself doubles: `APPEND` in a loop stays amortised.
                let mut v = Vec::with_capacity(min_len.max(2 * INLINE_STR));
                v.extend_from_slice(&buf[..usize::from(*len)]);
                v.resize(min_len, 0);
                *self = Str::Heap(v);
                let Str::Heap(v) = self else {
                    unreachable!("just stored")
                };
                f(v)
            }
            Str::Heap(v) => {
                if v.len() < min_len {
                    v.resize(min_len, 0);
                }
                f(v)
            }
        }
    }
}

impl Deref for Str {
    type Target = [u8];

    #[inline(always)]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl DerefMut for Str {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_bytes_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_are_inline_and_long_ones_on_the_heap() {
        let edge = [1u8; INLINE_STR];
        let s = Str::from_slice(&edge);
        assert!(s.is_inline());
        assert_eq!(s.heap_bytes(), 0);
        assert_eq!(&*s, &edge[..]);
        let long = [2u8; INLINE_STR + 1];
        let s = Str::from_slice(&long);
        assert!(!s.is_inline());
        assert_eq!(s.heap_bytes(), INLINE_STR + 1);
        assert_eq!(&*s, &long[..]);
        assert!(Str::from_vec(edge.to_vec()).is_inline());
        assert!(!Str::from_vec(long.to_vec()).is_inline());
        assert!(Str::from_slice(b"").is_empty());
    }

    #[test]
    fn growing_writes_stay_inline_while_they_fit() {
        let mut s = Str::from_slice(b"abc");
        // Within the inline room: in place, zero-filled.
        let len = s.grow_and_write(5, |b| {
            b[4] = b'z';
            b.len()
        });
        assert_eq!(len, 5);
        assert!(s.is_inline());
        assert_eq!(&*s, b"abc\0z");
        // Never shortens.
        s.grow_and_write(2, |b| b[0] = b'A');
        assert_eq!(&*s, b"Abc\0z");
        // Past the inline room: moved to the heap, zero-filled, then grown in place.
        s.grow_and_write(INLINE_STR + 10, |b| b[INLINE_STR + 9] = b'!');
        assert!(!s.is_inline());
        let mut expected = b"Abc\0z".to_vec();
        expected.resize(INLINE_STR + 10, 0);
        expected[INLINE_STR + 9] = b'!';
        assert_eq!(&*s, &expected[..]);
        s.grow_and_write(INLINE_STR + 11, |_| ());
        expected.push(0);
        assert_eq!(&*s, &expected[..]);
    }
}
