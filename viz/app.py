"""The dashboard: the explorer at ``/`` and the workshop rooms under ``/workshop``
(``viz.rooms``), one Solara app with multi-page routing (``routes``); served by
``cxlab dashboard``.

Each browser session gets its own ``Lab`` (its own runs), created once per
session; it is restored from the page address when that holds a recipe
(``viz.recipe``), so a reload brings back the same run at the same week.
Playing runs in a thread (``viz.pacing.play``) that steps the runs and bumps
``tick``; only the components that show numbers or charts follow ``tick``, and
the charts then receive new data, not pictures (Plotly draws in the browser).

Layout: the run bar (play, step, the week) and the KPIs stay on screen at any
size; the controls live in the drawer, which starts closed on a phone. The
space bar plays and pauses (``viz.browser``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import solara
import solara.lab

from model.params import levers
from viz import components as ui
from viz import recipe
from viz.browser import PageHooks
from viz.lab import InputError, Lab
from viz.pacing import DEFAULT_SPEED, play

# reacton's fast renderer skips the parts of the page that did not change: a tick then
# re-renders the widgets that follow it, not the ~500 elements of the page.
os.environ.setdefault("REACTON_FAST", "1")

DEFAULT_SCENARIO = "baseline"
DEFAULT_SEED = 1
WIDE = 960  # px: from this window width on, the drawer starts open beside the page

TABS: dict[str, tuple[str, ...]] = {
    "Overview": ("culture", "funnel", "satisfaction", "money"),
    "Organisation": ("org", "culture", "people"),
    "Customers": ("network", "funnel", "wom", "satisfaction"),
    "Service and money": ("service", "money"),
}

CSS = """
.week-counter { font-size: 1.35rem; font-weight: 700; }
.run-titles { color: #444; font-size: 1rem; }
.kpi-row { display: flex; flex-wrap: wrap; gap: 8px; }
.kpi { flex: 1 1 118px; min-width: 118px; padding: 6px 10px; border: 1px solid #ddd; border-radius: 6px; background: white; }
.speed-select { width: 150px; }
.kpi-label { font-size: 0.9rem; color: #333; font-weight: 600; display: block; }
.kpi-value { font-size: 1.45rem; font-weight: 700; white-space: nowrap; display: block; }
.kpi-value.run-A { color: #1f4e79; } .kpi-value.run-B { color: #d9731a; }
.kpi-delta { font-size: 0.85rem; display: block; }
.kpi-help { font-size: 0.8rem; color: #555; display: block; line-height: 1.2; }
.chart { border: 1px solid #ddd; border-radius: 6px; padding: 4px; background: white; min-width: 0; }
.chart > div { height: auto !important; }
.chart-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 10px; }
.lever { margin-bottom: 10px; }
.lever-label { font-weight: 600; font-size: 0.95rem; display: block; }
.lever-ends span { font-size: 0.8rem; color: #555; }
@media (max-width: 1400px) { .kpi-help { display: none; } }
@media (max-width: 700px) {
  .chart-grid { grid-template-columns: 1fr; }
  .kpi { flex: 1 1 45%; min-width: 0; padding: 4px 6px; }
  .kpi-help { display: none; }
  .kpi-value { font-size: 1.15rem; }
  .kpi-label { font-size: 0.8rem; }
  .speed-select { display: none; }
  .v-navigation-drawer { max-width: 100vw !important; min-width: 0 !important; width: 100vw !important; }
  .solara-content-main { padding-left: 4px !important; padding-right: 4px !important; }
}
"""

wide_screen = solara.reactive(False)  # per browser session: set from the window's width


@solara.component
def Layout(children: list = []) -> None:  # noqa: B006 - Solara's layout signature
    """Solara's app layout, its drawer open only on a wide screen."""
    solara.AppLayout(children=children, sidebar_open=wide_screen.value)


def _new_lab(search: str | None) -> tuple[Lab, str | None]:
    """The session's runs: from the address's recipe when it has a valid one."""
    try:
        data = recipe.from_search(search)
        if data is not None:
            return recipe.restore(data), None
    except InputError as exc:
        return Lab(DEFAULT_SCENARIO, seed=DEFAULT_SEED), str(exc)
    return Lab(DEFAULT_SCENARIO, seed=DEFAULT_SEED), None


@solara.component
def Page(lab: Lab | None = None) -> None:
    """The dashboard: run bar, KPIs and charts in the main area, controls in the drawer.

    Args:
        lab: the session's runs; made per browser session when not given (tests pass one).
    """
    router = solara.use_router()
    made = solara.use_memo(lambda: _new_lab(router.search) if lab is None else (None, None), [])
    lab = lab if lab is not None else made[0]
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    tick = solara.use_reactive(0)
    controls = solara.use_reactive(0)  # bumped when the runs change outside the play loop
    address_error = solara.use_reactive(made[1])
    drawn = solara.use_memo(threading.Event, [])

    def make_callbacks() -> tuple[Callable[[], None], Callable[[], None]]:
        def refresh() -> None:  # the runs changed: controls and views
            controls.set(controls.value + 1)
            tick.set(tick.value + 1)

        def redraw() -> None:  # the runs stepped on: views only
            tick.set(tick.value + 1)

        return refresh, redraw

    refresh, redraw = solara.use_memo(make_callbacks, [])  # the same functions on every render

    solara.use_thread(
        lambda cancel: play(lab, playing, speed, tick, drawn, cancel),
        dependencies=[playing.value],
        intrusive_cancel=False,
    )

    Hooks(lab, tick, playing)
    solara.Style(CSS)
    solara.Title("CX Culture Lab")
    with solara.AppBar():
        solara.AppBarTitle("CX Culture Lab")
    with solara.Sidebar():
        Sidebar(lab, refresh, controls.value, playing.value)
    with solara.Column(style={"padding": "2px 4px", "gap": "8px"}):
        if address_error.value:
            solara.Warning(address_error.value, classes=["address-error"])
        ui.RunBar(lab, playing, speed, tick, redraw)
        RunTitles(lab, tick)
        ui.KpiCards(lab, tick)
        Views(lab, tick, playing.value, (lab.builds, lab.compare))
        with solara.Details("Go back or branch", expand=False):
            ui.Timeline(lab, tick, playing.value, refresh)
        Drawn(tick, drawn)


@solara.component
def Hooks(lab: Lab, tick: solara.Reactive[int], playing: solara.Reactive[bool]) -> None:
    """The space bar, the window's width, and the recipe in the address (written when paused)."""
    tick.value  # noqa: B018 - the address follows every change
    address = "" if playing.value else recipe.query(lab.recipe())

    def toggle(_presses: int) -> None:
        playing.set(not playing.value and not lab.at_end)

    PageHooks.element(address=address, on_space_presses=toggle, on_width=lambda w: wide_screen.set(w >= WIDE))


@solara.component
def RunTitles(lab: Lab, tick: solara.Reactive[int]) -> None:
    """The runs' titles (they name the levers set away from the scenario)."""
    tick.value  # noqa: B018 - a title changes when a lever moves
    snaps = lab.snapshot()
    names = " vs ".join(f"{s.name}: {s.title}" for s in snaps) if len(snaps) > 1 else snaps[0].title
    solara.Text(names, classes=["run-titles"])


@solara.component
def Views(lab: Lab, tick: solara.Reactive[int], playing: bool, version: object = 0) -> None:
    """The tabs of charts; only the open tab is drawn."""
    tab = solara.use_reactive(0)
    with solara.lab.Tabs(value=tab, lazy=True):
        for title, keys in TABS.items():
            with solara.lab.Tab(title):
                with solara.Div(classes=["chart-grid"]):
                    for key in keys:
                        ui.ChartView(key, lab, tick, playing)


@solara.component
def Drawn(tick: solara.Reactive[int], drawn: threading.Event | None) -> None:
    """Sets ``drawn`` after each redraw (it comes last, so the views before it are drawn)."""
    tick.value  # noqa: B018 - subscribe to redraws
    solara.use_effect(lambda: drawn.set() if drawn is not None else None)  # after every render
    solara.Div(style={"display": "none"})


@solara.component
def Sidebar(lab: Lab, refresh: Callable[[], None], version: int, playing: bool) -> None:
    """All controls, grouped in cards; each re-renders only when what it shows may have changed."""
    runs = (lab.builds, lab.target)  # scenarios, seed, sizes, compare mode, what levers act on
    with solara.Column(style={"gap": "6px"}):
        with solara.Card("Scenario", margin=0):
            ui.ScenarioControls(lab, refresh, runs)
        with solara.Card("Events: fire now", margin=0):
            ui.EventControls(lab, refresh, runs)
        with solara.Card("Changes so far", margin=0):
            ui.ChangeLog(lab, (runs, version))
        with solara.Card("Policy levers", margin=0):
            ui.LeverControls(lab, refresh, tuple(ui.lever_shown(lab, name) for name in levers()))
        with solara.Card("Export", margin=0):
            ui.ExportControls(lab, runs)
        with solara.Card("Seed and world size", margin=0):
            ui.SizeControls(lab, refresh, runs)


@solara.component
def Explorer() -> None:
    """The explorer in its own layout (the workshop pages have theirs)."""
    Layout(children=[Page()])


@solara.component
def Bare(children: list = []) -> None:  # noqa: B006 - Solara's layout signature
    """The root layout: none (each part of the app brings its own)."""
    solara.Column(children=children, style={"padding": "0", "gap": "0"})


def _routes() -> list:
    from viz.rooms.pages import RoomLayout
    from viz.rooms.pages import routes as rooms

    return [
        solara.Route("/", component=Explorer, label="Explorer", layout=Bare),
        solara.Route("workshop", children=rooms, label="Workshop", layout=RoomLayout),
    ]


routes = _routes()
