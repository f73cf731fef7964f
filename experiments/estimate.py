"""What an experiment will cost before it starts: runs, time and disk, from a short pilot run.

The pilot builds the model of the design's first pending condition, times a few
weeks, and encodes its table as the store would (``encode_run``); time and disk are
scaled from there to the runs, steps and recorded rows of the spec.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from experiments.design import Design, Run, model_inputs, recorded_steps
from experiments.spec import ExperimentSpec
from experiments.store import encode_run
from model.model import CultureModel
from model.simulate import model_table, provenance

PILOT_STEPS = 4


@dataclass(frozen=True)
class Estimate:
    """The expected cost of running ``runs`` runs on ``workers`` workers."""

    runs: int
    workers: int
    seconds_per_run: float
    bytes_per_run: float

    @property
    def seconds(self) -> float:
        return self.runs * self.seconds_per_run / max(1, self.workers)

    @property
    def bytes(self) -> float:
        return self.runs * self.bytes_per_run

    def describe(self) -> str:
        return (
            f"{self.runs:,} run(s), about {_duration(self.seconds)} on {self.workers} worker(s) "
            f"({self.seconds_per_run:.2g} s a run) and {_size(self.bytes)} of disk"
        )


def estimate(spec: ExperimentSpec, design: Design, runs: list[Run], workers: int) -> Estimate:
    """Time a pilot of the first of ``runs`` and scale it to all of them."""
    if not runs:
        return Estimate(0, workers, 0.0, 0.0)
    params, _ = model_inputs(spec, design.conditions[runs[0].condition])
    start = time.perf_counter()
    model = CultureModel(spec.scenario, rng=runs[0].seed, **params)
    built = time.perf_counter()
    pilot = min(PILOT_STEPS, spec.steps)
    for _ in range(pilot):
        model.step()
    stepped = time.perf_counter()
    per_run = (built - start) + (stepped - built) / pilot * spec.steps
    table = model_table(model)[["step", *spec.metrics]]
    run = runs[0]
    label = {"run_id": run.run_id, "condition": run.condition, "replicate": run.replicate, "seed": run.seed}
    label.update(design.conditions[run.condition])
    identity = {"run_id": run.run_id, "experiment_id": "0" * 32, "core_fingerprint": "0" * 64}
    meta = provenance(model, spec.steps)
    one, many = (len(encode_run(label, table.iloc[:n], identity, meta)) for n in (1, len(table)))
    per_row = max(0.0, (many - one) / max(1, len(table) - 1))
    rows = len(recorded_steps(spec.record, spec.steps))
    return Estimate(len(runs), workers, per_run, one + per_row * (rows - 1))


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"
