#!/usr/bin/env bash
# Builds gomap against stateright 0.31.0 with the changes proposed upstream
# (upstream/stateright/*.patch, see its README.md), next to the normal build:
#
#   scripts/stateright-patched.sh           # the binary: target/stateright-patched/build/release/gomap
#   scripts/stateright-patched.sh --test    # also stateright's own tests, with the changes, and
#                                           # gomap-model's tests of its overrides against them
#
# The published crate is copied from cargo's registry into target/stateright-patched/stateright,
# the patches are applied to the copy, and gomap is built with a `[patch.crates-io]` given on
# the command line, in its own target folder, with the cargo feature `stateright-patched`
# (the models' overrides of the Model methods that patches 0011 and 0012 add). Nothing in
# the repository changes (Cargo.lock is put back as it was).
set -euo pipefail
cd "$(dirname "$0")/.."

run_tests=0
for arg in "$@"; do
    case "$arg" in
    --test) run_tests=1 ;;
    *)
        echo "usage: $0 [--test]" >&2
        exit 2
        ;;
    esac
done

out=target/stateright-patched
mkdir -p "$out"
cargo fetch --locked -q
manifest=$(cargo metadata --format-version 1 --locked |
    grep -o '"manifest_path":"[^"]*/stateright-0\.31\.0/Cargo\.toml"' | head -n 1 |
    sed 's/^"manifest_path":"//; s/"$//')
if [ -z "$manifest" ] || [ ! -f "$manifest" ]; then
    echo "$0: stateright 0.31.0's source is not in cargo's registry (cargo fetch failed?)" >&2
    exit 1
fi
rm -rf "$out/stateright"
cp -r "$(dirname "$manifest")" "$out/stateright"
for p in upstream/stateright/*.patch; do
    if ! git apply --directory="$out/stateright" "$p"; then
        echo "$0: $p does not apply to stateright 0.31.0" >&2
        exit 1
    fi
    echo "applied $p"
done
# Its own workspace: the copy lies inside this repository's folder.
printf '\n[workspace]\n' >>"$out/stateright/Cargo.toml"

if [ "$run_tests" = 1 ]; then
    echo "== stateright's own tests, with the changes"
    if ! cargo test --release --lib --manifest-path "$out/stateright/Cargo.toml" \
        --target-dir "$out/stateright-target" >"$out/stateright-test.log" 2>&1; then
        tail -n 40 "$out/stateright-test.log" >&2
        echo "$0: stateright's tests failed with the changes ($out/stateright-test.log)" >&2
        exit 1
    fi
    grep -E '^test result:' "$out/stateright-test.log"
fi

cp Cargo.lock "$out/Cargo.lock.published"
trap 'cp "$out/Cargo.lock.published" Cargo.lock' EXIT
# stateright's own warnings (shown for a path dependency) go to the log.
if ! cargo build --release --bin gomap --features stateright-patched \
    --config "patch.crates-io.stateright.path=\"$out/stateright\"" \
    --target-dir "$out/build" >"$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log" >&2
    echo "$0: the build against the patched stateright failed ($out/build.log)" >&2
    exit 1
fi
echo "built $out/build/release/gomap (stateright 0.31.0 with upstream/stateright/*.patch)"

if [ "$run_tests" = 1 ]; then
    # The models' overrides of the methods the patches add (compiled only with the feature):
    # the packed breadth-first states (patches 0012, 0018 and 0019), the state budget's
    # properties (patch 0019), the hmap and unsync models' in-place successors (patches 0011
    # and 0013) and the unsync model's representative fingerprints (patch 0016), against the
    # patched crate.
    echo "== gomap-model's tests of its overrides, against the patched stateright"
    if ! cargo test --profile release-tests -p gomap-model --features stateright-patched --lib \
        --config "patch.crates-io.stateright.path=\"$out/stateright\"" \
        --target-dir "$out/build" -- packed_states a_successor_computed_in_place \
        representative_fingerprint properties_evaluated_together \
        >"$out/model-test.log" 2>&1; then
        tail -n 40 "$out/model-test.log" >&2
        echo "$0: gomap-model's tests failed against the patched stateright ($out/model-test.log)" >&2
        exit 1
    fi
    grep -E '^test |^test result:' "$out/model-test.log"
fi
