//! Number parsing and formatting with Redis's exact rules.

use alloc::vec::Vec;

use crate::{decimal, Error};

/// Parses a 64-bit signed integer the way Redis's `string2ll` does: an optional `-`, no `+`,
/// no spaces, no leading zeros (except `"0"` itself), and no overflow.
pub(crate) fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    // Accumulate as a negative number so that i64::MIN parses without overflow.
    let mut acc: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        acc = acc.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if negative {
        Some(acc)
    } else {
        acc.checked_neg()
    }
}

/// Parses a float the way Redis's `string2ld` does, within `f64`: no surrounding spaces, and
/// never NaN. Infinities parse (the operation that uses them then rejects the result).
pub(crate) fn parse_f64(s: &[u8]) -> Option<f64> {
    let text = core::str::from_utf8(s).ok()?;
    if text.is_empty() || text.len() > 5120 {
        return None;
    }
    let first = text.as_bytes()[0];
    let last = text.as_bytes()[text.len() - 1];
    if first.is_ascii_whitespace() || last.is_ascii_whitespace() {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    if value.is_nan() {
        return None;
    }
    Some(value)
}

/// Parses a score the way Redis's `getDoubleFromObject` does: [`parse_f64`], and also no
/// overflow to an infinity nor underflow to zero (`strtod`'s `ERANGE`).
pub(crate) fn parse_score(s: &[u8]) -> Option<f64> {
    let v = parse_f64(s)?;
    let mantissa = s
        .split(|b| *b == b'e' || *b == b'E')
        .next()
        .unwrap_or_default();
    let lower_has_inf = s.windows(3).any(|w| w.eq_ignore_ascii_case(b"inf"));
    if v.is_infinite() && !lower_has_inf {
        return None;
    }
    if v == 0.0 && mantissa.iter().any(|b| (b'1'..=b'9').contains(b)) {
        return None;
    }
    Some(v)
}

/// Parses one end of a score range the way Redis's `zslParseRange` does: `strtod` after an
/// optional `(`, which skips leading spaces and reads an empty string as 0; never NaN.
pub(crate) fn parse_range_score(s: &[u8]) -> Option<f64> {
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s.iter().position(|b| !b.is_ascii_whitespace())?;
    let v: f64 = core::str::from_utf8(&s[start..]).ok()?.parse().ok()?;
    (!v.is_nan()).then_some(v)
}

/// Formats an integer as Redis stores it in a string value.
pub(crate) fn format_i64(v: i64) -> Vec<u8> {
    format_i64_in(v, &mut [0; 20]).to_vec()
}

/// [`format_i64`] into `buf` (20 bytes hold every `i64`), no allocation: the digits are the
/// returned tail of `buf`.
pub(crate) fn format_i64_in(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
}

/// `INCRBYFLOAT`/`HINCRBYFLOAT`: the text stored and replied for `current` (the stored text,
/// `None` for a missing key or field, which counts as 0) plus `delta`, formatted as Redis
/// formats it (see [`crate::decimal`]). `not_float` is the error for a stored text that is
/// not a number; a sum that is not finite is [`Error::NanOrInfinity`].
pub(crate) fn incr_float(
    current: Option<&[u8]>,
    delta: f64,
    not_float: Error,
) -> Result<Vec<u8>, Error> {
    let (value, value_exact) = match current {
        None => (0.0, true),
        Some(text) => {
            let v = parse_f64(text).ok_or(not_float)?;
            (v, decimal::text_is_exact(text, v))
        }
    };
    let sum = value + delta;
    if !sum.is_finite() {
        return Err(Error::NanOrInfinity);
    }
    let exact =
        value_exact && decimal::value_is_exact(delta) && decimal::sum_is_exact(value, delta);
    Ok(decimal::format_incr_float(sum, exact))
}

#[cfg(test)]
mod format_tests {
    use super::*;

    #[test]
    fn integers_format_as_rust_writes_them() {
        for v in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            12345,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            assert_eq!(format_i64(v), alloc::format!("{v}").into_bytes(), "{v}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"9223372036854775808",
            b"-9223372036854775809",
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"-",
            b"1.0",
            b"abc",
        ] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn floats_follow_string2ld() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-2e3"), Some(-2000.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"inf"), Some(f64::INFINITY));
        for bad in [&b""[..], b"nan", b" 1", b"1 ", b"abc", b"1.2.3"] {
            assert_eq!(parse_f64(bad), None, "{bad:?}");
        }
    }
}
