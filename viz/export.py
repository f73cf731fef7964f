"""Debrief-ready exports of a session: the weekly table (CSV) and a one-page summary (HTML).

The CSV has one row per week and run: the run, its scenario and title, the
seed, the starting overrides, every metric rounded to what a person reads, each
lever's value in effect that week, and the events fired and levers moved that
week. The summary is one self-contained HTML page (Plotly's JavaScript inside
it, so it opens offline): the story of the run(s), the KPIs at the start and
now, the charts, and the changes made.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from model.metrics import METRICS
from model.params import levers
from viz.charts import CHARTS, KPIS, kpi_value
from viz.figures import RUN_COLOUR
from viz.lab import Lab, event_summary, event_text, lever_summary, scenario_info

SUMMARY_CHARTS = ("culture", "funnel", "satisfaction", "service", "money")


def digits(metric: str) -> int:
    """Decimals worth keeping for ``metric``, from its unit."""
    unit = METRICS[metric].unit
    if unit.startswith(("people", "contacts", "currency", "agents")):
        return 0
    if unit.startswith("points"):
        return 1
    if unit.startswith(("0..1", "share", "probability")):
        return 4
    return 2


def stem(lab: Lab) -> str:
    """A file name stem naming the scenario(s) and seed."""
    return f"cx-culture-lab-{'-vs-'.join(r.scenario for r in lab.runs)}-seed{lab.seed}"


def table(lab: Lab) -> pd.DataFrame:
    """The weekly table of every run (see the module docstring)."""
    parts = []
    with lab.lock:
        snaps = lab.snapshot()
        lever_tables = [lab.lever_table(r) for r in lab.runs]
    for snap, run, lever_values in zip(snaps, lab.runs, lever_tables, strict=True):
        weeks = snap.steps + 1
        df = pd.DataFrame({name: np.round(snap.columns[name], digits(name)) for name in METRICS})
        df.insert(0, "week", np.arange(weeks))
        df.insert(0, "overrides", ";".join(f"{k}={v:g}" for k, v in sorted(run.overrides.items())))
        df.insert(0, "seed", lab.seed)
        df.insert(0, "title", snap.title)
        df.insert(0, "scenario", snap.scenario)
        df.insert(0, "run", snap.name)
        for name in levers():
            df[f"lever_{name}"] = lever_values[name].to_numpy()[:weeks]
        events: dict[int, list[str]] = {}
        for e in snap.events:
            events.setdefault(int(e["step"]), []).append(event_text(e))
        moves: dict[int, list[str]] = {}
        for c in snap.levers:
            moves.setdefault(c["week"], []).append(f"{c['lever']}:{c['from']:g}->{c['to']:g}")
        df["events"] = [";".join(events.get(w, [])) for w in range(weeks)]
        df["lever_changes"] = [";".join(moves.get(w, [])) for w in range(weeks)]
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def csv(lab: Lab) -> str:
    """``table(lab)`` as CSV text."""
    return table(lab).to_csv(index=False)


def _kpi_rows(lab: Lab) -> str:
    rows = []
    for kpi in KPIS:
        cells = []
        for snap in lab.snapshot():
            col = snap.series(kpi.metric)
            first = 1 if METRICS[kpi.metric].flow else 0
            start = kpi.fmt(float(col[first])) if len(col) > first else "–"
            cells.append(f"<td>{html.escape(start)}</td><td><b>{html.escape(kpi_value(kpi, snap))}</b></td>")
        rows.append(f"<tr><th>{html.escape(kpi.label)}</th>{''.join(cells)}</tr>")
    return "\n".join(rows)


def summary_html(lab: Lab) -> str:
    """The one-page summary of the session's run(s) (see the module docstring)."""
    snaps = lab.snapshot()
    head = "".join(
        f"<th colspan=2 style='color:{_colour(s.name)}'>{html.escape(s.name)}: {html.escape(s.title)}</th>"
        for s in snaps
    )
    sub = "<th>start</th><th>now</th>" * len(snaps)
    story = []
    for snap in snaps:
        desc = scenario_info(snap.scenario).description
        changes = [(int(e["step"]), event_summary(e)) for e in snap.events] + [
            (c["week"], lever_summary(c)) for c in snap.levers
        ]
        items = (
            "".join(f"<li>Week {w}: {html.escape(t)}</li>" for w, t in sorted(changes))
            or "<li>No changes made.</li>"
        )
        story.append(
            f"<h2 style='color:{_colour(snap.name)}'>{html.escape(snap.name)}: {html.escape(snap.title)}</h2>"
            f"<p>{html.escape(desc)}</p><h3>Changes made</h3><ul>{items}</ul>"
        )
    charts = []
    for i, key in enumerate(SUMMARY_CHARTS):
        fig = CHARTS[key].figure(snaps, lab.horizon)
        charts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False}))
    title = " vs ".join(s.title for s in snaps)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CX Culture Lab: {html.escape(title)}</title>
<style>
body {{ font-family: Inter, Segoe UI, Helvetica, Arial, sans-serif; max-width: 1100px; margin: 24px auto; color: #222; font-size: 16px; }}
table {{ border-collapse: collapse; margin: 12px 0; }} th, td {{ padding: 4px 12px; border-bottom: 1px solid #ddd; text-align: right; }}
th:first-child {{ text-align: left; }}
</style></head><body>
<h1>CX Culture Lab: week {snaps[0].steps} of {lab.horizon}</h1>
<p>Seed {lab.seed}. Every number here can be reproduced: the same seed, scenario and changes give the same run.</p>
{"".join(story)}
<h2>Key figures</h2>
<table><tr><th></th>{head}</tr><tr><th></th>{sub}</tr>
{_kpi_rows(lab)}
</table>
{"".join(charts)}
</body></html>
"""


def _colour(run: str) -> str:
    return RUN_COLOUR.get(run, "#222222")
