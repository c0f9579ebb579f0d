// The errors hedgestore throws (and rejects with). Every class is exported by the npm
// package, so callers can test `err instanceof ReplyError`.
//
// Kept to `export class` declarations: the package build turns this file into CommonJS for
// Node's `require` by rewriting exactly that form (see scripts/build-wasm-package.sh).

/** Base class of every hedgestore error. */
export class HedgestoreError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'HedgestoreError';
  }
}

/**
 * The engine or the server refused a command, with Redis's own message
 * (`WRONGTYPE Operation against a key holding the wrong kind of value`).
 * `code` is the message's first word (`WRONGTYPE`, `ERR`, `OOM`, ...); `status` is the
 * HTTP status when the error came from a remote server.
 */
export class ReplyError extends HedgestoreError {
  constructor(message, status) {
    // HTTP 401: the server refused the token (its own text says how to send one).
    const wrongToken = status === 401;
    super(wrongToken ? `401: wrong token: ${message}` : message);
    this.name = 'ReplyError';
    const space = message.indexOf(' ');
    this.code = wrongToken ? 'WRONGTOKEN' : space > 0 ? message.slice(0, space) : message;
    if (status !== undefined) this.status = status;
  }
}

/**
 * A transaction applied nothing because command number `index` (0-based) would fail;
 * `command` is its name (`incr`). The message names both and the underlying error.
 */
export class TransactionError extends ReplyError {
  constructor(message, index, command, status) {
    super(message, status);
    this.name = 'TransactionError';
    this.index = index;
    this.command = command;
  }
}

/**
 * Some commands of a (non-atomic) pipeline failed; the others were applied. `results`
 * holds every command's result in order, with a `ReplyError` in place of each failure.
 */
export class PipelineError extends HedgestoreError {
  constructor(message, results) {
    super(message);
    this.name = 'PipelineError';
    this.results = results;
  }
}

/**
 * The server could not be reached or answered something that is not a reply: a failed
 * `fetch`, a timeout, an HTTP error without a Redis error message, a malformed body.
 * `status` is the HTTP status when there was a response; `cause` the underlying error;
 * `code` the system error when known (`ECONNREFUSED`, `ENOTFOUND`, …) or `TIMEOUT` when no
 * answer came within the `timeout` option.
 */
export class NetworkError extends HedgestoreError {
  constructor(message, status, cause, code) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'NetworkError';
    if (status !== undefined) this.status = status;
    if (code !== undefined) this.code = code;
  }
}
