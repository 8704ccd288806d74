"""The wheels a JupyterLite kernel loads through Pyodide's lock file, and the lock rewritten to
serve their PyPI copies (whose hashes differ from Pyodide's builds).

    python3 scripts/lite_lock.py needs LOCK              name==version of each, one a line
    python3 scripts/lite_lock.py rewrite LOCK WHEELS OUT [EXTRA.whl...]
        copy them to OUT, write OUT/pyodide-lock.json; each EXTRA wheel (pailfs) joins the lock
        too, so the kernel can load it at start (loadPyodideOptions.packages)
"""

import hashlib
import json
import pathlib
import shutil
import sys

# What pyodide-kernel loads from the lock at start (micropip; ipython and jedi for the kernel),
# and pailfs's dependency.
ROOTS = ["micropip", "ipython", "jedi", "fsspec"]


def closure(lock):
    pkgs, out, todo = lock["packages"], [], list(ROOTS)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in out:
            continue
        out.append(name)
        todo += pkgs[name].get("depends", [])
    return sorted(out)


def wheel_of(wheels, name, version):
    stem = name.replace("-", "_").lower()
    for f in sorted(pathlib.Path(wheels).glob("*.whl")):
        n, v = f.name.split("-")[:2]
        if n.lower().replace("-", "_") == stem and v == version:
            return f
    raise SystemExit(f"no wheel for {name}=={version} in {wheels}: scripts/lite.sh install")


def add(lock, wheel, out):
    """A pure-Python wheel of ours as a lock entry (its dependencies are in the lock already)."""
    import zipfile

    name, version = wheel.name.split("-")[:2]
    with zipfile.ZipFile(wheel) as z:
        meta = z.read(f"{name}-{version}.dist-info/METADATA").decode()
    depends = [line.split(":", 1)[1].strip().split(">")[0].split("=")[0].split("<")[0].strip().lower()
               for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    shutil.copy(wheel, out)
    lock["packages"][name] = {
        "name": name, "version": version, "file_name": wheel.name, "install_dir": "site", "package_type": "package",
        "imports": [name], "depends": depends, "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "unvendored_tests": False, "tool": {},
    }


def main(cmd, lock_path, wheels=None, out=None, *extra):
    lock = json.loads(pathlib.Path(lock_path).read_text())
    names = closure(lock)
    if cmd == "needs":
        for n in names:
            print(f"{n}=={lock['packages'][n]['version']}")
        return
    for n in names:
        entry = lock["packages"][n]
        f = wheel_of(wheels, n, entry["version"])
        shutil.copy(f, out)
        entry["file_name"] = f.name
        entry["sha256"] = hashlib.sha256(f.read_bytes()).hexdigest()
    for w in extra:
        add(lock, pathlib.Path(w), out)
    pathlib.Path(out, "pyodide-lock.json").write_text(json.dumps(lock))


if __name__ == "__main__":
    main(*sys.argv[1:])
