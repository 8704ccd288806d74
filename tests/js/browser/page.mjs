// Runs in headless Chromium, on a page served from another port than the S3 server: every
// request is cross-origin. Reports to window.pailfsResult for the driver (browser.test.mjs).
import init, { PailFs } from '../../../pkg/web/pailfs.js';

const params = new URLSearchParams(location.search);
const log = (m) => { document.getElementById('log').textContent += m + '\n'; };

async function run() {
  await init();
  const fs = new PailFs({
    endpoint_url: params.get('endpoint'),
    key: params.get('key'),
    secret: params.get('secret'),
    timeout: 20,
    // The server behind the CORS proxy is s3s-fs.
    quirks: 's3s-fs',
  });
  const steps = [];
  if (params.get('mode') === 'no-cors') {
    // The same request against a server that answers no CORS preflight.
    try {
      await fs.ls('');
      return { ok: false, steps, error: 'a request refused by CORS succeeded' };
    } catch (e) {
      return { ok: true, steps, error: String(e.message), kind: e.kind };
    }
  }
  const bucket = `pailfs-browser-${Date.now()}`;
  const p = (k) => `${bucket}/${k}`;
  await fs.mkdir(bucket);
  steps.push('mkdir');

  // A multipart upload (9 MiB > the 8 MiB part size) with progress callbacks.
  const big = new Uint8Array(9 * 1024 * 1024 + 77);
  for (let i = 0; i < big.length; i++) big[i] = (i * 13 + (i >> 11)) & 255;
  const progress = [];
  // From a File, as a file picker gives it: read a slice at a time.
  const info = await fs.put(p('up/big.bin'), new File([big], 'big.bin'), (done, total) => progress.push([done, total]));
  if (info.size !== big.length) throw new Error(`size ${info.size}`);
  // One report per part the server accepted (8 MiB, then the rest), growing to the size.
  if (progress.length !== 2 || progress.at(-1)[0] !== big.length || progress[0][0] >= progress[1][0]) throw new Error(`progress ${JSON.stringify(progress)}`);
  steps.push(`multipart put from a File with ${progress.length} progress callbacks, etag ${info.etag}`);

  await fs.pipe(p('up/hello 🇦🇺.txt'), new TextEncoder().encode('hello browser'));
  const names = (await fs.ls(p('up'))).map((e) => e.name);
  if (JSON.stringify(names) !== JSON.stringify([p('up/big.bin'), p('up/hello 🇦🇺.txt')])) throw new Error(`ls ${names}`);
  steps.push('list');

  const range = await fs.cat(p('up/big.bin'), 8_388_600, 8_388_620);
  for (let i = 0; i < 20; i++) if (range[i] !== big[8_388_600 + i]) throw new Error('range differs');
  steps.push('ranged read across the part boundary');

  const url = await fs.sign(p('up/hello 🇦🇺.txt'), 60);
  const res = await fetch(url);
  if (res.status !== 200 || (await res.text()) !== 'hello browser') throw new Error(`presigned GET ${res.status}`);
  steps.push('presigned GET with plain fetch');

  // The package in a dedicated web worker, against the same bucket.
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
  const options = { endpoint_url: params.get('endpoint'), key: params.get('key'), secret: params.get('secret'), quirks: 's3s-fs' };
  const fromWorker = await new Promise((ok, fail) => {
    worker.onmessage = (m) => ok(m.data);
    worker.onerror = (e) => fail(new Error(`worker: ${e.message}`));
    worker.postMessage({ options, bucket });
  });
  worker.terminate();
  if (!fromWorker.ok) throw new Error(`worker ${JSON.stringify(fromWorker)}`);
  steps.push('put from a Blob, ls, ranged cat and get inside a web worker');

  await fs.rm(bucket, true);
  if (await fs.exists(bucket)) throw new Error('bucket still there');
  steps.push('recursive delete');
  return { ok: true, steps };
}

run()
  .then((r) => { window.pailfsResult = r; log(JSON.stringify(r)); })
  .catch((e) => { window.pailfsResult = { ok: false, error: `${e.name}: ${e.message}`, kind: e.kind }; log(String(e)); });
