"""One run, as a pure function of its task: what executors send to a worker.

``run_task`` never raises for a model error: it returns the error with the run,
so one failing run does not stop the others.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psutil

from experiments.design import recorded_steps
from experiments.store import encode_run
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
    timeout: float | None = None  # seconds; checked after every step
    label: dict[str, Any] | None = None  # with ``identity``: the worker encodes the run's file itself
    identity: dict[str, Any] | None = None


class RunTimeout(Exception):
    """A run took longer than its task's ``timeout``."""


@dataclass
class RunResult:
    """A finished run: its table, or the error it raised."""

    run_id: str
    table: pd.DataFrame | None
    error: dict[str, str] | None
    seconds: float
    provenance: dict[str, Any] | None = None
    worker: tuple[int, float] | None = None  # (process id, resident memory in MiB after the run)
    encoded: bytes | None = None  # the run's Parquet file (then ``table`` is None)

    @property
    def ok(self) -> bool:
        return self.error is None


def simulate_task(task: RunTask) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Build the model, schedule the spec's events, run it; return the kept table and provenance."""
    deadline = None if task.timeout is None else time.perf_counter() + task.timeout

    def watch(model) -> None:
        if deadline is not None and time.perf_counter() > deadline:
            raise RunTimeout(
                f"stopped after {model.steps} of {task.steps} steps: over the {task.timeout:g} s limit"
            )

    model = run_model(
        task.scenario,
        steps=task.steps,
        seed=task.seed,
        params=task.params,
        events=task.events,
        after_step=watch,
    )
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
        return RunResult(task.run_id, None, error, time.perf_counter() - start, worker=_worker())
    if task.label is not None and task.identity is not None:  # encoded here, in parallel; less to send back
        encoded = encode_run(task.label, table, task.identity, meta)
        return RunResult(task.run_id, None, None, time.perf_counter() - start, None, _worker(), encoded)
    return RunResult(task.run_id, table, None, time.perf_counter() - start, meta, _worker())


def _worker() -> tuple[int, float]:
    """This process's id and resident memory (a fresh handle: workers are forked after import)."""
    pid = os.getpid()
    return pid, psutil.Process(pid).memory_info().rss / 2**20
