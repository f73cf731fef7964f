"""The workshop dashboard page: ``solara run viz/app.py`` (or ``cxlab dashboard``).

Each browser session gets its own ``Lab`` (its own models), created once per
session with ``solara.use_memo``. Playing runs in a thread that steps the
models and then bumps ``tick``; only the small components that show numbers
or pictures (``KpiValues``, ``ChartImage``, the week counter) follow ``tick``,
so a redraw re-renders a dozen widgets, not the page. Only the open tab is
drawn, and the org chart and network redraw every few weeks while playing.

Sharing the server (``Pacer``). One server process runs Python on one core,
and every session playing in it shares that core, so the play loops of a
process pace themselves together:

* Budget: the playing sessions together use at most ``BUDGET`` of a core,
  leaving the rest for clicks, page loads and the websockets; each playing
  session gets an even share, ``BUDGET / players``, of CPU time per second.
* Costs are measured, not assumed: each session keeps running averages of
  the CPU time of a week's step and of a redraw (a run compared with another
  costs about twice as much as one run alone), starting from the averages
  over all the process's sessions.
* Within its share a session keeps, in this order: a redraw at least every
  ``MAX_FRAME`` seconds; its chosen speed in weeks per second; then more
  redraws, up to one every ``MIN_FRAME`` seconds. When the share cannot pay
  for the chosen speed the weeks slow down (never below one week per
  redraw), so many players degrade every session evenly instead of starving
  some of them.
* Turns: a session steps and redraws only when it holds the process's turn,
  handed out first come, first served, so at most one play loop runs Python
  at a time. Clicks (Step, Pause, levers, events) do not queue for the turn,
  so they stay responsive with many sessions playing.

The page's layout keeps the parts that do not change per tick (titles, help
lines, download buttons, the sidebar) in components whose arguments stay the
same, and the callbacks it passes down are created once per session.

With one session the budget is ample: the chosen speed holds and the charts
redraw five times a second. To use more cores, serve from several processes
(``cxlab dashboard --workers N``, see ``viz.serve``).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

import solara
import solara.lab

from viz import components as ui
from viz.lab import Lab
from viz.serve import LOAD_FILE_ENV

# reacton's fast renderer (opt-in in reacton 1.11) skips the parts of the page that did not
# change: a tick then re-renders the dozen widgets that follow it, where the classic renderer
# walks all ~500 elements of the page. It is read whenever a page is rendered, so setting it
# here, before any page exists, is enough (``viz.serve`` also sets it for the server).
os.environ.setdefault("REACTON_FAST", "1")

DEFAULT_SCENARIO = "baseline"
DEFAULT_SEED = 1
DEFAULT_SPEED = 20  # weeks per second
MAX_BEHIND = 2.0  # seconds of weeks that may be stepped at once when drawing is slow
DRAW_WAIT = 0.25  # seconds to wait for a redraw another thread is doing; frames are paced anyway
BUDGET = 0.75  # share of one core that playing sessions may use together; the rest keeps clicks quick
MIN_FRAME = 0.2  # seconds between redraws at best: five a second look smooth
MAX_FRAME = 2.0  # seconds between redraws at worst: slower than this, the charts look stuck
TURN_POLL = 0.1  # seconds between checks for Pause while waiting for the turn
# Starting guesses of the CPU costs, replaced by measurements after the first frames
# (seconds; measured on a 2-core laptop at the default size).
FIRST_STEP_COST = 0.004
FIRST_DRAW_COST = 0.05
COST_MEMORY = 0.2  # weight of the newest measurement in the running averages
OUTLIER = 3.0  # a measurement counts at most this many times the running average

TABS: dict[str, tuple[str, ...]] = {
    "Overview": ("culture", "funnel", "satisfaction", "money"),
    "Organisation": ("org", "culture", "people"),
    "Customers": ("network", "funnel", "wom", "satisfaction"),
    "Service and money": ("service", "money"),
}


class Costs:
    """Running averages of CPU seconds per week stepped and per redraw."""

    def __init__(self, step: float = FIRST_STEP_COST, draw: float = FIRST_DRAW_COST) -> None:
        self.step = step
        self.draw = draw
        self._lock = threading.Lock()

    def copy(self) -> Costs:
        with self._lock:
            return Costs(self.step, self.draw)

    def record(self, weeks: int, step_seconds: float, draw_seconds: float | None) -> None:
        """Fold in one frame: ``weeks`` stepped in ``step_seconds``, drawn in ``draw_seconds``
        (None when another thread drew it). A rare full chart redraw counts at most
        ``OUTLIER`` times the average, so one does not slow a session for many frames."""
        with self._lock:
            if weeks > 0:
                self.step += COST_MEMORY * (min(step_seconds / weeks, OUTLIER * self.step) - self.step)
            if draw_seconds is not None:
                self.draw += COST_MEMORY * (min(draw_seconds, OUTLIER * self.draw) - self.draw)


class Pacer:
    """Shares one server process among the sessions playing in it (see the module docstring)."""

    def __init__(self, budget: float = BUDGET) -> None:
        self.budget = budget
        self.costs = Costs()  # all sessions' frames: a new session starts from what they cost
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._busy = False
        self._players: set[object] = set()

    @property
    def players(self) -> int:
        """Sessions playing now."""
        with self._cond:
            return len(self._players)

    def join(self, who: object) -> None:
        with self._cond:
            self._players.add(who)

    def leave(self, who: object) -> None:
        with self._cond:
            self._players.discard(who)

    def plan(self, speed: float, costs: Costs) -> tuple[float, float]:
        """Seconds between redraws and weeks per second for a session wanting ``speed``."""
        share = self.budget / max(1, self.players)
        fewest = costs.draw / MAX_FRAME  # CPU per second of the slowest acceptable redraws
        rate = min(float(speed), max(0.0, share - fewest) / costs.step)
        frames = min(1 / MIN_FRAME, max(1 / MAX_FRAME, (share - rate * costs.step) / costs.draw))
        return 1 / frames, max(rate, frames)  # at least a week per redraw: always moving

    @contextmanager
    def turn(self, stopped: Callable[[], bool]) -> Iterator[bool]:
        """Wait for this process's turn, first come first served. Yields True holding the
        turn, or False (without it) when ``stopped()`` became true while waiting."""
        me, got = object(), False
        with self._cond:
            self._queue.append(me)
            try:
                while self._busy or self._queue[0] is not me:
                    if stopped():
                        break
                    self._cond.wait(TURN_POLL)
                else:
                    self._busy = got = True
            finally:
                self._queue.remove(me)
                self._cond.notify_all()
        try:
            yield got
        finally:
            if got:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


PACER = Pacer()  # one per server process: its sessions share one core


class Sessions:
    """The browser sessions open in this process; a worker of a multi-process server writes
    their count (and how many play) to the file named by ``LOAD_FILE_ENV`` for its front door."""

    def __init__(self) -> None:
        self.open = 0
        self._lock = threading.Lock()

    def opened(self) -> Callable[[], None]:
        """Count a new session; returns the function that counts it closed."""
        self._change(+1)
        return lambda: self._change(-1)

    def _change(self, delta: int) -> None:
        with self._lock:
            self.open += delta
        self.report()

    def report(self) -> None:
        path = os.environ.get(LOAD_FILE_ENV)
        if not path:
            return
        with self._lock:
            text = json.dumps({"sessions": self.open, "playing": PACER.players})
            partial = f"{path}.partial"
            with open(partial, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(partial, path)  # the front door never reads a half-written file


SESSIONS = Sessions()


def play(
    lab: Lab,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    tick: solara.Reactive[int],
    drawn: threading.Event,
    cancel: threading.Event,
    pacer: Pacer = PACER,
) -> None:
    """Advance ``lab`` at ``speed`` weeks per second while ``playing``; bump ``tick`` to redraw.

    Weeks fall due at the pace ``pacer.plan`` allows; each frame, when due and
    when the session holds the process's turn, steps the weeks due and redraws
    once, so a slow redraw only means the next one shows more weeks at once.
    Pauses by itself at the scenario's horizon when started before it.
    """
    me = object()
    pacer.join(me)
    SESSIONS.report()
    costs = pacer.costs.copy()  # this session's own: comparing two runs costs about twice as much
    try:
        stop_at = lab.horizon if lab.steps < lab.horizon else None
        last, credit, next_frame = time.perf_counter(), 1.0, 0.0

        def stopped() -> bool:
            return not playing.value or cancel.is_set()

        while not stopped():
            now = time.perf_counter()
            interval, rate = pacer.plan(speed.value, costs)
            credit = min(credit + (now - last) * rate, max(MAX_BEHIND, 2 * interval) * rate)
            last = now
            due = int(credit)
            if stop_at is not None:
                due = min(due, stop_at - lab.steps)
            if now < next_frame or (due <= 0 and (stop_at is None or lab.steps < stop_at)):
                wait = next_frame - now if now < next_frame else (1.0 - credit) / rate
                time.sleep(min(max(0.005, wait), 0.05))
                continue
            with pacer.turn(stopped) as got:
                if not got:
                    break
                started = time.perf_counter()
                cpu0 = time.thread_time()
                lab.step(due)
                cpu1 = time.thread_time()
                drawn.clear()
                tick.set(tick.value + 1)  # redraws the views (in this thread unless a redraw is running)
                cpu2 = time.thread_time()
                here = drawn.is_set()
            for c in (costs, pacer.costs):
                c.record(due, cpu1 - cpu0, cpu2 - cpu1 if here else None)
            credit -= due
            next_frame = started + interval
            if stop_at is not None and lab.steps >= stop_at:
                playing.set(False)
            if not here:
                drawn.wait(timeout=DRAW_WAIT)
    finally:
        pacer.leave(me)
        SESSIONS.report()


@solara.component
def Views(
    lab: Lab,
    tick: solara.Reactive[int],
    playing: bool,
    drawn: threading.Event | None = None,
    version: Hashable = 0,
) -> None:
    """KPI cards and the tabs of charts.

    Rendered when ``version`` changes (the runs were rebuilt: a new scenario,
    compare mode, reset) or on Play/Pause; on a tick only the components that
    follow ``tick`` re-render.
    """
    tab = solara.use_reactive(0)
    snaps = lab.snapshot()
    with solara.Column(style={"padding": "4px 8px", "gap": "8px"}):
        with solara.Row(style={"align-items": "baseline", "gap": "16px"}):
            WeekCounter(lab, tick)
            names = " vs ".join(f"{s.name}: {s.title}" for s in snaps) if len(snaps) > 1 else snaps[0].title
            solara.Text(names, classes=["run-titles"], style={"color": "#555"})
        ui.KpiCards(lab, tick)
        with solara.lab.Tabs(value=tab, lazy=True):
            for title, keys in TABS.items():
                with solara.lab.Tab(title):
                    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}):
                        for key in keys:
                            wide = key == "org" or (key == "network" and len(snaps) > 1)
                            with solara.Div(
                                style={"flex": "1 1 100%" if wide else "1 1 480px", "min-width": "0"}
                            ):
                                ui.ChartView(key, lab, tick, playing)
        Drawn(tick, drawn)


WEEK_STYLE = {"font-size": "1.3rem", "font-weight": "700"}


@solara.component
def WeekCounter(lab: Lab, tick: solara.Reactive[int]) -> None:
    """ "Week N of H", redrawn on every tick."""
    tick.value  # noqa: B018 - subscribe to redraws
    solara.Text(
        f"Week {lab.snapshot()[0].steps} of {lab.horizon}", classes=["week-counter"], style=WEEK_STYLE
    )


@solara.component
def Drawn(tick: solara.Reactive[int], drawn: threading.Event | None) -> None:
    """Sets ``drawn`` after each redraw (it comes last, so the views before it are drawn)."""
    tick.value  # noqa: B018 - subscribe to redraws
    solara.use_effect(lambda: drawn.set() if drawn is not None else None)  # after every render
    solara.Div(style={"display": "none"})


@solara.component
def Page(lab: Lab | None = None) -> None:
    """The dashboard: controls in the sidebar, KPIs and charts in the main area.

    Args:
        lab: the session's runs; a new ``Lab`` per browser session when not given (tests pass one).
    """
    own = solara.use_memo(lambda: Lab(DEFAULT_SCENARIO, seed=DEFAULT_SEED) if lab is None else None, [])
    lab = lab if lab is not None else own
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    tick = solara.use_reactive(0)
    controls = solara.use_reactive(0)  # bumped when control values change outside the controls
    error = solara.use_reactive(None)
    drawn = solara.use_memo(threading.Event, [])
    solara.use_effect(SESSIONS.opened, [])  # counted closed when the session ends

    def make_callbacks() -> tuple[Callable[[], None], Callable[[], None]]:
        def refresh() -> None:
            controls.set(controls.value + 1)
            tick.set(tick.value + 1)

        def redraw() -> None:
            tick.set(tick.value + 1)

        return refresh, redraw

    # the same functions on every render, so the components they are passed to need not re-render
    refresh, redraw = solara.use_memo(make_callbacks, [])

    solara.use_thread(
        lambda cancel: play(lab, playing, speed, tick, drawn, cancel),
        dependencies=[playing.value],
        intrusive_cancel=False,
    )

    solara.Title("CX Culture Lab")
    with solara.AppBar():
        solara.AppBarTitle("CX Culture Lab: culture, customers, profit")
    with solara.Sidebar():
        Sidebar(lab, playing, speed, refresh, redraw, error, controls)
    controls.value  # noqa: B018 - re-rendered on control changes, to pass Views what it shows
    Views(lab, tick, playing.value, drawn, (lab.builds, lab.compare))


@solara.component
def Sidebar(
    lab: Lab,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    refresh: Callable[[], None],
    redraw: Callable[[], None],
    error: solara.Reactive[str | None],
    controls: solara.Reactive[int],
) -> None:
    """All controls, grouped in cards.

    Re-rendered whenever ``controls`` is bumped; each card is given a ``version``
    that changes only when what it shows may have changed, and re-renders only then.
    """
    controls.value  # noqa: B018 - subscribe to control changes
    runs = (lab.builds, lab.target)  # scenarios, seed, lever positions, what levers act on
    fired = sum(len(r.model.event_log) for r in lab.runs)
    with solara.Column(style={"gap": "6px"}):
        with solara.Div():  # always here, so a message coming or going does not rebuild the cards below
            if error.value:
                solara.Error(error.value, classes=["error-msg"])
        with solara.Card("Run", margin=0):
            ui.RunControls(lab, playing, speed, refresh, error, redraw)
        with solara.Card("Scenario", margin=0):
            ui.ScenarioControls(lab, refresh, error, runs)
        with solara.Card("Events: fire now", margin=0):
            ui.EventControls(lab, refresh, error, (runs, fired))
        with solara.Card("Policy levers", margin=0):
            ui.LeverControls(lab, refresh, error, runs)
        with solara.Card("Export", margin=0):
            ui.ExportControls(lab, runs)
        with solara.Card("World size (applies at reset)", margin=0):
            ui.SizeControls(lab, refresh, error)
