"""Headless Chromium for the browser tests and the dashboard load benchmark: Debian's
package, and the launch flags from shared/PLATFORM.md (without the networking ones it
tries to reach outside hosts)."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
