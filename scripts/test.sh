#!/usr/bin/env bash
# The test command: installs what the tests need (Go 1.19 and the CI toolchains of
# scripts/go-versions.txt, Chromium), then runs every test:
# formatting and lints, the Rust test suites (model, port, lockstep, specs, CLI, browser),
# the changes proposed to stateright (upstream/stateright) with every spec,
# the Go recorder's own tests, and fresh traces recorded from real Go 1.19 (classic map) and
# Go 1.24 (Swiss tables) replayed on the ports and on the models.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-go.sh
# The CI toolchains (Go 1.19, the newest with the classic map, the newest): tests/claims_versions.rs
# decides the claims on each, and test-go-versions.sh records with them.
scripts/install-go-versions.sh ci >/dev/null
if [ -x scripts/install-browser.sh ]; then
    scripts/install-browser.sh
fi

echo "== cargo fmt --check / clippy"
cargo fmt --all -- --check
cargo clippy --all-targets --workspace -- -D warnings

echo "== cargo test --release --workspace"
mkdir -p target
cargo test --release --workspace 2>&1 | tee target/cargo-test.log

echo "== the changes proposed to stateright (upstream/stateright): its own tests, and every spec as expected with them"
scripts/stateright-patched.sh --test
target/stateright-patched/build/release/gomap check specs/ -q | tail -n 1

echo "== Go recorder tests (tests/go-oracle)"
(cd tests/go-oracle && /usr/lib/go-1.19/bin/go vet ./... && /usr/lib/go-1.19/bin/go test ./...)

echo "== Go programs of the seed claims (tests/go-oracle/claims; gomap claims runs them in tests/claims.rs and tests/claims_versions.rs)"
(cd tests/go-oracle/claims && /usr/lib/go-1.19/bin/go vet ./...)
(cd tests/go-oracle/claims && GOTOOLCHAIN=local "$(../../../scripts/go-path.sh 1.25)" vet ./...)

echo "== Go toolchains: fresh traces of Go 1.19 and the newest classic-map Go, replayed; sync.Map histories of those and the newest Go (docs/go-versions.md)"
scripts/test-go-versions.sh ci
(cd tests/go-oracle/syncmap-history && /usr/lib/go-1.19/bin/go vet ./...)

echo "== fresh Go 1.24 Swiss-table traces, replayed on the Swiss port and on the swiss model"
scripts/install-go-versions.sh 1.24.11
fresh_swiss=target/fresh-swiss
rm -rf "$fresh_swiss"
GO="$(scripts/go-path.sh 1.24.11)" tests/go-oracle-swiss/record.sh "$fresh_swiss" "${GOMAP_FRESH_SWISS_OPS:-50000}" 16
cargo build --release -q
./target/release/gomap replay "$fresh_swiss"/*.jsonl | tail -n 1
./target/release/gomap replay --target model "$fresh_swiss"/*.jsonl | tail -n 1

echo "== fresh Go 1.19 traces, replayed on the port and on the model"
fresh=target/fresh-traces
rm -rf "$fresh"
tests/go-oracle/record.sh "$fresh" "${GOMAP_FRESH_OPS:-100000}" 20
cargo build --release -q
./target/release/gomap replay "$fresh"/*.jsonl | tail -n 3
./target/release/gomap replay --target model "$fresh"/*.jsonl | tail -n 3
echo "fresh traces: all replayed"

# One closing line for the whole run: the Rust tests' totals (every step above also had to
# pass, or `set -e -o pipefail` would have stopped the script with a non-zero exit).
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' \
    target/cargo-test.log
