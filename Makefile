# The commands a new user runs. Each installs what it needs.
.PHONY: test demo wasm wasm-check clippy fuzz-smoke

test:
	scripts/test.sh

demo:
	scripts/demo.sh

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
