//! Between core commands/replies and the `redis` crate's types.

use hedgestore_core::{Command, Error, Reply};
use redis::{ErrorKind, RedisError, Value};

use crate::error::StorageError;

/// The command as a `redis::Cmd`.
pub(crate) fn to_cmd(command: &Command) -> redis::Cmd {
    // Sized first: one allocation each for the bytes and the argument ends.
    command.encode_args(redis::Cmd::with_capacity, |cmd, a| {
        cmd.arg(a);
    })
}

fn status(s: String) -> Reply {
    match s.as_str() {
        "OK" => Reply::Ok,
        "PONG" => Reply::Status("PONG"),
        "string" => Reply::Status("string"),
        "hash" => Reply::Status("hash"),
        "list" => Reply::Status("list"),
        "none" => Reply::Status("none"),
        "set" => Reply::Status("set"),
        "zset" => Reply::Status("zset"),
        "stream" => Reply::Status("stream"),
        _ => Reply::Bulk(s.into_bytes()),
    }
}

/// The decimal digits of a RESP3 big number. The `redis` crate holds them as bytes, or as a
/// `num_bigint::BigInt` when any crate in the build enables its `num-bigint` feature (one of
/// its defaults; features unify across a build). Both write themselves as one argument made
/// of those digits, so this compiles either way without naming either type.
fn big_number_digits<T: redis::ToSingleRedisArg>(n: &T) -> Vec<u8> {
    n.to_redis_args().concat()
}

/// A server value as a core reply; server errors become typed errors.
pub(crate) fn to_reply(value: Value) -> Result<Reply, Error> {
    Ok(match value {
        Value::Nil => Reply::Nil,
        Value::Int(i) => Reply::Int(i),
        Value::BulkString(b) => Reply::Bulk(b),
        Value::Array(items) | Value::Set(items) => {
            Reply::Array(items.into_iter().map(to_reply).collect::<Result<_, _>>()?)
        }
        Value::Map(pairs) => Reply::Array(
            pairs
                .into_iter()
                .flat_map(|(k, v)| [k, v])
                .map(to_reply)
                .collect::<Result<_, _>>()?,
        ),
        Value::SimpleString(s) => status(s),
        Value::Okay => Reply::Ok,
        Value::Double(d) => Reply::Bulk(d.to_string().into_bytes()),
        Value::Boolean(b) => Reply::Int(i64::from(b)),
        Value::VerbatimString { text, .. } => Reply::Bulk(text.into_bytes()),
        Value::BigNumber(n) => Reply::Bulk(big_number_digits(&n)),
        Value::Attribute { data, .. } => to_reply(*data)?,
        Value::Push { data, .. } => {
            Reply::Array(data.into_iter().map(to_reply).collect::<Result<_, _>>()?)
        }
        Value::ServerError(e) => {
            let text = match e.details() {
                Some(d) => format!("{} {d}", e.code()),
                None => e.code().to_string(),
            };
            return Err(Error::from_reply(&text));
        }
        _ => return Err(Error::Server("unsupported reply type".into())),
    })
}

/// The error text a server sent, if `err` is a server error reply.
pub(crate) fn server_error_text(err: &RedisError) -> Option<String> {
    match err.kind() {
        ErrorKind::Server(_) | ErrorKind::Extension => Some(match (err.code(), err.detail()) {
            (Some(code), Some(detail)) => format!("{code} {detail}"),
            (Some(code), None) => code.to_string(),
            (None, Some(detail)) => detail.to_string(),
            (None, None) => err.to_string(),
        }),
        _ => None,
    }
}

/// Whether `err` is a refused connection: nothing was sent. `RedisError::is_connection_refusal`
/// misses the refusal of a reconnect that `ConnectionManager` hands out (the `io::Error`
/// sits deeper in the source chain), so the chain is walked, and the OS's own wording
/// (`Connection refused (os error …)`) is the last resort.
pub(crate) fn refused(err: &RedisError) -> bool {
    if err.is_connection_refusal() {
        return true;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = source {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        source = e.source();
    }
    err.kind() == ErrorKind::Io && err.to_string().contains("Connection refused (os error")
}

/// How an I/O-level failure is reported: the kind of failure, no addresses or secrets.
pub(crate) fn unavailable(err: &RedisError) -> StorageError {
    let what = if let Some(why) = super::single::never_sent(err) {
        format!("not connected ({why}; nothing sent)")
    } else if err.is_timeout() {
        "timed out".to_string()
    } else if refused(err) {
        "connection refused".to_string()
    } else if err.is_connection_dropped() {
        "connection dropped".to_string()
    } else if err.kind() == ErrorKind::AuthenticationFailed {
        "authentication failed".to_string()
    } else {
        format!("{} ({})", err.category(), err.kind_name())
    };
    StorageError::Unavailable(format!("redis: {what}"))
}

trait KindName {
    fn kind_name(&self) -> String;
}

impl KindName for RedisError {
    fn kind_name(&self) -> String {
        format!("{:?}", self.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_big_number_becomes_its_digits() {
        // Parsed from the wire, so the payload has whichever type the build selected.
        let value = redis::parse_redis_value(b"(3492890328409238509324850943850943825024385\r\n")
            .expect("a RESP3 big number");
        assert_eq!(
            to_reply(value),
            Ok(Reply::Bulk(
                b"3492890328409238509324850943850943825024385".to_vec()
            ))
        );
    }
}
