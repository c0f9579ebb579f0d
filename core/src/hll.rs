//! Redis's HyperLogLog, byte for byte (`hyperloglog.c` of Redis 7.0): the same hash
//! (MurmurHash64A, seed `0xadc83b19`), 16384 registers of 6 bits, the same sparse and dense
//! encodings with the same promotion rule (a sparse value above 32, or a sparse string past
//! 3000 bytes), the same cached cardinality in the 16-byte `HYLL` header, and Ertl's
//! estimator. A HyperLogLog is a string, so `GET` answers exactly the bytes Redis would.

use alloc::vec;
use alloc::vec::Vec;

/// Header size: `HYLL`, the encoding, three unused bytes, the cached cardinality.
const HDR: usize = 16;
/// Index bits of the hash.
const P: u32 = 14;
/// Hash bits left for the run of zeros.
const Q: usize = 64 - P as usize;
/// Number of registers.
pub(crate) const REGISTERS: usize = 1 << P;
/// Bytes of a dense HyperLogLog, header included.
const DENSE_SIZE: usize = HDR + (REGISTERS * 6).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
/// Redis's default `hll-sparse-max-bytes`.
const SPARSE_MAX_BYTES: usize = 3000;
const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;
/// `0.5 / ln 2`.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// A HyperLogLog whose registers do not add up (Redis's `INVALIDOBJ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Corrupted;

/// MurmurHash2, 64-bit version, reading little-endian words as Redis does.
fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let mut k = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, b) in tail.iter().enumerate() {
            h ^= u64::from(*b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element hashes to and the length of its `00…1` pattern (1 to Q + 1).
fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, 0xadc8_3b19);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Whether `s` is a HyperLogLog as Redis checks it: the header, a known encoding, and the
/// exact size when dense.
pub(crate) fn is_valid(s: &[u8]) -> bool {
    s.len() >= HDR
        && &s[..4] == b"HYLL"
        && s[4] <= SPARSE
        && (s[4] != DENSE || s.len() == DENSE_SIZE)
}

/// Whether `s` (valid) is dense.
pub(crate) fn is_dense(s: &[u8]) -> bool {
    s[4] == DENSE
}

/// An empty HyperLogLog: sparse, every register in XZERO runs.
pub(crate) fn new_sparse() -> Vec<u8> {
    let mut s = vec![0u8; HDR];
    s[..4].copy_from_slice(b"HYLL");
    s[4] = SPARSE;
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(SPARSE_XZERO_MAX_LEN);
        s.extend(xzero(run));
        left -= run;
    }
    s
}

/// Marks the cached cardinality stale.
pub(crate) fn invalidate_cache(s: &mut [u8]) {
    s[15] |= 0x80;
}

/// The cached cardinality, if it is valid.
pub(crate) fn cached(s: &[u8]) -> Option<u64> {
    (s[15] & 0x80 == 0).then(|| u64::from_le_bytes(s[8..16].try_into().expect("8 bytes")))
}

/// Stores `card` as the cached cardinality.
pub(crate) fn set_cache(s: &mut [u8], card: u64) {
    s[8..16].copy_from_slice(&card.to_le_bytes());
}

fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}

fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}

fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}

fn zero_len(b: u8) -> usize {
    usize::from(b & 0x3f) + 1
}

/// An XZERO opcode's run; its second byte reads 0 past the end, as Redis's terminating NUL.
fn xzero_len(s: &[u8], p: usize) -> usize {
    ((usize::from(s[p] & 0x3f) << 8) | usize::from(s.get(p + 1).copied().unwrap_or(0))) + 1
}

fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}

fn val_len(b: u8) -> usize {
    usize::from(b & 0x3) + 1
}

fn val(value: u8, len: usize) -> u8 {
    ((value - 1) << 2 | (len as u8 - 1)) | 0x80
}

fn xzero(len: usize) -> [u8; 2] {
    let l = len - 1;
    [(l >> 8) as u8 | 0x40, (l & 0xff) as u8]
}

/// A ZERO or XZERO opcode for a run of `len` zero registers.
fn zeros(len: usize, out: &mut Vec<u8>) {
    if len > SPARSE_ZERO_MAX_LEN {
        out.extend(xzero(len));
    } else {
        out.push(len as u8 - 1);
    }
}

/// Dense register `i` (bytes past the end read as 0).
fn get_register(regs: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = u32::from(regs[byte]);
    let b1 = u32::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) & 63) as u8
}

fn set_register(regs: &mut [u8], i: usize, value: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = u32::from(value);
    regs[byte] &= !((63u32 << fb) as u8);
    regs[byte] |= (v << fb) as u8;
    if let Some(next) = regs.get_mut(byte + 1) {
        *next &= !((63u32 >> (8 - fb)) as u8);
        *next |= (v >> (8 - fb)) as u8;
    }
}

/// Raises dense register `i` to `count`; whether it changed.
fn dense_set(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > get_register(regs, i) {
        set_register(regs, i, count);
        true
    } else {
        false
    }
}

/// Every register of a sparse `s`, in order, as (run length, value); then whether the runs
/// covered exactly every register. A run of any kind that goes past the last register makes
/// the string corrupted, as in Redis since 7.0.12 (the fix of CVE-2023-36824; before it, a
/// value run past the end was skipped and the string accepted).
fn sparse_runs(s: &[u8], mut each: impl FnMut(usize, usize, u8)) -> Result<(), Corrupted> {
    let mut idx = 0;
    let mut p = HDR;
    while p < s.len() {
        let b = s[p];
        if is_zero(b) {
            idx += zero_len(b);
            p += 1;
        } else if is_xzero(b) {
            idx += xzero_len(s, p);
            p += 2;
        } else {
            let (run, value) = (val_len(b), val_value(b));
            if run + idx > REGISTERS {
                return Err(Corrupted);
            }
            each(idx, run, value);
            idx += run;
            p += 1;
        }
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupted)
    }
}

/// The dense form of a valid HyperLogLog (the same string when already dense).
fn to_dense(s: &[u8]) -> Result<Vec<u8>, Corrupted> {
    if is_dense(s) {
        return Ok(s.to_vec());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&s[..HDR]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR..];
    sparse_runs(s, |idx, run, value| {
        for i in idx..idx + run {
            set_register(regs, i, value);
        }
    })?;
    Ok(dense)
}

/// Raises register `index` of a sparse `s` to `count`, splitting and merging opcodes as
/// Redis does, and promoting `s` to dense when the value or the size calls for it; whether
/// the register changed.
fn sparse_set(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupted> {
    if count > SPARSE_VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    let end = s.len();
    let (mut p, mut first, mut span, mut prev) = (HDR, 0, 0, None);
    while p < end {
        let b = s[p];
        let mut oplen = 1;
        span = if is_zero(b) {
            zero_len(b)
        } else if is_val(b) {
            val_len(b)
        } else {
            oplen = 2;
            xzero_len(s, p)
        };
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupted);
    }
    let b = s[p];
    let (zero, xzero_op) = (is_zero(b), is_xzero(b));
    if is_val(b) {
        if val_value(b) >= count {
            return Ok(false);
        }
        if val_len(b) == 1 {
            s[p] = val(count, 1);
            return Ok(merge_adjacent(s, prev));
        }
    }
    if zero && zero_len(b) == 1 {
        s[p] = val(count, 1);
        return Ok(merge_adjacent(s, prev));
    }
    let last = first + span - 1;
    let mut seq = Vec::with_capacity(5);
    if zero || xzero_op {
        if index != first {
            zeros(index - first, &mut seq);
        }
        seq.push(val(count, 1));
        if index != last {
            zeros(last - index, &mut seq);
        }
    } else {
        let current = val_value(b);
        if index != first {
            seq.push(val(current, index - first));
        }
        seq.push(val(count, 1));
        if index != last {
            seq.push(val(current, last - index));
        }
    }
    let old = if xzero_op { 2 } else { 1 };
    if seq.len() > old && end + seq.len() - old > SPARSE_MAX_BYTES {
        return promote(s, index, count);
    }
    let new_len = end + seq.len() - old;
    s.splice(p..(p + old).min(end), seq);
    s.truncate(new_len);
    Ok(merge_adjacent(s, prev))
}

/// Merges adjacent VAL opcodes of equal value, scanning five opcodes from `prev`, then marks
/// the cache stale; always true (a register changed).
fn merge_adjacent(s: &mut Vec<u8>, prev: Option<usize>) -> bool {
    let mut p = prev.unwrap_or(HDR);
    let mut scan = 5;
    while p < s.len() && scan > 0 {
        scan -= 1;
        let b = s[p];
        if is_xzero(b) {
            p += 2;
            continue;
        }
        if is_zero(b) {
            p += 1;
            continue;
        }
        if p + 1 < s.len() && is_val(s[p + 1]) {
            let (v1, v2) = (val_value(b), val_value(s[p + 1]));
            let len = val_len(b) + val_len(s[p + 1]);
            if v1 == v2 && len <= SPARSE_VAL_MAX_LEN {
                s[p + 1] = val(v1, len);
                s.remove(p);
                continue;
            }
        }
        p += 1;
    }
    invalidate_cache(s);
    true
}

/// Converts `s` to dense and raises register `index` to `count`.
fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupted> {
    *s = to_dense(s)?;
    dense_set(&mut s[HDR..], index, count);
    Ok(true)
}

/// Raises register `index` of a valid HyperLogLog to `count`; whether it changed.
fn set(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupted> {
    if is_dense(s) {
        Ok(dense_set(&mut s[HDR..], index, count))
    } else {
        sparse_set(s, index, count)
    }
}

/// Adds `element` to a valid HyperLogLog; whether a register changed.
pub(crate) fn add(s: &mut Vec<u8>, element: &[u8]) -> Result<bool, Corrupted> {
    let (index, count) = pattern(element);
    set(s, index, count)
}

/// Raises each of `max`'s registers to the valid HyperLogLog `s`'s.
pub(crate) fn merge_into(max: &mut [u8], s: &[u8]) -> Result<(), Corrupted> {
    if is_dense(s) {
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(get_register(&s[HDR..], i));
        }
        Ok(())
    } else {
        sparse_runs(s, |idx, run, value| {
            for m in &mut max[idx..idx + run] {
                *m = (*m).max(value);
            }
        })
    }
}

/// Writes registers `max` into a valid HyperLogLog `s` (dense first when `dense`), as
/// `PFMERGE` does; the cache is marked stale.
pub(crate) fn store_registers(s: &mut Vec<u8>, max: &[u8], dense: bool) -> Result<(), Corrupted> {
    if dense {
        *s = to_dense(s)?;
    }
    for (i, &m) in max.iter().enumerate() {
        if m != 0 {
            // Redis ignores a failure here: the destination was validated by the merge.
            let _ = set(s, i, m);
        }
    }
    invalidate_cache(s);
    Ok(())
}

/// The estimated cardinality of a valid HyperLogLog; `Corrupted` when its sparse runs do not
/// add up.
pub(crate) fn count(s: &[u8]) -> Result<u64, Corrupted> {
    let mut histogram = [0u32; 64];
    if is_dense(s) {
        for i in 0..REGISTERS {
            histogram[usize::from(get_register(&s[HDR..], i))] += 1;
        }
    } else {
        let mut zeros = REGISTERS as u32;
        sparse_runs(s, |_, run, value| {
            histogram[usize::from(value)] += run as u32;
            zeros -= run as u32;
        })?;
        histogram[0] = zeros;
    }
    Ok(estimate(&histogram))
}

/// The estimated cardinality of plain registers (one byte each).
pub(crate) fn count_registers(registers: &[u8]) -> u64 {
    let mut histogram = [0u32; 64];
    for r in registers {
        histogram[usize::from(*r)] += 1;
    }
    estimate(&histogram)
}

/// Ertl's improved estimator ("New cardinality estimation algorithms for HyperLogLog
/// sketches", arXiv:1702.01284), computed in Redis's order of operations.
fn estimate(histogram: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(histogram[Q + 1])) / m);
    for j in (1..=Q).rev() {
        z += f64::from(histogram[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histogram[0]) / m);
    libm::round(ALPHA_INF * m * m / z) as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = libm::sqrt(x);
        let previous = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if previous == z {
            return z / 3.0;
        }
    }
}
