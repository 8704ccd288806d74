// Boots Pyodide (served from the npm package) on this page, or in a module worker when
// ?where=worker, installs the wheels the test server lists, and runs check.py with
// runPythonAsync. The result goes to window.pailfsResult.
const q = new URLSearchParams(location.search);

export async function run(q) {
  const { loadPyodide } = await import('/pyodide/pyodide.mjs');
  const py = await loadPyodide({ indexURL: '/pyodide/' });
  for (const w of await (await fetch('/wheels/')).json()) {
    const buf = await (await fetch(`/wheels/${w}`)).arrayBuffer();
    py.unpackArchive(new Uint8Array(buf), 'wheel', { extractDir: '/lib/python3.14/site-packages' });
  }
  py.FS.writeFile('/home/pyodide/check.py', await (await fetch('/tests/python/browser/check.py')).text());
  // A synchronous entry first: nothing can block there, and pailfs says so.
  const sync = py.runPython('import pailfs; pailfs.transport()');
  py.globals.set('args', py.toPy([q.get('endpoint'), q.get('key'), q.get('secret')]));
  const steps = await py.runPythonAsync('import sys; sys.path.insert(0, "/home/pyodide"); import check; check.main(*args)');
  return { ok: true, sync, steps: steps.toJs() };
}

if (typeof window !== 'undefined') {
  const report = (r) => { window.pailfsResult = r; };
  const fail = (e) => report({ ok: false, error: String(e?.stack ?? e) });
  if (q.get('where') === 'worker') {
    const w = new Worker(new URL(import.meta.url), { type: 'module' });
    w.onmessage = (m) => report(m.data);
    w.onerror = (e) => fail(e.message);
    w.postMessage(Object.fromEntries(q));
  } else {
    run(q).then(report, fail);
  }
} else {
  self.onmessage = (m) => run(new URLSearchParams(m.data)).then(
    (r) => self.postMessage(r),
    (e) => self.postMessage({ ok: false, error: String(e?.stack ?? e) }),
  );
}
