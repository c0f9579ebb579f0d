//! The forms a write is recorded in, shared by native's fallback (its memory mirror and
//! outage journal), the append-only log of native memory-only storage and the browser's
//! persisted `MemoryStore` (IndexedDB): by value where its effect depends on what it read or
//! on a random choice, and with absolute expiry times. Pure (no clock, no I/O): the host
//! passes the time.

use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use crate::{Command, Expiry, FieldSetTtl, GetExOption, ListEnd, Reply, SetOptions, ZAddOptions};

/// The bytes `command` takes in a log or journal: its arguments, with 8 bytes of framing each.
pub fn command_bytes(command: &Command) -> usize {
    command.to_args().iter().map(|a| a.len() + 8).sum()
}

/// What the journal stores for a write, and its size against the journal's bound. Relative
/// expiry times become absolute here, at `now` (Unix ms), the moment the write is applied to
/// memory, so a replay long after it never extends a TTL and never brings back a key that
/// has expired meanwhile.
pub fn journal_form(command: &Command, now: i64) -> (Command, usize) {
    let command = absolute_expiry(command.clone(), now);
    let bytes = command_bytes(&command);
    (command, bytes)
}

/// `command` with every relative expiry (`EX`, `PX`, `EXPIRE`, `PEXPIRE`, `HEXPIRE`,
/// `HPEXPIRE`, `HGETEX`'s and `HSETEX`'s `EX`/`PX`) turned into the absolute Unix time in milliseconds it meant at `now` (`PXAT`,
/// `PEXPIREAT`, `HPEXPIREAT`).
fn absolute_expiry(command: Command, now: i64) -> Command {
    fn at(expiry: Expiry, now: i64) -> Expiry {
        match expiry {
            Expiry::Ex(s) => Expiry::PxAt(now.saturating_add(s.saturating_mul(1000))),
            Expiry::Px(ms) => Expiry::PxAt(now.saturating_add(ms)),
            absolute @ (Expiry::ExAt(_) | Expiry::PxAt(_)) => absolute,
        }
    }
    match command {
        Command::Set {
            key,
            value,
            mut options,
        } => {
            options.expiry = options.expiry.map(|e| at(e, now));
            Command::Set {
                key,
                value,
                options,
            }
        }
        Command::GetEx {
            key,
            option: Some(GetExOption::Expiry(e)),
        } => Command::GetEx {
            key,
            option: Some(GetExOption::Expiry(at(e, now))),
        },
        Command::Expire {
            key,
            expiry,
            condition,
        } => Command::Expire {
            key,
            expiry: at(expiry, now),
            condition,
        },
        Command::HExpire {
            key,
            expiry,
            condition,
            fields,
        } => Command::HExpire {
            key,
            expiry: at(expiry, now),
            condition,
            fields,
        },
        Command::HGetEx {
            key,
            option: Some(GetExOption::Expiry(e)),
            fields,
        } => Command::HGetEx {
            key,
            option: Some(GetExOption::Expiry(at(e, now))),
            fields,
        },
        Command::HSetEx {
            key,
            condition,
            ttl: FieldSetTtl::Set(e),
            pairs,
        } => Command::HSetEx {
            key,
            condition,
            ttl: FieldSetTtl::Set(at(e, now)),
            pairs,
        },
        other => other,
    }
}

/// How a write that succeeded on Redis is copied into memory (the warm mirror): counters by
/// the value Redis answered, so the mirror never drifts; writes whose effect depends on
/// what Redis held (a random pop, a conditional move) by what Redis answered it did; other
/// writes as they are. Empty for a command that does not write, or for a write whose reply
/// says it changed nothing.
pub fn mirror_form(command: &Command, reply: &Reply) -> Vec<Command> {
    if !command.is_write() {
        return Vec::new();
    }
    let by_value = match (command, reply) {
        (
            Command::Incr { key }
            | Command::Decr { key }
            | Command::IncrBy { key, .. }
            | Command::DecrBy { key, .. },
            Reply::Int(v),
        ) => Some(Command::Set {
            key: key.clone(),
            value: v.to_string().into_bytes(),
            options: SetOptions::default().keep_ttl(),
        }),
        (Command::IncrByFloat { key, .. }, Reply::Bulk(v)) => Some(Command::Set {
            key: key.clone(),
            value: v.clone(),
            options: SetOptions::default().keep_ttl(),
        }),
        (Command::HIncrBy { key, field, .. }, Reply::Int(v)) => Some(Command::HSet {
            key: key.clone(),
            pairs: vec![(field.clone(), v.to_string().into_bytes())],
        }),
        (Command::HIncrByFloat { key, field, .. }, Reply::Bulk(v)) => Some(Command::HSet {
            key: key.clone(),
            pairs: vec![(field.clone(), v.clone())],
        }),
        _ => None,
    };
    if let Some(copy) = by_value {
        return vec![copy];
    }
    collection_mirror(command, reply).unwrap_or_else(|| vec![command.clone()])
}

/// [`mirror_form`], taking the command and handing each copy to `apply`: a write copied
/// as it is (`SET`, `HSET`, `RPUSH` …, most of them) is moved rather than cloned, and no
/// vector is built for it.
pub fn for_each_mirror_form(command: Command, reply: &Reply, mut apply: impl FnMut(Command)) {
    let as_is = command.is_write()
        && !matches!(
            (&command, reply),
            (
                Command::Incr { .. }
                    | Command::Decr { .. }
                    | Command::IncrBy { .. }
                    | Command::DecrBy { .. }
                    | Command::HIncrBy { .. },
                Reply::Int(_)
            ) | (
                Command::IncrByFloat { .. } | Command::HIncrByFloat { .. },
                Reply::Bulk(_)
            )
        )
        && collection_mirror(&command, reply).is_none();
    if as_is {
        apply(command);
    } else {
        mirror_form(&command, reply).into_iter().for_each(apply);
    }
}

/// The by-value copies of set and sorted set writes (and `MSETNX`, the `*STORE`s) whose
/// effect Redis chose: `None` to copy the command as it is.
fn collection_mirror(command: &Command, reply: &Reply) -> Option<Vec<Command>> {
    let bulks = |items: &[Reply], step: usize| -> Vec<Vec<u8>> {
        items
            .iter()
            .step_by(step)
            .filter_map(|r| match r {
                Reply::Bulk(b) => Some(b.clone()),
                _ => None,
            })
            .collect()
    };
    let unless_empty = |c: Command, n: usize| if n == 0 { vec![] } else { vec![c] };
    let score = |v: &[u8]| core::str::from_utf8(v).ok()?.parse::<f64>().ok();
    Some(match (command, reply) {
        // Redis picked the members: remove exactly those.
        (Command::SPop { key, .. }, Reply::Bulk(m)) => vec![Command::SRem {
            key: key.clone(),
            members: vec![m.clone()],
        }],
        (Command::SPop { key, .. }, Reply::Array(items)) => {
            let members = bulks(items, 1);
            let n = members.len();
            unless_empty(
                Command::SRem {
                    key: key.clone(),
                    members,
                },
                n,
            )
        }
        (Command::SPop { .. }, Reply::Nil) => vec![],
        (Command::ZPopMin { key, .. } | Command::ZPopMax { key, .. }, Reply::Array(items)) => {
            let members = bulks(items, 2);
            let n = members.len();
            unless_empty(
                Command::ZRem {
                    key: key.clone(),
                    members,
                },
                n,
            )
        }
        // The score Redis computed.
        (Command::ZIncrBy { key, member, .. }, Reply::Bulk(v)) => vec![Command::ZAdd {
            key: key.clone(),
            options: ZAddOptions::default(),
            pairs: vec![(score(v)?, member.clone())],
        }],
        (
            Command::ZAdd {
                key,
                options,
                pairs,
            },
            Reply::Bulk(v),
        ) if options.incr => {
            vec![Command::ZAdd {
                key: key.clone(),
                options: ZAddOptions::default(),
                pairs: vec![(score(v)?, pairs.first()?.1.clone())],
            }]
        }
        (Command::ZAdd { options, .. }, Reply::Nil) if options.incr => vec![],
        // Whether the member moved, and the keys' values, are Redis's.
        (
            Command::SMove {
                source,
                destination,
                member,
            },
            Reply::Int(1),
        ) => vec![
            Command::SRem {
                key: source.clone(),
                members: vec![member.clone()],
            },
            Command::SAdd {
                key: destination.clone(),
                members: vec![member.clone()],
            },
        ],
        (Command::SMove { .. } | Command::MSetNx { .. }, Reply::Int(0)) => vec![],
        (Command::MSetNx { pairs }, Reply::Int(1)) => vec![Command::MSet {
            pairs: pairs.clone(),
        }],
        // An empty combination deleted the destination on Redis, whatever memory holds.
        (
            Command::SInterStore { destination, .. }
            | Command::SUnionStore { destination, .. }
            | Command::SDiffStore { destination, .. }
            | Command::ZUnionStore { destination, .. }
            | Command::ZInterStore { destination, .. }
            | Command::ZDiffStore { destination, .. }
            | Command::BitOp { destination, .. }
            | Command::ZRangeStore { destination, .. },
            Reply::Int(0),
        ) => vec![Command::Del {
            keys: vec![destination.clone()],
        }],
        // Copies and moves Redis did not make change nothing; one it made is repeated as
        // an unconditional move, whatever memory holds at the destination.
        (Command::Copy { .. } | Command::RenameNx { .. }, Reply::Int(0)) => vec![],
        (Command::RenameNx { key, new_key }, Reply::Int(1)) => vec![Command::Rename {
            key: key.clone(),
            new_key: new_key.clone(),
        }],
        // The elements Redis moved or popped, removed by value from the end they left.
        (
            Command::LMove {
                source,
                destination,
                from,
                to,
            },
            Reply::Bulk(v),
        ) => {
            let values = vec![v.clone()];
            let push = match to {
                ListEnd::Left => Command::LPush {
                    key: destination.clone(),
                    values,
                },
                ListEnd::Right => Command::RPush {
                    key: destination.clone(),
                    values,
                },
            };
            vec![remove_from_end(source, *from, v), push]
        }
        (Command::LMove { .. } | Command::LMPop { .. }, Reply::Nil) => vec![],
        (Command::LMPop { from, .. }, Reply::Array(items)) => match &items[..] {
            [Reply::Bulk(key), Reply::Array(values)] => bulks(values, 1)
                .iter()
                .map(|v| remove_from_end(key, *from, v))
                .collect(),
            _ => return None,
        },
        _ => return None,
    })
}

/// `LREM` of the first element equal to `value`, counted from `end` of the list at `key`.
fn remove_from_end(key: &[u8], end: ListEnd, value: &[u8]) -> Command {
    Command::LRem {
        key: key.to_vec(),
        count: if end == ListEnd::Left { 1 } else { -1 },
        value: value.to_vec(),
    }
}

/// The commands `command` is logged as after it answered `reply`, at `now` (Unix ms): its
/// [`mirror_form`]s (by value where its effect depends on what it read or on a random choice,
/// `SPOP` as the `SREM` of what it popped) in their [`journal_form`] (absolute expiry times).
/// Empty for a read, or for a write that changed nothing.
pub fn logged_form(command: &Command, reply: &Reply, now: i64) -> Vec<Command> {
    mirror_form(command, reply)
        .iter()
        .map(|c| journal_form(c, now).0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }

    fn parse(words: &[&str]) -> Command {
        Command::parse(words).unwrap()
    }

    #[test]
    fn relative_field_expiry_times_become_absolute_in_the_journal() {
        let now = 1_700_000_000_000;
        let journal = |words: &[&str]| journal_form(&parse(words), now).0;
        assert_eq!(
            journal(&["HEXPIRE", "h", "10", "NX", "FIELDS", "1", "f"]),
            parse(&["HPEXPIREAT", "h", "1700000010000", "NX", "FIELDS", "1", "f"])
        );
        assert_eq!(
            journal(&["HPEXPIRE", "h", "250", "FIELDS", "2", "f", "g"]),
            parse(&["HPEXPIREAT", "h", "1700000000250", "FIELDS", "2", "f", "g"])
        );
        assert_eq!(
            journal(&["HEXPIREAT", "h", "5", "FIELDS", "1", "f"]),
            parse(&["HEXPIREAT", "h", "5", "FIELDS", "1", "f"])
        );
        assert_eq!(
            journal(&["HGETEX", "h", "EX", "3", "FIELDS", "1", "f"]),
            parse(&["HGETEX", "h", "PXAT", "1700000003000", "FIELDS", "1", "f"])
        );
        assert_eq!(
            journal(&["HSETEX", "h", "FXX", "PX", "7", "FIELDS", "1", "f", "v"]),
            parse(&[
                "HSETEX",
                "h",
                "FXX",
                "PXAT",
                "1700000000007",
                "FIELDS",
                "1",
                "f",
                "v"
            ])
        );
    }

    #[test]
    fn random_and_conditional_writes_are_mirrored_by_what_redis_did() {
        assert_eq!(
            mirror_form(&parse(&["SPOP", "s"]), &bulk("a")),
            vec![parse(&["SREM", "s", "a"])]
        );
        assert_eq!(
            mirror_form(&parse(&["SPOP", "s", "5"]), &Reply::Array(vec![])),
            vec![]
        );
        assert_eq!(
            mirror_form(
                &parse(&["ZPOPMAX", "z", "2"]),
                &Reply::Array(vec![bulk("b"), bulk("2"), bulk("a"), bulk("1")])
            ),
            vec![parse(&["ZREM", "z", "b", "a"])]
        );
        assert_eq!(
            mirror_form(&parse(&["ZINCRBY", "z", "1.5", "m"]), &bulk("4")),
            vec![parse(&["ZADD", "z", "4", "m"])]
        );
        assert_eq!(
            mirror_form(&parse(&["ZADD", "z", "NX", "INCR", "1", "m"]), &Reply::Nil),
            vec![]
        );
        assert_eq!(
            mirror_form(&parse(&["SMOVE", "a", "b", "m"]), &Reply::Int(1)),
            vec![parse(&["SREM", "a", "m"]), parse(&["SADD", "b", "m"])]
        );
        assert_eq!(
            mirror_form(&parse(&["MSETNX", "k", "v"]), &Reply::Int(0)),
            vec![]
        );
        assert_eq!(
            mirror_form(&parse(&["SINTERSTORE", "d", "a", "b"]), &Reply::Int(0)),
            vec![parse(&["DEL", "d"])]
        );
        assert_eq!(
            mirror_form(&parse(&["SINTERSTORE", "d", "a", "b"]), &Reply::Int(2)),
            vec![parse(&["SINTERSTORE", "d", "a", "b"])]
        );
        assert_eq!(
            mirror_form(&parse(&["BITOP", "AND", "d", "a", "b"]), &Reply::Int(0)),
            vec![parse(&["DEL", "d"])]
        );
        assert_eq!(mirror_form(&parse(&["SCARD", "s"]), &Reply::Int(2)), vec![]);
    }

    #[test]
    fn copies_and_moves_are_mirrored_only_when_redis_made_them() {
        assert_eq!(
            mirror_form(&parse(&["COPY", "a", "b", "REPLACE"]), &Reply::Int(0)),
            vec![]
        );
        assert_eq!(
            mirror_form(&parse(&["COPY", "a", "b"]), &Reply::Int(1)),
            vec![parse(&["COPY", "a", "b"])]
        );
        assert_eq!(
            mirror_form(&parse(&["RENAMENX", "a", "b"]), &Reply::Int(0)),
            vec![]
        );
        assert_eq!(
            mirror_form(&parse(&["RENAMENX", "a", "b"]), &Reply::Int(1)),
            vec![parse(&["RENAME", "a", "b"])]
        );
        assert_eq!(
            mirror_form(&parse(&["UNLINK", "a"]), &Reply::Int(1)),
            vec![parse(&["UNLINK", "a"])]
        );
        assert_eq!(mirror_form(&parse(&["TOUCH", "a"]), &Reply::Int(1)), vec![]);
    }

    #[test]
    fn list_moves_and_pops_are_mirrored_by_the_elements_redis_moved() {
        assert_eq!(
            mirror_form(&parse(&["LMOVE", "a", "b", "RIGHT", "LEFT"]), &bulk("x")),
            vec![
                parse(&["LREM", "a", "-1", "x"]),
                parse(&["LPUSH", "b", "x"])
            ]
        );
        assert_eq!(
            mirror_form(&parse(&["LMOVE", "a", "b", "LEFT", "RIGHT"]), &Reply::Nil),
            vec![]
        );
        assert_eq!(
            mirror_form(
                &parse(&["LMPOP", "2", "a", "b", "LEFT", "COUNT", "2"]),
                &Reply::Array(vec![bulk("b"), Reply::Array(vec![bulk("x"), bulk("y")])])
            ),
            vec![
                parse(&["LREM", "b", "1", "x"]),
                parse(&["LREM", "b", "1", "y"])
            ]
        );
        assert_eq!(
            mirror_form(&parse(&["LMPOP", "1", "a", "RIGHT"]), &Reply::Nil),
            vec![]
        );
    }
}
