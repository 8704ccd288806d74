// The fault test through the wasm package: the fetch transport in Node 20, its retries and
// resumed reads, against real servers behind a fault-injecting proxy (node:http, in this file)
// — S3 on s3s-fs (which checks every SigV4 signature) and moto, GCS on storage-testbench, Azure
// on Azurite (which checks every Shared Key signature). At 20% the proxy answers 503 or 500,
// resets the connection before or after the server carried the request out, or cuts the answer's
// body in half; every operation must succeed and every byte read must equal what was written.
// Then large writes (multipart, resumable, blocks) through a proxy faulting a third of the
// requests with two attempts each: those that fail leave no object (and on moto no upload).
// Run by `make test` after `scripts/wasm.sh build`, with the servers' env files sourced.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createServer, request } from 'node:http';

const require = createRequire(import.meta.url);
const { PailFs } = require('../../pkg/node/pailfs.js');
const KiB = 1024;
const MiB = 1024 * KiB;
const OPS = 300;

function env(k) {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: start the servers and source .servers/*.env (make test does)`);
  return v;
}

/// Deterministic pseudo-random numbers (xorshift), for the workload and for the proxy.
function rng(seed) {
  const mask = (1n << 64n) - 1n;
  // splitmix64 of the seed: a small seed would otherwise start xorshift on small numbers.
  let x = (BigInt(seed) + 0x9E3779B97F4A7C15n) & mask;
  x = ((x ^ (x >> 30n)) * 0xBF58476D1CE4E5B9n) & mask;
  x = ((x ^ (x >> 27n)) * 0x94D049BB133111EBn) & mask;
  x = (x ^ (x >> 31n)) | 1n;
  const next = () => {
    x ^= (x << 13n) & mask;
    x ^= x >> 7n;
    x ^= (x << 17n) & mask;
    return x;
  };
  return {
    below: (n) => Number(next() % BigInt(n)),
    unit: () => Number(next() >> 11n) / 2 ** 53,
    bytes(len) {
      const out = new Uint8Array(len);
      let s = Number(next() & 0xffffffffn) | 1;
      for (let i = 0; i < len; i++) {
        s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
        out[i] = s & 255;
      }
      return out;
    },
  };
}

const KINDS = ['503', '500', 'reset', 'lost', 'truncate'];
// The server's answer says the request was not carried out: the only faults a POST gets, since
// a correct client does not repeat a POST whose outcome it cannot know (as the Rust proxy does).
const DEFINITE = ['503', '500'];

/// A proxy in front of `target` (http://host:port) that gives a fault to `rate` of the requests,
/// each kind equally likely. Headers and bodies are forwarded unchanged (Host included, so the
/// signatures the client made for the proxy's address still verify), on a fresh upstream
/// connection per request.
async function faultProxy(target, rate, seed, kinds = KINDS) {
  const up = new URL(target);
  const r = rng(seed);
  const stats = { requests: 0, ...Object.fromEntries(KINDS.map((k) => [k, 0])) };
  const server = createServer((req, res) => {
    stats.requests++;
    let fault = null;
    if (r.unit() < rate) {
      const allowed = req.method === 'POST' ? DEFINITE.filter((k) => kinds.includes(k)) : kinds;
      fault = allowed.length ? allowed[r.below(allowed.length)] : null;
    }
    if (fault === 'reset') {
      stats.reset++;
      req.socket.resetAndDestroy();
      return;
    }
    if (fault === '503' || fault === '500') {
      stats[fault]++;
      req.resume();
      req.on('end', () => {
        const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault === '503' ? 'SlowDown' : 'InternalError'}</Code><Message>injected</Message></Error>`;
        res.writeHead(Number(fault), { 'content-type': 'application/xml', 'content-length': body.length }).end(body);
      });
      return;
    }
    const fwd = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
      const headers = { ...answer.headers };
      delete headers.connection;
      delete headers['keep-alive'];
      if (fault === 'lost') {
        // The server carried it out; the client never learns.
        stats.lost++;
        answer.resume();
        answer.on('end', () => req.socket.resetAndDestroy());
        return;
      }
      if (fault === 'truncate' && req.method !== 'HEAD') {
        const parts = [];
        answer.on('data', (c) => parts.push(c));
        answer.on('end', () => {
          const body = Buffer.concat(parts);
          res.writeHead(answer.statusCode, headers);
          if (body.length === 0) { res.end(); return; }
          stats.truncate++;
          // Half the body, announced whole (its Content-Length or chunks), then the connection drops.
          res.write(body.subarray(0, body.length >> 1), () => res.socket.destroy());
        });
        return;
      }
      res.writeHead(answer.statusCode, headers);
      answer.pipe(res);
    });
    fwd.on('error', () => req.socket.destroy());
    req.pipe(fwd);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats,
    faults: () => KINDS.reduce((n, k) => n + stats[k], 0),
    summary: () => `${stats.requests} requests, ${KINDS.reduce((n, k) => n + stats[k], 0)} faults (${KINDS.map((k) => `${k} ${stats[k]}`).join(', ')})`,
    close() { server.closeAllConnections(); server.close(); },
  };
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/// `OPS` operations from a fixed seed on `fs` (through the faults), every byte read compared with
/// a model of what was written; then the final state read back by `direct` (no faults).
async function workload(name, fs, direct, bucket, big) {
  const p = (k) => `${bucket}/${k}`;
  const r = rng(0xC0FFEE);
  const model = new Map();
  const counts = {};
  let verified = 0;
  const pick = () => [...model.keys()].sort()[r.below(model.size)];
  for (let i = 0; i < OPS; i++) {
    const roll = r.below(100);
    const op = model.size === 0 || roll < 25 ? 'put' : roll < 29 ? 'large put' : roll < 55 ? 'ranged cat' : roll < 65 ? 'cat'
      : roll < 75 ? 'ls' : roll < 87 ? 'cp' : 'rm';
    counts[op] = (counts[op] ?? 0) + 1;
    const what = `${name} op ${i} ${op}`;
    if (op === 'put' || op === 'large put') {
      const key = `d${r.below(4)}/obj-${i}`;
      const len = op === 'put' ? 1 + r.below(64 * KiB) : big + 1 + r.below(big);
      const data = r.bytes(len);
      // Every key is new, so the small puts are create-only: a lost answer followed by a retry
      // must not be reported as "already exists".
      const info = await fs.put(p(key), data, op === 'put' ? { mode: 'create' } : {});
      assert.equal(info.size, len, what);
      model.set(key, data);
    } else if (op === 'ranged cat') {
      const key = pick();
      const data = model.get(key);
      const start = r.below(data.length);
      const end = start + 1 + r.below(20_000);
      const got = await fs.cat(p(key), start, end);
      assert.ok(same(got, data.subarray(start, end)), `${what}: [${start}:${end}] of ${key} differs`);
      verified += got.length;
    } else if (op === 'cat') {
      const key = pick();
      const got = await fs.cat(p(key), null, null);
      assert.ok(same(got, model.get(key)), `${what}: ${key} differs`);
      verified += got.length;
    } else if (op === 'ls') {
      const dir = `d${r.below(4)}`;
      const want = [...model.keys()].filter((k) => k.startsWith(`${dir}/`)).map(p).sort();
      const got = want.length ? (await fs.ls(p(dir))).map((e) => e.name).sort() : [];
      assert.deepEqual(got, want, what);
    } else if (op === 'cp') {
      const src = pick();
      const dst = `copies/${i}`;
      await fs.cp(p(src), p(dst), false);
      model.set(dst, model.get(src));
    } else {
      const key = pick();
      await fs.rm(p(key), false);
      model.delete(key);
    }
  }
  // The final state, without faults in the way.
  assert.deepEqual(await direct.find(bucket), [...model.keys()].map(p).sort(), `${name}: the objects are those written`);
  for (const [key, data] of model) {
    assert.ok(same(await direct.cat(p(key), null, null), data), `${name}: ${key} differs at the end`);
    verified += data.length;
  }
  return { counts, verified, objects: model.size };
}

/// Large writes through a proxy faulting a third of the requests, by a client with two attempts
/// per request: some fail, and a failed one leaves no object. Writes go on until both outcomes
/// were seen (at most 30).
async function failedWritesLeaveNothing(name, fs, direct, bucket, big, leftovers = async () => []) {
  const r = rng(0xFEED);
  const written = [];
  const failed = [];
  for (let i = 0; i < 30 && (failed.length < 3 || written.length < 2); i++) {
    const key = `${bucket}/large/w${i}`;
    const data = r.bytes(big + 1 + r.below(big));
    try {
      await fs.put(key, data);
      written.push([key, data]);
    } catch (e) {
      assert.notEqual(e.kind, 'Integrity', `${key}: ${e.message}`);
      failed.push([key, e]);
    }
  }
  assert.ok(failed.length >= 3 && written.length >= 2, `${name}: ${written.length} writes succeeded, ${failed.length} failed`);
  for (const [key, e] of failed) assert.equal(await direct.exists(key), false, `${name}: failed write ${key} left an object (${e.kind}: ${e.message})`);
  for (const [key, data] of written) assert.ok(same(await direct.cat(key, null, null), data), `${name}: ${key} differs`);
  assert.deepEqual(await leftovers(), [], `${name}: uploads left behind`);
  return { written: written.length, failed: failed.length };
}

/// One provider: the workload at 20%, then the failed writes at a third.
async function provider(name, { upstream, open, bucket, big, leftovers, seed }) {
  const t0 = Date.now();
  const direct = open(upstream, {});
  await direct.mkdir(bucket);
  const proxy = await faultProxy(upstream, 0.2, seed);
  const w = await workload(name, open(proxy.url, {}), direct, bucket, big);
  proxy.close();
  assert.ok(proxy.faults() >= proxy.stats.requests / 10, `too few faults injected: ${proxy.summary()}`);
  for (const k of KINDS) assert.ok(proxy.stats[k] > 0, `${name}: no ${k} fault was injected (${proxy.summary()})`);
  console.log(`faults ${name}: ${OPS} operations ${JSON.stringify(w.counts)}; ${w.verified} bytes read back and compared; proxy saw ${proxy.summary()}`);

  const harsh = await faultProxy(upstream, 1 / 3, seed ^ 0x0127);
  const f = await failedWritesLeaveNothing(name, open(harsh.url, { max_attempts: 2 }), direct, bucket, big, leftovers);
  harsh.close();
  console.log(`faults ${name}: large writes at 33% faults, 2 attempts: ${f.written} succeeded, ${f.failed} failed and left no object; proxy saw ${harsh.summary()}`);
  // One by one: storage-testbench has no batch endpoint.
  for (const k of await direct.find(bucket)) await direct.rm(k, false);
  await direct.rm(bucket, false);
  assert.equal(await direct.exists(bucket), false);
  console.log(`faults ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/// The error says whether the write may have been carried out: a lost answer (the server did it)
/// is `outcomeUnknown`, a 503 (it did not) is not. One attempt, every request faulted one way.
async function outcomeIsReported(open, upstream, bucket) {
  const direct = open(upstream, {});
  await direct.mkdir(bucket);
  for (const [kind, unknown] of [['lost', true], ['503', false]]) {
    const proxy = await faultProxy(upstream, 1, 7, [kind]);
    const key = `${bucket}/outcome-${kind}`;
    const e = await open(proxy.url, { max_attempts: 1 }).put(key, 'x').then(() => null, (err) => err);
    proxy.close();
    assert.ok(e && e.name === 'PailfsError', `${kind}: the put should fail`);
    assert.equal(e.outcomeUnknown, unknown, `${kind}: outcomeUnknown (${e.kind}: ${e.message})`);
    assert.equal(await direct.exists(key), unknown, `${kind}: the object exists exactly when the server carried the put out`);
  }
  await direct.rm(bucket, true);
  console.log('faults S3 (moto): a lost answer rejects with outcomeUnknown (and the object is there); a 503 without');
}

const only = process.argv[2];
const pid = process.pid;
const s3 = (endpoint, key, secret, quirks) => (url, extra) => new PailFs({ endpoint_url: url, key, secret, part_size: 5 * MiB, ...(quirks ? { quirks } : {}), ...extra });
const providers = {
  // s3s-fs checks every signature, through the proxy too; moto lists the multipart uploads
  // left open (unsigned), so the failed multipart writes run there.
  s3s: () => provider('S3 (s3s-fs)', {
    upstream: env('PAILFS_S3S_ENDPOINT'), open: s3(null, env('PAILFS_S3S_KEY'), env('PAILFS_S3S_SECRET'), 's3s-fs'),
    bucket: `pailfs-jsfaults-${pid}`, big: 5 * MiB, seed: 0x5eed,
  }),
  moto: async () => {
    const endpoint = env('PAILFS_MOTO_ENDPOINT');
    const bucket = `pailfs-jsfaults-moto-${pid}`;
    await outcomeIsReported(s3(null, env('PAILFS_MOTO_KEY'), env('PAILFS_MOTO_SECRET')), endpoint, `${bucket}-outcome`);
    return provider('S3 (moto)', {
      upstream: endpoint, open: s3(null, env('PAILFS_MOTO_KEY'), env('PAILFS_MOTO_SECRET')), bucket, big: 5 * MiB, seed: 0x3070,
      leftovers: async () => [...(await (await fetch(`${endpoint}/${bucket}?uploads`)).text()).matchAll(/<Key>(.*?)<\/Key>/g)].map((m) => m[1]),
    });
  },
  // Resumable sessions of 256 KiB chunks.
  gcs: () => provider('GCS (storage-testbench)', {
    upstream: env('PAILFS_GCS_ENDPOINT'),
    open: (url, extra) => PailFs.fromUrl(`gs://pailfs-jsfaults-gcs-${pid}`, { endpoint_url: url, anon: true, project: 'test-project', part_size: 256 * KiB, ...extra }),
    bucket: `pailfs-jsfaults-gcs-${pid}`, big: 256 * KiB, seed: 0x6c5,
  }),
  // Blocks of 256 KiB, committed by a block list.
  azure: () => {
    const blob = new URL(env('PAILFS_AZURITE_BLOB'));
    return provider('Azure (Azurite)', {
      upstream: blob.origin,
      open: (url, extra) => PailFs.fromUrl(`az://pailfs-jsfaults-az-${pid}`, {
        account_name: env('PAILFS_AZURITE_ACCOUNT'), account_key: env('PAILFS_AZURITE_KEY'), endpoint_url: `${url}${blob.pathname}`, part_size: 256 * KiB, ...extra,
      }),
      bucket: `pailfs-jsfaults-az-${pid}`, big: 256 * KiB, seed: 0xA2,
    });
  },
};
for (const [name, run] of Object.entries(providers)) if (!only || only === name) await run();
