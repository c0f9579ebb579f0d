//! The keyspace as commands: what a log rewrite writes, so that replaying the commands into
//! an empty engine rebuilds every live key, its value and its expiry.

use alloc::vec::Vec;

use super::Engine;
use crate::clock::Clock;
use crate::command::{Command, ExpireCondition, Expiry, SetOptions, ZAddOptions};
use crate::value::Value;

/// Fields or elements per command when a big hash or list is written out, so that no single
/// command (and no log record) grows with the size of one key.
const SNAPSHOT_BATCH: usize = 1024;

impl<C: Clock> Engine<C> {
    /// Calls `emit` with commands that rebuild every live (unexpired) key into an empty
    /// engine: `SET key value [PXAT t]` for a string; `HSET`/`RPUSH`/`SADD`/`ZADD` in batches of
    /// 1024 then `PEXPIREAT` for a hash or list with an expiry; a hash's field TTLs as
    /// `HPEXPIREAT`, one per expiry time and batch. Expiry times are
    /// absolute, so a key whose time passed before the commands are replayed is gone then.
    /// Locks, subscriptions and counters are not part of the keyspace and are not emitted.
    pub fn rebuild_commands(&self, mut emit: impl FnMut(Command)) {
        let now = self.now();
        for i in 0..self.keys.len() {
            let slot = self.keys.slot(i);
            if slot.is_expired(now) {
                continue;
            }
            let key = slot.key.as_bytes();
            let at = slot.expires_at.map(|t| Expiry::PxAt(t.get() as i64));
            match &slot.value {
                Value::Str(value) => {
                    emit(Command::Set {
                        key: key.to_vec(),
                        value: value.to_vec(),
                        options: SetOptions {
                            expiry: at,
                            ..SetOptions::default()
                        },
                    });
                    continue;
                }
                Value::Hash(hash) => {
                    let mut pairs = Vec::new();
                    let live = |field: &[u8]| hash.field_ttl(field).is_none_or(|t| t > now);
                    for (field, value) in hash.iter().filter(|(f, _)| live(f)) {
                        pairs.push((field.clone(), value.clone()));
                        if pairs.len() == SNAPSHOT_BATCH {
                            emit(Command::HSet {
                                key: key.to_vec(),
                                pairs: core::mem::take(&mut pairs),
                            });
                        }
                    }
                    if !pairs.is_empty() {
                        emit(Command::HSet {
                            key: key.to_vec(),
                            pairs,
                        });
                    }
                    // Field TTLs, grouped by time: one `HPEXPIREAT` per time and batch.
                    let mut by_time: Vec<(u64, &Vec<u8>)> = hash
                        .field_ttls()
                        .filter(|(_, t)| *t > now)
                        .map(|(f, t)| (t, f))
                        .collect();
                    by_time.sort_unstable();
                    for group in by_time.chunk_by(|a, b| a.0 == b.0) {
                        for chunk in group.chunks(SNAPSHOT_BATCH) {
                            emit(Command::HExpire {
                                key: key.to_vec(),
                                expiry: Expiry::PxAt(chunk[0].0 as i64),
                                condition: ExpireCondition::Always,
                                fields: chunk.iter().map(|(_, f)| (*f).clone()).collect(),
                            });
                        }
                    }
                }
                Value::Set(set) => {
                    let members: Vec<&Vec<u8>> = set.iter().collect();
                    for chunk in members.chunks(SNAPSHOT_BATCH) {
                        emit(Command::SAdd {
                            key: key.to_vec(),
                            members: chunk.iter().map(|m| (*m).clone()).collect(),
                        });
                    }
                }
                Value::ZSet(zset) => {
                    let entries: Vec<_> = zset.iter().collect();
                    for chunk in entries.chunks(SNAPSHOT_BATCH) {
                        emit(Command::ZAdd {
                            key: key.to_vec(),
                            options: ZAddOptions::default(),
                            pairs: chunk.iter().map(|(score, m)| (*score, m.clone())).collect(),
                        });
                    }
                }
                Value::List(list) => {
                    for chunk in list
                        .items()
                        .iter()
                        .collect::<Vec<_>>()
                        .chunks(SNAPSHOT_BATCH)
                    {
                        emit(Command::RPush {
                            key: key.to_vec(),
                            values: chunk.iter().map(|v| (*v).clone()).collect(),
                        });
                    }
                }
            }
            if let Some(expiry) = at {
                emit(Command::Expire {
                    key: key.to_vec(),
                    expiry,
                    condition: ExpireCondition::Always,
                });
            }
        }
    }
}
