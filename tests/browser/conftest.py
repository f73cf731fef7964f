"""Fixtures for end-to-end tests: the dashboard server on a free loopback port and
headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Every browser test is skipped, with the reason, when /usr/bin/chromium is absent
(CI installs it with ``apt-get install -y chromium``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_FLAGS, offline_guard
from viz.serve import command, environment

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install -y chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(count: int) -> int:
    """A port ``p`` such that ``p .. p+count-1`` are all free on 127.0.0.1."""
    for _ in range(100):
        base = free_port()
        if base + count > 65535:
            continue
        try:
            for p in range(base + 1, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return base
    raise RuntimeError("no block of free ports")


def start_server(port: int, log: Path, data: Path | None = None) -> subprocess.Popen:
    """Start the dashboard's server on 127.0.0.1:port; returns once the page answers. With
    ``data``, the real ``run.py dashboard --data DATA`` (the workshops in that directory);
    else the server module alone."""
    out = log.open("a")
    if data is None:
        cmd = command("127.0.0.1", port)
    else:
        cmd = [sys.executable, str(ROOT / "run.py"), "dashboard", "--port", str(port), "--data", str(data)]
    proc = subprocess.Popen(cmd, env=environment(), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dashboard server exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"dashboard server did not answer on {url}; see {log}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def server_url(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed")
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "solara.log"
    proc = start_server(port, log)
    yield f"http://127.0.0.1:{port}/"
    stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server_url):
    """A fresh browser session (its own model) with the dashboard loaded; only loopback traffic."""
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
    outside: list[str] = []
    ctx.route("**/*", offline_guard(outside))
    pg = ctx.new_page()
    pg.outside_requests = outside
    pg.failed_responses = []  # e.g. a CDN asset the server could not serve offline
    pg.on(
        "response", lambda r: pg.failed_responses.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    pg.goto(server_url)
    pg.wait_for_selector(".week-counter", timeout=60_000)
    pg.wait_for_selector(".chart-culture .js-plotly-plot", timeout=60_000)
    yield pg
    ctx.close()


os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
