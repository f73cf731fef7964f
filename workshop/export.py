"""A workshop's export: tidy CSV tables, its settings, and the debrief.

Files written to the output directory (each to a temporary file first, then
renamed, so a crash never leaves half a file):

* ``weeks.csv``: one row per team and week: the round, the lever values at
  the end of that round, the decision and events of the round (on the week
  they applied), and every metric of the week;
* ``decisions.csv``: one row per team and round: what it set and took, what
  that cost, and the scorecard measures and rank at the end of the round;
* ``leaderboard.csv``: one row per round and team: rank, score, points and values;
* ``workshop.json``: the starting firm, seed, parameters, prices, weights,
  events and software versions (everything needed to reproduce the workshop);
* ``debrief.html``: the debrief report (``workshop.debrief``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from model.params import levers
from viz.lab import event_text
from workshop import decisions as dec
from workshop.errors import WorkshopError
from workshop.scorecard import MEASURES

FILES = ("weeks.csv", "decisions.csv", "leaderboard.csv", "workshop.json", "debrief.html")


def weeks_table(report) -> pd.DataFrame:
    """Every team's weekly metrics beside the decisions in force (see the module docstring)."""
    weeks_per_round = report.status.round_weeks
    events = {}
    for e in report.events:
        if e.round <= report.status.rounds_done:
            for team in [e.team] if e.team else [t.name for t in report.teams]:
                week = (e.round - 1) * weeks_per_round + e.week + 1
                events.setdefault((team, week), []).append(event_text({"type": e.kind, **e.options}))
    rows = []
    for team in report.teams:
        for week, metrics in enumerate(team.weeks):
            r = 0 if week == 0 else (week - 1) // weeks_per_round + 1
            played = team.rounds[r]
            first = week == 0 or (week - 1) % weeks_per_round == 0
            row = {"code": report.status.code, "seed": report.start["seed"], "team": team.name, "round": r}
            row["week"] = week
            row.update({f"lever:{name}": played.levers[name] for name in levers()})
            row["decision"] = _decision_text(played) if first and r else ""
            row["events"] = "; ".join(events.get((team.name, week), []))
            row.update(metrics)
            rows.append(row)
    return pd.DataFrame(rows)


def decisions_table(report) -> pd.DataFrame:
    """One row per team and round played."""
    boards = report.leaderboards()
    rows = []
    for team in report.teams:
        for played in team.rounds[1:]:
            line = next((s for s in boards.get(played.round, ()) if s.team == team.name), None)
            row = {
                "code": report.status.code,
                "team": team.name,
                "round": played.round,
                "status": played.status,
                "decision": _decision_text(played),
            }
            row.update(
                {f"set:{name}": played.decision.levers.get(name) for name in report.settings["in_play"]}
            )
            row["actions"] = json.dumps(list(played.decision.actions))
            row["one_off_cost"] = played.charged
            row.update(played.kpis)
            row["score"] = None if line is None else line.score
            row["rank"] = None if line is None else line.rank
            rows.append(row)
    return pd.DataFrame(rows)


def leaderboard_table(report) -> pd.DataFrame:
    """The standings after every round, with today's weights."""
    rows = []
    for r, board in report.leaderboards().items():
        for s in board:
            row = {"round": r, "rank": s.rank, "team": s.team, "score": s.score}
            row.update({f"points:{m}": s.points[m] for m in MEASURES})
            row.update({f"value:{m}": s.values[m] for m in MEASURES})
            rows.append(row)
    return pd.DataFrame(rows)


def settings_json(report) -> dict:
    s = report.status
    return {
        "code": s.code,
        "title": s.title,
        "created": report.created,
        "rounds": s.rounds,
        "rounds_done": s.rounds_done,
        "round_weeks": s.round_weeks,
        "start": report.start,
        "settings": report.settings,
        "weights": report.weights,
        "events": [vars(e) for e in report.events],
        "teams": [t.name for t in report.teams],
        "provenance": report.provenance,
    }


def write_export(report, debrief_html: str, out: str | Path) -> list[Path]:
    """Write the export of ``report`` into directory ``out``; returns the files written.

    Raises:
        WorkshopError: ``out`` cannot be created or written.
    """
    out = Path(out)
    contents = {
        "weeks.csv": weeks_table(report).to_csv(index=False),
        "decisions.csv": decisions_table(report).to_csv(index=False),
        "leaderboard.csv": leaderboard_table(report).to_csv(index=False),
        "workshop.json": json.dumps(settings_json(report), indent=2, default=str),
        "debrief.html": debrief_html,
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in contents.items():
            path = out / name
            tmp = out / f".{name}.{os.getpid()}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            written.append(path)
    except OSError as exc:
        raise WorkshopError(f"cannot write the export to '{out}': {exc.strerror or exc}") from None
    return written


def _decision_text(played) -> str:
    return "did not submit" if played.status == "carried" else dec.describe(played.decision)
