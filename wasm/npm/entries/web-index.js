// `hedgestore/web`: the web build, initialized by the caller. `await init()` fetches the
// .wasm next to this file; `initSync({ module })` takes a compiled module or its bytes
// (Cloudflare Workers import the .wasm as a module). Everything else needs one of them first.
// `init` is both the default export (`import init, { … } from 'hedgestore/web'`) and a named one.
export {
  default,
  default as init,
  initSync,
  MemoryStore,
  Transaction,
  RemoteStore,
  Pipeline,
  RemoteTransaction,
} from './hedgestore_wasm.js';
export {
  HedgestoreError,
  ReplyError,
  TransactionError,
  PipelineError,
  NetworkError,
} from './snippets/@SNIPPETS@/js/errors.js';
