//! The command log format: records round-trip, and a log cut at any byte, or with any bit
//! flipped, yields exactly the whole, valid records before the damage, never a partial one.

use hedgestore_core::log::{encode_record, Records, Stop};
use hedgestore_core::Command;
use proptest::prelude::*;

fn command() -> impl Strategy<Value = Command> {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..12);
    prop_oneof![
        (bytes(), bytes()).prop_map(|(k, v)| Command::parse(&[b"SET".to_vec(), k, v]).unwrap()),
        bytes().prop_map(|k| Command::parse(&[b"INCR".to_vec(), k]).unwrap()),
        (bytes(), bytes(), bytes()).prop_map(|(k, f, v)| Command::parse(&[
            b"HSET".to_vec(),
            k,
            f,
            v
        ])
        .unwrap()),
        (bytes(), proptest::collection::vec(bytes(), 1..4)).prop_map(|(k, vs)| {
            let mut args = vec![b"RPUSH".to_vec(), k];
            args.extend(vs);
            Command::parse(&args).unwrap()
        }),
        (bytes(), 0i64..2_000_000_000_000).prop_map(|(k, t)| Command::parse(&[
            b"PEXPIREAT".to_vec(),
            k,
            t.to_string().into_bytes()
        ])
        .unwrap()),
    ]
}

fn log() -> impl Strategy<Value = Vec<Vec<Command>>> {
    proptest::collection::vec(proptest::collection::vec(command(), 1..4), 1..8)
}

fn encode(records: &[Vec<Command>]) -> (Vec<u8>, Vec<usize>) {
    let mut bytes = Vec::new();
    let mut ends = Vec::new();
    for record in records {
        encode_record(record, &mut bytes);
        ends.push(bytes.len());
    }
    (bytes, ends)
}

proptest! {
    #[test]
    fn records_round_trip(records in log()) {
        let (bytes, _) = encode(&records);
        let mut reader = Records::new(&bytes);
        let read: Vec<_> = reader.by_ref().collect();
        prop_assert_eq!(read, records);
        prop_assert_eq!(reader.stop(), None);
        prop_assert_eq!(reader.offset(), bytes.len());
    }

    #[test]
    fn a_log_cut_at_any_byte_yields_the_whole_records_before_the_cut(records in log()) {
        let (bytes, ends) = encode(&records);
        for cut in 0..=bytes.len() {
            let mut reader = Records::new(&bytes[..cut]);
            let read: Vec<_> = reader.by_ref().collect();
            let whole = ends.iter().filter(|&&end| end <= cut).count();
            prop_assert_eq!(&read[..], &records[..whole]);
            let boundary = if whole == 0 { 0 } else { ends[whole - 1] };
            prop_assert_eq!(reader.offset(), boundary);
            let expected = if cut == boundary { None } else { Some(Stop::Torn) };
            prop_assert_eq!(reader.stop(), expected);
        }
    }

    #[test]
    fn a_flipped_bit_stops_the_reading_at_its_record(records in log(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let (mut bytes, ends) = encode(&records);
        let at = at.index(bytes.len());
        bytes[at] ^= 1 << bit;
        let damaged = ends.iter().filter(|&&end| end <= at).count();
        let mut reader = Records::new(&bytes);
        let read: Vec<_> = reader.by_ref().collect();
        prop_assert_eq!(&read[..], &records[..damaged]);
        prop_assert!(reader.stop().is_some());
    }
}

/// A log of writes only is read the same with `Records::writes`; a record holding anything
/// else (the fallback journal's `ECHO` markers) stops that reader, not the general one.
#[test]
fn the_writes_reader_reads_writes_and_stops_at_anything_else() {
    let set = Command::parse(&["SET", "k", "v"]).unwrap();
    let echo = Command::parse(&["ECHO", "marker"]).unwrap();
    let (bytes, ends) = encode(&[vec![set.clone()], vec![echo.clone(), set.clone()]]);

    let mut general = Records::new(&bytes);
    assert_eq!(
        general.by_ref().collect::<Vec<_>>(),
        vec![vec![set.clone()], vec![echo, set.clone()]]
    );
    assert_eq!(general.stop(), None);

    let mut writes = Records::writes(&bytes);
    assert_eq!(writes.by_ref().collect::<Vec<_>>(), vec![vec![set]]);
    assert_eq!(writes.stop(), Some(Stop::Unparsable));
    assert_eq!(writes.offset(), ends[0]);
}
