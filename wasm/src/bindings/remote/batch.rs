//! `RemoteStore.pipeline()` and `RemoteStore.transaction()`: queue commands with the store's
//! method names, then send them in one request.
//!
//! * A pipeline (`POST /pipeline`) applies each command on its own. `exec()` resolves to
//!   every result in order; if some commands failed it rejects with a `PipelineError` whose
//!   `results` hold the other results and a `ReplyError` in place of each failure (the
//!   successful commands were applied).
//! * A transaction (`POST /multi-exec`) is all-or-nothing on `hedgestore-proxy`: it resolves
//!   to every result, or rejects with a `TransactionError` naming the failing command and
//!   nothing was applied. (A plain Redis MULTI/EXEC behind another endpoint does not roll
//!   back; its per-command errors are reported the same way.)
//!
//! Builders chain (`p.set('a', '1').incr('n').exec()`); argument errors are thrown when a
//! command is queued. Only a batch of reads is retried after a network failure.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::client::{self, Answer, Client};
use super::{encode_error, rejected};
use crate::bindings::commands::{self, Built, Call};
use crate::bindings::errors::{pipeline_error, reply_error, transaction_error};
use crate::bindings::shape::to_js_value;
use crate::protocol;
use crate::retry;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pipeline,
    Transaction,
}

struct Queue {
    client: Rc<Client>,
    calls: RefCell<Vec<Call>>,
}

impl Queue {
    fn new(client: Rc<Client>) -> Rc<Queue> {
        Rc::new(Queue {
            client,
            calls: RefCell::new(Vec::new()),
        })
    }

    fn push(&self, built: Built) -> Result<(), JsValue> {
        self.calls.borrow_mut().push(built?);
        Ok(())
    }

    fn exec(&self, kind: Kind) -> Promise {
        let calls = std::mem::take(&mut *self.calls.borrow_mut());
        let client = self.client.clone();
        if calls.is_empty() {
            let empty: JsValue = Array::new().into();
            return Promise::resolve(&empty);
        }
        let args: Vec<_> = calls.iter().map(|c| c.command.to_args()).collect();
        let body = match protocol::encode_commands(&args) {
            Ok(body) => body,
            Err(e) => return rejected(encode_error("exec", e)),
        };
        let idempotent = calls.iter().all(|c| retry::is_idempotent(&c.command));
        let path = match kind {
            Kind::Pipeline => "/pipeline",
            Kind::Transaction => "/multi-exec",
        };
        client.send(path, &body, idempotent, move |answer| {
            results(kind, calls, answer)
        })
    }
}

/// Reads a batch's answer into its results, or the error the batch ends in.
fn results(kind: Kind, calls: Vec<Call>, answer: Answer) -> Result<JsValue, JsValue> {
    let outcomes = match protocol::decode_outcomes(&answer.body) {
        Ok(Ok(outcomes)) if outcomes.len() == calls.len() => outcomes,
        Ok(Ok(_)) => {
            return Err(client::unexpected_answer(
                &answer,
                "the number of results does not match the commands sent",
            ))
        }
        Ok(Err(text)) => {
            return Err(match kind {
                Kind::Transaction => {
                    let (index, command) = protocol::failing_command(&text);
                    transaction_error(&text, index, command.as_deref(), Some(answer.status))
                }
                Kind::Pipeline => reply_error(&text, Some(answer.status)),
            })
        }
        Err(e) => return Err(client::unexpected_answer(&answer, &e.to_string())),
    };
    let results = Array::new();
    let mut failures = Vec::new();
    for (i, (outcome, call)) in outcomes.into_iter().zip(calls).enumerate() {
        match outcome {
            Ok(reply) => {
                results.push(&to_js_value(reply, call.shape)?);
            }
            Err(text) => {
                failures.push((i, call.command.name(), text.clone()));
                results.push(&reply_error(&text, Some(answer.status)));
            }
        }
    }
    let Some((index, command, text)) = failures.first().cloned() else {
        return Ok(results.into());
    };
    let message = format!(
        "{} of {} commands failed; the first, #{index} ({command}): {text}",
        failures.len(),
        results.length()
    );
    Err(match kind {
        Kind::Pipeline => pipeline_error(&message, results.into()),
        Kind::Transaction => {
            transaction_error(&message, Some(index), Some(command), Some(answer.status))
        }
    })
}

/// A pipeline being built on a `RemoteStore`: commands applied one by one, sent in one
/// request by `exec()`.
#[wasm_bindgen]
pub struct Pipeline {
    queue: Rc<Queue>,
}

impl Pipeline {
    pub(crate) fn new(client: Rc<Client>) -> Self {
        Pipeline {
            queue: Queue::new(client),
        }
    }

    fn dispatch(&self, built: Built) -> Result<Pipeline, JsValue> {
        self.queue.push(built)?;
        Ok(Pipeline {
            queue: self.queue.clone(),
        })
    }
}

#[wasm_bindgen]
impl Pipeline {
    /// Sends every queued command in one request; resolves to their results in order, or
    /// rejects with a `PipelineError` listing each result and failure. The builder is empty
    /// afterwards.
    pub fn exec(&self) -> Promise {
        self.queue.exec(Kind::Pipeline)
    }

    /// Drops every queued command.
    pub fn discard(&self) {
        self.queue.calls.borrow_mut().clear();
    }

    /// How many commands are queued.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        self.queue.calls.borrow().len() as u32
    }
}

commands::command_entry!(Pipeline, Result<Pipeline, JsValue>);

/// A transaction being built on a `RemoteStore`: `exec()` applies every queued command or
/// none.
#[wasm_bindgen]
pub struct RemoteTransaction {
    queue: Rc<Queue>,
}

impl RemoteTransaction {
    pub(crate) fn new(client: Rc<Client>) -> Self {
        RemoteTransaction {
            queue: Queue::new(client),
        }
    }

    fn dispatch(&self, built: Built) -> Result<RemoteTransaction, JsValue> {
        self.queue.push(built)?;
        Ok(RemoteTransaction {
            queue: self.queue.clone(),
        })
    }
}

#[wasm_bindgen]
impl RemoteTransaction {
    /// Sends every queued command to `/multi-exec`; resolves to their results in order, or
    /// rejects with a `TransactionError` (nothing applied). The builder is empty afterwards.
    pub fn exec(&self) -> Promise {
        self.queue.exec(Kind::Transaction)
    }

    /// Drops every queued command.
    pub fn discard(&self) {
        self.queue.calls.borrow_mut().clear();
    }

    /// How many commands are queued.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        self.queue.calls.borrow().len() as u32
    }
}

commands::command_entry!(RemoteTransaction, Result<RemoteTransaction, JsValue>);
