"""End-to-end: the dashboard served by several worker processes behind a front door.

Two newcomers in a row land on different workers, both pages load offline, the
workers report their sessions, and stopping the server (Ctrl-C, or killing it
outright) stops every worker.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import free_ports, offline_guard
from viz.serve import environment, workers_command

pytestmark = pytest.mark.browser
WORKERS = 2


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux /proc)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def redirect(port: int) -> str:
    """Where the front door sends a newcomer (without following the redirect)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 307
    location = response.getheader("Location")
    conn.close()
    return location


@pytest.fixture()
def workers_server(tmp_path):
    port = free_ports(WORKERS + 1)
    log = tmp_path / "dashboard.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            workers_command(port, WORKERS),
            env=environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, f"the dashboard exited with {proc.returncode}; see {log}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_cx/workers", timeout=2):
                break
        except OSError:
            assert time.monotonic() < deadline, f"the front door never answered; see {log}"
            time.sleep(0.3)
    yield port, proc, log
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize(
    "stop", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["ctrl-c", "terminated", "killed"]
)
def test_newcomers_spread_over_workers_and_all_stop_with_the_server(browser, workers_server, stop):
    """Ctrl-C or SIGTERM stop the workers in order and tidy up; a server killed outright
    leaves no worker behind either."""
    port, proc, log = workers_server
    rundir = Path(re.search(r"logs in (\S+)\)", log.read_text()).group(1))
    assert rundir.is_dir()
    worker_pids = children(proc.pid)
    assert len(worker_pids) == WORKERS

    first, second = redirect(port), redirect(port)
    assert {first, second} == {f"http://127.0.0.1:{port + i}/" for i in range(1, WORKERS + 1)}

    outside: list[str] = []
    landed = []
    for _ in range(WORKERS):
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        ctx.route("**/*", offline_guard(outside))
        page = ctx.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector(".chart-culture .js-plotly-plot", timeout=90_000)
        assert "Week 0 of" in page.locator(".week-counter").inner_text()
        landed.append(int(page.url.split(":")[2].split("/")[0]))
    assert sorted(landed) == [port + i for i in range(1, WORKERS + 1)], "one page on each worker"
    assert outside == [], "the pages tried to reach the internet"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_cx/workers", timeout=10) as r:
        status = json.load(r)
    assert [w["sessions"] for w in status] == [1] * WORKERS and all(w["alive"] for w in status)

    proc.send_signal(stop)
    code = proc.wait(timeout=30)
    assert (
        code
        == {signal.SIGINT: 130, signal.SIGTERM: 128 + signal.SIGTERM, signal.SIGKILL: -signal.SIGKILL}[stop]
    )
    if stop != signal.SIGKILL:
        assert not rundir.exists(), "the workers' logs are removed on a clean stop"
    shutil.rmtree(rundir, ignore_errors=True)  # a killed server leaves them, for a post-mortem
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in worker_pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in worker_pids), "no worker may outlive the dashboard"
