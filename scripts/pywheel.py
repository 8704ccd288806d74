"""Build the pure-Python pailfs wheel: the package from src/python, the wasm package (pkg/web)
as pailfs/_wasm/, the metadata from pkg-config/pyproject.toml. No build backend is needed
(none can be fetched offline), and the output is byte-for-byte repeatable (fixed timestamps).

    python3 scripts/pywheel.py PYPROJECT PKGSRC WASMDIR OUTDIR
"""

import base64
import hashlib
import pathlib
import sys
import tomllib
import zipfile

EPOCH = (1980, 1, 1, 0, 0, 0)


def main(pyproject, src, wasm, out):
    meta = tomllib.loads(pathlib.Path(pyproject).read_text())["project"]
    name, version = meta["name"], meta["version"]
    files = []  # (path in wheel, bytes)
    for f in sorted(pathlib.Path(src, name).rglob("*.py")):
        files.append((f.relative_to(src).as_posix(), f.read_bytes()))
    for f in sorted(pathlib.Path(wasm).rglob("*")):
        if f.is_file() and f.suffix in (".js", ".wasm"):
            files.append((f"{name}/_wasm/{f.relative_to(wasm).as_posix()}", f.read_bytes()))
    dist = f"{name}-{version}.dist-info"
    lines = ["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}", f"Summary: {meta['description']}",
             f"License-Expression: {meta['license']}", f"Requires-Python: {meta['requires-python']}"]
    lines += [f"Requires-Dist: {d}" for d in meta.get("dependencies", [])]
    files.append((f"{dist}/METADATA", ("\n".join(lines) + "\n").encode()))
    wheel = "Wheel-Version: 1.0\nGenerator: pailfs scripts/pywheel.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files.append((f"{dist}/WHEEL", wheel.encode()))
    record = []
    for path, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files.append((f"{dist}/RECORD", ("\n".join(record) + "\n").encode()))
    pathlib.Path(out).mkdir(parents=True, exist_ok=True)
    target = pathlib.Path(out, f"{name}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files:
            z.writestr(zipfile.ZipInfo(path, EPOCH), data, zipfile.ZIP_DEFLATED)
    print(f"[pyodide] {target}: {target.stat().st_size} B, {len(files)} files", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
