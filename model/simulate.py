"""Run one simulation and get a tidy per-step table plus its provenance."""

from __future__ import annotations

import functools
import json
import platform
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.model import CultureModel
from model.scenario import DEFAULT_STEPS, Scenario, load_scenario

# An event scheduled by hand: (completed weeks, event name, options).
ScheduledEvent = tuple[int, str, dict[str, Any]]


def run_model(
    scenario: str | Path | Scenario | None = None,
    *,
    steps: int | None = None,
    seed: int | np.random.Generator | None = 0,
    params: dict[str, Any] | None = None,
    events: Iterable[ScheduledEvent] = (),
    org_chart: str | Path | None = None,
) -> CultureModel:
    """Build a model of ``scenario`` (none: the defaults) with ``params`` over its
    parameters, schedule ``events`` beside its own, and run it for ``steps`` weeks
    (default: the scenario's horizon). Every single run goes through here."""
    if scenario is not None and not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    model = CultureModel(scenario, rng=seed, org_chart=org_chart, **(params or {}))
    for step, kind, options in events:
        model.schedule_at(step, kind, **options)
    if steps is None:
        steps = scenario.steps if scenario is not None else DEFAULT_STEPS
    for _ in range(steps):
        model.step()
    return model


def simulate(
    scenario: str | Path = "baseline",
    *,
    steps: int | None = None,
    seed: int = 0,
    params: dict | None = None,
    org_chart: str | Path | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Run a scenario for ``steps`` weeks.

    Returns:
        (table with a ``step`` column then every metric, one row per step from 0;
        metadata: scenario, seed, all parameter values, events, versions).
    """
    model = run_model(scenario, steps=steps, seed=seed, params=params, org_chart=org_chart)
    return model_table(model), provenance(model, model.steps)


def model_table(model: CultureModel) -> pd.DataFrame:
    """The model's per-step metrics with a leading ``step`` column."""
    table = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    table.insert(0, "step", range(len(table)))
    return table


# The packages whose versions are recorded with every result, single runs and experiments alike.
PACKAGES = ("mesa", "numpy", "networkx", "pandas", "scipy", "pyarrow", "SALib", "dask", "distributed")


@functools.cache
def versions() -> dict[str, str]:
    """Versions of Python and the packages results depend on (looked up once)."""
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "missing"
    return out


def provenance(model: CultureModel, steps: int) -> dict:
    """Everything needed to reproduce a run."""
    return {
        "scenario": model.preset.name if model.preset else None,
        "seed": model.seed,
        "steps": steps,
        "parameters": model.p.as_dict(),
        "events": model.event_log,
        "versions": versions(),
    }


def write_table(table: pd.DataFrame, meta: dict, out: Path) -> None:
    """Write the table as CSV or Parquet, with the metadata in ``<out>.json``
    (and, for Parquet, in the file's schema metadata too)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(meta, indent=2, default=str)
    if out.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow = pa.Table.from_pandas(table, preserve_index=False)
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), b"cxlab": text.encode()})
        pq.write_table(arrow, out)
    else:
        table.to_csv(out, index=False)
    Path(f"{out}.json").write_text(text, encoding="utf-8")


def summary(table: pd.DataFrame, meta: dict) -> str:
    """A few lines a person can read after a run."""
    first, last = table.iloc[0], table.iloc[-1]
    lines = [
        f"scenario {meta['scenario']}, seed {meta['seed']}, {meta['steps']} weeks",
        f"  culture          {first.culture_mean:6.3f} -> {last.culture_mean:6.3f}",
        f"  wellbeing        {first.wellbeing_mean:6.3f} -> {last.wellbeing_mean:6.3f}",
        f"  headcount        {first.headcount:6.0f} -> {last.headcount:6.0f}"
        f"   (mean weekly turnover {table.employee_turnover[1:].mean():.2%})",
        f"  active customers {first.active_customers:6.0f} -> {last.active_customers:6.0f}"
        f"   (churned {last.churned:.0f})",
        f"  NPS              {first.nps:6.1f} -> {last.nps:6.1f}",
        f"  speed of answer {table.speed_of_answer_seconds[1:].mean():.0f} s, abandonment "
        f"{table.abandonment_rate[1:].mean():.1%}, first-contact resolution "
        f"{table.first_contact_resolution[1:].mean():.1%}",
        f"  cumulative profit {last.cumulative_profit:,.0f}",
    ]
    return "\n".join(lines)
