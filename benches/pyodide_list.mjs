// Listing 10,000 keys through the Python package inside Pyodide (Node 20, JSPI), against the same
// listing from plain JS through the wasm package (`listPages`), same runtime, same run,
// alternating. Against moto (scripts/servers.sh start moto). The keys are seeded from JS.
//   scripts/pyodide.sh bench-list     (PAILFS_BENCH_KEYS, default 10000; PAILFS_BENCH_RUNS, default 3)
import { boot } from '../tests/python/boot.mjs';

const [cache, wheel] = process.argv.slice(2);
const py = await boot(cache, wheel);
const n = Number(process.env.PAILFS_BENCH_KEYS ?? 10000);
const runs = Number(process.env.PAILFS_BENCH_RUNS ?? 3);
// The wasm package Python loaded (one instance of it in this runtime).
await py.runPythonAsync('import pailfs._js as j; j.module()');
const mod = py.globals.get('j').module();
const { PAILFS_MOTO_ENDPOINT: endpoint_url, PAILFS_MOTO_KEY: key, PAILFS_MOTO_SECRET: secret } = process.env;
const fs = mod.PailFs.fromUrl('s3://', { endpoint_url, key, secret });
const bucket = `pailfs-bench-list-${n}`;
await fs.mkdir(bucket);
let have = 0;
for await (const page of fs.listPages(`${bucket}/k`, true, 1000)) have += page.length;
if (have !== n) {
  const keys = Array.from({ length: n }, (_, i) => `${bucket}/k/${String(i).padStart(6, '0')}`);
  for (let i = 0; i < n; i += 64) await Promise.all(keys.slice(i, i + 64).map((k) => fs.pipe(k, new Uint8Array(1))));
}
py.globals.set('opts', py.toPy({ endpoint_url, key, secret }));
py.globals.set('bucket', bucket);
await py.runPythonAsync('import fsspec; pyfs = fsspec.filesystem("s3", **opts)');
const res = { 'JS listPages': [], 'Python fs.find': [], 'Python fs.ls(detail=True)': [] };
for (let r = 0; r < runs; r++) {
  let t = performance.now(), count = 0;
  for await (const page of fs.listPages(`${bucket}/k`, true, 1000)) count += page.length;
  res['JS listPages'].push((performance.now() - t) / 1000);
  if (count !== n) throw new Error(`listed ${count}`);
  for (const [k, expr] of [['Python fs.find', 'len(pyfs.find(f"{bucket}/k"))'], ['Python fs.ls(detail=True)', 'len(pyfs.ls(f"{bucket}/k", detail=True))']]) {
    t = performance.now();
    const got = await py.runPythonAsync(expr);
    res[k].push((performance.now() - t) / 1000);
    if (got !== n) throw new Error(`${k} listed ${got}`);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = med(res['JS listPages']);
for (const [k, xs] of Object.entries(res)) {
  console.log(`${k}: ${med(xs).toFixed(3)} s for ${n} keys (runs ${xs.map((x) => x.toFixed(3)).join(', ')})${k.startsWith('JS') ? '' : `, ${(med(xs) / base).toFixed(2)}× the JS listing`}`);
}
