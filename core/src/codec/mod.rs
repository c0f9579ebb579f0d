//! The remote protocol: Redis commands as JSON arrays over HTTP, replies as
//! `{"result": …}` / `{"error": "…"}`, the wire format of the Upstash Redis REST API.
//!
//! One codec serves both ends, so the HTTP proxy (server) and the wasm `RemoteStore` (client)
//! cannot drift apart:
//!
//! | direction | server side | client side |
//! |---|---|---|
//! | request  | [`parse_command`], [`parse_pipeline`] | [`encode_command`], [`encode_pipeline`] |
//! | response | [`encode_result`], [`encode_error`], [`encode_batch`] | [`decode_response`] |
//!
//! ## Requests
//!
//! A command is a JSON array: `["SET", "k", "v", "EX", 10]`. Arguments may be strings,
//! numbers or booleans, converted to Redis argument strings the way Redis clients convert
//! them: a number becomes its JSON text as written (`10` → `"10"`, `1.5` → `"1.5"`), a
//! boolean `"true"` or `"false"`. `null`, objects and nested arrays are refused with a
//! [`RequestError`] naming the position, because there is no faithful string for them.
//! A pipeline (`/pipeline`, `/multi-exec`) is an array of such arrays.
//!
//! JSON strings are Unicode, so a request cannot carry arbitrary bytes: [`encode_command`]
//! refuses an argument that is not UTF-8 ([`RequestError::NonUtf8Argument`]) rather than
//! sending something else than what the caller gave.
//!
//! ## Responses
//!
//! A reply maps to JSON as RESP2 maps to the Upstash format: nil → `null`, integers →
//! numbers, the `OK` status → `"OK"`, other statuses and bulk strings → strings, arrays →
//! arrays. A pipeline answers an array with one `{"result"}` or `{"error"}` per command.
//!
//! With [`Encoding::Base64`] (request header `Upstash-Encoding: base64`, which
//! `@upstash/redis` sends by default) every string in the result, nested in arrays too, is
//! base64 (standard alphabet, padded) *except* the `OK` status, which stays `"OK"`; integers
//! and `null` stay as they are; error messages are never encoded. This is the binary-safe mode.
//!
//! **Non-UTF-8 results without base64.** [`Encoding::Plain`] cannot represent arbitrary bytes
//! in a JSON string: invalid sequences are replaced with U+FFFD (lossy), exactly as a text
//! decoder would. Clients that store binary values must ask for base64. (Forcing base64 for
//! such values would be worse: the client could not tell an encoded value from a plain one.)
//!
//! **`OK` in plain mode.** Without base64 the `OK` status and a stored value `"OK"` look the
//! same on the wire; [`decode_response`] reads a plain `"OK"` as [`Reply::Ok`]. In base64 mode
//! the two are distinct (a value `"OK"` arrives as `"T0s="`).

pub mod base64;
mod json;
#[cfg(test)]
mod tests;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use json::{write_string, Value};
pub use json::{JsonError, JsonKind, MAX_DEPTH};

use crate::{Error, Reply};

/// The request header that selects the response encoding.
pub const ENCODING_HEADER: &str = "Upstash-Encoding";

/// How strings in a response are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// As JSON strings (non-UTF-8 bytes replaced with U+FFFD).
    #[default]
    Plain,
    /// Base64 (standard alphabet, padded), except the `OK` status.
    Base64,
}

impl Encoding {
    /// The encoding an `Upstash-Encoding` header value asks for: `base64` (any case, spaces
    /// around allowed) selects [`Encoding::Base64`]; anything else, or no header, plain JSON.
    pub fn from_header(value: Option<&[u8]>) -> Encoding {
        match value {
            Some(v) if v.trim_ascii().eq_ignore_ascii_case(b"base64") => Encoding::Base64,
            _ => Encoding::Plain,
        }
    }
}

fn in_command(command: &Option<usize>) -> CommandPosition {
    CommandPosition(*command)
}

/// " of command #N" when the error is inside a pipeline.
struct CommandPosition(Option<usize>);

impl fmt::Display for CommandPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(i) => write!(f, " of command #{i}"),
            None => Ok(()),
        }
    }
}

/// A request body that is not a valid command (or pipeline), or a command that cannot be
/// encoded. `Display` is worded as a Redis error (`ERR …`), ready to send back as
/// `{"error": …}`. Positions are 0-based; argument 0 is the command name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The body is not JSON.
    #[error("ERR the request body is not valid JSON: {0}")]
    Json(JsonError),
    /// The body is JSON, but not an array.
    #[error("ERR the request body must be a JSON array like [\"SET\",\"key\",\"value\"], not {0}")]
    NotACommand(JsonKind),
    /// A pipeline body that is not an array.
    #[error("ERR the request body must be a JSON array of commands like [[\"SET\",\"k\",\"v\"],[\"GET\",\"k\"]], not {0}")]
    NotAPipeline(JsonKind),
    /// A pipeline element that is not an array.
    #[error("ERR command #{command} of the pipeline must be a JSON array like [\"GET\",\"key\"], not {kind}")]
    CommandNotAnArray {
        /// Position of the command in the pipeline.
        command: usize,
        /// What it was instead.
        kind: JsonKind,
    },
    /// An empty array where a command was expected.
    #[error("ERR empty command{}: the array needs at least the command name", in_command(.command))]
    EmptyCommand {
        /// Position in the pipeline, if in one.
        command: Option<usize>,
    },
    /// An argument that is `null`, an object or an array.
    #[error("ERR invalid argument at index {argument}{}: {kind} is not allowed, arguments must be strings, numbers or booleans", in_command(.command))]
    InvalidArgument {
        /// Position in the pipeline, if in one.
        command: Option<usize>,
        /// Position of the argument in its command.
        argument: usize,
        /// What it was.
        kind: JsonKind,
    },
    /// An argument that cannot be sent: it is not UTF-8 (client side).
    #[error("ERR argument at index {argument}{} is not valid UTF-8 and cannot be sent as a JSON string", in_command(.command))]
    NonUtf8Argument {
        /// Position in the pipeline, if in one.
        command: Option<usize>,
        /// Position of the argument in its command.
        argument: usize,
    },
}

/// A response body that is not a valid `{"result"}` / `{"error"}` answer (client side).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The body is not JSON.
    #[error("the response is not valid JSON: {0}")]
    Json(JsonError),
    /// The JSON does not have the protocol's shape.
    #[error("unexpected response: {0}")]
    Shape(&'static str),
    /// A string that should be base64 is not.
    #[error("a string in the response is not valid base64: {0}")]
    Base64(#[from] base64::Base64Error),
}

/// Appends `s` to `out` as a JSON string literal (quoted, with `"`, `\\` and control
/// characters escaped): for hosts that write small JSON documents of their own around the
/// protocol (a health report, say).
///
/// ```
/// let mut out = String::new();
/// hedgestore_core::codec::write_json_string(&mut out, "a\"b\n");
/// assert_eq!(out, r#""a\"b\n""#);
/// ```
pub fn write_json_string(out: &mut String, s: &str) {
    write_string(out, s);
}

// ---------------------------------------------------------------------------------------
// Requests

fn argument(value: Value, command: Option<usize>, index: usize) -> Result<Vec<u8>, RequestError> {
    match value {
        Value::String(s) => Ok(s.into_bytes()),
        Value::Number(n) => Ok(n.into_bytes()),
        Value::Bool(b) => Ok(if b {
            b"true".to_vec()
        } else {
            b"false".to_vec()
        }),
        other => Err(RequestError::InvalidArgument {
            command,
            argument: index,
            kind: other.kind(),
        }),
    }
}

fn command_args(items: Vec<Value>, command: Option<usize>) -> Result<Vec<Vec<u8>>, RequestError> {
    if items.is_empty() {
        return Err(RequestError::EmptyCommand { command });
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| argument(v, command, i))
        .collect()
}

/// Parses a single command body (`POST /`): a JSON array of strings, numbers and booleans.
///
/// ```
/// use hedgestore_core::codec::parse_command;
/// let args = parse_command(br#"["set","k",10,true]"#).unwrap();
/// assert_eq!(args, [&b"set"[..], b"k", b"10", b"true"]);
/// assert!(parse_command(br#"["set","k",null]"#).is_err());
/// ```
pub fn parse_command(body: &[u8]) -> Result<Vec<Vec<u8>>, RequestError> {
    match json::parse(body).map_err(RequestError::Json)? {
        Value::Array(items) => command_args(items, None),
        other => Err(RequestError::NotACommand(other.kind())),
    }
}

/// Parses a pipeline body (`POST /pipeline`, `POST /multi-exec`): a JSON array of command
/// arrays. An empty pipeline is valid and yields no commands.
///
/// ```
/// use hedgestore_core::codec::parse_pipeline;
/// let cmds = parse_pipeline(br#"[["set","a",1],["get","a"]]"#).unwrap();
/// assert_eq!(cmds.len(), 2);
/// assert_eq!(cmds[1], [&b"get"[..], b"a"]);
/// ```
pub fn parse_pipeline(body: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, RequestError> {
    let items = match json::parse(body).map_err(RequestError::Json)? {
        Value::Array(items) => items,
        other => return Err(RequestError::NotAPipeline(other.kind())),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, command)| match command {
            Value::Array(args) => command_args(args, Some(i)),
            other => Err(RequestError::CommandNotAnArray {
                command: i,
                kind: other.kind(),
            }),
        })
        .collect()
}

/// Parses a pipeline body checking each command on its own: the body must be a JSON array of
/// arrays (otherwise it is not a pipeline and the whole request is refused), but an array that
/// is not a valid command (empty, or with a `null`, object or array argument) is an error for
/// that entry only, so a server can run the others and answer that one with its `{"error"}`.
///
/// ```
/// use hedgestore_core::codec::parse_pipeline_entries;
/// let entries = parse_pipeline_entries(br#"[["set","a",1],[],["get","a"]]"#).unwrap();
/// assert_eq!(entries.len(), 3);
/// assert!(entries[0].is_ok() && entries[1].is_err() && entries[2].is_ok());
/// assert!(parse_pipeline_entries(br#"{"not":"a pipeline"}"#).is_err());
/// assert!(parse_pipeline_entries(br#"["get","a"]"#).is_err());
/// ```
#[allow(clippy::type_complexity)]
pub fn parse_pipeline_entries(
    body: &[u8],
) -> Result<Vec<Result<Vec<Vec<u8>>, RequestError>>, RequestError> {
    let items = match json::parse(body).map_err(RequestError::Json)? {
        Value::Array(items) => items,
        other => return Err(RequestError::NotAPipeline(other.kind())),
    };
    let mut entries = Vec::with_capacity(items.len());
    for (i, command) in items.into_iter().enumerate() {
        match command {
            Value::Array(args) => entries.push(command_args(args, Some(i))),
            other => {
                return Err(RequestError::CommandNotAnArray {
                    command: i,
                    kind: other.kind(),
                })
            }
        }
    }
    Ok(entries)
}

fn write_command<A: AsRef<[u8]>>(
    out: &mut String,
    args: &[A],
    command: Option<usize>,
) -> Result<(), RequestError> {
    if args.is_empty() {
        return Err(RequestError::EmptyCommand { command });
    }
    out.push('[');
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let text =
            core::str::from_utf8(arg.as_ref()).map_err(|_| RequestError::NonUtf8Argument {
                command,
                argument: i,
            })?;
        write_string(out, text);
    }
    out.push(']');
    Ok(())
}

/// Encodes a command as a request body (client side). Every argument is sent as a string.
///
/// ```
/// use hedgestore_core::codec::encode_command;
/// assert_eq!(encode_command(&["SET", "k", "v"]).unwrap(), r#"["SET","k","v"]"#);
/// ```
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Result<String, RequestError> {
    let mut out = String::new();
    write_command(&mut out, args, None)?;
    Ok(out)
}

/// Encodes several commands as a `/pipeline` or `/multi-exec` body (client side).
pub fn encode_pipeline<C, A>(commands: &[C]) -> Result<String, RequestError>
where
    C: AsRef<[A]>,
    A: AsRef<[u8]>,
{
    let mut out = String::from("[");
    for (i, command) in commands.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_command(&mut out, command.as_ref(), Some(i))?;
    }
    out.push(']');
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Responses, server side

fn write_bytes(out: &mut String, bytes: &[u8], encoding: Encoding) {
    match encoding {
        Encoding::Base64 => {
            out.push('"');
            base64::encode_into(out, bytes);
            out.push('"');
        }
        Encoding::Plain => write_string(out, &String::from_utf8_lossy(bytes)),
    }
}

fn write_reply(out: &mut String, reply: &Reply, encoding: Encoding) {
    match reply {
        Reply::Nil => out.push_str("null"),
        Reply::Ok => out.push_str("\"OK\""),
        Reply::Status(s) => write_bytes(out, s.as_bytes(), encoding),
        Reply::Int(i) => {
            use core::fmt::Write;
            // Writing to a String cannot fail.
            let _ = write!(out, "{i}");
        }
        Reply::Bulk(b) => write_bytes(out, b, encoding),
        Reply::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_reply(out, item, encoding);
            }
            out.push(']');
        }
    }
}

fn write_result(out: &mut String, reply: &Reply, encoding: Encoding) {
    out.push_str("{\"result\":");
    write_reply(out, reply, encoding);
    out.push('}');
}

fn write_error(out: &mut String, message: &str) {
    out.push_str("{\"error\":");
    write_string(out, message);
    out.push('}');
}

/// `{"result": …}` for a successful command.
///
/// ```
/// use hedgestore_core::{codec::{encode_result, Encoding}, Reply};
/// let reply = Reply::Array(vec![Reply::Bulk(b"v".to_vec()), Reply::Nil, Reply::Int(3)]);
/// assert_eq!(encode_result(&reply, Encoding::Plain), r#"{"result":["v",null,3]}"#);
/// assert_eq!(encode_result(&reply, Encoding::Base64), r#"{"result":["dg==",null,3]}"#);
/// assert_eq!(encode_result(&Reply::Ok, Encoding::Base64), r#"{"result":"OK"}"#);
/// ```
pub fn encode_result(reply: &Reply, encoding: Encoding) -> String {
    let mut out = String::new();
    write_result(&mut out, reply, encoding);
    out
}

/// `{"error": "…"}` for a failed command (never base64: clients read errors as text).
pub fn encode_error(message: &str) -> String {
    let mut out = String::new();
    write_error(&mut out, message);
    out
}

/// A pipeline answer: a JSON array with one `{"result"}` or `{"error"}` per command.
///
/// ```
/// use hedgestore_core::{codec::{encode_batch, Encoding}, Reply};
/// let ok = Reply::Int(1);
/// let body = encode_batch([Ok(&ok), Err("ERR syntax error")], Encoding::Plain);
/// assert_eq!(body, r#"[{"result":1},{"error":"ERR syntax error"}]"#);
/// ```
pub fn encode_batch<'a, I>(outcomes: I, encoding: Encoding) -> String
where
    I: IntoIterator<Item = Result<&'a Reply, &'a str>>,
{
    let mut out = String::from("[");
    for (i, outcome) in outcomes.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match outcome {
            Ok(reply) => write_result(&mut out, reply, encoding),
            Err(message) => write_error(&mut out, message),
        }
    }
    out.push(']');
    out
}

// ---------------------------------------------------------------------------------------
// Responses, client side

/// A decoded response body; `E` is how an `{"error"}` is held: an [`Error`]
/// ([`decode_response`]) or the server's text ([`decode_response_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response<E = Error> {
    /// The answer to one command (`POST /`, the path form, or a failed whole batch).
    Single(Result<Reply, E>),
    /// The answers of a pipeline or transaction, one per command.
    Batch(Vec<Result<Reply, E>>),
}

fn reply_from(value: Value, encoding: Encoding) -> Result<Reply, ResponseError> {
    Ok(match value {
        Value::Null => Reply::Nil,
        Value::Bool(b) => Reply::Int(i64::from(b)),
        Value::Number(n) => match n.parse::<i64>() {
            Ok(i) => Reply::Int(i),
            // Not an integer (never sent by Redis-shaped servers): keep its text.
            Err(_) => Reply::Bulk(n.into_bytes()),
        },
        Value::String(s) if s == "OK" => Reply::Ok,
        Value::String(s) => match encoding {
            Encoding::Plain => Reply::Bulk(s.into_bytes()),
            Encoding::Base64 => Reply::Bulk(base64::decode(&s)?),
        },
        Value::Array(items) => Reply::Array(
            items
                .into_iter()
                .map(|v| reply_from(v, encoding))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(_) => return Err(ResponseError::Shape("an object inside a result")),
    })
}

fn outcome_from<E>(
    value: Value,
    encoding: Encoding,
    error_from: fn(String) -> E,
) -> Result<Result<Reply, E>, ResponseError> {
    let Value::Object(members) = value else {
        return Err(ResponseError::Shape(
            "expected an object with \"result\" or \"error\"",
        ));
    };
    let mut result = None;
    let mut error = None;
    for (key, value) in members {
        match key.as_str() {
            "error" if error.is_none() => error = Some(value),
            "result" if result.is_none() => result = Some(value),
            _ => {}
        }
    }
    match (error, result) {
        (Some(Value::String(message)), _) => Ok(Err(error_from(message))),
        (Some(_), _) => Err(ResponseError::Shape("\"error\" is not a string")),
        (None, Some(result)) => reply_from(result, encoding).map(Ok),
        (None, None) => Err(ResponseError::Shape(
            "expected an object with \"result\" or \"error\"",
        )),
    }
}

/// Decodes a response body (client side), with the encoding the request asked for. An
/// `{"error"}` becomes the [`Error`] variant that displays as its text
/// ([`Error::from_reply`]).
///
/// ```
/// use hedgestore_core::codec::{decode_response, Encoding, Response};
/// use hedgestore_core::{Error, Reply};
/// let r = decode_response(br#"{"result":"aGk="}"#, Encoding::Base64).unwrap();
/// assert_eq!(r, Response::Single(Ok(Reply::Bulk(b"hi".to_vec()))));
/// let r = decode_response(br#"[{"result":1},{"error":"ERR syntax error"}]"#, Encoding::Plain);
/// assert_eq!(r.unwrap(), Response::Batch(vec![Ok(Reply::Int(1)), Err(Error::Syntax)]));
/// ```
pub fn decode_response(body: &[u8], encoding: Encoding) -> Result<Response, ResponseError> {
    decode_response_with(body, encoding, |message| Error::from_reply(&message))
}

/// Decodes a response body as [`decode_response`] does, but keeps each `{"error"}` as the
/// server's text: for a client that only shows the message (the wasm package's
/// `RemoteStore`), which then carries no [`Error::from_reply`] (the text of an [`Error`] is
/// the text it was read from, so nothing is lost).
///
/// ```
/// use hedgestore_core::codec::{decode_response_text, Encoding, Response};
/// let r = decode_response_text(br#"{"error":"ERR syntax error"}"#, Encoding::Plain);
/// assert_eq!(r.unwrap(), Response::Single(Err("ERR syntax error".to_string())));
/// ```
pub fn decode_response_text(
    body: &[u8],
    encoding: Encoding,
) -> Result<Response<String>, ResponseError> {
    decode_response_with(body, encoding, |message| message)
}

fn decode_response_with<E>(
    body: &[u8],
    encoding: Encoding,
    error_from: fn(String) -> E,
) -> Result<Response<E>, ResponseError> {
    match json::parse(body).map_err(ResponseError::Json)? {
        Value::Array(items) => items
            .into_iter()
            .map(|item| outcome_from(item, encoding, error_from))
            .collect::<Result<_, _>>()
            .map(Response::Batch),
        other => outcome_from(other, encoding, error_from).map(Response::Single),
    }
}
