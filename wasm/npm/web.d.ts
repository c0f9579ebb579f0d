// Types of `hedgestore/web`: the web build, initialized by the caller.
export * from './hedgestore.js';

/** What `init`/`initSync` accept: the module, its bytes, or (init) a URL/Response to fetch it from. */
export type InitInput = WebAssembly.Module | BufferSource | URL | string | Response | Promise<Response>;

/** Fetches (by default from next to this file) and instantiates the wasm. Call once before anything else. */
declare function init(input?: { module_or_path?: InitInput } | InitInput): Promise<unknown>;

/** Instantiates the wasm from a compiled module or its bytes (Cloudflare Workers: the imported .wasm). */
export function initSync(input: { module: WebAssembly.Module | BufferSource } | WebAssembly.Module | BufferSource): unknown;

export default init;
export { init };
