"""Serve the dashboard with Solara's production server (``cxlab dashboard``).

One Solara process runs Python on one core, and it keeps every participant's
session (their models, their page's state) in its own memory. To use several
cores, ``--workers N`` starts N Solara processes on ports ``P+1 .. P+N`` and a
small front door on port ``P``: each newcomer's first request to the front
door is redirected to the worker with the fewest sessions (ties: the next one
in turn). From then on the browser talks to that worker only, by its port, so
a session stays in one process for its whole life, websocket reconnects
included; Solara's own ``--workers`` would let a reconnect reach another
process and lose the session (Solara's documentation asks for a sticky load
balancer for that reason). ``GET /_cx/workers`` on the front door lists the
workers and their load.

Ctrl-C (or SIGTERM) stops the front door and then the workers; a worker also
stops by itself when the parent disappears (see ``viz.worker``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

APP = Path(__file__).with_name("app.py")
ALL_INTERFACES = {"0.0.0.0", "::", "[::]", ""}
LOAD_FILE_ENV = "CX_DASHBOARD_LOAD_FILE"  # where a worker writes its live session count (viz.app)
MAX_DEFAULT_WORKERS = 8  # beyond this, idle workers' memory outweighs their use for a workshop of 30
WORKER_START_TIMEOUT = 120.0  # seconds for a worker to answer; a loaded laptop takes well under 10
PENDING_SECONDS = 10.0  # a redirected newcomer counts as load for this long, until its page reports
STOP_GRACE = 5.0  # seconds for workers to stop cleanly before they are killed


def command(host: str, port: int) -> list[str]:
    """The ``solara run`` command line for ``host`` and ``port`` (a single-process server)."""
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


def workers_command(port: int, workers: int) -> list[str]:
    """``cxlab dashboard`` on ``port`` with ``workers`` server processes behind its front door."""
    return [
        sys.executable,
        "-m",
        "cxlab",
        "dashboard",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def worker_command(host: str, port: int, watch_fd: int) -> list[str]:
    """The command line of one worker of a multi-process server (see ``viz.worker``)."""
    return [
        sys.executable,
        "-m",
        "viz.worker",
        "--watch-fd",
        str(watch_fd),
        "--host",
        host,
        "--port",
        str(port),
    ]


def environment(load_file: Path | None = None) -> dict[str, str]:
    """The server's environment: no telemetry calls out, reacton's fast renderer (see
    ``viz.app``), and for a worker the file it reports its load to."""
    env = dict(os.environ)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("REACTON_FAST", "1")
    if load_file is not None:
        env[LOAD_FILE_ENV] = str(load_file)
    return env


def default_workers() -> int:
    """One worker per core this process may use, at most ``MAX_DEFAULT_WORKERS``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        cores = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, cores))


def port_free(host: str, port: int) -> bool:
    """Whether ``port`` can be bound on ``host`` now."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host.strip("[]") or "0.0.0.0", port))
        except OSError:
            return False
    return True


def _shown(host: str) -> str:
    return f"[{host.strip('[]')}]" if ":" in host else host


def _warn(host: str, ports: str) -> None:
    from viz.assets import missing

    if host in ALL_INTERFACES:
        print(
            f"warning: serving on all interfaces ({host or '0.0.0.0'}, port {ports}): anyone who can reach "
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


def serve(host: str = "127.0.0.1", port: int = 8765, workers: int | None = None) -> int:
    """Run the dashboard server until interrupted; returns its exit code.

    Args:
        host: interface to listen on; warns when it is all interfaces (anyone on the network can open it).
        port: the address participants open; with several workers they use ``port+1 .. port+workers`` too.
        workers: server processes (default ``default_workers()``); 1 serves from this port alone.
    """
    n = default_workers() if workers is None else workers
    if n < 1:
        raise ValueError(f"--workers must be at least 1, got {n}")
    _warn(host, str(port) if n == 1 else f"{port}-{port + n}")
    if n == 1:
        print(f"CX Culture Lab dashboard on http://{_shown(host)}:{port}/ (Ctrl-C to stop)", flush=True)
        try:
            return subprocess.call(command(host, port), env=environment())
        except KeyboardInterrupt:
            return 130
    return serve_workers(host, port, n)


# ------------------------------------------------------------ several workers
@dataclass
class Worker:
    """One Solara server process of a multi-process dashboard."""

    port: int
    process: subprocess.Popen
    load_file: Path
    log: Path
    pending: list[float] = field(default_factory=list)  # when newcomers were sent here lately

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def report(self) -> dict[str, int]:
        """What the worker last wrote about itself: ``sessions`` open and ``playing``."""
        try:
            data = json.loads(self.load_file.read_text(encoding="utf-8"))
            return {"sessions": int(data.get("sessions", 0)), "playing": int(data.get("playing", 0))}
        except (OSError, ValueError):
            return {"sessions": 0, "playing": 0}

    def load(self, now: float) -> int:
        """Open sessions plus newcomers sent here in the last ``PENDING_SECONDS``."""
        self.pending = [t for t in self.pending if now - t < PENDING_SECONDS]
        return self.report()["sessions"] + len(self.pending)


class Balancer:
    """Chooses a worker for each newcomer: the least loaded, ties going round in turn."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers
        self._next = 0
        self._lock = threading.Lock()

    def choose(self) -> Worker | None:
        """The worker for the next newcomer (None when every worker has stopped)."""
        with self._lock:
            now = time.monotonic()
            n = len(self.workers)
            order = [self.workers[(self._next + i) % n] for i in range(n)]
            alive = [w for w in order if w.alive]
            if not alive:
                return None
            chosen = min(alive, key=lambda w: w.load(now))  # min keeps the first of equals: the next in turn
            chosen.pending.append(now)
            self._next = (self.workers.index(chosen) + 1) % n
            return chosen

    def status(self) -> list[dict]:
        return [{"port": w.port, "alive": w.alive, **w.report()} for w in self.workers]


def redirect_host(host_header: str, fallback: str) -> str:
    """The host name the visitor used (from its Host header), for the redirect to a worker's port."""
    name = urlsplit(f"//{host_header}").hostname if host_header else None
    name = name or (fallback if fallback not in ALL_INTERFACES else "127.0.0.1")
    return _shown(name)


def front_door(balancer: Balancer, host: str):
    """The front door's ASGI app: redirects every page request to a worker; ``/_cx/workers`` lists them."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        request = Request(scope, receive)
        if request.url.path == "/_cx/workers":
            response = JSONResponse(balancer.status())
        else:
            worker = balancer.choose()
            if worker is None:
                response = PlainTextResponse("the dashboard's workers have stopped", status_code=503)
            else:
                target = f"http://{redirect_host(request.headers.get('host', ''), host)}:{worker.port}"
                query = f"?{request.url.query}" if request.url.query else ""
                response = RedirectResponse(f"{target}{request.url.path}{query}", status_code=307)
                response.headers["Cache-Control"] = "no-store"  # every newcomer must ask again
        await response(scope, receive, send)

    return app


def _wait_ready(workers: list[Worker], host: str) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    local = "127.0.0.1" if host in ALL_INTERFACES else host
    for w in workers:
        url = f"http://{_shown(local)}:{w.port}/"
        while True:
            if not w.alive:
                raise RuntimeError(
                    f"worker on port {w.port} exited with {w.process.returncode}:\n{_tail(w.log)}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"worker on port {w.port} did not answer:\n{_tail(w.log)}") from None
                time.sleep(0.2)


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_workers(workers: list[Worker]) -> None:
    """Stop every worker: SIGTERM, then SIGKILL after ``STOP_GRACE`` seconds."""
    for w in workers:
        if w.alive:
            w.process.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for w in workers:
        try:
            w.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            w.process.kill()
            w.process.wait()


def _start_worker(host: str, port: int, read_end: int, rundir: Path) -> Worker:
    log = rundir / f"worker-{port}.log"
    load_file = rundir / f"worker-{port}.json"
    with log.open("w") as out:
        proc = subprocess.Popen(
            worker_command(host, port, read_end),
            env=environment(load_file),
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(read_end,),
            start_new_session=True,  # Ctrl-C reaches this process only, which then stops them in order
        )
    return Worker(port, proc, load_file, log)


def serve_workers(host: str, port: int, n: int) -> int:
    """Serve from ``n`` worker processes behind a front door on ``port`` until interrupted."""
    import uvicorn

    ports = [port, *range(port + 1, port + 1 + n)]
    taken = [p for p in ports if not port_free(host, p)]
    if taken:
        print(
            f"error: port(s) {', '.join(map(str, taken))} already in use; {n} workers need ports "
            f"{port}-{port + n}. Stop the other server or choose another --port.",
            file=sys.stderr,
        )
        return 2
    rundir = Path(tempfile.mkdtemp(prefix="cx-dashboard-"))
    read_end, write_end = os.pipe()  # workers stop when this process's write end closes
    workers: list[Worker] = []
    try:
        try:
            workers.extend(_start_worker(host, p, read_end, rundir) for p in ports[1:])
        finally:
            os.close(read_end)  # only the workers keep it
        print(
            f"starting {n} dashboard workers on ports {ports[1]}-{ports[-1]} (logs in {rundir})", flush=True
        )
        try:
            _wait_ready(workers, host)
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        balancer = Balancer(workers)
        config = uvicorn.Config(
            front_door(balancer, host), host=host.strip("[]"), port=port, log_level="warning", lifespan="off"
        )
        print(
            f"CX Culture Lab dashboard on http://{_shown(host)}:{port}/ with {n} workers (Ctrl-C to stop)",
            flush=True,
        )
        # uvicorn stops on SIGINT or SIGTERM, then raises the signal again: as KeyboardInterrupt
        # (Ctrl-C) or, through this handler, SystemExit, so the workers are stopped below either way
        previous = signal.signal(signal.SIGTERM, _terminated)
        try:
            uvicorn.Server(config).run()
        finally:
            signal.signal(signal.SIGTERM, previous)
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        stop_workers(workers)
        os.close(write_end)
        shutil.rmtree(rundir, ignore_errors=True)


def _terminated(signum: int, frame) -> None:
    raise SystemExit(128 + signum)
