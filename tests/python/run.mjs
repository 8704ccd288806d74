// Runs tests/python/ under pytest INSIDE Pyodide (npm pyodide, Node 20, JSPI on), offline: the
// wheels are unpacked from local files and the suites talk to moto on 127.0.0.1.
//   node --experimental-wasm-stack-switching tests/python/run.mjs CACHE PAILFS_WHEEL [pytest args]
// (scripts/pyodide.sh test). Exits with pytest's exit code.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [cache, wheel, ...pytestArgs] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const { loadPyodide } = await import(pathToFileURL(join(cache, 'node_modules/pyodide/pyodide.mjs')).href);
const py = await loadPyodide({ indexURL: join(cache, 'node_modules/pyodide') + '/' });

const site = '/lib/python3.14/site-packages';
const wheels = readdirSync(join(cache, 'wheels')).filter((f) => f.endsWith('.whl')).map((f) => join(cache, 'wheels', f));
for (const w of [...wheels, resolve(wheel)]) {
  py.unpackArchive(new Uint8Array(readFileSync(w)), 'wheel', { extractDir: site });
}
py.FS.mkdirTree('/tests');
py.mountNodeFS('/tests', here);

// The servers' coordinates (never secrets of a real account: moto's dummy keys).
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('PAILFS_')));
py.globals.set('env', py.toPy(env));
py.globals.set('pytest_args', py.toPy(pytestArgs));
const rc = await py.runPythonAsync(`
import os, sys
os.environ.update(env)
sys.dont_write_bytecode = True
import pytest
pytest.main(["-p", "no:cacheprovider", "-q", "--rootdir", "/tests", "/tests", *pytest_args])
`);
process.exit(Number(rc));
