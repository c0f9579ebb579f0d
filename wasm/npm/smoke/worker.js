// A Cloudflare Worker using the installed package as the README says: `hedgestore/web`,
// initialized with `initSync` from the imported .wasm module. workerd.test.mjs bundles it the
// way `wrangler` does (esbuild, the .wasm left as a CompiledWasm module) and runs it in
// workerd (Miniflare 4).
import { initSync, MemoryStore, RemoteStore, ReplyError, HedgestoreError } from 'hedgestore/web';
import wasm from 'hedgestore/web/hedgestore_wasm_bg.wasm';

initSync({ module: wasm });

// Module scope: one store per isolate, kept across requests.
const store = new MemoryStore();

export default {
  async fetch(request, env) {
    const memory = {};
    memory.hits = store.incr('hits');
    store.set('quote', '1.0841', { px: 60_000 });
    memory.quote = store.get('quote');
    memory.pttl = store.pttl('quote') > 59_000;
    const heard = [];
    const off = store.subscribe('prices', (message, channel) => heard.push([channel, message]));
    store.publish('prices', '101.5');
    await Promise.resolve();
    off();
    memory.heard = heard;
    memory.transaction = store.transaction().hset('order', { side: 'buy' }).incr('n').exec();
    try {
      store.lpush('order', 'x');
    } catch (e) {
      memory.wrongType = e instanceof ReplyError && e.code;
    }
    memory.token = typeof store.acquireLock(`job:${memory.hits}`, { ttl: 1000 });
    await MemoryStore.open({ persist: 'x' }).catch((e) => {
      memory.persist = e instanceof HedgestoreError && e.message.includes('needs IndexedDB');
    });

    const remote = new RemoteStore({ url: env.PROXY_URL, token: env.PROXY_TOKEN });
    const key = `workerd:${crypto.randomUUID()}`;
    const result = {
      set: await remote.set(key, 'v', { ex: 60 }),
      pipeline: await remote.pipeline().incr(`${key}:n`).get(key).exec(),
      ttl: await remote.ttl(key),
    };
    await remote.del(key, `${key}:n`);
    try {
      await new RemoteStore({ url: env.PROXY_URL, token: 'wrong-token-wrong-token' }).get(key);
    } catch (e) {
      result.wrongToken = e instanceof ReplyError && e.code;
    }
    return Response.json({ memory, remote: result });
  },
};
