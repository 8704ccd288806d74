# The commands a new user runs. Each installs what it needs.
.PHONY: test demo wasm-check servers-start servers-stop clippy fuzz-smoke

test:
	scripts/test.sh

demo:
	scripts/demo.sh

wasm-check:
	scripts/wasm.sh install
	scripts/wasm.sh check

clippy:
	cargo clippy --all-targets -- -D warnings

fuzz-smoke:
	scripts/fuzz.sh install
	scripts/fuzz.sh smoke
