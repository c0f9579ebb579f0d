// The package's default entry outside Node (browsers, bundlers, Deno): the web build,
// initialized here with top-level await, so `import { MemoryStore } from 'hedgestore'` is
// ready to use. The .wasm is fetched from next to this file.
import init from './hedgestore_wasm.js';

await init();

export {
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
} from './index.js';
