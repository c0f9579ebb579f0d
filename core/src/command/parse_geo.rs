//! Parsing of the geospatial commands: `GEOADD`, `GEOPOS`, `GEODIST`, `GEOHASH`.

use alloc::format;
use alloc::vec::Vec;

use super::read::{eq, list};
use super::table::{CommandKind, CommandSpec};
use super::{Command, GeoUnit, ZAddCondition};
use crate::geohash;
use crate::num::parse_score;
use crate::Error;

/// A longitude and latitude as Redis reads them: each a float (else `ERR value is not a
/// valid float`), the pair within range (else the pair, printed `%f,%f`, in the error).
pub(crate) fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), Error> {
    let x = parse_score(lon).ok_or(Error::NotFloat)?;
    let y = parse_score(lat).ok_or(Error::NotFloat)?;
    check_lon_lat(x, y)?;
    Ok((x, y))
}

/// Redis's error for a point outside the range a point may have, naming it as `%f,%f`.
pub(crate) fn invalid_lon_lat(x: f64, y: f64) -> Error {
    Error::InvalidLonLat(format!("{x:.6},{y:.6}"))
}

/// `Ok` when a point lies in the range a point may have, else Redis's error naming it.
fn check_lon_lat(x: f64, y: f64) -> Result<(), Error> {
    if geohash::in_range(x, y) {
        Ok(())
    } else {
        Err(invalid_lon_lat(x, y))
    }
}

/// `GEOADD key [NX|XX] [CH] lon lat member …`: the options in any order and repeated, then
/// triples; a count of arguments after them that is not a multiple of 3, or `NX` with `XX`,
/// is a syntax error. Points are checked one after the other, as Redis does.
fn geoadd<A: AsRef<[u8]>>(args: &[A]) -> Result<Command, Error> {
    let (mut nx, mut xx, mut changed) = (false, false, false);
    let mut at = 2;
    while at < args.len() {
        let opt = args[at].as_ref();
        if eq(opt, "NX") {
            nx = true;
        } else if eq(opt, "XX") {
            xx = true;
        } else if eq(opt, "CH") {
            changed = true;
        } else {
            break;
        }
        at += 1;
    }
    let rest = &args[at..];
    if rest.len() % 3 != 0 || (nx && xx) {
        return Err(Error::Syntax);
    }
    let points = rest
        .chunks_exact(3)
        .map(|t| {
            let (x, y) = lon_lat(t[0].as_ref(), t[1].as_ref())?;
            Ok((x, y, t[2].as_ref().to_vec()))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let condition = match (nx, xx) {
        (true, _) => ZAddCondition::Nx,
        (_, true) => ZAddCondition::Xx,
        _ => ZAddCondition::Always,
    };
    Ok(Command::GeoAdd {
        key: args[1].as_ref().to_vec(),
        condition,
        changed,
        points,
    })
}

/// Parses a geospatial command whose row is `spec`.
pub(super) fn parse<A: AsRef<[u8]>>(spec: &CommandSpec, args: &[A]) -> Result<Command, Error> {
    let a = |i: usize| args[i].as_ref();
    let key = || a(1).to_vec();
    Ok(match spec.kind {
        CommandKind::GeoAdd => geoadd(args)?,
        CommandKind::GeoPos => Command::GeoPos {
            key: key(),
            members: list(&args[2..]),
        },
        CommandKind::GeoHash => Command::GeoHash {
            key: key(),
            members: list(&args[2..]),
        },
        CommandKind::GeoDist => {
            let unit = match args.len() {
                4 => GeoUnit::M,
                5 => GeoUnit::parse(a(4)).ok_or(Error::UnsupportedUnit)?,
                _ => return Err(Error::Syntax),
            };
            Command::GeoDist {
                key: key(),
                member1: a(2).to_vec(),
                member2: a(3).to_vec(),
                unit,
            }
        }
        _ => unreachable!("parse.rs routes only geospatial commands here"),
    })
}
