// Drives headless Chromium (Debian's, through playwright-core) to the browser test page, served
// on 127.0.0.1 from this repository; the page talks to s3s-fs through the CORS proxy (a real
// cross-origin request, SigV4 checked), then to s3s-fs directly, where CORS must refuse it
// with an error that says so. Then one scenario each for GCS and Azure (the block at the end).
// Needs .servers/s3s.env, .servers/cors.env, .servers/gcs.env and .servers/azurite.env sourced.
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

  // ---- GCS and Azure: one cross-origin scenario each (tests/js/browser/clouds.mjs): list, ranged
  // read, an upload larger than one chunk/block, sign (Azure), delete. GCS is storage-testbench
  // behind the CORS proxy; Azure is Azurite with its own CORS rule, set here by Set Blob Service
  // Properties signed with the account key. Needs .servers/gcs.env and .servers/azurite.env.
  {
    const { execFileSync } = await import('node:child_process');
    const { createHmac } = await import('node:crypto');
    const gcsUpstream = process.env.PAILFS_GCS_ENDPOINT;
    const blob = process.env.PAILFS_AZURITE_BLOB;
    assert.ok(gcsUpstream && blob, 'source .servers/gcs.env and .servers/azurite.env');
    execFileSync(join(root, 'scripts/cors-proxy.sh'), ['start', 'gcs', gcsUpstream], { stdio: 'inherit' });
    const gcsEndpoint = /PAILFS_CORS_GCS_ENDPOINT=(\S+)/.exec(await readFile(join(root, '.servers/cors-gcs.env'), 'utf8'))[1];

    // Azure's CORS rule for the whole blob service; a Shared Key request (the string to sign of
    // version 2015-02-21 and later: verb, the standard headers, x-ms-* headers, then the resource).
    const account = process.env.PAILFS_AZURITE_ACCOUNT;
    const cors = (rules) => `<?xml version="1.0" encoding="utf-8"?><StorageServiceProperties><Cors>${rules}</Cors></StorageServiceProperties>`;
    const rule = '<CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET,HEAD,PUT,POST,DELETE,OPTIONS</AllowedMethods>'
      + '<AllowedHeaders>*</AllowedHeaders><ExposedHeaders>*</ExposedHeaders><MaxAgeInSeconds>600</MaxAgeInSeconds></CorsRule>';
    const setCors = async (rules) => {
      const body = cors(rules);
      const target = new URL(`${blob}/?restype=service&comp=properties`);
      const headers = { 'x-ms-date': new Date().toUTCString(), 'x-ms-version': '2021-08-06', 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) };
      const canonical = `/${account}${target.pathname}\ncomp:properties\nrestype:service`;
      const xms = Object.keys(headers).filter((k) => k.startsWith('x-ms-')).sort().map((k) => `${k}:${headers[k]}\n`).join('');
      const toSign = ['PUT', '', '', headers['content-length'], '', headers['content-type'], '', '', '', '', '', ''].join('\n') + '\n' + xms + canonical;
      const sig = createHmac('sha256', Buffer.from(process.env.PAILFS_AZURITE_KEY, 'base64')).update(toSign, 'utf8').digest('base64');
      const set = await fetch(target, { method: 'PUT', headers: { ...headers, authorization: `SharedKey ${account}:${sig}` }, body });
      assert.equal(set.status, 202, `Set Blob Service Properties: ${set.status} ${await set.text()}`);
    };

    const clouds = [
      ['gcs', { url: `gs://pailfs-browser-gcs-${process.pid}`, options: { endpoint_url: gcsEndpoint, anon: true, project: 'test-project', part_size: 256 * 1024, timeout: 20 }, chunk: 256 * 1024 }],
      ['azure', { url: `az://pailfs-browser-az-${process.pid}`, options: { account_name: account, account_key: process.env.PAILFS_AZURITE_KEY, endpoint_url: blob, part_size: 1024 * 1024, timeout: 20 }, chunk: 1024 * 1024 }],
    ];
    const run = async (provider, cloud) => {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.error('page error:', e));
      await page.addInitScript((c) => { window.pailfsCloud = c; }, { provider, ...cloud });
      await page.goto(`http://127.0.0.1:${server.address().port}/tests/js/browser/clouds.html`);
      await page.waitForFunction(() => window.pailfsResult !== undefined, null, { timeout: 120_000 });
      const r = await page.evaluate(() => window.pailfsResult);
      await page.close();
      return r;
    };
    try {
      // Without a rule, Azurite refuses the page's cross-origin requests: the error names CORS.
      await setCors('');
      const refused = await run('azure', clouds[1][1]);
      assert.ok(!refused.ok && /CORS/.test(refused.error), `azure without a CORS rule: ${JSON.stringify(refused)}`);
      console.log(`chromium Azure (Azurite, no CORS rule): refused: ${refused.error}`);
      await setCors(rule);
      for (const [provider, cloud] of clouds) {
        const r = await run(provider, cloud);
        assert.ok(r.ok, `${provider}: ${JSON.stringify(r)}`);
        console.log(`chromium ${provider === 'gcs' ? 'GCS (storage-testbench via the CORS proxy)' : 'Azure (Azurite, its CORS rule)'}: ${r.steps.join('; ')}`);
      }
    } finally {
      execFileSync(join(root, 'scripts/cors-proxy.sh'), ['stop', 'gcs'], { stdio: 'inherit' });
    }
  }
} finally {
  await browser.close();
  server.close();
  await rm(profile, { recursive: true, force: true });
}
