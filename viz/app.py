"""The workshop dashboard page: ``solara run viz/app.py`` (or ``python run.py dashboard``).

Each browser session gets its own ``Lab`` (its own models), created once per
session with ``solara.use_memo``. Playing runs in a thread that advances the
models at the chosen speed in weeks per second and then redraws; when drawing
takes longer than a week's share of time, the next redraw simply shows several
weeks at once, so the speed holds. Only the open tab is drawn, and the org
chart and network redraw every few weeks while playing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import solara
import solara.lab

from viz import components as ui
from viz.lab import Lab

DEFAULT_SCENARIO = "baseline"
DEFAULT_SEED = 1
DEFAULT_SPEED = 20  # weeks per second
MAX_BEHIND = 2.0  # seconds of weeks that may be stepped at once when drawing is slow
DRAW_WAIT = 0.25  # seconds to wait for the redraw to finish; frames are paced by frame_interval() anyway
MIN_FRAME = 0.2  # seconds between redraws while one session plays
FRAME_PER_PLAYER = 0.05  # extra seconds between redraws per other session playing

TABS: dict[str, tuple[str, ...]] = {
    "Overview": ("culture", "funnel", "satisfaction", "money"),
    "Organisation": ("org", "culture", "people"),
    "Customers": ("network", "funnel", "wom", "satisfaction"),
    "Service and money": ("service", "money"),
}


_PLAYERS: set[int] = set()  # sessions playing now, in this server process
_PLAYERS_LOCK = threading.Lock()


def frame_interval() -> float:
    """Seconds between redraws: a few per second for one session, fewer when many play
    at once, so that a workshop's sessions share the server instead of flooding it."""
    with _PLAYERS_LOCK:
        others = max(0, len(_PLAYERS) - 1)
    return MIN_FRAME + FRAME_PER_PLAYER * others


def play(
    lab: Lab,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    tick: solara.Reactive[int],
    drawn: threading.Event,
    cancel: threading.Event,
) -> None:
    """Advance ``lab`` at ``speed`` weeks per second while ``playing``; bump ``tick`` to redraw.

    Weeks are stepped as they fall due; the views are redrawn at most every
    ``frame_interval()`` seconds, and after each redraw request the loop waits
    until the views have been drawn (``drawn``), so redraws never pile up. A
    slow redraw only means the next one shows more weeks at once. Pauses by
    itself at the scenario's horizon when started before it.
    """
    me = id(cancel)
    with _PLAYERS_LOCK:
        _PLAYERS.add(me)
    try:
        stop_at = lab.horizon if lab.steps < lab.horizon else None
        last, credit, next_frame = time.perf_counter(), 1.0, 0.0
        while playing.value and not cancel.is_set():
            now = time.perf_counter()
            rate = speed.value
            interval = frame_interval()
            credit = min(credit + (now - last) * rate, max(MAX_BEHIND, 2 * interval) * rate)
            last = now
            due = int(credit)
            if stop_at is not None:
                due = min(due, stop_at - lab.steps)
            if now < next_frame or (due <= 0 and (stop_at is None or lab.steps < stop_at)):
                wait = next_frame - now if now < next_frame else (1.0 - credit) / rate
                time.sleep(min(max(0.005, wait), 0.05))
                continue
            next_frame = now + interval
            credit -= due
            lab.step(due)
            if stop_at is not None and lab.steps >= stop_at:
                playing.set(False)
            drawn.clear()
            tick.set(tick.value + 1)  # redraws the views (in this thread unless a redraw is running)
            drawn.wait(timeout=DRAW_WAIT)
    finally:
        with _PLAYERS_LOCK:
            _PLAYERS.discard(me)


@solara.component
def Views(lab: Lab, tick: solara.Reactive[int], playing: bool, drawn: threading.Event | None = None) -> None:
    """KPI cards and the tabs of charts; re-rendered on every tick, then sets ``drawn``."""
    tick.value  # noqa: B018 - subscribe to redraws
    solara.use_effect(lambda: drawn.set() if drawn is not None else None)  # after every render
    tab = solara.use_reactive(0)
    snaps = solara.use_memo(lab.snapshot, [lab.builds, lab.version])
    weeks = snaps[0].steps
    with solara.Column(style={"padding": "4px 8px", "gap": "8px"}):
        with solara.Row(style={"align-items": "baseline", "gap": "16px"}):
            solara.Text(
                f"Week {weeks} of {lab.horizon}",
                classes=["week-counter"],
                style={"font-size": "1.3rem", "font-weight": "700"},
            )
            names = " vs ".join(f"{s.name}: {s.title}" for s in snaps) if len(snaps) > 1 else snaps[0].title
            solara.Text(names, classes=["run-titles"], style={"color": "#555"})
        ui.KpiCards(snaps)
        with solara.lab.Tabs(value=tab, lazy=True):
            for title, keys in TABS.items():
                with solara.lab.Tab(title):
                    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}):
                        for key in keys:
                            wide = key == "org" or (key == "network" and len(snaps) > 1)
                            with solara.Div(
                                style={"flex": "1 1 100%" if wide else "1 1 480px", "min-width": "0"}
                            ):
                                ui.ChartView(key, lab, snaps, playing)


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

    def refresh() -> None:
        controls.set(controls.value + 1)
        tick.set(tick.value + 1)

    def redraw() -> None:
        tick.set(tick.value + 1)

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
    Views(lab, tick, playing.value, drawn)


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
    """All controls, grouped in cards."""
    version = controls.value  # passed down: components re-render only when their arguments change
    with solara.Column(style={"gap": "6px"}):
        if error.value:
            solara.Error(error.value, classes=["error-msg"])
        with solara.Card("Run", margin=0):
            ui.RunControls(lab, playing, speed, refresh, error, redraw)
        with solara.Card("Scenario", margin=0):
            ui.ScenarioControls(lab, refresh, error, version)
        with solara.Card("Events: fire now", margin=0):
            ui.EventControls(lab, refresh, error, version)
        with solara.Card("Policy levers", margin=0):
            ui.LeverControls(lab, refresh, error, version)
        with solara.Card("Export", margin=0):
            ui.ExportControls(lab, version)
        with solara.Card("World size (applies at reset)", margin=0):
            ui.SizeControls(lab, refresh, error, version)
