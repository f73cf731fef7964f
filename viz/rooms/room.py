"""What every workshop page shares: following the workshop's changes, a team's firm as a
run the dashboard's charts can draw, the join link, and the page's style."""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
import solara
import solara.lab

from viz.lab import Mark
from workshop import WorkshopError
from workshop import decisions as dec
from workshop.views import Report, TeamRecord

POLL_SECONDS = 1.0  # how often a page looks whether its workshop changed (one small read)
PUBLIC_ENV = "CXLAB_PUBLIC_URL"  # the address participants open, set by ``cxlab dashboard``
BASE = "/workshop"
PHONE = 700  # px: a window narrower than this gets charts laid out for a phone

# Whether this browser session's window is a phone's (per session: Solara keeps a
# module-level reactive per virtual kernel); set by the layout's hooks (``viz.rooms.pages``).
narrow = solara.reactive(False)


# Pages of this process waiting to look at their workshop again (``announce`` wakes them).
_changes = threading.Condition()


def announce() -> None:
    """Wake every page of this process to look at its workshop now: a page just changed one
    (the other pages would otherwise see it within ``POLL_SECONDS``)."""
    with _changes:
        _changes.notify_all()


# While a page of this process leads a change that every page shows (the console playing
# a round), the other pages wait to look at the workshop until it has shown the change
# itself, at most LEAD_SECONDS: the facilitator's click is answered first, then the team
# pages render without the console's render in their way (one process, one core at a time).
LEAD_SECONDS = 10.0
_leaders = threading.Condition()
_leading = [0]


@contextmanager
def leading() -> Iterator[None]:
    """Hold the other pages of this process back while this block changes the workshop
    and renders the change; wakes them when it ends."""
    with _leaders:
        _leading[0] += 1
    try:
        yield
    finally:
        with _leaders:
            _leading[0] -= 1
            _leaders.notify_all()
        announce()


def _after_leaders() -> None:
    with _leaders:
        _leaders.wait_for(lambda: _leading[0] == 0, LEAD_SECONDS)


def use_version(read: Callable[[], int]) -> solara.Reactive[int]:
    """The workshop's version (``read()``), looked up every ``POLL_SECONDS`` in a thread of
    this page, and at once when a page of this process ``announce``s a change; the page
    re-renders when it changes (a team joined or submitted, a round played), whichever
    process or browser changed it. -1 when the workshop is gone. A page sets it after its
    own change, to show it at once."""

    def safe() -> int:
        try:
            return read()
        except WorkshopError:
            return -1

    version = solara.use_reactive(solara.use_memo(safe, []))

    def follow(cancel) -> None:
        while True:
            with _changes:
                _changes.wait(POLL_SECONDS)
            if cancel.is_set():
                return
            _after_leaders()
            now = safe()
            if now != version.value:
                version.set(now)

    solara.use_thread(follow, dependencies=[], intrusive_cancel=False)
    return version


@dataclass(frozen=True)
class TeamRun:
    """A team's firm as a run ``viz.figures`` and ``viz.charts`` draw (``RunData``)."""

    name: str
    title: str
    steps: int
    weeks: object  # workshop.firm.Weeks
    marks: tuple[Mark, ...] = ()

    def series(self, metric: str) -> np.ndarray:
        return self.weeks.series(metric)


def team_run(record: TeamRecord, round_weeks: int, events: Sequence = ()) -> TeamRun:
    """``record``'s weeks, each round's decision marked where it took effect, and the events
    the team met (``events``: the workshop's ``EventRecord``s played so far)."""
    marks = [
        Mark((r.round - 1) * round_weeks, "lever", f"round {r.round}", dec.describe(r.decision))
        for r in record.rounds[1:]
        if r.status == "submitted" and (r.decision.levers or r.decision.actions)
    ]
    played = len(record.rounds) - 1
    marks += [
        Mark((e.round - 1) * round_weeks + e.week, "event", e.kind.replace("_", " "), e.kind)
        for e in events
        if e.round <= played and (e.team is None or e.team == record.name)
    ]
    return TeamRun(record.name, record.name, len(record.weeks) - 1, record.weeks, tuple(marks))


def team_runs(report: Report) -> list[TeamRun]:
    """Every team's run, in the order teams joined (their colours follow it)."""
    return [team_run(t, report.status.round_weeks, report.events) for t in report.teams]


def join_url(code: str) -> str:
    """The link a team opens to join workshop ``code``: on the address this page was opened
    with, unless that is this machine's own and ``cxlab dashboard`` knows one others reach."""
    host = None
    headers = solara.lab.headers.value or {}
    for name, values in headers.items():
        if name.lower() == "host" and values:
            host = values[0]
    public = os.environ.get(PUBLIC_ENV)
    base = f"http://{host}" if host else (public or "http://127.0.0.1:8765")
    if public and host and _loopback(host):
        base = public
    return f"{base.rstrip('/')}{BASE}/team?code={code}"


def _loopback(host: str) -> bool:
    name = urlsplit(f"//{host}").hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def code_from(router) -> str:
    """The join code in the page's address (``?code=``), as typed."""
    from urllib.parse import parse_qs

    values = parse_qs((router.search or "").lstrip("?")).get("code") or [""]
    return values[0][:20]


CSS = """
.room { max-width: 1880px; margin: 0 auto; }
.room h1 { font-size: 1.6rem; margin: 0; } .room h2 { font-size: 1.25rem; margin: 0 0 6px 0; }
.room-card { border: 1px solid #ddd; border-radius: 8px; padding: 10px 14px; background: white; min-width: 0; }
.room-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; }
.room-charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 10px; }
.join-code { font-size: 3rem; font-weight: 800; letter-spacing: 0.12em; font-family: ui-monospace, monospace; }
.join-link { font-size: 0.95rem; word-break: break-all; color: #333; }
.qr svg { width: 200px; height: 200px; }
.round-title { font-size: 1.35rem; font-weight: 700; }
.countdown { font-size: 1.35rem; font-weight: 700; color: #1f4e79; }
.countdown-soon { color: #b35c00; } .countdown-over { color: #b3261e; }
.state { font-size: 1.05rem; color: #333; }
.field-error { font-size: 0.95rem; color: #b00020; font-weight: 600; margin: 2px 0 6px 0; display: block; }
.ok-note { color: #1e7b34; font-weight: 600; }
.room table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
.room th, .room td { border-bottom: 1px solid #e4e7eb; padding: 4px 8px; text-align: right; vertical-align: top; }
.room th:first-child, .room td:first-child, .room td.text, .room th.text { text-align: left; }
.room thead th { background: #f0f4f8; }
.table-scroll { overflow-x: auto; }
.status-submitted { color: #1e7b34; font-weight: 700; } .status-draft { color: #b35c00; } .status-waiting { color: #777; }
.rank-badge { font-size: 1.6rem; font-weight: 800; color: #1f4e79; }
.price { font-weight: 700; white-space: nowrap; }
.action-box { border-top: 1px solid #eee; padding-top: 6px; margin-top: 6px; }
.lever-ends span { font-size: 0.8rem; color: #555; }
.projector .v-application, .projector { font-size: 1.5rem; }
.projector .join-code { font-size: 5rem; }
.projector .round-title { font-size: 2.4rem; }
.projector .countdown { font-size: 2.4rem; }
.projector .state { font-size: 1.4rem; }
.projector table { font-size: 1.6rem; }
@media (max-width: 700px) {
  .room-grid, .room-charts { grid-template-columns: 1fr; }
  .room h1 { font-size: 1.25rem; }
  .room-card { padding: 8px 10px; }
  .join-code { font-size: 2rem; }
  .v-app-bar .v-toolbar__title { font-size: 1.05rem; }
}
"""
