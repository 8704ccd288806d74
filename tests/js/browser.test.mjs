// Drives headless Chromium (Debian's, through playwright-core) to the browser test page, served
// on 127.0.0.1 from this repository; the page talks to s3s-fs through the CORS proxy (a real
// cross-origin request, SigV4 checked), then to s3s-fs directly, where CORS must refuse it
// with an error that says so. Needs .servers/s3s.env and .servers/cors.env sourced.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { join, extname, resolve, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';

const root = resolve(new URL('../..', import.meta.url).pathname);
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const server = createServer(async (req, res) => {
  const file = resolve(join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  if (!file.startsWith(root + sep)) { res.writeHead(403).end(); return; }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const page_url = (endpoint, mode) => {
  const q = new URLSearchParams({ endpoint, key: process.env.PAILFS_S3S_KEY, secret: process.env.PAILFS_S3S_SECRET, mode });
  return `http://127.0.0.1:${server.address().port}/tests/js/browser/index.html?${q}`;
};

const profile = await mkdtemp(join(tmpdir(), 'pailfs-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  for (const [endpoint, mode] of [[process.env.PAILFS_CORS_ENDPOINT, 'full'], [process.env.PAILFS_S3S_ENDPOINT, 'no-cors']]) {
    assert.ok(endpoint, 'source .servers/s3s.env and .servers/cors.env');
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e));
    await page.goto(page_url(endpoint, mode));
    await page.waitForFunction(() => window.pailfsResult !== undefined, null, { timeout: 120_000 });
    const r = await page.evaluate(() => window.pailfsResult);
    assert.ok(r.ok, `${mode}: ${JSON.stringify(r)}`);
    if (mode === 'no-cors') {
      assert.match(r.error, /CORS/, 'a CORS refusal names CORS');
      console.log(`chromium: a request refused by CORS fails with: ${r.error}`);
    } else {
      console.log(`chromium: ${r.steps.join('; ')}`);
    }
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
  await rm(profile, { recursive: true, force: true });
}
