"""Run one simulation and get a tidy per-step table plus its provenance."""

from __future__ import annotations

import functools
import json
import platform
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from model.model import CultureModel
from model.params import coerce
from model.scenario import load_scenario


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
    sc = load_scenario(scenario)
    model = CultureModel(sc, rng=seed, org_chart=org_chart, **coerce(params or {}))
    steps = sc.steps if steps is None else steps
    for _ in range(steps):
        model.step()
    return model_table(model), provenance(model, steps)


def model_table(model: CultureModel) -> pd.DataFrame:
    """The model's per-step metrics with a leading ``step`` column."""
    table = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    table.insert(0, "step", range(len(table)))
    return table


@functools.cache
def versions() -> dict[str, str]:
    """Versions of Python and the packages results depend on (looked up once)."""
    return {
        "python": platform.python_version(),
        **{pkg: version(pkg) for pkg in ("mesa", "numpy", "networkx", "pandas", "scipy")},
    }


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
