// Runs in headless Chromium on a page served from another origin than the storage server: one
// cross-origin scenario for GCS (storage-testbench behind the CORS proxy) or Azure (Azurite,
// whose own CORS rules browser.test.mjs sets). The driver puts { provider, url, options } in
// window.pailfsCloud before the page loads (so no key is in the page's URL) and reads
// window.pailfsResult.
import init, { PailFs } from '../../../pkg/web/pailfs.js';

const KiB = 1024;
const log = (m) => { document.getElementById('log').textContent += m + '\n'; };

async function run() {
  await init();
  const { provider, url, options, chunk } = window.pailfsCloud;
  const fs = PailFs.fromUrl(url, options);
  const bucket = fs.root;
  const p = (k) => `${bucket}/${k}`;
  const steps = [];
  await fs.mkdir(bucket);
  steps.push('mkdir');

  // Larger than one chunk (GCS: resumable session) or block (Azure: staged blocks and a block
  // list), from a File as a file picker gives it.
  const big = new Uint8Array(2 * chunk + 12_345);
  for (let i = 0; i < big.length; i++) big[i] = (i * 29 + (i >> 10)) & 255;
  const progress = [];
  const info = await fs.put(p('up/big.bin'), new File([big], 'big.bin'), (done, total) => progress.push([done, total]));
  if (info.size !== big.length) throw new Error(`size ${info.size}`);
  if (progress.length < 2 || progress.at(-1)[0] !== big.length) throw new Error(`progress ${JSON.stringify(progress)}`);
  steps.push(`upload of ${big.length} bytes in ${progress.length} ${provider === 'gcs' ? 'chunks' : 'blocks'}`);
  await fs.put(p('up/hello ü+.txt'), `hello ${provider}`);

  const names = (await fs.ls(p('up'))).map((e) => e.name);
  if (JSON.stringify(names) !== JSON.stringify([p('up/big.bin'), p('up/hello ü+.txt')])) throw new Error(`ls ${names}`);
  steps.push('list');

  const [a, b] = [chunk - 10, chunk + 10];
  const range = await fs.cat(p('up/big.bin'), a, b);
  if (range.length !== b - a || range.some((x, i) => x !== big[a + i])) throw new Error('range differs');
  const whole = await fs.cat(p('up/big.bin'), null, null);
  if (whole.length !== big.length || whole.some((x, i) => x !== big[i])) throw new Error('the upload reads back wrong');
  steps.push('ranged read across the chunk boundary, and the whole object byte for byte');

  if (provider === 'azure') {
    // A service SAS URL, fetched by a plain fetch (cross-origin, no credentials).
    const signed = await fs.sign(p('up/hello ü+.txt'), 60);
    const res = await fetch(signed);
    if (res.status !== 200 || (await res.text()) !== `hello ${provider}`) throw new Error(`SAS GET ${res.status}`);
    steps.push('SAS URL fetched by plain fetch');
  } else {
    // Anonymous GCS has nothing to sign with (see the report: no HMAC option reaches the JS API).
    const refused = await fs.sign(p('up/hello ü+.txt'), 60).then(() => null, (e) => e.kind);
    if (refused !== 'NotSupported') throw new Error(`anonymous sign: ${refused}`);
    steps.push('sign refused as NotSupported (anonymous)');
  }

  if (provider === 'azure') {
    await fs.rm(bucket, true);  // the blobs in one Blob Batch, then the container
  } else {
    // storage-testbench has no batch endpoint: one by one.
    for (const k of await fs.find(bucket)) await fs.rm(k, false);
    await fs.rm(bucket, false);
  }
  if (await fs.exists(bucket)) throw new Error('bucket still there');
  steps.push(provider === 'azure' ? 'recursive delete (Blob Batch)' : 'delete');
  return { ok: true, steps };
}

run()
  .then((r) => { window.pailfsResult = r; log(JSON.stringify(r)); })
  .catch((e) => { window.pailfsResult = { ok: false, error: `${e.name}: ${e.message}`, kind: e.kind }; log(String(e)); });
