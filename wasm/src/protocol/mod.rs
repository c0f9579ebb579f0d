//! The Upstash-compatible REST protocol, client side: what `RemoteStore` writes into request
//! bodies and reads back out of answers.
//!
//! The wire format itself is [`hedgestore_core::codec`], the one codec the proxy
//! (`hedgestore-proxy`) also speaks, so client and server cannot drift apart. This module
//! adapts it to the client's needs:
//!
//! * a command travels as its [`Command::to_args`](hedgestore_core::Command::to_args) array,
//!   `["SET","k","v","PX","500"]`; `/pipeline` and `/multi-exec` take an array of them;
//! * the client always asks for `Upstash-Encoding: base64`, so every string result (but the
//!   `OK` status) comes back base64 and binary values survive the JSON answer;
//! * JSON strings carry text only, so an argument that is not UTF-8 cannot be sent and is
//!   refused before anything goes out ([`ProtocolError::Request`]).
//!
//! (Subscriptions are Server-Sent Events of text lines, `message,<channel>,<payload>`; the
//! client reads them in `js/remote.js`, next to the stream it reads them from.)

use std::fmt;

use hedgestore_core::codec::{self, Encoding, RequestError, Response, ResponseError};
use hedgestore_core::Reply;

/// The request header that asks for base64 string results, and its value.
pub const ENCODING_HEADER: (&str, &str) = (codec::ENCODING_HEADER, "base64");

/// The response encoding this client always asks for.
const ENCODING: Encoding = Encoding::Base64;

/// Why a request could not be written or an answer not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The request cannot be encoded (an argument is not UTF-8).
    Request(RequestError),
    /// The answer is not a well-formed reply.
    Response(ResponseError),
    /// The answer is a reply of the wrong kind (one result where a batch was expected).
    Unexpected(&'static str),
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Request(e) => write!(
                f,
                "{} (the REST protocol carries text only: binary values can be read back, but \
                 not sent)",
                e.to_string().trim_start_matches("ERR ")
            ),
            ProtocolError::Response(e) => write!(f, "{e}"),
            ProtocolError::Unexpected(what) => write!(f, "unexpected response: {what}"),
        }
    }
}

/// One command's outcome: the reply, or the error text the server sent (Redis's wording,
/// `WRONGTYPE …`).
pub type Outcome = Result<Reply, String>;

/// A command's argument array as a request body.
pub fn encode_command(args: &[Vec<u8>]) -> Result<String, ProtocolError> {
    codec::encode_command(args).map_err(ProtocolError::Request)
}

/// Several commands as the body of `/pipeline` or `/multi-exec`.
pub fn encode_commands(commands: &[Vec<Vec<u8>>]) -> Result<String, ProtocolError> {
    codec::encode_pipeline(commands).map_err(ProtocolError::Request)
}

/// Reads the answer to a single command: `{"result": …}` or `{"error": "…"}`.
pub fn decode_outcome(body: &[u8]) -> Result<Outcome, ProtocolError> {
    match codec::decode_response_text(body, ENCODING).map_err(ProtocolError::Response)? {
        Response::Single(outcome) => Ok(outcome),
        Response::Batch(_) => Err(ProtocolError::Unexpected(
            "an array of results for a single command",
        )),
    }
}

/// Reads the answer to a pipeline or transaction: one outcome per command, or (a
/// transaction that applied nothing, a refused request) one error for the whole batch.
pub fn decode_outcomes(body: &[u8]) -> Result<Result<Vec<Outcome>, String>, ProtocolError> {
    match codec::decode_response_text(body, ENCODING).map_err(ProtocolError::Response)? {
        Response::Batch(outcomes) => Ok(Ok(outcomes)),
        Response::Single(Err(e)) => Ok(Err(e)),
        Response::Single(Ok(_)) => Err(ProtocolError::Unexpected(
            "a single result for a batch of commands",
        )),
    }
}

/// The message of an `{"error": "…"}` body, if it is one (for answers with a failing HTTP
/// status, whose body may be anything).
pub fn error_text(body: &[u8]) -> Option<String> {
    match codec::decode_response_text(body, Encoding::Plain) {
        Ok(Response::Single(Err(e))) => Some(e),
        _ => None,
    }
}

/// The failing command's position and name in an aborted transaction's error text
/// (`EXECABORT command #1 (incr) failed, …`, as the engine's batches word it), where present.
pub fn failing_command(text: &str) -> (Option<usize>, Option<String>) {
    // Byte-wise on purpose: string slicing could panic (on a char boundary), and the panic
    // message machinery it pulls in costs the wasm binary more than this whole function.
    const MARK: &[u8] = b"command #";
    let bytes = text.as_bytes();
    let Some(at) = bytes.windows(MARK.len()).position(|w| w == MARK) else {
        return (None, None);
    };
    let rest = &bytes[at + MARK.len()..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let index = std::str::from_utf8(&rest[..digits])
        .ok()
        .and_then(|d| d.parse().ok());
    let after = &rest[digits..];
    let command = after
        .strip_prefix(b" (")
        .and_then(|r| r.iter().position(|&b| b == b')').map(|end| &r[..end]))
        .map(|name| String::from_utf8_lossy(name).into_owned());
    (index, command)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hedgestore_core::{Command, SetOptions};

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn commands_are_sent_in_their_argument_form() {
        let set = Command::Set {
            key: b"k\"1".to_vec(),
            value: "v\u{e9}".as_bytes().to_vec(),
            options: SetOptions::default().px(500),
        };
        assert_eq!(
            encode_command(&set.to_args()).unwrap(),
            "[\"SET\",\"k\\\"1\",\"v\u{e9}\",\"PX\",\"500\"]"
        );
        let get = Command::Get { key: b"a".to_vec() };
        assert_eq!(
            encode_commands(&[set.to_args(), get.to_args()]).unwrap(),
            "[[\"SET\",\"k\\\"1\",\"v\u{e9}\",\"PX\",\"500\"],[\"GET\",\"a\"]]"
        );
    }

    #[test]
    fn binary_arguments_are_refused_before_sending() {
        let args = vec![b"SET".to_vec(), b"k".to_vec(), vec![0xff, 0xfe]];
        let err = encode_command(&args).unwrap_err();
        assert!(matches!(err, ProtocolError::Request(_)));
        let text = err.to_string();
        assert!(
            text.contains("index 2") && text.contains("text only"),
            "{text}"
        );
    }

    #[test]
    fn answers_decode_base64_strings_and_keep_ok() {
        assert_eq!(decode_outcome(br#"{"result":"OK"}"#), Ok(Ok(Reply::Ok)));
        assert_eq!(decode_outcome(br#"{"result":"aGk="}"#), Ok(Ok(bulk("hi"))));
        assert_eq!(
            decode_outcome(br#"{"result":"//4="}"#),
            Ok(Ok(Reply::Bulk(vec![0xff, 0xfe])))
        );
        assert_eq!(decode_outcome(br#"{"result":null}"#), Ok(Ok(Reply::Nil)));
        assert_eq!(
            decode_outcome(br#"{"result":["YQ==",null,3]}"#),
            Ok(Ok(Reply::Array(vec![bulk("a"), Reply::Nil, Reply::Int(3)])))
        );
    }

    #[test]
    fn errors_keep_the_servers_wording() {
        let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
        assert_eq!(
            decode_outcome(format!(r#"{{"error":"{wrongtype}"}}"#).as_bytes()),
            Ok(Err(wrongtype.into()))
        );
        assert_eq!(
            error_text(br#"{"error":"Unauthorized"}"#).as_deref(),
            Some("Unauthorized")
        );
        assert_eq!(error_text(b"<html>bad gateway</html>"), None);
    }

    #[test]
    fn batches_decode_per_command_or_as_one_error() {
        assert_eq!(
            decode_outcomes(br#"[{"result":"OK"},{"error":"ERR syntax error"},{"result":1}]"#),
            Ok(Ok(vec![
                Ok(Reply::Ok),
                Err("ERR syntax error".into()),
                Ok(Reply::Int(1))
            ]))
        );
        assert_eq!(
            decode_outcomes(br#"{"error":"EXECABORT command #1 (incr) failed"}"#),
            Ok(Err("EXECABORT command #1 (incr) failed".into()))
        );
        assert!(decode_outcomes(br#"{"result":1}"#).is_err());
        assert!(decode_outcome(br#"[{"result":1}]"#).is_err());
    }

    #[test]
    fn malformed_answers_are_protocol_errors() {
        for body in [
            &b"not json"[..],
            b"{}",
            br#"{"result":{"a":1}}"#,
            br#"{"result":"not base64!"}"#,
            br#"{"error":5}"#,
        ] {
            assert!(decode_outcome(body).is_err(), "accepted {:?}", body);
        }
    }

    #[test]
    fn aborted_transactions_name_the_failing_command() {
        assert_eq!(
            failing_command("EXECABORT command #1 (incr) failed, nothing was applied: ERR x"),
            (Some(1), Some("incr".into()))
        );
        assert_eq!(failing_command("ERR something else"), (None, None));
    }
}
