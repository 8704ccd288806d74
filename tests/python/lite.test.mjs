// The JupyterLite site of `make lite`, served on 127.0.0.1 and opened in headless Chromium
// (Debian's, through playwright-core): the Pyodide kernel (in a worker) starts from the site's own
// files with pailfs preloaded, and runs the README's snippet against s3s-fs through the CORS
// proxy, twice: in the REPL (code from the URL), and as a notebook whose cells are run one by one
// in the Notebook UI. Every request must stay on 127.0.0.1 and succeed.
//   node tests/python/lite.test.mjs --write-notebook FILE   the test notebook (for the test site's files/)
//   node tests/python/lite.test.mjs SITE                    (scripts/lite.sh test; s3s.env and cors.env sourced)
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';

const { PAILFS_CORS_ENDPOINT: endpoint, PAILFS_S3S_KEY: key, PAILFS_S3S_SECRET: secret } = process.env;
assert.ok(endpoint && key && secret, 'source .servers/s3s.env and .servers/cors.env');
// The README's snippet against the local server, ending in one marker line.
const cells = [
  'import csv, io, json, uuid\nimport fsspec, pailfs',
  `opts = dict(key=${JSON.stringify(key)}, secret=${JSON.stringify(secret)}, endpoint_url=${JSON.stringify(endpoint)}, quirks="s3s-fs")
fs = fsspec.filesystem("s3", **opts)
bucket = f"pailfs-lite-{uuid.uuid4().hex[:8]}"
fs.mkdir(bucket)`,
  `with fsspec.open(f"s3://{bucket}/data/file.csv", "w", **opts) as f:
    f.write("a,b\\n1,2\\n")`,
  `with fsspec.open(f"s3://{bucket}/data/file.csv", "rb", **opts) as f:
    rows = list(csv.reader(io.TextIOWrapper(f)))
names = fs.ls(f"{bucket}/data", detail=False)
fs.rm(bucket, recursive=True)`,
  'print("PAILFS-LITE " + json.dumps({"transport": pailfs.transport(), "rows": rows, "ls": [n.split("/", 1)[1] for n in names]}))',
];
export const NOTEBOOK = 'pailfs-check.ipynb';
if (process.argv[2] === '--write-notebook') {
  const nb = {
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python', display_name: 'Python (Pyodide)', language: 'python' } },
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  };
  await writeFile(process.argv[3], JSON.stringify(nb, null, 1));
  process.exit(0);
}

const site = resolve(process.argv[2]);
const root = resolve(new URL('../..', import.meta.url).pathname);
const { chromium } = createRequire(join(root, 'tests/js/package.json'))('playwright-core');
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css', '.svg': 'image/svg+xml' };
const server = createServer(async (req, res) => {
  let file = resolve(join(site, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  if (file !== site && !file.startsWith(site + sep)) { res.writeHead(403).end(); return; }
  if (req.url.split('?')[0].endsWith('/')) file = join(file, 'index.html');
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const profile = await mkdtemp(join(tmpdir(), 'pailfs-lite-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const failures = [];
const outside = [];
const watch = (page) => {
  page.on('request', (r) => { if (!/^(http:\/\/127\.0\.0\.1[:/]|data:|blob:)/.test(r.url())) outside.push(r.url()); });
  page.on('requestfailed', (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) failures.push(`${r.url()}: HTTP ${r.status()}`); });
};
const expected = { transport: 'jspi', rows: [['a', 'b'], ['1', '2']], ls: ['data/file.csv'] };
const marker = async (page) => {
  const out = page.locator('.jp-OutputArea-output').filter({ hasText: /PAILFS-LITE|Error/ }).first();
  await out.waitFor({ timeout: 300_000 });
  const text = await out.innerText();
  assert.match(text, /PAILFS-LITE /, `the kernel printed: ${text}`);
  return JSON.parse(text.slice(text.indexOf('PAILFS-LITE ') + 12));
};
let passed = 0;
try {
  // The REPL, its code from the URL.
  let page = await browser.newPage();
  watch(page);
  await page.goto(`${base}/repl/index.html?${new URLSearchParams({ kernel: 'python', toolbar: '1', code: cells.join('\n') })}`);
  assert.deepEqual(await marker(page), expected);
  console.log('jupyterlite repl: the kernel wrote and read s3 through pailfs (jspi)');
  passed++;
  await page.close();
  // The notebook, its cells run one at a time as a user would (Shift+Enter).
  page = await browser.newPage();
  watch(page);
  await page.goto(`${base}/notebooks/index.html?path=${NOTEBOOK}`);
  await page.locator('.jp-Notebook .jp-Cell').first().waitFor({ timeout: 120_000 });
  await page.locator('.jp-Notebook .jp-Cell .jp-InputArea-editor').first().click();
  for (let i = 0; i < cells.length; i++) await page.keyboard.press('Shift+Enter');
  assert.deepEqual(await marker(page), expected);
  console.log(`jupyterlite notebook: ${cells.length} cells run in the Notebook UI wrote and read s3 through pailfs (jspi)`);
  passed++;
  await page.close();
} finally {
  await browser.close();
  server.close();
  await rm(profile, { recursive: true, force: true });
}
assert.deepEqual(failures, [], `failed or refused requests: ${failures.join('; ')}`);
assert.deepEqual(outside, [], 'every request stays on 127.0.0.1');
console.log(`${passed} passed, 0 failed`);
