"""From a spec to a design: conditions (factor values) times replicates, each run with its seed.

Seeds come from the master seed through ``numpy.random.SeedSequence`` with a fixed
stream key per use, so a design never depends on how or where it is run:

* stream 0: the sampler (LHS, Sobol, Morris);
* stream 1: replicate ``r`` of every condition (common random numbers, the default:
  differences between conditions are then not seed noise);
* stream 2: condition ``c``, replicate ``r`` (independent seeds, if the spec asks);
* stream 3: the bootstrap of the sensitivity analysis.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.spec import ExperimentSpec, SpecError, check_params
from model.events import check_event
from model.params import ParameterError

SAMPLER_STREAM, REPLICATE_STREAM, RUN_STREAM, ANALYSIS_STREAM = 0, 1, 2, 3


@dataclass(frozen=True)
class Run:
    """One simulation: a condition, a replicate and the seed it runs with."""

    run_id: str
    condition: int
    replicate: int
    seed: int


@dataclass(frozen=True)
class Design:
    """The conditions (factor values) and runs of an experiment."""

    factors: tuple[str, ...]
    conditions: tuple[dict[str, Any], ...]
    runs: tuple[Run, ...]
    sampler_seed: int | None = None
    sample_matrix: tuple[tuple[float, ...], ...] | None = None  # raw sampler output (before rounding)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data for the manifest."""
        return {
            "factors": list(self.factors),
            "conditions": [dict(c) for c in self.conditions],
            "runs": [[r.run_id, r.condition, r.replicate, r.seed] for r in self.runs],
            "sampler_seed": self.sampler_seed,
            "sample_matrix": None if self.sample_matrix is None else [list(x) for x in self.sample_matrix],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Design:
        """Inverse of ``as_dict``."""
        matrix = data.get("sample_matrix")
        return cls(
            factors=tuple(data["factors"]),
            conditions=tuple(data["conditions"]),
            runs=tuple(Run(*r) for r in data["runs"]),
            sampler_seed=data.get("sampler_seed"),
            sample_matrix=None if matrix is None else tuple(tuple(x) for x in matrix),
        )


def derive_seed(master: int, *key: int) -> int:
    """A non-negative 63-bit seed for stream ``key`` of the master seed."""
    words = np.random.SeedSequence(master, spawn_key=key).generate_state(2, dtype=np.uint32)
    return ((int(words[0]) << 32) | int(words[1])) >> 1


def build_design(spec: ExperimentSpec) -> Design:
    """Expand a spec into its conditions and runs, and check every condition.

    Raises:
        SpecError: a condition whose parameter combination or events are invalid.
    """
    factors = tuple(f.name for f in spec.factors)
    sampler_seed, matrix = None, None
    if spec.sampling is not None:
        sampler_seed = derive_seed(spec.seed, SAMPLER_STREAM) % 2**32
        raw = sample(spec, sampler_seed)
        matrix = tuple(tuple(float(x) for x in row) for row in raw)
        conditions = [
            {f.name: int(round(x)) if f.integer else float(x) for f, x in zip(spec.factors, row, strict=True)}
            for row in raw
        ]
    elif spec.factors:
        levels = [f.levels for f in spec.factors]
        conditions = [dict(zip(factors, combo, strict=True)) for combo in itertools.product(*levels)]
    else:
        conditions = [{}]
    for i, condition in enumerate(conditions):
        check_condition(spec, condition, f"condition {i}" + (f" ({label(condition)})" if condition else ""))

    wc, wr = len(str(len(conditions) - 1)), len(str(spec.replications - 1))
    runs = []
    for c in range(len(conditions)):
        for r in range(spec.replications):
            if spec.common_random_numbers:
                seed = derive_seed(spec.seed, REPLICATE_STREAM, r)
            else:
                seed = derive_seed(spec.seed, RUN_STREAM, c, r)
            runs.append(Run(f"c{c:0{wc}d}-r{r:0{wr}d}", c, r, seed))
    return Design(factors, tuple(conditions), tuple(runs), sampler_seed, matrix)


def sample(spec: ExperimentSpec, seed: int) -> np.ndarray:
    """The sampler's matrix (one row per condition) for a ``[sampling]`` spec."""
    from SALib.sample import latin, morris, sobol

    s = spec.sampling
    assert s is not None
    problem = salib_problem(spec)
    if s.method == "lhs":
        return latin.sample(problem, s.samples, seed=seed)
    if s.method == "sobol":
        return sobol.sample(problem, s.samples, calc_second_order=s.second_order, seed=seed)
    return morris.sample(problem, s.samples, num_levels=s.levels, seed=seed)


def salib_problem(spec: ExperimentSpec) -> dict[str, Any]:
    """The SALib problem definition of a sampled design."""
    return {
        "num_vars": len(spec.factors),
        "names": [f.name for f in spec.factors],
        "bounds": [list(f.bounds) for f in spec.factors if f.bounds is not None],
    }


def model_inputs(
    spec: ExperimentSpec, condition: dict[str, Any]
) -> tuple[dict[str, Any], tuple[tuple[int, str, dict[str, Any]], ...]]:
    """Parameter overrides and scheduled events ``(step, type, options)`` for one condition."""
    params = dict(spec.constants)
    params.update({k: v for k, v in condition.items() if "." not in k})
    events = []
    for e in spec.events:
        varied = {k.partition(".")[2]: v for k, v in condition.items() if k.partition(".")[0] == e.name}
        step = varied.pop("step", e.step)
        events.append((int(step), e.type, {**e.options, **varied}))
    return params, tuple(events)


def check_condition(spec: ExperimentSpec, condition: dict[str, Any], where: str) -> None:
    """Check a condition's full parameter set and events."""
    params, events = model_inputs(spec, condition)
    check_params({**spec.scenario.parameters, **params}, where)
    for step, kind, options in events:
        try:
            check_event(kind, options)
        except ParameterError as exc:
            raise SpecError(f"{where}: {exc}") from None
        if not 0 <= step <= spec.steps:
            raise SpecError(f"{where}: event {kind} at step {step} is outside 0..{spec.steps}")


def recorded_steps(record: str | int, steps: int) -> list[int]:
    """The steps a run keeps: all, the last, or every k-th plus the last."""
    if record == "every_step":
        return list(range(steps + 1))
    if record == "final":
        return [steps]
    kept = list(range(0, steps + 1, int(record)))
    return kept if kept[-1] == steps else [*kept, steps]


def label(condition: dict[str, Any]) -> str:
    """A short text naming a condition's factor values."""
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in condition.items())
