"""Helpers shared by the experiment tests (imported by them, and by Dask workers and
subprocesses started from them, which have this folder on their path)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from experiments import SerialExecutor
from experiments.evaluate import RunResult, RunTask, run_task

# a ~40-person firm in a market of 1000: every run takes milliseconds
SMALL = "[constants]\nn_employees = 40\nmarket_size = 1000\ninitial_customers = 200\n"


def flaky_task(task: RunTask) -> RunResult:
    """``run_task``, but the model raises for leadership_commitment 0.8 (a stand-in for a model bug)."""
    if task.params.get("leadership_commitment") == 0.8:
        task = replace(task, params={**task.params, "n_employees": -1})
    return run_task(task)


class CountingExecutor(SerialExecutor):
    """A serial executor that remembers which runs it was given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def run(self, fn, tasks):
        for task in tasks:
            self.seen.append(task.run_id)
            yield task, fn(task)


def write(folder: Path, text: str, name: str = "spec.toml") -> Path:
    """Write a spec's text into ``folder``; return its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
