//! Geographic coordinates as sorted set scores, bit for bit as Redis's `geohash.c` and
//! `geohash_helper.c` compute them: a point is the 52-bit interleaving of its latitude and
//! longitude cells (26 bits each, over longitudes -180..180 and latitudes
//! -85.05112878..85.05112878), stored as the member's score; decoding gives the cell's
//! center; distances are haversine distances on a sphere of radius 6372797.560856 m.

use alloc::vec::Vec;

/// The least longitude a point may have.
pub const LONG_MIN: f64 = -180.0;
/// The greatest longitude a point may have.
pub const LONG_MAX: f64 = 180.0;
/// The least latitude a point may have (the Web Mercator limit).
pub const LAT_MIN: f64 = -85.05112878;
/// The greatest latitude a point may have.
pub const LAT_MAX: f64 = 85.05112878;

/// Bits per coordinate.
const STEP: u32 = 26;
/// Earth's quadratic mean radius, in meters, as Redis uses it.
const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
/// Degrees to radians, as Redis computes it (`M_PI / 180.0`).
const D_R: f64 = core::f64::consts::PI / 180.0;

/// Whether a longitude/latitude pair lies in the range a point may have.
pub fn in_range(longitude: f64, latitude: f64) -> bool {
    (LONG_MIN..=LONG_MAX).contains(&longitude) && (LAT_MIN..=LAT_MAX).contains(&latitude)
}

fn interleave64(xlo: u32, ylo: u32) -> u64 {
    const B: [u64; 5] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
    ];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let (mut x, mut y) = (u64::from(xlo), u64::from(ylo));
    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }
    x | (y << 1)
}

fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let (mut x, mut y) = (interleaved, interleaved >> 1);
    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }
    x | (y << 32)
}

/// The 52-bit cell of a point over the given longitude and latitude ranges, or `None`
/// outside the ranges a point may have. An offset converts to its cell by truncation, as C's
/// conversion of a `double` to `uint32_t` does (the top edge is cell `2^26`).
fn encode(
    longitude: f64,
    latitude: f64,
    long_range: (f64, f64),
    lat_range: (f64, f64),
) -> Option<u64> {
    if !in_range(longitude, latitude)
        || latitude < lat_range.0
        || latitude > lat_range.1
        || longitude < long_range.0
        || longitude > long_range.1
    {
        return None;
    }
    let cells = (1u64 << STEP) as f64;
    let lat_offset = (latitude - lat_range.0) / (lat_range.1 - lat_range.0) * cells;
    let long_offset = (longitude - long_range.0) / (long_range.1 - long_range.0) * cells;
    Some(interleave64(lat_offset as u32, long_offset as u32))
}

/// The score of a point (longitude first), or `None` outside the range a point may have.
pub fn score_of(longitude: f64, latitude: f64) -> Option<f64> {
    encode(
        longitude,
        latitude,
        (LONG_MIN, LONG_MAX),
        (LAT_MIN, LAT_MAX),
    )
    .map(|bits| bits as f64)
}

/// The point (longitude, latitude) a score stands for: the center of its cell, clamped to
/// the range a point may have. A score converts to its cell as Redis converts it
/// (`(uint64_t)` of the `double`, see [`c_double_to_u64`]); every score decodes, cell 0
/// included.
pub fn decode(score: f64) -> (f64, f64) {
    let bits = c_double_to_u64(score);
    let sep = deinterleave64(bits);
    let ilato = sep as u32;
    let ilono = (sep >> 32) as u32;
    let cells = (1u64 << STEP) as f64;
    let (lat_scale, long_scale) = (LAT_MAX - LAT_MIN, LONG_MAX - LONG_MIN);
    let cell = |i: u32, min: f64, scale: f64| {
        let lo = min + (f64::from(i) / cells) * scale;
        let hi = min + ((f64::from(i) + 1.0) / cells) * scale;
        (lo + hi) / 2.0
    };
    let x = cell(ilono, LONG_MIN, long_scale).clamp(LONG_MIN, LONG_MAX);
    let y = cell(ilato, LAT_MIN, lat_scale).clamp(LAT_MIN, LAT_MAX);
    (x, y)
}

/// C's `(uint64_t)` conversion of a `double`, as x86-64 builds of Redis compute it: by
/// truncation for 0..2^64; outside that range C leaves the result undefined, and the code
/// compilers emit there (`cvttsd2si`, whose out-of-range answer is `0x8000000000000000`,
/// after subtracting 2^63 from values at or above it) gives a negative score's two's
/// complement (-1 → all ones), `0x8000000000000000` at or below -2^63, and 0 from 2^64 on,
/// infinity included. Rust's saturating `as u64` (which ARM's conversion instruction also
/// computes) differs there, so a zset whose scores are not geohashes answered `GEOPOS`
/// differently from Redis on x86-64 (found by the differential test against redis-server
/// 7.0, seeds 505 and 606).
fn c_double_to_u64(x: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    // `cvttsd2si`: truncation, or `i64::MIN` when the result does not fit (or NaN).
    let cvttsd2si = |x: f64| -> i64 {
        if x.is_nan() || !(-TWO_63..TWO_63).contains(&x) {
            i64::MIN
        } else {
            x as i64
        }
    };
    if x >= TWO_63 {
        (cvttsd2si(x - TWO_63) as u64) ^ (1 << 63)
    } else {
        cvttsd2si(x) as u64
    }
}

/// The haversine distance in meters between two points (longitude first), as Redis's
/// `geohashGetDistance` computes it.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (lon1r, lon2r) = (lon1 * D_R, lon2 * D_R);
    let v = libm::sin((lon2r - lon1r) / 2.0);
    if v == 0.0 {
        return EARTH_RADIUS_IN_METERS * libm::fabs(lat2 * D_R - lat1 * D_R);
    }
    let (lat1r, lat2r) = (lat1 * D_R, lat2 * D_R);
    let u = libm::sin((lat2r - lat1r) / 2.0);
    let a = u * u + libm::cos(lat1r) * libm::cos(lat2r) * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * libm::asin(libm::sqrt(a))
}

/// The standard 11-character base-32 geohash of the point a score stands for: the point
/// re-encoded over latitudes -90..90, its 52 bits as ten characters and a final `0`.
pub fn standard_hash(score: f64) -> Vec<u8> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (x, y) = decode(score);
    let bits = encode(x, y, (-180.0, 180.0), (-90.0, 90.0)).unwrap_or(0);
    (0..11)
        .map(|i| {
            let idx = if i == 10 {
                0
            } else {
                (bits >> (52 - (i + 1) * 5)) & 0x1f
            };
            ALPHABET[idx as usize]
        })
        .collect()
}

/// A distance as Redis replies with it: fixed point with four decimals, rounded to nearest
/// with ties to even (`llrint`).
pub fn format_distance(meters: f64) -> Vec<u8> {
    if meters == 0.0 {
        return b"0.0000".to_vec();
    }
    let scaled = libm::rint(meters * 10000.0) as i64;
    let (sign, v) = if scaled < 0 {
        ("-", scaled.unsigned_abs())
    } else {
        ("", scaled as u64)
    };
    alloc::format!("{sign}{}.{:04}", v / 10000, v % 10000).into_bytes()
}

/// A coordinate as Redis 7.0's `GEOPOS` prints it (`%.17Lf` with trailing zeros, and then a
/// trailing point, removed; `-0` as `0`).
pub fn format_coordinate(v: f64) -> Vec<u8> {
    let mut s = alloc::format!("{v:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = alloc::string::String::from("0");
    }
    s.into_bytes()
}

/// A unit of distance: what one unit is in meters, as Redis converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GeoUnit {
    /// Meters (the default).
    #[default]
    M,
    /// Kilometers.
    Km,
    /// Feet (0.3048 m).
    Ft,
    /// Miles (1609.34 m, as Redis counts).
    Mi,
}

impl GeoUnit {
    /// Meters per unit.
    pub fn to_meters(self) -> f64 {
        match self {
            GeoUnit::M => 1.0,
            GeoUnit::Km => 1000.0,
            GeoUnit::Ft => 0.3048,
            GeoUnit::Mi => 1609.34,
        }
    }

    /// The unit's name as commands write it (`m`, `km`, `ft`, `mi`).
    pub fn name(self) -> &'static str {
        match self {
            GeoUnit::M => "m",
            GeoUnit::Km => "km",
            GeoUnit::Ft => "ft",
            GeoUnit::Mi => "mi",
        }
    }

    /// Reads a unit name, in any case.
    pub fn parse(arg: &[u8]) -> Option<GeoUnit> {
        [GeoUnit::M, GeoUnit::Km, GeoUnit::Ft, GeoUnit::Mi]
            .into_iter()
            .find(|u| arg.eq_ignore_ascii_case(u.name().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palermo_encodes_and_decodes_as_redis_does() {
        // GEOADD Sicily 13.361389 38.115556 "Palermo"; ZSCORE Sicily Palermo
        let score = score_of(13.361389, 38.115556).unwrap();
        assert_eq!(score, 3479099956230698.0);
        let (x, y) = decode(score);
        assert_eq!(format_coordinate(x), b"13.36138933897018433");
        assert_eq!(format_coordinate(y), b"38.11555639549629859");
        assert_eq!(standard_hash(score), b"sqc8b49rny0");
        let catania = score_of(15.087269, 37.502669).unwrap();
        let (cx, cy) = decode(catania);
        assert_eq!(format_distance(distance(x, y, cx, cy)), b"166274.1516");
        assert_eq!(
            format_distance(distance(x, y, cx, cy) / GeoUnit::Km.to_meters()),
            b"166.2742"
        );
        let top = score_of(180.0, 85.05112878).unwrap();
        assert_eq!(top, 13510798882111488.0);
        let (x, y) = decode(top);
        assert_eq!(format_coordinate(x), b"180");
        assert_eq!(format_coordinate(y), b"85.0511287799999991");
        assert_eq!(standard_hash(top), b"bp05b5048p0");
        let bottom = score_of(-180.0, -85.05112878).unwrap();
        let (x, y) = decode(bottom);
        assert_eq!(format_coordinate(x), b"-179.99999731779098511");
        assert_eq!(format_coordinate(y), b"-85.05112751263942528");
        assert_eq!(standard_hash(bottom), b"00bh0hbj200");
        assert_eq!(score_of(180.5, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
    }

    /// `ZADD g <score> m; GEOPOS g m` for scores no `GEOADD` writes, as redis-server 7.0.15
    /// on x86-64 answered them.
    #[test]
    fn scores_outside_the_geohash_range_decode_as_redis_on_x86_64_does() {
        /// A point as `GEOPOS` prints it: longitude, latitude.
        type Printed = (&'static [u8], &'static [u8]);
        const MIN_CORNER: Printed = (b"-179.99999731779098511", b"-85.05112751263942528");
        const MAX_LON_MIN_LAT: Printed = (b"180", b"-85.05112751263942528");
        const MAX_CORNER: Printed = (b"180", b"85.0511287799999991");
        let cases: [(f64, Printed); 12] = [
            (1e300, MIN_CORNER),
            (f64::INFINITY, MIN_CORNER),
            (f64::NEG_INFINITY, MAX_LON_MIN_LAT),
            (-1.0, MAX_CORNER),
            (-5.0, MAX_CORNER),
            (-1e300, MAX_LON_MIN_LAT),
            (9223372036854775808.0, MAX_LON_MIN_LAT),
            (18446744073709551616.0, MIN_CORNER),
            (0.5, MIN_CORNER),
            (
                4503599627370496.5,
                (b"-179.99999731779098511", b"85.0511287799999991"),
            ),
            (13510798882111489.0, MAX_CORNER),
            (36028797018963968.0, MAX_LON_MIN_LAT),
        ];
        for (score, (lon, lat)) in cases {
            let (x, y) = decode(score);
            assert_eq!(
                (&format_coordinate(x)[..], &format_coordinate(y)[..]),
                (lon, lat),
                "score {score}"
            );
        }
        assert_eq!(standard_hash(f64::INFINITY), b"00bh0hbj200");
        assert_eq!(standard_hash(-1.0), b"bp05b5048p0");
    }
}
