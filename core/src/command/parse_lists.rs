//! Reading the list commands with options or several keys (`LPOS`, `LMOVE`, `LMPOP`), with
//! Redis's order of checks and error words.

use super::read::{eq, list};
use super::{Command, ListEnd};
use crate::num::parse_i64;
use crate::Error;

/// `LEFT` or `RIGHT` (any case); anything else is a syntax error.
fn list_end(arg: &[u8]) -> Result<ListEnd, Error> {
    if eq(arg, "LEFT") {
        Ok(ListEnd::Left)
    } else if eq(arg, "RIGHT") {
        Ok(ListEnd::Right)
    } else {
        Err(Error::Syntax)
    }
}

/// A non-negative integer, or `error` (Redis answers the option's own message both for a
/// negative number and for one that does not parse).
fn non_negative(arg: &[u8], error: Error) -> Result<usize, Error> {
    parse_i64(arg)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(error)
}

/// `LPOS key element [RANK rank] [COUNT count] [MAXLEN len]`: options in any order, the last
/// of a repeated one winning, each checked where it is read.
pub(super) fn lpos<A: AsRef<[u8]>>(args: &[A]) -> Result<Command, Error> {
    let (mut rank, mut count, mut max_len) = (None, None, None);
    let mut i = 3;
    while i < args.len() {
        let opt = args[i].as_ref();
        let Some(value) = args.get(i + 1).map(AsRef::as_ref) else {
            return Err(Error::Syntax);
        };
        if eq(opt, "RANK") {
            let r = parse_i64(value).ok_or(Error::NotInteger)?;
            if r == 0 {
                return Err(Error::RankZero);
            }
            rank = Some(r);
        } else if eq(opt, "COUNT") {
            count = Some(non_negative(value, Error::CountNegative)?);
        } else if eq(opt, "MAXLEN") {
            max_len = Some(non_negative(value, Error::MaxLenNegative)?);
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    Ok(Command::LPos {
        key: args[1].as_ref().to_vec(),
        element: args[2].as_ref().to_vec(),
        rank,
        count,
        max_len,
    })
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`.
pub(super) fn lmove<A: AsRef<[u8]>>(args: &[A]) -> Result<Command, Error> {
    let from = list_end(args[3].as_ref())?;
    let to = list_end(args[4].as_ref())?;
    Ok(Command::LMove {
        source: args[1].as_ref().to_vec(),
        destination: args[2].as_ref().to_vec(),
        from,
        to,
    })
}

/// `LMPOP numkeys key [key …] LEFT|RIGHT [COUNT count]`: `COUNT` at most once.
pub(super) fn lmpop<A: AsRef<[u8]>>(args: &[A]) -> Result<Command, Error> {
    let numkeys = parse_i64(args[1].as_ref())
        .filter(|n| *n >= 1)
        .ok_or(Error::NumKeysNotPositive)?;
    let where_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(2))
        .filter(|w| *w < args.len())
        .ok_or(Error::Syntax)?;
    let from = list_end(args[where_at].as_ref())?;
    let mut count = None;
    let mut i = where_at + 1;
    while i < args.len() {
        match args.get(i + 1) {
            Some(value) if count.is_none() && eq(args[i].as_ref(), "COUNT") => {
                let n = parse_i64(value.as_ref())
                    .filter(|n| *n >= 1)
                    .ok_or(Error::CountNotPositive)?;
                count = Some(n as usize);
            }
            _ => return Err(Error::Syntax),
        }
        i += 2;
    }
    Ok(Command::LMPop {
        keys: list(&args[2..where_at]),
        from,
        count,
    })
}
