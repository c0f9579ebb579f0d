//! Key storage with short keys kept inline.
//!
//! Most keys in real workloads (`user:1234`, `session:…`) are short. Keeping them inside the
//! slot saves an allocation per key and, more importantly, a cache miss on every lookup: the
//! comparison reads the slot the index already pointed to instead of chasing a pointer.

use alloc::boxed::Box;

/// Keys of up to this many bytes live inline in the slot.
pub(crate) const INLINE_CAP: usize = 22;

/// A binary-safe key: inline when short, one exact-size heap allocation otherwise.
#[derive(Clone)]
pub(crate) enum Key {
    Inline { len: u8, buf: [u8; INLINE_CAP] },
    Heap(Box<[u8]>),
}

impl Key {
    pub(crate) fn new(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_CAP {
            let mut buf = [0u8; INLINE_CAP];
            buf[..bytes.len()].copy_from_slice(bytes);
            Key::Inline {
                len: bytes.len() as u8,
                buf,
            }
        } else {
            Key::Heap(bytes.into())
        }
    }

    // Always inlined: it sits in every key comparison, and a build for size (the wasm
    // package's opt-level s or z) would otherwise make it a call.
    #[inline(always)]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, buf } => &buf[..*len as usize],
            Key::Heap(b) => b,
        }
    }

    /// Whether this key is `other`. Called for every slot a lookup's hash leads to, so the
    /// short keys that live inline are compared with a few word loads instead of a call to
    /// `memcmp`: two overlapping words cover 8 to 16 bytes, three 16 to 22.
    #[inline(always)]
    pub(crate) fn eq_bytes(&self, other: &[u8]) -> bool {
        let mine = self.as_bytes();
        let n = mine.len();
        if n != other.len() {
            return false;
        }
        let word =
            |b: &[u8], at: usize| u64::from_ne_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        match n {
            8..=16 => word(mine, 0) == word(other, 0) && word(mine, n - 8) == word(other, n - 8),
            17..=INLINE_CAP => {
                word(mine, 0) == word(other, 0)
                    && word(mine, 8) == word(other, 8)
                    && word(mine, n - 8) == word(other, n - 8)
            }
            _ => mine == other,
        }
    }

    /// Bytes allocated on the heap for this key (0 when inline).
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Key::Inline { .. } => 0,
            Key::Heap(b) => b.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn short_keys_are_inline_and_long_keys_exact() {
        let short = Key::new(b"user:1234");
        assert!(matches!(short, Key::Inline { .. }));
        assert_eq!(short.as_bytes(), b"user:1234");
        assert_eq!(short.heap_bytes(), 0);
        let edge = [7u8; INLINE_CAP];
        assert_eq!(Key::new(&edge).as_bytes(), &edge);
        let long = [9u8; INLINE_CAP + 1];
        let k = Key::new(&long);
        assert_eq!(k.as_bytes(), &long);
        assert_eq!(k.heap_bytes(), INLINE_CAP + 1);
        assert_eq!(Key::new(b"").as_bytes(), b"");
    }

    #[test]
    fn eq_bytes_compares_every_byte_at_every_length() {
        for len in 0..40usize {
            let bytes: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
            let key = Key::new(&bytes);
            assert!(key.eq_bytes(&bytes), "len {len}");
            for at in 0..len {
                let mut other = bytes.clone();
                other[at] ^= 1;
                assert!(!key.eq_bytes(&other), "len {len}, byte {at} differs");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(!key.eq_bytes(&longer), "len {len} vs longer");
        }
    }

    #[test]
    fn key_is_three_words() {
        assert_eq!(core::mem::size_of::<Key>(), 24);
    }
}
