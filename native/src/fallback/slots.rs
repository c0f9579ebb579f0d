//! The outage journal on a Redis Cluster: what makes a replay script touch one slot only.
//!
//! A cluster runs a script on the master of its keys' slot and refuses one whose keys hash
//! to several slots. So on a cluster the recovery cuts every journal batch per hash slot
//! (the entries of one slot, in journal order, in one script call), and every marker a
//! script reads or writes lives in the slot of the keys it guards, through a hash tag chosen
//! for that slot ([`slot_tag`]):
//!
//! | marker | single server | cluster (key in slot `s`, tag `t` = [`slot_tag`]`(s)`) |
//! |---|---|---|
//! | replay (per instance) | `hedgestore:replay:<owner>` | `hedgestore:replay:{t}:<owner>`: one per slot, the last journal sequence number applied *in that slot* |
//! | fresh key | `hedgestore:fresh:<run id>:<key>` | `hedgestore:fresh:{t}:<cluster id>:<key>` |
//! | base | `hedgestore:base:<run id>:<key>` | `hedgestore:base:{t}:<cluster id>:<key>` |
//!
//! `<cluster id>` is a 16-hex-digit digest of the cluster's identity (the sorted run ids of
//! its masters, see [`marker_id`]): the same for every instance that sees the same masters,
//! which the base markers need (the first instance to merge a key wins), and short.
//!
//! Per-key order holds because all of a key's entries are in one slot and the slots of one
//! batch are sent before the next batch. Commands that Redis Cluster itself splits per slot
//! (`DEL`, `UNLINK`, `MSET`, `TOUCH`) are split the same way ([`split_per_slot`]); other
//! writes whose keys span slots are refused during the outage with Redis's own `CROSSSLOT`
//! error, as the cluster would ([`refusal`]), so the journal never holds one.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use hedgestore_core::{Command, Error};

/// Slots in a Redis Cluster.
const SLOTS: usize = 16384;

/// CRC16/XMODEM, the checksum Redis Cluster hashes keys with.
fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The hash slot of `key` (Redis's rule: the part between the first `{` and the next `}`
/// when that part is not empty, else the whole key).
pub(crate) fn slot_of(key: &[u8]) -> u16 {
    let hashed = key
        .iter()
        .position(|&c| c == b'{')
        .and_then(|open| {
            let rest = &key[open + 1..];
            let close = rest.iter().position(|&c| c == b'}')?;
            (close > 0).then(|| &rest[..close])
        })
        .unwrap_or(key);
    crc16(hashed) % SLOTS as u16
}

/// For every slot, a short string whose slot it is: `{tag}` in a key puts the key in that
/// slot. Found once by counting through decimal numbers (about 160 000 checksums).
static TAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut tags = vec![String::new(); SLOTS];
    let mut missing = SLOTS;
    let mut n = 0u64;
    while missing > 0 {
        let tag = n.to_string();
        let slot = usize::from(slot_of(tag.as_bytes()));
        if tags[slot].is_empty() {
            tags[slot] = tag;
            missing -= 1;
        }
        n += 1;
    }
    tags
});

/// A hash tag for `slot` (see [`TAGS`]).
pub(crate) fn slot_tag(slot: u16) -> &'static str {
    &TAGS[usize::from(slot) % SLOTS]
}

/// The replay marker of instance `owner` in `slot`.
pub(crate) fn replay_marker(slot: u16, owner: &str) -> String {
    format!("hedgestore:replay:{{{}}}:{owner}", slot_tag(slot))
}

/// The fresh-key marker prefix for `slot`'s keys, for the cluster whose markers are named by
/// `marker_id` ([`marker_id`]).
pub(crate) fn fresh_prefix(slot: u16, marker_id: &str) -> String {
    format!("hedgestore:fresh:{{{}}}:{marker_id}:", slot_tag(slot))
}

/// The base marker of `key` (in its own slot), for the cluster named by `marker_id`.
pub(crate) fn base_marker(marker_id: &str, key: &[u8]) -> Vec<u8> {
    let mut marker = format!(
        "hedgestore:base:{{{}}}:{marker_id}:",
        slot_tag(slot_of(key))
    )
    .into_bytes();
    marker.extend_from_slice(key);
    marker
}

/// The fresh-key marker of `key` (in its own slot), for the cluster named by `marker_id`.
pub(crate) fn fresh_marker(marker_id: &str, key: &[u8]) -> Vec<u8> {
    let mut marker = fresh_prefix(slot_of(key), marker_id).into_bytes();
    marker.extend_from_slice(key);
    marker
}

/// The name markers use for a cluster whose identity is `cluster_id` (the sorted run ids of
/// its masters joined by `,`): a 64-bit FNV-1a digest in hex, so marker keys stay short
/// and every instance that sees the same masters names them alike.
pub(crate) fn marker_id(cluster_id: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in cluster_id.as_bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// `command` cut per slot, in key order: `DEL`, `UNLINK`, `TOUCH` and `MSET` whose keys
/// span slots become one command per slot (the redis crate splits them the same way on the
/// Redis path, each part atomic, the whole not). Any other command stays whole, under the
/// slot of its first key (`None`: it has no key).
pub(crate) fn split_per_slot(command: &Command) -> Vec<(Option<u16>, Command)> {
    fn group<T: Clone>(items: &[T], key: impl Fn(&T) -> &[u8]) -> BTreeMap<u16, Vec<T>> {
        let mut groups: BTreeMap<u16, Vec<T>> = BTreeMap::new();
        for item in items {
            groups
                .entry(slot_of(key(item)))
                .or_default()
                .push(item.clone());
        }
        groups
    }
    let split_keys = |keys: &[Vec<u8>], make: fn(Vec<Vec<u8>>) -> Command| {
        group(keys, |k| k.as_slice())
            .into_iter()
            .map(|(slot, keys)| (Some(slot), make(keys)))
            .collect::<Vec<_>>()
    };
    match command {
        Command::Del { keys } if spans_slots(command) => {
            split_keys(keys, |keys| Command::Del { keys })
        }
        Command::Unlink { keys } if spans_slots(command) => {
            split_keys(keys, |keys| Command::Unlink { keys })
        }
        Command::Touch { keys } if spans_slots(command) => {
            split_keys(keys, |keys| Command::Touch { keys })
        }
        Command::MSet { pairs } if spans_slots(command) => group(pairs, |(k, _)| k.as_slice())
            .into_iter()
            .map(|(slot, pairs)| (Some(slot), Command::MSet { pairs }))
            .collect(),
        _ => vec![(command.keys().first().map(|k| slot_of(k)), command.clone())],
    }
}

/// Whether `command`'s keys hash to more than one slot.
fn spans_slots(command: &Command) -> bool {
    let keys = command.keys();
    let Some(first) = keys.first().map(|k| slot_of(k)) else {
        return false;
    };
    keys.iter().any(|k| slot_of(k) != first)
}

/// Why a write cannot run on memory during a cluster outage, if it cannot: keys in several
/// slots (Redis's own `CROSSSLOT` error, except for the commands [`split_per_slot`] cuts),
/// or no key at all (`FLUSHDB`, `FLUSHALL`: they would have to reach every master, which
/// no one-slot replay script can, so they need the cluster).
pub(crate) fn refusal(command: &Command) -> Option<Error> {
    if !command.is_write() {
        return None;
    }
    if command.keys().is_empty() {
        return Some(Error::Server(format!(
            "ERR {} needs a reachable Redis Cluster: it is not journaled during an outage",
            command.name()
        )));
    }
    let splittable = matches!(
        command,
        Command::Del { .. } | Command::Unlink { .. } | Command::Touch { .. } | Command::MSet { .. }
    );
    (!splittable && spans_slots(command)).then(cross_slot)
}

/// Redis Cluster's own error for keys of several slots.
pub(crate) fn cross_slot() -> Error {
    Error::from_reply("CROSSSLOT Keys in request don't hash to the same slot")
}

/// The slots of one replay batch: `(slot, [(sequence number, command)])`, each slot's
/// entries in journal order, slots in ascending order.
pub(crate) fn group_batch<'a>(
    entries: impl IntoIterator<Item = (u64, &'a Command)>,
) -> BTreeMap<Option<u16>, Vec<(u64, Command)>> {
    let mut groups: BTreeMap<Option<u16>, Vec<(u64, Command)>> = BTreeMap::new();
    for (seq, command) in entries {
        for (slot, piece) in split_per_slot(command) {
            groups.entry(slot).or_default().push((seq, piece));
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_redis_cluster_hashing_and_hash_tags() {
        // Values from `CLUSTER KEYSLOT` on redis-server 7.
        assert_eq!(slot_of(b"foo"), 12182);
        assert_eq!(slot_of(b"bar"), 5061);
        assert_eq!(
            slot_of(b"123456789"),
            0x31c3,
            "the CRC16/XMODEM check value"
        );
        assert_eq!(slot_of(b"{user1000}.following"), slot_of(b"user1000"));
        assert_eq!(slot_of(b"foo{}{bar}"), slot_of(b"foo{}{bar}"));
        assert_ne!(
            slot_of(b"foo{}{bar}"),
            slot_of(b"bar"),
            "an empty tag hashes all"
        );
        assert_eq!(slot_of(b"foo{{bar}}zap"), slot_of(b"{bar"));
        for key in [&b"a"[..], b"order:17", b"{x}y", b"\xff\x00", b""] {
            let crate_slot = format!("{:?}", redis::cluster_routing::Slot::for_key(key));
            assert_eq!(crate_slot, format!("Slot({})", slot_of(key)), "{key:?}");
        }
    }

    #[test]
    fn every_slot_has_a_tag_that_hashes_to_it_and_markers_share_the_key_slot() {
        for slot in 0..SLOTS as u16 {
            assert_eq!(slot_of(slot_tag(slot).as_bytes()), slot);
        }
        let id = marker_id("a,b,c");
        assert_eq!(id.len(), 16);
        for key in [&b"plain"[..], b"{user:1}:cart", b"a}b{", b"x"] {
            let slot = slot_of(key);
            assert_eq!(slot_of(replay_marker(slot, "owner-1").as_bytes()), slot);
            assert_eq!(slot_of(&base_marker(&id, key)), slot);
            assert_eq!(slot_of(&fresh_marker(&id, key)), slot);
            assert!(fresh_marker(&id, key).starts_with(fresh_prefix(slot, &id).as_bytes()));
        }
    }

    #[test]
    fn a_batch_groups_per_slot_in_journal_order_with_split_commands_under_their_seq() {
        let incr = |k: &str| Command::Incr {
            key: k.as_bytes().to_vec(),
        };
        let journal = [
            (3, incr("a")),
            (4, incr("b")),
            (
                5,
                Command::Del {
                    keys: vec![b"a".to_vec(), b"b".to_vec()],
                },
            ),
            (6, incr("a")),
        ];
        let groups = group_batch(journal.iter().map(|(seq, c)| (*seq, c)));
        let (slot_a, slot_b) = (slot_of(b"a"), slot_of(b"b"));
        assert_ne!(slot_a, slot_b);
        let seqs = |slot: u16| -> Vec<(u64, Vec<Vec<u8>>)> {
            groups[&Some(slot)]
                .iter()
                .map(|(seq, c)| (*seq, c.keys().iter().map(|k| k.to_vec()).collect()))
                .collect()
        };
        assert_eq!(
            seqs(slot_a),
            vec![
                (3, vec![b"a".to_vec()]),
                (5, vec![b"a".to_vec()]),
                (6, vec![b"a".to_vec()])
            ]
        );
        assert_eq!(
            seqs(slot_b),
            vec![(4, vec![b"b".to_vec()]), (5, vec![b"b".to_vec()])]
        );
    }

    #[test]
    fn multi_key_writes_split_per_slot_and_others_across_slots_are_refused() {
        let keys: Vec<Vec<u8>> = (0..20).map(|i| format!("k{i}").into_bytes()).collect();
        let parts = split_per_slot(&Command::Del { keys: keys.clone() });
        assert!(parts.len() > 1);
        let mut seen = Vec::new();
        for (slot, part) in &parts {
            for k in part.keys() {
                assert_eq!(Some(slot_of(k)), *slot);
                seen.push(k.to_vec());
            }
        }
        seen.sort();
        let mut all = keys.clone();
        all.sort();
        assert_eq!(seen, all, "every key once");
        assert!(refusal(&Command::Del { keys }).is_none());
        let rename = Command::Rename {
            key: b"a".to_vec(),
            new_key: b"b".to_vec(),
        };
        assert!(refusal(&rename)
            .expect("across slots")
            .to_string()
            .starts_with("CROSSSLOT"));
        let tagged = Command::Rename {
            key: b"{t}a".to_vec(),
            new_key: b"{t}b".to_vec(),
        };
        assert!(refusal(&tagged).is_none());
        assert_eq!(split_per_slot(&tagged).len(), 1);
        assert!(refusal(&Command::FlushDb).is_some());
        assert!(refusal(&Command::Get { key: b"a".to_vec() }).is_none());
    }
}
