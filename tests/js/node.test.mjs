// The wasm package in Node 20 (its global fetch), against s3s-fs (which checks every SigV4
// signature) and moto: multipart write, listing, ranges, unicode keys, presigned GET, typed
// errors. Run by `make test` after `scripts/wasm.sh build`, with the servers' env sourced.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { PailFs } = require('../../pkg/node/pailfs.js');

function env(server, k) {
  const v = process.env[`PAILFS_${server}_${k}`];
  if (!v) throw new Error(`PAILFS_${server}_${k} is not set: start the servers (make test does)`);
  return v;
}

async function suite(server) {
  const opts = { endpoint: env(server, 'ENDPOINT'), accessKeyId: env(server, 'KEY'), secretAccessKey: env(server, 'SECRET') };
  const fs = new PailFs(opts);
  const bucket = `pailfs-node-${server.toLowerCase()}-${process.pid}`;
  const p = (k) => `${bucket}/${k}`;
  await fs.mkdir(bucket);

  // 9 MiB: more than the 8 MiB part size, so a multipart upload.
  const big = new Uint8Array(9 * 1024 * 1024 + 123);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 13)) & 255;
  const info = await fs.pipe(p('dir/big.bin'), big);
  assert.equal(info.size, big.length);
  assert.equal(info.type, 'file');
  const key = 'dir/small 🇦🇺 $@~+.txt';
  await fs.pipe(p(key), new TextEncoder().encode('hello from node'));

  const ls = await fs.ls(p('dir'));
  assert.deepEqual(ls.map((e) => e.name), [p('dir/big.bin'), p(key)]);
  assert.ok(ls.every((e) => e.lastModified), 'listing carries dates');
  // s3s-fs 0.14 lists without ETags; moto has them.
  if (server === 'MOTO') assert.ok(ls.every((e) => e.etag), 'listing carries etags');
  assert.deepEqual(await fs.find(bucket), [p('dir/big.bin'), p(key)]);  // before many/ exists
  assert.deepEqual(await fs.glob(p('**/*.txt')), [p(key)]);

  assert.deepEqual([...(await fs.cat(p('dir/big.bin'), 5_000_000, 5_000_016))], [...big.slice(5_000_000, 5_000_016)]);
  assert.equal(new TextDecoder().decode(await fs.cat(p(key), -4, null)), 'node');
  const all = await fs.cat(p('dir/big.bin'), null, null);
  assert.equal(all.length, big.length);
  assert.ok(all.every((b, i) => b === big[i]), 'whole multipart object reads back byte for byte');

  // Listing page by page, as an async iterator.
  await Promise.all(Array.from({ length: 25 }, (_, i) => fs.pipe(p(`many/k${String(i).padStart(2, '0')}`), new Uint8Array([i]))));
  const sizes = [];
  const seen = [];
  for await (const page of fs.listPages(p('many'), true, 10)) {
    sizes.push(page.length);
    seen.push(...page.map((e) => e.name));
  }
  assert.deepEqual(sizes, [10, 10, 5]);
  assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => p(`many/k${String(i).padStart(2, '0')}`)));
  const top = [];
  for await (const page of fs.listPages(bucket, false, 1)) top.push(...page.map((e) => `${e.type}:${e.name}`));
  assert.deepEqual(top, [`directory:${p('dir')}`, `directory:${p('many')}`]);

  // A presigned URL works with a plain fetch and no credentials.
  const res = await fetch(fs.sign(p(key), 60));
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'hello from node');

  // Typed errors.
  await assert.rejects(fs.cat(p('missing'), null, null), (e) => e.kind === 'NotFound' && e.name === 'PailfsError');
  await assert.rejects(fs.info(`${bucket}-none/x`), (e) => e.kind === 'NotFound');
  if (server === 'S3S') {
    const wrong = new PailFs({ ...opts, secretAccessKey: 'wrong-secret-node' });
    await assert.rejects(wrong.ls(''), (e) => e.kind === 'PermissionDenied' && e.status === 403 && !String(e.message).includes('wrong-secret-node'));
  }

  await fs.cp(p('dir'), p('copy'), true);
  assert.equal(new TextDecoder().decode(await fs.cat(p('copy/small 🇦🇺 $@~+.txt'), null, null)), 'hello from node');
  await fs.rm(bucket, true);
  assert.equal(await fs.exists(bucket), false);
  console.log(`node ${server}: ok (multipart, listing, paged listing, ranges, unicode keys, presign, typed errors, cp, rm)`);
}

for (const server of ['S3S', 'MOTO']) {
  await suite(server);
}

// A server that accepts the request and never answers: the AbortSignal timeout fires, the error
// is a typed Timeout, and the process is not kept alive by leftover timers.
{
  const { createServer } = await import('node:http');
  const silent = createServer(() => {});
  await new Promise((ok) => silent.listen(0, '127.0.0.1', ok));
  const fs = new PailFs({ endpoint: `http://127.0.0.1:${silent.address().port}`, accessKeyId: 'k', secretAccessKey: 's', timeoutMs: 300, maxAttempts: 2 });
  const t0 = Date.now();
  await assert.rejects(fs.ls(''), (e) => e.kind === 'Timeout' && e.retryable === true);
  assert.ok(Date.now() - t0 < 5000, 'two attempts of 300 ms');
  silent.closeAllConnections();
  silent.close();
  console.log('node: a silent server times out as a typed Timeout');
}
