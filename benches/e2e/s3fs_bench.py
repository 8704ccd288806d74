"""s3fs running the operations of `make bench-e2e` (see scripts/bench_e2e.py). One operation
per process, so the driver can read this process's CPU time alone.

usage: s3fs_bench.py list PREFIX | get KEY FILE | put FILE KEY | small PREFIX COUNT
env: E2E_ENDPOINT, E2E_KEY, E2E_SECRET, E2E_BUCKET, E2E_PART (bytes), E2E_CONC, E2E_SMALL_CONC
"""
import asyncio
import json
import os
import sys
import time

import s3fs


def num(k):
    return int(os.environ[k])


async def main(args):
    part, conc, small_conc = num("E2E_PART"), num("E2E_CONC"), num("E2E_SMALL_CONC")
    fs = s3fs.S3FileSystem(
        key=os.environ["E2E_KEY"],
        secret=os.environ["E2E_SECRET"],
        endpoint_url=os.environ["E2E_ENDPOINT"],
        client_kwargs={"region_name": "us-east-1"},
        asynchronous=True,
        skip_instance_cache=True,
        max_concurrency=conc,
    )
    session = await fs.set_session()
    bucket = os.environ["E2E_BUCKET"]
    p = lambda k: f"{bucket}/{k}"
    t = time.perf_counter()
    op = args[0]
    if op == "list":
        # The seeded prefix is flat, so one delimited listing returns every key. (`_find` sends
        # `delimiter=` empty, which s3s-fs 0.14 takes for a real delimiter: see TOOLCHAIN.md.)
        try:
            items = len(await fs._ls(p(args[1]), detail=False, refresh=True))
        except FileNotFoundError:
            items = 0
        nbytes = 0
    elif op == "get":
        # Parallel ranged GETs of `part` bytes, `conc` in flight, written in order.
        path, size = p(args[1]), (await fs._info(p(args[1])))["size"]
        sem = asyncio.Semaphore(conc)

        async def one(s, e):
            async with sem:
                return await fs._cat_file(path, start=s, end=e)

        tasks = [asyncio.ensure_future(one(s, min(s + part, size))) for s in range(0, size, part)]
        with open(args[2], "wb") as f:
            for task in tasks:
                f.write(await task)
        items, nbytes = 1, size
    elif op == "put":
        await fs._put_file(args[1], p(args[2]), chunksize=part)
        items, nbytes = 1, os.path.getsize(args[1])
    elif op == "small":
        count = int(args[2])
        sem = asyncio.Semaphore(small_conc)

        async def one(i):
            async with sem:
                return len(await fs._cat_file(p(f"{args[1]}/{i:06d}")))

        sizes = await asyncio.gather(*(one(i) for i in range(count)))
        items, nbytes = count, sum(sizes)
    else:
        sys.exit(__doc__)
    wall = time.perf_counter() - t
    await session.close()
    print(json.dumps({"client": "s3fs", "op": op, "wall_s": round(wall, 6), "items": items, "bytes": nbytes}))


asyncio.run(main(sys.argv[1:]))
