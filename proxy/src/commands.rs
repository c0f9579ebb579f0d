//! Running commands: one (`POST /` and the path form), a pipeline, or a transaction, each
//! within the reply budget (see the `budget` module).

use hedgestore_core::codec::{self, Encoding};
use hedgestore_core::{Command, Reply};
use hedgestore_native::StorageError;
use hyper::{Response, StatusCode};

use crate::budget::{encoded_len, over_budget_message, OverBudget, ReplySizer, RESULT_FRAME};
use crate::inflight::{busy_message, Busy, Charge};
use crate::response::{error_message, error_status, json, ProxyBody, Rejection};
use crate::routes::Shared;

/// Runs the command `args` prepare to, within `room` of reply budget, and charges its reply
/// (`len + frame` bytes) to the request's in-flight memory (see the `inflight` module).
///
/// A write's reply is always charged, over the limit if need be: the write is applied and its
/// caller must hear so. A read's reply is charged only if it fits now; if not, the reply is
/// dropped at once (never held while waiting), the room is waited for (up to the `inflight`
/// wait), and the read runs again into the room found: reading twice is harmless, holding
/// replies nobody has room for is what the limit prevents.
async fn run_charged(
    shared: &Shared,
    sizer: &mut ReplySizer<'_>,
    args: &[Vec<u8>],
    command: Command,
    room: usize,
    frame: usize,
    charge: &mut Charge,
) -> Result<(Reply, usize), Failure> {
    let write = command.is_write();
    let (reply, len) = run_sized(shared, sizer, command, room).await?;
    if write {
        charge.force(len + frame);
        return Ok((reply, len));
    }
    if charge.try_grow(len + frame).is_ok() {
        return Ok((reply, len));
    }
    drop(reply);
    charge
        .grow(len + frame)
        .await
        .map_err(|Busy| Failure::Busy)?;
    let command = shared.prepare(args).map_err(|_| Failure::Busy)?;
    match run_sized(shared, sizer, command, room).await {
        Ok((reply, again)) if again <= len => {
            charge.shrink(len - again);
            Ok((reply, again))
        }
        Ok((reply, again)) => match charge.try_grow(again - len) {
            Ok(()) => Ok((reply, again)),
            Err(Busy) => Err(Failure::Busy),
        },
        Err(failure) => {
            charge.shrink(len + frame);
            Err(failure)
        }
    }
}

/// `503` for a request refused for the in-flight memory limit.
pub(crate) fn busy(shared: &Shared) -> Rejection {
    Rejection::new(
        StatusCode::SERVICE_UNAVAILABLE,
        busy_message(shared.inflight.limit()),
    )
}

/// One command (`POST /`, or the path form): `{"result"}`, or `{"error"}` with the status of
/// the failure (400 for a reply over the budget).
pub(crate) async fn run_one(
    shared: &Shared,
    args: Vec<Vec<u8>>,
    encoding: Encoding,
    charge: &mut Charge,
) -> Response<ProxyBody> {
    let command = match shared.prepare(&args) {
        Ok(command) => command,
        Err(rejection) => return rejection.into_response(),
    };
    let mut sizer = ReplySizer::new(&shared.storage, encoding, shared.max_reply);
    let room = shared.max_reply.saturating_sub(RESULT_FRAME);
    let ran = run_charged(
        shared,
        &mut sizer,
        &args,
        command,
        room,
        RESULT_FRAME,
        charge,
    )
    .await;
    drop(args);
    match ran {
        Ok((reply, _)) => json(StatusCode::OK, codec::encode_result(&reply, encoding)),
        Err(Failure::Busy) => busy(shared).into_response(),
        Err(Failure::OverBudget) => over_budget(shared.max_reply).into_response(),
        Err(Failure::Storage(e)) => json(error_status(&e), codec::encode_error(&error_message(&e))),
    }
}

/// Why a command sized against the reply budget gave no reply.
enum Failure {
    /// Its reply does not fit: refused before running, or dropped before encoding.
    OverBudget,
    /// The storage's own error.
    Storage(StorageError),
    /// No room in the in-flight memory within the wait (nothing was applied).
    Busy,
}

/// Runs `command` if its reply can fit in `room` bytes (checked before it runs where that
/// matters, see [`ReplySizer::fits_before`]), and returns the reply with its encoded length.
async fn run_sized(
    shared: &Shared,
    sizer: &mut ReplySizer<'_>,
    command: Command,
    room: usize,
) -> Result<(Reply, usize), Failure> {
    sizer
        .fits_before(&command, room)
        .await
        .map_err(|OverBudget| Failure::OverBudget)?;
    let write = command.is_write();
    let reply = shared
        .storage
        .execute(command)
        .await
        .map_err(Failure::Storage)?;
    if write {
        shared.wrote();
    }
    let len = encoded_len(&reply, sizer.encoding());
    if len > room {
        return Err(Failure::OverBudget);
    }
    Ok((reply, len))
}

fn over_budget(limit: usize) -> Rejection {
    Rejection::new(StatusCode::BAD_REQUEST, over_budget_message(limit))
}

/// `/pipeline`: the commands run in order, each on its own (as a Redis pipeline: a failing
/// command does not stop the others), one `{"result"}` or `{"error"}` each. Results are
/// encoded as they come, within the reply budget: a result that does not fit in what is left
/// is answered `{"error":"ERR reply exceeds …"}` instead (the command still runs unless it is
/// refused before running, see [`ReplySizer::fits_before`]), so the whole answer stays within
/// the budget plus one short error per command.
pub(crate) async fn pipeline(
    shared: &Shared,
    body: &[u8],
    encoding: Encoding,
    charge: &mut Charge,
) -> Response<ProxyBody> {
    let entries = match codec::parse_pipeline_entries(body) {
        Ok(entries) => entries,
        Err(e) => return Rejection::new(StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let mut sizer = ReplySizer::new(&shared.storage, encoding, shared.max_reply);
    let mut out = String::from("[");
    let mut results = 0usize;
    for (index, entry) in entries.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let outcome = match entry.map_err(|e| e.to_string()) {
            Err(message) => Err(message),
            Ok(args) => match shared.prepare(&args) {
                Err(rejection) => Err(rejection.message),
                Ok(command) => {
                    let room = shared.max_reply.saturating_sub(results + RESULT_FRAME + 2);
                    let frame = RESULT_FRAME + 1;
                    match run_charged(shared, &mut sizer, &args, command, room, frame, charge).await
                    {
                        Ok((reply, len)) => {
                            results += len + frame;
                            Ok(reply)
                        }
                        Err(Failure::Busy) => Err(busy_message(shared.inflight.limit())),
                        Err(Failure::OverBudget) => Err(over_budget_message(shared.max_reply)),
                        Err(Failure::Storage(e)) => Err(error_message(&e)),
                    }
                }
            },
        };
        match outcome {
            Ok(reply) => out.push_str(&codec::encode_result(&reply, encoding)),
            Err(message) => out.push_str(&codec::encode_error(&message)),
        }
    }
    out.push(']');
    json(StatusCode::OK, out)
}

/// `/multi-exec`: all-or-nothing. Every command is checked first, and its replies bounded
/// against the reply budget ([`ReplySizer::transaction_bound`]); then the batch runs as one
/// storage transaction. Any failure applies nothing and answers one `{"error"}` naming the
/// failing command.
pub(crate) async fn multi_exec(
    shared: &Shared,
    body: &[u8],
    encoding: Encoding,
    charge: &mut Charge,
) -> Response<ProxyBody> {
    let parsed = match codec::parse_pipeline(body) {
        Ok(commands) => commands,
        Err(e) => return Rejection::new(StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let mut commands = Vec::with_capacity(parsed.len());
    for (index, args) in parsed.iter().enumerate() {
        match shared.prepare(args) {
            Ok(command) => commands.push(command),
            Err(rejection) => {
                let name = args
                    .first()
                    .map(|n| n.to_ascii_lowercase())
                    .unwrap_or_default();
                let name = String::from_utf8_lossy(&name[..name.len().min(64)]).into_owned();
                return Rejection::new(
                    rejection.status,
                    format!(
                        "EXECABORT command #{index} ({name}) failed, nothing was applied: {}",
                        rejection.message
                    ),
                )
                .into_response();
            }
        }
    }
    if commands.is_empty() {
        return json(StatusCode::OK, "[]".to_string());
    }
    let mut sizer = ReplySizer::new(&shared.storage, encoding, shared.max_reply);
    let sized: Vec<(&[Vec<u8>], &Command)> = parsed
        .iter()
        .map(Vec::as_slice)
        .zip(commands.iter())
        .collect();
    if sizer.transaction_bound(&sized).await.is_err() {
        return Rejection::new(
            StatusCode::BAD_REQUEST,
            format!(
                "EXECABORT nothing was applied: {}",
                over_budget_message(shared.max_reply)
            ),
        )
        .into_response();
    }
    drop(sized);
    let write = commands.iter().any(Command::is_write);
    // A read-only transaction whose replies find no room is dropped, waited for and run
    // again into the room found (as `run_charged` does for one read); a write's replies are
    // always kept.
    let mut reserved = None;
    loop {
        let replies = match shared
            .storage
            .backend()
            .execute_transaction(Vec::new(), commands)
            .await
        {
            Ok(replies) => replies,
            Err(e) => return json(error_status(&e), codec::encode_error(&error_message(&e))),
        };
        if write {
            shared.wrote();
        }
        let total = 2 + replies
            .iter()
            .map(|r| encoded_len(r, encoding) + RESULT_FRAME + 1)
            .sum::<usize>();
        if total > shared.max_reply {
            // Grown between the check and the transaction (another client wrote).
            let message = if write {
                format!(
                    "{} (the transaction was applied; its replies were dropped)",
                    over_budget_message(shared.max_reply)
                )
            } else {
                over_budget_message(shared.max_reply)
            };
            return Rejection::new(StatusCode::BAD_REQUEST, message).into_response();
        }
        let fits = match reserved {
            _ if write => {
                charge.force(total);
                true
            }
            None => charge.try_grow(total).is_ok(),
            Some(room) if total <= room => {
                charge.shrink(room - total);
                true
            }
            Some(room) => charge.try_grow(total - room).is_ok(),
        };
        if fits {
            return json(
                StatusCode::OK,
                codec::encode_batch(replies.iter().map(Ok), encoding),
            );
        }
        drop(replies);
        if reserved.is_some() || charge.grow(total).await.is_err() {
            return busy(shared).into_response();
        }
        reserved = Some(total);
        commands = match parsed.iter().map(|args| shared.prepare(args)).collect() {
            Ok(commands) => commands,
            Err(rejection) => return rejection.into_response(),
        };
    }
}
