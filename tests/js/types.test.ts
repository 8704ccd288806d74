// Compiled (not run) by `tsc -p tests/js` in make test: the .d.ts shipped in pkg/web must type
// real uses precisely. A wrong or `any` type makes this file fail to compile: `misuse` marks
// calls that must be rejected, and an accepted one is an error.
import init, { PailFs, Reader, Writer, type Entry, type PailfsError, type PailFsOptions } from '../../pkg/web/pailfs.js';

const options: PailFsOptions = { endpoint_url: 'http://127.0.0.1:9000', key: 'k', secret: 's', timeout: 1, client_kwargs: { region_name: 'eu-west-1' } };

export async function use(): Promise<void> {
  await init();
  const fs = new PailFs(options);
  const byUrl: PailFs = PailFs.fromUrl('s3://bucket/prefix', { anon: true });
  const root: string = byUrl.root;
  void root;
  const entries: Entry[] = await fs.ls('bucket');
  const kind: 'file' | 'directory' | undefined = entries[0]?.type;
  const size: number | undefined = entries[0]?.size;
  const head: Uint8Array = await fs.cat('b/k', 0, 10);
  const all: Uint8Array = await fs.get('b/k', { onProgress: (done: number, total: number) => void (done + total) });
  const ac = new AbortController();
  const put: Entry = await fs.put('b/k', new Blob(['x']), { signal: ac.signal, onProgress: () => {} });
  await fs.put('b/k', 'text', (done, total) => done / total);
  await fs.put('b/k', new Uint8Array(3));
  for await (const page of fs.listPages('b', true, 100)) {
    const names: string[] = page.map((e) => e.name);
    void names;
  }
  const url: string = await fs.sign('b/k', 60);
  const upload = await fs.presign('b/k', { method: 'PUT', expires: 600 });
  const target: string = upload.url;
  const mustSend: Record<string, string> = upload.headers;
  void [target, mustSend];
  const stream: ReadableStream<Uint8Array> = fs.open('b/k');
  void stream;
  const found: string[] = await fs.find('b', { signal: ac.signal });
  const there: boolean = await fs.exists('b/k');
  try {
    await fs.rm('b', true);
  } catch (e) {
    const err = e as PailfsError;
    const k: PailfsError['kind'] = err.kind;
    const status: number | null = err.status;
    const where: [string | null, string | null] = [err.bucket, err.key];
    void [k, status, where];
  }
  void [kind, size, head, all, put, url, found, there];
  // Every verb takes { signal }.
  const signal = ac.signal;
  const one: Entry = await fs.info('b/k', { signal });
  const is: boolean = await fs.exists('b/k', { signal });
  const globbed: string[] = await fs.glob('b/*', { signal });
  const rm: void = await fs.rm('b/k', false, { signal });
  const cp: void = await fs.cp('b/k', 'b/l', false, { signal });
  const mv: void = await fs.mv('b/k', 'b/l', true, { signal });
  const mk: void = await fs.mkdir('b', { signal });
  const piped: Entry = await fs.pipe('b/k', new Uint8Array(1), { signal });
  const signed: string = await fs.sign('b/k', 60, { signal });
  const pre = await fs.presign('b/k', { method: 'GET', signal });
  for await (const page of fs.listPages('b', false, 10, { signal })) void (page satisfies Entry[]);
  const opened: ReadableStream<Uint8Array> = fs.open('b/k', { signal });
  void [one, is, globbed, rm, cp, mv, mk, piped, signed, pre.url, opened];
  // A writer for pieces produced one at a time (the Python package's file objects).
  const w: Writer = await fs.openWrite('b/k', { mode: 'create' });
  const wrote: void = await w.write(new Uint8Array(8));
  const closed: Entry = await w.close();
  const cls: string | null = closed.storageClass;
  const ver: string | null = closed.version;
  const gone: void = await (await fs.openWrite('b/k')).abort();
  void [wrote, cls, ver, gone];
  // A reader pinned to the version it found.
  const r: Reader = await fs.openRead('b/k', { signal });
  const range: Uint8Array = await r.read(0, 10);
  const opened_as: Entry = r.entry;
  void [range, opened_as];
}

export function misuse(fs: PailFs): void {
  // @ts-expect-error: a number is not something to upload
  void fs.put('b/k', 42);
  // @ts-expect-error: an unknown option
  void new PailFs({ endpont: 'http://x' });
  // @ts-expect-error: the old camelCase names are gone
  void new PailFs({ accessKeyId: 'k' });
  // @ts-expect-error: presign takes no POST
  void fs.presign('b/k', { method: 'POST' });
  // @ts-expect-error: the signal must be an AbortSignal
  void fs.ls('b', { signal: 'stop' });
  // @ts-expect-error: nor anything else
  void fs.rm('b', true, { signal: 1 });
  // @ts-expect-error: open takes no progress callback
  void fs.open('b/k', { onProgress: () => {} });
  // @ts-expect-error: a writer takes bytes, not strings
  void fs.openWrite('b/k').then((w) => w.write('text'));
  // @ts-expect-error: openWrite's mode is "create" or "overwrite"
  void fs.openWrite('b/k', { mode: 'append' });
  // @ts-expect-error: a writer reports no progress (its caller knows what it wrote)
  void fs.openWrite('b/k', () => {});
  // @ts-expect-error: a reader reads by offset and length
  void fs.openRead('b/k').then((r) => r.read('0'));
  // @ts-expect-error: root is read-only
  fs.root = 'b/elsewhere';
  // @ts-expect-error: root is a string
  const n: number = fs.root;
  void n;
}
