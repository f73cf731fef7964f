"""One dashboard worker: Solara's server for ``viz/app.py`` that stops when its parent does.

``cxlab dashboard --workers N`` starts N of these (see ``viz.serve``).
The parent passes the read end of a pipe (``--watch-fd``) whose write end only
it holds: when the parent exits, however it exits, the pipe closes and the
worker shuts itself down, so no worker outlives the dashboard.

    python -m viz.worker --watch-fd FD --host HOST --port PORT
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

SHUTDOWN_GRACE = 5.0  # seconds for a clean shutdown before the worker exits regardless


def watch(fd: int) -> None:
    """Block until the pipe ``fd`` closes (the parent is gone), then stop this process."""
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while pipe.read(1):
            pass
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn shuts down cleanly on SIGTERM
    threading.Timer(SHUTDOWN_GRACE, os._exit, args=(1,)).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m viz.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--watch-fd", type=int, required=True, help="read end of the parent's pipe")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    threading.Thread(target=watch, args=(args.watch_fd,), daemon=True, name="parent-watch").start()

    from solara.__main__ import cli

    from viz.serve import APP

    solara_args = [
        "run",
        str(APP),
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--production",
        "--no-open",
    ]
    return cli(solara_args, standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main())
