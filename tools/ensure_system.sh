#!/usr/bin/env bash
# System packages from Debian: npm (to cache the dashboard's web assets at set-up) and
# chromium (for the browser tests). Installed when missing and we are root (CI is);
# otherwise a note says what will not work. See shared/PLATFORM.md.
set -eu
missing=()
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ "${1:-}" = "--with-chromium" ] && [ ! -x /usr/bin/chromium ] && missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "note: missing ${missing[*]} and cannot install without root:" \
        "npm is needed once to cache the dashboard's assets; without chromium the browser tests are skipped"
fi
