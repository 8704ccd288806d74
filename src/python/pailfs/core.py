"""Blocking fsspec file systems over the wasm package's `PailFs` (src/js.rs).

Pyodide has no threads, so these are plain `AbstractFileSystem`s (fsspec's async machinery needs
an IO thread): every call blocks on one Promise of the wasm package (`_js.block`). Paths are
`bucket/key`, as in s3fs; the store (and its retries, timeouts and multipart uploads) is the
same Rust code as the CLI's.
"""

from datetime import datetime

from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

from . import _js
from ._js import py

# fsspec's own instance and listing-cache options: taken by fsspec, never sent to the store.
_FSSPEC_OPTIONS = {"skip_instance_cache", "use_listings_cache", "listings_expiry_time", "max_paths", "asynchronous", "loop"}


def _bytes(u8):
    return u8.to_bytes()


class PailFileSystem(AbstractFileSystem):
    """The file system of one provider: subclasses name the URL scheme and the shape of the
    detail dicts (those of s3fs, gcsfs, adlfs)."""

    scheme = "s3"
    root_marker = ""

    def __init__(self, *args, default_block_size=None, default_cache_type="readahead", username=None, password=None, **storage_options):
        super().__init__(*args, **storage_options)
        opts = {k: v for k, v in storage_options.items() if k not in _FSSPEC_OPTIONS}
        # s3fs's aliases of key and secret.
        if username is not None:
            opts.setdefault("key", username)
        if password is not None:
            opts.setdefault("secret", password)
        self.default_block_size = default_block_size or 5 * 2**20
        self.default_cache_type = default_cache_type
        mod = _js.module()
        try:
            self._fs = mod.PailFs.fromUrl(f"{self.scheme}://", _js.obj(opts))
        except Exception as e:  # a synchronous throw of the constructor: bad options
            raise _js.error(e) from None

    def __repr__(self):
        # storage_options hold secrets: never print them.
        return f"<{type(self).__name__}>"

    # --- the calls -------------------------------------------------------------------------

    def _call(self, verb, *args, create=False):
        return _js.block(lambda: getattr(self._fs, verb)(*args), create=create)

    def _detail(self, e, bucket_level=False):
        """A JS Entry as this provider's fsspec dict (subclasses add their fields)."""
        return {"name": e.name, "size": int(e.size), "type": e.type}

    def ls(self, path, detail=True, **kwargs):
        path = self._strip_protocol(path)
        out = [self._detail(e, bucket_level=not path) for e in self._call("ls", path)]
        return out if detail else [o["name"] for o in out]

    def info(self, path, **kwargs):
        path = self._strip_protocol(path)
        if not path:
            return {"name": "", "size": 0, "type": "directory"}
        return self._detail(self._call("info", path), bucket_level="/" not in path)

    def exists(self, path, **kwargs):
        path = self._strip_protocol(path)
        return True if not path else bool(self._call("exists", path))

    def _list_below(self, path):
        """Every object below `path` (one flat listing, page by page)."""
        pages = self._fs.listPages(path, True, 1000)
        try:
            while True:
                page = _js.block(pages.next)
                if page.done:
                    return
                yield from page.value
        finally:
            pages.free()

    def find(self, path, maxdepth=None, withdirs=False, detail=False, **kwargs):
        # One flat listing (as s3fs does) instead of fsspec's walk, which lists each directory.
        path = self._strip_protocol(path)
        if not path:
            return super().find(path, maxdepth=maxdepth, withdirs=withdirs, detail=detail, **kwargs)
        if maxdepth is not None and maxdepth < 1:
            raise ValueError("maxdepth must be at least 1")
        out = {}
        for e in self._list_below(path):
            d = self._detail(e)
            rel = d["name"][len(path) + 1 :].split("/")
            if rel[-1] == "":  # a "dir/" marker object: a directory, not a file
                rel.pop()
            else:
                if maxdepth is None or len(rel) <= maxdepth:
                    out[d["name"]] = d
                rel.pop()
            if withdirs:
                for i in range(1, len(rel) + 1):
                    if maxdepth is None or i <= maxdepth:
                        name = "/".join([path, *rel[:i]])
                        out.setdefault(name, self._dir(name))
        if withdirs and out:
            out[path] = self._dir(path)
        if not out:
            try:
                info = self.info(path)
            except FileNotFoundError:
                info = None
            if info is not None and info["type"] == "file":
                out[path] = info
        names = sorted(out)
        return {n: out[n] for n in names} if detail else names

    def _dir(self, name):
        return {"name": name, "size": 0, "type": "directory"}

    def cat_file(self, path, start=None, end=None, **kwargs):
        return _bytes(self._call("cat", self._strip_protocol(path), start, end))

    def pipe_file(self, path, value, mode="overwrite", **kwargs):
        if mode not in ("overwrite", "create"):
            raise ValueError(f"pipe_file: mode {mode!r} is neither 'overwrite' nor 'create'")
        from pyodide.ffi import to_js

        data = to_js(bytes(value))
        self._call("put", self._strip_protocol(path), data, _js.obj({"mode": mode}), create=mode == "create")

    def rm_file(self, path):
        self._call("rm", self._strip_protocol(path), False)

    def rm(self, path, recursive=False, maxdepth=None):
        if isinstance(path, str) and maxdepth is None and not _has_magic(path):
            # One call: the package lists and deletes in batches.
            return self._call("rm", self._strip_protocol(path), recursive)
        # Directories are only prefixes: they vanish with their last file, so which paths are
        # files is decided before anything is deleted.
        paths = self.expand_path(path, recursive=recursive, maxdepth=maxdepth)
        for p in [p for p in paths if not self.isdir(p)]:
            self.rm_file(p)

    def cp_file(self, path1, path2, **kwargs):
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        try:
            self._call("cp", path1, path2, False)
        except ValueError:
            # fsspec's recursive copy hands directories to cp_file too: with no empty
            # directories in an object store there is nothing to copy (as memory:// makes one).
            if self.isdir(path1):
                return
            raise

    def mkdir(self, path, create_parents=True, **kwargs):
        # Object stores have no directories below the bucket: this makes sure the bucket exists.
        self._call("mkdir", self._strip_protocol(path))

    def makedirs(self, path, exist_ok=False):
        try:
            self.mkdir(path)
        except FileExistsError:
            if not exist_ok:
                raise

    def touch(self, path, truncate=True, **kwargs):
        if truncate or not self.exists(path):
            self.pipe_file(path, b"")

    def _mtime(self, info):
        return info.get("LastModified")

    def modified(self, path):
        lm = self._mtime(self.info(path))
        if lm is None:
            raise IsADirectoryError(f"{path} is a directory: it has no modification time")
        return lm

    def sign(self, path, expiration=100, **kwargs):
        return self._call("sign", self._strip_protocol(path), float(expiration))

    def _open(self, path, mode="rb", block_size=None, autocommit=True, cache_options=None, **kwargs):
        if not autocommit:
            raise NotImplementedError("pailfs commits every write on close (autocommit=False / transactions are not supported)")
        return PailFile(
            self,
            path,
            mode,
            block_size=block_size or self.default_block_size,
            cache_type=kwargs.pop("cache_type", self.default_cache_type),
            cache_options=cache_options,
            **kwargs,
        )


def _has_magic(path):
    return any(c in path for c in "*?[")


def _time(rfc3339):
    return datetime.fromisoformat(rfc3339) if rfc3339 else None


class S3FileSystem(PailFileSystem):
    """S3 and S3-compatible stores, with s3fs's options and detail dicts."""

    protocol = ("s3", "s3a")
    scheme = "s3"

    def _dir(self, name):
        return {"Key": name, "Size": 0, "StorageClass": "DIRECTORY", "size": 0, "type": "directory", "name": name}

    def _detail(self, e, bucket_level=False):
        name = e.name
        if e.type == "directory":
            return {"Key": name, "Size": 0, "StorageClass": "BUCKET" if bucket_level else "DIRECTORY", "size": 0, "type": "directory", "name": name}
        size, etag = int(e.size), py(e.etag)
        return {
            "Key": name,
            "LastModified": _time(py(e.lastModified)),
            # botocore (and so s3fs) keep the quotes of the ETag header.
            "ETag": f'"{etag}"' if etag else None,
            "Size": size,
            "StorageClass": py(e.storageClass) or "STANDARD",
            **({"VersionId": py(e.version)} if py(e.version) else {}),
            "size": size,
            "type": "file",
            "name": name,
        }

    def info(self, path, **kwargs):
        out = super().info(path, **kwargs)
        if out["type"] == "file":
            out.setdefault("VersionId", None)  # s3fs's info has it (None unless versioned)
        return out

    def checksum(self, path):
        # s3fs's: the ETag's hex digits (of the whole object, or before a multipart "-N").
        info = self.info(path)
        if info["type"] == "directory":
            return super().checksum(path)
        return int(info["ETag"].strip('"').split("-")[0], 16)


class GCSFileSystem(PailFileSystem):
    """Google Cloud Storage, with gcsfs's options (token, project, endpoint_url)."""

    protocol = ("gs", "gcs")
    scheme = "gs"

    def _mtime(self, info):
        return _time(info.get("updated"))

    def _detail(self, e, bucket_level=False):
        out = {"name": e.name, "size": int(e.size), "type": e.type}
        if e.type == "file":
            out.update({"etag": py(e.etag), "updated": py(e.lastModified), "storageClass": py(e.storageClass), "generation": py(e.version)})
        return out


class AzureBlobFileSystem(PailFileSystem):
    """Azure Blob Storage, with adlfs's options (account_name, account_key, sas_token,
    connection_string, anon) and a custom endpoint (endpoint_url, e.g. Azurite's)."""

    protocol = ("abfs", "abfss", "az")
    scheme = "az"

    def _mtime(self, info):
        return info.get("last_modified")

    def _detail(self, e, bucket_level=False):
        out = {"name": e.name, "size": int(e.size), "type": e.type}
        if e.type == "file":
            etag = py(e.etag)
            out.update({
                "last_modified": _time(py(e.lastModified)),
                # adlfs hands Azure's ETag on with its quotes, as the service sends it.
                "etag": f'"{etag}"' if etag else None,
                "content_settings": {"content_type": py(e.contentType)},
                "metadata": e.metadata.to_py() if py(e.metadata) is not None else {},
            })
        return out


class PailFile(AbstractBufferedFile):
    """A file object: reads are ranged GETs (fsspec's cache over the wasm package's reader, which
    pins the version found at open: a replaced object is an error, not a mix); writes go to one
    writer of the wasm package, which sends a single PUT or a multipart upload by size.

    An exception inside `with fs.open(p, "wb")` aborts the upload: no partial object is left
    (fsspec's default would commit what was written).
    """

    def __init__(self, fs, path, mode="rb", **kwargs):
        path = fs._strip_protocol(path)
        self._writer = self._reader = None
        if mode == "xb" and fs.exists(path):
            # Checked again at commit (If-None-Match), so a racing writer still loses cleanly.
            raise FileExistsError(f"{path} exists (mode 'xb' creates only)")
        if mode == "rb":
            # One HEAD: the reader's size and ETag, every range checked against that version.
            try:
                self._reader = fs._call("openRead", path)
            except FileNotFoundError:
                if fs.isdir(path):
                    raise IsADirectoryError(f"{path} is a directory") from None
                raise
            details = fs._detail(self._reader.entry)
            kwargs["size"] = details["size"]
            self._details = details
        super().__init__(fs, path, mode, **kwargs)

    def _fetch_range(self, start, end):
        if start >= end:
            return b""
        return _js.block(lambda: self._reader.read(start, end - start)).to_bytes()

    def _initiate_upload(self):
        opts = _js.obj({"mode": "create" if self.mode == "xb" else "overwrite"})
        self._writer = self.fs._call("openWrite", self.path, opts)
        if self.mode == "ab":
            self._append_existing()

    def _append_existing(self):
        """Append on an object store is a rewrite: the existing bytes go into the new upload
        first (block by block, so it is never held whole). The object is replaced on close."""
        try:
            size = self.fs.info(self.path)["size"]
        except FileNotFoundError:
            return
        for start in range(0, size, self.blocksize):
            self._send(self.fs.cat_file(self.path, start, min(start + self.blocksize, size)))

    def _send(self, data):
        from pyodide.ffi import to_js

        try:
            _js.block(lambda: self._writer.write(to_js(data)))
        except BaseException:
            self._abort()
            raise

    def _upload_chunk(self, final=False):
        self.buffer.seek(0)
        data = self.buffer.read()
        if data:
            self._send(data)
        if final:
            try:
                _js.block(self._writer.close, create=self.mode == "xb")
            except BaseException:
                self._abort()
                raise
        return True

    def _abort(self):
        """Discard the upload (a failed or abandoned write): nothing is committed, and the file
        is closed, so a later write or close cannot commit part of it."""
        self.closed = True
        w, self._writer = self._writer, None
        if w is not None:
            try:
                _js.block(w.abort)
            except Exception:
                pass  # the failure being raised matters more; the package queued the abort
            w.free()

    def discard(self):
        self._abort()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and self.mode != "rb" and not self.closed:
            self._abort()
            return None
        return super().__exit__(exc_type, exc, tb)

    def close(self):
        super().close()
        for handle in (self._writer, self._reader):
            if handle is not None:
                handle.free()
        self._writer = self._reader = None
