#!/bin/sh
# Installs what the browser test (tests/explorer.rs) needs from Debian's packages: Chromium,
# ChromeDriver, and fonts for the explorer's text and its emoji status icons. Idempotent:
# quick, and installs nothing, when all are present. Needs root (or sudo).
set -eu

PACKAGES="chromium chromium-driver fonts-dejavu-core fonts-noto-color-emoji"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    # shellcheck disable=SC2086
    $SUDO apt-get install -y --no-install-recommends $missing
fi
chromium --version
chromedriver --version
