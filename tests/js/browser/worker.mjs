// The same package inside a dedicated module worker (no window, no document): a put from a Blob,
// a listing, a ranged read and a get, reported back to the page.
import init, { PailFs } from '../../../pkg/web/pailfs.js';

onmessage = async ({ data: { options, bucket } }) => {
  try {
    await init();
    const fs = new PailFs(options);
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 7) & 255);
    const info = await fs.put(`${bucket}/worker/w.bin`, new Blob([bytes]));
    const names = (await fs.ls(`${bucket}/worker`)).map((e) => e.name);
    const range = await fs.cat(`${bucket}/worker/w.bin`, 99_990, null);
    const all = await fs.get(`${bucket}/worker/w.bin`);
    const same = all.length === bytes.length && all.every((b, i) => b === bytes[i]);
    const rangeOk = range.length === 10 && range.every((b, i) => b === bytes[99_990 + i]);
    postMessage({ ok: info.size === bytes.length && names.length === 1 && same && rangeOk, names, size: info.size, same, rangeOk });
  } catch (e) {
    postMessage({ ok: false, error: `${e.name}: ${e.message}`, kind: e.kind });
  }
};
