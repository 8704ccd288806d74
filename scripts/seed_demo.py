#!/usr/bin/env python3
"""Seed an S3 bucket with a realistic tree for `make demo` and the bucket explorer's tests.

    scripts/seed_demo.py --endpoint URL --key K --secret S --bucket NAME
                         [--many N] [--region us-east-1] [--workers 32]

Run it with the moto venv's Python, ${PAILFS_TOOLS:-~/.cache/pailfs}/venv/bin/python
(`scripts/servers.sh install moto` puts boto3, pyarrow and pillow there). It creates the bucket if missing, sets a permissive CORS rule (the explorer runs
in a browser), and writes:

  README.md                          markdown
  reports/2025/q1.csv .. q4.csv      a few hundred rows each
  reports/2026/q1.csv, "q2 final.csv"
  data/events.json                   pretty, nested JSON
  data/users.jsonl                   JSON lines
  data/trips.parquet                 6 row groups (needs pyarrow; skipped without it)
  logs/app-2026-11-30.log            ~60 KB of text
  images/*.png                       written by hand (zlib + struct)
  images/photos/*.jpg                via Pillow (skipped without it)
  big/blob.bin                       40 MiB, uploaded as multipart
  hostile/...                        key names that trip naive clients and HTML
  many/00000.txt .. many/{N-1}.txt   N tiny objects (default 100,000), uploaded concurrently

Every body is generated from fixed seeds, so a re-run produces the same bytes. Each object
carries its SHA-256 in metadata (x-amz-meta-seed-sha256): a re-run HEADs it and skips it when
it matches. many/ is taken as complete when one ListObjectsV2 after the second-to-last key
shows the last key and nothing after it; the last key is written only after all the others
succeeded, so an interrupted run is never mistaken for a complete one. Anything else under
many/ is deleted, so the prefix holds exactly N keys.

moto (5.2) answers a CORS preflight for an existing object with 403 when the object is not
public-read (it applies the object ACL to the unsigned OPTIONS); for a bucket or a missing key
it answers 200 with the rule set here.

Prints a one-line summary at the end; exits 1 with a message on any failure. The key and
secret are never printed.
"""

import argparse
import hashlib
import io
import json
import random
import struct
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timedelta, timezone

try:
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    sys.exit("seed_demo: error: boto3 is missing; run this with the moto venv's Python "
             "(scripts/servers.sh install moto creates it)")

try:
    import pyarrow as pa
    import pyarrow.parquet as pq
except ImportError:
    pa = None

try:
    from PIL import Image, ImageDraw, ImageFilter
except ImportError:
    Image = None

MiB = 1024 * 1024
BIG_SIZE = 40 * MiB
PART_SIZE = 8 * MiB
# What a browser client needs: `*` does not cover Authorization in a preflight answer, and
# ranged reads need Content-Range exposed (the same rule scripts/demo.sh sets).
CORS_RULES = [{
    "AllowedOrigins": ["*"],
    "AllowedMethods": ["GET", "PUT", "POST", "DELETE", "HEAD"],
    "AllowedHeaders": ["*", "authorization"],
    "ExposeHeaders": ["ETag", "Content-Range", "Content-Length", "Last-Modified", "x-amz-checksum-crc32c",
                      "x-amz-request-id", "x-amz-version-id"],
    "MaxAgeSeconds": 3600,
}]
HOSTILE_KEYS = [
    "hostile/<img src=x onerror=alert(1)>.txt",
    'hostile/"><script>alert(2)</script>.txt',
    "hostile/\U0001F1E6\U0001F1FA $shenanigans@@~.txt",
    "hostile/%48%45%4C%4C%4F",
    "hostile/a b+c=d&e?f#g.txt",
    "hostile/..%2F..%2Fetc%2Fpasswd",
]
# The data's own clock: fixed, so every run writes the same bytes.
EPOCH_2026 = datetime(2026, 1, 1, tzinfo=timezone.utc)


class SeedError(Exception):
    pass


def log(msg):
    print(f"[seed] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Content. Each generator takes no input but its own fixed seed.

REGIONS = ["APAC", "EMEA", "North America", "LATAM"]
PRODUCTS = [("Bucket Standard", 19.00), ("Bucket Archive", 4.50), ("Edge Cache", 42.00),
            ("Transfer Pack 1 TB", 89.99), ("Support Plus", 250.00), ("Object Lock add-on", 12.50)]
CUSTOMERS = ["Acme Pty Ltd", "Globex", "Initech", '"Smith, Jones & Co"', "Umbrella Labs",
             "Wayne Enterprises", "Stark Industries", "Tyrell Corp", "Ōkami Foods", "Café Müller"]
FIRST = ["Olivia", "Noah", "Mia", "Liam", "Zoë", "Arjun", "Mei", "Kofi", "Sven", "Aroha",
         "Mateo", "Yuki", "Fatima", "Lachlan", "Chloé", "Dmitri"]
LAST = ["Nguyen", "Smith", "García", "Okafor", "Kowalski", "Tanaka", "O'Brien", "Haddad",
        "Patel", "Ngata", "Müller", "Rossi", "Kim", "Silva"]
COUNTRIES = ["AU", "NZ", "US", "GB", "DE", "JP", "IN", "BR", "NG", "FR", "CA"]


def quarter_csv(year, quarter, rows, seed):
    rng = random.Random(seed)
    start = datetime(year, 3 * quarter - 2, 1)
    days = (datetime(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - start).days
    lines = ["order_id,date,region,customer,product,units,unit_price,revenue,currency"]
    records = []
    for _ in range(rows):
        day = start + timedelta(days=rng.randrange(days))
        product, price = rng.choice(PRODUCTS)
        units = rng.choice([1, 1, 2, 3, 5, 8, 10, 12, 20, 25, 50])
        records.append((day, rng.choice(REGIONS), rng.choice(CUSTOMERS), product, units, price))
    records.sort(key=lambda r: r[0])
    for n, (day, region, customer, product, units, price) in enumerate(records, 1):
        lines.append(f"{year % 100:02d}Q{quarter}-{n:05d},{day:%Y-%m-%d},{region},{customer},"
                     f"{product},{units},{price:.2f},{units * price:.2f},USD")
    return ("\n".join(lines) + "\n").encode()


def events_json():
    rng = random.Random(2026_11)
    kinds = ["object.created", "object.deleted", "bucket.cors.updated", "login", "share.created"]
    events = []
    at = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
    for n in range(60):
        at += timedelta(seconds=rng.randrange(5, 900))
        kind = rng.choice(kinds)
        payload = {"bucket": "demo"}
        if kind.startswith("object."):
            payload["object"] = {
                "key": rng.choice(["reports/2026/q1.csv", "reports/2026/q2 final.csv",
                                   "data/trips.parquet", "images/gradient.png", "big/blob.bin"]),
                "size": rng.randrange(100, 50 * MiB),
                "etag": hashlib.md5(f"{n}".encode()).hexdigest(),
                "versions": [{"id": f"v{v}", "latest": v == 0} for v in range(rng.randrange(1, 4))],
            }
        elif kind == "share.created":
            payload["link"] = {"expires_in_s": rng.choice([60, 3600, 86400]), "read_only": True}
        events.append({
            "id": f"evt_{n:04d}",
            "type": kind,
            "at": at.isoformat().replace("+00:00", "Z"),
            "actor": {"user_id": rng.randrange(1, 251), "ip": f"203.0.113.{rng.randrange(1, 255)}",
                      "agent": rng.choice(["pailfs-cli/0.1", "pailfs-web/0.1", "aws-cli/2.17"])},
            "payload": payload,
            "tags": rng.sample(["audit", "billing", "security", "explorer", "cli"], k=rng.randrange(0, 3)),
        })
    doc = {"schema": "pailfs.demo.events/v1", "generated_at": "2026-11-30T23:59:59Z",
           "source": {"service": "pailfs-demo", "region": "us-east-1"},
           "count": len(events), "events": events}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def users_jsonl():
    rng = random.Random(250)
    out = []
    for uid in range(1, 251):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        signup = EPOCH_2026 - timedelta(days=rng.randrange(0, 900), seconds=rng.randrange(86400))
        mail = f"{first}.{last}".lower().replace("'", "").encode("ascii", "ignore").decode()
        out.append(json.dumps({
            "id": uid, "name": f"{first} {last}", "email": f"{mail}{uid}@example.com",
            "country": rng.choice(COUNTRIES), "plan": rng.choice(["free", "free", "pro", "team"]),
            "signup": signup.isoformat().replace("+00:00", "Z"), "active": rng.random() > 0.15,
            "quota_gb": rng.choice([5, 50, 500, None]),
        }, ensure_ascii=False))
    return ("\n".join(out) + "\n").encode()


def app_log():
    rng = random.Random(1130)
    t = datetime(2026, 11, 30, 0, 0, 0, tzinfo=timezone.utc)
    paths = ["/api/v1/buckets", "/api/v1/objects?prefix=reports/", "/api/v1/objects/data/trips.parquet",
             "/api/v1/sign", "/healthz", "/api/v1/objects?prefix=many/&start-after=many/04999.txt"]
    lines = []
    for n in range(700):
        t += timedelta(milliseconds=rng.randrange(20, 120000))
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
        req = f"{rng.getrandbits(64):016x}"
        roll = rng.random()
        if roll < 0.85:
            status = rng.choice([200, 200, 200, 204, 206, 304, 404])
            lines.append(f"{stamp} INFO  [http] {rng.choice(['GET', 'GET', 'HEAD', 'PUT'])} "
                         f"{rng.choice(paths)} {status} {rng.randrange(1, 400)}ms req_id={req}")
        elif roll < 0.97:
            lines.append(f"{stamp} WARN  [store] retrying request req_id={req} attempt="
                         f"{rng.randrange(1, 4)} after {rng.choice(['SlowDown', 'timeout', 'connection reset'])}")
        else:
            lines.append(f"{stamp} ERROR [store] GET s3://demo/big/blob.bin failed req_id={req}: "
                         "unexpected end of body after 8388608 of 41943040 bytes")
            lines.append("    at pailfs::read::resume (src/read.rs:212)")
            lines.append("    at pailfs::cli::cat (src/bin/pailfs.rs:88)")
    return ("\n".join(lines) + "\n").encode()


def readme(many, skipped):
    notes = "".join(f"- {s}\n" for s in skipped) or "- nothing\n"
    return f"""# pailfs demo bucket

Seeded by `scripts/seed_demo.py`. Every body is generated from fixed seeds, so re-seeding
writes the same bytes.

| prefix | what |
| --- | --- |
| `reports/` | quarterly CSV exports (note the space in `q2 final.csv`) |
| `data/` | JSON, JSON lines and Parquet |
| `logs/` | a day of application log |
| `images/` | small PNG and JPEG files |
| `big/` | one 40 MiB object, uploaded in {PART_SIZE // MiB} MiB parts |
| `hostile/` | key names with HTML, emoji, `%`-escapes, `?`, `#` and `+` in them |
| `many/` | {many:,} tiny objects, for paging |

Try it:

```sh
pailfs ls -l s3://demo/hostile
pailfs cat "s3://demo/reports/2026/q2 final.csv"
```

Skipped when this was seeded:

{notes}""".encode()


def png(width, height, pixel, alpha=False):
    """A PNG from pixel(x, y) -> (r, g, b[, a]), written by hand: signature, IHDR, IDAT, IEND."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    bpp = 4 if alpha else 3
    raw = bytearray()
    for y in range(height):
        row = b"".join(bytes(pixel(x, y)) for x in range(width))
        raw.append(1)  # filter type 1, Sub: each byte less the one a pixel to its left
        raw.extend((row[i] - (row[i - bpp] if i >= bpp else 0)) & 0xFF for i in range(len(row)))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def gradient_png():
    def px(x, y):
        r, g, b = x * 255 // 319, y * 255 // 199, 160
        if (x - 220) ** 2 + (y - 80) ** 2 < 40 ** 2:
            r, g, b = 255, 220, 60
        return (r, g, b)
    return png(320, 200, px)


def badge_png():
    def px(x, y):
        d2 = (x - 31.5) ** 2 + (y - 31.5) ** 2
        if d2 > 30 ** 2:
            return (0, 0, 0, 0)
        edge = 255 if d2 < 28 ** 2 else 128
        return (30, 120, 220, edge) if (x // 8 + y // 8) % 2 else (250, 250, 250, edge)
    return png(64, 64, px, alpha=True)


def photo_jpegs():
    """A synthetic landscape at two sizes; baseline and progressive, so both decoders get a go."""
    w, h = 640, 400
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    for y in range(h):
        t = y / h
        draw.line([(0, y), (w, y)], fill=(int(255 - 120 * t), int(140 - 60 * t), int(90 + 100 * t)))
    draw.ellipse([420, 90, 520, 190], fill=(255, 230, 120))
    rng = random.Random(7)
    for layer, colour in enumerate([(70, 60, 110), (40, 50, 80), (20, 30, 45)]):
        base = 260 + layer * 45
        points = [(0, h)] + [(x, base - rng.randrange(0, 70)) for x in range(0, w + 40, 40)] + [(w, h)]
        draw.polygon(points, fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(1))
    big, small = io.BytesIO(), io.BytesIO()
    img.save(big, "JPEG", quality=85)
    img.resize((160, 100), Image.LANCZOS).save(small, "JPEG", quality=80, progressive=True)
    return big.getvalue(), small.getvalue()


def trips_parquet():
    rng = random.Random(42)
    rows, group = 6000, 1000
    vendors = ["Yellow Cab", "Ride Share", "Green Taxi", "Limo Co"]
    t = datetime(2026, 11, 1, tzinfo=timezone.utc)
    cols = {k: [] for k in ["trip_id", "pickup_at", "dropoff_at", "vendor", "passengers",
                            "distance_km", "fare_usd", "tip_usd", "payment"]}
    for n in range(rows):
        t += timedelta(seconds=rng.randrange(1, 900))
        km = round(rng.expovariate(1 / 6.0) + 0.4, 2)
        fare = round(3.5 + km * 2.1 + rng.random() * 4, 2)
        payment = rng.choice(["card", "card", "card", "cash", None])
        cols["trip_id"].append(1_000_000 + n)
        cols["pickup_at"].append(t)
        cols["dropoff_at"].append(t + timedelta(seconds=int(km * 150 + rng.randrange(60, 600))))
        cols["vendor"].append(rng.choice(vendors))
        cols["passengers"].append(rng.choice([1, 1, 1, 2, 2, 3, 4]))
        cols["distance_km"].append(km)
        cols["fare_usd"].append(fare)
        cols["tip_usd"].append(round(fare * rng.choice([0, 0.1, 0.15, 0.2]), 2) if payment == "card" else None)
        cols["payment"].append(payment)
    ts = pa.timestamp("ms", tz="UTC")
    table = pa.table({
        "trip_id": pa.array(cols["trip_id"], pa.int64()),
        "pickup_at": pa.array(cols["pickup_at"], ts),
        "dropoff_at": pa.array(cols["dropoff_at"], ts),
        "vendor": pa.array(cols["vendor"], pa.string()).dictionary_encode(),
        "passengers": pa.array(cols["passengers"], pa.int8()),
        "distance_km": pa.array(cols["distance_km"], pa.float64()),
        "fare_usd": pa.array(cols["fare_usd"], pa.float64()),
        "tip_usd": pa.array(cols["tip_usd"], pa.float64()),
        "payment": pa.array(cols["payment"], pa.string()),
    })
    out = io.BytesIO()
    pq.write_table(table, out, row_group_size=group, compression="snappy")
    return out.getvalue()


def big_blob():
    return random.Random(40).randbytes(BIG_SIZE)


def many_key(i, n):
    return f"many/{i:0{max(5, len(str(n - 1)))}d}.txt"


def many_body(i):
    return f"object {i} of the many/ prefix\n".encode()


def build_tree(many):
    """[(key, body, content_type)] and the list of what was skipped, with why."""
    skipped = []
    tree = [
        ("reports/2025/q1.csv", quarter_csv(2025, 1, 240, 251), "text/csv"),
        ("reports/2025/q2.csv", quarter_csv(2025, 2, 260, 252), "text/csv"),
        ("reports/2025/q3.csv", quarter_csv(2025, 3, 280, 253), "text/csv"),
        ("reports/2025/q4.csv", quarter_csv(2025, 4, 320, 254), "text/csv"),
        ("reports/2026/q1.csv", quarter_csv(2026, 1, 300, 261), "text/csv"),
        ("reports/2026/q2 final.csv", quarter_csv(2026, 2, 340, 262), "text/csv"),
        ("data/events.json", events_json(), "application/json"),
        ("data/users.jsonl", users_jsonl(), "application/x-ndjson"),
        ("logs/app-2026-11-30.log", app_log(), "text/plain; charset=utf-8"),
        ("images/gradient.png", gradient_png(), "image/png"),
        ("images/icons/badge-alpha.png", badge_png(), "image/png"),
    ]
    if Image is not None:
        photo, thumb = photo_jpegs()
        tree.append(("images/photos/dusk.jpg", photo, "image/jpeg"))
        tree.append(("images/photos/dusk-thumb.jpg", thumb, "image/jpeg"))
    else:
        skipped.append("JPEG images (Pillow is not installed in this Python)")
    if pa is not None:
        tree.append(("data/trips.parquet", trips_parquet(), "application/vnd.apache.parquet"))
    else:
        skipped.append("data/trips.parquet (pyarrow is not installed in this Python)")
    for key in HOSTILE_KEYS:
        tree.append((key, f"This object's key is: {key}\n".encode(), "text/plain; charset=utf-8"))
    tree.append(("README.md", readme(many, skipped), "text/markdown; charset=utf-8"))
    return tree, skipped


# ---------------------------------------------------------------------------------------------
# S3.

def make_client(args):
    cfg = Config(s3={"addressing_style": "path"}, region_name=args.region,
                 retries={"max_attempts": 6, "mode": "standard"},
                 max_pool_connections=args.workers + 4, connect_timeout=10, read_timeout=120)
    return boto3.client("s3", endpoint_url=args.endpoint, aws_access_key_id=args.key,
                        aws_secret_access_key=args.secret, config=cfg)


def ensure_bucket(s3, bucket, region):
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
    kwargs = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
            raise
    return True


def put_if_changed(s3, bucket, key, body, content_type, transfer):
    """Upload unless the object is there with this body's SHA-256; True when it uploaded."""
    digest = hashlib.sha256(body).hexdigest()
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        if (head.get("ContentLength") == len(body) and head.get("Metadata", {}).get("seed-sha256") == digest
                and head.get("ContentType") == content_type):
            return False
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    extra = {"ContentType": content_type, "Metadata": {"seed-sha256": digest}}
    if len(body) >= transfer.multipart_threshold:
        s3.upload_fileobj(io.BytesIO(body), bucket, key, ExtraArgs=extra, Config=transfer)
    else:
        s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)
    return True


def list_keys(s3, bucket, prefix):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


def many_complete(s3, bucket, n):
    """One ListObjectsV2: the last key is there and nothing sorts after it."""
    kwargs = {"Bucket": bucket, "Prefix": "many/", "MaxKeys": 2}
    if n >= 2:
        kwargs["StartAfter"] = many_key(n - 2, n)
    got = [o["Key"] for o in s3.list_objects_v2(**kwargs).get("Contents", [])]
    if n == 0:
        return got == []
    return got == [many_key(n - 1, n)] if n >= 2 else got == [many_key(0, n)]


def delete_keys(s3, bucket, keys):
    for start in range(0, len(keys), 1000):
        batch = keys[start:start + 1000]
        resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
        if resp.get("Errors"):
            err = resp["Errors"][0]
            raise SeedError(f"deleting {err.get('Key')!r}: {err.get('Code')} {err.get('Message')}")


def seed_many(s3, bucket, n, workers):
    """Returns (uploaded, bytes uploaded, seconds)."""
    if many_complete(s3, bucket, n):
        log(f"many/: already holds {n:,} keys, skipped")
        return 0, 0, 0.0
    t0 = time.monotonic()
    expected = [many_key(i, n) for i in range(n)]
    have = set(list_keys(s3, bucket, "many/"))
    log(f"many/: {len(have):,} keys there, listed in {time.monotonic() - t0:.1f}s")
    want = set(expected)
    missing = [i for i in range(n - 1) if expected[i] not in have]
    last = n - 1
    # Keep the invariant many_complete relies on: the last key exists only once all the others do.
    doomed = sorted(have - want)
    if n and missing and expected[last] in have:
        doomed.append(expected[last])
        have.discard(expected[last])
    if doomed:
        log(f"many/: deleting {len(doomed):,} keys")
        delete_keys(s3, bucket, doomed)
    if n and expected[last] not in have:
        missing.append(last)
    if not missing:
        return 0, 0, time.monotonic() - t0

    tail = missing.pop() if missing and missing[-1] == last else None
    done, nbytes, total = 0, 0, len(missing) + (tail is not None)
    report_every = max(1000, total // 10)
    t1 = time.monotonic()

    def put(i):
        body = many_body(i)
        s3.put_object(Bucket=bucket, Key=expected[i], Body=body, ContentType="text/plain")
        return len(body)

    # Submit in chunks so 100,000 futures are not all alive at once. On the first failure (or
    # ^C) drop what is queued rather than wait for it.
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        for start in range(0, len(missing), 5000):
            futures = [pool.submit(put, i) for i in missing[start:start + 5000]]
            for f in as_completed(futures):
                nbytes += f.result()
                done += 1
                if done % report_every == 0:
                    rate = done / (time.monotonic() - t1)
                    log(f"many/: {done:,}/{total:,} ({rate:,.0f}/s)")
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    if tail is not None:
        nbytes += put(tail)
        done += 1
    secs = time.monotonic() - t0
    put_secs = time.monotonic() - t1
    log(f"many/: uploaded {done:,} keys in {put_secs:.1f}s ({done / max(put_secs, 1e-9):,.0f}/s, "
        f"{workers} workers)")
    return done, nbytes, secs


def check_hostile(s3, bucket):
    """The server lists the hostile keys back exactly as they were written."""
    listed = set(list_keys(s3, bucket, "hostile/"))
    lost = [k for k in HOSTILE_KEYS if k not in listed]
    if lost:
        raise SeedError(f"the server does not list back these keys as written: {lost!r}")


def run(args):
    t0 = time.monotonic()
    s3 = make_client(args)
    created = ensure_bucket(s3, args.bucket, args.region)
    log(f"bucket {args.bucket}: {'created' if created else 'exists'} at {args.endpoint}")
    s3.put_bucket_cors(Bucket=args.bucket, CORSConfiguration={"CORSRules": CORS_RULES})

    tree, skipped = build_tree(args.many)
    transfer = TransferConfig(multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE,
                              max_concurrency=4)
    tree.append(("big/blob.bin", big_blob(), "application/octet-stream"))
    uploaded, up_bytes = 0, 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {pool.submit(put_if_changed, s3, args.bucket, k, b, ct, transfer): len(b)
                   for k, b, ct in tree}
        for f in as_completed(futures):
            if f.result():
                uploaded += 1
                up_bytes += futures[f]
    log(f"tree: {len(tree)} objects, {uploaded} uploaded ({up_bytes:,} bytes), "
        f"{len(tree) - uploaded} unchanged")
    check_hostile(s3, args.bucket)

    m_up, m_bytes, _ = seed_many(s3, args.bucket, args.many, args.workers)
    total_objects = len(tree) + args.many
    total_bytes = sum(len(b) for _, b, _ in tree) + sum(len(many_body(i)) for i in range(args.many))
    for s in skipped:
        log(f"skipped: {s}")
    print(f"seeded s3://{args.bucket}: {total_objects:,} objects, {total_bytes:,} bytes "
          f"({uploaded + m_up:,} objects / {up_bytes + m_bytes:,} bytes uploaded this run) "
          f"in {time.monotonic() - t0:.1f}s", flush=True)


def main():
    p = argparse.ArgumentParser(description="Seed an S3 bucket for the pailfs demo and explorer tests.")
    p.add_argument("--endpoint", required=True, help="S3 endpoint URL, e.g. http://127.0.0.1:5000")
    p.add_argument("--key", required=True, help="access key id")
    p.add_argument("--secret", required=True, help="secret access key (never printed)")
    p.add_argument("--bucket", required=True)
    p.add_argument("--many", type=int, default=100_000, help="objects under many/ (default 100000)")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--workers", type=int, default=32, help="concurrent uploads for many/ (default 32)")
    args = p.parse_args()
    if args.many < 0:
        p.error("--many must be 0 or more")
    if args.workers < 1:
        p.error("--workers must be at least 1")
    try:
        run(args)
    except ClientError as e:
        err = e.response.get("Error", {})
        op = getattr(e, "operation_name", "request")
        sys.exit(f"seed_demo: error: {op} failed: {err.get('Code', '?')} {err.get('Message', '')}".rstrip())
    except (BotoCoreError, SeedError, OSError) as e:
        sys.exit(f"seed_demo: error: {e}")
    except KeyboardInterrupt:
        sys.exit("seed_demo: interrupted")


if __name__ == "__main__":
    main()
