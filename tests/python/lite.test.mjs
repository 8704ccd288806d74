// The JupyterLite site of `make lite` (target/lite), served on 127.0.0.1 and opened in headless
// Chromium (Debian's, through playwright-core): its REPL starts the Pyodide kernel (in a worker)
// from the site's own files, installs pailfs from the site, and runs code that writes and reads
// s3s-fs through the CORS proxy with fsspec. Every request must stay on 127.0.0.1 and succeed.
//   node tests/python/lite.test.mjs SITE     (scripts/lite.sh test; .servers/s3s.env and cors.env sourced)
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';

const site = resolve(process.argv[2]);
const root = resolve(new URL('../..', import.meta.url).pathname);
const { chromium } = createRequire(join(root, 'tests/js/package.json'))('playwright-core');
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css', '.svg': 'image/svg+xml' };
const server = createServer(async (req, res) => {
  let file = resolve(join(site, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  if (file !== site && !file.startsWith(site + sep)) { res.writeHead(403).end(); return; }
  if (req.url.endsWith('/')) file = join(file, 'index.html');
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));

const { PAILFS_CORS_ENDPOINT: endpoint, PAILFS_S3S_KEY: key, PAILFS_S3S_SECRET: secret } = process.env;
assert.ok(endpoint && key && secret, 'source .servers/s3s.env and .servers/cors.env');
const code = `
import csv, io, json, uuid
import fsspec, pailfs
opts = dict(key=${JSON.stringify(key)}, secret=${JSON.stringify(secret)}, endpoint_url=${JSON.stringify(endpoint)}, quirks="s3s-fs")
fs = fsspec.filesystem("s3", **opts)
bucket = f"pailfs-lite-{uuid.uuid4().hex[:8]}"
fs.mkdir(bucket)
with fsspec.open(f"s3://{bucket}/data/file.csv", "w", **opts) as f:
    f.write("a,b\\n1,2\\n")
with fsspec.open(f"s3://{bucket}/data/file.csv", "rb", **opts) as f:
    rows = list(csv.reader(io.TextIOWrapper(f)))
names = fs.ls(f"{bucket}/data", detail=False)
fs.rm(bucket, recursive=True)
print("PAILFS-LITE " + json.dumps({"transport": pailfs.transport(), "rows": rows, "ls": [n.split("/", 1)[1] for n in names]}))
`;
const profile = await mkdtemp(join(tmpdir(), 'pailfs-lite-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const failures = [];
let result;
try {
  const page = await browser.newPage();
  page.on('requestfailed', (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) failures.push(`${r.url()}: HTTP ${r.status()}`); });
  const q = new URLSearchParams({ kernel: 'python', toolbar: '1', code });
  await page.goto(`http://127.0.0.1:${server.address().port}/repl/index.html?${q}`);
  const out = page.locator('.jp-OutputArea-output').filter({ hasText: /PAILFS-LITE|Error/ }).first();
  await out.waitFor({ timeout: 300_000 });
  const text = await out.innerText();
  assert.match(text, /PAILFS-LITE /, `the kernel printed: ${text}`);
  result = JSON.parse(text.slice(text.indexOf('PAILFS-LITE ') + 12));
} finally {
  await browser.close();
  server.close();
  await rm(profile, { recursive: true, force: true });
}
assert.deepEqual(result, { transport: 'jspi', rows: [['a', 'b'], ['1', '2']], ls: ['data/file.csv'] });
const outside = failures.filter((f) => !f.startsWith('http://127.0.0.1'));
assert.deepEqual(failures, [], `failed or refused requests: ${failures.join('; ')} (outside 127.0.0.1: ${outside.length})`);
console.log(`jupyterlite: the REPL kernel wrote and read s3 through pailfs (transport ${result.transport}), no failed request`);
