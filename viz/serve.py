"""Serve the dashboard (``cxlab dashboard``): one server process, this one.

One process serves every participant: each browser session keeps its runs in
this process's memory, and the playing sessions share its core fairly
(``viz.pacing``). Measured with 30 sessions all playing (see
``benchmarks/load_dashboard.py`` and the facilitator guide), one process keeps
every session moving at several weeks per second with quick clicks, so the
dashboard no longer starts several processes behind a front door: there is no
child process to outlive it, and no redirect to build.

The server itself is ``viz.server`` (Solara behind a guard), run in this process
until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")


class ServeError(Exception):
    """The dashboard cannot listen where it was asked to (a user's mistake: one line)."""


def check_address(host: str, port: int) -> None:
    """Raise ``ServeError`` unless this process can listen on ``host`` and ``port`` now."""
    if not 1 <= port <= 65535:
        raise ServeError(f"--port must be from 1 to 65535, got {port}")
    name = host.strip("[]") or "0.0.0.0"
    try:
        family = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((name, port))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ServeError(
            f"cannot listen on {host or '0.0.0.0'} port {port}: {reason} (another server? try another --port or --host)"
        ) from None


def all_interfaces(host: str) -> bool:
    """Whether ``host`` means every interface of this machine (``0.0.0.0``, ``0``, ``::``,
    ``::0``, ``0:0:0:0:0:0:0:0``, an empty host...): anyone on the network can connect."""
    name = host.strip().strip("[]")
    if not name:
        return True
    try:
        return ipaddress.ip_address(name).is_unspecified
    except ValueError:
        pass
    try:  # the short IPv4 forms the C library accepts: "0", "0.0", "0x0"
        return ipaddress.IPv4Address(socket.inet_aton(name)).is_unspecified
    except OSError:
        return False


def command(host: str, port: int) -> list[str]:
    """The command line of the dashboard's server on ``host`` and ``port`` (tests, benchmarks)."""
    return [sys.executable, "-m", "viz.server", "--host", host, "--port", str(port)]


def environment(limits: dict[str, int] | None = None) -> dict[str, str]:
    """The server's environment: no telemetry calls out, reacton's fast renderer (see
    ``viz.app``), and the facilitator's size limits."""
    from viz.lab import LIMITS_ENV

    env = dict(os.environ)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("REACTON_FAST", "1")
    if limits:
        env[LIMITS_ENV] = json.dumps(limits)
    return env


def _shown(host: str) -> str:
    return f"[{host.strip('[]')}]" if ":" in host else host


def _warn(host: str, port: int) -> None:
    from viz.assets import missing

    if all_interfaces(host):
        print(
            f"warning: serving on all interfaces ({host or '0.0.0.0'}, port {port}): anyone who can reach "
            "this machine can open and drive the dashboard. Use --host 127.0.0.1 for this machine only.",
            file=sys.stderr,
        )
    gone = missing()
    if gone:
        print(
            f"warning: dashboard assets not cached ({', '.join(gone)}); the page may stay blank offline. "
            "Run 'python -m viz.assets' once while the npm registry is reachable.",
            file=sys.stderr,
        )


def lan_address() -> str | None:
    """This machine's address on its network (the interface of its default route), if any;
    no packet is sent."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
    except OSError:
        return None


def public_url(host: str, port: int) -> str:
    """The address participants open: this machine's network address when serving on all
    interfaces, else the host served on."""
    name = (lan_address() or "127.0.0.1") if all_interfaces(host) else host.strip("[]")
    return f"http://{_shown(name)}:{port}"


def check_data(data: str | Path | None) -> Path:
    """The workshops' data directory (``--data``; default: ``workshop.store.default_data_dir``),
    opened once to check it; ``ServeError`` in one line if it cannot be used."""
    from workshop import WorkshopError
    from workshop.store import Store, default_data_dir

    folder = Path(data).expanduser().resolve() if data is not None else default_data_dir()
    try:
        Store(folder).close()
    except WorkshopError as exc:
        raise ServeError(str(exc)) from None
    return folder


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    limits: dict[str, int] | None = None,
    data: str | Path | None = None,
) -> int:
    """Run the dashboard server in this process until interrupted; returns its exit code.

    Args:
        host: interface to listen on; warns when it is all interfaces (anyone on the network can open it).
        port: the address participants open.
        limits: the largest world participants may build (``viz.lab.Limits`` fields).
        data: the workshops' data directory (default: the per-user one, or ``$CXLAB_DATA``).
    """
    from viz import server
    from viz.rooms.room import PUBLIC_ENV

    check_address(host, port)
    folder = check_data(data)
    _warn(host, port)
    os.environ.update(environment(limits))
    os.environ["CXLAB_DATA"] = str(folder)
    url = public_url(host, port)
    os.environ[PUBLIC_ENV] = url
    print(f"CX Culture Lab dashboard on http://{_shown(host)}:{port}/ (Ctrl-C to stop)", flush=True)
    print(f"  workshop rooms on {url}/workshop, data in {folder}", flush=True)
    try:
        return server.run(host, port)
    except KeyboardInterrupt:
        return 130
