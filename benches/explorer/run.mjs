// The explorer against the simplest alternative (sdk.html: the AWS SDK for JavaScript, every
// row rendered), on one moto server in one run, in headless Chromium:
//   - time from opening the N-key prefix to its first rows on screen;
//   - scrolling through all of it: wall time, and frames dropped (requestAnimationFrame gaps);
//   - JS heap (after a forced GC) and DOM elements once everything is loaded and scrolled.
//   - resident memory of the renderer processes (JS heap, DOM, layout, wasm memory), and the JS
//     heap alone; each page runs in a browser of its own.
// Needs .servers/moto.env sourced, pkg/ and www/dist built, and this folder's npm packages
// with dist/sdk.js bundled: scripts/bench-explorer.sh does all of it. Prints a Markdown table.
// Nothing is asserted: figures go to BENCHMARKS.md.
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve, extname } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { chromium } from '../../tests/js/node_modules/playwright-core/index.mjs';
import { PailFs } from '../../pkg/node/pailfs.js';

const here = resolve(new URL('.', import.meta.url).pathname);
const root = resolve(here, '../..');
const { PAILFS_MOTO_ENDPOINT: endpoint, PAILFS_MOTO_KEY: key, PAILFS_MOTO_SECRET: secret } = process.env;
if (!endpoint) throw new Error('source .servers/moto.env');
const N = Number(process.env.EXPLORER_BENCH_KEYS ?? 100_000);
const bucket = 'bench-explorer';
const prefix = 'many/';

// ---- seed N tiny keys (moto keeps them in memory: every run seeds afresh)
const fs = PailFs.fromUrl('s3://', { endpoint_url: endpoint, key, secret });
const t0 = Date.now();
await fs.mkdir(bucket).catch(() => {});
const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:OptionsObject', Resource: `arn:aws:s3:::${bucket}/*` }] };
await fetch(`${endpoint}/${bucket}?policy`, { method: 'PUT', body: JSON.stringify(policy) });
const cors = '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>' + ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'].map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join('') +
  '<AllowedHeader>*</AllowedHeader><AllowedHeader>authorization</AllowedHeader><ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>';
await fetch(`${endpoint}/${bucket}?cors`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: cors });
const names = Array.from({ length: N }, (_, i) => `${prefix}${String(i).padStart(6, '0')}.txt`);
// Seeded already (a re-run on the same moto) when the prefix holds exactly N keys; the last key
// is written only after all the others.
const count = async () => { let n = 0; for await (const page of fs.listPages(`${bucket}/${prefix.slice(0, -1)}`, true, 1000)) n += page.length; return n; };
if (!(await fs.exists(`${bucket}/${names.at(-1)}`)) || (await count()) !== N) {
  await fs.rm(`${bucket}/${prefix}`, true).catch(() => {});
  const rest = names.slice(0, -1);
  for (let i = 0; i < rest.length; i += 256) await Promise.all(rest.slice(i, i + 256).map((n) => fs.put(`${bucket}/${n}`, n)));
  await fs.put(`${bucket}/${names.at(-1)}`, names.at(-1));
  console.error(`seeded ${N} keys in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
} else console.error(`${N} keys already seeded`);

// ---- the two pages: the explorer (www/serve.mjs, demo profile) and the SDK page
const dir = await mkdtemp(join(tmpdir(), 'explorer-bench-'));
const profile = join(dir, 'profile.json');
await writeFile(profile, JSON.stringify({ endpoint, region: 'us-east-1', bucket, key, secret }));
const www = spawn(process.execPath, [join(root, 'www/serve.mjs'), '--port', '0', '--connect', new URL(endpoint).origin, '--profile', profile], { stdio: ['ignore', 'pipe', 'inherit'] });
const wwwBase = await new Promise((ok) => { let out = ''; www.stdout.on('data', (d) => { out += d; const m = /serving (\S+)/.exec(out); if (m) ok(m[1]); }); });
const sdkServer = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const file = { '/': 'sdk.html', '/dist/sdk.js': 'dist/sdk.js' }[path];
  if (!file) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': extname(file) === '.js' ? 'text/javascript' : 'text/html' }).end(await readFile(join(here, file)));
});
await new Promise((ok) => sdkServer.listen(0, '127.0.0.1', ok));
const sdkBase = `http://127.0.0.1:${sdkServer.address().port}/`;

const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// Resident memory of the browser's renderer processes (the page's JS heap, DOM, layout and the
// wasm memory all live there), from /proc.
async function rendererRss(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  let kib = 0;
  for (const p of processInfo.filter((x) => x.type === 'renderer')) {
    const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${p.id}/status`, 'utf8').catch(() => ''));
    if (m) kib += Number(m[1]);
  }
  await cdp.detach();
  return kib / 1024;
}

// In the page: scroll `sel` (or the document) by `step` px per animation frame until the end is
// reached and `done()` holds; frame gaps longer than one 60 Hz frame count as dropped frames.
const scrollThrough = (args) => new Promise((finish) => {
  const [sel, step, doneExpr] = args;
  const el = sel ? document.querySelector(sel) : document.scrollingElement;
  const done = new Function(`return (${doneExpr})`);
  const start = performance.now();
  let last = start, dropped = 0, frames = 0;
  const tick = (t) => {
    const gap = t - last;
    last = t;
    frames++;
    if (frames > 1) dropped += Math.max(0, Math.round(gap / (1000 / 60)) - 1);
    el.scrollTop += step;
    const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - 2;
    if (atEnd && done()) finish({ ms: t - start, frames, dropped });
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
});

async function measure(name, url, firstRow, scroller, doneExpr) {
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const cdp = await page.context().newCDPSession(page);
  const t = Date.now();
  await page.goto(url);
  await page.waitForSelector(firstRow, { timeout: 120_000 });
  const first = Date.now() - t;
  const scroll = await page.evaluate(scrollThrough, [scroller, 2400, doneExpr]);
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const rss = await rendererRss(browser);
  const dom = await page.evaluate(() => document.getElementsByTagName('*').length);
  const loaded = await page.evaluate(doneExpr.includes('#count') ? () => Number(document.querySelector('#count').dataset.loaded) : () => Number(document.querySelector('#status').dataset.loaded));
  await browser.close();
  return { name, first, scroll, heapMiB: heap.usedSize / 2 ** 20, rss, dom, loaded };
}

try {
  const explorer = await measure('pailfs explorer', `${wwwBase}www/#s3/${bucket}/${prefix}`, '#spacer .vrow:not([hidden])', '#viewport',
    `document.querySelector('#count').dataset.loaded == ${N}`);
  const q = new URLSearchParams({ endpoint, bucket, prefix, key, secret });
  const sdk = await measure('AWS SDK v3, every row rendered', `${sdkBase}?${q}`, '#rows tr', null, `document.querySelector('#status').dataset.done === 'true'`);
  const sdkGzip = gzipSync(await readFile(join(here, 'dist/sdk.js')), { level: 9 }).length;
  const wasmGzip = gzipSync(await readFile(join(root, 'pkg/web/pailfs_bg.wasm')), { level: 9 }).length +
    gzipSync(await readFile(join(root, 'pkg/web/pailfs.js')), { level: 9 }).length +
    gzipSync(await readFile(join(root, 'www/dist/app.js')), { level: 9 }).length + gzipSync(await readFile(join(root, 'www/dist/parquet.js')), { level: 9 }).length;
  const r = (x, d = 1) => x.toFixed(d);
  console.log(`\n${N.toLocaleString('en-US')} keys in one prefix, moto, headless Chromium (1280×800), one run:\n`);
  console.log('| page | first rows | scroll through all | frames dropped / drawn | JS heap after GC | renderer RSS | DOM elements | keys loaded | script, gzip -9 |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [m, size] of [[explorer, wasmGzip], [sdk, sdkGzip]]) {
    console.log(`| ${m.name} | ${r(m.first / 1000, 2)} s | ${r(m.scroll.ms / 1000)} s | ${m.scroll.dropped} / ${m.scroll.frames} | ${r(m.heapMiB)} MiB | ${r(m.rss, 0)} MiB | ${m.dom} | ${m.loaded} | ${r(size / 1024)} KB |`);
  }
  console.log(`\nratios (explorer / SDK page): first rows ${r(explorer.first / sdk.first, 2)}×, JS heap ${r(explorer.heapMiB / sdk.heapMiB, 2)}×, renderer RSS ${r(explorer.rss / sdk.rss, 2)}×, DOM ${r(explorer.dom / sdk.dom, 3)}×, dropped frames ${sdk.scroll.dropped ? r(explorer.scroll.dropped / sdk.scroll.dropped, 2) : 'n/a'}×`);
} finally {
  www.kill();
  sdkServer.close();
  await rm(dir, { recursive: true, force: true });
}
