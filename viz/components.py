"""Solara components of the dashboard: controls, KPI cards, charts.

Components receive the session's ``Lab`` and a few reactive values from the
page; they change models only through ``Lab`` methods, and draw only through
``viz.charts``. Help texts come from ``SPECS[...].meaning``, ``METRICS`` and
the events' docstrings.
"""

from __future__ import annotations

import inspect
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import solara
from solara import v

from model import SPECS, available
from model.events import EVENTS, describe
from model.metrics import METRICS
from model.params import ParameterError, levers
from model.scenario import ScenarioError
from viz import charts
from viz.lab import Lab, Snapshot, scenario_info

# Plain-language help for the event buttons, filled with each event's default options.
EVENT_HELP = {
    "new_ceo": "A new CEO arrives whose real commitment to customers is {commitment:.0%}.",
    "culture_programme": "Every department is trained in customer focus: each person closes part of the gap.",
    "layoffs": "{share:.0%} of staff outside the executive team are laid off; survivors' wellbeing drops.",
    "service_breakdown": "Support systems fail for {weeks} weeks: only {capacity:.0%} of the agents can work.",
    "outsource_logistics": "Logistics goes to an outside partner: its staff leave, on-time delivery becomes "
    "{reliability:.0%}.",
}


def event_help(kind: str) -> str:
    """One plain line on what event ``kind`` does with its default options."""
    defaults = {k: p.default for k, p in inspect.signature(EVENTS[kind]).parameters.items() if k != "model"}
    try:
        return EVENT_HELP[kind].format(**defaults)
    except (KeyError, ValueError, TypeError):
        return describe(kind).replace("``", "")


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
    label: str
    fmt: Callable[[float], str]
    higher_is_better: bool


KPIS: tuple[Kpi, ...] = (
    Kpi("culture_mean", "Customer focus", lambda x: f"{x:.2f}", True),
    Kpi("nps", "NPS", lambda x: f"{x:+.0f}", True),
    Kpi("satisfaction_mean", "Satisfaction", lambda x: f"{x:.2f}", True),
    Kpi("active_customers", "Active customers", lambda x: f"{x:,.0f}", True),
    Kpi("avg_wait_minutes", "Wait (min)", lambda x: f"{x:.1f}", False),
    Kpi("cumulative_profit", "Cumulative profit", charts.money, True),
)


def _delta(kpi: Kpi, snap: Snapshot) -> tuple[str, str]:
    col = snap.frame[kpi.metric]
    d = float(col.iloc[-1] - col.iloc[0])
    good = (d > 0) == kpi.higher_is_better
    colour = "#888" if abs(d) < 1e-9 else ("#2a7d3b" if good else "#c0392b")
    arrow = "▲" if d > 0 else ("▼" if d < 0 else "•")
    return f"{arrow} {kpi.fmt(d) if kpi.metric != 'nps' else f'{d:+.0f}'} since start", colour


@solara.component
def KpiCards(snaps: Sequence[Snapshot]) -> None:
    """Headline numbers now, with their change since week 0 (A and B in compare mode)."""
    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}, classes=["kpi-row"]):
        for kpi in KPIS:
            with solara.Card(
                margin=0,
                style={"min-width": "140px", "flex": "1 1 140px", "padding": "6px 10px"},
                classes=["kpi"],
            ):
                solara.Text(kpi.label, style={"font-size": "0.8rem", "color": "#444", "font-weight": "600"})
                for snap in snaps:
                    value = float(snap.frame[kpi.metric].iloc[-1])
                    delta, colour = _delta(kpi, snap)
                    prefix = f"{snap.name} " if len(snaps) > 1 else ""
                    solara.Text(
                        prefix + kpi.fmt(value),
                        style={
                            "font-size": "1.35rem",
                            "font-weight": "700",
                            "white-space": "nowrap",
                            "display": "block",
                        },
                        classes=[f"kpi-{kpi.metric}"],
                    )
                    solara.Text(delta, style={"font-size": "0.72rem", "color": colour, "display": "block"})
                caption(METRICS[kpi.metric], classes=["kpi-help"])


@solara.component
def ChartView(key: str, lab: Lab, snaps: Sequence[Snapshot], playing: bool) -> None:
    """One chart with its title, help line and a PNG download; heavy views redraw less often while playing."""
    chart = charts.CHARTS[key]
    steps = max(s.steps for s in snaps)
    if chart.heavy and playing:
        memo_key = (lab.builds, steps // HEAVY_EVERY, sum(len(s.events) for s in snaps), len(snaps))
    else:
        memo_key = (lab.builds, tuple(s.steps for s in snaps), sum(len(s.events) for s in snaps), len(snaps))
    live = solara.use_memo(lambda: charts.LiveChart(key), [key])
    image = solara.use_memo(lambda: live.render(snaps, lab.horizon), memo_key)
    with solara.Card(margin=0, style={"padding": "6px 10px"}, classes=[f"chart-{key}"]):
        with solara.Row(justify="space-between", style={"align-items": "center"}):
            solara.Text(chart.title, style={"font-weight": "600", "font-size": "0.95rem"})
            solara.FileDownload(
                lambda: charts.render(key, lab.snapshot(), lab.horizon, dpi=150),
                filename=f"{key}.png",
                label="PNG",
                mime_type="image/png",
            )
        caption(chart.help)
        solara.Image(image, width="100%")


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
    lab: Lab, refresh: Callable[[], None], error: solara.Reactive[str | None], version: int = 0
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
    lab: Lab, refresh: Callable[[], None], error: solara.Reactive[str | None], version: int = 0
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
    lab: Lab, refresh: Callable[[], None], error: solara.Reactive[str | None], version: int = 0
) -> None:
    """A button per event, fired now on the target run(s), and the log of fired events."""
    for kind in EVENTS:

        def fire(kind: str = kind) -> None:
            try:
                lab.fire(kind)
                error.set(None)
            except ParameterError as exc:
                error.set(str(exc))
            refresh()

        solara.Button(
            charts.event_label(kind),
            on_click=fire,
            outlined=True,
            color="primary",
            small=True,
            classes=[f"event-{kind}"],
            style={"margin-top": "4px"},
        )
        caption(event_help(kind))
    logged = [(e["step"], e["type"], r.name) for r in lab.runs for e in r.model.event_log]
    if logged:
        solara.Text("Fired so far:", style={"font-size": "0.85rem", "font-weight": "600"})
        for step, kind, run in sorted(logged):
            who = f" ({run})" if lab.compare else ""
            solara.Text(f"Week {step}: {charts.event_label(kind)}{who}", classes=["event-log"], style=CAPTION)


@solara.component
def SizeControls(
    lab: Lab, refresh: Callable[[], None], error: solara.Reactive[str | None], version: int = 0
) -> None:
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
def ExportControls(lab: Lab, version: int = 0) -> None:
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
