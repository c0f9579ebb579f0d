//! `store.transaction()`: queue commands with the store's own methods, then `exec()` them
//! all-or-nothing through the engine's atomic batches.
//!
//! Every command method of the builder answers the builder, so calls chain
//! (`tx.set('a', '1').incr('n').exec()`) and also work one statement at a time. Argument
//! errors are thrown when a command is queued, before `exec`, and leave the queue as it was.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{borrow, State};
use crate::bindings::commands::{self, Built, Call};
use crate::bindings::errors::{batch_error, hedgestore_error};
use crate::bindings::shape::to_js_value;

struct Queue {
    store: Weak<RefCell<State>>,
    calls: RefCell<Vec<Call>>,
}

/// A transaction being built on a `MemoryStore`. Queue commands with the store's method
/// names, then `exec()`.
#[wasm_bindgen]
pub struct Transaction {
    queue: Rc<Queue>,
}

impl Transaction {
    pub(crate) fn new(store: Weak<RefCell<State>>) -> Self {
        Transaction {
            queue: Rc::new(Queue {
                store,
                calls: RefCell::new(Vec::new()),
            }),
        }
    }

    fn dispatch(&self, built: Built) -> Result<Transaction, JsValue> {
        self.queue.calls.borrow_mut().push(built?);
        Ok(Transaction {
            queue: self.queue.clone(),
        })
    }
}

#[wasm_bindgen]
impl Transaction {
    /// Runs every queued command atomically and answers their results in order (each shaped
    /// as its method answers). If any command would fail, nothing is applied and a
    /// `TransactionError` names the command. The builder is empty afterwards either way.
    pub fn exec(&self) -> Result<Array, JsValue> {
        let calls = std::mem::take(&mut *self.queue.calls.borrow_mut());
        let shared = self
            .queue
            .store
            .upgrade()
            .ok_or_else(|| hedgestore_error("transaction: the store was freed"))?;
        let (commands, shapes): (Vec<_>, Vec<_>) =
            calls.into_iter().map(|c| (c.command, c.shape)).unzip();
        let writes = commands.iter().any(|c| c.is_write());
        let publishes = commands
            .iter()
            .any(|c| matches!(c, hedgestore_core::Command::Publish { .. }));
        let replies = {
            let mut state = borrow(&shared)?;
            let state = &mut *state;
            let logged = match &state.persist {
                Some(p) if writes => {
                    p.check()?;
                    Some(
                        commands
                            .iter()
                            .map(hedgestore_core::Command::duplicate)
                            .collect::<Vec<_>>(),
                    )
                }
                _ => None,
            };
            let replies = state.engine.execute_batch(commands);
            if let (Some(commands), Ok(replies), Some(p)) = (logged, &replies, &mut state.persist) {
                p.record(&commands, replies, &state.engine);
            }
            if writes {
                state.arm_timer();
            }
            if publishes || state.engine.config().keyspace_events {
                state.queue_delivery();
            }
            replies.map_err(|e| batch_error(&e))?
        };
        let out = Array::new();
        for (reply, shape) in replies.into_iter().zip(shapes) {
            out.push(&to_js_value(reply, shape)?);
        }
        Ok(out)
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

commands::command_entry!(Transaction, Result<Transaction, JsValue>);
