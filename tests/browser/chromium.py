"""Headless Chromium for the browser tests and the dashboard load benchmark: Debian's
package, and the launch flags from shared/PLATFORM.md (without the networking ones it
tries to reach outside hosts)."""

import re
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


LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)[:/]")


def offline_guard(outside: list[str]):
    """A Playwright route handler that lets only loopback traffic through and records the rest."""

    def guard(route):
        url = route.request.url
        if LOOPBACK.match(url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    return guard
