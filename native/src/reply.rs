//! Turning engine [`Reply`] values into the types the storage traits return.

use bytes::Bytes;
use hedgestore_core::Reply;

use crate::error::{Result, StorageError};

fn unexpected(expected: &str, got: &Reply) -> StorageError {
    StorageError::UnexpectedReply {
        backend: "storage",
        detail: format!("expected {expected}, got {got:?}"),
    }
}

pub(crate) fn optional_bytes(reply: Reply) -> Result<Option<Bytes>> {
    match reply {
        Reply::Nil => Ok(None),
        Reply::Bulk(b) => Ok(Some(Bytes::from(b))),
        other => Err(unexpected("a value or nil", &other)),
    }
}

pub(crate) fn integer(reply: Reply) -> Result<i64> {
    match reply {
        Reply::Int(i) => Ok(i),
        other => Err(unexpected("an integer", &other)),
    }
}

pub(crate) fn count(reply: Reply) -> Result<u64> {
    integer(reply).map(|i| i.max(0) as u64)
}

pub(crate) fn flag(reply: Reply) -> Result<bool> {
    integer(reply).map(|i| i != 0)
}

/// `OK` → true, nil (a failed NX/XX condition) → false.
pub(crate) fn ok_or_nil(reply: Reply) -> Result<bool> {
    match reply {
        Reply::Ok => Ok(true),
        Reply::Nil => Ok(false),
        other => Err(unexpected("OK or nil", &other)),
    }
}

pub(crate) fn ok(reply: Reply) -> Result<()> {
    match reply {
        Reply::Ok => Ok(()),
        other => Err(unexpected("OK", &other)),
    }
}

pub(crate) fn byte_list(reply: Reply) -> Result<Vec<Bytes>> {
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

pub(crate) fn optional_byte_list(reply: Reply) -> Result<Vec<Option<Bytes>>> {
    match reply {
        Reply::Array(items) => items.into_iter().map(optional_bytes).collect(),
        other => Err(unexpected("an array", &other)),
    }
}

pub(crate) fn pairs(reply: Reply) -> Result<Vec<(Bytes, Bytes)>> {
    let flat = byte_list(reply)?;
    if flat.len() % 2 != 0 {
        return Err(StorageError::UnexpectedReply {
            backend: "storage",
            detail: "field/value list of odd length".into(),
        });
    }
    let mut it = flat.into_iter();
    let mut out = Vec::new();
    while let (Some(f), Some(v)) = (it.next(), it.next()) {
        out.push((f, v));
    }
    Ok(out)
}

pub(crate) fn scan_page(reply: Reply) -> Result<(u64, Vec<Bytes>)> {
    match reply {
        Reply::Array(mut parts) if parts.len() == 2 => {
            let keys = byte_list(parts.pop().expect("two parts"))?;
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
