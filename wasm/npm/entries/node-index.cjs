'use strict';
// The package's CommonJS entry (Node `require`). The ES-module entry (index.mjs) re-exports
// this very module, so `import` and `require` share one wasm instance and one set of classes.
const wasm = require('./hedgestore_wasm.js');
const errors = require('./snippets/@SNIPPETS@/js/errors.js');

module.exports = {
  MemoryStore: wasm.MemoryStore,
  Transaction: wasm.Transaction,
  RemoteStore: wasm.RemoteStore,
  Pipeline: wasm.Pipeline,
  RemoteTransaction: wasm.RemoteTransaction,
  HedgestoreError: errors.HedgestoreError,
  ReplyError: errors.ReplyError,
  TransactionError: errors.TransactionError,
  PipelineError: errors.PipelineError,
  NetworkError: errors.NetworkError,
};
