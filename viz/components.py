"""Solara components of the dashboard: run controls, KPI cards, charts, sidebar controls.

Components receive the session's ``Lab`` and a few reactive values from the
page, and a ``version`` that changes when what they show may have changed (they
re-render only when their arguments change). They change the runs only through
``Lab`` methods, which check every value; a refused value shows as one plain
sentence beside the control it came from (``attempt``). Words come from
``SPECS`` (levers), ``METRICS`` (KPIs, charts) and ``EVENTS``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np
import solara
from plotly.graph_objs import FigureWidget
from solara import v

from model import SPECS, available
from model.departments import DEPARTMENTS
from model.events import EVENTS
from model.metrics import METRICS
from model.params import ParameterError, levers
from viz import export
from viz.charts import CHARTS, KPIS, Kpi, kpi_delta, kpi_value
from viz.lab import (
    SIZE_LABELS,
    SIZE_NAMES,
    YEAR,
    InputError,
    Lab,
    event_summary,
    lever_label,
    lever_summary,
    scenario_info,
)

OPTION_STEP = 0.05  # slider step for options between 0 and 1: finer differences do not show in a workshop
SPEEDS = {"5 weeks/s": 5, "10 weeks/s": 10, "20 weeks/s": 20, "40 weeks/s": 40}
HEAVY_EVERY = 20  # while playing, the org chart and network redraw every this many weeks
CAPTION = {"font-size": "0.85rem", "color": "#555", "line-height": "1.25", "margin": "0 0 6px 0"}
ERROR = {"font-size": "0.9rem", "color": "#b00020", "font-weight": "600", "margin": "2px 0 6px 0"}


def caption(text: str, classes: list[str] | None = None) -> None:
    """A small grey help line."""
    solara.Text(text, style=CAPTION, classes=classes or [])


def attempt(action: Callable[[], None], error: solara.Reactive[str | None]) -> bool:
    """Run ``action``; a refused value shows as ``error`` (one sentence) beside its control."""
    try:
        action()
    except InputError as exc:
        error.set(str(exc))
        return False
    except ParameterError as exc:  # the model refused a value the page checks let through
        error.set(f"That value cannot be used here: {exc}.")
        return False
    error.set(None)
    return True


@solara.component
def FieldError(error: solara.Reactive[str | None], name: str) -> None:
    """The message for the control above it, when it refused a value."""
    if error.value:
        solara.Text(error.value, style=ERROR, classes=["field-error", f"error-{name}"])


# ------------------------------------------------------------------ KPIs
@solara.component
def KpiCards(lab: Lab, tick: solara.Reactive[int]) -> None:
    """Headline numbers now, with their change since the start (A and B in compare mode)."""
    with solara.Div(classes=["kpi-row"]):
        for kpi in KPIS:
            with solara.Div(classes=["kpi"]):
                solara.Text(kpi.label, classes=["kpi-label"])
                KpiValues(kpi, lab, tick)
                solara.Text(METRICS[kpi.metric].meaning, classes=["kpi-help"])


@solara.component
def KpiValues(kpi: Kpi, lab: Lab, tick: solara.Reactive[int]) -> None:
    """One KPI's value and change per run, redrawn on every tick."""
    tick.value  # noqa: B018 - subscribe to redraws
    snaps = lab.snapshot()
    with solara.Div():
        for snap in snaps:
            delta, colour = kpi_delta(kpi, snap)
            prefix = f"{snap.name} " if len(snaps) > 1 else ""
            solara.Text(
                prefix + kpi_value(kpi, snap), classes=["kpi-value", f"kpi-{kpi.metric}", f"run-{snap.name}"]
            )
            solara.Text(delta, style={"color": colour}, classes=["kpi-delta"])


# ------------------------------------------------------------------ charts
PLOT_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2, "width": 1400},
}


class Figure(FigureWidget):
    """Plotly's widget with the dashboard's settings (PNG download named after the chart)."""

    def __init__(self, _filename: str = "chart") -> None:
        super().__init__()
        self._filename = _filename
        self._config = {
            **PLOT_CONFIG,
            "toImageButtonOptions": {**PLOT_CONFIG["toImageButtonOptions"], "filename": _filename},
        }


def show(widget: FigureWidget, fig) -> None:
    """Put figure ``fig`` into ``widget`` in one update (layout and lines)."""
    with widget.batch_update():
        widget.layout = fig.layout
        old = len(widget.data)
        widget.add_traces(fig.data)
        widget.data = widget.data[old:]


@solara.component
def Plot(make: Callable[[], object], version: Hashable, filename: str = "chart") -> None:
    """A figure drawn in the browser by Plotly, made by ``make()`` again only when
    ``version`` changes (zoom and legend choices survive through ``uirevision``)."""
    element = Figure.element(_filename=filename)
    solara.use_effect(lambda: show(solara.get_widget(element), make()), [version])


@solara.component
def ChartView(key: str, lab: Lab, tick: solara.Reactive[int], playing: bool) -> None:
    """One chart (its title is in the figure, so a downloaded PNG carries it) and its help line."""
    with solara.Div(classes=["chart", f"chart-{key}"]):
        LivePlot(key, lab, tick, playing)
        caption(CHARTS[key].help)


@solara.component
def LivePlot(key: str, lab: Lab, tick: solara.Reactive[int], playing: bool) -> None:
    """The chart, drawn in the browser by Plotly. While only the weeks grow, only the new
    y values are sent (the lines update in place, zoom and legend choices stay); a new
    title, mark or horizon redraws the figure. The org chart and network are drawn
    afresh, every ``HEAVY_EVERY`` weeks while playing."""
    tick.value  # noqa: B018 - subscribe to redraws
    chart = CHARTS[key]
    snaps = lab.snapshot()
    element = Figure.element(_filename=key)
    shape = solara.use_ref(None)
    steps = snaps[0].steps
    if chart.live:
        signature = (lab.builds, lab.horizon, tuple((s.name, s.title, s.marks) for s in snaps))
        redraw = (signature, steps)
    else:
        signature = (lab.builds, lab.version, len(snaps), steps // HEAVY_EVERY if playing else steps)
        redraw = signature

    def update() -> None:
        widget = solara.get_widget(element)
        if shape.current != signature:
            show(widget, chart.figure(snaps, lab.horizon))
            shape.current = signature
        else:  # one restyle message with every line's new values
            ys = chart.data(snaps)
            widget.plotly_restyle({"x": [np.arange(len(y)) for y in ys], "y": ys}, list(range(len(ys))))

    solara.use_effect(update, [redraw])


# ------------------------------------------------------------------ the run bar
@solara.component
def RunBar(
    lab: Lab,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    tick: solara.Reactive[int],
    redraw: Callable[[], None],
) -> None:
    """Play/pause, step, the week, and at the end "extend by a year": always on screen.
    On a tick only the week re-renders (and the buttons when the end is reached)."""
    tick.value  # noqa: B018 - the end follows the runs
    error = solara.use_reactive(None)
    with solara.Row(classes=["run-bar"], style={"align-items": "center", "gap": "8px", "flex-wrap": "wrap"}):
        RunButtons(lab, playing, redraw, error, lab.at_end)
        WeekCounter(lab, tick)
        RunEnd(lab, playing, speed, redraw, error, lab.at_end)
    FieldError(error, "run")


@solara.component
def WeekCounter(lab: Lab, tick: solara.Reactive[int]) -> None:
    """ "Week N of H", redrawn on every tick."""
    tick.value  # noqa: B018 - subscribe to redraws
    solara.Text(f"Week {lab.steps} of {lab.horizon}", classes=["week-counter"])


@solara.component
def RunButtons(
    lab: Lab, playing: solara.Reactive[bool], redraw: Callable[[], None], error: solara.Reactive, at_end: bool
) -> None:
    def step() -> None:
        if attempt(lambda: lab.step(1), error):
            redraw()

    with solara.Row(style={"gap": "8px"}):  # one component's elements would stack otherwise
        solara.Button(
            "Pause" if playing.value else "Play",
            icon_name="mdi-pause" if playing.value else "mdi-play",
            color="primary",
            on_click=lambda: playing.set(not playing.value and not lab.at_end),
            disabled=at_end and not playing.value,
            classes=["play-btn"],
        )
        solara.Button(
            "Step",
            icon_name="mdi-step-forward",
            on_click=step,
            disabled=playing.value or at_end,
            classes=["step-btn"],
        )


@solara.component
def RunEnd(
    lab: Lab,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    redraw: Callable[[], None],
    error: solara.Reactive,
    at_end: bool,
) -> None:
    """At the horizon, "extend by a year"; and the speed."""

    def extend() -> None:
        if attempt(lambda: lab.extend(YEAR), error):
            redraw()

    def set_speed(label: str) -> None:
        if label in SPEEDS:
            speed.set(SPEEDS[label])

    with solara.Row(style={"gap": "8px", "align-items": "center", "flex-wrap": "wrap"}):
        if at_end and not playing.value:
            solara.Button(
                "Extend by a year",
                icon_name="mdi-calendar-plus",
                on_click=extend,
                outlined=True,
                classes=["extend-btn"],
            )
            solara.Text("The scenario's horizon is reached.", classes=["end-note"])
        with solara.Div(classes=["speed-select"]):
            label = next((k for k, r in SPEEDS.items() if r == speed.value), "20 weeks/s")
            solara.Select("Speed", values=list(SPEEDS), value=label, on_value=set_speed)


@solara.component
def Timeline(lab: Lab, tick: solara.Reactive[int], playing: bool, refresh: Callable[[], None]) -> None:
    """Go back to any past week (the runs are replayed to it) or branch run B from there."""
    tick.value  # noqa: B018 - the weeks to go back to grow as the runs step on
    week = solara.use_reactive(lab.steps)
    error = solara.use_reactive(None)
    if playing:
        caption("Pause to go back or branch.")
        return
    if (
        isinstance(week.value, bool)
        or not isinstance(week.value, int | float)
        or not 0 <= week.value <= lab.steps
    ):
        week.set(lab.steps)  # a value the page made up: back to now
        return

    def back() -> None:
        if attempt(lambda: lab.rewind(week.value), error):
            refresh()

    def branch() -> None:
        if attempt(lambda: lab.branch(week.value), error):
            refresh()

    with solara.Div(classes=["timeline"]):
        solara.Text(f"Week {week.value:g}", classes=["timeline-week"])
        Slider(week.value, week.set, 0, max(lab.steps, 1), 1)
        with solara.Row(style={"gap": "6px", "flex-wrap": "wrap"}):
            for text, action, name in (
                ("Go back to", back, "rewind-btn"),
                ("Branch as B from", branch, "branch-btn"),
            ):
                solara.Button(
                    f"{text} week {week.value:g}", on_click=action, small=True, outlined=True, classes=[name]
                )
        caption(
            "Going back replays the same seed, levers and events; changes made later replay as you play on, until you change something. A branch copies run A up to that week as run B: change something there and compare."
        )
    FieldError(error, "timeline")


# ------------------------------------------------------------------ sidebar
@solara.component
def ScenarioControls(lab: Lab, refresh: Callable[[], None], version: Hashable = 0) -> None:
    """Preset pickers for run A and (compare mode) run B, with their descriptions."""
    error = solara.use_reactive(None)
    target_error = solara.use_reactive(None)
    told = solara.use_reactive(False)
    items = [{"text": scenario_info(n).title, "value": n} for n in available()]

    def load_a(name: object) -> None:
        if attempt(lambda: lab.load(name, "A"), error):
            told.set(True)
            refresh()

    def load_b(name: object) -> None:
        if attempt(lambda: lab.set_compare(name), error):
            refresh()

    v.Select(
        label="Scenario (run A)",
        items=items,
        v_model=lab.runs[0].scenario,
        on_v_model=load_a,
        dense=True,
        class_="scenario-a",
    )
    caption(scenario_info(lab.runs[0].scenario).description)
    if told.value:
        caption(
            "The levers now stand where this scenario sets them; changes made before are gone.",
            classes=["scenario-note"],
        )
    b = lab.runs[1].scenario if lab.compare else ""
    v.Select(
        label="Compare with (run B)",
        items=[{"text": "no comparison", "value": ""}, *items],
        v_model=b,
        on_v_model=load_b,
        dense=True,
        class_="scenario-b",
    )
    FieldError(error, "scenario")
    if lab.compare:
        caption(scenario_info(b).description)
        caption("A (blue) and B (orange) run in lock-step from the same seed.")
        solara.Text("Levers and events act on:", style={"font-size": "0.9rem"})
        solara.ToggleButtonsSingle(
            value=lab.target,
            values=["both", "A", "B"],
            on_value=lambda t: attempt(lambda: lab.set_target(t), target_error) and refresh(),
            dense=True,
            classes=["target-toggle"],
        )
        FieldError(target_error, "target")


def lever_shown(lab: Lab, name: str) -> tuple[float, str]:
    """What lever ``name``'s slider shows: the value of the first run it acts on, and its
    value in words (both runs' when they differ, e.g. "A 0.5 · B 0.9")."""
    values = {r.name: getattr(r.model.p, name) for r in lab.targets()}
    if len(set(values.values())) > 1:
        return lab.lever(name), " · ".join(f"{run} {value:g}" for run, value in values.items())
    return lab.lever(name), f"{lab.lever(name):g}"


def Slider(value: object, on_value: Callable[[object], None], lo: float, hi: float, step: float):
    """A slider that passes whatever the page sends to ``on_value`` unconverted (the ``Lab``
    checks it), where Solara's sliders would convert, and fail on, a value a page made up."""
    return v.Slider(
        v_model=value,
        on_v_model=on_value,
        min=lo,
        max=hi,
        step=step,
        thumb_label=True,
        hide_details=True,
        class_="lever-slider",
    )


@solara.component
def LeverControls(lab: Lab, refresh: Callable[[], None], shown: tuple[tuple[float, str], ...]) -> None:
    """One slider per policy lever, showing the value of the run(s) it acts on (``shown``, from
    ``lever_shown``): a slider re-renders only when its own value changed."""
    caption(
        "A lever acts on the running firm from next week on; every move is logged and marked on the charts."
    )
    for name, (value, words) in zip(levers(), shown, strict=True):
        LeverSlider(name, lab, refresh, value, words)


@solara.component
def LeverSlider(name: str, lab: Lab, refresh: Callable[[], None], value: float, words: str) -> None:
    spec = SPECS[name]
    error = solara.use_reactive(None)
    span = spec.hi - spec.lo
    step = 1 if spec.integer else (0.01 if span <= 1 else 0.05 if span <= 5 else round(span / 100, 2))

    def on_value(value: object) -> None:
        current = lab.lever(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value - current) < step / 2:
            return  # the slider snapping the value to its step, not a move
        if attempt(lambda: lab.set_lever(name, value), error):
            refresh()

    low, high = spec.ends
    with solara.Div(classes=["lever", f"lever-{name}"]):
        solara.Text(f"{lever_label(name)}: {words}", classes=["lever-label"])
        Slider(value, on_value, spec.lo, spec.hi, step)
        if low or high:
            with solara.Row(justify="space-between", classes=["lever-ends"]):
                solara.Text(f"{spec.lo:g} {low}")
                solara.Text(f"{spec.hi:g} {high}")
        FieldError(error, name)
        caption(spec.meaning)


def event_help(kind: str, options: dict | None = None) -> str:
    """One plain line on what event ``kind`` does with ``options`` (default: its defaults)."""
    event = EVENTS[kind]
    values = {**event.defaults, **(options or {})}
    departments = values.get("departments")
    names = [
        d for d in DEPARTMENTS if departments is None or (isinstance(departments, list) and d in departments)
    ]
    if departments is None or len(names) == len(DEPARTMENTS):
        values["departments"] = "Every department is"
    elif not names:
        values["departments"] = "No department is"
    elif len(names) == 1:
        values["departments"] = f"The {names[0]} department is"
    else:
        values["departments"] = f"The {', '.join(names[:-1])} and {names[-1]} departments are"
    try:
        return event.help.format(**values)
    except (KeyError, ValueError, TypeError):  # an option the page made up: the plain description
        return event.description.replace("``", "")


@solara.component
def EventControls(lab: Lab, refresh: Callable[[], None], version: Hashable = 0) -> None:
    """A button per event, fired now on the target run(s) with the options chosen under it."""
    for kind in EVENTS:
        EventControl(kind, lab, refresh)


@solara.component
def EventControl(kind: str, lab: Lab, refresh: Callable[[], None]) -> None:
    event = EVENTS[kind]
    picked = solara.use_reactive({})  # options moved away from the defaults
    shown = solara.use_reactive(False)
    error = solara.use_reactive(None)

    def fire() -> None:
        if attempt(lambda: lab.fire(kind, **picked.value), error):
            refresh()

    solara.Button(
        event.label,
        on_click=fire,
        outlined=True,
        color="primary",
        small=True,
        classes=[f"event-{kind}"],
        style={"margin-top": "6px"},
    )
    caption(event_help(kind, picked.value), classes=[f"event-help-{kind}"])
    if event.shown:
        solara.Button(
            "Hide options" if shown.value else "Options",
            icon_name="mdi-chevron-up" if shown.value else "mdi-chevron-down",
            on_click=lambda: shown.set(not shown.value),
            text=True,
            small=True,
            classes=[f"event-options-{kind}"],
        )
    if shown.value:
        for name in event.shown:
            EventOption(kind, name, picked)
    FieldError(error, f"event-{kind}")


@solara.component
def EventOption(kind: str, name: str, picked: solara.Reactive[dict]) -> None:
    """The control for one option of an event: departments, a whole number of weeks, or a share."""
    option = EVENTS[kind].options[name]
    value = picked.value.get(name, EVENTS[kind].defaults[name])
    classes = [f"option-{kind}-{name}"]

    def choose(new: object) -> None:
        if new != picked.value.get(name):
            picked.set({**picked.value, name: new})

    if option.departments:  # the raw widget: whatever the page sends goes to the Lab's check
        known = (
            list(DEPARTMENTS)
            if value is None
            else [d for d in DEPARTMENTS if isinstance(value, list) and d in value]
        )
        v.Select(
            label=option.label,
            items=list(DEPARTMENTS),
            v_model=known,  # what the list can show; the value sent is checked when fired
            on_v_model=choose,
            multiple=True,
            dense=True,
            class_=" ".join(classes),
        )
    elif option.whole:
        solara.InputText(
            f"{option.label} ({option.lo:g}-{option.hi:g})",
            value=str(value),
            on_value=choose,
            continuous_update=True,
            classes=classes,
        )
    else:
        with solara.Div(classes=classes):
            solara.Text(f"{option.label}: {value:.0%}" if isinstance(value, float | int) else option.label)
            Slider(
                value,
                lambda share: choose(round(share, 2) if isinstance(share, float) else share),
                option.lo,
                option.hi,
                OPTION_STEP,
            )


@solara.component
def ChangeLog(lab: Lab, version: Hashable = 0) -> None:
    """Every event fired and lever moved so far, by week (and run in compare mode)."""
    rows = []
    for snap in lab.snapshot():
        rows += [(int(e["step"]), snap.name, event_summary(e)) for e in snap.events]
        rows += [(c["week"], snap.name, lever_summary(c)) for c in snap.levers]
    if not rows:
        caption("Nothing changed yet: events fired and levers moved are listed here.")
    for week, run, text in sorted(rows, key=lambda r: (r[0], r[1])):
        who = f" ({run})" if lab.compare else ""
        solara.Text(f"Week {week}: {text}{who}", classes=["change-log"], style=CAPTION)


@solara.component
def SizeControls(lab: Lab, refresh: Callable[[], None], version: Hashable = 0) -> None:
    """The seed and the world's size: they apply at Reset, which starts the runs again."""
    texts = solara.use_reactive({n: str(lab.size.get(n, int(SPECS[n].default))) for n in SIZE_NAMES})
    seed_text = solara.use_reactive(str(lab.seed))
    error = solara.use_reactive(None)

    def apply() -> None:
        if attempt(lambda: lab.reset(seed=seed_text.value, size=dict(texts.value)), error):
            refresh()

    solara.InputText("Seed", value=seed_text, continuous_update=True, classes=["seed-input"])
    caption("Same seed, same run.")
    for n in SIZE_NAMES:
        solara.InputText(
            f"{SIZE_LABELS[n]} (up to {lab.limits.most(n):,})",
            value=texts.value[n],
            on_value=lambda text, n=n: texts.set({**texts.value, n: text}),
            continuous_update=True,
            classes=[f"size-{n}"],
        )
    solara.Button("Apply and start again", on_click=apply, small=True, outlined=True, classes=["reset-btn"])
    FieldError(error, "size")
    caption("Starts every run again at week 0 with this seed and size; the levers stay where they are.")


@solara.component
def ExportControls(lab: Lab, version: Hashable = 0) -> None:
    """Downloads: the weekly table (CSV) and a one-page summary (HTML)."""
    stem = export.stem(lab)
    with solara.Row(style={"gap": "6px", "flex-wrap": "wrap"}):
        solara.FileDownload(
            lambda: export.csv(lab), filename=f"{stem}.csv", label="Data (CSV)", mime_type="text/csv"
        )
        solara.FileDownload(
            lambda: export.summary_html(lab),
            filename=f"{stem}-summary.html",
            label="Summary (HTML)",
            mime_type="text/html",
        )
    caption(
        "CSV: one row per week and run, rounded, with each lever's value and the changes made. Summary: the story, the KPIs, the charts and the changes on one page. Each chart's camera button saves it as a titled PNG."
    )
