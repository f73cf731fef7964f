"""One dashboard server process: Solara's app for ``viz/app.py`` behind a small guard.

Solara's own server would, for a request under ``/_solara/cdn/``, fetch any
file it has not cached from a public CDN, and for a request naming a cached
package's folder (``GET /_solara/cdn/@widgetti/solara-vuetify-app@10.1.1``)
delete that folder (a left-over of an old cache layout), after which the page
stays blank offline. The guard (``guard``) answers those requests itself from
the cache that ``python -m viz.assets`` filled, read-only: a cached file is
sent, anything else is 404; nothing is fetched or deleted. It also answers
Solara's diagnostics page (``/resourcez``: the host's CPU and memory) only to
this machine. It writes the client's address into the ``x-cxlab-client`` header
(replacing any the browser sent), which the workshop pages read for their rate limits
and to know the facilitator's own machine, and answers ``/workshop/debrief`` (the
printable debrief, for the holder of the workshop's key: ``viz.rooms.http``). Everything
else goes to Solara.

    python -m viz.server --host 127.0.0.1 --port 8765
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

from viz.serve import APP, environment

CDN_PREFIX = "/_solara/cdn/"
LOCAL_ONLY = ("/resourcez",)
CLIENT_HEADER = b"x-cxlab-client"
DEBRIEF = "/workshop/debrief"


def cached_file(root: Path, path: str) -> Path | None:
    """The cached asset a ``/_solara/cdn/<path>`` request names, if it is a file under
    ``root`` (Solara stores a one-part package path as ``<pkg>/__main.js``)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        return None
    if len(parts) == 1:
        parts.append("__main.js")
    target = root.joinpath(*parts)
    try:
        resolved = target.resolve(strict=True)
        resolved.relative_to(root.resolve(strict=True))
    except (OSError, ValueError):
        return None
    return resolved if resolved.is_file() else None


def loopback(scope) -> bool:
    """Whether the request comes from this machine."""
    client = scope.get("client") or ("", 0)
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


def with_client(scope) -> dict:
    """``scope`` with the ``x-cxlab-client`` header set to the client's address (and any such
    header the browser sent dropped)."""
    client = (scope.get("client") or ("unknown", 0))[0]
    headers = [(k, val) for k, val in scope.get("headers", []) if k.lower() != CLIENT_HEADER]
    return {**scope, "headers": [*headers, (CLIENT_HEADER, str(client).encode("latin-1", "replace"))]}


def guard(inner, cache: Path):
    """The ASGI app: the CDN cache read-only, diagnostics local-only, the rest to ``inner``."""
    from starlette.responses import FileResponse, PlainTextResponse

    async def app(scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] in ("http", "websocket") else ""
        if scope["type"] == "http" and path.startswith(CDN_PREFIX):
            found = cached_file(cache, path[len(CDN_PREFIX) :])
            if found is None:
                response = PlainTextResponse("not found", status_code=404)
            else:
                response = FileResponse(
                    found, headers={"Cache-Control": "public, max-age=31536000, immutable"}
                )
            await response(scope, receive, send)
            return
        if scope["type"] == "http" and path.rstrip("/") in LOCAL_ONLY and not loopback(scope):
            await PlainTextResponse("not found", status_code=404)(scope, receive, send)
            return
        if scope["type"] in ("http", "websocket"):
            scope = with_client(scope)
        if scope["type"] == "http" and path.rstrip("/") == DEBRIEF:
            from viz.rooms.http import debrief

            await debrief(scope, receive, send)
            return
        await inner(scope, receive, send)

    return app


def make_app():
    """Solara's app for the dashboard, in production mode, behind ``guard``."""
    os.environ.update({k: v for k, v in environment().items() if k not in os.environ})
    os.environ["SOLARA_APP"] = str(APP)
    os.environ.setdefault("SOLARA_MODE", "production")
    from solara.server import settings
    from solara.server.starlette import app as solara_app

    settings.main.mode = "production"
    settings.theme.show_banner = False  # "runs on Solara", pinned over the page's bottom (a phone's slider)
    return guard(solara_app, Path(settings.assets.proxy_cache_dir))


def run(host: str, port: int) -> int:
    """Serve until interrupted (SIGINT, SIGTERM; SIGHUP ends the process too); returns the exit code."""
    import uvicorn

    from viz.memory import Trimmer

    config = uvicorn.Config(make_app(), host=host.strip("[]"), port=port, log_level="warning", lifespan="on")
    trimmer = Trimmer().start()  # the process's freed memory goes back to the system (viz.memory)
    try:
        uvicorn.Server(config).run()
    finally:
        trimmer.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m viz.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    return run(args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
