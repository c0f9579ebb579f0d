//! Parsing the hash field expiration commands (Redis 7.4): `HEXPIRE` and friends, and the
//! `FIELDS numfields field …` block they share.

use alloc::vec::Vec;

use super::read::{eq, expire_condition, int, list};
use super::table::CommandKind;
use super::{Command, ExpireCondition, Expiry};
use crate::num::parse_i64;
use crate::Error;

/// The fields of a `FIELDS numfields field …` block starting at `args[at]`: `FIELDS` must be
/// there, `numfields` must be a positive integer and equal the number of fields after it.
fn fields<A: AsRef<[u8]>>(args: &[A], at: usize) -> Result<Vec<Vec<u8>>, Error> {
    if !args.get(at).is_some_and(|w| eq(w.as_ref(), "FIELDS")) {
        return Err(Error::FieldsMissing);
    }
    let count = args
        .get(at + 1)
        .and_then(|n| parse_i64(n.as_ref()))
        .filter(|n| *n > 0)
        .ok_or(Error::NumFieldsNotPositive)?;
    let rest = &args[at + 2..];
    if usize::try_from(count).ok() != Some(rest.len()) {
        return Err(Error::NumFieldsMismatch);
    }
    Ok(list(rest))
}

/// `HEXPIRE`-family `key t [NX|XX|GT|LT] FIELDS numfields field …`, `form` saying how `t`
/// counts. At most one condition is accepted, as in Redis.
pub(super) fn hexpire<A: AsRef<[u8]>>(
    args: &[A],
    form: fn(i64) -> Expiry,
) -> Result<Command, Error> {
    let t = int(args[2].as_ref())?;
    let has_condition = ["NX", "XX", "GT", "LT"]
        .iter()
        .any(|w| eq(args[3].as_ref(), w));
    let condition = if has_condition {
        expire_condition(&args[3..4])?
    } else {
        ExpireCondition::Always
    };
    let fields = fields(args, if has_condition { 4 } else { 3 })?;
    Ok(Command::HExpire {
        key: args[1].as_ref().to_vec(),
        expiry: form(t),
        condition,
        fields,
    })
}

/// `HTTL`, `HPTTL`, `HEXPIRETIME`, `HPEXPIRETIME` and `HPERSIST`: `key FIELDS numfields
/// field …`.
pub(super) fn field_query<A: AsRef<[u8]>>(args: &[A], kind: CommandKind) -> Result<Command, Error> {
    let key = args[1].as_ref().to_vec();
    let fields = fields(args, 2)?;
    Ok(match kind {
        CommandKind::HTtl => Command::HTtl { key, fields },
        CommandKind::HPTtl => Command::HPTtl { key, fields },
        CommandKind::HExpireTime => Command::HExpireTime { key, fields },
        CommandKind::HPExpireTime => Command::HPExpireTime { key, fields },
        _ => Command::HPersist { key, fields },
    })
}
