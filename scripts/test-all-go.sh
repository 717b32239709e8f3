#!/usr/bin/env bash
# test-all-go.sh [all|ci] [OPS_PER_VERSION] [NTRACES]: for every Go toolchain of
# scripts/go-versions.txt (all, or the CI ones: Go 1.19, the newest toolchain and the newest with the classic
# map), records fresh traces with real Go and replays them on the port and on the model,
# then prints a table: Go version x (port, model) x traces.
#
# Per classic-map version: NTRACES (default 10) "standard" traces (tests/go-oracle/record.sh,
# OPS_PER_VERSION ops in total, default 50000) replayed on the port and on the model, and
# NTRACES/2 "clear" traces (clear(m) with iterators open; OPS_PER_VERSION/4 ops) replayed
# on the port and on the model. Go 1.24 and 1.25 are built with
# GOEXPERIMENT=noswissmap. For Swiss-table-only versions the table says whether
# GOEXPERIMENT=noswissmap is accepted at all. Every version also records 200 sync.Map
# histories (tests/go-oracle/syncmap-history) and checks them for linearizability with
# `gomap syncmap-history`. With `all`, it then decides every claim on every toolchain
# (`gomap claims --go all --markdown`) and compares the table with the committed
# docs/claims-by-version.md. Exits non-zero if any replay, recording, history or claim
# check fails.
# Traces are kept under target/go-versions/<version>/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/go-versions.sh

sel="${1:-all}"
ops="${2:-50000}"
n="${3:-10}"
nclear=$(( n / 2 > 0 ? n / 2 : 1 ))
mapfile -t versions < <(go_versions "$sel")
[ ${#versions[@]} -gt 0 ] || { echo "test-all-go.sh: '$sel' selects no toolchain" >&2; exit 2; }

scripts/install-go-versions.sh "${versions[@]}" >/dev/null
# GOMAP_BIN: a gomap binary already built from this tree (scripts/test.sh passes the one its
# `cargo test` built); else this script builds one.
if [ -n "${GOMAP_BIN:-}" ]; then
    gomap=$GOMAP_BIN
    [ -x "$gomap" ] || { echo "test-all-go.sh: GOMAP_BIN=$gomap is not an executable" >&2; exit 2; }
else
    nice -n 10 cargo build --release -q
    gomap=./target/release/gomap
fi
export GOTOOLCHAIN=local
out=target/go-versions
failed=0
rows=()
t0=$SECONDS

# replay TARGET FILES...: prints "passed/total ops", returns non-zero on any failure.
replay() {
    local target=$1 log
    shift
    log="$(mktemp)"
    local rc=0
    "$gomap" replay --target "$target" "$@" >"$log" 2>&1 || rc=$?
    local ok total nops
    ok=$(grep -c ': ok:' "$log" || true)
    total=$#
    nops=$(grep -o 'ok: [0-9]* ops' "$log" | awk '{s += $2} END {print s + 0}')
    grep -v ': ok:' "$log" | grep -v '^replayed\|^error:' | sed "s/^/  $target: /" >&2 || true
    rm -f "$log"
    echo "$ok/$total ($nops ops)"
    return $rc
}

# syncmap_histories VERSION GO: records sync.Map histories (tests/go-oracle/syncmap-history),
# checks them with the linearizability checker (gomap syncmap-history) and prints how many
# passed, or "failed".
syncmap_histories() {
    local f="$out/$1/syncmap-histories.jsonl"
    mkdir -p "$out/$1"
    if ! (cd tests/go-oracle/syncmap-history && "$2" run . -histories 200 -out "$OLDPWD/$f" >/dev/null 2>&1); then
        echo "recording failed"
        return 1
    fi
    local n=$(($(wc -l <"$f") - 1))
    if "$gomap" syncmap-history "$f" >"$out/$1/syncmap-check.txt" 2>&1; then
        echo "$n/$n linearizable"
    else
        sed "s/^/  syncmap-history $1: /" "$out/$1/syncmap-check.txt" >&2
        echo "NOT linearizable (see $out/$1/syncmap-check.txt)"
        return 1
    fi
}

for v in "${versions[@]}"; do
    go="$(go_bin "$v")"
    kind="$(go_field "$v" map)"
    ts=$SECONDS
    hist="$(syncmap_histories "$v" "$go")" || failed=1
    if [ "$kind" = swiss ]; then
        # Does this toolchain still build the classic map?
        log="$(mktemp)"
        if (cd tests/go-oracle && GOEXPERIMENT=noswissmap "$go" build -o "$log.bin" . >"$log" 2>&1); then
            if "$log.bin" -ops 10 -out - >/dev/null 2>>"$log"; then
                note="noswissmap accepted, classic map: add it to go-versions.txt as noswissmap"
                failed=1
            else
                note="noswissmap builds, but no classic map at run time"
            fi
        else
            note="GOEXPERIMENT=noswissmap refused: $(grep -m1 . "$log")"
        fi
        rm -f "$log" "$log.bin"
        rows+=("| $v | Swiss tables only | - | - | - | - | $hist | - | $note |")
        continue
    fi
    exp=""
    [ "$kind" = noswissmap ] && exp=noswissmap
    dir="$out/$v"
    rm -rf "$dir"
    mkdir -p "$dir/standard" "$dir/clear"
    echo "== Go $v${exp:+ (GOEXPERIMENT=$exp)}: recording" >&2
    # A recording that fails (the recorder's own checks) fails the run but not the other
    # versions' checks.
    if ! GO="$go" GOEXPERIMENT="$exp" tests/go-oracle/record.sh "$dir/standard" "$ops" "$n" >/dev/null ||
        ! GO="$go" GOEXPERIMENT="$exp" RECORD_SET=clear tests/go-oracle/record.sh "$dir/clear" "$(( ops / 4 ))" "$nclear" >/dev/null; then
        failed=1
        rows+=("| $v | - | recording failed | - | - | - | $hist | $((SECONDS - ts)) s | see the go-oracle error above |")
        continue
    fi
    header="$(head -c 200 "$(ls "$dir"/standard/*.jsonl | head -n 1)" | grep -o '"go":"[^"]*"')"
    echo "== Go $v: replaying ($header)" >&2
    port="$(replay port "$dir"/standard/*.jsonl)" || failed=1
    model="$(replay model "$dir"/standard/*.jsonl)" || failed=1
    cport="$(replay port "$dir"/clear/*.jsonl)" || failed=1
    cmodel="$(replay model "$dir"/clear/*.jsonl)" || failed=1
    rows+=("| $v | $([ -n "$exp" ] && echo "classic (GOEXPERIMENT=noswissmap)" || echo classic) | $port | $model | $cport | $cmodel | $hist | $((SECONDS - ts)) s | ${header} |")
done

echo
echo "| Go | map | standard traces: port | standard traces: model | clear traces: port | clear traces: model | sync.Map histories | time | header / note |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "total: $((SECONDS - t0)) s"

if [ "$sel" = all ]; then
    # Every claim on every toolchain, against the committed table.
    tc=$SECONDS
    echo "== gomap claims --go all (docs/claims-by-version.md)" >&2
    if "$gomap" claims --go all --markdown >"$out/claims-by-version.md"; then
        if diff -u docs/claims-by-version.md "$out/claims-by-version.md" >"$out/claims-by-version.diff"; then
            echo "claims on every toolchain: docs/claims-by-version.md is fresh ($((SECONDS - tc)) s)"
        else
            echo "claims on every toolchain: docs/claims-by-version.md differs from a fresh run ($out/claims-by-version.diff); regenerate it with: cargo run --release -- claims --go all --markdown > docs/claims-by-version.md" >&2
            failed=1
        fi
    else
        echo "gomap claims --go all failed" >&2
        failed=1
    fi
fi
exit $failed
