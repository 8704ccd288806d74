// The ListObjectsV2 parse compiled to wasm and timed in Node, as a ratio to the same parse
// native, same page, same machine, same run. Run by `make bench` after `scripts/wasm.sh bench`
// (the Node build with the bench's export, pkg/bench).
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { parseListingBench } = require('../pkg/bench/pailfs.js');
const N = 200;
const run = (...args) => execFileSync('cargo', ['run', '--quiet', '--release', '--example', 'listing_page', '--', ...args], { encoding: 'utf8' });

const file = join(mkdtempSync(join(tmpdir(), 'pailfs-bench-')), 'page.xml');
run(file);
const body = new Uint8Array(readFileSync(file));
parseListingBench(body, 20); // warm up
const t0 = performance.now();
const objects = parseListingBench(body, N);
const wasm = ((performance.now() - t0) * 1000) / N;
const native = Number(run('--time', String(N)).trim());
console.log(`ListObjectsV2 parse, ${objects} keys (${body.length} bytes): wasm in Node ${wasm.toFixed(1)} µs, native ${native.toFixed(1)} µs, wasm/native ${(wasm / native).toFixed(2)}x`);
