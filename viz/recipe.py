"""A session's recipe in the page address, so a reload restores it exactly.

The recipe (``Lab.recipe()``: seed, sizes, horizon, the week reached, and per
run its scenario, starting lever values and logged changes) is written as
compact JSON, base64url-encoded, into the query parameter ``run``::

    http://127.0.0.1:8765/?run=eyJzZWVkIjoxLCJ3ZWVrIjo0MC...

``restore`` rebuilds the ``Lab`` by replaying it, checking every value as it
would a value typed into the page (an address is as untrusted as a page); a
recipe that is not valid gives ``InputError`` and the page starts afresh.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from urllib.parse import parse_qs

from model.params import ParameterError
from viz.lab import (
    MAX_ACTIONS,
    MAX_WEEKS,
    Action,
    InputError,
    Lab,
    Limits,
    Run,
    check_event,
    check_lever,
    check_scenario,
    check_seed,
    scenario_info,
)

PARAM = "run"
MAX_LENGTH = (
    64 * 1024
)  # characters of an encoded recipe: far more than a workshop's, bounded for a hostile one
BROKEN = "The address holds no run this page can restore; a fresh run has started."


def encode(recipe: Mapping) -> str:
    """The recipe as the text of the ``run`` query parameter."""
    text = json.dumps(recipe, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def query(recipe: Mapping) -> str:
    """The page address's query string for ``recipe``, e.g. ``?run=...``."""
    return f"?{PARAM}={encode(recipe)}"


def decode(text: str) -> dict:
    """The recipe in ``text`` (a ``run`` parameter), or ``InputError``."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        raise InputError(BROKEN)
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise InputError(BROKEN) from None
    if not isinstance(data, dict):
        raise InputError(BROKEN)
    return data


def from_search(search: str | None) -> dict | None:
    """The recipe in a page address's query string (None when it has none)."""
    try:
        values = parse_qs(search or "", max_num_fields=20).get(PARAM)
    except ValueError:  # more fields than any address of this page has
        raise InputError(BROKEN) from None
    return decode(values[-1]) if values else None


def _actions(raw: object, horizon: int) -> list[Action]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ACTIONS:
        raise InputError(BROKEN)
    out: list[Action] = []
    for item in raw:
        if not isinstance(item, list) or len(item) != 4:
            raise InputError(BROKEN)
        week, kind, name, value = item
        if isinstance(week, bool) or not isinstance(week, int) or not 0 <= week <= horizon:
            raise InputError(BROKEN)
        if out and week < out[-1].week:
            raise InputError(BROKEN)
        if kind == "lever":
            out.append(Action(week, "lever", name, check_lever(name, value)))
        elif kind == "event":
            out.append(Action(week, "event", name, options=check_event(name, value)))
        else:
            raise InputError(BROKEN)
    return out


def restore(data: Mapping, limits: Limits | None = None) -> Lab:
    """A ``Lab`` rebuilt from a recipe, replayed to its week.

    Raises:
        InputError: (``BROKEN``) any value that is not one the page itself could have made.
    """
    try:
        return _restore(data, limits)
    except (InputError, ParameterError):
        raise InputError(BROKEN) from None


def _restore(data: Mapping, limits: Limits | None) -> Lab:
    if not isinstance(data, Mapping) or set(data) - {"seed", "week", "runs", "size", "horizon", "target"}:
        raise InputError(BROKEN)
    runs = data.get("runs")
    if not isinstance(runs, list) or not 1 <= len(runs) <= 2:
        raise InputError(BROKEN)
    for run in runs:
        if not isinstance(run, dict) or set(run) - {"scenario", "overrides", "actions", "note"}:
            raise InputError(BROKEN)
    lab = Lab(
        check_scenario(runs[0].get("scenario")),
        seed=check_seed(data.get("seed", 1)),
        size=data.get("size", {}),
        limits=limits,
        build=False,
    )
    horizon = data.get("horizon", max(scenario_info(check_scenario(r.get("scenario"))).steps for r in runs))
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= MAX_WEEKS:
        raise InputError(BROKEN)
    week = data.get("week", 0)
    if isinstance(week, bool) or not isinstance(week, int) or not 0 <= week <= horizon:
        raise InputError(BROKEN)
    if len(runs) == 2:
        lab.runs.append(Run("B", check_scenario(runs[1].get("scenario"))))
    for run, raw in zip(lab.runs, runs, strict=True):
        overrides = raw.get("overrides", {})
        if not isinstance(overrides, dict):
            raise InputError(BROKEN)
        run.overrides = {name: check_lever(name, value) for name, value in overrides.items()}
        run.actions = _actions(raw.get("actions"), horizon)
        note = raw.get("note", "")
        run.note = note[:80] if isinstance(note, str) else ""
    lab.horizon = horizon
    target = data.get("target", "both")
    if target not in ("both", "A", "B") or (target != "both" and len(runs) < 2):
        raise InputError(BROKEN)
    lab.target = target
    lab.rebuild(week)
    return lab
