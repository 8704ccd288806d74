// Runs tests/python/ under pytest INSIDE Pyodide (npm pyodide, Node 20, JSPI on), offline: the
// wheels are unpacked from local files and the suites talk to moto on 127.0.0.1.
//   node --experimental-wasm-stack-switching tests/python/run.mjs CACHE PAILFS_WHEEL [pytest args]
// (scripts/pyodide.sh test). Exits with pytest's exit code.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot } from './boot.mjs';

const [cache, wheel, ...pytestArgs] = process.argv.slice(2);
const py = await boot(cache, wheel);
py.FS.mkdirTree('/tests');
py.mountNodeFS('/tests', dirname(fileURLToPath(import.meta.url)));
py.globals.set('pytest_args', py.toPy(pytestArgs));
// Entered through runPythonAsync, so that run_sync can block (JSPI) anywhere below pytest.
const rc = await py.runPythonAsync(`
import pytest
pytest.main(["-p", "no:cacheprovider", "-q", "--rootdir", "/tests", "/tests", *pytest_args])
`);
process.exit(Number(rc));
