//! Base64 with the standard alphabet (RFC 4648 §4), as `Upstash-Encoding: base64` uses it.
//!
//! [`encode`] always pads. [`decode`] accepts padded input and, leniently, input whose padding
//! was stripped; anything else that is not base64 is a [`Base64Error`] naming the offset.

use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Text that is not valid base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64 at byte {offset}")]
pub struct Base64Error {
    /// Byte offset of the first character that does not fit.
    pub offset: usize,
}

/// Encodes `bytes` as padded standard base64.
///
/// ```
/// assert_eq!(hedgestore_core::codec::base64::encode(b"hello"), "aGVsbG8=");
/// ```
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    encode_into(&mut out, bytes);
    out
}

/// Appends the padded standard base64 of `bytes` to `out`.
pub fn encode_into(out: &mut String, bytes: &[u8]) {
    let sym = |v: u32| char::from(ALPHABET[(v & 63) as usize]);
    let mut chunks = bytes.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(sym(n >> 6));
        out.push(sym(n));
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.push(sym(n >> 18));
            out.push(sym(n >> 12));
            out.push_str("==");
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.push(sym(n >> 18));
            out.push(sym(n >> 12));
            out.push(sym(n >> 6));
            out.push('=');
        }
        _ => {}
    }
}

fn value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Decodes standard base64 (padded, or with the padding stripped).
///
/// ```
/// use hedgestore_core::codec::base64::decode;
/// assert_eq!(decode("aGVsbG8=").unwrap(), b"hello");
/// assert_eq!(decode("aGVsbG8").unwrap(), b"hello");
/// assert!(decode("a$==").is_err());
/// ```
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let input = text.as_bytes();
    // Strip up to two '=' of padding; the rest must be whole symbols.
    let mut end = input.len();
    let mut padding = 0;
    while padding < 2 && end > 0 && input[end - 1] == b'=' {
        end -= 1;
        padding += 1;
    }
    let symbols = &input[..end];
    if let Some(offset) = symbols.iter().position(|&c| value(c).is_none()) {
        return Err(Base64Error { offset });
    }
    if padding > 0 && input.len() % 4 != 0 {
        return Err(Base64Error { offset: end });
    }
    if symbols.len() % 4 == 1 {
        return Err(Base64Error {
            offset: symbols.len() - 1,
        });
    }
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3 + 2);
    let mut acc = 0u32;
    for (i, &c) in symbols.iter().enumerate() {
        // Every symbol was checked above.
        acc = (acc << 6) | value(c).unwrap_or(0);
        if i % 4 == 3 {
            out.push((acc >> 16) as u8);
            out.push((acc >> 8) as u8);
            out.push(acc as u8);
            acc = 0;
        }
    }
    match symbols.len() % 4 {
        2 => out.push((acc >> 4) as u8),
        3 => {
            out.push((acc >> 10) as u8);
            out.push((acc >> 2) as u8);
        }
        _ => {}
    }
    Ok(out)
}
