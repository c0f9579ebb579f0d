use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::*;

fn args(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|s| s.as_bytes().to_vec()).collect()
}

// ---- requests -------------------------------------------------------------------------

#[test]
fn command_of_strings_parses_to_its_arguments() {
    let parsed = parse_command(br#"["SET","k","v","EX","10"]"#).unwrap();
    assert_eq!(parsed, args(&["SET", "k", "v", "EX", "10"]));
}

#[test]
fn numbers_become_their_literal_text_and_booleans_their_names() {
    let parsed = parse_command(br#"["set","a",1,-2,1.5,0,1e3,-0.25E-2,true,false]"#).unwrap();
    assert_eq!(
        parsed,
        args(&["set", "a", "1", "-2", "1.5", "0", "1e3", "-0.25E-2", "true", "false"])
    );
}

#[test]
fn whitespace_around_tokens_is_allowed() {
    let parsed = parse_command(b" \n\t[ \"get\" ,\r\n \"k\" ] \n").unwrap();
    assert_eq!(parsed, args(&["get", "k"]));
}

#[test]
fn escapes_and_unicode_decode_to_utf8_bytes() {
    let parsed =
        parse_command(br#"["set","\"q\"\\\/\b\f\n\r\t","\u00e9\u20AC","\ud83d\ude00","h\u0000i"]"#)
            .unwrap();
    assert_eq!(parsed[1], b"\"q\"\\/\x08\x0c\n\r\t");
    assert_eq!(parsed[2], "é€".as_bytes());
    assert_eq!(parsed[3], "😀".as_bytes());
    assert_eq!(parsed[4], b"h\0i");
    // Raw UTF-8 passes through unchanged.
    let parsed = parse_command("[\"set\",\"ключ\",\"值\"]".as_bytes()).unwrap();
    assert_eq!(parsed[1], "ключ".as_bytes());
}

#[test]
fn null_object_and_nested_array_arguments_are_refused_with_their_position() {
    let cases: [(&[u8], usize, JsonKind); 3] = [
        (br#"["set","k",null]"#, 2, JsonKind::Null),
        (br#"["set",{"a":1},"v"]"#, 1, JsonKind::Object),
        (br#"["set","k",["v"]]"#, 2, JsonKind::Array),
    ];
    for (body, index, kind) in cases {
        let err = parse_command(body).unwrap_err();
        assert_eq!(
            err,
            RequestError::InvalidArgument {
                command: None,
                argument: index,
                kind
            }
        );
        let text = err.to_string();
        assert!(text.starts_with("ERR invalid argument at index"), "{text}");
        assert!(text.contains(&kind.to_string()), "{text}");
    }
}

#[test]
fn non_array_bodies_are_refused_naming_what_they_are() {
    for (body, kind) in [
        (&br#"{"cmd":"get"}"#[..], JsonKind::Object),
        (b"\"get\"", JsonKind::String),
        (b"42", JsonKind::Number),
        (b"null", JsonKind::Null),
        (b"true", JsonKind::Boolean),
    ] {
        assert_eq!(
            parse_command(body).unwrap_err(),
            RequestError::NotACommand(kind)
        );
    }
    assert_eq!(
        parse_command(b"[]").unwrap_err(),
        RequestError::EmptyCommand { command: None }
    );
}

#[test]
fn malformed_json_is_refused_with_the_offset() {
    let cases: [(&[u8], usize); 14] = [
        (b"", 0),
        (b"[", 1),
        (b"[\"get\"", 6),
        (b"[\"get\",]", 7),
        (b"[\"get\" \"k\"]", 7),
        (b"[\"get\"]x", 7),
        (b"[\"a\\q\"]", 4),
        (b"[\"a\\u12\"]", 5),
        (b"[\"a\nb\"]", 3),
        (b"[01]", 2),
        (b"[1.]", 3),
        (b"[-]", 2),
        (b"[tru]", 1),
        (b"[\"\\ud800\"]", 4),
    ];
    for (body, offset) in cases {
        match parse_command(body) {
            Err(RequestError::Json(e)) => assert_eq!(e.offset, offset, "{body:?}: {e}"),
            other => panic!("{body:?}: expected a JSON error, got {other:?}"),
        }
    }
}

#[test]
fn invalid_utf8_in_a_string_is_refused() {
    let err = parse_command(b"[\"set\",\"k\xff\"]").unwrap_err();
    assert!(
        matches!(err, RequestError::Json(JsonError { offset: 9, .. })),
        "{err:?}"
    );
}

#[test]
fn nesting_is_bounded() {
    let deep: String = "[".repeat(100_000);
    assert!(matches!(
        parse_command(deep.as_bytes()),
        Err(RequestError::Json(_))
    ));
    let mut ok = "[".repeat(MAX_DEPTH);
    ok.push_str(&"]".repeat(MAX_DEPTH));
    assert!(json::parse(ok.as_bytes()).is_ok());
}

#[test]
fn pipelines_parse_to_commands() {
    let cmds = parse_pipeline(br#"[["set","a",1],["get","a"]]"#).unwrap();
    assert_eq!(cmds, vec![args(&["set", "a", "1"]), args(&["get", "a"])]);
    assert_eq!(parse_pipeline(b"[]").unwrap(), Vec::<Vec<Vec<u8>>>::new());
}

#[test]
fn bad_pipelines_name_the_command_and_argument() {
    assert_eq!(
        parse_pipeline(br#"["get","a"]"#).unwrap_err(),
        RequestError::CommandNotAnArray {
            command: 0,
            kind: JsonKind::String
        }
    );
    assert_eq!(
        parse_pipeline(br#"{"a":1}"#).unwrap_err(),
        RequestError::NotAPipeline(JsonKind::Object)
    );
    assert_eq!(
        parse_pipeline(br#"[["get","a"],[]]"#).unwrap_err(),
        RequestError::EmptyCommand { command: Some(1) }
    );
    let err = parse_pipeline(br#"[["get","a"],["set","b",null]]"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ERR invalid argument at index 2 of command #1: null is not allowed, \
         arguments must be strings, numbers or booleans"
    );
}

#[test]
fn encoded_commands_parse_back() {
    let cmd = args(&["SET", "k\"\\\n\u{1}", "ключ 😀"]);
    let body = encode_command(&cmd).unwrap();
    assert_eq!(parse_command(body.as_bytes()).unwrap(), cmd);
    let pipeline = vec![args(&["INCR", "n"]), args(&["GET", "n"])];
    let body = encode_pipeline(&pipeline).unwrap();
    assert_eq!(body, r#"[["INCR","n"],["GET","n"]]"#);
    assert_eq!(parse_pipeline(body.as_bytes()).unwrap(), pipeline);
}

#[test]
fn non_utf8_arguments_cannot_be_encoded() {
    let err = encode_command(&[&b"SET"[..], b"k", b"\xff\xfe"]).unwrap_err();
    assert_eq!(
        err,
        RequestError::NonUtf8Argument {
            command: None,
            argument: 2
        }
    );
    let err = encode_pipeline(&[vec![&b"GET"[..], b"a"], vec![&b"GET"[..], b"\x80"]]).unwrap_err();
    assert_eq!(
        err,
        RequestError::NonUtf8Argument {
            command: Some(1),
            argument: 1
        }
    );
    assert!(encode_command::<&str>(&[]).is_err());
}

// ---- responses ------------------------------------------------------------------------

#[test]
fn replies_encode_as_upstash_results() {
    let cases: [(Reply, &str); 7] = [
        (Reply::Nil, r#"{"result":null}"#),
        (Reply::Ok, r#"{"result":"OK"}"#),
        (Reply::Status("PONG"), r#"{"result":"PONG"}"#),
        (Reply::Int(-42), r#"{"result":-42}"#),
        (Reply::Bulk(b"a\"b\n".to_vec()), r#"{"result":"a\"b\n"}"#),
        (Reply::Array(vec![]), r#"{"result":[]}"#),
        (
            Reply::Array(vec![
                Reply::Bulk(b"0".to_vec()),
                Reply::Array(vec![Reply::Bulk(b"k1".to_vec()), Reply::Nil]),
            ]),
            r#"{"result":["0",["k1",null]]}"#,
        ),
    ];
    for (reply, json) in cases {
        assert_eq!(encode_result(&reply, Encoding::Plain), json);
    }
}

#[test]
fn base64_mode_encodes_every_string_but_ok_nested_too() {
    let reply = Reply::Array(vec![
        Reply::Bulk(b"0".to_vec()),
        Reply::Array(vec![
            Reply::Bulk(b"hello".to_vec()),
            Reply::Int(7),
            Reply::Nil,
        ]),
        Reply::Ok,
        Reply::Status("PONG"),
        Reply::Bulk(b"OK".to_vec()),
    ]);
    assert_eq!(
        encode_result(&reply, Encoding::Base64),
        r#"{"result":["MA==",["aGVsbG8=",7,null],"OK","UE9ORw==","T0s="]}"#
    );
    assert_eq!(
        encode_result(&Reply::Ok, Encoding::Base64),
        r#"{"result":"OK"}"#
    );
    assert_eq!(
        encode_result(&Reply::Int(3), Encoding::Base64),
        r#"{"result":3}"#
    );
}

#[test]
fn control_characters_are_escaped_in_output() {
    let out = encode_result(
        &Reply::Bulk(b"\x00\x1f\x08\x0c\t\x7f".to_vec()),
        Encoding::Plain,
    );
    assert_eq!(out, "{\"result\":\"\\u0000\\u001f\\b\\f\\t\x7f\"}");
}

#[test]
fn non_utf8_results_are_lossy_in_plain_mode_and_exact_in_base64() {
    let reply = Reply::Bulk(b"a\xffb".to_vec());
    assert_eq!(
        encode_result(&reply, Encoding::Plain),
        "{\"result\":\"a\u{fffd}b\"}"
    );
    let body = encode_result(&reply, Encoding::Base64);
    assert_eq!(
        decode_response(body.as_bytes(), Encoding::Base64).unwrap(),
        Response::Single(Ok(reply))
    );
}

#[test]
fn errors_encode_as_text_even_in_base64_mode() {
    assert_eq!(
        encode_error("WRONGTYPE Operation against a key holding the wrong kind of value"),
        r#"{"error":"WRONGTYPE Operation against a key holding the wrong kind of value"}"#
    );
    assert_eq!(encode_error("say \"hi\""), r#"{"error":"say \"hi\""}"#);
}

#[test]
fn batches_encode_one_object_per_command() {
    let a = Reply::Ok;
    let b = Reply::Bulk(b"1".to_vec());
    let body = encode_batch([Ok(&a), Ok(&b), Err("ERR syntax error")], Encoding::Base64);
    assert_eq!(
        body,
        r#"[{"result":"OK"},{"result":"MQ=="},{"error":"ERR syntax error"}]"#
    );
    assert_eq!(encode_batch(core::iter::empty(), Encoding::Plain), "[]");
}

#[test]
fn responses_decode_to_replies_and_typed_errors() {
    let r = decode_response(br#"{"result":["MA==",["aGk=",null,5]]}"#, Encoding::Base64).unwrap();
    assert_eq!(
        r,
        Response::Single(Ok(Reply::Array(vec![
            Reply::Bulk(b"0".to_vec()),
            Reply::Array(vec![Reply::Bulk(b"hi".to_vec()), Reply::Nil, Reply::Int(5)]),
        ])))
    );
    let r = decode_response(
        br#"{"error":"WRONGTYPE Operation against a key holding the wrong kind of value"}"#,
        Encoding::Base64,
    )
    .unwrap();
    assert_eq!(r, Response::Single(Err(Error::WrongType)));
    let r = decode_response(br#"{"result":"OK"}"#, Encoding::Plain).unwrap();
    assert_eq!(r, Response::Single(Ok(Reply::Ok)));
    let r = decode_response(br#"{"error":"boom"}"#, Encoding::Plain).unwrap();
    assert_eq!(r, Response::Single(Err(Error::Server("boom".into()))));
}

#[test]
fn malformed_responses_are_errors_not_panics() {
    let shape: [&[u8]; 6] = [
        b"{}",
        b"1",
        br#"{"error":1}"#,
        br#"[{"result":1},2]"#,
        br#"{"result":{"a":1}}"#,
        br#"{"foo":"bar"}"#,
    ];
    for body in shape {
        assert!(
            matches!(
                decode_response(body, Encoding::Plain),
                Err(ResponseError::Shape(_))
            ),
            "{body:?}"
        );
    }
    assert!(matches!(
        decode_response(br#"{"result":"not base64!"}"#, Encoding::Base64),
        Err(ResponseError::Base64(_))
    ));
    assert!(matches!(
        decode_response(b"{\"result\":", Encoding::Plain),
        Err(ResponseError::Json(_))
    ));
}

#[test]
fn encoding_header_is_case_insensitive() {
    assert_eq!(Encoding::from_header(Some(b"base64")), Encoding::Base64);
    assert_eq!(Encoding::from_header(Some(b" Base64 ")), Encoding::Base64);
    assert_eq!(Encoding::from_header(Some(b"utf8")), Encoding::Plain);
    assert_eq!(Encoding::from_header(None), Encoding::Plain);
}

// ---- base64 ---------------------------------------------------------------------------

#[test]
fn base64_matches_rfc4648_vectors() {
    let vectors = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];
    for (plain, encoded) in vectors {
        assert_eq!(base64::encode(plain.as_bytes()), encoded);
        assert_eq!(base64::decode(encoded).unwrap(), plain.as_bytes());
    }
    assert_eq!(base64::encode(&[0xfb, 0xff]), "+/8=");
}

#[test]
fn base64_rejects_what_is_not_base64() {
    for (text, offset) in [
        ("Zg=", 2),
        ("Z", 0),
        ("Zm9v$", 4),
        ("Zg===", 2),
        ("Zm 9v", 2),
        ("=Zg=", 0),
    ] {
        assert_eq!(
            base64::decode(text),
            Err(base64::Base64Error { offset }),
            "{text}"
        );
    }
}

// ---- properties -----------------------------------------------------------------------

fn arb_reply() -> impl Strategy<Value = Reply> {
    let leaf = prop_oneof![
        Just(Reply::Nil),
        Just(Reply::Ok),
        prop::sample::select(vec!["PONG", "string", "hash", "list", "none"])
            .prop_map(Reply::Status),
        any::<i64>().prop_map(Reply::Int),
        prop::collection::vec(any::<u8>(), 0..24).prop_map(Reply::Bulk),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop::collection::vec(inner, 0..6).prop_map(Reply::Array)
    })
}

/// What a reply looks like after a trip over the wire: statuses other than `OK` arrive as
/// strings (the JSON format has no status type).
fn over_the_wire(reply: Reply) -> Reply {
    match reply {
        Reply::Status(s) => Reply::Bulk(s.as_bytes().to_vec()),
        Reply::Array(items) => Reply::Array(items.into_iter().map(over_the_wire).collect()),
        other => other,
    }
}

fn utf8_only(reply: &Reply) -> bool {
    match reply {
        Reply::Bulk(b) => core::str::from_utf8(b).is_ok() && b != b"OK",
        Reply::Array(items) => items.iter().all(utf8_only),
        _ => true,
    }
}

proptest! {
    #[test]
    fn any_reply_round_trips_in_base64_mode(reply in arb_reply()) {
        let body = encode_result(&reply, Encoding::Base64);
        let decoded = decode_response(body.as_bytes(), Encoding::Base64).unwrap();
        prop_assert_eq!(decoded, Response::Single(Ok(over_the_wire(reply))));
    }

    #[test]
    fn utf8_replies_round_trip_in_plain_mode(reply in arb_reply().prop_filter("utf-8", utf8_only)) {
        let body = encode_result(&reply, Encoding::Plain);
        let decoded = decode_response(body.as_bytes(), Encoding::Plain).unwrap();
        prop_assert_eq!(decoded, Response::Single(Ok(over_the_wire(reply))));
    }

    #[test]
    fn any_utf8_command_round_trips(cmd in prop::collection::vec(".{0,12}", 1..6)) {
        let body = encode_command(&cmd).unwrap();
        let parsed = parse_command(body.as_bytes()).unwrap();
        let expected: Vec<Vec<u8>> = cmd.iter().map(|s| s.as_bytes().to_vec()).collect();
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn batches_round_trip(
        outcomes in prop::collection::vec(
            prop_oneof![arb_reply().prop_map(Ok), "[A-Z]{3} [ -~]{0,20}".prop_map(Err)],
            0..6,
        )
    ) {
        let body = encode_batch(
            outcomes.iter().map(|o| o.as_ref().map_err(String::as_str)),
            Encoding::Base64,
        );
        let Response::Batch(decoded) = decode_response(body.as_bytes(), Encoding::Base64).unwrap()
        else {
            panic!("a batch decodes as a batch");
        };
        prop_assert_eq!(decoded.len(), outcomes.len());
        for (got, sent) in decoded.into_iter().zip(outcomes) {
            match sent {
                Ok(reply) => prop_assert_eq!(got, Ok(over_the_wire(reply))),
                Err(text) => prop_assert_eq!(got.unwrap_err().to_string(), text),
            }
        }
    }

    #[test]
    fn base64_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let text = base64::encode(&bytes);
        prop_assert_eq!(text.len() % 4, 0);
        prop_assert_eq!(base64::decode(&text).unwrap(), bytes.clone());
        prop_assert_eq!(base64::decode(text.trim_end_matches('=')).unwrap(), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic_any_decoder(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_command(&bytes);
        let _ = parse_pipeline(&bytes);
        let _ = decode_response(&bytes, Encoding::Plain);
        let _ = decode_response(&bytes, Encoding::Base64);
        let _ = base64::decode(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn json_like_noise_never_panics_any_decoder(text in r#"[\[\]{}",:0-9a-zA-Z\\ .eE+\-/=]{0,64}"#) {
        let bytes = text.as_bytes();
        let _ = parse_command(bytes);
        let _ = parse_pipeline(bytes);
        let _ = decode_response(bytes, Encoding::Plain);
        let _ = decode_response(bytes, Encoding::Base64);
        let _ = base64::decode(&text);
    }

    #[test]
    fn valid_commands_with_mutations_never_panic(
        cmd in prop::collection::vec("[ -~]{0,8}", 1..4),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut body = encode_command(&cmd).unwrap().into_bytes();
        let i = at.index(body.len());
        body[i] = byte;
        let _ = parse_command(&body);
        let _ = parse_pipeline(&body);
        body.truncate(cut.index(body.len() + 1));
        let _ = parse_command(&body);
        let _ = decode_response(&body, Encoding::Base64);
    }
}

/// `decode_response_text` keeps each error as the server's text, which is exactly what the
/// `Error` `decode_response` reads from it displays as (so a client that only shows the
/// message loses nothing by skipping `Error::from_reply`).
#[test]
fn error_texts_are_the_texts_of_the_errors_read_from_them() {
    let texts = [
        "WRONGTYPE Operation against a key holding the wrong kind of value",
        "ERR wrong number of arguments for 'get' command",
        "ERR unknown command 'NOPE', with args beginning with: 'a' ",
        "ERR unknown subcommand 'X'. Try PUBSUB HELP.",
        "ERR invalid expire time in 'set' command",
        "OUTCOMEUNKNOWN the write may or may not have been applied",
        "ERR something hedgestore has no variant for",
    ];
    for text in texts {
        let single = alloc::format!(r#"{{"error":{}}}"#, json_string(text));
        let batch = alloc::format!(r#"[{{"result":1}},{{"error":{}}}]"#, json_string(text));
        for body in [single, batch] {
            let typed = decode_response(body.as_bytes(), Encoding::Plain).unwrap();
            let as_text = decode_response_text(body.as_bytes(), Encoding::Plain).unwrap();
            let shown = match typed {
                Response::Single(r) => Response::Single(r.map_err(|e| e.to_string())),
                Response::Batch(rs) => Response::Batch(
                    rs.into_iter()
                        .map(|r| r.map_err(|e| e.to_string()))
                        .collect(),
                ),
            };
            assert_eq!(shown, as_text, "{text}");
            let expected_err = Err(text.to_string());
            match as_text {
                Response::Single(r) => assert_eq!(r, expected_err),
                Response::Batch(rs) => assert_eq!(rs, vec![Ok(Reply::Int(1)), expected_err]),
            }
        }
    }
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
