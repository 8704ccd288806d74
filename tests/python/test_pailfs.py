"""pailfs's own behaviour cases, from Python inside Pyodide, against moto."""

import csv
import hashlib
import io
from datetime import datetime, timezone

import fsspec
import pytest

import pailfs
from conftest import new_s3, s3_options

MiB = 2**20


def test_transport_is_jspi_under_run_python_async():
    assert pailfs.transport() == "jspi"


def test_import_registers_every_protocol():
    for proto in ("s3", "s3a"):
        assert fsspec.get_filesystem_class(proto) is pailfs.S3FileSystem
    for proto in ("gs", "gcs"):
        assert fsspec.get_filesystem_class(proto) is pailfs.GCSFileSystem


HOSTILE = [
    "sp ace.txt",
    "ünï/cödé €.bin",
    "pct%20encoded%2F.txt",
    "plus+sign&amp=eq;semi",
    "q?uery#frag",
    "dots/../escape",
    "./dot",
    "tilde~*star[1]",
    "quote'double\"",
    "deep/a/b/c/d/e.txt",
]


@pytest.mark.parametrize("key", HOSTILE)
def test_hostile_keys_round_trip(s3, bucket, key):
    path = f"{bucket}/{key}"
    data = key.encode() * 3
    s3.pipe_file(path, data)
    assert s3.cat_file(path) == data
    assert s3.info(path)["name"] == path
    parent = path.rsplit("/", 1)[0]
    assert path in s3.ls(parent, detail=False)
    assert s3.find(bucket) == [path]
    with s3.open(path, "rb") as f:
        assert f.read() == data
    s3.rm_file(path)
    assert not s3.exists(path)


RANGE_CASES = [(None, None), (0, 10), (10, None), (None, 10), (-10, None), (None, -10), (-20, -5), (5, 3),
               (1000, 2000), (1020, 5000), (0, 0), (-5000, 4)]


@pytest.mark.parametrize("start,end", RANGE_CASES)
def test_cat_file_ranges_have_slice_semantics(s3, bucket, start, end):
    data = bytes(range(256)) * 4
    s3.pipe_file(f"{bucket}/r", data)
    assert s3.cat_file(f"{bucket}/r", start, end) == data[start:end]


def test_file_object_seeks_and_reads_like_a_file(s3, bucket):
    data = hashlib.sha256(b"x").digest() * 4096  # 128 KiB
    s3.pipe_file(f"{bucket}/f", data)
    with s3.open(f"{bucket}/f", "rb", block_size=10_000) as f:
        assert f.size == len(data)
        assert f.read(5) == data[:5]
        f.seek(100_000)
        assert f.read(50_000) == data[100_000:]
        f.seek(-10, 2)
        assert f.read() == data[-10:]
        assert f.read() == b""
        f.seek(3)
        assert f.readline() == data[3:].split(b"\n", 1)[0] + (b"\n" if b"\n" in data[3:] else b"")


def test_a_file_replaced_while_being_read_is_an_error_not_a_mix(s3, bucket):
    p = f"{bucket}/replaced"
    s3.pipe_file(p, b"a" * (10 * MiB))
    with s3.open(p, "rb", block_size=MiB, cache_type="none") as f:
        assert f.read(10) == b"a" * 10  # the reader's first ranges hold the start
        s3.pipe_file(p, b"b" * (10 * MiB))  # same size, another version
        f.seek(9 * MiB)
        with pytest.raises(OSError, match="changed while being read"):
            f.read(10)


def test_cat_ranges_of_several_files(s3, bucket):
    s3.pipe({f"{bucket}/a": b"0123456789", f"{bucket}/b": b"abcdefghij"})
    out = s3.cat_ranges([f"{bucket}/a", f"{bucket}/b", f"{bucket}/a"], [0, 2, -3], [3, 5, None])
    assert out == [b"012", b"cde", b"789"]


def test_a_write_larger_than_one_part_is_a_multipart_upload(bucket):
    fs = new_s3(part_size=5 * MiB)
    chunk = bytes(range(256)) * 4096  # 1 MiB
    with fs.open(f"{bucket}/big", "wb", block_size=MiB) as f:
        for i in range(11):
            f.write(bytes([i]) + chunk[1:])
    expected = b"".join(bytes([i]) + chunk[1:] for i in range(11))
    info = fs.info(f"{bucket}/big")
    assert info["size"] == 11 * MiB
    # S3's ETag of a multipart object is md5-of-part-md5s "-" part count: 5 + 5 + 1 MiB.
    assert info["ETag"].strip('"').endswith("-3")
    assert fs.cat_file(f"{bucket}/big") == expected
    assert uploads_in_progress(bucket) == 0


def uploads_in_progress(bucket):
    """The multipart uploads moto holds for `bucket` (ListMultipartUploads; moto answers unsigned)."""
    import os

    import js
    from pyodide.ffi import run_sync

    resp = run_sync(js.fetch(f"{os.environ['PAILFS_MOTO_ENDPOINT']}/{bucket}?uploads"))
    assert resp.status == 200
    return run_sync(resp.text()).count("<UploadId>")


def test_an_exception_inside_with_leaves_no_object_and_no_upload(bucket):
    fs = new_s3(part_size=5 * MiB)
    with pytest.raises(RuntimeError, match="stop"):
        with fs.open(f"{bucket}/partial", "wb", block_size=MiB) as f:
            # The writer holds a few parts before it must send: write until the upload is on
            # the server (a bounded loop, not a timing).
            for _ in range(64):
                f.write(b"y" * MiB)
                if uploads_in_progress(bucket):
                    break
            assert uploads_in_progress(bucket) == 1
            raise RuntimeError("stop")
    assert not fs.exists(f"{bucket}/partial")
    assert uploads_in_progress(bucket) == 0
    with pytest.raises(ValueError):
        f.write(b"more")  # the aborted file is closed


def test_create_only_writes(s3, bucket):
    p = f"{bucket}/once"
    with s3.open(p, "xb") as f:
        f.write(b"first")
    assert s3.cat_file(p) == b"first"
    with pytest.raises(FileExistsError):
        s3.open(p, "xb")
    with pytest.raises(FileExistsError):
        s3.pipe_file(p, b"second", mode="create")
    assert s3.cat_file(p) == b"first"
    s3.pipe_file(f"{bucket}/new", b"n", mode="create")
    assert s3.cat_file(f"{bucket}/new") == b"n"


def test_create_only_loses_to_a_writer_that_committed_first(s3, bucket):
    p = f"{bucket}/race"
    f = s3.open(p, "xb")  # absent now: the open succeeds
    f.write(b"late")
    s3.pipe_file(p, b"early")  # another writer commits first
    with pytest.raises(FileExistsError):
        f.close()  # the commit's If-None-Match: * refuses
    assert s3.cat_file(p) == b"early"


def test_append_mode_adds_to_the_existing_object(s3, bucket):
    p = f"{bucket}/log"
    with s3.open(p, "ab") as f:
        f.write(b"one\n")
    with s3.open(p, "ab") as f:
        f.write(b"two\n")
    assert s3.cat_file(p) == b"one\ntwo\n"


def test_typed_exceptions(s3, bucket):
    s3.pipe_file(f"{bucket}/dir/file", b"x")
    with pytest.raises(FileNotFoundError):
        s3.cat_file(f"{bucket}/missing")
    with pytest.raises(FileNotFoundError):
        s3.info(f"{bucket}/missing")
    with pytest.raises(FileNotFoundError):
        s3.open(f"{bucket}/missing", "rb")
    with pytest.raises(FileNotFoundError):
        s3.rm_file(f"{bucket}/missing")
    with pytest.raises(FileNotFoundError):
        s3.ls(f"{bucket}/missing")
    with pytest.raises(IsADirectoryError):
        s3.open(f"{bucket}/dir", "rb")
    with pytest.raises(ValueError):
        s3.pipe_file(f"{bucket}/x", b"x", mode="append")
    with pytest.raises(ValueError):
        s3.pipe_file(bucket, b"x")  # a bucket is not a file
    with pytest.raises(FileNotFoundError):
        s3.ls("pailfs-no-such-bucket-anywhere")


def test_the_provider_code_is_in_the_message(s3, bucket):
    with pytest.raises(FileNotFoundError) as e:
        s3.cat_file(f"{bucket}/missing")
    assert "NoSuchKey" in str(e.value)
    assert e.value.code == "NoSuchKey"


def test_bad_options_are_value_errors_that_name_the_option_not_the_secret():
    secret = "do-not-print-me-0123456789"
    with pytest.raises(ValueError) as e:
        new_s3(secret_typo=secret)
    assert "secret_typo" in str(e.value)
    assert secret not in str(e.value)
    fs = fsspec.filesystem("s3", skip_instance_cache=True, **{**s3_options(), "secret": secret})
    assert secret not in repr(fs)


def test_ls_detail_has_s3fs_fields(s3, bucket):
    data = b"hello s3fs"
    s3.pipe_file(f"{bucket}/d/file.txt", data)
    s3.pipe_file(f"{bucket}/d/sub/inner", b"i")
    entries = {e["name"]: e for e in s3.ls(f"{bucket}/d", detail=True)}
    assert set(entries) == {f"{bucket}/d/file.txt", f"{bucket}/d/sub"}
    f = entries[f"{bucket}/d/file.txt"]
    assert set(f) == {"Key", "LastModified", "ETag", "Size", "StorageClass", "size", "type", "name"}
    assert f["Key"] == f["name"] == f"{bucket}/d/file.txt"
    assert f["type"] == "file"
    assert f["size"] == f["Size"] == len(data)
    assert f["ETag"] == '"' + hashlib.md5(data).hexdigest() + '"'
    assert f["StorageClass"] == "STANDARD"
    assert isinstance(f["LastModified"], datetime) and f["LastModified"].tzinfo is not None
    assert abs((datetime.now(timezone.utc) - f["LastModified"]).total_seconds()) < 24 * 3600
    d = entries[f"{bucket}/d/sub"]
    assert d == {"Key": f"{bucket}/d/sub", "Size": 0, "StorageClass": "DIRECTORY", "size": 0, "type": "directory",
                 "name": f"{bucket}/d/sub"}
    info = s3.info(f"{bucket}/d/file.txt")
    assert info["VersionId"] is None
    assert {k: info[k] for k in f} == {**f, "LastModified": info["LastModified"]}
    assert s3.info(f"{bucket}/d/sub")["type"] == "directory"
    buckets = {e["name"]: e for e in s3.ls("", detail=True)}
    assert buckets[bucket]["type"] == "directory" and buckets[bucket]["StorageClass"] == "BUCKET"


def test_glob_find_du_walk(s3, bucket):
    s3.pipe({f"{bucket}/t/a.csv": b"1", f"{bucket}/t/b.txt": b"22", f"{bucket}/t/s/c.csv": b"333"})
    assert s3.glob(f"{bucket}/t/*.csv") == [f"{bucket}/t/a.csv"]
    assert s3.glob(f"{bucket}/t/**/*.csv") == [f"{bucket}/t/a.csv", f"{bucket}/t/s/c.csv"]
    assert s3.find(f"{bucket}/t") == [f"{bucket}/t/a.csv", f"{bucket}/t/b.txt", f"{bucket}/t/s/c.csv"]
    assert s3.du(f"{bucket}/t") == 6
    assert [d for d, _, _ in s3.walk(f"{bucket}/t")] == [f"{bucket}/t", f"{bucket}/t/s"]


def test_sign_gives_a_url_anyone_can_get(s3, bucket):
    import js
    from pyodide.ffi import run_sync

    secret = "a-secret-moto-accepts-0123456789"
    fs = fsspec.filesystem("s3", skip_instance_cache=True, **{**s3_options(), "secret": secret})
    fs.pipe_file(f"{bucket}/signed", b"signed bytes")
    url = fs.sign(f"{bucket}/signed", expiration=60)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url and secret not in url
    resp = run_sync(js.fetch(url))
    assert resp.status == 200
    assert run_sync(resp.arrayBuffer()).to_bytes() == b"signed bytes"


def test_the_notebook_snippet(bucket):
    opts = s3_options()
    fs = fsspec.filesystem("s3", key=opts["key"], secret=opts["secret"], endpoint_url=opts["endpoint_url"],
                           client_kwargs={"region_name": "eu-west-1"})
    with fsspec.open(f"s3://{bucket}/data/file.csv", "w", **opts) as f:
        f.write("a,b\n1,2\n")
    assert [e["name"] for e in fs.ls(f"{bucket}/data")] == [f"{bucket}/data/file.csv"]
    with fsspec.open(f"s3://{bucket}/data/file.csv", "rb", **opts) as f:
        rows = list(csv.reader(io.TextIOWrapper(f)))
    assert rows == [["a", "b"], ["1", "2"]]
    files = fsspec.open_files(f"s3a://{bucket}/data/*.csv", "rb", **opts)
    assert [of.path for of in files] == [f"{bucket}/data/file.csv"]


def test_put_and_get_local_files(s3, bucket, tmp_path):
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "one").write_bytes(b"1" * 1000)
    s3.put(str(tmp_path / "up"), f"{bucket}/up", recursive=True)
    assert s3.cat_file(f"{bucket}/up/one") == b"1" * 1000
    s3.get(f"{bucket}/up/one", str(tmp_path / "down"))
    assert (tmp_path / "down").read_bytes() == b"1" * 1000


def test_without_a_way_to_block_calls_say_how_to_run(s3, bucket):
    """Python entered synchronously from JS (as from a page's event handler without JSPI):
    run_sync cannot block there, so transport() says so and a call raises the how-to error."""
    import js
    from pyodide.ffi import create_proxy

    seen = {}

    def from_js(*_):
        seen["transport"] = pailfs.transport()
        try:
            s3.ls(bucket)
        except RuntimeError as e:
            seen["error"] = str(e)

    proxy = create_proxy(from_js)
    try:
        js.Array.of(1).forEach(proxy)
    finally:
        proxy.destroy()
    assert seen["transport"] == "unavailable"
    assert seen["error"] == pailfs.HOW_TO_RUN
    assert "JSPI" in seen["error"] and "runPythonAsync" in seen["error"]
    assert pailfs.transport() == "jspi"  # back on the async entry


def test_rm_by_glob_and_by_list_removes_only_what_matches(s3, bucket):
    s3.pipe({f"{bucket}/g/a.csv": b"1", f"{bucket}/g/b.txt": b"2", f"{bucket}/g/s/c.csv": b"3", f"{bucket}/g/s/d.txt": b"4"})
    s3.rm(f"{bucket}/g/*.csv")
    assert s3.find(f"{bucket}/g") == [f"{bucket}/g/b.txt", f"{bucket}/g/s/c.csv", f"{bucket}/g/s/d.txt"]
    s3.rm([f"{bucket}/g/s", f"{bucket}/g/b.txt"], recursive=True)
    assert s3.find(f"{bucket}/g") == []
    with pytest.raises(FileNotFoundError):
        s3.rm(f"{bucket}/g/nothing-*")


def test_mv_touch_modified_checksum(s3, bucket):
    s3.pipe_file(f"{bucket}/m/a", b"move me")
    s3.mv(f"{bucket}/m/a", f"{bucket}/m/b")
    assert not s3.exists(f"{bucket}/m/a") and s3.cat_file(f"{bucket}/m/b") == b"move me"
    s3.touch(f"{bucket}/m/b", truncate=False)
    assert s3.cat_file(f"{bucket}/m/b") == b"move me"
    s3.touch(f"{bucket}/m/b")
    assert s3.cat_file(f"{bucket}/m/b") == b""
    assert s3.modified(f"{bucket}/m/b") == s3.info(f"{bucket}/m/b")["LastModified"]
    with pytest.raises(IsADirectoryError):
        s3.modified(f"{bucket}/m")
    assert s3.checksum(f"{bucket}/m/b") == int(hashlib.md5(b"").hexdigest(), 16)
    s3.makedirs(bucket, exist_ok=True)  # (moto, like AWS in us-east-1, re-creates an own bucket silently)
    s3.makedirs(f"{bucket}/m/deeper", exist_ok=False)  # below a bucket: nothing to create
    assert s3.exists(bucket) and s3.isdir(bucket) and s3.isdir(f"{bucket}/m") and not s3.isdir(f"{bucket}/m/b")


def test_s3fs_aliases_and_refused_modes(bucket):
    opts = s3_options()
    fs = fsspec.filesystem("s3", skip_instance_cache=True, username=opts["key"], password=opts["secret"],
                           endpoint_url=opts["endpoint_url"])
    fs.pipe_file(f"{bucket}/alias", b"via username/password")
    assert fs.cat_file(f"{bucket}/alias") == b"via username/password"
    with pytest.raises(NotImplementedError):
        fs.open(f"{bucket}/alias", "r+b")
    with pytest.raises(NotImplementedError):
        fs.open(f"{bucket}/alias", "wb", autocommit=False)
