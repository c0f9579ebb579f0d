//! Exact decimal arithmetic for `INCRBYFLOAT` replies: the exact decimal expansion of an
//! `f64`, and Redis's `%.17Lf`-then-trim formatting.
//!
//! Redis adds in 80-bit `long double` and prints the sum with `printf("%.17Lf")`, then strips
//! trailing zeros (`ld2string` with `LD_STR_HUMAN`): the *exact* binary value rounded to 17
//! decimals, so `2^63` prints as `9223372036854775808`, never as the shortest round-trip form
//! `9223372036854776000`. hedgestore adds in `f64`. When the sum is exact (both operands are
//! exactly the numbers they stand for and their `f64` sum loses nothing), Redis's long double
//! holds the very same value, and [`format_incr_float`] prints it exactly as Redis does.
//! Otherwise the two sums may differ in their last bits; an integral sum is still printed
//! exactly, and a fractional one from its shortest decimal form rounded to 17 decimals, which
//! is what Redis prints for short decimal results (`0.1`, `10.6`).
//!
//! A stored value stands for its text. An increment, which a `Command` carries as an `f64`,
//! stands for its exact value when it is a whole number and for its shortest decimal form
//! otherwise ([`format_float_arg`], which is also what a Redis server is sent): `0.1` means
//! one tenth, not the binary fraction nearest to it.

use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt::Write;

/// A non-negative decimal number `digits × 10^exp10`, normalized: no leading or trailing
/// zeros in `digits` (ASCII), and empty `digits` for zero.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decimal {
    digits: Vec<u8>,
    exp10: i64,
}

impl Decimal {
    fn new(mut digits: Vec<u8>, mut exp10: i64) -> Decimal {
        let lead = digits.iter().take_while(|d| **d == b'0').count();
        digits.drain(..lead);
        while digits.last() == Some(&b'0') {
            digits.pop();
            exp10 += 1;
        }
        if digits.is_empty() {
            exp10 = 0;
        }
        Decimal { digits, exp10 }
    }

    /// Compares magnitudes.
    fn cmp_value(&self, other: &Decimal) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        // Position of the most significant digit decides first.
        let top = |d: &Decimal| d.digits.len() as i64 + d.exp10;
        top(self).cmp(&top(other)).then_with(|| {
            let n = self.digits.len().max(other.digits.len());
            let at = |d: &Decimal, i: usize| d.digits.get(i).copied().unwrap_or(b'0');
            (0..n)
                .map(|i| at(self, i).cmp(&at(other, i)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    }
}

/// Limbs of a natural number in base 10^9, least significant first.
struct Big(Vec<u32>);

impl Big {
    const BASE: u64 = 1_000_000_000;

    fn from_u64(mut n: u64) -> Big {
        let mut limbs = Vec::new();
        while n > 0 {
            limbs.push((n % Self::BASE) as u32);
            n /= Self::BASE;
        }
        Big(limbs)
    }

    /// Multiplies by `factor`, which must be below 2^31 so no product overflows.
    fn mul_small(&mut self, factor: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = (product % Self::BASE) as u32;
            carry = product / Self::BASE;
        }
        while carry > 0 {
            self.0.push((carry % Self::BASE) as u32);
            carry /= Self::BASE;
        }
    }

    /// Multiplies by `base^exp`, in chunks of `base^chunk` (which must stay below 2^31).
    fn mul_pow(&mut self, base: u32, mut exp: u32, chunk: u32) {
        while exp > 0 {
            let step = exp.min(chunk);
            self.mul_small(base.pow(step));
            exp -= step;
        }
    }

    fn digits(&self) -> Vec<u8> {
        let mut s = alloc::string::String::new();
        let mut limbs = self.0.iter().rev();
        if let Some(top) = limbs.next() {
            let _ = write!(s, "{top}");
        }
        for limb in limbs {
            let _ = write!(s, "{limb:09}");
        }
        s.into_bytes()
    }
}

/// The exact value of `|v|` (finite) in decimal.
fn exact(v: f64) -> Decimal {
    let bits = magnitude(v).to_bits();
    let biased = (bits >> 52) as i64;
    let fraction = bits & ((1 << 52) - 1);
    let (mut mantissa, mut exp2) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    if mantissa == 0 {
        return Decimal::new(Vec::new(), 0);
    }
    while mantissa % 2 == 0 && exp2 < 0 {
        mantissa /= 2;
        exp2 += 1;
    }
    let mut big = Big::from_u64(mantissa);
    if exp2 >= 0 {
        big.mul_pow(2, exp2 as u32, 30);
        Decimal::new(big.digits(), 0)
    } else {
        // m / 2^k = m * 5^k / 10^k
        big.mul_pow(5, (-exp2) as u32, 13);
        Decimal::new(big.digits(), exp2)
    }
}

/// Reads decimal float text (`-1.5e3`, `.5`, `10`) into its sign and exact magnitude;
/// `None` for anything else (`inf`, hexadecimal).
fn parse_decimal(text: &[u8]) -> Option<(bool, Decimal)> {
    let (negative, rest) = match text.first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let mantissa_end = rest
        .iter()
        .position(|b| *b == b'e' || *b == b'E')
        .unwrap_or(rest.len());
    let (mantissa, exponent) = rest.split_at(mantissa_end);
    let (int_part, frac_part) = match mantissa.iter().position(|b| *b == b'.') {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &[][..]),
    };
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if int_part.is_empty() && frac_part.is_empty()
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return None;
    }
    let exp10: i64 = match exponent {
        [] => 0,
        [_e, sign_and_digits @ ..] => {
            let (sign, digits) = match sign_and_digits.first() {
                Some(b'-') => (-1, &sign_and_digits[1..]),
                Some(b'+') => (1, &sign_and_digits[1..]),
                _ => (1, sign_and_digits),
            };
            if digits.is_empty() || !all_digits(digits) {
                return None;
            }
            // Saturate: anything this large is infinite or zero as an f64 anyway.
            let magnitude = digits.iter().fold(0i64, |acc, d| {
                acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
            });
            sign * magnitude.min(1 << 40)
        }
    };
    let mut digits = int_part.to_vec();
    digits.extend_from_slice(frac_part);
    Some((
        negative,
        Decimal::new(digits, exp10 - frac_part.len() as i64),
    ))
}

/// The shortest decimal that reads back as `|v|` (finite).
fn shortest(v: f64) -> Decimal {
    let mut s = alloc::string::String::new();
    let _ = write!(s, "{:e}", magnitude(v));
    parse_decimal(s.as_bytes())
        .map(|(_, d)| d)
        .expect("Rust's `{:e}` output is decimal float text")
}

/// How to round a value exactly halfway between two candidates at the 17th decimal.
#[derive(Clone, Copy)]
enum Tie {
    /// To the even candidate (glibc's `printf`, for an exact value).
    Even,
    /// Away from zero (the true value lies above the decimal being rounded).
    Up,
    /// Toward zero (the true value lies below it).
    Down,
}

/// `printf("%.17f")` of `±d`, then trailing zeros and a trailing point stripped, and `-0`
/// written `0`: Redis's `ld2string(…, LD_STR_HUMAN)`.
fn fixed17(negative: bool, d: &Decimal, tie: Tie) -> Vec<u8> {
    const PLACES: i64 = 17;
    // n = round(d * 10^17), as digits.
    let shift = d.exp10 + PLACES;
    let mut n: Vec<u8> = d.digits.clone();
    if shift >= 0 {
        n.resize(n.len() + shift as usize, b'0');
    } else {
        let drop = (-shift) as usize;
        let len = n.len();
        let (kept_len, first_dropped, rest_zero) = if drop > len {
            // Every digit is dropped and a zero comes first: below half.
            (0, b'0', false)
        } else {
            let kept_len = len - drop;
            let rest_zero = n[kept_len + 1..].iter().all(|d| *d == b'0');
            (kept_len, n[kept_len], rest_zero)
        };
        n.truncate(kept_len);
        let up = match first_dropped.cmp(&b'5') {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal if !rest_zero => true,
            Ordering::Equal => match tie {
                Tie::Even => n.last().is_some_and(|d| (d - b'0') % 2 == 1),
                Tie::Up => true,
                Tie::Down => false,
            },
        };
        if up {
            increment(&mut n);
        }
    }
    let lead = n.iter().take_while(|d| **d == b'0').count();
    n.drain(..lead);
    let places = PLACES as usize;
    if n.len() <= places {
        let mut padded = alloc::vec![b'0'; places + 1 - n.len()];
        padded.extend_from_slice(&n);
        n = padded;
    }
    let (int_part, frac_part) = n.split_at(n.len() - places);
    let frac_len = frac_part.len() - frac_part.iter().rev().take_while(|d| **d == b'0').count();
    let mut out = Vec::with_capacity(n.len() + 2);
    let zero = int_part == b"0" && frac_len == 0;
    if negative && !zero {
        out.push(b'-');
    }
    out.extend_from_slice(int_part);
    if frac_len > 0 {
        out.push(b'.');
        out.extend_from_slice(&frac_part[..frac_len]);
    }
    out
}

/// Adds one to a decimal digit string (empty is zero).
fn increment(n: &mut Vec<u8>) {
    for d in n.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return;
        }
    }
    n.insert(0, b'1');
}

/// `|v|`, by clearing the sign bit (`f64::abs` is not in `core` on every supported Rust).
fn magnitude(v: f64) -> f64 {
    f64::from_bits(v.to_bits() & !(1 << 63))
}

/// Whether finite `v` is a whole number (`f64::fract` is not in `core`).
fn is_integral(v: f64) -> bool {
    // From 2^52 on, every f64 is a whole number; below, the cast is exact for whole numbers.
    magnitude(v) >= 4_503_599_627_370_496.0 || (v as i64) as f64 == v
}

/// Whether `text` (which reads as `v`) denotes exactly the value `v` holds.
pub(crate) fn text_is_exact(text: &[u8], v: f64) -> bool {
    parse_decimal(text).is_some_and(|(_, d)| v.is_finite() && d == exact(v))
}

/// Whether `v` is surely the number its writer meant: an integer, or a number whose shortest
/// decimal form is its exact value (`0.5`, `1.25`; not `0.1`, which `f64` only approximates).
pub(crate) fn value_is_exact(v: f64) -> bool {
    v.is_finite() && (is_integral(v) || shortest(v) == exact(v))
}

/// Whether `a + b` is exact in `f64` (no rounding happened), by Knuth's TwoSum.
pub(crate) fn sum_is_exact(a: f64, b: f64) -> bool {
    let s = a + b;
    let b_virtual = s - a;
    let a_virtual = s - b_virtual;
    s.is_finite() && (a - a_virtual) + (b - b_virtual) == 0.0
}

/// Writes a float argument (an `INCRBYFLOAT` increment) as the number it stands for: a whole
/// number with every digit (`2^70` is `1180591620717411303424`), anything else as its
/// shortest decimal form (`0.1`). Reading the text back gives the same `f64`, and a Redis
/// server that receives it adds exactly the number the memory engine adds whenever
/// [`value_is_exact`] holds.
pub(crate) fn format_float_arg(v: f64) -> Vec<u8> {
    if is_integral(v) {
        fixed17(v.is_sign_negative(), &exact(v), Tie::Even)
    } else {
        let mut s = alloc::string::String::new();
        let _ = write!(s, "{v}");
        s.into_bytes()
    }
}

/// Formats a sorted set score as Redis 7.0 replies with it: C's `%.17g` (17 significant
/// digits, trailing zeros dropped, exponent form below `1e-4` and from `1e17`), and
/// infinities as `inf` and `-inf`.
pub(crate) fn format_score(v: f64) -> Vec<u8> {
    if v.is_infinite() {
        return (if v > 0.0 { "inf" } else { "-inf" }).as_bytes().to_vec();
    }
    // 17 significant digits, correctly rounded: `d.dddddddddddddddde±x`. Taken apart as
    // bytes (all ASCII), not `str` slices, whose char-boundary panic would compile in
    // Unicode tables (the wasm package's size).
    let sci = alloc::format!("{v:.16e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let without_trailing_zeros = |d: &[u8]| -> usize {
        d.iter()
            .rposition(|&b| b != b'0')
            .map_or(0, |last| last + 1)
    };
    let mut out = Vec::with_capacity(24);
    if negative {
        out.push(b'-');
    }
    if (-4..17).contains(&exp) {
        if exp >= 0 {
            let (whole, frac) = digits.split_at((exp as usize + 1).min(digits.len()));
            out.extend_from_slice(whole);
            let frac = &frac[..without_trailing_zeros(frac)];
            if !frac.is_empty() {
                out.push(b'.');
                out.extend_from_slice(frac);
            }
        } else {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (-exp - 1) as usize, b'0');
            out.extend_from_slice(&digits[..without_trailing_zeros(&digits)]);
        }
    } else {
        let (first, frac) = digits.split_at(1.min(digits.len()));
        out.extend_from_slice(first);
        let frac = &frac[..without_trailing_zeros(frac)];
        if !frac.is_empty() {
            out.push(b'.');
            out.extend_from_slice(frac);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let magnitude = exp.unsigned_abs();
        if magnitude < 10 {
            out.push(b'0');
        }
        let mut buf = [0u8; 20];
        out.extend_from_slice(crate::num::format_i64_in(i64::from(magnitude), &mut buf));
    }
    out
}

/// Formats a score as Redis 7.0 stores it in a small sorted set and `ZSCAN` returns it
/// (`d2string`): a whole number up to 2^62 in magnitude as an integer, any other score as
/// [`format_score`].
pub(crate) fn format_score_scan(v: f64) -> Vec<u8> {
    const LIMIT: f64 = 4_611_686_018_427_387_904.0; // 2^62
    if v == 0.0 {
        return (if v.is_sign_negative() { "-0" } else { "0" })
            .as_bytes()
            .to_vec();
    }
    if (-LIMIT..=LIMIT).contains(&v) && (v as i64) as f64 == v {
        return alloc::format!("{}", v as i64).into_bytes();
    }
    format_score(v)
}

/// Formats the finite result of a float increment as Redis replies and stores it (see the
/// module documentation). `exact` says that `v` is the exact mathematical result.
pub(crate) fn format_incr_float(v: f64, exact_result: bool) -> Vec<u8> {
    let negative = v.is_sign_negative();
    let x = exact(v);
    if exact_result || is_integral(v) {
        return fixed17(negative, &x, Tie::Even);
    }
    let s = shortest(v);
    let tie = match x.cmp_value(&s) {
        Ordering::Greater => Tie::Up,
        Ordering::Less => Tie::Down,
        Ordering::Equal => Tie::Even,
    };
    fixed17(negative, &s, tie)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: f64, exact: bool) -> alloc::string::String {
        alloc::string::String::from_utf8(format_incr_float(v, exact)).unwrap()
    }

    #[test]
    fn scores_print_as_percent_17g() {
        let f = |v: f64| alloc::string::String::from_utf8(format_score(v)).unwrap();
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(0.1), "0.10000000000000001");
        assert_eq!(f(1e20), "1e+20");
        assert_eq!(f(-1e20), "-1e+20");
        assert_eq!(f(1e100), "1e+100");
        assert_eq!(f(1e-5), "1.0000000000000001e-05");
        assert_eq!(f(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(f(1e16), "10000000000000000");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(f(0.0), "0");
        assert_eq!(f(-2.5), "-2.5");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
        assert_eq!(f(f64::INFINITY), "inf");
        let scan = |v: f64| alloc::string::String::from_utf8(format_score_scan(v)).unwrap();
        assert_eq!(scan(123456789012345678.0), "123456789012345680");
        assert_eq!(scan(1e20), "1e+20");
        assert_eq!(scan(-0.0), "-0");
        assert_eq!(scan(0.1), "0.10000000000000001");
        assert_eq!(scan(-3.0), "-3");
    }

    #[test]
    fn large_integers_print_every_digit() {
        assert_eq!(
            fmt(9_223_372_036_854_775_808.0, false),
            "9223372036854775808"
        );
        assert_eq!(
            fmt(-9_223_372_036_854_775_808.0, true),
            "-9223372036854775808"
        );
        assert_eq!(fmt(2f64.powi(70), true), "1180591620717411303424");
        let max = fmt(f64::MAX, true);
        assert!(
            max.starts_with("17976931348623157081452742373170435679"),
            "{max}"
        );
        assert_eq!(max.len(), 309);
    }

    #[test]
    fn exact_fractions_round_to_seventeen_decimals() {
        assert_eq!(fmt(10.5, true), "10.5");
        assert_eq!(fmt(2f64.powi(-20), true), "0.00000095367431641");
        assert_eq!(fmt(1.0 + 2f64.powi(-20), true), "1.00000095367431641");
        // 2^-57 = 0.00000000000000000693…: rounds up to the 17th decimal.
        assert_eq!(fmt(2f64.powi(-57), true), "0.00000000000000001");
        // 2^-60 = 0.00000000000000000086…: rounds to zero, and -0 prints as 0.
        assert_eq!(fmt(2f64.powi(-60), true), "0");
        assert_eq!(fmt(-(2f64.powi(-60)), true), "0");
        assert_eq!(fmt(-0.0, true), "0");
        // 2^-18 = 0.000003814697265625 exactly: a tie at the 17th decimal rounds to even.
        assert_eq!(fmt(2f64.powi(-18), true), "0.00000381469726562");
    }

    #[test]
    fn approximate_fractions_print_their_short_decimal() {
        assert_eq!(fmt(0.1, false), "0.1");
        assert_eq!(fmt(10.6, false), "10.6");
        assert_eq!(fmt(1e-20, false), "0");
        assert_eq!(fmt(-3.3, false), "-3.3");
    }

    #[test]
    fn float_arguments_read_back_to_the_same_value() {
        for v in [
            0.1,
            -2.5,
            1e-7,
            2f64.powi(70),
            -(2f64.powi(63)),
            f64::MAX,
            1e22,
            3.0,
        ] {
            let text = alloc::string::String::from_utf8(format_float_arg(v)).unwrap();
            assert_eq!(text.parse::<f64>(), Ok(v), "{text}");
            assert!(!text.contains(['e', 'E']), "{text}");
        }
        assert_eq!(format_float_arg(2f64.powi(70)), b"1180591620717411303424");
        assert_eq!(format_float_arg(0.1), b"0.1");
        assert_eq!(format_float_arg(10.5), b"10.5");
        assert_eq!(format_float_arg(-0.0), b"0");
        assert_eq!(format_float_arg(1e20), b"100000000000000000000");
        assert_eq!(format_float_arg(0.00001), b"0.00001");
    }

    #[test]
    fn exactness_is_judged_from_the_text_and_the_sum() {
        assert!(text_is_exact(
            b"9223372036854775808",
            9_223_372_036_854_775_808.0
        ));
        assert!(!text_is_exact(
            b"9223372036854775807",
            9_223_372_036_854_775_808.0
        ));
        assert!(text_is_exact(b"1.25e0", 1.25));
        assert!(text_is_exact(b"-0.000", -0.0));
        assert!(!text_is_exact(b"0.1", 0.1));
        assert!(!text_is_exact(b"inf", f64::INFINITY));
        assert!(value_is_exact(0.5) && value_is_exact(1e22) && !value_is_exact(0.1));
        assert!(sum_is_exact(0.5, 0.25));
        assert!(!sum_is_exact(9_223_372_036_854_775_808.0, 1.5));
        assert!(!sum_is_exact(f64::MAX, f64::MAX));
    }
}
