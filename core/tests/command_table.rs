//! The command table against the code that reads it: every row's example invocation parses
//! into that row's command, writes back to the same arguments, reports its keys where the
//! row's key positions say, is refused at its arity bounds, and goes through memory
//! admission exactly when the row says `DENYOOM`.
//!
//! The rows are iterated, not listed here, so a new command is checked without touching this
//! file.

mod common;

use common::T0;
use hedgestore_core::{
    Command, CommandFlags, CommandSpec, Engine, EngineConfig, Error, EvictionPolicy, ManualClock,
    SetOptions, COMMAND_TABLE,
};

fn example(spec: &CommandSpec) -> Command {
    Command::parse(spec.example())
        .unwrap_or_else(|e| panic!("example of {} does not parse: {e}", spec.id))
}

#[test]
fn every_example_parses_into_its_own_row() {
    for spec in COMMAND_TABLE {
        let command = example(spec);
        assert_eq!(command.kind(), spec.kind, "{}", spec.id);
        assert_eq!(command.name(), spec.name(), "{}", spec.id);
        assert!(spec.arity_accepts(spec.example().len()), "{}", spec.id);
    }
}

/// `Command::parse_write` (what a log is read with) takes every row flagged `WRITE`, to the
/// same command as `Command::parse`, and refuses every other row.
#[test]
fn the_write_parser_takes_exactly_the_writes() {
    for spec in COMMAND_TABLE {
        let parsed = Command::parse_write(spec.example());
        if spec.flags.contains(CommandFlags::WRITE) {
            assert_eq!(parsed, Ok(example(spec)), "{}", spec.id);
        } else {
            assert!(
                matches!(parsed, Err(Error::UnknownCommand { .. })),
                "{}: {parsed:?}",
                spec.id
            );
        }
    }
}

#[test]
fn every_command_writes_back_to_arguments_that_parse_to_it() {
    for spec in COMMAND_TABLE {
        let command = example(spec);
        let args = command.to_args();
        assert_eq!(Command::parse(&args).as_ref(), Ok(&command), "{}", spec.id);
        let mut visited = Vec::new();
        command.for_each_arg(|a| visited.push(a.to_vec()));
        assert_eq!(
            visited, args,
            "for_each_arg writes what to_args does: {}",
            spec.id
        );
        // An encoder sized by `encode_args` gets the exact count, and room for every byte.
        let (count, room, written) = command.encode_args(
            |count, room| (count, room, Vec::new()),
            |(_, _, written), a| written.push(a.to_vec()),
        );
        assert_eq!(
            written, args,
            "encode_args writes what to_args does: {}",
            spec.id
        );
        assert_eq!(count, args.len(), "{}", spec.id);
        assert!(
            room >= args.iter().map(Vec::len).sum::<usize>(),
            "{}: room for {room} bytes",
            spec.id
        );
    }
}

#[test]
fn keys_are_where_the_table_says() {
    for spec in COMMAND_TABLE {
        let command = example(spec);
        let mut expected: Vec<&[u8]> = spec
            .keys
            .positions(spec.example().len())
            .map(|i| spec.example()[i].as_bytes())
            .collect();
        // Commands whose keys follow a count (`LMPOP`, the scripts) report them, though
        // the table (as Redis's) lists none: the count's position.
        let count_at = match spec.id {
            "lmpop" => Some(1),
            "eval" | "eval_ro" => Some(2),
            _ => None,
        };
        if let Some(at) = count_at {
            let n: usize = spec.example()[at].parse().unwrap();
            expected = spec.example()[at + 1..at + 1 + n]
                .iter()
                .map(|k| k.as_bytes())
                .collect();
            assert!(!expected.is_empty());
        }
        assert_eq!(command.keys(), expected, "{}", spec.id);
    }
}

#[test]
fn single_key_is_the_only_key_of_a_one_key_row() {
    let mut one_key_rows = 0;
    for spec in COMMAND_TABLE {
        let command = example(spec);
        let one_position = spec.keys.first > 0 && spec.keys.last == spec.keys.first;
        match command.single_key() {
            Some(key) => {
                one_key_rows += 1;
                assert!(one_position, "{}: the row lists {:?}", spec.id, spec.keys);
                assert_eq!(command.keys(), vec![key], "{}", spec.id);
            }
            None => assert!(
                !one_position || matches!(spec.id, "lmpop" | "eval" | "eval_ro"),
                "{}: one key position, but no single key",
                spec.id
            ),
        }
    }
    // Most commands name one key: the fast path is the common one.
    assert!(one_key_rows > COMMAND_TABLE.len() / 2, "{one_key_rows}");
}

#[test]
fn flags_are_what_the_command_reports() {
    for spec in COMMAND_TABLE {
        let command = example(spec);
        let f = spec.flags;
        assert_eq!(
            command.is_write(),
            f.contains(CommandFlags::WRITE),
            "{}",
            spec.id
        );
        assert_eq!(
            command.may_grow_memory(),
            f.contains(CommandFlags::DENYOOM),
            "{}",
            spec.id
        );
        assert_eq!(
            command.retry_safe(),
            f.contains(CommandFlags::RETRY_SAFE),
            "{}",
            spec.id
        );
    }
}

#[test]
fn too_few_arguments_are_refused_with_the_commands_name() {
    // Arity 1 or -1 (the name alone) has nothing shorter to try.
    for spec in COMMAND_TABLE.iter().filter(|s| s.arity.abs() >= 2) {
        let min = spec.arity.unsigned_abs() as usize;
        let short = &spec.example()[..min - 1];
        let err = Command::parse(short).unwrap_err();
        // A subcommand without its own name is its container's arity error.
        let named = if spec.subcommand().is_some() && short.len() >= 2 {
            spec.id
        } else {
            spec.name()
        };
        assert_eq!(err, Error::WrongArity(named), "{}", spec.id);
    }
}

#[test]
fn too_many_arguments_are_refused_for_fixed_arities() {
    for spec in COMMAND_TABLE.iter().filter(|s| s.arity > 0) {
        let mut long = spec.example().to_vec();
        long.push("extra");
        let err = Command::parse(&long).unwrap_err();
        assert_eq!(err, Error::WrongArity(spec.id), "{}", spec.id);
    }
}

#[test]
fn names_are_case_insensitive() {
    for spec in COMMAND_TABLE {
        let mut lower: Vec<String> = spec.example().iter().map(|s| s.to_string()).collect();
        lower[0] = lower[0].to_lowercase();
        if spec.subcommand().is_some() {
            lower[1] = lower[1].to_lowercase();
        }
        assert_eq!(Command::parse(&lower).map(|c| c.kind()), Ok(spec.kind));
    }
}

#[test]
fn a_subcommand_id_is_not_a_command_name() {
    for spec in COMMAND_TABLE.iter().filter(|s| s.subcommand().is_some()) {
        let err = Command::parse(&[spec.id, "x", "y"]).unwrap_err();
        assert!(
            matches!(err, Error::UnknownCommand { .. }),
            "{}: {err}",
            spec.id
        );
    }
}

/// An engine over its memory limit that cannot evict anything.
fn full_engine() -> Engine<ManualClock> {
    let mut e = Engine::with_config(
        ManualClock::new(T0),
        EngineConfig {
            max_memory: 64 << 10,
            eviction_policy: EvictionPolicy::NoEviction,
            ..EngineConfig::default()
        },
    );
    // Keys the examples touch, so that reads and pops find something.
    for setup in [
        &["RPUSH", "l", "a", "b", "c"][..],
        &["HSET", "h", "f", "v", "n", "1"],
    ] {
        e.execute(Command::parse(setup).unwrap()).unwrap();
    }
    e.set(b"k", b"v", SetOptions::default()).unwrap();
    let filler = vec![b'x'; 1024];
    let mut i = 0;
    while e.set(
        format!("fill:{i}").as_bytes(),
        &filler,
        SetOptions::default(),
    ) != Err(Error::OutOfMemory)
    {
        i += 1;
        assert!(i < 10_000, "memory never filled");
    }
    e
}

#[test]
fn only_commands_flagged_denyoom_are_refused_when_memory_is_full() {
    for spec in COMMAND_TABLE {
        let mut e = full_engine();
        let result = e.execute(example(spec));
        if spec.flags.contains(CommandFlags::DENYOOM) {
            assert_eq!(result, Err(Error::OutOfMemory), "{}", spec.id);
        } else {
            assert_ne!(result, Err(Error::OutOfMemory), "{}", spec.id);
        }
    }
}

#[test]
fn typed_methods_follow_the_same_flag_as_execute() {
    use hedgestore_core::InsertPosition;
    let oom = Err(Error::OutOfMemory);
    let mut e = full_engine();
    // Rows flagged DENYOOM, through the typed API.
    assert_eq!(e.set(b"k", b"v", SetOptions::default()).map(drop), oom);
    assert_eq!(e.mset(&[(b"k", b"v")]), oom);
    assert_eq!(e.setnx(b"new", b"v").map(drop), oom);
    assert_eq!(e.incr_by(b"n", 1).map(drop), oom);
    assert_eq!(e.decr_by(b"n", 1).map(drop), oom);
    assert_eq!(e.incr_by_float(b"n", 1.5).map(drop), oom);
    assert_eq!(e.append(b"k", b"v").map(drop), oom);
    assert_eq!(e.hset(b"h", &[(b"f", b"v")]).map(drop), oom);
    assert_eq!(e.hincr_by(b"h", b"n", 1).map(drop), oom);
    assert_eq!(e.hincr_by_float(b"h", b"n", 1.5).map(drop), oom);
    assert_eq!(e.hsetnx(b"h", b"g", b"v").map(drop), oom);
    assert_eq!(e.lpush(b"l", &[b"v"]).map(drop), oom);
    assert_eq!(e.rpush(b"l", &[b"v"]).map(drop), oom);
    assert_eq!(e.lpushx(b"l", &[b"v"]).map(drop), oom);
    assert_eq!(e.rpushx(b"l", &[b"v"]).map(drop), oom);
    assert_eq!(e.lset(b"l", 0, b"v"), oom);
    assert_eq!(
        e.linsert(b"l", InsertPosition::Before, b"a", b"v")
            .map(drop),
        oom
    );
    // Rows without it still run.
    assert_eq!(e.get(b"k"), Ok(Some(b"v".to_vec())));
    assert_eq!(e.hdel(b"h", &[b"f"]), Ok(1));
    assert_eq!(e.lpop(b"l"), Ok(Some(b"a".to_vec())));
    assert_eq!(e.del(&[b"k"]), 1);
}
