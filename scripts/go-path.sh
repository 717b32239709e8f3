#!/usr/bin/env bash
# go-path.sh VERSION: prints the path of the go command of VERSION (a line of
# scripts/go-versions.txt, e.g. 1.21.13; a minor such as 1.21 picks that line), whether or
# not it is installed yet (scripts/install-go-versions.sh installs it).
set -euo pipefail
. "$(dirname "$0")/go-versions.sh"
v="${1:?usage: go-path.sh VERSION}"
if ! go_field "$v" source >/dev/null; then
    full="$(go_versions all | awk -v m="$v" 'index($0, m ".") == 1' | head -n 1)"
    [ -n "$full" ] || { echo "go-path.sh: $v is not in $GO_VERSIONS_FILE" >&2; exit 1; }
    v="$full"
fi
go_bin "$v"
