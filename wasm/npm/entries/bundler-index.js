// `hedgestore/bundler`: wasm-bindgen's bundler build, for bundlers that support WebAssembly
// ES-module integration (webpack's asyncWebAssembly, vite-plugin-wasm): the bundler loads
// and instantiates the .wasm.
export {
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
