#!/bin/sh
# Installs Debian's Chromium and ChromeDriver for the browser test (tests/explorer.rs).
# Idempotent: does nothing (quickly) when both are present. Needs root (or sudo).
set -eu

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "chromium and chromedriver already installed:"
    chromium --version 2>/dev/null || true
    chromedriver --version 2>/dev/null || true
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core
chromium --version
chromedriver --version
