#!/usr/bin/env bash
# test-go-versions.sh [ci|all]: the per-Go-version part of the tests. `ci` (the default)
# records and replays Go 1.19 and the newest toolchain that still has the classic map, and
# checks sync.Map histories on those and on the newest toolchain (the lines marked ci in
# scripts/go-versions.txt) with fewer ops than the full run;
# `all` is scripts/test-all-go.sh with its defaults. Sizes: GOMAP_VERSIONS_OPS (ops per
# version, default 20000 for ci) and GOMAP_VERSIONS_TRACES (default 6 for ci).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-ci}" in
ci) exec scripts/test-all-go.sh ci "${GOMAP_VERSIONS_OPS:-20000}" "${GOMAP_VERSIONS_TRACES:-6}" ;;
all) exec scripts/test-all-go.sh all "${GOMAP_VERSIONS_OPS:-50000}" "${GOMAP_VERSIONS_TRACES:-10}" ;;
*)
    echo "usage: $0 [ci|all]" >&2
    exit 2
    ;;
esac
