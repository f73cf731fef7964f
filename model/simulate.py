"""Run one simulation and get a tidy per-step table plus its provenance."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.files import check_writable, clean_temps, shown, temp_path, why
from model.model import CultureModel
from model.org import Chart
from model.scenario import DEFAULT_STEPS, Scenario, load_scenario


class OutputError(ValueError):
    """An output file that cannot be written."""


# An event scheduled by hand: (completed weeks, event name, options).
ScheduledEvent = tuple[int, str, dict[str, Any]]


def run_model(
    scenario: str | Path | Scenario | None = None,
    *,
    steps: int | None = None,
    seed: int | np.random.Generator | None = 0,
    params: dict[str, Any] | None = None,
    events: Iterable[ScheduledEvent] = (),
    org_chart: str | Path | Chart | None = None,
    after_step: Callable[[CultureModel], None] | None = None,
) -> CultureModel:
    """Build a model of ``scenario`` (none: the defaults) with ``params`` over its
    parameters, schedule ``events`` beside its own, and run it for ``steps`` weeks
    (default: the scenario's horizon). Every single run goes through here.
    ``after_step(model)`` is called after each week (e.g. to stop a run over its time)."""
    if scenario is not None and not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    model = CultureModel(scenario, rng=seed, org_chart=org_chart, **(params or {}))
    for step, kind, options in events:
        model.schedule_at(step, kind, **options)
    if steps is None:
        steps = scenario.steps if scenario is not None else DEFAULT_STEPS
    for _ in range(steps):
        model.step()
        if after_step is not None:
            after_step(model)
    return model


def simulate(
    scenario: str | Path | Scenario = "baseline",
    *,
    steps: int | None = None,
    seed: int = 0,
    params: dict | None = None,
    org_chart: str | Path | Chart | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Run a scenario for ``steps`` weeks.

    Returns:
        (table with a ``step`` column then every metric, one row per step from 0;
        metadata: scenario, seed, all parameter values, events, org chart, versions).
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
    """Everything needed to reproduce a run (``org_chart``: the imported chart's file,
    size and SHA-256, see ``model.org.Chart``; None for a generated organisation)."""
    return {
        "scenario": model.preset.name if model.preset else None,
        "seed": model.seed,
        "steps": steps,
        "parameters": model.p.as_dict(),
        "events": model.event_log,
        "org_chart": model.org.chart,
        "versions": versions(),
    }


OUTPUT_SUFFIXES = (".csv", ".parquet")


def check_output(out: Path) -> None:
    """Fail now, before any work, if ``write_table`` could not write ``out``.

    Raises:
        OutputError: the wrong suffix, a directory in the way, a parent that is a
            file, or a folder that cannot be written.
    """
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise OutputError(f"--out must end in .csv or .parquet, got '{out.name}'")
    check_writable(out, "--out", OutputError)
    check_writable(out.with_name(f"{out.name}.json"), "--out's metadata file", OutputError)


def write_table(table: pd.DataFrame, meta: dict, out: Path) -> None:
    """Write the table as CSV or Parquet with its metadata in ``<out>.json`` (and, for
    Parquet, in the file's schema metadata too), so that a kill at any moment never
    leaves data without the metadata that describes it.

    Both files are written in full to temp files first; then the old data file goes,
    the new metadata is renamed into place, and the new data last. Killed at any
    point, ``out`` is either absent (perhaps with a metadata file alone) or complete,
    with its own metadata beside it; the metadata holds the data file's size and
    SHA-256 (``data_bytes``, ``data_sha256``) to check them against.

    Raises:
        OutputError: ``out`` cannot be written (the message says why); nothing is
            left behind, and an earlier ``out`` stays as it was.
    """
    check_output(out)
    sidecar = out.with_name(f"{out.name}.json")
    clean_temps(out)
    clean_temps(sidecar)
    data, info = temp_path(out), temp_path(sidecar)
    try:
        if out.suffix.lower() == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            arrow = pa.Table.from_pandas(table, preserve_index=False)
            text = json.dumps(meta, default=str).encode()
            arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), b"cxlab": text})
            pq.write_table(arrow, data)
        else:
            table.to_csv(data, index=False)
        digest = hashlib.sha256(data.read_bytes()).hexdigest()
        text = json.dumps(
            {**meta, "data_bytes": data.stat().st_size, "data_sha256": digest}, indent=2, default=str
        )
        info.write_text(text, encoding="utf-8")
        out.unlink(missing_ok=True)  # from here on, no data without its metadata
        os.replace(info, sidecar)
        os.replace(data, out)
    except OSError as exc:
        raise OutputError(f"cannot write --out '{shown(out)}': {why(exc)}") from None
    finally:
        data.unlink(missing_ok=True)
        info.unlink(missing_ok=True)


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
