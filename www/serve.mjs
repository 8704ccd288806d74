// The explorer's static server: www/ and pkg/ of this checkout on 127.0.0.1, with the right
// MIME types and a Content-Security-Policy header. No proxying: the page talks to the bucket
// itself, so the bucket's origin must be named in connect-src.
//   node www/serve.mjs [--port N] [--connect "http://127.0.0.1:9000 https://*.amazonaws.com"]
//                      [--profile FILE]    serve FILE as /demo-profile.json (make demo only)
//                      [--lite DIR]        serve a JupyterLite site (scripts/lite.sh build) under /lite/
// Prints "serving http://127.0.0.1:PORT/" once listening.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname, resolve, sep } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const port = Number(opt('port', '0'));
const connect = opt('connect', 'https://*.amazonaws.com');
const profile = opt('profile', '');
const lite = opt('lite', '');

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.map': 'application/json', '.ipynb': 'application/json', '.whl': 'application/octet-stream',
  '.zip': 'application/zip', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf',
};
const csp = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", `connect-src 'self' ${connect}`, "style-src 'self'",
  "img-src 'self' blob:", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');
// Only these trees are served: the page, its build, and the wasm package.
const allowed = ['www', 'pkg'];

const server = createServer(async (req, res) => {
  const headers = { 'content-security-policy': csp, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  if (path === '/') {
    res.writeHead(302, { ...headers, location: '/www/' }).end();
    return;
  }
  if (path === '/demo-profile.json') {
    if (!profile) { res.writeHead(404, headers).end(); return; }
    res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(await readFile(profile));
    return;
  }
  if (lite && (path === '/lite' || path.startsWith('/lite/'))) {
    // JupyterLite is its own app (inline styles, eval in its kernel worker): no explorer CSP.
    const base = resolve(lite);
    let file = resolve(join(base, path.slice('/lite'.length)));
    if (file !== base && !file.startsWith(base + sep)) { res.writeHead(404).end(); return; }
    if (path.endsWith('/') || file === base) file = join(file, 'index.html');
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
    return;
  }
  let file = resolve(join(root, path));
  const top = file.startsWith(root + sep) ? file.slice(root.length + 1).split(sep)[0] : '';
  if (!allowed.includes(top) || file.includes(`${sep}node_modules${sep}`)) { res.writeHead(404, headers).end(); return; }
  if (path.endsWith('/')) file = join(file, 'index.html');
  try {
    const body = await readFile(file);
    res.writeHead(200, { ...headers, 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404, headers).end();
  }
});
server.listen(port, '127.0.0.1', () => {
  const a = server.address();
  console.log(`serving http://127.0.0.1:${typeof a === 'object' && a ? a.port : port}/`);
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { server.close(); process.exit(0); });
