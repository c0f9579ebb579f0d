// The official @upstash/redis client against hedgestore-proxy: the proof that real clients
// work. Run by scripts/test-proxy-client.sh, which starts the proxy (memory backend) and sets
// PROXY_URL and PROXY_TOKEN. Each test uses its own key prefix, so they are independent.
//
//   PROXY_URL=http://127.0.0.1:8079 PROXY_TOKEN=... node --test test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis, errors } from "@upstash/redis";

const url = process.env.PROXY_URL;
const token = process.env.PROXY_TOKEN;
if (!url || !token) {
  console.error("PROXY_URL and PROXY_TOKEN must be set");
  process.exit(2);
}

// The defaults: auto-pipelining (every call is a POST /pipeline), base64 responses,
// read-your-writes sync tokens, telemetry headers.
const redis = new Redis({ url, token, retry: false });
// The other wire forms: one POST / per command, plain JSON responses.
const plain = new Redis({
  url,
  token,
  retry: false,
  enableAutoPipelining: false,
  responseEncoding: false,
  readYourWrites: false,
  enableTelemetry: false,
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

for (const [name, client] of [["default client", redis], ["plain client", plain]]) {
  test(`${name}: strings`, async () => {
    const k = `${name}:str`;
    assert.equal(await client.set(`${k}:a`, "hello"), "OK");
    assert.equal(await client.get(`${k}:a`), "hello");
    assert.equal(await client.set(`${k}:a`, "other", { nx: true }), null);
    assert.equal(await client.set(`${k}:n`, 10), "OK");
    assert.equal(await client.incr(`${k}:n`), 11);
    assert.equal(await client.incrby(`${k}:n`, 5), 16);
    assert.equal(await client.decr(`${k}:n`), 15);
    assert.equal(await client.incrbyfloat(`${k}:n`, 0.5), 15.5);
    assert.equal(await client.get(`${k}:n`), 15.5);
    assert.equal(await client.append(`${k}:a`, " world"), 11);
    assert.equal(await client.strlen(`${k}:a`), 11);
    assert.equal(await client.mset({ [`${k}:m1`]: "x", [`${k}:m2`]: "y" }), "OK");
    assert.deepEqual(await client.mget(`${k}:m1`, `${k}:m2`, `${k}:missing`), ["x", "y", null]);
    assert.equal(await client.exists(`${k}:m1`, `${k}:m2`, `${k}:missing`), 2);
    assert.equal(await client.type(`${k}:a`), "string");
    assert.equal(await client.getdel(`${k}:m1`), "x");
    assert.equal(await client.del(`${k}:m2`, `${k}:missing`), 1);
    assert.equal(await client.get(`${k}:m2`), null);
    assert.equal(await client.ping(), "PONG");
  });

  test(`${name}: JSON values, unicode and binary-unsafe text survive`, async () => {
    const k = `${name}:json`;
    const value = { user: "ключ 😀", tags: ["a", "b"], n: 1.25, nested: { ok: true } };
    await client.set(k, value);
    assert.deepEqual(await client.get(k), value);
    await client.set(`${k}:s`, 'quote " backslash \\ newline \n tab \t');
    assert.equal(await client.get(`${k}:s`), 'quote " backslash \\ newline \n tab \t');
    await client.set(`${k}:ok`, "OK");
    assert.equal(await client.get(`${k}:ok`), "OK");
  });

  test(`${name}: hashes`, async () => {
    const k = `${name}:hash`;
    assert.equal(await client.hset(k, { f1: "v1", f2: 2, f3: "three" }), 3);
    assert.equal(await client.hget(k, "f1"), "v1");
    assert.equal(await client.hget(k, "f2"), 2);
    assert.deepEqual(await client.hgetall(k), { f1: "v1", f2: 2, f3: "three" });
    assert.deepEqual(await client.hmget(k, "f1", "nope"), { f1: "v1", nope: null });
    assert.equal(await client.hexists(k, "f3"), 1);
    assert.equal(await client.hlen(k), 3);
    assert.equal(await client.hincrby(k, "f2", 40), 42);
    assert.deepEqual((await client.hkeys(k)).sort(), ["f1", "f2", "f3"]);
    assert.equal((await client.hvals(k)).length, 3);
    assert.equal(await client.hsetnx(k, "f1", "again"), 0);
    assert.equal(await client.hdel(k, "f1", "f3"), 2);
    assert.deepEqual(await client.hgetall(k), { f2: 42 });
    assert.equal(await client.hgetall(`${k}:missing`), null);
  });

  test(`${name}: lists`, async () => {
    const k = `${name}:list`;
    assert.equal(await client.rpush(k, "a", "b", "c"), 3);
    assert.equal(await client.lpush(k, "z"), 4);
    assert.deepEqual(await client.lrange(k, 0, -1), ["z", "a", "b", "c"]);
    assert.equal(await client.llen(k), 4);
    assert.equal(await client.lindex(k, -1), "c");
    assert.equal(await client.lset(k, 1, "A"), "OK");
    assert.equal(await client.linsert(k, "before", "b", "ab"), 5);
    assert.equal(await client.lrem(k, 0, "ab"), 1);
    assert.equal(await client.lpop(k), "z");
    assert.equal(await client.rpop(k), "c");
    assert.equal(await client.ltrim(k, 0, 0), "OK");
    assert.deepEqual(await client.lrange(k, 0, -1), ["A"]);
  });

  test(`${name}: TTL`, async () => {
    const k = `${name}:ttl`;
    assert.equal(await client.set(k, "v", { ex: 100 }), "OK");
    const ttl = await client.ttl(k);
    assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
    assert.ok((await client.pttl(k)) > 90_000);
    assert.equal(await client.persist(k), 1);
    assert.equal(await client.ttl(k), -1);
    assert.equal(await client.expire(k, 50), 1);
    assert.ok((await client.ttl(k)) > 40);
    assert.equal(await client.ttl(`${k}:missing`), -2);
    await client.set(`${k}:short`, "gone soon", { px: 150 });
    assert.equal(await client.get(`${k}:short`), "gone soon");
    await sleep(400);
    assert.equal(await client.get(`${k}:short`), null);
  });

  test(`${name}: pipeline`, async () => {
    const k = `${name}:pipe`;
    const results = await client
      .pipeline()
      .set(`${k}:a`, 1)
      .incr(`${k}:a`)
      .get(`${k}:a`)
      .hset(`${k}:h`, { f: "v" })
      .rpush(`${k}:l`, "x", "y")
      .exec();
    assert.deepEqual(results, ["OK", 2, 2, 1, 2]);
    // A failing command in a pipeline fails alone (Redis pipeline semantics).
    const kept = await client
      .pipeline()
      .set(`${k}:b`, "text")
      .incr(`${k}:b`)
      .set(`${k}:c`, "after")
      .exec({ keepErrors: true });
    assert.equal(kept[0].result, "OK");
    assert.match(kept[1].error, /not an integer/);
    assert.equal(kept[2].result, "OK");
    assert.equal(await client.get(`${k}:c`), "after");
  });

  test(`${name}: multi-exec is atomic`, async () => {
    const k = `${name}:multi`;
    const results = await client.multi().set(`${k}:a`, "1").incr(`${k}:a`).get(`${k}:a`).exec();
    assert.deepEqual(results, ["OK", 2, 2]);
    await client.set(`${k}:text`, "not a number");
    await assert.rejects(
      client.multi().set(`${k}:b`, "applied?").incr(`${k}:text`).exec(),
      (err) => err instanceof errors.UpstashError && /EXECABORT command #1 \(incr\)/.test(err.message),
    );
    // Nothing of the failed transaction was applied.
    assert.equal(await client.get(`${k}:b`), null);
  });

  test(`${name}: command errors are Redis's`, async () => {
    const k = `${name}:err`;
    await client.set(k, "string");
    await assert.rejects(client.hget(k, "f"), /WRONGTYPE/);
    await assert.rejects(client.lpush(k, "x"), /WRONGTYPE/);
    await assert.rejects(client.flushdb(), /NOPERM/);
    assert.equal(await client.get(k), "string");
  });

  test(`${name}: scan finds every key`, async () => {
    const prefix = `${name}:scan:`;
    const want = [];
    for (let i = 0; i < 25; i++) {
      want.push(`${prefix}${i}`);
    }
    await client.mset(Object.fromEntries(want.map((key) => [key, "v"])));
    const found = new Set();
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, { match: `${prefix}*`, count: 10 });
      keys.forEach((key) => found.add(key));
      cursor = String(next);
    } while (cursor !== "0");
    assert.deepEqual([...found].sort(), want.sort());
  });
}

test("concurrent auto-pipelined calls", async () => {
  const keys = Array.from({ length: 50 }, (_, i) => `auto:${i}`);
  await Promise.all(keys.map((key, i) => redis.set(key, i)));
  const values = await Promise.all(keys.map((key) => redis.get(key)));
  assert.deepEqual(values, keys.map((_, i) => i));
});

test("subscribe receives published messages", async () => {
  const channel = "news";
  const sub = redis.subscribe([channel]);
  const got = [];
  const subscribed = new Promise((resolve) => sub.on("subscribe", resolve));
  const received = new Promise((resolve) =>
    sub.on("message", (m) => {
      got.push(m);
      if (got.length === 2) resolve();
    }),
  );
  assert.equal(await subscribed, 1);
  assert.equal(await redis.publish(channel, { price: 101.5, sym: "ABC" }), 1);
  assert.equal(await plain.publish(channel, "plain, with commas"), 1);
  await received;
  assert.deepEqual(got[0], { channel, message: { price: 101.5, sym: "ABC" } });
  assert.deepEqual(got[1], { channel, message: "plain, with commas" });
  await sub.unsubscribe();
  // The proxy drops the subscription when the stream closes.
  for (let i = 0; i < 50 && (await redis.publish(channel, "x")) !== 0; i++) {
    await sleep(100);
  }
  assert.equal(await redis.publish(channel, "x"), 0);
});

test("psubscribe receives pattern messages", async () => {
  const sub = redis.psubscribe(["ticks.*"]);
  const subscribed = new Promise((resolve) => sub.on("psubscribe", resolve));
  const received = new Promise((resolve) => sub.on("pmessage", resolve));
  assert.equal(await subscribed, 1);
  await redis.publish("ticks.ABC", { bid: 1 });
  assert.deepEqual(await received, { pattern: "ticks.*", channel: "ticks.ABC", message: { bid: 1 } });
  await sub.unsubscribe();
});

test("a wrong token is refused", async () => {
  const wrong = new Redis({ url, token: "not-the-token", retry: false, enableAutoPipelining: false });
  await assert.rejects(wrong.get("anything"), /unauthorized/);
});
