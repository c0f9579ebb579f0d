//! The options of the bitmap commands (`BITCOUNT`, `BITPOS`, `BITOP`) and the readers of
//! their arguments, with Redis's rules and error words.

use super::read::{eq, int};
use crate::Error;

/// Redis's largest bit offset plus one: a string holds at most 512 MB, so 2^32 bits.
pub(crate) const MAX_BITS: u64 = 1 << 32;

/// What the offsets of a bit range count (`BYTE` or `BIT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BitUnit {
    /// Offsets count bytes (Redis's default).
    #[default]
    Byte,
    /// Offsets count bits.
    Bit,
}

impl BitUnit {
    /// The option word (`BYTE`, `BIT`).
    pub fn as_str(self) -> &'static str {
        match self {
            BitUnit::Byte => "BYTE",
            BitUnit::Bit => "BIT",
        }
    }
}

/// The range of `BITCOUNT` and `BITPOS`; negative offsets count from the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BitRange {
    /// `start`: from byte `start` to the end of the string. Only `BITPOS` takes it;
    /// `BITCOUNT` answers a syntax error, as Redis does.
    From(i64),
    /// `start end [BYTE|BIT]`: both ends included.
    Between {
        /// First byte or bit of the range.
        start: i64,
        /// Last byte or bit of the range.
        end: i64,
        /// What `start` and `end` count.
        unit: BitUnit,
    },
}

/// The operation of `BITOP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BitOp {
    /// Bitwise AND of every source (missing bytes count as zeros).
    And,
    /// Bitwise OR.
    Or,
    /// Bitwise XOR.
    Xor,
    /// Bitwise NOT of a single source.
    Not,
}

impl BitOp {
    /// The operation's word (`AND`, `OR`, `XOR`, `NOT`).
    pub fn as_str(self) -> &'static str {
        match self {
            BitOp::And => "AND",
            BitOp::Or => "OR",
            BitOp::Xor => "XOR",
            BitOp::Not => "NOT",
        }
    }

    /// Reads the operation's word, in any case.
    pub(super) fn parse(arg: &[u8]) -> Result<BitOp, Error> {
        [BitOp::And, BitOp::Or, BitOp::Xor, BitOp::Not]
            .into_iter()
            .find(|op| eq(arg, op.as_str()))
            .ok_or(Error::Syntax)
    }
}

/// A bit offset (`SETBIT`, `GETBIT`): an integer from 0 to 2^32 − 1.
pub(super) fn bit_offset(arg: &[u8]) -> Result<u64, Error> {
    crate::num::parse_i64(arg)
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| *n < MAX_BITS)
        .ok_or(Error::BitOffset)
}

/// `SETBIT`'s value: 0 or 1.
pub(super) fn bit_value(arg: &[u8]) -> Result<bool, Error> {
    match crate::num::parse_i64(arg) {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(Error::BitValue),
    }
}

/// `BITPOS`'s bit: an integer, 0 or 1.
pub(super) fn bit_argument(arg: &[u8]) -> Result<bool, Error> {
    match int(arg)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Error::BitArgument),
    }
}

fn unit(arg: &[u8]) -> Result<BitUnit, Error> {
    if eq(arg, "bit") {
        Ok(BitUnit::Bit)
    } else if eq(arg, "byte") {
        Ok(BitUnit::Byte)
    } else {
        Err(Error::Syntax)
    }
}

/// `BITCOUNT`'s optional `start end [BYTE|BIT]`, numbers before the unit as Redis reads them.
pub(super) fn bitcount_range<A: AsRef<[u8]>>(rest: &[A]) -> Result<Option<BitRange>, Error> {
    match rest {
        [] => Ok(None),
        [start, end, more @ ..] if more.len() <= 1 => {
            let start = int(start.as_ref())?;
            let end = int(end.as_ref())?;
            let unit = more.first().map(|u| unit(u.as_ref())).transpose()?;
            Ok(Some(BitRange::Between {
                start,
                end,
                unit: unit.unwrap_or_default(),
            }))
        }
        _ => Err(Error::Syntax),
    }
}

/// `BITPOS`'s optional `start [end [BYTE|BIT]]`, read in Redis's order: start, unit, end.
pub(super) fn bitpos_range<A: AsRef<[u8]>>(rest: &[A]) -> Result<Option<BitRange>, Error> {
    match rest {
        [] => Ok(None),
        [start] => Ok(Some(BitRange::From(int(start.as_ref())?))),
        [start, end, more @ ..] if more.len() <= 1 => {
            let start = int(start.as_ref())?;
            let unit = more.first().map(|u| unit(u.as_ref())).transpose()?;
            let end = int(end.as_ref())?;
            Ok(Some(BitRange::Between {
                start,
                end,
                unit: unit.unwrap_or_default(),
            }))
        }
        _ => Err(Error::Syntax),
    }
}
