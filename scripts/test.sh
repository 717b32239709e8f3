#!/usr/bin/env bash
# The test command: installs what the tests need (Go 1.19 and the CI toolchains of
# scripts/go-versions.txt, Chromium), then runs every test:
# formatting, lints and docs, the Rust test suites (model, port, lockstep, specs, CLI, browser),
# the changes proposed to stateright (upstream/stateright) with every spec,
# the Go recorder's own tests, and fresh traces recorded from real Go 1.19 (classic map) and
# Go 1.24 (Swiss tables) replayed on the ports and on the models.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step's header says when it began, in seconds since the start, so a slow step shows.
stage() { echo "== [${SECONDS} s] $*"; }

scripts/install-go.sh
# The CI toolchains (Go 1.19, the newest with the classic map, the newest): tests/claims_versions.rs
# decides the claims on each, and test-go-versions.sh records with them.
scripts/install-go-versions.sh ci >/dev/null
if [ -x scripts/install-browser.sh ]; then
    scripts/install-browser.sh
fi

stage "cargo fmt --check / clippy / doc"
cargo fmt --all -- --check
cargo clippy --all-targets --workspace -- -D warnings
# The docs of every crate build without a warning: no link to an item that is private or
# does not exist.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

stage "cargo test --profile release-tests --workspace"
mkdir -p target
cargo test --profile release-tests --workspace 2>&1 | tee target/cargo-test.log
# `release-tests` (Cargo.toml) is `release` without its whole-program optimisation, which every
# test binary would otherwise go through. The later steps run the gomap binary this build made
# for the integration tests, as it is. A plain `cargo build --release` would compile the whole
# tree again (about 150 s on the CI machine, before the whole-program optimisation): without
# the dev-dependencies (criterion, loom, shuttle) cargo resolves other features of serde, log,
# smallvec and syn, so every crate above them is built anew.
mkdir -p target/tested
cp target/release-tests/gomap target/tested/gomap
export GOMAP_BIN="$PWD/target/tested/gomap"

stage "the changes proposed to stateright (upstream/stateright): its own tests, and every spec as expected with them"
# --no-shorten: the counts and verdicts are what the changes must keep; shortening every
# counterexample again took about 30 s (tests/cli.rs checks shortening, with the published
# crate).
scripts/stateright-patched.sh --test
target/stateright-patched/build/release/gomap check specs/ -q --no-shorten | tail -n 1

stage "Go recorder tests (tests/go-oracle)"
(cd tests/go-oracle && /usr/lib/go-1.19/bin/go vet ./... && /usr/lib/go-1.19/bin/go test ./...)

stage "Go programs of the seed claims (tests/go-oracle/claims; gomap claims runs them in tests/claims.rs and tests/claims_versions.rs)"
(cd tests/go-oracle/claims && /usr/lib/go-1.19/bin/go vet ./...)
(cd tests/go-oracle/claims && GOTOOLCHAIN=local "$(../../../scripts/go-path.sh 1.25)" vet ./...)

stage "Go toolchains: fresh traces of Go 1.19 and the newest classic-map Go, replayed; sync.Map histories of those and the newest Go (docs/go-versions.md)"
scripts/test-go-versions.sh ci
(cd tests/go-oracle/syncmap-history && /usr/lib/go-1.19/bin/go vet ./...)

stage "fresh Go 1.24 Swiss-table traces, replayed on the Swiss port and on the swiss model"
scripts/install-go-versions.sh 1.24.11
fresh_swiss=target/fresh-swiss
rm -rf "$fresh_swiss"
GO="$(scripts/go-path.sh 1.24.11)" tests/go-oracle-swiss/record.sh "$fresh_swiss" "${GOMAP_FRESH_SWISS_OPS:-50000}" 16
"$GOMAP_BIN" replay "$fresh_swiss"/*.jsonl | tail -n 1
"$GOMAP_BIN" replay --target model "$fresh_swiss"/*.jsonl | tail -n 1

stage "fresh Go 1.19 traces, replayed on the port and on the model"
fresh=target/fresh-traces
rm -rf "$fresh"
tests/go-oracle/record.sh "$fresh" "${GOMAP_FRESH_OPS:-100000}" 20
"$GOMAP_BIN" replay "$fresh"/*.jsonl | tail -n 3
"$GOMAP_BIN" replay --target model "$fresh"/*.jsonl | tail -n 3
echo "fresh traces: all replayed"

# One closing line for the whole run: the Rust tests' totals (every step above also had to
# pass, or `set -e -o pipefail` would have stopped the script with a non-zero exit).
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' \
    target/cargo-test.log
