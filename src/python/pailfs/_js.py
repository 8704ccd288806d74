"""The bridge to the wasm package: loading it into Pyodide, blocking on its Promises, and turning
its errors into the Python exceptions fsspec users catch.

The wasm package (pkg/web, shipped as pailfs/_wasm/) is an ES module. Pyodide has no module
loader of its own for it, so it is imported as a data: URL (which works in browsers and in
Node alike) with its inline snippets, imported by relative path, rewritten into data: URLs too.
The wasm bytes are read from the package and instantiated synchronously (`initSync`).
"""

import base64
import pathlib
import re
import sys

IN_PYODIDE = sys.platform == "emscripten"

HOW_TO_RUN = (
    "pailfs needs to wait for the network, and this runtime gives it no way to: run it where "
    "JavaScript Promise Integration (JSPI) is available - Chromium 137 or later, Node 25 or later, "
    "or Node 20+ started with --experimental-wasm-stack-switching - with the Python code entered "
    "through an async entry point (pyodide.runPythonAsync, as JupyterLite and the Pyodide REPL do). "
    "The synchronous-XMLHttpRequest path for web workers is not built yet."
)

_module = None


def transport():
    """How blocking calls reach the network here: "jspi" (pyodide.ffi.run_sync over the wasm
    package's fetch transport) or "unavailable" (calls raise RuntimeError saying how to run)."""
    if not IN_PYODIDE:
        return "unavailable"
    from pyodide.ffi import can_run_sync

    return "jspi" if can_run_sync() else "unavailable"


def _data_url(text):
    return "data:text/javascript;base64," + base64.b64encode(text.encode()).decode()


def module():
    """The wasm package's exports, loaded on first use."""
    global _module
    if _module is not None:
        return _module
    if not IN_PYODIDE:
        raise RuntimeError("pailfs's Python package runs in Pyodide (wasm32-emscripten); natively, use the pailfs CLI or Rust crate")
    import js
    from pyodide.code import run_js
    from pyodide.ffi import to_js

    here = pathlib.Path(__file__).parent / "_wasm"
    glue = (here / "pailfs.js").read_text()
    # Only the `from` clauses: the same path also names the snippet in the wasm import object.
    glue = re.sub(
        r"""from\s*(['"])(\./snippets/[^'"]+)\1""",
        lambda m: 'from "' + _data_url((here / m.group(2)).read_text()) + '"',
        glue,
    )
    importer = run_js("(url) => import(url)")
    mod = block(lambda: importer(_data_url(glue)))
    wasm = to_js((here / "pailfs_bg.wasm").read_bytes())
    mod.initSync(obj({"module": wasm}))
    _module = mod
    return mod


def obj(d):
    """A dict as a plain JS object (nested dicts too)."""
    import js
    from pyodide.ffi import to_js

    return to_js(d, dict_converter=js.Object.fromEntries)


def py(v):
    """A JS value of an Entry field as Python: null and undefined are None."""
    if v is None:
        return None
    from pyodide.ffi import jsnull

    return None if v is jsnull else v


def block(call, create=False):
    """Start a call of the wasm package (`call()` returns its Promise) and wait for it; a
    rejection raises the mapped exception (see `error` for `create`). Without a way to block,
    the call is not started at all."""
    if transport() != "jspi":
        raise RuntimeError(HOW_TO_RUN)
    from pyodide.ffi import JsException, run_sync

    try:
        return run_sync(call())
    except JsException as e:
        raise error(e, create) from None


# The JS error's `kind` (core::error::ErrorKind names) → the exception fsspec users catch.
_KINDS = {
    "NotFound": FileNotFoundError,
    "AlreadyExists": FileExistsError,
    "PermissionDenied": PermissionError,
    "InvalidInput": ValueError,
    "NotSupported": NotImplementedError,
    "Timeout": TimeoutError,
    "Io": ConnectionError,
}


def kind_of(e):
    """The `kind` of a wasm package error (None for other JS errors)."""
    err = getattr(e, "js_error", e)
    try:
        k = err.kind
    except AttributeError:
        return None
    return k if isinstance(k, str) else None


def error(e, create=False):
    """The Python exception for a rejected call. The message is the package's own (which
    carries the provider's code and never a secret); `create` makes a failed precondition of a
    create-only write a FileExistsError."""
    err = getattr(e, "js_error", e)
    kind = kind_of(e)
    message = str(getattr(err, "message", None) or e)
    code = getattr(err, "code", None)
    if isinstance(code, str) and code and code not in message:
        message = f"{message} ({code})"
    if kind == "PreconditionFailed" and create:
        return FileExistsError(message)
    cls = _KINDS.get(kind, OSError)
    out = cls(message)
    out.kind = kind
    out.code = code if isinstance(code, str) else None
    return out
