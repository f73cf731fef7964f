"""Solara components of the dashboard: controls, KPI cards, charts.

Components receive the session's ``Lab`` and a few reactive values from the
page, and a ``version`` that changes when what they show may have changed (they
re-render only when their arguments change). They change models only through
``Lab`` methods, and draw only through ``viz.charts``. Help texts come from
``SPECS``, ``METRICS`` and ``EVENTS``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import solara
from solara import v

from model import SPECS, available
from model.departments import DEPARTMENTS
from model.events import EVENTS
from model.metrics import HIGHER, METRICS
from model.params import ParameterError, levers
from model.scenario import ScenarioError
from viz import charts
from viz.lab import Lab, Snapshot, scenario_info

OPTION_STEP = 0.05  # slider step for options between 0 and 1: finer differences do not show in a workshop


def event_defaults(kind: str) -> dict[str, object]:
    """The default options of event ``kind``, from its signature."""
    return EVENTS[kind].defaults


def _departments_phrase(departments: Sequence[str] | None) -> str:
    if departments is None or set(departments) == set(DEPARTMENTS):
        return "Every department is"
    names = [d for d in DEPARTMENTS if d in departments]
    if not names:
        return "No department is"
    if len(names) == 1:
        return f"The {names[0]} department is"
    return f"The {', '.join(names[:-1])} and {names[-1]} departments are"


def event_help(kind: str, options: dict | None = None) -> str:
    """One plain line on what event ``kind`` does with ``options`` (default: its default options)."""
    values = {**event_defaults(kind), **(options or {})}
    values["departments"] = _departments_phrase(values.get("departments"))
    try:
        return EVENTS[kind].help.format(**values)
    except (KeyError, ValueError, TypeError):
        return EVENTS[kind].description.replace("``", "")


def chosen_options(kind: str, choices: dict) -> dict:
    """The options to fire ``kind`` with: those of ``choices`` that differ from the defaults.

    Raises:
        ParameterError: no department chosen for a culture programme.
    """
    defaults = event_defaults(kind)
    out = {}
    for name, value in choices.items():
        if name == "departments":
            if not value:
                raise ParameterError("choose at least one department to train")
            if set(value) == set(DEPARTMENTS):
                continue  # every department: the default
            value = [d for d in DEPARTMENTS if d in value]
        if value != defaults.get(name):
            out[name] = value
    return out


def event_summary(entry: dict) -> str:
    """A fired event as a short line: its label and the options it was fired with."""
    label = EVENTS[entry["type"]].label
    options = {k: v for k, v in entry.items() if k not in ("step", "type")}
    if not options:
        return label
    parts = []
    for name, value in options.items():
        if name == "departments":
            parts.append(", ".join(value))
        elif name == "weeks":
            parts.append(f"{value} weeks")
        else:
            parts.append(f"{name} {value:.0%}")
    return f"{label} ({'; '.join(parts)})"


SPEEDS = {"5 weeks/s": 5, "10 weeks/s": 10, "20 weeks/s": 20, "40 weeks/s": 40}
HEAVY_EVERY = 20  # while playing, the org chart and network redraw every this many weeks
CAPTION = {"font-size": "0.78rem", "color": "#555", "line-height": "1.2", "margin": "0 0 6px 0"}


def caption(text: str, classes: list[str] | None = None) -> None:
    """A small grey help line."""
    solara.Text(text, style=CAPTION, classes=classes or [])


def pretty(name: str) -> str:
    """``service_staffing`` -> ``Service staffing``."""
    return name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Kpi:
    metric: str
    fmt: Callable[[float], str]

    @property
    def label(self) -> str:
        return METRICS[self.metric].label

    @property
    def higher_is_better(self) -> bool:
        return METRICS[self.metric].better == HIGHER


KPIS: tuple[Kpi, ...] = (
    Kpi("culture_mean", lambda x: f"{x:.2f}"),
    Kpi("nps", lambda x: f"{x:+.0f}"),
    Kpi("satisfaction_mean", lambda x: f"{x:.2f}"),
    Kpi("active_customers", lambda x: f"{x:,.0f}"),
    Kpi("speed_of_answer_seconds", lambda x: f"{x:.0f}"),
    Kpi("cumulative_profit", charts.money),
)


def _start(metric: str) -> int:
    """The first week with data: week 1 for weekly flows (nothing has flowed in week 0)."""
    return 1 if METRICS[metric].flow else 0


def kpi_value(kpi: Kpi, snap: Snapshot) -> str:
    """The KPI's value now; a dash for a weekly flow before the first week has passed."""
    col = snap.series(kpi.metric)
    if len(col) <= _start(kpi.metric):
        return "–"
    return kpi.fmt(float(col[-1]))


def _delta(kpi: Kpi, snap: Snapshot) -> tuple[str, str]:
    """The KPI's change since the first week with data, and the colour saying whether it is good."""
    col = snap.series(kpi.metric)
    first = _start(kpi.metric)
    since = "since week 1" if first else "since start"
    if len(col) <= first:
        return f"• {since}", "#888"
    d = float(col[-1] - col[first])
    good = (d > 0) == kpi.higher_is_better
    colour = "#888" if abs(d) < 1e-9 else ("#2a7d3b" if good else "#c0392b")
    arrow = "▲" if d > 0 else ("▼" if d < 0 else "•")
    return f"{arrow} {kpi.fmt(d) if kpi.metric != 'nps' else f'{d:+.0f}'} {since}", colour


KPI_CARD = {"min-width": "140px", "flex": "1 1 140px", "padding": "6px 10px"}
KPI_LABEL = {"font-size": "0.8rem", "color": "#444", "font-weight": "600"}
KPI_VALUE = {"font-size": "1.35rem", "font-weight": "700", "white-space": "nowrap", "display": "block"}


@solara.component
def KpiCards(lab: Lab, tick: solara.Reactive[int]) -> None:
    """Headline numbers now, with their change since the start (A and B in compare mode).

    The cards are drawn once; only their numbers (``KpiValues``) follow ``tick``.
    """
    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}, classes=["kpi-row"]):
        for kpi in KPIS:
            with solara.Card(margin=0, style=KPI_CARD, classes=["kpi"]):
                solara.Text(kpi.label, style=KPI_LABEL)
                KpiValues(kpi, lab, tick)
                caption(METRICS[kpi.metric].meaning, classes=["kpi-help"])


@solara.component
def KpiValues(kpi: Kpi, lab: Lab, tick: solara.Reactive[int]) -> None:
    """One KPI's value and change per run, redrawn on every tick."""
    tick.value  # noqa: B018 - subscribe to redraws
    snaps = lab.snapshot()
    with solara.Div():
        for snap in snaps:
            delta, colour = _delta(kpi, snap)
            prefix = f"{snap.name} " if len(snaps) > 1 else ""
            solara.Text(prefix + kpi_value(kpi, snap), style=KPI_VALUE, classes=[f"kpi-{kpi.metric}"])
            solara.Text(delta, style={"font-size": "0.72rem", "color": colour, "display": "block"})


@solara.component
def ChartView(key: str, lab: Lab, tick: solara.Reactive[int], playing: bool) -> None:
    """One chart with its title, help line and a PNG download; only the picture follows ``tick``."""
    with solara.Card(margin=0, style={"padding": "6px 10px"}, classes=[f"chart-{key}"]):
        ChartHeader(key, lab)
        caption(charts.CHARTS[key].help)
        ChartImage(key, lab, tick, playing)


@solara.component
def ChartHeader(key: str, lab: Lab) -> None:
    """A chart's title and PNG download: drawn once."""
    with solara.Row(justify="space-between", style={"align-items": "center"}):
        solara.Text(charts.CHARTS[key].title, style={"font-weight": "600", "font-size": "0.95rem"})
        solara.FileDownload(
            lambda: charts.render(key, lab.snapshot(), lab.horizon, dpi=150),
            filename=f"{key}.png",
            label="PNG",
            mime_type="image/png",
        )


@solara.component
def ChartImage(key: str, lab: Lab, tick: solara.Reactive[int], playing: bool) -> None:
    """The chart's picture, redrawn when the runs change; heavy views less often while playing.

    Shown as JPEG (see ``charts.LiveChart``: a tenth of the encoding time of a
    PNG, and it looks the same); the PNG buttons download PNG files.
    """
    tick.value  # noqa: B018 - subscribe to redraws
    snaps = lab.snapshot()
    steps = max(s.steps for s in snaps)
    events = sum(len(s.events) for s in snaps)
    if charts.CHARTS[key].heavy and playing:
        memo_key = (lab.builds, steps // HEAVY_EVERY, events, len(snaps))
    else:
        memo_key = (lab.builds, tuple(s.steps for s in snaps), events, len(snaps))
    live = solara.use_memo(lambda: charts.LiveChart(key), [key])
    image = solara.use_memo(lambda: live.render(snaps, lab.horizon, fast=True), memo_key)
    solara.Image(image, width="100%", format="jpeg")


# ------------------------------------------------------------------ sidebar
@solara.component
def RunControls(
    lab: Lab,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    refresh: Callable[[], None],
    error: solara.Reactive[str | None],
    redraw: Callable[[], None] | None = None,
) -> None:
    """Play/pause, step, reset, speed and seed (``redraw`` updates only the views)."""
    seed_text = solara.use_reactive(str(lab.seed))

    def step() -> None:
        lab.step(1)
        (redraw or refresh)()

    def reset() -> None:
        playing.set(False)
        try:
            seed = int(seed_text.value.strip())
        except ValueError:
            error.set(f"the seed must be a whole number, got '{seed_text.value}'")
            return
        try:
            lab.reset(seed=seed)
            error.set(None)
        except ParameterError as exc:
            error.set(str(exc))
        refresh()

    with solara.Row(style={"gap": "6px", "flex-wrap": "wrap"}):
        solara.Button(
            "Pause" if playing.value else "Play",
            icon_name="mdi-pause" if playing.value else "mdi-play",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            classes=["play-btn"],
        )
        solara.Button(
            "Step", icon_name="mdi-step-forward", on_click=step, disabled=playing.value, classes=["step-btn"]
        )
        solara.Button("Reset", icon_name="mdi-restart", on_click=reset, classes=["reset-btn"])
    solara.Select(
        "Speed", values=list(SPEEDS), value=_speed_label(speed.value), on_value=lambda s: speed.set(SPEEDS[s])
    )
    solara.InputText("Seed", value=seed_text, continuous_update=True, classes=["seed-input"])
    caption("Same seed, same run. A new seed applies at Reset; Reset keeps the lever positions.")


def _speed_label(rate: int) -> str:
    return next((k for k, r in SPEEDS.items() if r == rate), list(SPEEDS)[0])


@solara.component
def ScenarioControls(
    lab: Lab, refresh: Callable[[], None], error: solara.Reactive[str | None], version: Hashable = 0
) -> None:
    """Preset pickers for run A and (compare mode) run B, with their descriptions."""
    names = available()
    items = [{"text": scenario_info(n).title, "value": n} for n in names]

    def load_a(name: str) -> None:
        try:
            lab.load(name, "A")
            error.set(None)
        except (ScenarioError, ParameterError) as exc:
            error.set(str(exc))
        refresh()

    def load_b(name: str | None) -> None:
        try:
            lab.set_compare(name or None)
            error.set(None)
        except (ScenarioError, ParameterError) as exc:
            error.set(str(exc))
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
    b = lab.runs[1].scenario if lab.compare else ""
    v.Select(
        label="Compare with (run B)",
        items=[{"text": "no comparison", "value": ""}, *items],
        v_model=b,
        on_v_model=load_b,
        dense=True,
        class_="scenario-b",
    )
    if lab.compare:
        caption(scenario_info(b).description)
        caption("A and B run in lock-step from the same seed; B is drawn dashed.")

        def set_target(t: str) -> None:
            lab.target = t
            refresh()

        solara.Text("Levers and events act on:", style={"font-size": "0.85rem"})
        solara.ToggleButtonsSingle(
            value=lab.target,
            values=["both", "A", "B"],
            on_value=set_target,
            dense=True,
            classes=["target-toggle"],
        )


@solara.component
def LeverControls(
    lab: Lab, refresh: Callable[[], None], error: solara.Reactive[str | None], version: Hashable = 0
) -> None:
    """One slider per policy lever, acting on the running model(s) at once."""
    caption("Levers act on the running model from the next week on.")
    for name in levers():
        spec = SPECS[name]

        span = spec.hi - spec.lo
        step = 1 if spec.integer else (0.01 if span <= 1 else 0.05 if span <= 5 else round(span / 100, 2))

        def on_value(value: float, name: str = name, step: float = step) -> None:
            if abs(value - lab.lever(name)) < step / 2:
                return  # the slider snapping a value to its step, not a move
            try:
                lab.set_lever(name, value)
                error.set(None)
            except ParameterError as exc:
                error.set(str(exc))
            refresh()

        unit = "" if spec.unit == "0..1" else f" ({spec.unit})"
        slider = solara.SliderInt if spec.integer else solara.SliderFloat
        with solara.Div(classes=[f"lever-{name}"]):
            slider(
                pretty(name) + unit,
                value=lab.lever(name),
                min=spec.lo,
                max=spec.hi,
                step=step,
                on_value=on_value,
            )
            caption(spec.meaning)


@solara.component
def EventControls(
    lab: Lab, refresh: Callable[[], None], error: solara.Reactive[str | None], version: Hashable = 0
) -> None:
    """A button per event, fired now on the target run(s) with the options chosen under it,
    and the log of fired events."""
    choices = solara.use_reactive({kind: {} for kind in EVENTS})  # options moved away from the defaults

    def choose(kind: str, name: str, value: object) -> None:
        choices.set({**choices.value, kind: {**choices.value[kind], name: value}})

    for kind in EVENTS:
        picked = choices.value[kind]

        def fire(kind: str = kind) -> None:
            try:
                lab.fire(kind, **chosen_options(kind, choices.value[kind]))
                error.set(None)
            except ParameterError as exc:
                error.set(str(exc))
            refresh()

        solara.Button(
            EVENTS[kind].label,
            on_click=fire,
            outlined=True,
            color="primary",
            small=True,
            classes=[f"event-{kind}"],
            style={"margin-top": "4px"},
        )
        caption(event_help(kind, picked), classes=[f"event-help-{kind}"])
        if EVENTS[kind].shown:
            EventOptions(kind, picked, choose)
    logged = [(e["step"], event_summary(e), r.name) for r in lab.runs for e in r.model.event_log]
    if logged:
        solara.Text("Fired so far:", style={"font-size": "0.85rem", "font-weight": "600"})
        for step, summary, run in sorted(logged):
            who = f" ({run})" if lab.compare else ""
            solara.Text(f"Week {step}: {summary}{who}", classes=["event-log"], style=CAPTION)


@solara.component
def EventOptions(kind: str, picked: dict, choose: Callable[[str, str, object], None]) -> None:
    """A button that shows or hides the controls for an event's options (created only when shown,
    which keeps the page quick to open)."""
    shown = solara.use_reactive(False)
    solara.Button(
        "Hide options" if shown.value else "Options",
        icon_name="mdi-chevron-up" if shown.value else "mdi-chevron-down",
        on_click=lambda: shown.set(not shown.value),
        text=True,
        small=True,
        classes=[f"event-options-{kind}"],
    )
    if shown.value:
        for name in EVENTS[kind].shown:
            EventOption(kind, name, picked.get(name, event_defaults(kind)[name]), choose)


@solara.component
def EventOption(kind: str, name: str, value: object, choose: Callable[[str, str, object], None]) -> None:
    """The control for one option of an event: departments, a whole number of weeks, or a share."""
    option = EVENTS[kind].options[name]
    label = option.label
    classes = [f"option-{kind}-{name}"]
    if option.departments:
        solara.SelectMultiple(
            label,
            values=list(DEPARTMENTS) if value is None else list(value),
            all_values=list(DEPARTMENTS),
            on_value=lambda picked: choose(kind, name, picked),
            dense=True,
            classes=classes,
        )
    elif option.whole:
        solara.InputInt(
            f"{label} ({option.lo:g}-{option.hi:g})",
            value=int(value),
            on_value=lambda weeks: choose(kind, name, weeks),
            continuous_update=True,
            classes=classes,
        )
    else:
        with solara.Div(classes=classes):
            solara.SliderFloat(
                label,
                value=float(value),
                min=option.lo,
                max=option.hi,
                step=OPTION_STEP,
                on_value=lambda share: choose(kind, name, round(share, 2)),
            )


@solara.component
def SizeControls(lab: Lab, refresh: Callable[[], None], error: solara.Reactive[str | None]) -> None:
    """Structural parameters: they shape the world, so they apply at Reset."""
    names = ("n_employees", "market_size", "initial_customers")
    texts = solara.use_reactive({n: str(lab.size.get(n, int(SPECS[n].default))) for n in names})

    def apply() -> None:
        try:
            size = {n: int(texts.value[n].replace(",", "").replace("_", "")) for n in names}
            lab.reset(size=size)
            error.set(None)
        except ValueError:
            error.set("sizes must be whole numbers")
        except ParameterError as exc:
            error.set(str(exc))
        refresh()

    for n in names:
        solara.InputText(
            pretty(n),
            value=texts.value[n],
            on_value=lambda text, n=n: texts.set({**texts.value, n: text}),
            continuous_update=True,
        )
        caption(SPECS[n].meaning)
    solara.Button("Apply and reset", on_click=apply, small=True, outlined=True)


def charts_zip(lab: Lab) -> bytes:
    """Every chart of the current state as PNG files in one ZIP."""
    snaps = lab.snapshot()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for key in charts.CHARTS:
            zf.writestr(f"{key}-week{snaps[0].steps}.png", charts.render(key, snaps, lab.horizon, dpi=150))
    return buf.getvalue()


@solara.component
def ExportControls(lab: Lab, version: Hashable = 0) -> None:
    """Downloads: the run(s) as CSV, all charts as PNG files in a ZIP."""
    stem = f"cx-culture-lab-{'-vs-'.join(r.scenario for r in lab.runs)}-seed{lab.seed}"
    with solara.Row(style={"gap": "6px", "flex-wrap": "wrap"}):
        solara.FileDownload(lab.csv, filename=f"{stem}.csv", label="Data (CSV)", mime_type="text/csv")
        solara.FileDownload(
            lambda: charts_zip(lab),
            filename=f"{stem}-charts.zip",
            label="Charts (PNG, zip)",
            mime_type="application/zip",
        )
    caption("One row per week and run, every metric, with the events fired that week.")
