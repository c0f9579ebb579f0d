// The package's ES-module entry in Node: the CommonJS build, re-exported (one instance for
// `import` and `require` alike).
import hedgestore from './index.cjs';

export const {
  MemoryStore,
  Transaction,
  RemoteStore,
  Pipeline,
  RemoteTransaction,
  HedgestoreError,
  ReplyError,
  TransactionError,
  PipelineError,
  NetworkError,
} = hedgestore;
