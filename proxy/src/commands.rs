//! Running commands: one (`POST /` and the path form), a pipeline, or a transaction, each
//! within the reply budget (see the `budget` module).

use hedgestore_core::codec::{self, Encoding};
use hedgestore_core::{Command, Reply};
use hedgestore_native::StorageError;
use hyper::{Response, StatusCode};

use crate::budget::{encoded_len, over_budget_message, OverBudget, ReplySizer, RESULT_FRAME};
use crate::response::{error_message, error_status, json, ProxyBody, Rejection};
use crate::routes::Shared;

/// One command (`POST /`, or the path form): `{"result"}`, or `{"error"}` with the status of
/// the failure (400 for a reply over the budget).
pub(crate) async fn run_one(
    shared: &Shared,
    args: Vec<Vec<u8>>,
    encoding: Encoding,
) -> Response<ProxyBody> {
    let command = match shared.prepare(&args) {
        Ok(command) => command,
        Err(rejection) => return rejection.into_response(),
    };
    drop(args);
    let mut sizer = ReplySizer::new(&shared.storage, encoding, shared.max_reply);
    let room = shared.max_reply.saturating_sub(RESULT_FRAME);
    match run_sized(shared, &mut sizer, command, room).await {
        Ok((reply, _)) => json(StatusCode::OK, codec::encode_result(&reply, encoding)),
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
                    match run_sized(shared, &mut sizer, command, room).await {
                        Ok((reply, len)) => {
                            results += len + RESULT_FRAME + 1;
                            Ok(reply)
                        }
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
    drop(parsed);
    let write = commands.iter().any(Command::is_write);
    match shared
        .storage
        .backend()
        .execute_transaction(Vec::new(), commands)
        .await
    {
        Ok(replies) => {
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
            json(
                StatusCode::OK,
                codec::encode_batch(replies.iter().map(Ok), encoding),
            )
        }
        Err(e) => json(error_status(&e), codec::encode_error(&error_message(&e))),
    }
}
