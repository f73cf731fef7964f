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
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.spec import ExperimentSpec, SpecError, check_params
from model.events import check_event
from model.params import ParameterError

SAMPLER_STREAM, REPLICATE_STREAM, RUN_STREAM, ANALYSIS_STREAM = 0, 1, 2, 3


@dataclass(frozen=True)
class Limits:
    """Sizes past which a design is refused unless the researcher lifts the limits
    (``--allow-large`` on the command line, ``limits=None`` from Python)."""

    replications: int = 1_000
    runs: int = 200_000
    samples: int = 2**16
    steps: int = 5_200  # a hundred years of weeks


LIMITS = Limits()


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


def count_conditions(spec: ExperimentSpec) -> int:
    """How many conditions the spec's design has, computed without building it."""
    s = spec.sampling
    if s is None:
        return math.prod(len(f.levels or ()) for f in spec.factors) if spec.factors else 1
    k = len(spec.factors)
    if s.method == "sobol":
        return s.samples * (2 * k + 2 if s.second_order else k + 2)
    if s.method == "morris":
        return s.samples * (k + 1)
    return s.samples


def check_limits(spec: ExperimentSpec, limits: Limits | None = LIMITS) -> None:
    """Refuse a design past ``limits`` before anything is built (``None``: no limits).

    Raises:
        SpecError: naming the size, the limit and how to lift it.
    """
    if limits is None:
        return
    lift = "; if you mean it, add --allow-large (from Python: limits=None)"
    runs = count_conditions(spec) * spec.replications
    for what, value, limit in (
        ("experiment.steps", spec.steps, limits.steps),
        ("experiment.replications", spec.replications, limits.replications),
        ("sampling.samples", spec.sampling.samples if spec.sampling else 0, limits.samples),
        ("the design's run count", runs, limits.runs),
    ):
        if value > limit:
            raise SpecError(f"{what} is {value:,}, above the limit of {limit:,}{lift}")


def build_design(
    spec: ExperimentSpec, *, previous: Design | None = None, limits: Limits | None = LIMITS
) -> Design:
    """Expand a spec into its conditions and runs, and check every condition.

    Args:
        spec: a validated spec.
        previous: the design an experiment already ran; the new design keeps its
            conditions, run ids and seeds, and adds only new runs (see ``extends``).
        limits: sizes past which the design is refused (``None``: no limits).

    Raises:
        SpecError: a design over the limits, or a condition whose parameters or events are invalid.
    """
    check_limits(spec, limits)
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
        old = (
            [dict(c) for c in previous.conditions]
            if previous is not None and previous.factors == factors
            else []
        )
        if old and all(c in conditions for c in old):  # added levels: old conditions keep their index
            conditions = old + [c for c in conditions if c not in old]
    else:
        conditions = [{}]
    for i, condition in enumerate(conditions):
        check_condition(spec, condition, f"condition {i}" + (f" ({label(condition)})" if condition else ""))

    wc, wr = len(str(len(conditions) - 1)), len(str(spec.replications - 1))
    kept = {(r.condition, r.replicate): r.run_id for r in previous.runs} if previous is not None else {}
    runs = []
    for c in range(len(conditions)):
        for r in range(spec.replications):
            if spec.common_random_numbers:
                seed = derive_seed(spec.seed, REPLICATE_STREAM, r)
            else:
                seed = derive_seed(spec.seed, RUN_STREAM, c, r)
            runs.append(Run(kept.get((c, r), f"c{c:0{wc}d}-r{r:0{wr}d}"), c, r, seed))
    return Design(factors, tuple(conditions), tuple(runs), sampler_seed, matrix)


def extends(new: Design, old: Design) -> str | None:
    """Why ``new`` does not extend ``old`` (None if it does): every old condition, run id
    and seed must be unchanged in ``new``."""
    if new.factors != old.factors:
        return "the varied factors changed"
    if len(new.conditions) < len(old.conditions):
        return f"the design shrank from {len(old.conditions)} to {len(new.conditions)} conditions"
    for i, (a, b) in enumerate(zip(old.conditions, new.conditions, strict=False)):
        if dict(a) != dict(b):
            return f"condition {i} changed ({label(dict(a))} -> {label(dict(b))})"
    runs = {(r.condition, r.replicate): r for r in new.runs}
    for r in old.runs:
        now = runs.get((r.condition, r.replicate))
        if now is None:
            return f"run {r.run_id} would be dropped (fewer replications?)"
        if (now.run_id, now.seed) != (r.run_id, r.seed):
            return f"run {r.run_id} would change its seed"
    return None


def sample(spec: ExperimentSpec, seed: int) -> np.ndarray:
    """The sampler's matrix (one row per condition) for a ``[sampling]`` spec."""
    from SALib.sample import latin, morris, sobol

    s = spec.sampling
    assert s is not None
    problem = salib_problem(spec)
    if s.method == "montecarlo":  # independent uniform draws, row by row: more samples keep the first ones
        bounds = np.asarray(problem["bounds"], dtype=float)
        unit = np.random.default_rng(seed).random((s.samples, len(spec.factors)))
        return bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])
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
