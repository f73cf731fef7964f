#!/usr/bin/env bash
# Headless Chromium for the dashboard's browser tests (Debian's package; see shared/PLATFORM.md).
# Installs it when missing and we are root; otherwise says the browser tests will be skipped.
set -eu
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "note: /usr/bin/chromium is missing and cannot be installed without root: browser tests will be skipped"
fi
