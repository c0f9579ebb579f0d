//! The reply budget: no answer is larger than [`ProxyConfig::max_reply`]
//! (`HEDGESTORE_PROXY_MAX_REPLY`, default 8 MiB, like Upstash's response size limit), and no
//! request makes the proxy build a reply much larger than that first.
//!
//! A reply can only be much larger than the data it reads by *repeating* it: `MGET b b b …`
//! with a 1 MB `b` is 3 GB from a 15 KB request, and so is a pipeline of 3 000 `GET b`.
//! Reading data once is bounded by what is stored (`HEDGESTORE_MAX_MEMORY` on the memory
//! backend). So the checks are:
//!
//! * **Before running**, where repetition or loss is possible ([`ReplySizer::fits_before`]):
//!   `MGET` with repeated or many keys sums the values' lengths (`STRLEN`, no copy) and
//!   `HMGET` with repeated fields measures each distinct field once; commands that remove what
//!   they return (`GETDEL`, `SET … GET`, `LPOP`/`RPOP`) are measured first, so a value is
//!   never removed and then refused; and once a pipeline has used half of the budget, every
//!   following `GET` is measured before it runs.
//! * **Exactly, before encoding** ([`encoded_len`]): the JSON size of a reply is computed
//!   without building it; a reply that does not fit is dropped and answered with the error.
//! * **A transaction** (`/multi-exec`) is all-or-nothing, so its replies are bounded *before*
//!   it runs ([`ReplySizer::transaction_bound`]): every read is measured once (repeats are
//!   counted, not re-read) and grows by what the earlier writes of the batch can add.
//!
//! [`ProxyConfig::max_reply`]: crate::ProxyConfig::max_reply

use std::collections::HashMap;

use futures_util::future::join_all;
use hedgestore_core::codec::Encoding;
use hedgestore_core::{Command, Reply, ZRangeBy};
use hedgestore_native::Storage;

/// `{"result":` and `}` around every result.
pub(crate) const RESULT_FRAME: usize = 11;

/// Bytes a reply the budget does not measure can take at most (`OK`, an integer, a status, a
/// small bulk like a float's text).
const SMALL_REPLY: usize = 64;

/// Keys whose lengths are asked for at once when sizing an `MGET`.
const STRLEN_BATCH: usize = 256;

/// `MGET` with more keys than this is sized before it runs even without repeated keys.
const MGET_UNCHECKED_KEYS: usize = 8;

/// The reply does not fit the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OverBudget;

/// The error text of a reply over the budget: `ERR reply exceeds 8 MB
/// (HEDGESTORE_PROXY_MAX_REPLY)`.
pub(crate) fn over_budget_message(limit: usize) -> String {
    format!(
        "ERR reply exceeds {} (HEDGESTORE_PROXY_MAX_REPLY)",
        human_size(limit)
    )
}

/// `8 MB`, `64 KB` or `1000 bytes` (binary multiples, as the settings are parsed).
pub(crate) fn human_size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes % (1 << 10) == 0 {
        format!("{} KB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// The exact length of `bytes` written as one JSON string in `encoding`, as
/// [`hedgestore_core::codec`] writes it (base64; or lossy UTF-8 with JSON escapes).
pub(crate) fn bytes_len(bytes: &[u8], encoding: Encoding) -> usize {
    match encoding {
        Encoding::Base64 => 2 + bytes.len().div_ceil(3) * 4,
        Encoding::Plain => {
            let mut n = 2;
            for chunk in bytes.utf8_chunks() {
                for &b in chunk.valid().as_bytes() {
                    n += match b {
                        b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
                        0..=0x1f => 6,
                        _ => 1,
                    };
                }
                if !chunk.invalid().is_empty() {
                    n += '\u{FFFD}'.len_utf8();
                }
            }
            n
        }
    }
}

fn decimal_len(i: i64) -> usize {
    let mut n = usize::from(i < 0) + 1;
    let mut rest = i.unsigned_abs();
    while rest >= 10 {
        rest /= 10;
        n += 1;
    }
    n
}

/// The exact length of `reply` encoded as JSON (the value inside `{"result": …}`), computed
/// without building it.
pub(crate) fn encoded_len(reply: &Reply, encoding: Encoding) -> usize {
    match reply {
        Reply::Nil | Reply::Ok => 4,
        Reply::Status(s) => bytes_len(s.as_bytes(), encoding),
        Reply::Int(i) => decimal_len(*i),
        Reply::Bulk(b) => bytes_len(b, encoding),
        Reply::Array(items) => {
            2 + items.len().saturating_sub(1)
                + items
                    .iter()
                    .map(|item| encoded_len(item, encoding))
                    .sum::<usize>()
        }
    }
}

/// Measures what replies will take before they are built, remembering what it measured
/// (repeated keys and commands are measured once).
pub(crate) struct ReplySizer<'a> {
    storage: &'a Storage,
    encoding: Encoding,
    limit: usize,
    /// Encoded length of `GET key` now.
    values: HashMap<Vec<u8>, usize>,
    /// `STRLEN key` now.
    lengths: HashMap<Vec<u8>, usize>,
    /// Encoded length of a read command's reply now, by its arguments.
    reads: HashMap<Vec<Vec<u8>>, usize>,
}

impl<'a> ReplySizer<'a> {
    pub(crate) fn new(storage: &'a Storage, encoding: Encoding, limit: usize) -> Self {
        Self {
            storage,
            encoding,
            limit,
            values: HashMap::new(),
            lengths: HashMap::new(),
            reads: HashMap::new(),
        }
    }

    /// How replies are encoded (their lengths depend on it).
    pub(crate) fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The encoded length of the reply `command` gives now (an error counts as small: the
    /// command will fail the same way or reply little).
    async fn measure(&self, command: Command) -> usize {
        match self.storage.execute(command).await {
            Ok(reply) => encoded_len(&reply, self.encoding),
            Err(_) => SMALL_REPLY,
        }
    }

    async fn value_len(&mut self, key: &[u8]) -> usize {
        if let Some(n) = self.values.get(key) {
            return *n;
        }
        let n = self.measure(Command::Get { key: key.to_vec() }).await;
        self.values.insert(key.to_vec(), n);
        n
    }

    /// What a list pop of `count` would return, measured with `LRANGE` (no change).
    async fn pop_len(&self, key: &[u8], count: Option<usize>, left: bool) -> usize {
        let n = i64::try_from(count.unwrap_or(1).max(1)).unwrap_or(i64::MAX);
        let (start, stop) = if left { (0, n - 1) } else { (-n, -1) };
        self.measure(Command::LRange {
            key: key.to_vec(),
            start,
            stop,
        })
        .await
    }

    /// What a set or sorted set pop of `count` would return, measured with a read that
    /// changes nothing (`SRANDMEMBER`, `ZRANGE … WITHSCORES`): an estimate for `SPOP`,
    /// whose members are random.
    async fn collection_pop_len(&self, command: &Command) -> usize {
        let n =
            |count: &Option<usize>| i64::try_from(count.unwrap_or(1).max(1)).unwrap_or(i64::MAX);
        let read = match command {
            Command::SPop { key, count } => Command::SRandMember {
                key: key.clone(),
                count: Some(n(count)),
            },
            Command::ZPopMin { key, count } | Command::ZPopMax { key, count } => {
                let n = n(count);
                let min = matches!(command, Command::ZPopMin { .. });
                let (start, stop) = if min { (0, n - 1) } else { (-n, -1) };
                Command::ZRange {
                    key: key.clone(),
                    by: ZRangeBy::Rank(start, stop),
                    rev: false,
                    limit: None,
                    with_scores: true,
                }
            }
            _ => return SMALL_REPLY,
        };
        self.measure(read).await
    }

    /// The sum of the raw lengths of `keys`' string values (each counted as often as it is
    /// named), a lower bound of an `MGET`'s reply; stops early once past `room`.
    async fn strlen_sum(&mut self, keys: &[Vec<u8>], room: usize) -> usize {
        let mut missing: Vec<&Vec<u8>> = keys
            .iter()
            .filter(|k| !self.lengths.contains_key(k.as_slice()))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        let mut occurrences: HashMap<&[u8], usize> = HashMap::new();
        for key in keys {
            *occurrences.entry(key).or_default() += 1;
        }
        let mut total: usize = keys
            .iter()
            .filter_map(|k| self.lengths.get(k.as_slice()))
            .map(|n| n + 2)
            .sum();
        for batch in missing.chunks(STRLEN_BATCH) {
            if total > room {
                break;
            }
            let answers = join_all(
                batch
                    .iter()
                    .map(|key| self.storage.execute(Command::StrLen { key: key.to_vec() })),
            )
            .await;
            for (key, answer) in batch.iter().zip(answers) {
                // A key of another type is `nil` in an `MGET`.
                let n = match answer {
                    Ok(Reply::Int(n)) => usize::try_from(n).unwrap_or(0),
                    _ => 0,
                };
                self.lengths.insert(key.to_vec(), n);
                total = total.saturating_add((n + 2).saturating_mul(occurrences[key.as_slice()]));
            }
        }
        total
    }

    /// Checks, before `command` runs alone or in a pipeline with `room` bytes left, the cases
    /// where building its reply first could cost far more than the budget or lose data.
    pub(crate) async fn fits_before(
        &mut self,
        command: &Command,
        room: usize,
    ) -> Result<(), OverBudget> {
        let needed = match command {
            Command::MGet { keys } => {
                if keys.len() <= MGET_UNCHECKED_KEYS && !has_repeats(keys) {
                    return Ok(());
                }
                self.strlen_sum(keys, room).await
            }
            Command::HMGet { key, fields } if has_repeats(fields) => {
                let mut distinct = fields.clone();
                distinct.sort_unstable();
                distinct.dedup();
                let measured = self
                    .storage
                    .execute(Command::HMGet {
                        key: key.clone(),
                        fields: distinct.clone(),
                    })
                    .await;
                let Ok(Reply::Array(values)) = measured else {
                    return Ok(());
                };
                let sizes: HashMap<&[u8], usize> = distinct
                    .iter()
                    .map(Vec::as_slice)
                    .zip(values.iter().map(|v| encoded_len(v, self.encoding)))
                    .collect();
                fields
                    .iter()
                    .map(|f| sizes.get(f.as_slice()).copied().unwrap_or(4) + 1)
                    .fold(0usize, usize::saturating_add)
            }
            Command::GetDel { key } | Command::GetSet { key, .. } => self.value_len(key).await,
            Command::SPop { count: Some(_), .. }
            | Command::ZPopMin { .. }
            | Command::ZPopMax { .. } => self.collection_pop_len(command).await,
            Command::Set { key, options, .. } if options.get => self.value_len(key).await,
            Command::LPop { key, count } => self.pop_len(key, *count, true).await,
            Command::RPop { key, count } => self.pop_len(key, *count, false).await,
            Command::Get { key } | Command::GetEx { key, .. } if room < self.limit / 2 => {
                self.strlen_sum(std::slice::from_ref(key), room).await
            }
            _ => return Ok(()),
        };
        if needed > room {
            Err(OverBudget)
        } else {
            Ok(())
        }
    }

    /// An upper bound of the encoded replies of a transaction of `commands` (with their
    /// argument arrays), each inside `{"result": …}`, measured before it runs. Stops with
    /// [`OverBudget`] as soon as the bound passes the budget.
    ///
    /// Each read is measured now (a repeated key or command once) and may have grown by every
    /// byte the batch's earlier writes carry: written bytes can appear in a reply at most 6
    /// times over (JSON escapes), plus the framing of the elements they add.
    pub(crate) async fn transaction_bound(
        &mut self,
        commands: &[(&[Vec<u8>], &Command)],
    ) -> Result<usize, OverBudget> {
        let mut total = 2usize;
        let mut written = 0usize;
        for (args, command) in commands {
            let slack = written.saturating_mul(6);
            let reply = match command {
                Command::Get { key }
                | Command::GetDel { key }
                | Command::GetEx { key, .. }
                | Command::GetSet { key, .. } => self.value_len(key).await.saturating_add(slack),
                Command::SPop { .. } | Command::ZPopMin { .. } | Command::ZPopMax { .. } => {
                    self.collection_pop_len(command).await.saturating_add(slack)
                }
                Command::Set { key, options, .. } if options.get => {
                    self.value_len(key).await.saturating_add(slack)
                }
                Command::MGet { keys } => {
                    let mut sum = 2usize;
                    for key in keys {
                        let n = self.value_len(key).await;
                        sum = sum.saturating_add(n + 1).saturating_add(slack);
                        if sum > self.limit {
                            return Err(OverBudget);
                        }
                    }
                    sum
                }
                Command::LPop { key, count } => {
                    self.pop_len(key, *count, true).await.saturating_add(slack)
                }
                Command::RPop { key, count } => {
                    self.pop_len(key, *count, false).await.saturating_add(slack)
                }
                Command::HGet { .. }
                | Command::HMGet { .. }
                | Command::HGetAll { .. }
                | Command::HKeys { .. }
                | Command::HVals { .. }
                | Command::LRange { .. }
                | Command::LIndex { .. }
                | Command::Keys { .. }
                | Command::Scan { .. }
                | Command::PubSubChannels { .. }
                | Command::GetRange { .. }
                | Command::SMembers { .. }
                | Command::SInter { .. }
                | Command::SUnion { .. }
                | Command::SDiff { .. }
                | Command::SRandMember { .. }
                | Command::SMIsMember { .. }
                | Command::SScan { .. }
                | Command::ZMScore { .. }
                | Command::ZRange { .. }
                | Command::ZRevRange { .. }
                | Command::ZRangeByScore { .. }
                | Command::ZRevRangeByScore { .. }
                | Command::ZRangeByLex { .. }
                | Command::ZRevRangeByLex { .. }
                | Command::ZRandMember { .. }
                | Command::ZScan { .. } => {
                    let n = match self.reads.get(*args) {
                        Some(n) => *n,
                        None => {
                            let n = self.measure((*command).clone()).await;
                            self.reads.insert(args.to_vec(), n);
                            n
                        }
                    };
                    n.saturating_add(slack)
                }
                Command::Ping { message: Some(m) } | Command::Echo { message: m } => {
                    bytes_len(m, self.encoding)
                }
                _ => SMALL_REPLY,
            };
            total = total.saturating_add(reply).saturating_add(RESULT_FRAME + 1);
            if total > self.limit {
                return Err(OverBudget);
            }
            if command.is_write() {
                written = args
                    .iter()
                    .map(|a| a.len() + 8)
                    .fold(written, usize::saturating_add);
            }
        }
        Ok(total)
    }
}

fn has_repeats(items: &[Vec<u8>]) -> bool {
    let mut seen: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    seen.sort_unstable();
    seen.windows(2).any(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests {
    use hedgestore_core::codec::encode_result;

    use super::*;

    fn exact(reply: &Reply, encoding: Encoding) {
        let encoded = encode_result(reply, encoding);
        assert_eq!(
            encoded_len(reply, encoding) + RESULT_FRAME,
            encoded.len(),
            "{encoded}"
        );
    }

    #[test]
    fn encoded_len_is_exact() {
        let samples = [
            Reply::Nil,
            Reply::Ok,
            Reply::Status("PONG"),
            Reply::Int(0),
            Reply::Int(-1234567890),
            Reply::Int(i64::MIN),
            Reply::Bulk(Vec::new()),
            Reply::Bulk(b"a\"b\\c\nd\re\tf\x08\x0c\x01\x1f\x7f".to_vec()),
            Reply::Bulk(vec![0xff, b'a', 0xe2, 0x82, b'b', 0xf0, 0x9f, 0x98, 0x80]),
            Reply::Bulk("héllo €".as_bytes().to_vec()),
            Reply::Array(vec![]),
            Reply::Array(vec![
                Reply::Bulk(b"x".to_vec()),
                Reply::Nil,
                Reply::Array(vec![Reply::Int(7), Reply::Bulk(vec![0; 5])]),
            ]),
        ];
        for reply in &samples {
            exact(reply, Encoding::Plain);
            exact(reply, Encoding::Base64);
        }
    }

    #[test]
    fn sizes_read_like_the_setting() {
        assert_eq!(
            over_budget_message(8 << 20),
            "ERR reply exceeds 8 MB (HEDGESTORE_PROXY_MAX_REPLY)"
        );
        assert_eq!(human_size(64 << 10), "64 KB");
        assert_eq!(human_size(1000), "1000 bytes");
    }

    #[test]
    fn repeats_are_found() {
        assert!(!has_repeats(&[b"a".to_vec(), b"b".to_vec()]));
        assert!(has_repeats(&[b"a".to_vec(), b"b".to_vec(), b"a".to_vec()]));
    }
}
