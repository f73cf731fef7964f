"""Experiment specs as data: read a TOML spec and check all of it before anything runs.

A spec names a scenario, a horizon, replications and a master seed, then either a
full-factorial grid (``[parameters]``) or a sampled design (``[sampling]``), plus
optional ``[constants]``, scheduled ``[[events]]``, derived ``[outcomes]`` and ``[report]``
settings::

    [experiment]
    name = "commitment_vs_staffing"
    scenario = "baseline"          # preset name, or a path to a scenario TOML
    steps = 156
    replications = 10
    seed = 2026
    record = "every_step"          # "final", or k to keep every k-th step
    metrics = ["nps", "cumulative_profit"]

    [parameters]
    leadership_commitment = [0.2, 0.5, 0.8]
    programme.step = [0, 26, 52]   # a field of the event named "programme"

    [[events]]
    name = "programme"
    type = "culture_programme"
    step = 26
    departments = ["service"]

Every mistake raises ``SpecError`` with a one-line message naming the key.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.outcomes import Outcome, OutcomeError, check_recorded, parse_outcomes, resolve
from model.events import EVENTS, check_event
from model.metrics import METRICS
from model.params import SPECS, ParameterError, closest, coerce, make_params
from model.scenario import Scenario, ScenarioError, load_scenario


class SpecError(ValueError):
    """An experiment spec that cannot be read or does not make sense."""


SECTIONS = ("experiment", "parameters", "sampling", "constants", "events", "outcomes", "report")
EXPERIMENT_KEYS = (
    "name",
    "description",
    "scenario",
    "steps",
    "replications",
    "seed",
    "record",
    "metrics",
    "common_random_numbers",
)
METHODS = ("lhs", "sobol", "morris", "montecarlo")
GROWABLE = ("sobol", "morris", "montecarlo")  # their first N conditions stay the same when N grows
SAMPLING_KEYS = ("method", "samples", "ranges", "second_order", "levels")
REPORT_KEYS = ("outcomes", "discovery")
DISCOVERY_KEYS = ("outcome", "below", "above")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")  # a file name: no separators, no leading dot
DEFAULT_OUTCOMES = ("nps", "cumulative_profit", "culture_mean", "active_customers")


@dataclass(frozen=True)
class EventSpec:
    """An event the spec schedules; fields named in the design vary per condition."""

    type: str
    step: int | None
    options: dict[str, Any] = field(default_factory=dict)
    name: str | None = None


@dataclass(frozen=True)
class Factor:
    """One varied input: a model parameter or an event field (``event.field``).

    ``levels`` is set for a grid, ``bounds`` for a sampled design.
    """

    name: str
    integer: bool
    levels: tuple[float, ...] | None = None
    bounds: tuple[float, float] | None = None

    @property
    def is_event(self) -> bool:
        return "." in self.name


@dataclass(frozen=True)
class Sampling:
    """A sampled design (SALib): method, base sample count and method options."""

    method: str
    samples: int
    second_order: bool = False
    levels: int = 4


@dataclass(frozen=True)
class Discovery:
    """Scenario discovery settings: runs whose ``outcome`` is below (or above) ``threshold`` are of interest."""

    outcome: str
    threshold: float
    below: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, ("below" if self.below else "above"): self.threshold}


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated experiment spec."""

    name: str
    scenario: Scenario
    steps: int
    replications: int
    seed: int
    record: str | int
    metrics: tuple[str, ...]
    factors: tuple[Factor, ...] = ()
    sampling: Sampling | None = None
    constants: dict[str, Any] = field(default_factory=dict)
    events: tuple[EventSpec, ...] = ()
    common_random_numbers: bool = True
    description: str = ""
    outcomes: tuple[Outcome, ...] = ()
    declared: dict[str, Outcome] = field(default_factory=dict)
    discovery: Discovery | None = None
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Everything that determines the results, as plain JSON-able data."""
        return {
            "name": self.name,
            "scenario": self.scenario.as_dict(),
            "steps": self.steps,
            "replications": self.replications,
            "seed": self.seed,
            "record": self.record,
            "metrics": list(self.metrics),
            "common_random_numbers": self.common_random_numbers,
            "constants": dict(self.constants),
            "events": [
                {"name": e.name, "type": e.type, "step": e.step, "options": dict(e.options)}
                for e in self.events
            ],
            "factors": [
                {
                    "name": f.name,
                    "integer": f.integer,
                    "levels": list(f.levels) if f.levels is not None else None,
                    "bounds": list(f.bounds) if f.bounds is not None else None,
                }
                for f in self.factors
            ],
            "sampling": None
            if self.sampling is None
            else {
                "method": self.sampling.method,
                "samples": self.sampling.samples,
                "second_order": self.sampling.second_order,
                "levels": self.sampling.levels,
            },
        }

    def fingerprint(self) -> str:
        """A hash of ``as_dict()``: equal fingerprints mean equal results."""
        return _hash(self.as_dict())

    def core_fingerprint(self) -> str:
        """A hash of what no extension may change: ``as_dict()`` without the replications,
        the grid's levels and a growable sample's size. Every run file carries it."""
        return _hash(core_dict(self.as_dict()))

    def report_dict(self) -> dict[str, Any]:
        """The analysis settings (``[outcomes]``, ``[report]``): they never change a run."""
        return {
            "outcomes": [o.name for o in self.outcomes],
            "declared": {name: o.as_dict() for name, o in self.declared.items()},
            "discovery": None if self.discovery is None else self.discovery.as_dict(),
        }


def core_dict(spec: dict[str, Any]) -> dict[str, Any]:
    """A spec's ``as_dict()`` without the parts an experiment may grow."""
    core = {**spec, "replications": None}
    core["factors"] = [{**f, "levels": None} for f in spec["factors"]]
    sampling = spec.get("sampling")
    if sampling is not None and sampling["method"] in GROWABLE:
        core["sampling"] = {**sampling, "samples": None}
    return core


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate a spec file.

    Raises:
        SpecError: missing file, malformed TOML, or any invalid content.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec file '{path}' does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path.name}: not UTF-8 text (byte {exc.start}); save the spec as UTF-8") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot be read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path.name}: malformed TOML: {exc}") from None
    except RecursionError:
        raise SpecError(f"{path.name}: malformed TOML: arrays or tables nested too deeply") from None
    try:
        return parse_spec(data, base_dir=path.parent, source=text)
    except SpecError as exc:
        raise SpecError(f"{path.name}: {exc}") from None


def parse_spec(data: dict[str, Any], *, base_dir: Path | None = None, source: str = "") -> ExperimentSpec:
    """Validate a spec's parsed TOML (relative scenario paths resolve against ``base_dir``)."""
    _check_keys(data, SECTIONS, "section", "")
    exp = data.get("experiment")
    if not isinstance(exp, dict):
        raise SpecError("missing [experiment] section")
    _check_keys(exp, EXPERIMENT_KEYS, "key", "experiment.")
    name = exp.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name.strip()) or ".." in name:
        raise SpecError(
            f"experiment.name must be a plain name of letters, digits, '_', '-' or '.' (it names the "
            f"results folder), got {name!r}"
        )
    scenario = _scenario(exp.get("scenario", "baseline"), base_dir)
    steps = _whole(exp.get("steps", scenario.steps), "experiment.steps", lo=1)
    replications = _whole(exp.get("replications", 1), "experiment.replications", lo=1)
    if "seed" not in exp:
        raise SpecError("experiment.seed is required (a whole number >= 0) so that results can be reproduced")
    seed = _whole(exp["seed"], "experiment.seed", lo=0)
    record = _record(exp.get("record", "every_step"))
    metrics = _metric_list(exp.get("metrics"), "experiment.metrics") or tuple(METRICS)
    crn = exp.get("common_random_numbers", True)
    if not isinstance(crn, bool):
        raise SpecError("experiment.common_random_numbers must be true or false")

    constants = _constants(data.get("constants", {}), scenario)
    events = _events(data.get("events", []))
    if "parameters" in data and "sampling" in data:
        raise SpecError("use either [parameters] (a grid) or [sampling] (a sampled design), not both")
    base = {**scenario.parameters, **constants}
    if "sampling" in data:
        sampling, factors = _sampling(data["sampling"], base, events, steps)
    else:
        sampling, factors = None, _grid(data.get("parameters", {}), base, events, steps)
    clash = sorted({f.name for f in factors} & set(constants))
    if clash:
        raise SpecError(f"{', '.join(clash)} is both varied and in [constants]; keep one")
    varied = {f.name.split(".")[0] for f in factors if f.is_event}
    for e in events:
        if e.step is None and e.name not in varied:
            raise SpecError(f"event '{e.name or e.type}' needs a 'step' (or vary {e.name}.step)")
        if e.step is not None and not 0 <= e.step <= steps:
            raise SpecError(f"event '{e.name or e.type}': step {e.step} is outside 0..{steps}")

    declared, outcomes, discovery = _analysis(data, metrics, record, steps)
    return ExperimentSpec(
        name=name.strip(),
        scenario=scenario,
        steps=steps,
        replications=replications,
        seed=seed,
        record=record,
        metrics=metrics,
        factors=tuple(factors),
        sampling=sampling,
        constants=constants,
        events=events,
        common_random_numbers=crn,
        description=str(exp.get("description", "")),
        outcomes=outcomes,
        declared=declared,
        discovery=discovery,
        source=source,
    )


def _analysis(
    data: dict[str, Any], metrics: tuple[str, ...], record: str | int, steps: int
) -> tuple[dict[str, Outcome], tuple[Outcome, ...], Discovery | None]:
    """``[outcomes]`` and ``[report]``: what the analysis computes (never part of a run)."""
    from experiments.design import recorded_steps

    report = data.get("report", {})
    if not isinstance(report, dict):
        raise SpecError("[report] must be a table")
    _check_keys(report, REPORT_KEYS, "key", "report.")
    kept = recorded_steps(record, steps)
    try:
        declared = parse_outcomes(data.get("outcomes", {}), steps)
        for outcome in declared.values():
            check_recorded(outcome, metrics, kept, f"outcomes.{outcome.name}")
        names = report.get("outcomes")
        if names is not None:
            if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                raise SpecError("report.outcomes must be a non-empty list of metric or outcome names")
            if len(set(names)) != len(names):
                raise SpecError("report.outcomes lists a name twice")
        elif declared:
            names = list(declared)
        else:
            defaults = [m for m in DEFAULT_OUTCOMES if m in metrics]
            names = list(metrics) if len(metrics) <= len(DEFAULT_OUTCOMES) else defaults or list(metrics[:4])
        outcomes = resolve(names, declared, "report.outcomes")
        for outcome in outcomes:
            check_recorded(outcome, metrics, kept, f"report.outcomes: {outcome.name}")
    except OutcomeError as exc:
        raise SpecError(str(exc)) from None
    return declared, outcomes, _discovery(report.get("discovery"), outcomes)


def _discovery(table: Any, outcomes: tuple[Outcome, ...]) -> Discovery | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise SpecError('report.discovery must be a table like { outcome = "nps", below = 0 }')
    _check_keys(table, DISCOVERY_KEYS, "key", "report.discovery.")
    names = [o.name for o in outcomes]
    if table.get("outcome") not in names:
        raise SpecError(f"report.discovery.outcome must be one of report.outcomes ({', '.join(names)})")
    if ("below" in table) == ("above" in table):
        raise SpecError("report.discovery needs exactly one of below = <number> or above = <number>")
    below = "below" in table
    threshold = _number(
        table["below" if below else "above"], "report.discovery." + ("below" if below else "above")
    )
    return Discovery(table["outcome"], float(threshold), below)


# ---------------------------------------------------------------- pieces
def _check_keys(table: dict, allowed: tuple[str, ...], what: str, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
            hint = f" Did you mean '{near[0]}'?" if near else f" (allowed: {', '.join(allowed)})"
            raise SpecError(f"unknown {what} '{prefix}{key}'.{hint}")


def _whole(value: Any, key: str, *, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise SpecError(f"{key} must be a whole number >= {lo}, got {value!r}")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(f"{key} must be a number, got {value!r}")
    return value


def _scenario(ref: Any, base_dir: Path | None) -> Scenario:
    if not isinstance(ref, str) or not ref:
        raise SpecError(f"experiment.scenario must be a preset name or a path, got {ref!r}")
    target: str | Path = ref
    if ref.endswith(".toml") and base_dir is not None and not Path(ref).is_absolute():
        beside = base_dir / ref
        target = beside if beside.is_file() else Path(ref)
    try:
        return load_scenario(target)
    except ScenarioError as exc:
        raise SpecError(f"experiment.scenario: {exc}") from None


def _record(value: Any) -> str | int:
    if value in ("every_step", "final"):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise SpecError(
        f'experiment.record must be "every_step", "final" or a whole number k >= 1 '
        f"(keep every k-th step), got {value!r}"
    )


def _metric_list(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(m, str) for m in value):
        raise SpecError(f"{key} must be a non-empty list of metric names")
    for m in value:
        if m not in METRICS:
            near = difflib.get_close_matches(m, list(METRICS), n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(near)}?" if near else ""
            raise SpecError(f"{key}: unknown metric '{m}'.{hint}")
    if len(set(value)) != len(value):
        raise SpecError(f"{key} lists a metric twice")
    return tuple(value)


def _params(values: dict[str, Any], key: str) -> dict[str, Any]:
    try:
        return coerce(values)
    except ParameterError as exc:
        raise SpecError(f"{key}: {exc}") from None


def check_params(values: dict[str, Any], where: str) -> None:
    """Check ranges and cross-parameter rules; ``where`` prefixes the message."""
    try:
        make_params(values)
    except ParameterError as exc:
        raise SpecError(f"{where}: {exc}") from None


def _constants(table: Any, scenario: Scenario) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise SpecError("[constants] must be a table of parameter = value")
    for name, value in table.items():
        if isinstance(value, list | dict):
            raise SpecError(f"constants.{name} must be a single value (vary it in [parameters])")
    constants = _params(table, "constants")
    check_params({**scenario.parameters, **constants}, "constants")
    return constants


def _events(raw: Any) -> tuple[EventSpec, ...]:
    if not isinstance(raw, list):
        raise SpecError("events must be given as [[events]] tables")
    events, names = [], set()
    for i, table in enumerate(raw):
        if not isinstance(table, dict):
            raise SpecError("events must be given as [[events]] tables")
        table = dict(table)
        name, kind, step = table.pop("name", None), table.pop("type", None), table.pop("step", None)
        label = f"events[{i}]"
        if name is not None:
            if not isinstance(name, str) or not name.isidentifier():
                raise SpecError(f"{label}.name must be a simple identifier like 'programme', got {name!r}")
            if name in names:
                raise SpecError(f"two events are named '{name}'")
            names.add(name)
        if not isinstance(kind, str):
            raise SpecError(f"{label} needs a 'type' (one of {', '.join(EVENTS)})")
        if step is not None:
            step = _whole(step, f"{label}.step", lo=0)
        try:
            check_event(kind, table)
        except ParameterError as exc:
            raise SpecError(f"{label}: {exc}") from None
        events.append(EventSpec(type=kind, step=step, options=table, name=name))
    return tuple(events)


def _factor_kind(name: str, events: tuple[EventSpec, ...], where: str) -> bool:
    """Check that ``name`` can be varied; return whether it takes whole numbers."""
    if "." not in name:
        if name not in SPECS:
            raise SpecError(f"{where}: unknown parameter '{name}'.{closest(name)}")
        return SPECS[name].integer
    event_name, _, field_name = name.partition(".")
    event = next((e for e in events if e.name == event_name), None)
    if event is None:
        known = [e.name for e in events if e.name]
        raise SpecError(
            f"{where}: '{name}' names no event; give an [[events]] table name = \"{event_name}\""
            + (f" (named events: {', '.join(known)})" if known else "")
        )
    if field_name == "step":
        return True
    options = EVENTS[event.type].options
    if field_name not in options or options[field_name].departments:
        numeric = [k for k, o in options.items() if not o.departments]
        raise SpecError(
            f"{where}: event {event.type}: unknown option '{field_name}' (numeric: {', '.join(numeric)})"
        )
    return options[field_name].whole


def _flatten(table: dict, key: str) -> dict[str, Any]:
    """``programme.step = [...]`` (a nested table in TOML) becomes ``{"programme.step": [...]}``."""
    out = {}
    for name, value in table.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                if isinstance(inner, dict):
                    raise SpecError(f"{key}.{name}.{sub}: only event.field can be nested")
                out[f"{name}.{sub}"] = inner
        else:
            out[name] = value
    return out


def _check_value(name: str, value: float, integer: bool, base: dict, steps: int, where: str) -> float | int:
    if "." not in name:
        value = _params({name: value}, where)[name]
        check_params({**base, name: value}, where)
        return value
    if integer:
        if value != int(value):
            raise SpecError(f"{where}: {name} must be a whole number, got {value!r}")
        value = int(value)
    if name.endswith(".step") and not 0 <= value <= steps:
        raise SpecError(
            f"{where}: {name} = {value} is outside 0..{steps} (use {steps} for 'not within the horizon')"
        )
    return value


def _grid(table: Any, base: dict, events: tuple[EventSpec, ...], steps: int) -> list[Factor]:
    if not isinstance(table, dict):
        raise SpecError("[parameters] must be a table of name = [values]")
    factors = []
    for name, values in _flatten(table, "parameters").items():
        where = f"parameters.{name}"
        integer = _factor_kind(name, events, where)
        if not isinstance(values, list) or not values:
            raise SpecError(f"{where} must be a non-empty list of values (put single values in [constants])")
        levels = tuple(_check_value(name, _number(v, where), integer, base, steps, where) for v in values)
        if len(set(levels)) != len(levels):
            raise SpecError(f"{where} lists a value twice")
        factors.append(Factor(name, integer, levels=levels))
    return factors


def _sampling(
    table: Any, base: dict, events: tuple[EventSpec, ...], steps: int
) -> tuple[Sampling, list[Factor]]:
    if not isinstance(table, dict):
        raise SpecError("[sampling] must be a table")
    _check_keys(table, SAMPLING_KEYS, "key", "sampling.")
    method = table.get("method")
    if method not in METHODS:
        raise SpecError(f"sampling.method must be one of {', '.join(METHODS)}, got {method!r}")
    samples = _whole(table.get("samples"), "sampling.samples", lo=2)
    if method == "sobol" and samples & (samples - 1):
        lower = 1 << (samples.bit_length() - 1)
        raise SpecError(f"sampling.samples must be a power of 2 for sobol (try {lower} or {2 * lower})")
    second = table.get("second_order", False)
    if not isinstance(second, bool) or (second and method != "sobol"):
        raise SpecError("sampling.second_order must be true or false, and applies to sobol only")
    levels = table.get("levels", 4)
    if "levels" in table and method != "morris":
        raise SpecError("sampling.levels applies to morris only")
    levels = _whole(levels, "sampling.levels", lo=2)
    ranges = table.get("ranges")
    if not isinstance(ranges, dict) or not ranges:
        raise SpecError("[sampling.ranges] must give at least one name = [low, high]")
    factors = []
    for name, bounds in _flatten(ranges, "sampling.ranges").items():
        where = f"sampling.ranges.{name}"
        integer = _factor_kind(name, events, where)
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise SpecError(f"{where} must be [low, high], got {bounds!r}")
        lo, hi = (_check_value(name, _number(b, where), integer, base, steps, where) for b in bounds)
        if not lo < hi:
            raise SpecError(f"{where}: low ({lo}) must be below high ({hi})")
        factors.append(Factor(name, integer, bounds=(lo, hi)))
    if method in ("sobol", "morris") and len(factors) < 2:
        raise SpecError(f"sampling.method = {method} needs at least two ranges")
    return Sampling(method, samples, second, levels), factors
