//! The argument layout of the hash field expiration commands (`HEXPIRE` … `HPERSIST`,
//! `HGETDEL`, `HGETEX`, `HSETEX`), for [`Command::args`].

use alloc::vec::Vec;

use super::args::{expiry_args, Arg, ArgSink};
use super::{Command, ExpireCondition, Expiry, FieldSetCondition, FieldSetTtl, GetExOption};

/// `FIELDS n field …` of the hash field expiration commands.
fn fields_args<'a>(a: &mut impl ArgSink<'a>, fields: &'a [Vec<u8>]) {
    a.extend([Arg::Word("FIELDS"), Arg::Int(fields.len() as i64)]);
    a.extend(fields.iter().map(|f| Arg::Bytes(f)));
}

/// Appends the arguments after the name of a hash field expiration command to `a`.
pub(super) fn hash_ttl_args<'a>(command: &'a Command, a: &mut impl ArgSink<'a>) {
    use Command::*;
    match command {
        HExpire {
            key,
            expiry,
            condition,
            fields,
        } => {
            let t = match expiry {
                Expiry::Ex(v) | Expiry::Px(v) | Expiry::ExAt(v) | Expiry::PxAt(v) => *v,
            };
            a.extend([Arg::Bytes(key), Arg::Int(t)]);
            let word = match condition {
                ExpireCondition::Always => None,
                ExpireCondition::Nx => Some("NX"),
                ExpireCondition::Xx => Some("XX"),
                ExpireCondition::Gt | ExpireCondition::XxGt => Some("GT"),
                ExpireCondition::Lt | ExpireCondition::XxLt => Some("LT"),
            };
            a.extend(word.map(Arg::Word));
            fields_args(a, fields);
        }
        HGetEx {
            key,
            option,
            fields,
        } => {
            a.push(Arg::Bytes(key));
            match option {
                Some(GetExOption::Expiry(e)) => a.extend(expiry_args(*e)),
                Some(GetExOption::Persist) => a.push(Arg::Word("PERSIST")),
                None => {}
            }
            fields_args(a, fields);
        }
        HSetEx {
            key,
            condition,
            ttl,
            pairs,
        } => {
            a.push(Arg::Bytes(key));
            match condition {
                FieldSetCondition::Always => {}
                FieldSetCondition::Fnx => a.push(Arg::Word("FNX")),
                FieldSetCondition::Fxx => a.push(Arg::Word("FXX")),
            }
            match ttl {
                FieldSetTtl::Clear => {}
                FieldSetTtl::Keep => a.push(Arg::Word("KEEPTTL")),
                FieldSetTtl::Set(e) => a.extend(expiry_args(*e)),
            }
            a.extend([Arg::Word("FIELDS"), Arg::Int(pairs.len() as i64)]);
            for (f, v) in pairs {
                a.extend([Arg::Bytes(f), Arg::Bytes(v)]);
            }
        }
        HTtl { key, fields }
        | HPTtl { key, fields }
        | HExpireTime { key, fields }
        | HPExpireTime { key, fields }
        | HGetDel { key, fields }
        | HPersist { key, fields } => {
            a.push(Arg::Bytes(key));
            fields_args(a, fields);
        }
        other => unreachable!("{} is not a hash field expiration command", other.name()),
    }
}
