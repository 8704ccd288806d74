// The Python package in headless Chromium (Debian's, through playwright-core): Pyodide from the
// npm package and the wheels served on 127.0.0.1, on a page and in a web worker (where JupyterLite
// kernels run), both with JSPI; the store is s3s-fs behind the CORS proxy (cross-origin, SigV4
// checked). Needs .servers/s3s.env and .servers/cors.env sourced.
//   node tests/python/browser.test.mjs CACHE PAILFS_WHEEL     (scripts/pyodide.sh test-browser)
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';

const [cache, wheel] = process.argv.slice(2);
const root = resolve(new URL('../..', import.meta.url).pathname);
const { chromium } = createRequire(join(root, 'tests/js/package.json'))('playwright-core');
const pyodideDir = join(resolve(cache), 'node_modules/pyodide');
const wheelFiles = new Map((await readdir(join(cache, 'wheels'))).filter((f) => f.endsWith('.whl'))
  .map((f) => [f, join(cache, 'wheels', f)]));
wheelFiles.set(basename(wheel), resolve(wheel));

const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const inside = (base, p) => { const f = resolve(join(base, p)); return f.startsWith(base + sep) ? f : null; };
const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path === '/wheels/') { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([...wheelFiles.keys()])); return; }
  const file = path.startsWith('/wheels/') ? wheelFiles.get(path.slice(8))
    : path.startsWith('/pyodide/') ? inside(pyodideDir, path.slice(9))
    : path.startsWith('/tests/python/') ? inside(root, path) : null;
  if (!file) { res.writeHead(404).end(); return; }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));

const profile = await mkdtemp(join(tmpdir(), 'pailfs-pyodide-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = 0;
try {
  for (const where of ['page', 'worker']) {
    const q = new URLSearchParams({ where, endpoint: process.env.PAILFS_CORS_ENDPOINT, key: process.env.PAILFS_S3S_KEY, secret: process.env.PAILFS_S3S_SECRET });
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e));
    await page.goto(`http://127.0.0.1:${server.address().port}/tests/python/browser/index.html?${q}`);
    await page.waitForFunction(() => window.pailfsResult !== undefined, null, { timeout: 300_000 });
    const r = await page.evaluate(() => window.pailfsResult);
    try {
      assert.ok(r.ok, `${where}: ${r.error}`);
      assert.equal(r.sync, 'unavailable', 'a synchronous entry cannot block, and transport() says so');
      assert.deepEqual(r.steps, ['transport jspi', 'multipart write, ranged reads', 'ls', 'xb refused', 'FileNotFoundError', 'PermissionError']);
      console.log(`chromium ${where}: pyodide + pailfs ok (${r.steps.join('; ')}; runPython entry: transport ${r.sync})`);
    } catch (e) {
      failed++;
      console.error(`chromium ${where}: FAILED: ${e.message}`);
    }
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
  await rm(profile, { recursive: true, force: true });
}
console.log(`${2 - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
