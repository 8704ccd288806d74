// Sequential read throughput of one object through a pailfs file object inside Pyodide (Node 20,
// JSPI), against the limit: the same bytes by plain JS fetch (a presigned GET) in the same
// runtime, same run, alternating. Against s3s-fs (scripts/servers.sh start s3s).
//   scripts/pyodide.sh bench     (PAILFS_BENCH_MIB, default 256; PAILFS_BENCH_RUNS, default 3;
//                                PAILFS_BENCH_READER_BLOCK, MiB)
import { boot } from '../tests/python/boot.mjs';

const [cache, wheel] = process.argv.slice(2);
const py = await boot(cache, wheel);
const out = await py.runPythonAsync(`
import os, time, json
import fsspec, js, pailfs
from pyodide.ffi import run_sync

MiB = 2**20
size = int(os.environ.get("PAILFS_BENCH_MIB", "256")) * MiB
runs = int(os.environ.get("PAILFS_BENCH_RUNS", "3"))
# PAILFS_BENCH_READER_BLOCK (MiB): the wasm reader's block (storage option block_size; default 4).
extra = {"block_size": int(os.environ["PAILFS_BENCH_READER_BLOCK"]) * MiB} if os.environ.get("PAILFS_BENCH_READER_BLOCK") else {}
fs = fsspec.filesystem("s3", key=os.environ["PAILFS_S3S_KEY"], secret=os.environ["PAILFS_S3S_SECRET"],
                       endpoint_url=os.environ["PAILFS_S3S_ENDPOINT"], quirks="s3s-fs", **extra)
bucket = "pailfs-bench-pyodide"
if not fs.exists(bucket):
    fs.mkdir(bucket)
path = f"{bucket}/read-{size // MiB}MiB"
block = bytes(range(256)) * (MiB // 256)
if not fs.exists(path) or fs.info(path)["size"] != size:
    with fs.open(path, "wb") as f:
        for _ in range(size // MiB):
            f.write(block)
url = fs.sign(path, 3600)

def by_fetch():
    t = time.perf_counter()
    resp = run_sync(js.fetch(url))
    n = run_sync(resp.arrayBuffer()).byteLength
    assert n == size, n
    return time.perf_counter() - t

def by_file(bs):
    t = time.perf_counter()
    n = 0
    with fs.open(path, "rb", block_size=bs, cache_type="none") as f:
        while chunk := f.read(bs):
            n += len(chunk)
    assert n == size, n
    return time.perf_counter() - t

res = {"fetch": [], "file 8 MiB reads": [], "file 32 MiB reads": []}
for _ in range(runs):
    res["fetch"].append(by_fetch())
    res["file 8 MiB reads"].append(by_file(8 * MiB))
    res["file 32 MiB reads"].append(by_file(32 * MiB))
json.dumps({"MiB": size // MiB, "seconds": res})
`);
const r = JSON.parse(out);
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const limit = r.MiB / med(r.seconds.fetch);
for (const [k, xs] of Object.entries(r.seconds)) {
  const mibs = r.MiB / med(xs);
  console.log(`${k}: ${mibs.toFixed(1)} MiB/s (median of ${xs.map((x) => x.toFixed(2)).join(', ')} s)` + (k === 'fetch' ? '' : `, ${(mibs / limit).toFixed(2)}× the fetch limit`));
}
