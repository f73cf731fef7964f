"""``GET /workshop/debrief?code=CODE``: the printable debrief of a workshop, as a page of
its own (print it to PDF from the browser). Only for the holder of the workshop's
facilitator key, which the console keeps in this browser's cookie; anyone else gets 403
and a sentence. Wrong keys count against the same limits as on the console."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse

from viz.rooms.session import CLIENT_HEADER, KEY_COOKIE, hub
from workshop import AccessDenied, NotFound, WorkshopError
from workshop.access import normalise_code


def answer(code: str, key: str | None, client: str) -> tuple[int, str]:
    """The status and body for a debrief request (blocking: the debrief replays teams)."""
    if not key:
        return 403, "Open the facilitator console in this browser first: the debrief is the facilitator's."
    try:
        return 200, hub().facilitator(code, key, client).debrief()
    except NotFound as exc:
        return 404, str(exc)
    except AccessDenied as exc:
        return 403, str(exc)
    except WorkshopError as exc:
        return 409, str(exc)


async def debrief(scope, receive, send) -> None:
    request = Request(scope, receive)
    code = (parse_qs(scope.get("query_string", b"").decode("latin-1")).get("code") or [""])[0][:20]
    key = request.cookies.get(KEY_COOKIE + (normalise_code(code) or ""))
    client = request.headers.get(CLIENT_HEADER, "unknown")
    status, body = await asyncio.to_thread(answer, code, key, client)
    response = HTMLResponse(body) if status == 200 else PlainTextResponse(body, status_code=status)
    await response(scope, receive, send)
