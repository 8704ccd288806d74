"""Run by tests/python/browser.test.mjs inside Pyodide in headless Chromium (a page, then a web
worker), entered with runPythonAsync: the JSPI path through fsspec against s3s-fs behind the CORS
proxy. Returns what it checked; any failed assert rejects the run."""

import hashlib
import os
import uuid

import fsspec

import pailfs


def main(endpoint, key, secret):
    steps = []
    assert pailfs.transport() == "jspi", pailfs.transport()
    steps.append("transport jspi")
    opts = {"key": key, "secret": secret, "endpoint_url": endpoint, "quirks": "s3s-fs"}
    fs = fsspec.filesystem("s3", **opts)
    bucket = f"pailfs-chromium-{uuid.uuid4().hex[:8]}"
    fs.mkdir(bucket)
    try:
        data = hashlib.sha256(b"page").digest() * 200_000  # 6.4 MB: a multipart upload of two parts
        with fsspec.open(f"s3://{bucket}/dir/big.bin", "wb", part_size=5 * 2**20, **opts) as f:
            f.write(data)
        info = fs.info(f"{bucket}/dir/big.bin")
        assert info["size"] == len(data)
        assert info["ETag"].strip('"').endswith("-2"), info["ETag"]  # a multipart object's ETag
        with fsspec.open(f"s3://{bucket}/dir/big.bin", "rb", **opts) as f:
            f.seek(5_000_000)
            assert f.read(100) == data[5_000_000:5_000_100]
        assert fs.cat_file(f"{bucket}/dir/big.bin", -10) == data[-10:]
        steps.append("multipart write, ranged reads")
        names = [e["name"] for e in fs.ls(f"{bucket}/dir")]
        assert names == [f"{bucket}/dir/big.bin"], names
        steps.append("ls")
        try:
            fs.open(f"{bucket}/dir/big.bin", "xb")
            raise AssertionError("xb on an existing file opened")
        except FileExistsError:
            steps.append("xb refused")
        try:
            fs.cat_file(f"{bucket}/missing")
            raise AssertionError("a missing file was read")
        except FileNotFoundError:
            steps.append("FileNotFoundError")
        # s3s-fs checks signatures (moto does not): a wrong secret is refused.
        wrong = "wrong-secret-never-printed-42"
        bad = fsspec.filesystem("s3", skip_instance_cache=True, **{**opts, "secret": wrong})
        try:
            bad.cat_file(f"{bucket}/dir/big.bin", 0, 10)
            raise AssertionError("a wrong secret was accepted")
        except PermissionError as e:
            assert "SignatureDoesNotMatch" in str(e) and wrong not in str(e), str(e)
            steps.append("PermissionError")
    finally:
        fs.rm(bucket, recursive=True)
    return steps
