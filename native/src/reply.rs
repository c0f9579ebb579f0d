//! Turning engine [`Reply`] values into the types the typed command methods return: one
//! converter per reply kind of core's method list, named after it.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use hedgestore_core::{KeyType, Reply};

use crate::error::{Result, StorageError};
use crate::traits::Ttl;

fn unexpected(expected: &str, got: &Reply) -> StorageError {
    StorageError::UnexpectedReply {
        backend: "storage",
        detail: format!("expected {expected}, got {got:?}"),
    }
}

/// A value, or nil.
pub(crate) fn value(reply: Reply) -> Result<Option<Bytes>> {
    match reply {
        Reply::Nil => Ok(None),
        Reply::Bulk(b) => Ok(Some(Bytes::from(b))),
        other => Err(unexpected("a value or nil", &other)),
    }
}

/// An integer.
pub(crate) fn int(reply: Reply) -> Result<i64> {
    match reply {
        Reply::Int(i) => Ok(i),
        other => Err(unexpected("an integer", &other)),
    }
}

/// A non-negative integer.
pub(crate) fn count(reply: Reply) -> Result<u64> {
    int(reply).map(|i| i.max(0) as u64)
}

/// 0 or 1.
pub(crate) fn flag(reply: Reply) -> Result<bool> {
    int(reply).map(|i| i != 0)
}

/// A float sent as text (`INCRBYFLOAT`).
pub(crate) fn float(reply: Reply) -> Result<f64> {
    match reply {
        Reply::Bulk(b) => std::str::from_utf8(&b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| unexpected("a float", &Reply::Bulk(b))),
        other => Err(unexpected("a float", &other)),
    }
}

/// `OK` → true, nil (a failed NX/XX condition) → false.
pub(crate) fn ok_or_nil(reply: Reply) -> Result<bool> {
    match reply {
        Reply::Ok => Ok(true),
        Reply::Nil => Ok(false),
        other => Err(unexpected("OK or nil", &other)),
    }
}

/// `OK`.
pub(crate) fn done(reply: Reply) -> Result<()> {
    match reply {
        Reply::Ok => Ok(()),
        other => Err(unexpected("OK", &other)),
    }
}

/// Values (nil reads as none).
pub(crate) fn list(reply: Reply) -> Result<Vec<Bytes>> {
    match reply {
        Reply::Nil => Ok(Vec::new()),
        Reply::Array(items) => items
            .into_iter()
            .map(|r| match r {
                Reply::Bulk(b) => Ok(Bytes::from(b)),
                other => Err(unexpected("a value", &other)),
            })
            .collect(),
        other => Err(unexpected("an array", &other)),
    }
}

/// Values and nils.
pub(crate) fn values(reply: Reply) -> Result<Vec<Option<Bytes>>> {
    match reply {
        Reply::Array(items) => items.into_iter().map(value).collect(),
        other => Err(unexpected("an array", &other)),
    }
}

/// Field/value pairs, as a map.
pub(crate) fn map(reply: Reply) -> Result<HashMap<Bytes, Bytes>> {
    let flat = list(reply)?;
    if flat.len() % 2 != 0 {
        return Err(StorageError::UnexpectedReply {
            backend: "storage",
            detail: "field/value list of odd length".into(),
        });
    }
    let mut it = flat.into_iter();
    let mut out = HashMap::new();
    while let (Some(f), Some(v)) = (it.next(), it.next()) {
        out.insert(f, v);
    }
    Ok(out)
}

/// Name/count pairs (`PUBSUB NUMSUB`).
pub(crate) fn counts(reply: Reply) -> Result<Vec<(Bytes, u64)>> {
    match reply {
        Reply::Array(items) if items.len() % 2 == 0 => {
            let mut out = Vec::with_capacity(items.len() / 2);
            let mut it = items.into_iter();
            while let (Some(name), Some(n)) = (it.next(), it.next()) {
                let name = match name {
                    Reply::Bulk(b) => Bytes::from(b),
                    other => return Err(unexpected("a name", &other)),
                };
                out.push((name, count(n)?));
            }
            Ok(out)
        }
        other => Err(unexpected("name/count pairs", &other)),
    }
}

/// 0s and 1s (`SMISMEMBER`).
pub(crate) fn flags(reply: Reply) -> Result<Vec<bool>> {
    match reply {
        Reply::Array(items) => items.into_iter().map(flag).collect(),
        other => Err(unexpected("an array of flags", &other)),
    }
}

/// An array of integers (`HEXPIRE`, `HTTL`).
pub(crate) fn ints(reply: Reply) -> Result<Vec<i64>> {
    match reply {
        Reply::Array(items) => items.into_iter().map(int).collect(),
        other => Err(unexpected("an array of integers", &other)),
    }
}

/// A float sent as text, or nil (`ZSCORE`).
pub(crate) fn opt_float(reply: Reply) -> Result<Option<f64>> {
    match reply {
        Reply::Nil => Ok(None),
        other => float(other).map(Some),
    }
}

/// Floats and nils (`ZMSCORE`).
pub(crate) fn opt_floats(reply: Reply) -> Result<Vec<Option<f64>>> {
    match reply {
        Reply::Array(items) => items.into_iter().map(opt_float).collect(),
        other => Err(unexpected("an array", &other)),
    }
}

/// Longitude/latitude pairs sent as text, and nils (`GEOPOS`).
pub(crate) fn positions(reply: Reply) -> Result<Vec<Option<(f64, f64)>>> {
    match reply {
        Reply::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Reply::Nil => Ok(None),
                Reply::Array(pair) if pair.len() == 2 => {
                    let mut pair = pair.into_iter();
                    let x = pair.next().map(float).transpose()?;
                    let y = pair.next().map(float).transpose()?;
                    Ok(x.zip(y))
                }
                other => Err(unexpected("a longitude/latitude pair or nil", &other)),
            })
            .collect(),
        other => Err(unexpected("an array", &other)),
    }
}

/// A rank, or nil for a missing member (`ZRANK`).
pub(crate) fn rank(reply: Reply) -> Result<Option<u64>> {
    match reply {
        Reply::Nil => Ok(None),
        other => count(other).map(Some),
    }
}

/// A flat member/score array as pairs (`ZPOPMIN`, `ZRANGE … WITHSCORES`).
pub(crate) fn scored(reply: Reply) -> Result<Vec<(Bytes, f64)>> {
    let flat = match reply {
        Reply::Nil => Vec::new(),
        Reply::Array(items) if items.len() % 2 == 0 => items,
        other => return Err(unexpected("member/score pairs", &other)),
    };
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut it = flat.into_iter();
    while let (Some(member), Some(score)) = (it.next(), it.next()) {
        let member = match member {
            Reply::Bulk(b) => Bytes::from(b),
            other => return Err(unexpected("a member", &other)),
        };
        out.push((member, float(score)?));
    }
    Ok(out)
}

/// A `ZSCAN` page: the next cursor and the members with their scores.
pub(crate) fn scored_page(reply: Reply) -> Result<(u64, Vec<(Bytes, f64)>)> {
    match reply {
        Reply::Array(mut parts) if parts.len() == 2 => {
            let members = scored(parts.pop().expect("two parts"))?;
            let (cursor, _) = scan_page(Reply::Array(vec![
                parts.pop().expect("two parts"),
                Reply::Array(Vec::new()),
            ]))?;
            Ok((cursor, members))
        }
        other => Err(unexpected("a ZSCAN page", &other)),
    }
}

fn ttl(reply: Reply, unit: fn(u64) -> Duration) -> Result<Ttl> {
    Ok(match int(reply)? {
        -2 => Ttl::Missing,
        t if t < 0 => Ttl::Persistent,
        t => Ttl::Expires(unit(t as u64)),
    })
}

/// `TTL`'s answer: -2 missing, -1 persistent, or whole seconds.
pub(crate) fn ttl_secs(reply: Reply) -> Result<Ttl> {
    ttl(reply, Duration::from_secs)
}

/// `PTTL`'s answer: -2 missing, -1 persistent, or milliseconds.
pub(crate) fn ttl_millis(reply: Reply) -> Result<Ttl> {
    ttl(reply, Duration::from_millis)
}

/// Every [`KeyType`]. The exhaustive `match` makes a new type a compile error here until it
/// is listed.
const KEY_TYPES: [KeyType; 5] = {
    match KeyType::String {
        KeyType::String | KeyType::Hash | KeyType::List | KeyType::Set | KeyType::ZSet => {}
    }
    [
        KeyType::String,
        KeyType::Hash,
        KeyType::List,
        KeyType::Set,
        KeyType::ZSet,
    ]
};

/// `TYPE`'s status: a type, or `none` for a missing key.
pub(crate) fn key_type(reply: Reply) -> Result<Option<KeyType>> {
    match reply {
        Reply::Status("none") => Ok(None),
        Reply::Status(name) => match KEY_TYPES.into_iter().find(|t| t.as_str() == name) {
            Some(t) => Ok(Some(t)),
            None => Err(unexpected("a type", &reply)),
        },
        other => Err(unexpected("a type", &other)),
    }
}

/// A status or a value, as bytes (`PING`).
pub(crate) fn text(reply: Reply) -> Result<Bytes> {
    match reply {
        Reply::Status(s) => Ok(Bytes::from_static(s.as_bytes())),
        Reply::Bulk(b) => Ok(Bytes::from(b)),
        other => Err(unexpected("a status or a value", &other)),
    }
}

/// A `SCAN` page: the next cursor and the keys.
pub(crate) fn scan_page(reply: Reply) -> Result<(u64, Vec<Bytes>)> {
    match reply {
        Reply::Array(mut parts) if parts.len() == 2 => {
            let keys = list(parts.pop().expect("two parts"))?;
            let cursor = match parts.pop().expect("two parts") {
                Reply::Bulk(c) => std::str::from_utf8(&c).ok().and_then(|s| s.parse().ok()),
                _ => None,
            }
            .ok_or_else(|| StorageError::UnexpectedReply {
                backend: "storage",
                detail: "SCAN cursor is not a number".into(),
            })?;
            Ok((cursor, keys))
        }
        other => Err(unexpected("a SCAN page", &other)),
    }
}

/// `LMPOP`'s key and the values popped from it, or nil.
pub(crate) fn popped(reply: Reply) -> Result<Option<(Bytes, Vec<Bytes>)>> {
    match reply {
        Reply::Nil => Ok(None),
        Reply::Array(mut items) if items.len() == 2 => {
            let values = list(items.pop().unwrap_or(Reply::Nil))?;
            match items.pop() {
                Some(Reply::Bulk(key)) => Ok(Some((Bytes::from(key), values))),
                other => Err(unexpected("a key", &other.unwrap_or(Reply::Nil))),
            }
        }
        other => Err(unexpected("a key and its values, or nil", &other)),
    }
}

/// `TIME`'s seconds and microseconds, as the time since the Unix epoch.
pub(crate) fn time(reply: Reply) -> Result<Duration> {
    let number = |r: &Reply| match r {
        Reply::Bulk(b) => std::str::from_utf8(b).ok()?.parse::<u64>().ok(),
        _ => None,
    };
    match &reply {
        Reply::Array(items) if items.len() == 2 => match (number(&items[0]), number(&items[1])) {
            (Some(s), Some(us)) => Ok(Duration::from_secs(s) + Duration::from_micros(us)),
            _ => Err(unexpected("seconds and microseconds", &reply)),
        },
        _ => Err(unexpected("seconds and microseconds", &reply)),
    }
}

/// A script's reply, as it came.
pub(crate) fn reply(reply: Reply) -> Result<Reply> {
    Ok(reply)
}

/// `HSCAN`'s page: the next cursor and the field/value pairs.
pub(crate) fn map_page(reply: Reply) -> Result<(u64, Vec<(Bytes, Bytes)>)> {
    let (cursor, items) = scan_page(reply)?;
    if items.len() % 2 != 0 {
        return Err(unexpected("field/value pairs", &Reply::Nil));
    }
    let mut pairs = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(f), Some(v)) = (it.next(), it.next()) {
        pairs.push((f, v));
    }
    Ok((cursor, pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_replies_keep_their_unit() {
        assert_eq!(ttl_secs(Reply::Int(-2)).unwrap(), Ttl::Missing);
        assert_eq!(ttl_secs(Reply::Int(-1)).unwrap(), Ttl::Persistent);
        assert_eq!(
            ttl_secs(Reply::Int(3)).unwrap(),
            Ttl::Expires(Duration::from_secs(3))
        );
        assert_eq!(
            ttl_millis(Reply::Int(3)).unwrap(),
            Ttl::Expires(Duration::from_millis(3))
        );
    }

    #[test]
    fn floats_counts_and_types_are_read() {
        assert_eq!(float(Reply::Bulk(b"1.5".to_vec())).unwrap(), 1.5);
        assert!(float(Reply::Bulk(b"x".to_vec())).is_err());
        let numsub = Reply::Array(vec![Reply::Bulk(b"c".to_vec()), Reply::Int(2)]);
        assert_eq!(counts(numsub).unwrap(), vec![(Bytes::from("c"), 2)]);
        assert_eq!(key_type(Reply::Status("none")).unwrap(), None);
        for t in KEY_TYPES {
            assert_eq!(key_type(Reply::Status(t.as_str())).unwrap(), Some(t));
        }
        assert!(key_type(Reply::Status("stream")).is_err());
        assert_eq!(text(Reply::Status("PONG")).unwrap(), Bytes::from("PONG"));
    }

    #[test]
    fn scores_ranks_and_flags_are_read() {
        let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
        assert_eq!(opt_float(Reply::Nil).unwrap(), None);
        assert_eq!(opt_float(bulk("-inf")).unwrap(), Some(f64::NEG_INFINITY));
        assert_eq!(
            opt_floats(Reply::Array(vec![bulk("2"), Reply::Nil])).unwrap(),
            vec![Some(2.0), None]
        );
        assert_eq!(rank(Reply::Nil).unwrap(), None);
        assert_eq!(rank(Reply::Int(3)).unwrap(), Some(3));
        assert_eq!(
            flags(Reply::Array(vec![Reply::Int(1), Reply::Int(0)])).unwrap(),
            vec![true, false]
        );
        assert_eq!(
            ints(Reply::Array(vec![Reply::Int(-2), Reply::Int(1)])).unwrap(),
            vec![-2, 1]
        );
        assert!(ints(Reply::Int(1)).is_err());
        let flat = Reply::Array(vec![bulk("a"), bulk("1.5"), bulk("b"), bulk("inf")]);
        assert_eq!(
            scored(flat.clone()).unwrap(),
            vec![(Bytes::from("a"), 1.5), (Bytes::from("b"), f64::INFINITY)]
        );
        assert!(scored(Reply::Array(vec![bulk("a")])).is_err());
        let page = Reply::Array(vec![bulk("7"), flat]);
        assert_eq!(scored_page(page).unwrap().0, 7);
    }

    #[test]
    fn positions_are_read_as_pairs_and_nils() {
        let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
        let pair = Reply::Array(vec![bulk("13.5"), bulk("-38.25")]);
        assert_eq!(
            positions(Reply::Array(vec![pair, Reply::Nil])).unwrap(),
            vec![Some((13.5, -38.25)), None]
        );
        assert!(positions(Reply::Array(vec![Reply::Array(vec![bulk("1")])])).is_err());
        assert!(positions(Reply::Nil).is_err());
    }
}
