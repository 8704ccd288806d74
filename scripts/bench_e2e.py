#!/usr/bin/env python3
"""The driver of `make bench-e2e` (scripts/bench-e2e.sh starts the servers and builds the clients).

E2E_PROVIDER [s3] picks the server: s3 is s3s-fs, seeded through its data directory (below);
gcs (fake-gcs-server) and azure (Azurite) are seeded through pailfs's API, untimed, and the
written objects are checked by reading them back. E2E_SERVER names the server in the report.

Seeds s3s-fs's data directory directly (it serves the files it finds), then runs each client
operation as its own process and reads that process's CPU time (user + sys) from wait4: the
figure is the client's alone, whatever the server spends. Every result is checked (counts,
sizes, SHA-256 of the 1 GiB transfers), so a wrong client cannot look fast.

Settings (environment, defaults in brackets): E2E_KEYS [100000] keys to list, E2E_BIG_MIB [1024]
size of the big object, E2E_SMALL [10000] 4 KiB objects, E2E_PART [8 MiB] part and range size,
E2E_CONC [8] requests in flight for one big transfer, E2E_SMALL_CONC [32] small reads in
flight, E2E_REPEAT [3] runs of the get/put/small operations (median reported; list runs once:
s3s-fs spends minutes of its own CPU per 100k-key listing), E2E_CLIENTS [pailfs,object_store,s3fs].
"""
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench-e2e")
BUCKET = "bench-e2e"


def setting(name, default):
    return int(os.environ.get(name, default))


KEYS = setting("E2E_KEYS", 100_000)
BIG_MIB = setting("E2E_BIG_MIB", 1024)
SMALL = setting("E2E_SMALL", 10_000)
PART = setting("E2E_PART", 8 * 1024 * 1024)
CONC = setting("E2E_CONC", 8)
SMALL_CONC = setting("E2E_SMALL_CONC", 32)
REPEAT = setting("E2E_REPEAT", 3)
PROVIDER = os.environ.get("E2E_PROVIDER", "s3")
SERVER = os.environ.get("E2E_SERVER", "s3s-fs")
# s3fs speaks S3 only; gcsfs and adlfs are not installed by the bench.
CLIENTS = os.environ.get("E2E_CLIENTS", "pailfs,object_store,s3fs" if PROVIDER == "s3" else "pailfs,object_store").split(",")
DATA = os.environ.get("E2E_DATA_ROOT", "")
# GCS: no put. object_store writes GCS through the XML API (PUT /bucket/key, multipart POST
# ?uploads), which fake-gcs-server refuses ("invalid uploadType"); storage-testbench takes the
# PUT but lacks the XML listing object_store lists with.
OPS = ["startup", "list", "get", "small"] if PROVIDER == "gcs" else ["startup", "list", "get", "put", "small"]
TOOLS = os.environ.get("PAILFS_TOOLS", os.path.expanduser("~/.cache/pailfs"))

COMMANDS = {
    "pailfs": [os.path.join(ROOT, "target/release/examples/bench_e2e")],
    "object_store": [os.path.join(ROOT, "benches/e2e/object_store/target/release/bench-e2e-object-store")],
    "s3fs": [os.path.join(TOOLS, "s3fs-venv/bin/python"), os.path.join(ROOT, "benches/e2e/s3fs_bench.py")],
}


def log(*a):
    print("[bench-e2e]", *a, file=sys.stderr, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def big_file():
    os.makedirs(OUT, exist_ok=True)
    big = os.path.join(OUT, "big.bin")
    if not os.path.exists(big) or os.path.getsize(big) != BIG_MIB << 20:
        with open(big, "wb") as f:
            for _ in range(BIG_MIB):
                f.write(os.urandom(1 << 20))
    return big


def seed_api():
    """GCS and Azure: the bucket, the listing keys, the small objects and the big one through pailfs."""
    t = time.time()
    run("pailfs", ["mkbucket"])
    run("pailfs", ["seed", "list", str(KEYS), "16"])
    run("pailfs", ["seed", "small", str(SMALL), "4096"])
    big = big_file()
    run("pailfs", ["put", big, "big.bin"])
    log(f"seeded {KEYS} keys, {SMALL} small objects and the {BIG_MIB} MiB object through the API in {time.time() - t:.1f} s")
    return big, sha256_file(big)


def stored_as_big(key, digest):
    """An object written by a client reads back (with pailfs, untimed) as the big file."""
    back = os.path.join(OUT, "back.bin")
    run("pailfs", ["get", key, back])
    ok = sha256_file(back) == digest
    os.remove(back)
    return ok


def seed():
    """The listing keys and small objects as files where s3s-fs serves them; the big objects via the API."""
    if PROVIDER != "s3":
        return seed_api()
    b = os.path.join(DATA, BUCKET)
    os.makedirs(os.path.join(b, "list"), exist_ok=True)
    os.makedirs(os.path.join(b, "small"), exist_ok=True)
    t = time.time()
    for i in range(KEYS):
        with open(os.path.join(b, "list", f"k{i:06d}"), "wb") as f:
            f.write(b"%016d" % i)
    for i in range(SMALL):
        with open(os.path.join(b, "small", f"{i:06d}"), "wb") as f:
            f.write(os.urandom(4096))
    big = big_file()
    log(f"seeded {KEYS} keys and {SMALL} small objects as files in {time.time() - t:.1f} s")
    # The big objects go in through the API, untimed: s3s-fs then keeps their ETag, where a file
    # placed by hand is hashed whole on every GET (1 GiB per ranged request).
    ranges = os.path.join(OUT, "ranges.bin")
    with open(big, "rb") as src, open(ranges, "wb") as dst:
        dst.write(src.read(16 << 20))
    for local, key in ((big, "big.bin"), (ranges, "ranges.bin")):
        run("pailfs", ["put", local, key])
        if sha256_file(os.path.join(b, key)) != sha256_file(local):
            raise SystemExit(f"seeding {key} through the API stored other bytes")
    log(f"seeded the {BIG_MIB} MiB object and a 16 MiB one through the API")
    return big, sha256_file(big)


def run(client, args):
    """One operation in its own process: its JSON line plus its CPU time from wait4."""
    env = dict(os.environ, E2E_BUCKET=BUCKET, E2E_PART=str(PART), E2E_CONC=str(CONC), E2E_SMALL_CONC=str(SMALL_CONC))
    t = time.perf_counter()
    p = subprocess.Popen(COMMANDS[client] + args, stdout=subprocess.PIPE, env=env)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{client} {' '.join(args)} failed with exit code {p.returncode}")
    rec = json.loads(out.decode().strip().splitlines()[-1])
    rec.update(cpu_s=ru.ru_utime + ru.ru_stime, process_s=time.perf_counter() - t, maxrss_mib=ru.ru_maxrss / 1024)
    return rec


def summarize(client, op, recs):
    return {
        "client": client,
        "op": op,
        "runs": len(recs),
        "wall_s": statistics.median(r["wall_s"] for r in recs),
        "cpu_s": statistics.median(r["cpu_s"] for r in recs),
        "maxrss_mib": max(r["maxrss_mib"] for r in recs),
        "requests": recs[0].get("requests"),
    }


def median_run(client, args, check, times):
    recs = []
    for _ in range(times):
        rec = run(client, args)
        check(rec)
        recs.append(rec)
    return summarize(client, args[0], recs)


def main():
    big, digest = seed()
    got = os.path.join(OUT, "got.bin")
    results = []

    def expect(items=None, nbytes=None):
        def check(rec):
            if items is not None and rec["items"] != items:
                raise SystemExit(f"{rec['client']} {rec['op']}: {rec['items']} items, expected {items}")
            if nbytes is not None and rec["bytes"] != nbytes:
                raise SystemExit(f"{rec['client']} {rec['op']}: {rec['bytes']} bytes, expected {nbytes}")

        return check

    def same_as_big(path):
        def check(rec):
            expect(nbytes=BIG_MIB << 20)(rec)
            if sha256_file(path) != digest:
                raise SystemExit(f"{rec['client']} {rec['op']}: the bytes differ from what was written")

        return check

    # (operation, arguments, check, runs, what to remove afterwards), per client. Clients take
    # turns within each repeat, so a warm or cold cache favours none of them.
    def stored(key):
        def check(rec):
            expect(nbytes=BIG_MIB << 20)(rec)
            if not stored_as_big(key, digest):
                raise SystemExit(f"{rec['client']} {rec['op']}: the bytes stored differ from what was written")

        return check

    def plan(client):
        if PROVIDER != "s3":
            return [
                ("startup", ["list", "nothing"], expect(items=0), REPEAT, None),
                ("list", ["list", "list"], expect(items=KEYS), 1, None),
                ("get", ["get", "big.bin", got], same_as_big(got), REPEAT, got),
                ("put", ["put", big, f"put-{client}"], stored(f"put-{client}"), REPEAT, ("key", f"put-{client}")),
                ("small", ["small", "small", str(SMALL)], expect(items=SMALL, nbytes=SMALL * 4096), REPEAT, None),
            ]
        put_key = os.path.join(DATA, BUCKET, f"put-{client}")
        return [
            ("startup", ["list", "nothing"], expect(items=0), REPEAT, None),
            ("list", ["list", "list"], expect(items=KEYS), 1, None),
            ("get", ["get", "big.bin", got], same_as_big(got), REPEAT, got),
            ("put", ["put", big, f"put-{client}"], same_as_big(put_key), REPEAT, put_key),
            ("small", ["small", "small", str(SMALL)], expect(items=SMALL, nbytes=SMALL * 4096), REPEAT, None),
        ]

    for op in OPS:
        runs = {c: [] for c in CLIENTS}
        step = lambda client: next(s for s in plan(client) if s[0] == op)  # noqa: E731
        for rep in range(step(CLIENTS[0])[3]):
            for client in CLIENTS:
                _, args, check, _, leftover = step(client)
                rec = run(client, args)
                check(rec)
                runs[client].append(rec)
                if isinstance(leftover, tuple):
                    run("pailfs", ["rm", leftover[1]])
                elif leftover:
                    os.remove(leftover)
        for client in CLIENTS:
            r = summarize(client, op, runs[client])
            results.append(r)
            log(f"{op:8} {client:13} wall {r['wall_s']:8.3f} s  cpu {r['cpu_s']:8.3f} s")

    # cat_ranges coalescing (pailfs alone: the same 1000 ranges of 4 KiB, 12 KiB apart, in a
    # 16 MiB object; s3s-fs's own cost per request dominates the uncoalesced wall time).
    coalesce = []
    if "pailfs" in CLIENTS and PROVIDER == "s3":
        for gap in (0, 1 << 20):
            os.environ["E2E_COALESCE"] = str(gap)
            r = median_run("pailfs", ["ranges", "ranges.bin", "1000", "12288"], expect(items=1000, nbytes=1000 * 4096), REPEAT)
            coalesce.append(r | {"coalesce_gap": gap})
        os.environ.pop("E2E_COALESCE")

    if PROVIDER != "s3":
        run("pailfs", ["rmbucket"])
    machine = {
        "server": SERVER,
        "date": time.strftime("%Y-%m-%d"),
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "settings": {"keys": KEYS, "big_mib": BIG_MIB, "small": SMALL, "part": PART, "conc": CONC, "small_conc": SMALL_CONC, "repeat": REPEAT},
    }
    with open(os.path.join(OUT, "results.json" if PROVIDER == "s3" else f"results-{PROVIDER}.json"), "w") as f:
        json.dump({"machine": machine, "results": results, "coalesce": coalesce}, f, indent=1)
    print(report(machine, results, coalesce))


def report(machine, results, coalesce):
    by = {(r["client"], r["op"]): r for r in results}
    ops = OPS
    clients = [c for c in CLIENTS if (c, "list") in by]
    s = machine["settings"]
    lines = [
        f"{machine['server']}; {machine['date']}, {machine['cpu']}, {machine['cores']} cores; {s['keys']} keys listed, {s['big_mib']} MiB get/put "
        f"in {s['part'] >> 20} MiB parts/ranges with {s['conc']} in flight, {s['small']} × 4 KiB reads with {s['small_conc']} in flight; "
        f"median of {s['repeat']} runs (list: 1). Wall and CPU in seconds; CPU is user+sys of the client process, startup included.",
        "",
        "| operation | " + " | ".join(f"{c} wall | {c} CPU" for c in clients) + " | " + " | ".join(
            f"pailfs/{c} CPU | pailfs/{c} wall" for c in clients if c != "pailfs") + " |",
        "|---" * (1 + 2 * len(clients) + 2 * (len(clients) - 1)) + "|",
    ]
    for op in ops:
        cells = [f"{by[(c, op)]['wall_s']:.3f} | {by[(c, op)]['cpu_s']:.3f}" for c in clients]
        ratios = []
        for c in clients:
            if c == "pailfs" or ("pailfs", op) not in by:
                continue
            mine, theirs = by[("pailfs", op)], by[(c, op)]
            ratios.append(f"{mine['cpu_s'] / theirs['cpu_s']:.2f}× | {mine['wall_s'] / theirs['wall_s']:.2f}×")
        lines.append(f"| {op} | " + " | ".join(cells + ratios) + " |")
    if coalesce:
        lines += ["", "cat_ranges, 1000 ranges of 4 KiB 12 KiB apart in a 16 MiB object (pailfs):", "",
                  "| coalesce_gap | requests | wall s | CPU s |", "|---|---|---|---|"]
        for r in coalesce:
            lines.append(f"| {r['coalesce_gap']} | {r['requests']} | {r['wall_s']:.3f} | {r['cpu_s']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
