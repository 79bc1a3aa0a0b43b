#!/bin/sh
# Install Debian's Chromium for the browser tests (idempotent).
# Test tools never download a browser of their own: Playwright drives this binary.
set -eu

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    echo "install-browser: $CHROMIUM already present, nothing to do."
    exit 0
fi

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: $CHROMIUM is missing and this is not root with apt-get;" \
         "install Debian's 'chromium' package (the e2e tests skip without it, fail under CI=true)."
    exit 0
fi

echo "install-browser: installing Debian's chromium package..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "install-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")."
