"""What a workshop page knows of its server and its browser: the process's ``Hub``, the
client's address, the secrets this browser holds, and refusals as plain sentences.

The hub opens the data directory ``cxlab dashboard --data DIR`` passed in ``$CXLAB_DATA``
(``workshop.store.default_data_dir``), once per process. The client's address is the one
the server's guard (``viz.server``) wrote into the ``x-cxlab-client`` header of the page's
websocket, overwriting whatever the browser sent. Secrets (the facilitator key, a team's
token) live in cookies of this browser (``viz.rooms.widgets.BrowserHooks`` writes them),
read by the server when the page connects, and in this session's memory in between.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable

import solara
import solara.lab

from workshop import Hub, WorkshopError
from workshop.access import normalise_code

CLIENT_HEADER = "x-cxlab-client"
KEY_COOKIE = "cxlab_key_"  # + join code: the facilitator key, for this browser session
TEAM_COOKIE = "cxlab_team_"  # + join code: the team's token, kept for a week
TEAM_COOKIE_AGE = 7 * 24 * 3600

_hub: Hub | None = None
_hub_lock = threading.Lock()

# Secrets entered in this browser session since its page connected (per session: Solara
# keeps a module-level reactive per virtual kernel).
_secrets: solara.Reactive[dict[str, str]] = solara.reactive({})


def hub() -> Hub:
    """The process's hub on the data directory (created on first use)."""
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = Hub()
        return _hub


def use_hub(h: Hub | None) -> None:
    """Make ``h`` the process's hub (tests, benchmarks); None forgets it."""
    global _hub
    with _hub_lock:
        _hub = h


def client() -> str:
    """The address of this page's browser (``local`` when rendered outside a server, as in tests)."""
    headers = solara.lab.headers.value
    if headers is None:
        return "local"
    values = {k.lower(): v for k, v in headers.items()}.get(CLIENT_HEADER) or ["unknown"]
    return values[0]


def local() -> bool:
    """Whether this page's browser runs on the server's machine (creating and listing
    workshops is for the facilitator at that machine)."""
    address = client()
    if address == "local":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def secret(prefix: str, code: str) -> str | None:
    """The secret (``KEY_COOKIE`` or ``TEAM_COOKIE``) this browser holds for workshop ``code``."""
    canonical = normalise_code(code) or ""
    name = prefix + canonical
    if name in _secrets.value:
        return _secrets.value[name] or None
    cookies = solara.lab.cookies.value or {}
    value = cookies.get(name)
    return value if isinstance(value, str) and value else None


def remember(prefix: str, code: str, value: str | None) -> None:
    """Keep (or, with None, forget) a secret for workshop ``code`` in this session; the page
    writes it to the browser's cookie too (``widgets.BrowserHooks``)."""
    name = prefix + (normalise_code(code) or "")
    _secrets.set({**_secrets.value, name: value or ""})


def cookie_writes() -> dict[str, list]:
    """The cookies this session asks the browser to write: name -> [value, max age in s]
    (a key for the browser session only, a team token for a week, '' to delete)."""
    out = {}
    for name, value in _secrets.value.items():
        age = TEAM_COOKIE_AGE if name.startswith(TEAM_COOKIE) else None
        out[name] = [value, 0 if not value else age]
    return out


def say(exc: Exception) -> str:
    """A refusal as one sentence: capitalised, ending with a full stop."""
    text = str(exc).strip() or "That did not work."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def opened[T](make: Callable[[], T]) -> tuple[T | None, str | None]:
    """``make()`` (a role in a workshop, or what a page reads through it) and None, or None
    and the workshop's refusal as one sentence."""
    try:
        return make(), None
    except WorkshopError as exc:
        return None, say(exc)


def attempt(action, error: solara.Reactive[str | None]):
    """Run ``action()``; a workshop's refusal shows as ``error``; returns the result or None."""
    try:
        result = action()
    except WorkshopError as exc:
        error.set(say(exc))
        return None
    error.set(None)
    return True if result is None else result
