"""One run, as a pure function of its task: what executors send to a worker.

``run_task`` never raises for a model error: it returns the error with the run,
so one failing run does not stop the others.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any

import pandas as pd

from experiments.design import recorded_steps
from model.scenario import Scenario
from model.simulate import model_table, provenance, run_model


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (picklable, no open files)."""

    run_id: str
    seed: int
    scenario: Scenario
    steps: int
    params: dict[str, Any]
    events: tuple[tuple[int, str, dict[str, Any]], ...] = ()
    record: str | int = "every_step"
    metrics: tuple[str, ...] | None = None


@dataclass
class RunResult:
    """A finished run: its table, or the error it raised."""

    run_id: str
    table: pd.DataFrame | None
    error: dict[str, str] | None
    seconds: float
    provenance: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def simulate_task(task: RunTask) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Build the model, schedule the spec's events, run it; return the kept table and provenance."""
    model = run_model(task.scenario, steps=task.steps, seed=task.seed, params=task.params, events=task.events)
    table = model_table(model)
    if task.record != "every_step":
        table = table[table["step"].isin(recorded_steps(task.record, task.steps))]
    if task.metrics is not None:
        table = table[["step", *task.metrics]]
    return table.reset_index(drop=True), provenance(model, task.steps)


def run_task(task: RunTask) -> RunResult:
    """Run one task; a model error becomes ``RunResult.error`` instead of an exception."""
    start = time.perf_counter()
    try:
        table, meta = simulate_task(task)
    except Exception as exc:  # any model error is recorded with its run
        error = {
            "type": type(exc).__name__,
            "message": str(exc),
            "traceback": traceback.format_exc(),
        }
        return RunResult(task.run_id, None, error, time.perf_counter() - start)
    return RunResult(task.run_id, table, None, time.perf_counter() - start, meta)
