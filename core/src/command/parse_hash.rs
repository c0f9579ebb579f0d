//! Parsing the hash field expiration commands (Redis 7.4): `HEXPIRE` and friends, and the
//! `FIELDS numfields field …` block they share; Redis 8.0's `HGETDEL`, `HGETEX`, `HSETEX`.

use alloc::vec::Vec;

use super::read::{eq, expire_condition, expiry, expiry_kind, int, list, pairs};
use super::table::CommandKind;
use super::{Command, ExpireCondition, Expiry, FieldSetCondition, FieldSetTtl, GetExOption};
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

/// `HTTL`, `HPTTL`, `HEXPIRETIME`, `HPEXPIRETIME`, `HPERSIST` and `HGETDEL`: `key FIELDS numfields
/// field …`.
pub(super) fn field_query<A: AsRef<[u8]>>(args: &[A], kind: CommandKind) -> Result<Command, Error> {
    let key = args[1].as_ref().to_vec();
    let fields = fields(args, 2)?;
    Ok(match kind {
        CommandKind::HTtl => Command::HTtl { key, fields },
        CommandKind::HPTtl => Command::HPTtl { key, fields },
        CommandKind::HExpireTime => Command::HExpireTime { key, fields },
        CommandKind::HPExpireTime => Command::HPExpireTime { key, fields },
        CommandKind::HGetDel => Command::HGetDel { key, fields },
        CommandKind::HPersist => Command::HPersist { key, fields },
        // No `{:?}` of the kind: that would compile in the table of every variant's name.
        _ => unreachable!("only the commands that take `key FIELDS n field …` alone come here"),
    })
}

/// `HGETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST] FIELDS numfields field …`.
pub(super) fn hgetex<A: AsRef<[u8]>>(args: &[A]) -> Result<Command, Error> {
    let opt = args[2].as_ref();
    let (option, at) = if let Some(kind) = expiry_kind(opt) {
        (
            Some(GetExOption::Expiry(expiry(kind, args[3].as_ref())?)),
            4,
        )
    } else if eq(opt, "PERSIST") {
        (Some(GetExOption::Persist), 3)
    } else {
        (None, 2)
    };
    Ok(Command::HGetEx {
        key: args[1].as_ref().to_vec(),
        option,
        fields: fields(args, at)?,
    })
}

/// `HSETEX key [FNX|FXX] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL] FIELDS numfields field value …`:
/// the options in any order, each kind at most once.
pub(super) fn hsetex<A: AsRef<[u8]>>(args: &[A]) -> Result<Command, Error> {
    let mut condition = None;
    let mut ttl = None;
    let mut i = 2;
    while i < args.len() && !eq(args[i].as_ref(), "FIELDS") {
        let opt = args[i].as_ref();
        if eq(opt, "FNX") || eq(opt, "FXX") {
            if condition.is_some() {
                return Err(Error::Syntax);
            }
            let fnx = eq(opt, "FNX");
            condition = Some(if fnx {
                FieldSetCondition::Fnx
            } else {
                FieldSetCondition::Fxx
            });
            i += 1;
        } else if ttl.is_some() {
            return Err(Error::Syntax);
        } else if eq(opt, "KEEPTTL") {
            ttl = Some(FieldSetTtl::Keep);
            i += 1;
        } else if let Some(kind) = expiry_kind(opt) {
            let raw = args.get(i + 1).ok_or(Error::Syntax)?;
            ttl = Some(FieldSetTtl::Set(expiry(kind, raw.as_ref())?));
            i += 2;
        } else {
            return Err(Error::FieldsMissing);
        }
    }
    if i >= args.len() {
        return Err(Error::FieldsMissing);
    }
    let count = args
        .get(i + 1)
        .and_then(|n| parse_i64(n.as_ref()))
        .filter(|n| *n > 0)
        .ok_or(Error::NumFieldsNotPositive)?;
    let rest = &args[(i + 2).min(args.len())..];
    if usize::try_from(count).ok().and_then(|n| n.checked_mul(2)) != Some(rest.len()) {
        return Err(Error::NumFieldsMismatch);
    }
    Ok(Command::HSetEx {
        key: args[1].as_ref().to_vec(),
        condition: condition.unwrap_or_default(),
        ttl: ttl.unwrap_or_default(),
        pairs: pairs(rest),
    })
}
