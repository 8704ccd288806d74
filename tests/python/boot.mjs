// Starts npm Pyodide in Node with the cached wheels and the pailfs wheel unpacked into
// site-packages, and the PAILFS_* environment (server coordinates) in os.environ.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export async function boot(cache, wheel) {
  const { loadPyodide } = await import(pathToFileURL(join(cache, 'node_modules/pyodide/pyodide.mjs')).href);
  const py = await loadPyodide({ indexURL: join(cache, 'node_modules/pyodide') + '/' });
  const site = '/lib/python3.14/site-packages';
  const wheels = readdirSync(join(cache, 'wheels')).filter((f) => f.endsWith('.whl')).map((f) => join(cache, 'wheels', f));
  for (const w of [...wheels, resolve(wheel)]) {
    py.unpackArchive(new Uint8Array(readFileSync(w)), 'wheel', { extractDir: site });
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('PAILFS_')));
  py.globals.set('env', py.toPy(env));
  await py.runPythonAsync('import os, sys; os.environ.update(env); sys.dont_write_bytecode = True');
  return py;
}
