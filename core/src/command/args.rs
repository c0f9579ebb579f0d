//! Writing a command back in Redis's argument-array form: what the Redis backend sends and
//! what the remote protocol carries. `Command::parse(&cmd.to_args()) == Ok(cmd)` for every
//! command (tested).

use alloc::vec;
use alloc::vec::Vec;

use super::{Command, ExpireCondition, Expiry, GetExOption, InsertPosition, KeyType, SetCondition};
use crate::num::{format_f64, format_i64};

fn word(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn int(i: i64) -> Vec<u8> {
    format_i64(i)
}

/// `f64` written so that parsing it back gives the same value (shortest round-trip form).
fn float(f: f64) -> Vec<u8> {
    if f.is_infinite() {
        return word(if f > 0.0 { "inf" } else { "-inf" });
    }
    format_f64(f)
}

fn expiry_args(e: Expiry) -> [Vec<u8>; 2] {
    match e {
        Expiry::Ex(v) => [word("EX"), int(v)],
        Expiry::Px(v) => [word("PX"), int(v)],
        Expiry::ExAt(v) => [word("EXAT"), int(v)],
        Expiry::PxAt(v) => [word("PXAT"), int(v)],
    }
}

impl Command {
    /// The command as Redis's argument array (name first, uppercase).
    pub fn to_args(&self) -> Vec<Vec<u8>> {
        use Command::*;
        let name = word(&self.name().to_ascii_uppercase());
        let mut a = vec![name];
        match self {
            Get { key }
            | GetDel { key }
            | Incr { key }
            | Decr { key }
            | StrLen { key }
            | Ttl { key }
            | PTtl { key }
            | Persist { key }
            | Type { key }
            | HGetAll { key }
            | HLen { key }
            | HKeys { key }
            | HVals { key }
            | LLen { key } => a.push(key.clone()),
            Set {
                key,
                value,
                options,
            } => {
                a.extend([key.clone(), value.clone()]);
                match options.condition {
                    SetCondition::Always => {}
                    SetCondition::IfNotExists => a.push(word("NX")),
                    SetCondition::IfExists => a.push(word("XX")),
                }
                if options.get {
                    a.push(word("GET"));
                }
                match options.expiry {
                    Some(e) => a.extend(expiry_args(e)),
                    None if options.keep_ttl => a.push(word("KEEPTTL")),
                    None => {}
                }
            }
            GetEx { key, option } => {
                a.push(key.clone());
                match option {
                    None => {}
                    Some(GetExOption::Persist) => a.push(word("PERSIST")),
                    Some(GetExOption::Expiry(e)) => a.extend(expiry_args(*e)),
                }
            }
            MGet { keys } | Del { keys } | Exists { keys } => a.extend(keys.iter().cloned()),
            MSet { pairs } => {
                for (k, v) in pairs {
                    a.extend([k.clone(), v.clone()]);
                }
            }
            SetNx { key, value } | Append { key, value } => a.extend([key.clone(), value.clone()]),
            IncrBy { key, delta } | DecrBy { key, delta } => a.extend([key.clone(), int(*delta)]),
            IncrByFloat { key, delta } => a.extend([key.clone(), float(*delta)]),
            Expire {
                key,
                expiry,
                condition,
            } => {
                let t = match expiry {
                    Expiry::Ex(v) | Expiry::Px(v) | Expiry::ExAt(v) | Expiry::PxAt(v) => *v,
                };
                a.extend([key.clone(), int(t)]);
                let words: &[&str] = match condition {
                    ExpireCondition::Always => &[],
                    ExpireCondition::Nx => &["NX"],
                    ExpireCondition::Xx => &["XX"],
                    ExpireCondition::Gt => &["GT"],
                    ExpireCondition::Lt => &["LT"],
                    ExpireCondition::XxGt => &["XX", "GT"],
                    ExpireCondition::XxLt => &["XX", "LT"],
                };
                a.extend(words.iter().map(|w| word(w)));
            }
            Rename { key, new_key } => a.extend([key.clone(), new_key.clone()]),
            Keys { pattern } => a.push(pattern.clone()),
            Scan {
                cursor,
                pattern,
                count,
                key_type,
            } => {
                a.push(int(*cursor as i64));
                if let Some(p) = pattern {
                    a.extend([word("MATCH"), p.clone()]);
                }
                if let Some(c) = count {
                    a.extend([word("COUNT"), int(*c as i64)]);
                }
                if let Some(t) = key_type {
                    let name = match t {
                        KeyType::String => "string",
                        KeyType::Hash => "hash",
                        KeyType::List => "list",
                    };
                    a.extend([word("TYPE"), word(name)]);
                }
            }
            DbSize | FlushDb => {}
            PubSubNumPat => a.push(word("NUMPAT")),
            Ping { message } => a.extend(message.iter().cloned()),
            HSet { key, pairs } => {
                a.push(key.clone());
                for (f, v) in pairs {
                    a.extend([f.clone(), v.clone()]);
                }
            }
            HGet { key, field } | HExists { key, field } => a.extend([key.clone(), field.clone()]),
            HMGet { key, fields } | HDel { key, fields } => {
                a.push(key.clone());
                a.extend(fields.iter().cloned());
            }
            HIncrBy { key, field, delta } => a.extend([key.clone(), field.clone(), int(*delta)]),
            HIncrByFloat { key, field, delta } => {
                a.extend([key.clone(), field.clone(), float(*delta)])
            }
            HSetNx { key, field, value } => a.extend([key.clone(), field.clone(), value.clone()]),
            LPush { key, values }
            | RPush { key, values }
            | LPushX { key, values }
            | RPushX { key, values } => {
                a.push(key.clone());
                a.extend(values.iter().cloned());
            }
            LPop { key, count } | RPop { key, count } => {
                a.push(key.clone());
                if let Some(c) = count {
                    a.push(int(*c as i64));
                }
            }
            LRange { key, start, stop } | LTrim { key, start, stop } => {
                a.extend([key.clone(), int(*start), int(*stop)])
            }
            LIndex { key, index } => a.extend([key.clone(), int(*index)]),
            LSet { key, index, value } => a.extend([key.clone(), int(*index), value.clone()]),
            LRem { key, count, value } => a.extend([key.clone(), int(*count), value.clone()]),
            LInsert {
                key,
                position,
                pivot,
                value,
            } => {
                let where_ = match position {
                    InsertPosition::Before => "BEFORE",
                    InsertPosition::After => "AFTER",
                };
                a.extend([key.clone(), word(where_), pivot.clone(), value.clone()]);
            }
            Publish { channel, message } => a.extend([channel.clone(), message.clone()]),
            PubSubChannels { pattern } => {
                a.push(word("CHANNELS"));
                a.extend(pattern.iter().cloned());
            }
            PubSubNumSub { channels } => {
                a.push(word("NUMSUB"));
                a.extend(channels.iter().cloned());
            }
        }
        a
    }
}
