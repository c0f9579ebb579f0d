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

    /// Runs `f` on the bytes as a growable `Vec`, then puts the result where its new length
    /// belongs (inline or on the heap). An inline string is copied into a temporary `Vec`
    /// for the call; a heap one is edited in place.
    pub(crate) fn edit<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        match self {
            Str::Heap(v) => {
                let r = f(v);
                if v.len() <= INLINE_STR {
                    *self = Str::from_slice(v);
                }
                r
            }
            Str::Inline { len, buf } => {
                let mut v = buf[..usize::from(*len)].to_vec();
                let r = f(&mut v);
                *self = Str::from_vec(v);
                r
            }
        }
    }

    /// Appends `extra` (`APPEND`); returns the new length. In place while the result still
    /// fits inline.
    pub(crate) fn append(&mut self, extra: &[u8]) -> usize {
        if let Str::Inline { len, buf } = self {
            let old = usize::from(*len);
            let new = old + extra.len();
            if new <= INLINE_STR {
                buf[old..new].copy_from_slice(extra);
                *len = new as u8;
                return new;
            }
        }
        self.edit(|v| {
            v.extend_from_slice(extra);
            v.len()
        })
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
    fn append_moves_to_the_heap_past_the_limit() {
        let mut s = Str::from_slice(&[b'a'; INLINE_STR - 2]);
        assert_eq!(s.append(b"bb"), INLINE_STR);
        assert!(s.is_inline());
        assert_eq!(s.append(b"c"), INLINE_STR + 1);
        assert!(!s.is_inline());
        let mut expected = [b'a'; INLINE_STR - 2].to_vec();
        expected.extend_from_slice(b"bbc");
        assert_eq!(&*s, &expected[..]);
        assert_eq!(s.into_vec(), expected);
    }

    #[test]
    fn edit_keeps_the_inline_invariant_both_ways() {
        let mut s = Str::from_slice(b"abc");
        s.edit(|v| v.resize(INLINE_STR + 10, 0));
        assert!(!s.is_inline());
        assert_eq!(s.len(), INLINE_STR + 10);
        s.edit(|v| v.truncate(3));
        assert!(s.is_inline());
        assert_eq!(&*s, b"abc");
        s[1] = b'X';
        assert_eq!(&*s, b"aXc");
    }
}
