// End to end test of the bucket explorer (www/) in headless Chromium (Debian's, through
// playwright-core) against moto, which answers CORS: a fresh bucket is seeded through the wasm
// package in Node, then the page is driven like a user would. s3s-fs (no CORS) stands in for a
// bucket without a CORS configuration. Needs .servers/moto.env and .servers/s3s.env sourced and
// www built (tsc -p www). Screenshots of every step go to target/explorer/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, mkdir, writeFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { tmpdir, homedir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { deflateSync, crc32 } from 'node:zlib';
import { chromium } from 'playwright-core';
import { PailFs } from '../../pkg/node/pailfs.js';

const root = resolve(new URL('../..', import.meta.url).pathname);
const shots = join(root, 'target', 'explorer');
await mkdir(shots, { recursive: true });
const { PAILFS_MOTO_ENDPOINT: endpoint, PAILFS_MOTO_KEY: key, PAILFS_MOTO_SECRET: secret, PAILFS_S3S_ENDPOINT: s3s } = process.env;
assert.ok(endpoint && key && secret && s3s, 'source .servers/moto.env and .servers/s3s.env');
const started = Date.now();

// ---- seed a fresh bucket through the package
const bucket = `explorer-${Date.now().toString(36)}`;
const fs = PailFs.fromUrl('s3://', { endpoint_url: endpoint, key, secret });
await fs.mkdir(bucket);
// moto answers a browser's preflight (OPTIONS, unsigned) on an existing private object with 403;
// a bucket policy that allows s3:OptionsObject to anyone lets preflights through (and nothing else).
const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:OptionsObject', Resource: `arn:aws:s3:::${bucket}/*` }] };
assert.equal((await fetch(`${endpoint}/${bucket}?policy`, { method: 'PUT', body: JSON.stringify(policy) })).status, 200);
// And a CORS configuration that exposes ETag and Content-Range (moto's own wildcard exposes none).
// "*" does not cover Authorization in a preflight answer: it is named.
const cors = '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>' +
  ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'].map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join('') +
  '<AllowedHeader>*</AllowedHeader><AllowedHeader>authorization</AllowedHeader>' +
  ['ETag', 'Content-Range', 'Content-Length', 'Last-Modified', 'x-amz-checksum-crc32c', 'x-amz-request-id', 'x-amz-version-id', 'x-amz-meta-owner'].map((h) => `<ExposeHeader>${h}</ExposeHeader>`).join('') +
  '<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>';
assert.equal((await fetch(`${endpoint}/${bucket}?cors`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: cors })).status, 200);
const HOSTILE_IMG = '<img src=x onerror=alert(1)>';
const HOSTILE_SCRIPT = '"><script>alert(2)</script>.txt'; // has a "/": a folder `"><script>alert(2)<` holding `script>.txt`
const CSV = 'city,country,population\nLisbon,Portugal,545923\n"Washington, D.C.",USA,689545\nKyoto,Japan,1464890\n';
const JSON_OBJ = { name: 'explorer', nested: { list: [1, 2, 3], ok: true }, html: '<b>not bold</b>' };
function png(w, h) { // a tiny RGB PNG
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([x * 30, y * 30, 200], y * (w * 3 + 1) + 1 + x * 3);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const seed = {
  [HOSTILE_IMG]: 'hostile key one\n',
  [HOSTILE_SCRIPT]: 'hostile key two\n',
  'README.txt': 'seeded by explorer.test.mjs\n',
  'docs/cities.csv': CSV,
  'docs/data.json': JSON.stringify(JSON_OBJ),
  'docs/pixel.png': png(8, 8),
  'docs/reports/2026/q1.csv': 'id,value\n1,42\n',
  'docs/rename-me.txt': 'rename me\n',
  'docs/share.txt': 'shared by a presigned link\n',
  'trash/a.txt': 'a', 'trash/b.txt': 'b', 'trash/sub/c.txt': 'c', 'trash/sub/d.txt': 'd', 'trash/sub/deeper/e.txt': 'e',
};
for (const [k, v] of Object.entries(seed)) await fs.put(`${bucket}/${k}`, typeof v === 'string' ? v : new Uint8Array(v));
// An object with user metadata and a content type (the package's put sets neither; moto takes
// an unsigned PUT), shown by the info panel from a HEAD.
assert.equal((await fetch(`${endpoint}/${bucket}/docs/owned.txt`, { method: 'PUT', headers: { 'content-type': 'text/plain; charset=utf-8', 'x-amz-meta-owner': 'ada <lovelace>' }, body: 'owned\n' })).status, 200);
// A Parquet file written by pyarrow (the seeder's venv, from scripts/servers.sh install), and
// what pyarrow itself reads from its footer: the oracle the preview is compared with.
const python = join(process.env.PAILFS_TOOLS ?? join(homedir(), '.cache', 'pailfs'), 'venv', 'bin', 'python');
const pqDir = await mkdtemp(join(tmpdir(), 'explorer-pq-'));
const pqOracle = JSON.parse(execFileSync(python, ['-c', `
import json, sys, pyarrow as pa, pyarrow.parquet as pq
n = 300
t = pa.table({
    "id": pa.array(range(n), pa.int64()),
    "name": pa.array([f"row {i}" for i in range(n)], pa.string()),
    "at": pa.array([i * 1000 for i in range(n)], pa.timestamp("ms", tz="UTC")),
    "point": pa.array([{"x": float(i), "y": -float(i)} for i in range(n)]),
    "tags": pa.array([[str(i)] * (i % 3) for i in range(n)], pa.list_(pa.string())),
})
pq.write_table(t, sys.argv[1], row_group_size=100, compression="zstd")
f = pq.ParquetFile(sys.argv[1])
md = f.metadata
print(json.dumps({
    "rows": md.num_rows,
    "groups": [md.row_group(i).num_rows for i in range(md.num_row_groups)],
    "leaves": [[f.schema.column(i).path, f.schema.column(i).physical_type] for i in range(len(f.schema))],
    "codec": md.row_group(0).column(0).compression,
}))
`, join(pqDir, 't.parquet')]).toString());
const pqBytes = await readFile(join(pqDir, 't.parquet'));
await rm(pqDir, { recursive: true, force: true });
await fs.put(`${bucket}/docs/table.parquet`, new Uint8Array(pqBytes));
// Three 4 MiB read blocks and a bit: streamed to disk block by block.
const BIG = new Uint8Array(9 * 1024 * 1024 + 7).map((_, i) => (i * 31 + (i >> 12)) & 255);
await fs.put(`${bucket}/dl/big.bin`, BIG);
{
  // The footer parser on its own: every truncation of a real footer is a ParquetError (not a
  // crash, a hang or a wrong summary), and so is a file that does not end in PAR1.
  const { footerLength, parseFooter, ParquetError } = await import('../../www/dist/parquet.js');
  const n = pqBytes.length, len = footerLength(new Uint8Array(pqBytes.subarray(n - 8)));
  const footer = new Uint8Array(pqBytes.subarray(n - 8 - len, n - 8));
  assert.equal(parseFooter(footer).rows, pqOracle.rows);
  for (let cut = 0; cut < footer.length; cut++) assert.throws(() => parseFooter(footer.subarray(0, cut)), ParquetError, `cut at ${cut}`);
  assert.throws(() => footerLength(new TextEncoder().encode('12345678')), ParquetError);
}
const MANY = 3000;
const names = Array.from({ length: MANY }, (_, i) => `many/k${String(i).padStart(5, '0')}.txt`);
for (let i = 0; i < names.length; i += 200) await Promise.all(names.slice(i, i + 200).map((n) => fs.put(`${bucket}/${n}`, n)));
console.log(`explorer: seeded ${bucket} (${Object.keys(seed).length + MANY} objects) in ${((Date.now() - started) / 1000).toFixed(1)} s`);

// ---- the page's static server (CSP header naming moto and s3s-fs in connect-src)
// storage-testbench (GCS) answers no CORS: a CORS proxy (nginx, scripts/cors-proxy.sh) goes in
// front of it, as a bucket's CORS rule would.
const gcsUpstream = process.env.PAILFS_GCS_ENDPOINT;
assert.ok(gcsUpstream, 'source .servers/gcs.env');
execFileSync(join(root, 'scripts/cors-proxy.sh'), ['start', 'gcs', gcsUpstream], { stdio: 'inherit' });
const gcsEndpoint = /PAILFS_CORS_GCS_ENDPOINT=(\S+)/.exec(await readFile(join(root, '.servers/cors-gcs.env'), 'utf8'))[1];
// Azurite answers CORS by the account's own rule, set here with Microsoft's client (as the
// account's owner would): this page's origin is not known yet, so the rule allows any.
const { PAILFS_AZURITE_BLOB: azBlob, PAILFS_AZURITE_ACCOUNT: azAccount, PAILFS_AZURITE_KEY: azKey } = process.env;
assert.ok(azBlob && azAccount && azKey, 'source .servers/azurite.env');
execFileSync(python, ['-c', `
import sys
from azure.storage.blob import BlobServiceClient, CorsRule
c = BlobServiceClient(account_url=sys.argv[1], credential={"account_name": sys.argv[2], "account_key": sys.argv[3]})
c.set_service_properties(cors=[CorsRule(["*"], ["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"], allowed_headers=["*"], exposed_headers=["*"], max_age_in_seconds=600)])
`, azBlob, azAccount, azKey]);
const origins = [endpoint, s3s, gcsEndpoint, gcsUpstream, azBlob].map((u) => new URL(u).origin).join(' ');
const server = spawn(process.execPath, [join(root, 'www/serve.mjs'), '--port', '0', '--connect', origins], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((ok, fail) => {
  let out = '';
  server.stdout.on('data', (d) => { out += d; const m = /serving (\S+)/.exec(out); if (m) ok(m[1]); });
  server.on('exit', (c) => fail(new Error(`www/serve.mjs exited ${c}`)));
});
const pageUrl = `${base}www/`;
const origin = new URL(base).origin;

const profile = await mkdtemp(join(tmpdir(), 'pailfs-explorer-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  acceptDownloads: true,
  viewport: { width: 1280, height: 800 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const dialogs = [], pageErrors = [];
let n = 0;
const shot = async (page, name) => { await page.screenshot({ path: join(shots, `${String(++n).padStart(2, '0')}-${name}.png`) }); };
async function newPage() {
  const page = await browser.newPage();
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && process.env.EXPLORER_DEBUG) console.error('console:', m.text()); });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return page;
}
const rowsIn = (page) => page.$$eval('#spacer .vrow:not([hidden])', (rs) => rs.map((r) => r.querySelector('.col-name').textContent));
const loaded = (page) => page.$eval('#count', (c) => Number(c.dataset.loaded));
const row = (page, name) => page.locator(`#spacer .vrow[data-name="${name.replace(/["\\]/g, '\\$&')}"]`);
async function waitRows(page, name, timeout = 30_000) { await row(page, name).waitFor({ state: 'visible', timeout }); }
const crumbs = (page) => page.$$eval('#crumbs a', (as) => as.map((a) => a.textContent));
const findings = (page) => page.$$eval('.cors-findings li', (lis) => lis.map((li) => [li.dataset.check, li.dataset.ok]));
async function modalOk(page) { await page.locator('#modal-ok').click(); await page.locator('#modal').waitFor({ state: 'hidden' }); }

const timings = [];
async function step(name, f) {
  const t = Date.now();
  try {
    await f();
  } catch (e) {
    for (const p of browser.pages().filter((x) => x.url() !== 'about:blank')) await p.screenshot({ path: join(shots, `FAILED-${name.replace(/\W+/g, '-')}-${browser.pages().indexOf(p)}.png`) }).catch(() => {});
    throw e;
  }
  timings.push(`${name} ${((Date.now() - t) / 1000).toFixed(1)}s`);
}

try {
  const page = await newPage();

  await step('connect', async () => {
    await page.goto(pageUrl);
    await page.waitForSelector('body[data-ready="true"]');
    await page.selectOption('select[name=provider]', 's3');
    await page.fill('input[name=endpoint]', endpoint);
    await page.fill('input[name=bucket]', bucket);
    await page.fill('input[name=key]', key);
    await page.fill('input[name=secret]', secret);
    await page.check('input[name=remember]');
    await shot(page, 'connect-form');
    await page.click('#connect-form button[type=submit]');
    await waitRows(page, 'docs/');
    assert.match(page.url(), new RegExp(`#s3/${bucket}/\\?endpoint=`), 'the hash names provider, bucket and endpoint');
    assert.ok(!page.url().includes(secret) || secret === key, 'no secret in the URL');
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
  });

  await step('hostile keys', async () => {
    const names = await rowsIn(page);
    assert.ok(names.includes(HOSTILE_IMG), `the <img> key is shown verbatim: ${names}`);
    assert.ok(names.includes('"><script>alert(2)</'), `the <script> folder is shown verbatim: ${names}`);
    assert.equal(await page.locator('img').count(), 0, 'no <img> element was made from a key');
    assert.equal(await page.locator('script').count(), 1, 'no <script> element was made from a key');
    await waitRows(page, '"><script>alert(2)</');
    await row(page, '"><script>alert(2)</').dblclick();
    await waitRows(page, 'script>.txt');
    assert.deepEqual(await crumbs(page), [bucket, '"><script>alert(2)<']);
    await row(page, 'script>.txt').click();
    await page.locator('#preview-btn').click();
    await page.locator('#preview .preview-text').waitFor();
    assert.equal(await page.locator('#preview .preview-text').textContent(), 'hostile key two\n');
    await page.locator('#crumbs a').first().click();
    await waitRows(page, HOSTILE_IMG);
    await row(page, HOSTILE_IMG).click();
    await page.locator('#info h3').waitFor();
    assert.equal(await page.locator('#info h3').textContent(), HOSTILE_IMG);
    await shot(page, 'hostile-keys');
    assert.equal(await page.locator('img').count(), 0);
  });

  await step('folders, breadcrumbs, history, keyboard', async () => {
    await row(page, 'docs/').dblclick();
    await waitRows(page, 'reports/');
    await row(page, 'reports/').dblclick();
    await waitRows(page, '2026/');
    await row(page, '2026/').dblclick();
    await waitRows(page, 'q1.csv');
    assert.deepEqual(await crumbs(page), [bucket, 'docs', 'reports', '2026']);
    await shot(page, 'nested-folder');
    await page.locator('#crumbs a', { hasText: 'docs' }).click();
    await waitRows(page, 'cities.csv');
    assert.deepEqual(await crumbs(page), [bucket, 'docs']);
    await page.goBack();
    await waitRows(page, 'q1.csv');
    await page.goForward();
    await waitRows(page, 'cities.csv');
    // Keyboard: Backspace goes up, arrows move, Enter opens.
    await page.locator('#viewport').focus();
    await page.keyboard.press('Backspace');
    await waitRows(page, 'README.txt');
    assert.deepEqual(await crumbs(page), [bucket]);
    await page.locator('#viewport').focus();
    const first = await rowsIn(page);
    const docsAt = first.indexOf('docs/');
    for (let i = 0; i <= docsAt; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await waitRows(page, 'cities.csv');
    assert.deepEqual(await crumbs(page), [bucket, 'docs']);
  });

  await step('deep link reload', async () => {
    await page.reload();
    await waitRows(page, 'cities.csv'); // "remember in this tab" restored the connection
    assert.deepEqual(await crumbs(page), [bucket, 'docs']);
    // A new tab with the link: endpoint and bucket from the hash, credentials asked for.
    const link = page.url();
    const other = await newPage();
    await other.goto(link);
    await other.waitForSelector('body[data-ready="true"]');
    assert.equal(await other.inputValue('input[name=endpoint]'), endpoint);
    assert.equal(await other.inputValue('input[name=bucket]'), bucket);
    assert.equal(await other.inputValue('input[name=key]'), '');
    assert.equal(await other.inputValue('input[name=secret]'), '');
    await shot(other, 'deep-link-asks-credentials');
    await other.fill('input[name=key]', key);
    await other.fill('input[name=secret]', secret);
    await other.click('#connect-form button[type=submit]');
    await waitRows(other, 'cities.csv');
    assert.deepEqual(await crumbs(other), [bucket, 'docs']);
    await other.close();
  });

  await step('previews', async () => {
    await row(page, 'cities.csv').click();
    await page.keyboard.press('Enter');
    await page.locator('#preview table.preview-csv').waitFor();
    assert.deepEqual(await page.$$eval('#preview table th', (ths) => ths.map((t) => t.textContent)), ['city', 'country', 'population']);
    assert.equal(await page.locator('#preview table tr').count(), 4);
    assert.equal(await page.locator('#preview table tr').nth(2).locator('td').first().textContent(), 'Washington, D.C.');
    await shot(page, 'preview-csv');
    await row(page, 'data.json').dblclick();
    await page.locator('#preview pre.preview-json').waitFor();
    assert.equal(await page.locator('#preview pre.preview-json').textContent(), JSON.stringify(JSON_OBJ, null, 2));
    await shot(page, 'preview-json');
    await row(page, 'pixel.png').dblclick();
    await page.locator('#preview img.preview-image').waitFor();
    await page.waitForFunction(() => document.querySelector('#preview img')?.naturalWidth === 8);
    assert.match(await page.locator('#preview img').getAttribute('src'), /^blob:/);
    assert.equal(await page.locator('#info [data-field=ETag]').count(), 1);
    await shot(page, 'preview-png-info');

    // Info from a HEAD: content type and user metadata (verbatim, as text).
    await row(page, 'owned.txt').click();
    await page.waitForFunction(() => document.querySelector('#info [data-field="Content type"]')?.textContent !== '…');
    assert.equal(await page.locator('#info [data-field="Content type"]').textContent(), 'text/plain; charset=utf-8');
    // moto answers HEAD without Access-Control-Expose-Headers (its GETs carry them; measured with
    // curl), so the page cannot see x-amz-meta-owner and must say why it shows none. (Node reads
    // the same metadata through info(): tests/js/node.test.mjs.)
    assert.equal(await page.locator('#info [data-field="Metadata"]').textContent(), "none (or none the bucket's CORS rule exposes)");
    assert.equal(await page.locator('#info [data-field="Storage class"]').textContent(), 'STANDARD');
    await shot(page, 'info-metadata');

    // Parquet: schema and row groups from the footer, in two ranged GETs of the file.
    const gets = [];
    const onRequest = (r) => { if (r.method() === 'GET' && r.url().includes('table.parquet')) gets.push(r.headers().range ?? 'none'); };
    page.on('request', onRequest);
    await row(page, 'table.parquet').dblclick();
    await page.locator('#preview table.parquet-groups').waitFor();
    page.off('request', onRequest);
    const size = pqBytes.length, footer = pqBytes.readUInt32LE(size - 8);
    assert.deepEqual(gets, [`bytes=${size - 8}-${size - 1}`, `bytes=${size - 8 - footer}-${size - 9}`]);
    assert.match(await page.locator('#parquet-summary').textContent(), new RegExp(`^Parquet: ${pqOracle.rows} rows in ${pqOracle.groups.length} row groups, ${pqOracle.leaves.length} columns`));
    const groups = await page.$$eval('#preview table.parquet-groups tr[data-id]', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    assert.deepEqual(groups.map((g) => Number(g[1].replace(/,/g, ''))), pqOracle.groups);
    assert.ok(groups.every((g) => g[4] === pqOracle.codec), `codec ${pqOracle.codec}: ${JSON.stringify(groups)}`);
    const schema = Object.fromEntries(await page.$$eval('#preview table.parquet-schema tr[data-id]', (trs) => trs.map((tr) => [tr.dataset.id, tr.children[1].textContent])));
    for (const [path, physical] of pqOracle.leaves) assert.equal(schema[path], physical, `column ${path}: ${JSON.stringify(schema)}`);
    assert.equal(schema.point, 'group');
    const logicalOf = (p) => page.locator(`#preview table.parquet-schema tr[data-id="${p}"] td`).nth(2).textContent();
    assert.equal(await logicalOf('name'), 'STRING');
    assert.equal(await logicalOf('at'), 'TIMESTAMP(ms, UTC)');
    await shot(page, 'preview-parquet');
  });

  await step('virtualized 3000-key folder', async () => {
    await page.locator('#crumbs a').first().click();
    await waitRows(page, 'many/');
    await row(page, 'many/').dblclick();
    await waitRows(page, 'k00000.txt');
    const dom = await page.locator('#spacer .vrow').count();
    assert.ok(dom < 80, `only visible rows are in the DOM (${dom})`);
    // Scroll to the end of what is loaded until everything is; rows past the first page appear.
    for (let i = 0; i < 100 && !(await page.$eval('#count', (c) => c.dataset.done === 'true')); i++) {
      await page.$eval('#viewport', (v) => { v.scrollTop = v.scrollHeight; });
      await page.waitForTimeout(300);
    }
    assert.equal(await loaded(page), MANY, 'every page was loaded by scrolling');
    await page.$eval('#viewport', (v) => { v.scrollTop = v.scrollHeight; });
    await waitRows(page, 'k02999.txt');
    const domAfter = await page.locator('#spacer .vrow').count();
    assert.ok(domAfter < 80, `still only visible rows in the DOM after scrolling through ${MANY} (${domAfter})`);
    await shot(page, 'many-scrolled-to-end');
    await page.fill('#filter', 'k0150');
    await waitRows(page, 'k01509.txt');
    assert.equal((await rowsIn(page)).length, 10);
    assert.match(await page.locator('#count').textContent(), /10 match of 3000 loaded/);
    await page.fill('#filter', '');
    await page.locator('.thead .sort[data-sort=name]').click(); // name, descending
    assert.match(await page.locator('#count').textContent(), /sorted by name within the loaded rows/);
    await page.$eval('#viewport', (v) => { v.scrollTop = 0; });
    await waitRows(page, 'k02999.txt');
    // Multi-select: click, shift-click.
    await row(page, 'k02999.txt').click();
    await row(page, 'k02995.txt').click({ modifiers: ['Shift'] });
    assert.match(await page.locator('#count').textContent(), /5 selected/);
    await row(page, 'k02990.txt').click({ modifiers: ['Control'] });
    assert.match(await page.locator('#count').textContent(), /6 selected/);
    await shot(page, 'many-sorted-desc-selected');
    await page.locator('.thead .sort[data-sort=name]').click();
    // "Starts with" is the listing's prefix: one request, answered by the server with the ten
    // matches only (not three pages walked through).
    const lists = [];
    const onList = (r) => { if (r.method() === 'GET' && r.url().includes('list-type=2')) lists.push(new URL(r.url()).searchParams.get('prefix')); };
    page.on('request', onList);
    await page.fill('#prefix-filter', 'k0299');
    await page.waitForFunction(() => document.querySelector('#count')?.textContent?.includes('filtered by the server'));
    await waitRows(page, 'k02990.txt');
    assert.equal((await rowsIn(page)).length, 10);
    assert.equal(await loaded(page), 10);
    page.off('request', onList);
    assert.deepEqual(lists, ['many/k0299'], 'one listing request, with the typed prefix');
    await page.fill('#prefix-filter', '');
  });

  await step('upload with progress, cancel', async () => {
    await page.locator('#crumbs a').first().click();
    await waitRows(page, 'docs/');
    await row(page, 'docs/').dblclick();
    await waitRows(page, 'cities.csv');
    const dir = await mkdtemp(join(tmpdir(), 'pailfs-upload-'));
    const big = join(dir, 'upload-20mb.bin');
    const data = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data[i] = i & 0xff;
    await writeFile(big, data);
    await page.setInputFiles('#file-input', big);
    const item = page.locator('.upload[data-name="upload-20mb.bin"]');
    await item.waitFor();
    await page.waitForSelector('.upload[data-name="upload-20mb.bin"][data-state="done"]', { timeout: 60_000 });
    assert.ok(Number(await item.getAttribute('data-events')) >= 2, 'progress reported per part');
    assert.equal((await fs.info(`${bucket}/docs/upload-20mb.bin`)).size, data.length);
    await waitRows(page, 'upload-20mb.bin');
    await shot(page, 'upload-done');
    // A folder, by the folder picker: its relative paths are kept, the total line counts files.
    await mkdir(join(dir, 'album', 'sub'), { recursive: true });
    await writeFile(join(dir, 'album', 'a.txt'), 'a\n');
    await writeFile(join(dir, 'album', 'sub', 'b.txt'), 'b\n');
    await page.setInputFiles('#dir-input', join(dir, 'album'));
    await page.waitForSelector('.upload[data-name="album/sub/b.txt"][data-state="done"]');
    await page.waitForSelector('.upload[data-name="album/a.txt"][data-state="done"]');
    assert.equal(new TextDecoder().decode(await fs.cat(`${bucket}/docs/album/sub/b.txt`)), 'b\n');
    await waitRows(page, 'album/');
    assert.match(await page.locator('#transfer-total').textContent(), /3 of 3 files finished/);
    // Drag and drop: files dropped on the listing are uploaded into the folder shown.
    const dt = await page.evaluateHandle(() => {
      const d = new DataTransfer();
      d.items.add(new File(['dropped one\n'], 'dropped-1.txt', { type: 'text/plain' }));
      d.items.add(new File(['dropped two\n'], 'dropped-2.txt', { type: 'text/plain' }));
      return d;
    });
    await page.dispatchEvent('.listing', 'dragenter', { dataTransfer: dt });
    assert.equal(await page.locator('#drop-hint').isVisible(), true, 'the drop target says so');
    await page.dispatchEvent('.listing', 'drop', { dataTransfer: dt });
    await page.waitForSelector('.upload[data-name="dropped-2.txt"][data-state="done"]');
    await page.waitForSelector('.upload[data-name="dropped-1.txt"][data-state="done"]');
    assert.equal(new TextDecoder().decode(await fs.cat(`${bucket}/docs/dropped-2.txt`)), 'dropped two\n');
    // Retry: the server refuses the first attempt (a 403, which is not retried by itself); the
    // failed file offers Retry, which uploads it.
    let refuse = true;
    const refused = (u) => u.pathname.endsWith('/docs/retry-me.txt');
    await page.route(refused, async (r) => {
      if (!refuse || r.request().method() === 'OPTIONS') return r.continue();
      await r.fulfill({ status: 403, headers: { 'access-control-allow-origin': '*', 'content-type': 'application/xml' }, body: '<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>' });
    });
    await page.setInputFiles('#file-input', { name: 'retry-me.txt', mimeType: 'text/plain', buffer: Buffer.from('second time lucky\n') });
    await page.waitForSelector('.upload[data-name="retry-me.txt"][data-state="failed"]');
    assert.equal(await fs.exists(`${bucket}/docs/retry-me.txt`), false);
    await shot(page, 'upload-failed-retry');
    refuse = false;
    assert.equal(await page.locator('.error', { hasText: 'Upload of retry-me.txt failed' }).locator('[data-field=kind]').textContent(), 'PermissionDenied');
    await page.locator('.error', { hasText: 'Upload of retry-me.txt failed' }).locator('.close').click(); // as a user would, to reach Retry
    await page.locator('.upload[data-name="retry-me.txt"] button', { hasText: 'Retry' }).click();
    await page.waitForSelector('.upload[data-name="retry-me.txt"][data-state="done"]');
    await page.unroute(refused);
    assert.equal(new TextDecoder().decode(await fs.cat(`${bucket}/docs/retry-me.txt`)), 'second time lucky\n');
    // Cancel: hold the parts back so the cancel lands mid-upload, after the upload was created.
    const cancelName = 'cancel-me.bin';
    await writeFile(join(dir, cancelName), data);
    await page.route((u) => u.searchParams.has('partNumber'), async (r) => { await new Promise((ok) => setTimeout(ok, 2000)); await r.continue().catch(() => {}); });
    const partSent = page.waitForRequest((r) => new URL(r.url()).searchParams.has('partNumber'));
    await page.setInputFiles('#file-input', join(dir, cancelName));
    await partSent;
    await page.locator(`.upload[data-name="${cancelName}"] button.cancel`).click();
    await page.waitForSelector(`.upload[data-name="${cancelName}"][data-state="cancelled"]`, { timeout: 30_000 });
    await page.unroute((u) => u.searchParams.has('partNumber'));
    await shot(page, 'upload-cancelled');
    const uploads = await (await fetch(`${endpoint}/${bucket}?uploads`)).text();
    assert.match(uploads, /<ListMultipartUploadsResult/, uploads);
    assert.doesNotMatch(uploads, /<Upload>/, `no multipart upload left on the server: ${uploads}`);
    assert.equal(await fs.exists(`${bucket}/docs/${cancelName}`), false);
    await rm(dir, { recursive: true, force: true });
  });

  await step('download', async () => {
    // Without the File System Access API: the object is read into the tab, then saved.
    await page.evaluate(() => { window.__picker = window.showSaveFilePicker; window.showSaveFilePicker = undefined; });
    await row(page, 'cities.csv').click();
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
    assert.equal(dl.suggestedFilename(), 'cities.csv');
    assert.equal(await readFile(await dl.path(), 'utf8'), CSV);
    // With it (Chromium), streamed block by block into the file the user picks. Headless
    // Chromium cannot answer the native dialog, so the picker is answered with a real file
    // handle of the origin-private file system; the writing is the browser's own.
    assert.equal(await page.evaluate(() => typeof window.__picker), 'function', 'Chromium has showSaveFilePicker');
    await page.evaluate(() => {
      window.showSaveFilePicker = async ({ suggestedName }) => {
        window.__suggested = suggestedName;
        return (await navigator.storage.getDirectory()).getFileHandle(`saved-${suggestedName}`, { create: true });
      };
    });
    await page.locator('#crumbs a').first().click();
    await waitRows(page, 'dl/');
    await row(page, 'dl/').dblclick();
    await waitRows(page, 'big.bin');
    await row(page, 'big.bin').click();
    await page.locator('#download').click();
    await page.locator('.download[data-name="big.bin"][data-state=done]').waitFor({ timeout: 60_000 });
    assert.equal(await page.evaluate(() => window.__suggested), 'big.bin');
    const [savedSize, savedHash] = await page.evaluate(async () => {
      const f = await (await (await navigator.storage.getDirectory()).getFileHandle('saved-big.bin')).getFile();
      const h = new Uint8Array(await crypto.subtle.digest('SHA-256', await f.arrayBuffer()));
      return [f.size, Array.from(h, (b) => b.toString(16).padStart(2, '0')).join('')];
    });
    assert.equal(savedSize, BIG.length);
    assert.equal(savedHash, createHash('sha256').update(BIG).digest('hex'), 'the file on disk is the object, byte for byte');
    assert.match(await page.locator('.download[data-name="big.bin"] .state').textContent(), /^saved to saved-big\.bin, 9\.0 MiB/);
    await shot(page, 'download-streamed');
    await page.evaluate(() => { window.showSaveFilePicker = window.__picker; });
    await page.goBack();
    await waitRows(page, 'docs/');
    await row(page, 'docs/').dblclick();
    await waitRows(page, 'cities.csv');
  });

  await step('rename', async () => {
    await row(page, 'rename-me.txt').click();
    await page.locator('#rename').click();
    assert.equal(await page.inputValue('#modal-input'), 'docs/rename-me.txt');
    await page.fill('#modal-input', 'docs/renamed.txt');
    await modalOk(page);
    await waitRows(page, 'renamed.txt');
    assert.equal(await row(page, 'rename-me.txt').count(), 0);
    assert.equal(await fs.exists(`${bucket}/docs/rename-me.txt`), false);
    assert.equal(new TextDecoder().decode(await fs.cat(`${bucket}/docs/renamed.txt`)), 'rename me\n');
  });

  await step('copy, new folder', async () => {
    await row(page, 'renamed.txt').click();
    await page.locator('#copy').click();
    await page.fill('#modal-input', 'docs/copied.txt');
    await modalOk(page);
    await waitRows(page, 'copied.txt');
    await page.locator('#mkdir').click();
    await page.fill('#modal-input', 'fresh');
    await modalOk(page);
    await waitRows(page, 'fresh/');
  });

  await step('share link', async () => {
    await row(page, 'share.txt').click();
    await page.locator('#share').click();
    await page.waitForFunction(() => document.querySelector('#share-url')?.value.startsWith('http'));
    await page.selectOption('#share-expiry', '900');
    await page.waitForFunction(() => /X-Amz-Expires=900/.test(document.querySelector('#share-url')?.value ?? ''));
    const url = await page.inputValue('#share-url');
    // The expiry shown is the one the URL carries: X-Amz-Date + X-Amz-Expires.
    const q = new URL(url).searchParams;
    const signed = q.get('X-Amz-Date').replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z');
    const shown = await page.locator('#share-expires').getAttribute('data-expires');
    assert.equal(Date.parse(shown), Date.parse(signed) + Number(q.get('X-Amz-Expires')) * 1000, `${shown} vs ${signed}`);
    await shot(page, 'share-dialog');
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'shared by a presigned link\n');
    await page.locator('#modal-ok').click();
  });

  await step('delete a folder', async () => {
    await page.locator('#crumbs a').first().click();
    await waitRows(page, 'trash/');
    await row(page, 'trash/').click();
    await page.keyboard.press('Delete');
    await page.locator('#modal').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#modal-title').textContent(), 'Delete 5 objects?');
    await shot(page, 'delete-confirm');
    await page.locator('#modal-cancel').click();
    assert.equal((await fs.find(`${bucket}/trash`)).length, 5, 'cancel deletes nothing');
    await page.locator('#delete').click();
    await modalOk(page);
    await row(page, 'trash/').waitFor({ state: 'detached' });
    assert.equal((await fs.find(`${bucket}/trash`).catch(() => [])).length, 0);
  });

  await step('narrow screen', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await row(page, 'docs/').dblclick();
    await waitRows(page, 'cities.csv');
    await row(page, 'cities.csv').click();
    await page.keyboard.press('Enter');
    await page.locator('#preview table').waitFor();
    await shot(page, 'narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
    // The theme follows prefers-color-scheme.
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await bg();
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await bg();
    assert.notEqual(dark, light, 'a dark background in dark mode');
    await shot(page, 'dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await step('memory:// with nothing running', async () => {
    const mem = await newPage();
    const offsite = [];
    mem.on('request', (r) => { if (new URL(r.url()).origin !== origin && !r.url().startsWith('blob:')) offsite.push(r.url()); });
    await mem.goto(pageUrl);
    await mem.waitForSelector('body[data-ready="true"]');
    await mem.selectOption('select[name=provider]', 'memory');
    await mem.click('#connect-form button[type=submit]');
    await waitRows(mem, 'README.txt');
    assert.match(mem.url(), /#memory\/scratch\//);
    await row(mem, 'data/').dblclick();
    await waitRows(mem, 'table.csv');
    await row(mem, 'table.csv').dblclick();
    await mem.locator('#preview table.preview-csv').waitFor();
    await mem.setInputFiles('#file-input', { name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, memory\n') });
    await mem.waitForSelector('.upload[data-name="hello.txt"][data-state="done"]');
    await waitRows(mem, 'hello.txt');
    await row(mem, 'hello.txt').dblclick();
    await mem.locator('#preview .preview-text').waitFor();
    assert.equal(await mem.locator('#preview .preview-text').textContent(), 'hello, memory\n');
    await row(mem, 'hello.txt').click();
    await mem.keyboard.press('Delete');
    await modalOk(mem);
    await row(mem, 'hello.txt').waitFor({ state: 'detached' });
    await shot(mem, 'memory-mode');
    assert.deepEqual(offsite, [], 'memory:// made no request off the page\'s origin');
    await mem.close();
  });

  await step('100,000-key folder (memory://, in the tab)', async () => {
    // The same listing pages and virtualized table as for a bucket, with the keys in the tab's
    // memory store so the test needs no 15-minute seeding (make bench-explorer does it on moto).
    const big = await newPage();
    await big.goto(pageUrl);
    await big.waitForSelector('body[data-ready="true"]');
    await big.selectOption('select[name=provider]', 'memory');
    await big.check('input[name=many]');
    await big.click('#connect-form button[type=submit]');
    await waitRows(big, 'many/', 120_000);
    await row(big, 'many/').dblclick();
    const t = Date.now();
    await waitRows(big, '000000.txt');
    const firstRows = Date.now() - t;
    assert.equal(await loaded(big), 1000, 'the first page is shown before the rest is asked for');
    for (let i = 0; i < 400 && !(await big.$eval('#count', (c) => c.dataset.done === 'true')); i++) {
      await big.$eval('#viewport', (v) => { v.scrollTop = v.scrollHeight; });
      await big.waitForTimeout(50);
    }
    assert.equal(await loaded(big), 100_000, 'every page was loaded by scrolling');
    await big.$eval('#viewport', (v) => { v.scrollTop = v.scrollHeight; });
    await waitRows(big, '099999.txt');
    const dom = await big.locator('#spacer .vrow').count();
    assert.ok(dom < 80, `only the visible rows are in the DOM after 100,000 (${dom})`);
    await shot(big, 'memory-100k-end');
    console.log(`explorer: 100,000-key folder in memory://: first rows ${firstRows} ms after opening it, all loaded by scrolling`);
    await big.close();
  });

  await step('CORS failure diagnosed', async () => {
    const bad = await newPage();
    await bad.goto(pageUrl);
    await bad.waitForSelector('body[data-ready="true"]');
    await bad.fill('input[name=endpoint]', s3s);
    await bad.fill('input[name=bucket]', 'no-cors-bucket');
    await bad.fill('input[name=key]', 'whoever');
    await bad.fill('input[name=secret]', 'whatever');
    await bad.click('#connect-form button[type=submit]');
    await bad.locator('.error.cors .cors-json').waitFor({ timeout: 60_000 });
    assert.equal(await bad.locator('.error.cors [data-field=kind]').textContent(), 'Io');
    const cfg = JSON.parse(await bad.locator('.error.cors .cors-json').textContent());
    assert.deepEqual(cfg.CORSRules[0].AllowedOrigins, [origin]);
    assert.deepEqual(cfg.CORSRules[0].ExposeHeaders, ['ETag']);
    assert.deepEqual(cfg.CORSRules[0].AllowedMethods, ['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);
    await bad.waitForFunction(() => !document.querySelector('.error.cors .cors-diagnosis')?.textContent?.startsWith('Probing'));
    await bad.locator('.cors-diagnosis[data-done=true]').waitFor();
    assert.deepEqual(await findings(bad), [['origin', 'false']]);
    assert.match(await bad.locator('.cors-findings [data-check=origin]').textContent(), new RegExp(`origin ${origin.replace(/[.]/g, '\\.')} is not allowed at all`));
    await bad.locator('.error.cors .cors-diagnosis').scrollIntoViewIfNeeded();
    await shot(bad, 'cors-help');
    assert.deepEqual(await bad.evaluate(() => window.__csp), [], 'no CSP violation');
    await bad.close();

    // A bucket whose CORS rule lets the origin in but not the rest: each missing piece is named.
    const partial = `${bucket}-partial`;
    await fs.mkdir(partial);
    const pol = { ...policy, Statement: [{ ...policy.Statement[0], Resource: `arn:aws:s3:::${partial}/*` }] };
    assert.equal((await fetch(`${endpoint}/${partial}?policy`, { method: 'PUT', body: JSON.stringify(pol) })).status, 200);
    const rule = '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>' +
      '<AllowedHeader>range</AllowedHeader><AllowedHeader>x-amz-date</AllowedHeader><AllowedHeader>content-type</AllowedHeader></CORSRule></CORSConfiguration>';
    assert.equal((await fetch(`${endpoint}/${partial}?cors`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: rule })).status, 200);
    const half = await newPage();
    await half.goto(pageUrl);
    await half.waitForSelector('body[data-ready="true"]');
    await half.fill('input[name=endpoint]', endpoint);
    await half.fill('input[name=bucket]', partial);
    await half.fill('input[name=key]', key);
    await half.fill('input[name=secret]', secret);
    await half.click('#connect-form button[type=submit]');
    await half.locator('.cors-diagnosis[data-done=true]').waitFor({ timeout: 60_000 });
    assert.deepEqual(await findings(half), [['origin', 'true'], ['headers', 'false'], ['methods', 'false']]);
    assert.match(await half.locator('.cors-findings [data-check=headers]').textContent(), /refuses the request headers authorization, x-amz-content-sha256 \(/);
    assert.match(await half.locator('.cors-findings [data-check=methods]').textContent(), /refuses the methods PUT, POST, DELETE \(/);
    assert.deepEqual(await fs.ls(partial), [], 'the probes left nothing behind');
    await half.locator('.error.cors .cors-diagnosis').scrollIntoViewIfNeeded();
    await shot(half, 'cors-partial');
    assert.deepEqual(await half.evaluate(() => window.__csp), [], 'no CSP violation');
    await half.close();
    await fs.rm(partial, true);
  });

  await step('GCS (storage-testbench behind a CORS proxy)', async () => {
    const g = PailFs.fromUrl('gs://', { endpoint_url: gcsUpstream, anon: true, project: 'test-project' });
    const gb = `explorer-gcs-${Date.now().toString(36)}`;
    await g.mkdir(gb);
    await g.put(`${gb}/top.txt`, 'top\n');
    await g.put(`${gb}/docs/cities.csv`, CSV);
    // Straight to the testbench, which answers no CORS: the help is GCS's (gcloud's cors JSON,
    // this page's origin in it) and the probe finds the origin refused.
    const nocors = await newPage();
    await nocors.goto(pageUrl);
    await nocors.waitForSelector('body[data-ready="true"]');
    await nocors.selectOption('select[name=provider]', 'gcs');
    await nocors.fill('input[name=endpoint]', gcsUpstream);
    await nocors.fill('input[name=bucket]', gb);
    await nocors.check('input[name=anon]');
    await nocors.click('#connect-form button[type=submit]');
    await nocors.locator('.error.cors .cors-diagnosis[data-done=true]').waitFor({ timeout: 60_000 });
    assert.equal(await nocors.locator('.error.cors').getAttribute('data-cors-for'), 'gcs');
    const gcsRule = JSON.parse(await nocors.locator('.error.cors .cors-json').textContent());
    assert.deepEqual(gcsRule[0].origin, [origin]);
    assert.ok(gcsRule[0].responseHeader.includes('x-goog-hash') && gcsRule[0].responseHeader.includes('Location'), JSON.stringify(gcsRule));
    assert.deepEqual(await findings(nocors), [['origin', 'false']]);
    assert.match(await nocors.locator('.error.cors').textContent(), /gcloud storage buckets update gs:\/\//);
    await shot(nocors, 'gcs-cors-help');
    await nocors.close();
    const gp = await newPage();
    await gp.goto(pageUrl);
    await gp.waitForSelector('body[data-ready="true"]');
    await gp.selectOption('select[name=provider]', 'gcs');
    assert.equal(await gp.locator('input[name=key]').isVisible(), false, 'S3 keys are not asked for GCS');
    await gp.fill('input[name=endpoint]', gcsEndpoint);
    await gp.fill('input[name=bucket]', gb);
    await gp.check('input[name=anon]');
    await gp.click('#connect-form button[type=submit]');
    await waitRows(gp, 'docs/');
    assert.match(gp.url(), new RegExp(`#gcs/${gb}/\\?endpoint=`));
    await row(gp, 'docs/').dblclick();
    await waitRows(gp, 'cities.csv');
    await row(gp, 'cities.csv').dblclick();
    await gp.locator('#preview table.preview-csv').waitFor();
    assert.equal(await gp.locator('#preview table tr').nth(2).locator('td').first().textContent(), 'Washington, D.C.');
    // An upload larger than one resumable chunk (8 MiB parts, 256 KiB-aligned): the session URI
    // comes back in Location, each chunk is acknowledged with 308 and its Range.
    const dir = await mkdtemp(join(tmpdir(), 'explorer-gcs-'));
    const file = join(dir, 'upload-9mb.bin');
    const data = Buffer.from(new Uint8Array(9 * 1024 * 1024 + 3).map((_, i) => (i * 13) & 255));
    await writeFile(file, data);
    const chunks = [];
    const onChunk = (r) => { if (r.method() === 'PUT' && r.url().includes('upload_id=')) chunks.push(r.headers()['content-range']); };
    gp.on('request', onChunk);
    await gp.setInputFiles('#file-input', file);
    await gp.waitForSelector('.upload[data-name="upload-9mb.bin"][data-state="done"]', { timeout: 60_000 });
    gp.off('request', onChunk);
    assert.deepEqual(chunks, [`bytes 0-${8 * 1024 * 1024 - 1}/*`, `bytes ${8 * 1024 * 1024}-${data.length - 1}/${data.length}`], 'two chunks of one resumable session');
    const back = Buffer.from(await g.cat(`${gb}/docs/upload-9mb.bin`));
    assert.ok(back.equals(data), 'the uploaded object is the file, byte for byte');
    await waitRows(gp, 'upload-9mb.bin');
    await shot(gp, 'gcs-uploaded');
    // Anonymous access cannot sign a link: the page says so, typed.
    await row(gp, 'upload-9mb.bin').click();
    await gp.locator('#share').click();
    await gp.locator('.error [data-field=kind]').first().waitFor();
    assert.equal(await gp.locator('.error [data-field=kind]').first().textContent(), 'NotSupported');
    await gp.locator('#modal-ok').click();
    // Delete, confirmed.
    await row(gp, 'upload-9mb.bin').click();
    await gp.keyboard.press('Delete');
    await modalOk(gp);
    await row(gp, 'upload-9mb.bin').waitFor({ state: 'hidden' });
    assert.equal(await g.exists(`${gb}/docs/upload-9mb.bin`), false);
    assert.deepEqual(await gp.evaluate(() => window.__csp), [], 'no CSP violation');
    await gp.close();
    await rm(dir, { recursive: true, force: true });
    await g.rm(gb, true).catch(() => {});
  });

  await step('Azure Blob (Azurite, its own CORS rule)', async () => {
    const az = PailFs.fromUrl('az://', { endpoint_url: azBlob, account_name: azAccount, account_key: azKey });
    const cb = `explorer-az-${Date.now().toString(36)}`;
    await az.mkdir(cb);
    await az.put(`${cb}/docs/cities.csv`, CSV);
    await az.put(`${cb}/docs/share.txt`, 'shared by a SAS\n');
    const ap = await newPage();
    await ap.goto(pageUrl);
    await ap.waitForSelector('body[data-ready="true"]');
    await ap.selectOption('select[name=provider]', 'azure');
    assert.equal(await ap.locator('input[name=account_key]').isVisible(), true);
    assert.equal(await ap.locator('input[name=secret]').isVisible(), false, 'S3 secrets are not asked for Azure');
    await ap.fill('input[name=endpoint]', azBlob);
    await ap.fill('input[name=account]', azAccount);
    await ap.fill('input[name=bucket]', cb);
    await ap.fill('input[name=account_key]', azKey);
    await ap.click('#connect-form button[type=submit]');
    await waitRows(ap, 'docs/');
    assert.match(ap.url(), new RegExp(`#azure/${cb}/\\?endpoint=.*&account=${azAccount}`));
    assert.ok(!ap.url().includes(encodeURIComponent(azKey)) && !ap.url().includes(azKey), 'no key in the URL');
    await row(ap, 'docs/').dblclick();
    await waitRows(ap, 'cities.csv');
    await row(ap, 'cities.csv').dblclick();
    await ap.locator('#preview table.preview-csv').waitFor();
    assert.equal(await ap.locator('#preview table tr').nth(3).locator('td').first().textContent(), 'Kyoto');
    // An upload of several blocks (8 MiB each), committed by one Put Block List.
    const blocks = [];
    const onBlock = (r) => { if (r.method() === 'PUT' && /comp=block(&|$)/.test(r.url())) blocks.push(r.url()); };
    ap.on('request', onBlock);
    const dir = await mkdtemp(join(tmpdir(), 'explorer-az-'));
    const file = join(dir, 'upload-17mb.bin');
    const data = Buffer.from(new Uint8Array(17 * 1024 * 1024).map((_, i) => (i * 7) & 255));
    await writeFile(file, data);
    await ap.setInputFiles('#file-input', file);
    await ap.waitForSelector('.upload[data-name="upload-17mb.bin"][data-state="done"]', { timeout: 60_000 });
    ap.off('request', onBlock);
    assert.equal(blocks.length, 3, `three blocks staged: ${blocks.length}`);
    assert.ok(Buffer.from(await az.cat(`${cb}/docs/upload-17mb.bin`)).equals(data), 'the blob is the file, byte for byte');
    await waitRows(ap, 'upload-17mb.bin');
    // Share: a SAS made from the account key, fetched by a plain client.
    await row(ap, 'share.txt').click();
    await ap.locator('#share').click();
    await ap.waitForFunction(() => /[?&]sig=/.test(document.querySelector('#share-url')?.value ?? ''));
    const url = await ap.inputValue('#share-url');
    assert.match(url, /[?&]sv=.*&se=/);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'shared by a SAS\n');
    await shot(ap, 'azure-share');
    await ap.locator('#modal-ok').click();
    // Delete, confirmed.
    await row(ap, 'upload-17mb.bin').click();
    await ap.keyboard.press('Delete');
    await modalOk(ap);
    await row(ap, 'upload-17mb.bin').waitFor({ state: 'hidden' });
    assert.equal(await az.exists(`${cb}/docs/upload-17mb.bin`), false);
    assert.deepEqual(await ap.evaluate(() => window.__csp), [], 'no CSP violation');
    assert.equal(await ap.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage })).then((s) => s.includes(azKey)), false, 'the key is in no storage');
    await ap.close();
    await rm(dir, { recursive: true, force: true });
    await az.rm(cb, true).catch(() => {});
  });

  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violation');
  assert.deepEqual(dialogs, [], 'no alert/confirm/prompt ever fired');
  assert.deepEqual(pageErrors, [], 'no uncaught page error');
  console.log(`explorer: ${timings.join('; ')}; total ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in target/explorer/`);
} finally {
  await browser.close();
  server.kill();
  execFileSync(join(root, 'scripts/cors-proxy.sh'), ['stop', 'gcs'], { stdio: 'inherit' });
  await rm(profile, { recursive: true, force: true });
  await fs.rm(bucket, true).catch(() => {});
}
