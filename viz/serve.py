"""Serve the dashboard with Solara's production server (``python run.py dashboard``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")
ALL_INTERFACES = {"0.0.0.0", "::", "[::]", ""}

# Headless Chromium for the browser tests and the load test (Debian's package; flags
# from shared/PLATFORM.md: without the networking ones it tries to reach outside hosts).
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


def command(host: str, port: int) -> list[str]:
    """The ``solara run`` command line for ``host`` and ``port``."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]


def environment() -> dict[str, str]:
    """The server's environment: the repository importable, no telemetry calls out."""
    env = dict(os.environ)
    root = str(APP.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    return env


def serve(host: str = "127.0.0.1", port: int = 8765) -> int:
    """Run the dashboard server until interrupted; returns its exit code.

    Warns when bound to all interfaces: anyone on the network can then open it.
    """
    from viz.assets import missing

    if host in ALL_INTERFACES:
        print(
            f"warning: serving on all interfaces ({host or '0.0.0.0'}:{port}): anyone who can reach this "
            "machine can open and drive the dashboard. Use --host 127.0.0.1 for this machine only.",
            file=sys.stderr,
        )
    gone = missing()
    if gone:
        print(
            f"warning: dashboard assets not cached ({', '.join(gone)}); the page may stay blank offline. "
            "Run 'python -m viz.assets' once while the npm registry is reachable.",
            file=sys.stderr,
        )
    shown = f"[{host}]" if ":" in host else host
    print(f"CX Culture Lab dashboard on http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        return subprocess.call(command(host, port), env=environment())
    except KeyboardInterrupt:
        return 130
