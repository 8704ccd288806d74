// The pailfs bucket explorer: a static page that talks to the bucket straight from the browser
// through the pailfs wasm package. Every key, name and metadata value reaches the DOM through
// textContent / createTextNode / input.value, never as HTML.
import init, { PailFs } from '../../pkg/web/pailfs.js';
import type { Entry, PailfsError } from '../../pkg/web/pailfs.js';
import { footerLength, parseFooter, type ParquetSummary } from './parquet.js';

// ---------------------------------------------------------------------------------------------
// Small DOM helpers (text only).

type Attrs = Record<string, string>;
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(typeof k === 'string' ? document.createTextNode(k) : k);
  return e;
}
function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing`);
  return e;
}
const input = (id: string) => $(id) as HTMLInputElement;
const button = (id: string) => $(id) as HTMLButtonElement;

function fmtSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${u[i]}`;
}
function fmtDate(s: string | null): string {
  if (!s) return '';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString();
}

// ---------------------------------------------------------------------------------------------
// Connection state. Credentials live in this object only (and in sessionStorage when the user
// asks to be remembered in this tab): never localStorage, never the URL.

type ProviderName = 's3' | 'gcs' | 'azure' | 'memory';
const PROVIDERS: readonly ProviderName[] = ['s3', 'gcs', 'azure', 'memory'];
interface Conn {
  provider: ProviderName;
  endpoint: string;
  region: string;
  /** S3 bucket, GCS bucket or Azure container. */
  bucket: string;
  key: string;
  secret: string;
  token: string;
  /** GCS OAuth2 access token. */
  bearer: string;
  /** Azure storage account, its key, or a SAS. */
  account: string;
  account_key: string;
  sas: string;
  anon: boolean;
  /** memory:// only: also write a 100,000-key folder. */
  many?: boolean;
}
// What a new Conn holds before the form fills it.
const NO_CONN: Conn = { provider: 's3', endpoint: '', region: '', bucket: '', key: '', secret: '', token: '', bearer: '', account: '', account_key: '', sas: '', anon: false };
const REMEMBER = 'pailfs-explorer-connection';
let fs: PailFs | null = null;
let conn: Conn | null = null;
let prefix = ''; // '' or 'a/b/'

interface Row { name: string; dir: boolean; size: number; etag: string | null; modified: string | null; storageClass: string | null; }
// A key "x" and a folder "x/" can both exist: selection is by this id.
const rid = (r: Row) => (r.dir ? `${r.name}/` : r.name);
let rows: Row[] = [];            // everything loaded for this folder, in server order
let view: Row[] = [];            // filtered and sorted
let pager: AsyncIterator<Entry[]> | null = null;
let done = true;
let loading = false;
let failed = false;
let generation = 0;
// The "starts with" filter of this listing. listPages always lists a whole folder (it appends
// the "/"), so this is matched page by page as they arrive, not sent to the server as a prefix.
let serverPrefix = '';
let sortKey: 'name' | 'size' | 'date' = 'name';
let sortDesc = false;
const selected = new Set<string>();
let cursor = -1;                 // index into view
let anchor = -1;

const PAGE = 1000;
const ROW_H = 32;
const OVERSCAN = 8;

// ---------------------------------------------------------------------------------------------
// Errors, with a CORS diagnosis.

function isPailfsError(e: unknown): e is PailfsError {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'PailfsError';
}

// The CORS rule this page needs, in the bucket owner's format: S3 put-bucket-cors JSON, GCS
// `gcloud storage buckets update --cors-file` JSON, Azure Blob service properties XML.
const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
// Response headers the package reads: without them exposed, uploads cannot complete
// (ETag, Location of a GCS session) and reads cannot be pinned to one version.
const GCS_HEADERS = ['Content-Type', 'Content-Range', 'Range', 'ETag', 'Location', 'x-goog-hash', 'x-goog-generation', 'x-goog-stored-content-length', 'Authorization'];
interface CorsHelp { how: string; config: string; }
function corsHelp(): CorsHelp {
  const origin = location.origin;
  const bucket = conn?.bucket ?? 'BUCKET';
  if (conn?.provider === 'gcs') {
    return {
      how: `gcloud storage buckets update gs://${bucket} --cors-file=cors.json (or gsutil cors set cors.json gs://${bucket}); "responseHeader" both allows these request headers and exposes these response headers`,
      config: JSON.stringify([{ origin: [origin], method: CORS_METHODS, responseHeader: GCS_HEADERS, maxAgeSeconds: 3000 }], null, 2),
    };
  }
  if (conn?.provider === 'azure') {
    const account = conn.account || 'ACCOUNT';
    return {
      how: `az storage cors add --services b --account-name ${account} --origins ${origin} --methods ${[...CORS_METHODS, 'OPTIONS'].join(' ')} --allowed-headers '*' --exposed-headers '*' --max-age 3000, or this rule in the Blob service properties (Set Blob Service Properties)`,
      config: `<Cors>\n  <CorsRule>\n    <AllowedOrigins>${origin}</AllowedOrigins>\n    <AllowedMethods>${[...CORS_METHODS, 'OPTIONS'].join(',')}</AllowedMethods>\n    <AllowedHeaders>*</AllowedHeaders>\n    <ExposedHeaders>*</ExposedHeaders>\n    <MaxAgeInSeconds>3000</MaxAgeInSeconds>\n  </CorsRule>\n</Cors>`,
    };
  }
  return {
    how: `aws s3api put-bucket-cors --bucket ${bucket} --cors-configuration file://cors.json`,
    config: JSON.stringify({
      CORSRules: [{
        AllowedOrigins: [origin],
        AllowedMethods: CORS_METHODS,
        AllowedHeaders: ['*'],
        ExposeHeaders: ['ETag'],
        MaxAgeSeconds: 3000,
      }],
    }, null, 2),
  };
}

// What a CORS probe found: a line per check, each a fact the browser let us observe.
interface CorsFinding { check: string; ok: boolean; text: string; }

// Per provider: where to send the probes, the request headers the package sends (with values
// no server accepts as credentials), and for each non-simple method a request that does
// nothing if it is let through (an upload id or a blob nobody has, no valid credential).
interface ProbePlan { list: string; headers: [string, string][]; method: (m: string) => string; hint: { headers: string; methods: string }; }
function probePlan(c: Conn): ProbePlan {
  const e = (x: string) => encodeURIComponent(x);
  const probe = '.pailfs-cors-probe';
  if (c.provider === 'gcs') {
    const base = (c.endpoint || 'https://storage.googleapis.com').replace(/\/+$/, '');
    return {
      list: `${base}/storage/v1/b/${e(c.bucket)}/o?maxResults=1`,
      headers: [['authorization', 'Bearer pailfs-cors-probe'], ['range', 'bytes=0-0'], ['content-type', 'application/octet-stream'], ['x-goog-hash', 'crc32c=AAAAAA=='], ['content-range', 'bytes */0']],
      method: (m) => m === 'POST' ? `${base}/storage/v1/b/${e(c.bucket)}/o/${e(probe)}/rewriteTo/b/${e(c.bucket)}/o/${e(probe)}`
        : m === 'PUT' ? `${base}/upload/storage/v1/b/${e(c.bucket)}/o?uploadType=resumable&upload_id=pailfs-cors-probe`
        : `${base}/storage/v1/b/${e(c.bucket)}/o/${e(probe)}`,
      hint: { headers: 'responseHeader needs them', methods: `method needs ${CORS_METHODS.join(', ')}` },
    };
  }
  if (c.provider === 'azure') {
    const base = (c.endpoint || `https://${c.account}.blob.core.windows.net`).replace(/\/+$/, '');
    return {
      list: `${base}/${e(c.bucket)}?restype=container&comp=list&maxresults=1`,
      headers: [['authorization', 'SharedKey pailfs:cors-probe'], ['x-ms-date', new Date(0).toUTCString()], ['x-ms-version', '2023-11-03'], ['x-ms-range', 'bytes=0-0'], ['x-ms-blob-type', 'BlockBlob'], ['content-type', 'application/octet-stream'], ['if-match', '"pailfs-cors-probe"']],
      method: (m) => m === 'POST' ? `${base}/${e(c.bucket)}?restype=container&comp=batch`
        : m === 'PUT' ? `${base}/${e(c.bucket)}/${e(probe)}?comp=block&blockid=cHJvYmU%3D`
        : `${base}/${e(c.bucket)}/${e(probe)}`,
      hint: { headers: 'AllowedHeaders needs them: "*"', methods: `AllowedMethods needs ${CORS_METHODS.join(', ')}, OPTIONS` },
    };
  }
  const base = (c.endpoint ? c.endpoint.replace(/\/+$/, '') : `https://s3.${c.region || 'us-east-1'}.amazonaws.com`) + `/${e(c.bucket)}`;
  const bogus = 'AWS4-HMAC-SHA256 Credential=PAILFSCORSPROBE/20000101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00';
  const headers: [string, string][] = [['authorization', bogus], ['x-amz-date', '20000101T000000Z'], ['x-amz-content-sha256', 'UNSIGNED-PAYLOAD'], ['range', 'bytes=0-0'], ['content-type', 'application/octet-stream']];
  if (c.token) headers.push(['x-amz-security-token', 'probe']);
  return {
    list: `${base}?list-type=2&max-keys=1`,
    headers,
    // An upload id no server has: PUT is UploadPart, POST CompleteMultipartUpload, DELETE
    // AbortMultipartUpload; each fails with NoSuchUpload if it gets through.
    method: () => `${base}/${probe}?uploadId=pailfs-cors-probe&partNumber=1`,
    hint: { headers: 'AllowedHeaders needs them: "*" and "authorization"', methods: `AllowedMethods needs ${CORS_METHODS.join(', ')}` },
  };
}

// After a CORS refusal, find out what is missing, one thing at a time: a presigned GET (a
// simple request: no preflight) tells whether the origin is allowed at all and whether ETag is
// exposed; then one preflighted request per header the package sends and per method it uses
// names what the preflight refuses.
async function probeCors(): Promise<CorsFinding[]> {
  if (!conn || conn.provider === 'memory' || !fs) return [];
  const f = fs, plan = probePlan(conn);
  const reach = async (url: string, init: RequestInit = {}): Promise<Response | null> => {
    try { return await fetch(url, { ...init, mode: 'cors', credentials: 'omit', cache: 'no-store', redirect: 'manual' }); } catch { return null; }
  };
  const out: CorsFinding[] = [];
  // A URL the credentials signed answers 200 or 404 (no such key); where the credentials
  // cannot presign, a plain listing request, answered 200, 401 or 403. Either way the browser
  // shows us the status only if the origin is allowed.
  let simple: Response | null;
  let signed = false;
  try {
    const p = await f.presign(`${conn.bucket}/.pailfs-cors-probe`, { method: 'GET', expires: 60 });
    simple = await reach(p.url);
    signed = true;
  } catch {
    simple = await reach(plan.list);
  }
  if (!simple) {
    out.push({ check: 'origin', ok: false, text: `The origin ${location.origin} is not allowed at all: even a plain GET (no preflight) is refused. The ${conn.provider === 'azure' ? 'storage account' : 'bucket'} has no CORS rule for this origin.` });
    return out;
  }
  out.push({ check: 'origin', ok: true, text: `The origin ${location.origin} is allowed: a plain GET was answered (HTTP ${simple.status}).` });
  if (signed && simple.status === 404) {
    // A missing key says nothing about ETag; the first listed object can.
    const first = rows.find((r) => !r.dir);
    if (first) {
      try {
        const p = await f.presign(fullPath(first.name), { method: 'GET', expires: 60 });
        // One byte: Range with a single range is a CORS-safelisted header (no preflight).
        simple = (await reach(p.url, { headers: { range: 'bytes=0-0' } })) ?? simple;
      } catch { /* keep the 404 */ }
    }
  }
  if (simple.ok) {
    const etag = simple.headers.get('etag') !== null;
    out.push({ check: 'etag', ok: etag, text: etag ? 'ETag is exposed.' : 'ETag is not exposed: uploads cannot be completed and reads cannot be pinned to one version.' });
  }
  const refusedHeaders: string[] = [];
  const target = plan.method('GET');
  for (const [h, v] of plan.headers) if (!(await reach(target, { headers: { [h]: v } }))) refusedHeaders.push(h);
  out.push(refusedHeaders.length
    ? { check: 'headers', ok: false, text: `The preflight refuses the request header${refusedHeaders.length > 1 ? 's' : ''} ${refusedHeaders.join(', ')} (${plan.hint.headers}).` }
    : { check: 'headers', ok: true, text: 'Every request header the package sends is allowed.' });
  const refusedMethods: string[] = [];
  for (const m of CORS_METHODS) {
    if (m === 'GET' || m === 'HEAD') continue; // simple methods: never refused by a preflight
    // No custom header: the preflight then judges the method alone.
    if (!(await reach(plan.method(m), { method: m }))) refusedMethods.push(m);
  }
  out.push(refusedMethods.length
    ? { check: 'methods', ok: false, text: `The preflight refuses the method${refusedMethods.length > 1 ? 's' : ''} ${refusedMethods.join(', ')} (${plan.hint.methods}).` }
    : { check: 'methods', ok: true, text: `The methods ${CORS_METHODS.join(', ')} are allowed.` });
  return out;
}

function showError(what: string, e: unknown): void {
  const box = el('div', { class: 'error', role: 'alert' });
  const close = el('button', { type: 'button', class: 'close', 'aria-label': 'Dismiss' }, '×');
  close.addEventListener('click', () => box.remove());
  box.append(close, el('div', { class: 'what' }, what));
  if (isPailfsError(e)) {
    const dl = el('dl', { class: 'fields' });
    const field = (k: string, v: string | number | null) => { dl.append(el('dt', {}, k), el('dd', { 'data-field': k }, v === null ? '—' : String(v))); };
    field('kind', e.kind); field('code', e.code); field('status', e.status);
    if (e.bucket) field('bucket', e.bucket);
    if (e.key) field('key', e.key);
    box.append(dl, el('div', { class: 'message' }, e.message));
    if (e.kind === 'Io' && /cors/i.test(e.message)) {
      const help = corsHelp();
      const helpBox = el('div', { class: 'cors-help' });
      helpBox.append(
        el('p', {}, `The browser refused the response: the ${conn?.provider === 'azure' ? 'storage account' : 'bucket'} does not allow this page's origin (${location.origin}) by CORS, or does not expose what the package reads. The owner can allow it with this configuration (${help.how}):`),
        el('pre', { class: 'cors-json' }, help.config),
      );
      const copy = el('button', { type: 'button' }, 'Copy the CORS configuration');
      copy.addEventListener('click', () => void copyText(help.config, copy));
      box.dataset.corsFor = conn?.provider ?? '';
      helpBox.append(copy);
      const diag = el('div', { class: 'cors-diagnosis' }, 'Probing the bucket, one request per header and method…');
      helpBox.insertBefore(diag, helpBox.children[1] ?? null);
      void probeCors().then((found) => {
        const ul = el('ul', { class: 'cors-findings' });
        for (const x of found) ul.append(el('li', { 'data-check': x.check, 'data-ok': String(x.ok), class: x.ok ? 'ok' : 'bad' }, `${x.ok ? '✓' : '✗'} ${x.text}`));
        diag.replaceChildren(el('p', {}, found.length ? 'What this page found, just now:' : ''), ul);
        diag.dataset.done = 'true';
      });
      box.append(helpBox);
      box.classList.add('cors');
    }
  } else {
    box.append(el('div', { class: 'message' }, e instanceof Error ? e.message : String(e)));
  }
  $('errors').prepend(box);
  while ($('errors').childElementCount > 5) $('errors').lastElementChild?.remove();
}

async function copyText(text: string, btn: HTMLButtonElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    btn.textContent = 'Copied';
  } catch {
    btn.textContent = 'Select the text and copy it';
  }
}

// ---------------------------------------------------------------------------------------------
// In-page dialogs (no window.confirm/prompt: nothing a page can be tricked into looping).

interface AskOptions { text?: string; value?: string; ok?: string; extra?: Node; noCancel?: boolean; }
let modalClose: ((v: string | null) => void) | null = null;
function ask(title: string, o: AskOptions = {}): Promise<string | null> {
  $('modal-title').textContent = title;
  $('modal-text').textContent = o.text ?? '';
  const extra = $('modal-extra');
  extra.replaceChildren(...(o.extra ? [o.extra] : []));
  const inp = input('modal-input');
  inp.hidden = o.value === undefined;
  inp.value = o.value ?? '';
  button('modal-ok').textContent = o.ok ?? 'OK';
  button('modal-cancel').hidden = Boolean(o.noCancel);
  $('modal').hidden = false;
  (o.value === undefined ? button('modal-ok') : inp).focus();
  if (o.value !== undefined) inp.select();
  return new Promise((ok) => { modalClose = ok; });
}
function closeModal(v: string | null): void {
  $('modal').hidden = true;
  const f = modalClose;
  modalClose = null;
  f?.(v);
  $('viewport').focus();
}

// ---------------------------------------------------------------------------------------------
// Location in the hash: #s3/<bucket>/<prefix segments>?endpoint=...&region=... (no secrets).

function hashFor(c: Pick<Conn, 'provider' | 'bucket' | 'endpoint' | 'region' | 'account'>, p: string): string {
  const segs = p.split('/').filter((s, i, a) => s !== '' || i < a.length - 1).map(encodeURIComponent);
  let h = `#${c.provider}/${encodeURIComponent(c.bucket)}/${segs.length ? segs.join('/') + '/' : ''}`;
  const q = new URLSearchParams();
  if (c.provider !== 'memory' && c.endpoint) q.set('endpoint', c.endpoint);
  if (c.provider === 's3' && c.region) q.set('region', c.region);
  if (c.provider === 'azure' && c.account) q.set('account', c.account);
  if ([...q].length) h += `?${q}`;
  return h;
}
interface HashLoc { provider: ProviderName; bucket: string; prefix: string; endpoint: string; region: string; account: string; }
function parseHash(h: string): HashLoc | null {
  const m = /^#(s3|gcs|azure|memory)\/([^/?]+)\/?([^?]*)(?:\?(.*))?$/.exec(h);
  if (!m) return null;
  const q = new URLSearchParams(m[4] ?? '');
  try {
    const p = (m[3] ?? '').split('/').filter((s) => s !== '').map(decodeURIComponent).join('/');
    return { provider: m[1] as ProviderName, bucket: decodeURIComponent(m[2] ?? ''), prefix: p ? `${p}/` : '', endpoint: q.get('endpoint') ?? '', region: q.get('region') ?? '', account: q.get('account') ?? '' };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Connect.

const form = $('connect-form') as HTMLFormElement;
function formConn(): Conn {
  const v = (n: string) => ((form.elements.namedItem(n) as HTMLInputElement | null)?.value ?? '').trim();
  const raw = (n: string) => (form.elements.namedItem(n) as HTMLInputElement | null)?.value ?? '';
  const provider = PROVIDERS.find((p) => p === v('provider')) ?? 's3';
  return {
    provider, endpoint: v('endpoint'), region: v('region'), bucket: v('bucket'),
    key: v('key'), secret: raw('secret'), token: v('token'), bearer: v('bearer'),
    account: v('account'), account_key: raw('account_key'), sas: v('sas').replace(/^\?/, ''),
    anon: (form.elements.namedItem('anon') as HTMLInputElement).checked,
    many: (form.elements.namedItem('many') as HTMLInputElement).checked,
  };
}
function fillForm(c: Partial<Conn>): void {
  for (const [k, v] of Object.entries(c)) {
    const f = form.elements.namedItem(k) as HTMLInputElement | null;
    if (!f) continue;
    if (f.type === 'checkbox') f.checked = Boolean(v);
    else f.value = String(v ?? '');
  }
  syncProvider();
}
const ENDPOINT_HINT: Record<ProviderName, string> = {
  s3: 'empty for AWS, e.g. http://127.0.0.1:9000',
  gcs: 'empty for storage.googleapis.com, e.g. http://127.0.0.1:9023',
  azure: 'empty for https://ACCOUNT.blob.core.windows.net, e.g. http://127.0.0.1:10000/devstoreaccount1',
  memory: '',
};
function syncProvider(): void {
  const p = (form.elements.namedItem('provider') as HTMLSelectElement).value as ProviderName;
  // A field shows for the providers its classes name (p-s3, p-gcs, ...).
  for (const e of form.querySelectorAll<HTMLElement>('[class*="p-"]')) e.hidden = !e.classList.contains(`p-${p}`) && [...e.classList].some((c) => c.startsWith('p-'));
  (form.elements.namedItem('endpoint') as HTMLInputElement).placeholder = ENDPOINT_HINT[p] ?? '';
  const b = form.elements.namedItem('bucket') as HTMLInputElement;
  if (p === 'memory' && !b.value) b.value = 'scratch';
}
(form.elements.namedItem('provider') as HTMLSelectElement).addEventListener('change', syncProvider);

const MANY_KEYS = 100_000;
async function seedMemory(f: PailFs, bucket: string, many: boolean): Promise<void> {
  if (many) {
    // Written in batches so the tab stays responsive; the listing then pages 1000 at a time.
    const body = new Uint8Array(0);
    for (let i = 0; i < MANY_KEYS; i += 1000) {
      $('connect-status').textContent = `Writing many/ in this tab: ${i.toLocaleString('en-US')} of ${MANY_KEYS.toLocaleString('en-US')} keys`;
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(i + 1000, MANY_KEYS); j++) batch.push(f.pipe(`${bucket}/many/${String(j).padStart(6, '0')}.txt`, body));
      await Promise.all(batch);
    }
  }
  const enc = new TextEncoder();
  await f.put(`${bucket}/README.txt`, 'This bucket lives in this tab (memory://): upload, rename, preview, share and delete freely.\n');
  await f.put(`${bucket}/data/table.csv`, 'id,name,score\n1,ada,9.5\n2,"grace, h",8.25\n3,linus,7\n');
  await f.put(`${bucket}/data/config.json`, '{"name":"demo","tags":["a","b"],"nested":{"ok":true}}');
  await f.put(`${bucket}/notes/<b>not bold</b>.txt`, enc.encode('keys are shown as text\n'));
}

// The store's URL and its options, named as s3fs, gcsfs and adlfs name them.
function storeUrl(c: Conn): string {
  return `${{ s3: 's3', gcs: 'gs', azure: 'az', memory: 'memory' }[c.provider]}://${c.bucket}`;
}
function storeOptions(c: Conn): Record<string, string | boolean> {
  const o: Record<string, string | boolean> = {};
  if (c.endpoint) o.endpoint_url = c.endpoint;
  if (c.anon) o.anon = true;
  if (c.provider === 's3') {
    if (c.region) o.region = c.region;
    if (!c.anon) {
      if (c.key) o.key = c.key;
      if (c.secret) o.secret = c.secret;
      if (c.token) o.token = c.token;
    }
  } else if (c.provider === 'gcs') {
    if (!c.anon && c.bearer) o.token = c.bearer;
  } else if (c.provider === 'azure') {
    if (c.account) o.account_name = c.account;
    if (!c.anon && c.account_key) o.account_key = c.account_key;
    if (!c.anon && c.sas) o.sas_token = c.sas;
  }
  return o;
}

async function connect(c: Conn, remember: boolean, at: string): Promise<void> {
  $('connect-status').textContent = 'Connecting…';
  try {
    let f: PailFs;
    if (c.provider === 'memory') {
      f = PailFs.fromUrl(`memory://${c.bucket}`, undefined);
      await f.mkdir(c.bucket);
      await seedMemory(f, c.bucket, Boolean(c.many));
    } else {
      f = PailFs.fromUrl(storeUrl(c), storeOptions(c));
    }
    fs = f;
    conn = c;
    if (remember && c.provider !== 'memory') sessionStorage.setItem(REMEMBER, JSON.stringify(c));
    else sessionStorage.removeItem(REMEMBER);
    $('connect').hidden = true;
    $('browser').hidden = false;
    button('disconnect').hidden = false;
    $('where').textContent = c.provider === 'memory' ? `memory://${c.bucket} (in this tab)` : `${c.endpoint || { s3: 'AWS', gcs: 'Google Cloud Storage', azure: `Azure (${c.account})` }[c.provider]} · ${c.bucket}`;
    $('connect-status').textContent = '';
    const target = hashFor(c, at);
    if (location.hash !== target) history.replaceState(null, '', target);
    await openFolder(at);
  } catch (e) {
    $('connect-status').textContent = '';
    showError('Could not connect', e);
  }
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const c = formConn();
  if (!c.bucket) return;
  const h = parseHash(location.hash);
  const at = h && h.bucket === c.bucket && h.provider === c.provider ? h.prefix : '';
  void connect(c, (form.elements.namedItem('remember') as HTMLInputElement).checked, at);
});

button('disconnect').addEventListener('click', () => {
  fs = null; conn = null; rows = []; view = [];
  sessionStorage.removeItem(REMEMBER);
  fillForm({ secret: '', token: '', bearer: '', account_key: '', sas: '' });
  $('browser').hidden = true; $('connect').hidden = false;
  button('disconnect').hidden = true; $('where').textContent = '';
});

// ---------------------------------------------------------------------------------------------
// Browse: paged delimiter listings into a virtualized table.

function fullPath(name: string): string { return `${conn?.bucket}/${prefix}${name}`; }

function navigate(p: string): void {
  if (!conn) return;
  location.hash = hashFor(conn, p); // a history entry; hashchange lists it
}

window.addEventListener('hashchange', () => {
  const h = parseHash(location.hash);
  if (!conn || !h || h.bucket !== conn.bucket || h.provider !== conn.provider) {
    if (h && !conn) fillForm({ provider: h.provider, bucket: h.bucket, endpoint: h.endpoint, region: h.region, account: h.account });
    return;
  }
  if (h.prefix !== prefix) void openFolder(h.prefix);
});

function renderCrumbs(): void {
  const nav = $('crumbs');
  nav.replaceChildren();
  if (!conn) return;
  const parts = prefix.split('/').filter((s) => s !== '');
  const link = (label: string, p: string) => {
    const a = el('a', { href: hashFor(conn as Conn, p), 'data-prefix': p }, label);
    a.addEventListener('click', (ev) => { ev.preventDefault(); navigate(p); });
    return a;
  };
  nav.append(link(conn.bucket, ''));
  let acc = '';
  for (const part of parts) {
    acc += `${part}/`;
    nav.append(el('span', { class: 'sep' }, '/'), link(part, acc));
  }
}

async function openFolder(p: string, startsWith = ''): Promise<void> {
  if (!fs || !conn) return;
  prefix = p;
  serverPrefix = startsWith;
  if (!startsWith) input('prefix-filter').value = '';
  const gen = ++generation;
  rows = []; view = []; selected.clear(); cursor = -1; anchor = -1;
  done = false; loading = false; failed = false;
  renderCrumbs();
  showSide(null);
  const base = `${conn.bucket}${prefix ? `/${prefix.slice(0, -1)}` : ''}`;
  // "Starts with" is the listing's prefix: the server filters, however large the folder.
  pager = (fs.listPages(base, false, PAGE, { startsWith }) as AsyncIterableIterator<Entry[]>)[Symbol.asyncIterator]();
  $('viewport').scrollTop = 0;
  render();
  await loadMore(gen);
}

async function loadMore(gen = generation): Promise<void> {
  if (loading || done || !pager || !conn) return;
  loading = true;
  updateCount();
  const cut = conn.bucket.length + 1 + prefix.length;
  try {
    const r = await pager.next();
    if (gen !== generation) return;
    if (r.done) done = true;
    else {
      for (const e of r.value) {
        const name = e.name.slice(cut).replace(/\/$/, '');
        if (name === '') continue; // the folder's own marker object
        rows.push({ name, dir: e.type === 'directory', size: e.size, etag: e.etag, modified: e.lastModified, storageClass: e.storageClass });
      }
    }
  } catch (e) {
    if (gen === generation) { done = true; failed = true; showError(`Listing ${conn.bucket}/${prefix} failed`, e); }
  } finally {
    if (gen === generation) { loading = false; recompute(); }
  }
}

function recompute(): void {
  const f = input('filter').value;
  const keep = f ? rows.filter((r) => r.name.includes(f)) : rows.slice();
  const dir = sortDesc ? -1 : 1;
  keep.sort((a, b) => {
    if (a.dir !== b.dir) return a.dir ? -1 : 1;
    let c = 0;
    if (sortKey === 'size') c = a.size - b.size;
    else if (sortKey === 'date') c = (a.modified ?? '').localeCompare(b.modified ?? '');
    if (c === 0) c = a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    return c * dir;
  });
  const c0 = view[cursor];
  const cur = c0 ? rid(c0) : undefined;
  view = keep;
  cursor = cur === undefined ? -1 : view.findIndex((r) => rid(r) === cur);
  for (const b of document.querySelectorAll<HTMLButtonElement>('.thead .sort')) {
    b.classList.toggle('on', b.dataset.sort === sortKey);
    b.classList.toggle('desc', b.dataset.sort === sortKey && sortDesc);
  }
  updateCount();
  render();
}

function updateCount(): void {
  const filtered = input('filter').value ? `${view.length} match of ` : '';
  const more = failed ? 'listing failed' : done ? 'all loaded' : loading ? 'loading…' : 'more on the server';
  const sorted = sortKey === 'name' && !sortDesc ? '' : ` · sorted by ${sortKey} within the loaded rows`;
  $('count').textContent = `${filtered}${rows.length} loaded (${more})${sorted}${serverPrefix ? ` · names starting “${serverPrefix}” (filtered by the server)` : ''}${selected.size ? ` · ${selected.size} selected` : ''}`;
  $('count').dataset.loaded = String(rows.length);
  $('count').dataset.done = String(done);
  button('load-more').hidden = done;
  button('load-more').disabled = loading;
}

const viewport = $('viewport');
const spacer = $('spacer');
const pool: HTMLElement[] = [];

function rowEl(): HTMLElement {
  const r = el('div', { class: 'vrow', role: 'row' },
    el('span', { class: 'col-name', role: 'gridcell' }), el('span', { class: 'col-size', role: 'gridcell' }), el('span', { class: 'col-date', role: 'gridcell' }));
  return r;
}

function render(): void {
  spacer.style.height = `${view.length * ROW_H}px`;
  const top = viewport.scrollTop;
  const h = viewport.clientHeight || 600;
  const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
  const last = Math.min(view.length, Math.ceil((top + h) / ROW_H) + OVERSCAN);
  const need = last - first;
  while (pool.length < need) { const r = rowEl(); pool.push(r); spacer.append(r); }
  for (let i = 0; i < pool.length; i++) {
    const r = pool[i] as HTMLElement;
    const idx = first + i;
    const row = view[idx];
    if (i >= need || !row) { r.hidden = true; continue; }
    r.hidden = false;
    r.style.transform = `translateY(${idx * ROW_H}px)`;
    r.dataset.index = String(idx);
    r.dataset.name = rid(row);
    r.className = `vrow ${row.dir ? 'dir' : 'file'}${selected.has(rid(row)) ? ' sel' : ''}${idx === cursor ? ' cur' : ''}`;
    r.setAttribute('aria-selected', String(selected.has(rid(row))));
    const [n, s, d] = r.children as unknown as [HTMLElement, HTMLElement, HTMLElement];
    n.textContent = row.dir ? `${row.name}/` : row.name;
    n.title = row.name;
    s.textContent = row.dir ? '' : fmtSize(row.size);
    d.textContent = fmtDate(row.modified);
  }
  // Near the end of what is loaded: ask for the next page.
  if (!done && !loading && last >= view.length - OVERSCAN && !input('filter').value) void loadMore();
}
viewport.addEventListener('scroll', () => requestAnimationFrame(render), { passive: true });
window.addEventListener('resize', () => render());
button('load-more').addEventListener('click', () => void loadMore());

input('filter').addEventListener('input', () => recompute());
let prefixTimer = 0;
input('prefix-filter').addEventListener('input', () => {
  clearTimeout(prefixTimer);
  prefixTimer = window.setTimeout(() => void openFolder(prefix, input('prefix-filter').value), 300);
});
for (const b of document.querySelectorAll<HTMLButtonElement>('.thead .sort')) {
  b.addEventListener('click', () => {
    const k = b.dataset.sort as typeof sortKey;
    if (sortKey === k) sortDesc = !sortDesc; else { sortKey = k; sortDesc = false; }
    recompute();
  });
}

function select(idx: number, how: { ctrl?: boolean; shift?: boolean }): void {
  const row = view[idx];
  if (!row) return;
  if (how.shift && anchor >= 0) {
    if (!how.ctrl) selected.clear();
    const [a, b] = anchor < idx ? [anchor, idx] : [idx, anchor];
    for (let i = a; i <= b; i++) selected.add(rid(view[i] as Row));
  } else if (how.ctrl) {
    if (selected.has(rid(row))) selected.delete(rid(row)); else selected.add(rid(row));
    anchor = idx;
  } else {
    selected.clear();
    selected.add(rid(row));
    anchor = idx;
  }
  cursor = idx;
  scrollIntoView(idx);
  render();
  updateCount();
  const sel = selectedRows();
  showSide(sel.length === 1 ? sel[0] as Row : null);
}
function scrollIntoView(idx: number): void {
  const y = idx * ROW_H;
  if (y < viewport.scrollTop) viewport.scrollTop = y;
  else if (y + ROW_H > viewport.scrollTop + viewport.clientHeight) viewport.scrollTop = y + ROW_H - viewport.clientHeight;
}
function selectedRows(): Row[] { return rows.filter((r) => selected.has(rid(r))); }

function open(row: Row): void {
  if (row.dir) navigate(`${prefix}${row.name}/`);
  else void preview(row);
}

spacer.addEventListener('click', (ev) => {
  const r = (ev.target as HTMLElement).closest<HTMLElement>('.vrow');
  if (!r) return;
  select(Number(r.dataset.index), { ctrl: ev.ctrlKey || ev.metaKey, shift: ev.shiftKey });
  viewport.focus();
});
spacer.addEventListener('dblclick', (ev) => {
  const r = (ev.target as HTMLElement).closest<HTMLElement>('.vrow');
  const row = r ? view[Number(r.dataset.index)] : undefined;
  if (row) open(row);
});
function goUp(): void {
  if (!prefix) return;
  const parts = prefix.split('/').filter((s) => s !== '');
  parts.pop();
  navigate(parts.length ? `${parts.join('/')}/` : '');
}
viewport.addEventListener('keydown', (ev) => {
  if (!$('modal').hidden) return;
  const k = ev.key;
  if (k === 'ArrowDown' || k === 'ArrowUp') {
    ev.preventDefault();
    const next = Math.max(0, Math.min(view.length - 1, cursor + (k === 'ArrowDown' ? 1 : -1)));
    select(next, { shift: ev.shiftKey });
  } else if (k === 'Home' || k === 'End') {
    ev.preventDefault();
    select(k === 'Home' ? 0 : view.length - 1, { shift: ev.shiftKey });
  } else if (k === 'Enter') {
    ev.preventDefault();
    const row = view[cursor];
    if (row) open(row);
  } else if (k === 'Backspace') {
    ev.preventDefault();
    goUp();
  } else if (k === 'Delete') {
    ev.preventDefault();
    void del();
  } else if (k === 'a' && (ev.ctrlKey || ev.metaKey)) {
    ev.preventDefault();
    for (const r of view) selected.add(rid(r));
    render(); updateCount();
  }
});
button('up').addEventListener('click', goUp);
button('refresh').addEventListener('click', () => void openFolder(prefix, serverPrefix));

// ---------------------------------------------------------------------------------------------
// Info and preview.

let previewUrl = '';
function showSide(row: Row | null): void {
  if (previewUrl) { URL.revokeObjectURL(previewUrl); previewUrl = ''; }
  $('preview').replaceChildren();
  const info = $('info');
  info.replaceChildren();
  if (!row) {
    const n = selected.size;
    info.append(el('p', { class: 'hint' }, n > 1 ? `${n} selected` : 'Select an object to see its details. Double-click or Enter opens a folder or previews a file.'));
    return;
  }
  info.append(el('h3', {}, row.dir ? `${row.name}/` : row.name));
  if (row.dir) {
    info.append(el('p', { class: 'hint' }, 'Folder (a common prefix of keys).'));
    return;
  }
  const dl = el('dl', { id: 'info-fields' });
  const put = (k: string, v: string) => dl.append(el('dt', {}, k), el('dd', { 'data-field': k }, v));
  const fields = (e: Entry | null) => {
    dl.replaceChildren();
    const size = e?.size ?? row.size;
    put('Size', `${fmtSize(size)} (${size} bytes)`);
    // (A HEAD whose ETag the bucket's CORS does not expose reads as null: keep the listing's.)
    put('ETag', e?.etag ?? row.etag ?? '—');
    put('Last modified', e?.lastModified ?? row.modified ?? '—');
    put('Content type', e ? e.contentType ?? '—' : '…');
    // S3 names the class in listings; a HEAD names it only when it is not STANDARD.
    put('Storage class', e?.storageClass ?? row.storageClass ?? (e ? 'STANDARD' : '…'));
    const meta = e ? Object.entries(e.metadata) : [];
    if (!e) put('Metadata', '…');
    else if (!meta.length) put('Metadata', 'none (or none the bucket\'s CORS rule exposes)');
    else for (const [k, v] of meta) put(`Metadata: ${k}`, v);
  };
  fields(null);
  info.append(dl);
  const pv = el('button', { type: 'button', id: 'preview-btn' }, 'Preview');
  pv.addEventListener('click', () => void preview(row));
  info.append(pv);
  // Refresh from a HEAD: the listing may be older than the object, and only a HEAD carries
  // the content type and user metadata.
  const path = fullPath(row.name);
  fs?.info(path).then((e) => {
    if (!document.contains(dl) || !e) return;
    fields(e);
  }).catch((err: unknown) => {
    // The listing's values stay; say why the rest is missing.
    if (!document.contains(dl)) return;
    for (const dd of dl.querySelectorAll('dd')) if (dd.textContent === '…') dd.textContent = `unknown (HEAD failed: ${(err as PailfsError)?.kind ?? err})`;
  });
}

const PREVIEW_CAP = 65536;
const IMAGE_CAP = 8 * 1024 * 1024;
const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', bmp: 'image/bmp' };

function parseCsv(text: string, maxRows: number): string[][] {
  const out: string[][] = [];
  let row: string[] = [], cell = '', q = false;
  for (let i = 0; i < text.length && out.length < maxRows; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"') { if (text[i + 1] === '"') { cell += '"'; i++; } else q = false; } else cell += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(cell); cell = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); out.push(row); row = []; cell = '';
    } else cell += ch;
  }
  if ((cell !== '' || row.length) && out.length < maxRows) { row.push(cell); out.push(row); }
  return out;
}

// Parquet: the schema and row groups from the footer, in two ranged reads (its length, then
// the footer itself), never the whole file.
const FOOTER_CAP = 16 * 1024 * 1024;
async function parquetFooter(path: string, size: number): Promise<ParquetSummary> {
  if (!fs) throw new Error('not connected');
  if (size < 12) throw new Error(`${size} bytes is too short for a Parquet file`);
  const len = footerLength(await fs.cat(path, size - 8, size, undefined));
  if (len > size - 12) throw new Error(`the footer length (${len} bytes) does not fit in a ${size}-byte file`);
  if (len > FOOTER_CAP) throw new Error(`footer of ${fmtSize(len)}: larger than the ${fmtSize(FOOTER_CAP)} the preview reads`);
  return parseFooter(await fs.cat(path, size - 8 - len, size - 8, undefined));
}
function parquetView(pq: ParquetSummary): HTMLElement[] {
  // `ids` label each body row (data-id), so a column is found by its dotted path.
  const table = (cls: string, head: string[], body: string[][], ids: string[] = []) => {
    const t = el('table', { class: `csv ${cls}` });
    const tr = el('tr');
    for (const h of head) tr.append(el('th', {}, h));
    t.append(tr);
    body.forEach((r, i) => {
      const row = el('tr', { 'data-id': ids[i] ?? String(i) });
      for (const c of r) row.append(el('td', {}, c));
      t.append(row);
    });
    return t;
  };
  return [
    el('p', { class: 'hint', id: 'parquet-summary' },
      `Parquet: ${pq.rows.toLocaleString('en-US')} rows in ${pq.rowGroups.length} row groups, ${pq.columns.filter((c) => c.physical !== 'group').length} columns` +
      `${pq.createdBy ? `, written by ${pq.createdBy}` : ''}. Read from the ${fmtSize(pq.footerBytes)} footer (two ranged reads).`),
    el('h4', {}, 'Schema'),
    table('parquet-schema', ['column', 'type', 'logical', 'repetition'],
      pq.columns.map((c) => [`${'\u00a0\u00a0'.repeat(c.depth)}${c.path.split('.').pop() ?? c.path}`, c.physical, c.logical, c.repetition]),
      pq.columns.map((c) => c.path)),
    el('h4', {}, 'Row groups'),
    table('parquet-groups', ['#', 'rows', 'size', 'compressed', 'codec'],
      pq.rowGroups.map((g, i) => [String(i), g.rows.toLocaleString('en-US'), fmtSize(g.bytes), fmtSize(g.compressed), g.codecs.join(', ')])),
  ];
}

async function preview(row: Row): Promise<void> {
  if (!fs) return;
  if (!selected.has(rid(row)) || selected.size !== 1) { selected.clear(); selected.add(rid(row)); render(); }
  if (!document.getElementById('info-fields')) showSide(row);
  const box = $('preview');
  box.replaceChildren(el('p', { class: 'hint' }, 'Loading preview…'));
  const path = fullPath(row.name);
  const ext = (row.name.split('.').pop() ?? '').toLowerCase();
  try {
    const img = IMAGE_TYPES[ext];
    if (img) {
      if (row.size > IMAGE_CAP) { box.replaceChildren(el('p', { class: 'hint' }, `Image larger than ${fmtSize(IMAGE_CAP)}: not previewed.`)); return; }
      const bytes = await fs.cat(path, 0, row.size, undefined);
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = URL.createObjectURL(new Blob([bytes as BlobPart], { type: img }));
      const im = el('img', { alt: `preview of ${row.name}`, class: 'preview-image' });
      im.src = previewUrl;
      box.replaceChildren(el('p', { class: 'hint' }, `Image, ${fmtSize(row.size)}`), im);
      return;
    }
    if (ext === 'parquet') {
      const pq = await parquetFooter(path, row.size);
      box.replaceChildren(...parquetView(pq));
      return;
    }
    const end = Math.min(row.size, PREVIEW_CAP);
    const bytes: Uint8Array = end > 0 ? await fs.cat(path, 0, end, undefined) : new Uint8Array(0);
    const cut = row.size > end;
    const note = el('p', { class: 'hint' }, cut ? `First ${fmtSize(end)} of ${fmtSize(row.size)} (one ranged read)` : `${fmtSize(row.size)}`);
    if (bytes.subarray(0, 4096).includes(0)) {
      const hex = Array.from(bytes.subarray(0, 256), (b) => b.toString(16).padStart(2, '0')).join(' ');
      box.replaceChildren(note, el('p', { class: 'hint' }, 'Binary: the first 256 bytes in hex'), el('pre', { class: 'preview-hex' }, hex));
      return;
    }
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    if (ext === 'json' && !cut) {
      try {
        box.replaceChildren(note, el('pre', { class: 'preview-json' }, JSON.stringify(JSON.parse(text), null, 2)));
        return;
      } catch { /* not valid JSON: shown as text */ }
    }
    if (ext === 'csv' || ext === 'tsv') {
      const grid = ext === 'tsv' ? text.split(/\r?\n/).slice(0, 200).map((l) => l.split('\t')) : parseCsv(text, 200);
      if (cut && grid.length > 1) grid.pop(); // the last row may be cut off mid-way
      const table = el('table', { class: 'csv preview-csv' });
      grid.forEach((cells, i) => {
        const tr = el('tr');
        for (const c of cells) tr.append(el(i === 0 ? 'th' : 'td', {}, c));
        table.append(tr);
      });
      box.replaceChildren(note, el('p', { class: 'hint' }, `${grid.length} rows shown`), table);
      return;
    }
    box.replaceChildren(note, el('pre', { class: 'preview-text' }, text));
  } catch (e) {
    box.replaceChildren();
    showError(`Preview of ${path} failed`, e);
  }
}

// ---------------------------------------------------------------------------------------------
// Act: upload, download, delete, create folder, rename/move, copy, share.

// Uploads run UPLOAD_CONCURRENCY at a time (each one's parts are parallel inside the package);
// the rest wait in a queue. `rel` is the path below the folder the upload started in.
const UPLOAD_CONCURRENCY = 3;
interface Job { file: File; into: string; rel: string; start: () => void; }
const queue: Job[] = [];
let running = 0;
const totals = { files: 0, done: 0, bytes: 0, sent: new Map<Job, number>() };
function updateTotal(): void {
  const t = $('transfer-total');
  if (totals.files === 0) { t.hidden = true; return; }
  let sent = 0;
  for (const v of totals.sent.values()) sent += v;
  t.hidden = false;
  t.textContent = `Uploads: ${totals.done} of ${totals.files} files finished, ${fmtSize(sent)} of ${fmtSize(totals.bytes)} sent${queue.length ? `, ${queue.length} waiting` : ''}`;
  t.dataset.done = String(totals.done);
  t.dataset.files = String(totals.files);
}
function pump(): void {
  while (running < UPLOAD_CONCURRENCY && queue.length) {
    const job = queue.shift() as Job;
    running++;
    job.start();
  }
  updateTotal();
}
function uploadFiles(files: Iterable<File | { file: File; rel: string }>): void {
  for (const f of files) {
    const [file, rel] = f instanceof File ? [f, f.webkitRelativePath || f.name] : [f.file, f.rel];
    void uploadOne(file, prefix, rel);
  }
}
function uploadOne(file: File, into: string, rel = file.name): Promise<void> {
  return new Promise((ok) => {
    const job: Job = { file, into, rel, start: () => void runUpload(job).finally(() => { running--; totals.done++; pump(); ok(); }) };
    totals.files++;
    totals.bytes += file.size;
    totals.sent.set(job, 0);
    queue.push(job);
    pump();
  });
}
// One re-listing after a burst of finished uploads, not one per file.
let refreshTimer = 0;
function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(() => void openFolder(prefix, serverPrefix), 250);
}
async function runUpload(job: Job): Promise<void> {
  const { file, into, rel } = job;
  if (!fs || !conn) return;
  const path = `${conn.bucket}/${into}${rel}`;
  const ctl = new AbortController();
  const bar = el('progress', { max: String(Math.max(file.size, 1)), value: '0' });
  const state = el('span', { class: 'state' }, 'starting');
  const cancel = el('button', { type: 'button', class: 'cancel' }, 'Cancel');
  const item = el('div', { class: 'upload', 'data-name': rel, 'data-state': 'running', 'data-events': '0' },
    el('span', { class: 'name', title: path }, `${into}${rel}`), bar, state, cancel);
  $('uploads').append(item);
  let events = 0;
  cancel.addEventListener('click', () => ctl.abort());
  try {
    await fs.put(path, file, {
      signal: ctl.signal,
      onProgress: (sent: number, total: number) => {
        events++;
        item.dataset.events = String(events);
        bar.max = Math.max(total, 1);
        bar.value = sent;
        state.textContent = `${fmtSize(sent)} of ${fmtSize(total)}`;
        totals.sent.set(job, sent);
        updateTotal();
      },
    });
    bar.value = bar.max;
    item.dataset.state = 'done';
    state.textContent = `done, ${fmtSize(file.size)}`;
    totals.sent.set(job, file.size);
    cancel.remove();
    if (conn && path.startsWith(`${conn.bucket}/${prefix}`)) scheduleRefresh();
  } catch (e) {
    const cancelled = isPailfsError(e) && e.kind === 'Cancelled';
    item.dataset.state = cancelled ? 'cancelled' : 'failed';
    state.textContent = cancelled ? 'cancelled (upload aborted on the server)' : 'failed';
    cancel.remove();
    if (!cancelled) {
      showError(`Upload of ${file.name} failed`, e);
      const retry = el('button', { type: 'button' }, 'Retry');
      retry.addEventListener('click', () => { item.remove(); void uploadOne(file, into, rel); });
      item.append(retry);
    }
  }
  const dismiss = el('button', { type: 'button', 'aria-label': 'Dismiss' }, '×');
  dismiss.addEventListener('click', () => item.remove());
  item.append(dismiss);
}
for (const id of ['file-input', 'dir-input']) {
  input(id).addEventListener('change', () => {
    const fl = input(id).files;
    if (fl) uploadFiles(Array.from(fl));
    input(id).value = '';
  });
}
// A dropped folder: its entries, walked (readEntries answers in batches until it answers none).
async function walk(entry: FileSystemEntry, out: { file: File; rel: string }[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
    out.push({ file, rel: entry.fullPath.replace(/^\//, '') });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
      if (batch.length === 0) break;
      for (const e of batch) await walk(e, out);
    }
  }
}
const listing = document.querySelector('.listing') as HTMLElement;
let dragDepth = 0;
listing.addEventListener('dragenter', (ev) => { ev.preventDefault(); dragDepth++; $('drop-hint').hidden = false; });
listing.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; $('drop-hint').hidden = true; } });
listing.addEventListener('dragover', (ev) => { ev.preventDefault(); if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'copy'; });
listing.addEventListener('drop', (ev) => {
  ev.preventDefault();
  dragDepth = 0; $('drop-hint').hidden = true;
  const items = Array.from(ev.dataTransfer?.items ?? []);
  const entries = items.map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => Boolean(e));
  if (entries.length && entries.some((e) => e.isDirectory)) {
    const out: { file: File; rel: string }[] = [];
    Promise.all(entries.map((e) => walk(e, out))).then(() => uploadFiles(out), (e: unknown) => showError('Reading the dropped folder failed', e));
    return;
  }
  const files = ev.dataTransfer?.files;
  if (files && files.length) uploadFiles(Array.from(files));
});

function one(verb: string): Row | null {
  const s = selectedRows();
  if (s.length !== 1) { showError(`${verb}: select one entry first`, new Error(s.length ? `${s.length} are selected` : 'nothing is selected')); return null; }
  return s[0] as Row;
}

const DOWNLOAD_IN_TAB_MAX = 256 * 1024 * 1024;
button('download').addEventListener('click', () => void download());
async function streamToDisk(row: Row, handle: FileSystemFileHandle): Promise<void> {
  if (!fs) return;
  const ctl = new AbortController();
  const state = el('span', { class: 'state' }, 'downloading');
  const bar = el('progress', { max: String(Math.max(row.size, 1)), value: '0' });
  const cancel = el('button', { type: 'button', class: 'cancel' }, 'Cancel');
  cancel.addEventListener('click', () => ctl.abort());
  const item = el('div', { class: 'upload download', 'data-name': row.name, 'data-state': 'running' }, el('span', { class: 'name' }, `↓ ${row.name} → ${handle.name}`), bar, state, cancel);
  $('uploads').append(item);
  let done = 0;
  try {
    const out = await handle.createWritable();
    const count = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        done += chunk.length;
        bar.value = done;
        state.textContent = `${fmtSize(done)} of ${fmtSize(row.size)}`;
        c.enqueue(chunk);
      },
    });
    // pipeTo closes the file when the stream ends and aborts it (nothing kept) on an error.
    await fs.open(fullPath(row.name), { signal: ctl.signal }).pipeThrough(count).pipeTo(out, { signal: ctl.signal });
    item.dataset.state = 'done';
    state.textContent = `saved to ${handle.name}, ${fmtSize(done)}`;
  } catch (e) {
    const cancelled = ctl.signal.aborted;
    item.dataset.state = cancelled ? 'cancelled' : 'failed';
    state.textContent = cancelled ? 'cancelled' : 'failed';
    if (!cancelled) showError(`Download of ${row.name} failed`, e);
  }
  cancel.remove();
  const dismiss = el('button', { type: 'button', 'aria-label': 'Dismiss' }, '×');
  dismiss.addEventListener('click', () => item.remove());
  item.append(dismiss);
}

async function download(): Promise<void> {
  const row = one('Download');
  if (!row || !fs) return;
  if (row.dir) { showError('Download', new Error('folders are not downloaded; select a file')); return; }
  // Where the browser lets a page write a file the user picks (Chromium's File System Access
  // API), the object streams to disk block by block: any size, never whole in the tab.
  const picker = (window as unknown as { showSaveFilePicker?: (o: { suggestedName: string }) => Promise<FileSystemFileHandle> }).showSaveFilePicker;
  if (picker) {
    let handle: FileSystemFileHandle;
    try {
      handle = await picker({ suggestedName: row.name.replace(/[/\\]/g, '_') });
    } catch (e) {
      if ((e as DOMException)?.name === 'AbortError') return; // the user closed the dialog
      throw e;
    }
    await streamToDisk(row, handle);
    return;
  }
  if (row.size > DOWNLOAD_IN_TAB_MAX && conn?.provider === 's3') {
    // Too big to hold in the tab: the browser downloads it itself from a presigned link.
    try {
      const url = await fs.sign(fullPath(row.name), 300);
      const a = el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' });
      document.body.append(a);
      a.click();
      a.remove();
    } catch (e) { showError(`Signing a download link for ${row.name} failed`, e); }
    return;
  }
  const state = el('span', { class: 'state' }, 'downloading');
  const bar = el('progress', { max: String(Math.max(row.size, 1)), value: '0' });
  const item = el('div', { class: 'upload download', 'data-name': row.name, 'data-state': 'running' }, el('span', { class: 'name' }, `↓ ${row.name}`), bar, state);
  $('uploads').append(item);
  try {
    const bytes = await fs.get(fullPath(row.name), { onProgress: (d: number, t: number) => { bar.max = Math.max(t, 1); bar.value = d; } });
    const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
    const a = el('a', { href: url, download: row.name.replace(/[/\\]/g, '_'), rel: 'noopener' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    bar.value = bar.max;
    item.dataset.state = 'done';
    state.textContent = `saved, ${fmtSize(bytes.length)}`;
  } catch (e) {
    item.dataset.state = 'failed';
    state.textContent = 'failed';
    showError(`Download of ${row.name} failed`, e);
  }
  const dismiss = el('button', { type: 'button', 'aria-label': 'Dismiss' }, '×');
  dismiss.addEventListener('click', () => item.remove());
  item.append(dismiss);
}

button('delete').addEventListener('click', () => void del());
async function del(): Promise<void> {
  const s = selectedRows();
  if (!fs || !conn || s.length === 0) return;
  const f = fs;
  let count = 0;
  try {
    for (const r of s) count += r.dir ? (await f.find(fullPath(r.name), undefined)).length : 1;
  } catch (e) { showError('Counting what would be deleted failed', e); return; }
  const dirs = s.filter((r) => r.dir).length;
  const what = s.length === 1 ? `“${(s[0] as Row).name}${(s[0] as Row).dir ? '/' : ''}”` : `${s.length} entries`;
  const ok = await ask(`Delete ${count} object${count === 1 ? '' : 's'}?`, {
    text: `${what}${dirs ? ` (${dirs} folder${dirs === 1 ? '' : 's'}, recursively)` : ''}: ${count} object${count === 1 ? '' : 's'} will be deleted. This cannot be undone.`,
    ok: `Delete ${count}`,
  });
  if (ok === null) return;
  try {
    for (const r of s) await f.rm(fullPath(r.name), r.dir);
  } catch (e) { showError('Delete failed', e); }
  await openFolder(prefix, serverPrefix);
}

button('mkdir').addEventListener('click', () => void mkdir());
async function mkdir(): Promise<void> {
  if (!fs) return;
  const name = await ask('New folder', { text: `Inside /${prefix}`, value: '', ok: 'Create' });
  if (!name) return;
  try {
    // The S3 console makes a zero-byte "name/" object, but the package's put (and presign)
    // drop a trailing slash from the key, so the folder holds a zero-byte ".keep" instead.
    await fs.put(fullPath(`${name.replace(/\/+$/, '')}/.keep`), new Uint8Array(0));
    await openFolder(prefix, serverPrefix);
  } catch (e) { showError(`Creating folder ${name} failed`, e); }
}

async function moveOrCopy(verb: 'move' | 'copy'): Promise<void> {
  const row = one(verb === 'move' ? 'Rename / move' : 'Copy');
  if (!row || !fs || !conn) return;
  const to = await ask(verb === 'move' ? `Rename or move “${row.name}”` : `Copy “${row.name}”`, {
    text: `New key in ${conn.bucket} (a path from the bucket's top)`,
    value: `${prefix}${row.name}${verb === 'copy' ? (row.dir ? '-copy' : '') : ''}`,
    ok: verb === 'move' ? 'Move' : 'Copy',
  });
  if (!to || to === `${prefix}${row.name}`) return;
  try {
    const src = fullPath(row.name), dst = `${conn.bucket}/${to.replace(/\/+$/, '')}`;
    if (verb === 'move') await fs.mv(src, dst, row.dir); else await fs.cp(src, dst, row.dir);
    await openFolder(prefix, serverPrefix);
  } catch (e) { showError(`${verb === 'move' ? 'Move' : 'Copy'} failed`, e); }
}
button('rename').addEventListener('click', () => void moveOrCopy('move'));
button('copy').addEventListener('click', () => void moveOrCopy('copy'));

button('share').addEventListener('click', () => void share());
async function share(): Promise<void> {
  const row = one('Share');
  if (!row || !fs) return;
  if (row.dir) { showError('Share', new Error('a link is for one file; select a file')); return; }
  const f = fs, path = fullPath(row.name);
  const pick = el('select', { id: 'share-expiry' });
  for (const [label, secs] of [['1 minute', 60], ['15 minutes', 900], ['1 hour', 3600], ['1 day', 86400], ['7 days (the maximum)', 604800]] as const) {
    const o = el('option', { value: String(secs) }, label);
    if (secs === 3600) o.selected = true;
    pick.append(o);
  }
  const out = el('textarea', { class: 'share-url', id: 'share-url', readonly: '', rows: '4' });
  const when = el('p', { class: 'hint', id: 'share-expires' });
  const copy = el('button', { type: 'button', id: 'share-copy' }, 'Copy link');
  copy.addEventListener('click', () => void copyText(out.value, copy));
  const make = async () => {
    out.value = '';
    when.textContent = 'Signing…';
    try {
      const secs = Number(pick.value);
      // The package says when the link really ends: the earlier of the asked lifetime, the
      // scheme's maximum and the expiry of the credentials that signed it (when it knows it).
      const p = await f.presign(path, { method: 'GET', expires: secs });
      out.value = p.url;
      const until = new Date(p.expires);
      when.dataset.expires = p.expires;
      const asked = Date.now() + secs * 1000;
      when.textContent = `Anyone with this link can read the object until ${until.toLocaleString()}` +
        (until.getTime() < asked - 60_000 ? ', sooner than asked: that is when the credentials that signed it expire.' :
          '. A link signed with a session token stops working when that token expires, if sooner.');
    } catch (e) {
      when.textContent = '';
      showError(`Signing ${path} failed`, e);
    }
  };
  pick.addEventListener('change', () => void make());
  const extra = el('div', { class: 'share' }, el('label', {}, 'Expires in ', pick), out, when, el('div', { class: 'row' }, copy));
  void make();
  await ask(`Share “${row.name}”`, { extra, ok: 'Close', noCancel: true });
}

// ---------------------------------------------------------------------------------------------
// Modal wiring and start-up.

$('modal-form').addEventListener('submit', (ev) => { ev.preventDefault(); closeModal(input('modal-input').hidden ? '' : input('modal-input').value); });
button('modal-cancel').addEventListener('click', () => closeModal(null));
$('modal').addEventListener('keydown', (ev) => { if (ev.key === 'Escape') closeModal(null); });

interface Profile { endpoint?: string; region?: string; bucket?: string; key?: string; secret?: string; token?: string; }

async function start(): Promise<void> {
  await init();
  syncProvider();
  const h = parseHash(location.hash);
  if (h) fillForm({ provider: h.provider, bucket: h.bucket, endpoint: h.endpoint, region: h.region, account: h.account });
  // Remembered in this tab (sessionStorage), for the same bucket.
  const saved = sessionStorage.getItem(REMEMBER);
  if (saved) {
    try {
      const c = JSON.parse(saved) as Conn;
      if (!h || (h.provider === c.provider && h.bucket === c.bucket)) {
        fillForm(c);
        (form.elements.namedItem('remember') as HTMLInputElement).checked = true;
        await connect(c, true, h?.prefix ?? '');
        return;
      }
    } catch { sessionStorage.removeItem(REMEMBER); }
  }
  // `make demo` serves the local server's connection profile; a real deployment does not.
  try {
    const r = await fetch('/demo-profile.json', { cache: 'no-store' });
    if (r.ok) {
      const p = await r.json() as Profile;
      if (!h || (h.provider === 's3' && h.bucket === p.bucket)) {
        const c: Conn = { ...NO_CONN, endpoint: p.endpoint ?? '', region: p.region ?? '', bucket: p.bucket ?? '', key: p.key ?? '', secret: p.secret ?? '', token: p.token ?? '' };
        fillForm(c);
        $('connect-status').textContent = 'Filled in from the demo profile';
        await connect(c, false, h?.prefix ?? '');
        return;
      }
    }
  } catch { /* no profile */ }
  if (h) $('connect-status').textContent = `Opened from a link to ${h.bucket}/${h.prefix}: enter the credentials (links never carry them).`;
  document.body.dataset.ready = 'true';
}
start().then(() => { document.body.dataset.ready = 'true'; }, (e: unknown) => showError('The pailfs package did not load', e));
