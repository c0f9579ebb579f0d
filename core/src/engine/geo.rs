//! Geospatial commands: GEOADD, GEOPOS, GEODIST, GEOHASH. A geospatial index is a sorted
//! set whose scores are the members' geohashes (see `crate::geohash`), so every sorted set
//! command works on it and every geospatial command reads any sorted set.

use alloc::vec::Vec;

use super::Engine;
use crate::command::{CommandKind, GeoUnit, ZAddCondition, ZAddOptions};
use crate::geohash;
use crate::{Clock, Error};

impl<C: Clock> Engine<C> {
    /// `GEOADD`: adds or moves the members to their points (longitude, latitude, member).
    /// Replies like `ZADD`: the members added, plus those moved with `changed` (`CH`).
    /// A point outside the range a point may have is an error, and nothing is added.
    pub fn geoadd<M: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        condition: ZAddCondition,
        changed: bool,
        points: &[(f64, f64, M)],
    ) -> Result<usize, Error> {
        self.run_as(CommandKind::GeoAdd, |e| {
            e.geoadd_unguarded(key, condition, changed, points)
        })
    }

    pub(super) fn geoadd_unguarded<M: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        condition: ZAddCondition,
        changed: bool,
        points: &[(f64, f64, M)],
    ) -> Result<usize, Error> {
        let pairs = points
            .iter()
            .map(|(x, y, m)| {
                let score = geohash::score_of(*x, *y)
                    .ok_or_else(|| crate::command::invalid_lon_lat(*x, *y))?;
                Ok((score, m.as_ref()))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let options = ZAddOptions {
            condition,
            changed,
            ..ZAddOptions::default()
        };
        Ok(self.zadd_unguarded(key, options, &pairs)?.count)
    }

    /// `GEOPOS`: each member's point (longitude, latitude), the center of its geohash cell;
    /// `None` for a missing member.
    pub fn geopos<M: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        members: &[M],
    ) -> Result<Vec<Option<(f64, f64)>>, Error> {
        Ok(self
            .zmscore(key, members)?
            .into_iter()
            .map(|s| s.map(geohash::decode))
            .collect())
    }

    /// `GEODIST`: the distance between two members' points in `unit`, `None` when either
    /// is missing.
    pub fn geodist(
        &mut self,
        key: &[u8],
        member1: &[u8],
        member2: &[u8],
        unit: GeoUnit,
    ) -> Result<Option<f64>, Error> {
        let scores = self.zmscore(key, &[member1, member2])?;
        let (Some(a), Some(b)) = (scores[0], scores[1]) else {
            return Ok(None);
        };
        let ((x1, y1), (x2, y2)) = (geohash::decode(a), geohash::decode(b));
        Ok(Some(geohash::distance(x1, y1, x2, y2) / unit.to_meters()))
    }

    /// `GEOHASH`: each member's standard 11-character geohash; `None` for a missing member.
    pub fn geohash<M: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        members: &[M],
    ) -> Result<Vec<Option<Vec<u8>>>, Error> {
        Ok(self
            .zmscore(key, members)?
            .into_iter()
            .map(|s| s.map(geohash::standard_hash))
            .collect())
    }
}
