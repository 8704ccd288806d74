# The commands a new user runs. Each installs what it needs.
.PHONY: test demo lite wasm wasm-check clippy fuzz-smoke bench bench-e2e bench-explorer

test:
	scripts/test.sh

demo:
	scripts/demo.sh

# A JupyterLite site with pailfs preinstalled and a demo notebook, in target/lite (serve it over http).
lite:
	scripts/wasm.sh install
	scripts/wasm.sh build
	scripts/pyodide.sh install
	scripts/pyodide.sh build
	scripts/lite.sh install
	scripts/lite.sh build

wasm:
	scripts/wasm.sh install
	scripts/wasm.sh build

wasm-check:
	scripts/wasm.sh install
	scripts/wasm.sh check

clippy:
	cargo clippy --all-targets -- -D warnings

fuzz-smoke:
	scripts/fuzz.sh install
	scripts/fuzz.sh smoke

# Criterion benches against the peers, then the wasm parse in Node against native (BENCHMARKS.md).
bench:
	scripts/wasm.sh install
	scripts/wasm.sh bench
	cargo bench --bench sign -- --warm-up-time 2 --measurement-time 5
	cargo bench --bench list_parse -- --warm-up-time 2 --measurement-time 5
	node benches/wasm_parse.mjs

# End to end against s3s-fs: pailfs vs object_store vs s3fs, wall and client CPU (BENCHMARKS.md).
# Long (the full sizes take about half an hour); E2E_* settings in scripts/bench_e2e.py.
bench-e2e:
	scripts/bench-e2e.sh

# The explorer against a page that lists with the AWS SDK for JavaScript (100,000 keys, moto,
# headless Chromium): first rows, scrolling, heap, DOM size (BENCHMARKS.md). About 15 minutes.
bench-explorer:
	scripts/bench-explorer.sh
