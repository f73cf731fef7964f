"""The dashboard's server process: it answers, and it ends on every signal that stops it,
leaving nothing behind (it has no child processes). Real processes on a loopback port."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from viz.serve import environment

START_TIMEOUT = 120  # seconds: against a hang only; the server is usually up in a few


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["ctrl-c", "term", "hangup"]
)
def test_the_dashboard_stops_on_every_signal_and_leaves_nothing_behind(stop, tmp_path):
    port = free_port()
    log = tmp_path / "dashboard.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cxlab", "dashboard", "--port", str(port)],
            env=environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
            # a suite started under nohup hands its children an ignored SIGHUP; a terminal does not
            preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert proc.poll() is None, f"the dashboard exited with {proc.returncode}: {log.read_text()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, f"the dashboard never answered: {log.read_text()}"
                time.sleep(0.3)
        proc.send_signal(stop)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # nothing listens there any more
