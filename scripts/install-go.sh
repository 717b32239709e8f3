#!/usr/bin/env bash
# Installs Go 1.19 (Debian's golang-1.19-go: /usr/lib/go-1.19/bin/go) if it is missing.
# The Go programs under tests/go-oracle/ record real Go 1.19 map behaviour with it.
set -euo pipefail
GO=/usr/lib/go-1.19/bin/go
if [ -x "$GO" ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-go.sh: Go 1.19 is missing and installing it needs root: apt-get install golang-1.19-go" >&2
    exit 1
fi
echo "install-go.sh: installing golang-1.19-go" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-1.19-go >/dev/null
"$GO" version
