"""Calibration: the real-world patterns a firm's runs are held against.

A targets file (TOML, see ``model/data/targets.toml``) lists patterns as
ranges of *measures*: numbers computed from a run's weekly table over a
window of weeks (by default years two and three), averaged over seeds. The
measures are defined once, here, in ``MEASURES``; ``run.py calibrate`` checks
the defaults against a targets file or fits chosen parameters to it.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TARGETS = Path(__file__).parent / "data" / "targets.toml"
WEEKS_PER_YEAR = 52


class CalibrationError(ValueError):
    """A targets file or a calibration request that cannot be used."""


@dataclass(frozen=True)
class Measure:
    """A number computed from a run's weekly table over a window of weeks."""

    unit: str
    meaning: str
    compute: Callable[[pd.DataFrame], float]
    lo: float = -math.inf  # what the measure can possibly take
    hi: float = math.inf


def _ratio(numerator: str, denominator: str) -> Callable[[pd.DataFrame], float]:
    def compute(t: pd.DataFrame) -> float:
        total = t[denominator].sum()
        return float(t[numerator].sum() / total) if total > 0 else math.nan

    return compute


def _weighted(column: str, weight: str) -> Callable[[pd.DataFrame], float]:
    def compute(t: pd.DataFrame) -> float:
        w = t[weight].to_numpy(float)
        return float((t[column].to_numpy(float) * w).sum() / w.sum()) if w.sum() > 0 else math.nan

    return compute


def _annual(column: str) -> Callable[[pd.DataFrame], float]:
    """A weekly rate as the share lost over a year at that rate, ``1 - (1 - w)^52``."""
    return lambda t: float(1.0 - (1.0 - t[column].mean()) ** WEEKS_PER_YEAR)


MEASURES: dict[str, Measure] = {
    "abandonment": Measure(
        "share of contacts",
        "Contacts that hung up before being answered.",
        _weighted("abandonment_rate", "contacts"),
        0,
        1,
    ),
    "speed_of_answer": Measure(
        "seconds",
        "Mean wait of answered contacts.",
        _weighted("speed_of_answer_seconds", "contacts"),
        0,
    ),
    "first_contact_resolution": Measure(
        "share of answered problems",
        "Answered complaints solved at the first contact.",
        lambda t: float(t["first_contact_resolution"].mean()),
        0,
        1,
    ),
    "service_turnover": Measure(
        "share a year",
        "Service-department staff who quit in a year.",
        _annual("service_turnover"),
        0,
        1,
    ),
    "employee_turnover": Measure(
        "share a year", "Staff of the whole firm who quit in a year.", _annual("employee_turnover"), 0, 1
    ),
    "nps": Measure(
        "points", "Net Promoter Score of active customers.", lambda t: float(t["nps"].mean()), -100, 100
    ),
    "churn": Measure("share a year", "Customers lost in a year.", _annual("churn_rate"), 0, 1),
    "complaint_share": Measure(
        "share of purchases with a problem",
        "Customers with a problem who contacted the firm about it.",
        _ratio("complaints", "problems"),
        0,
        1,
    ),
    "reach_good": Measure(
        "people",
        "People each promoter who talks tells about the firm.",
        _ratio("wom_positive", "recommenders"),
        0,
    ),
    "reach_bad": Measure(
        "people", "People each detractor who talks warns.", _ratio("wom_negative", "warners"), 0
    ),
    "premium_takers": Measure(
        "share of delighted purchases",
        "Purchases by delighted customers on which a premium was paid.",
        _ratio("premium_purchases", "delighted_purchases"),
        0,
        1,
    ),
    "cumulative_profit": Measure(
        "currency",
        "Profit since the start, at the last week.",
        lambda t: float(t["cumulative_profit"].iloc[-1]),
    ),
    "active_customers": Measure(
        "customers", "Active customers at the last week.", lambda t: float(t["active_customers"].iloc[-1]), 0
    ),
    "culture": Measure(
        "0..1", "Mean customer focus of the workforce.", lambda t: float(t["culture_mean"].mean()), 0, 1
    ),
}


def measure(name: str, table: pd.DataFrame, window: tuple[int, int]) -> float:
    """``MEASURES[name]`` of the weeks ``window`` (first, last, inclusive) of a run's table."""
    first, last = window
    return MEASURES[name].compute(table[(table["step"] >= first) & (table["step"] <= last)])


@dataclass(frozen=True)
class Target:
    """A measure's plausible range for the firm, and where the range comes from."""

    measure: str
    low: float
    high: float
    source: str

    def distance(self, value: float) -> float:
        """How far ``value`` lies outside the range, in units of the range's width (0 inside)."""
        width = self.high - self.low if self.high > self.low else max(abs(self.high), 1.0)
        if math.isnan(value):
            return math.inf
        return max(self.low - value, value - self.high, 0.0) / width


@dataclass(frozen=True)
class Targets:
    """A firm's calibration targets: a scenario, a window of weeks, ranges of measures."""

    scenario: str
    window: tuple[int, int]
    steps: int
    targets: tuple[Target, ...]


def load_targets(path: str | Path = TARGETS) -> Targets:
    """Read and check a targets file.

    Raises:
        CalibrationError: unreadable file, unknown measure, impossible range.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalibrationError(f"targets file '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"{path.name}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CalibrationError(f"{path.name}: malformed TOML: {exc}") from None
    return parse_targets(data, path.name)


def parse_targets(data: dict, name: str = "targets") -> Targets:
    """Check a targets file's parsed TOML."""
    firm = data.get("firm", {})
    if not isinstance(firm, dict):
        raise CalibrationError(f"{name}: [firm] must be a table")
    unknown = set(data) - {"firm", "target"}
    if unknown:
        raise CalibrationError(f"{name}: unknown section(s) {sorted(unknown)}; use [firm] and [[target]]")
    steps = firm.get("steps", 156)
    window = firm.get("window", [WEEKS_PER_YEAR + 1, steps])
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise CalibrationError(f"{name}: [firm] steps must be a whole number >= 1, got {steps!r}")
    if (
        not isinstance(window, list)
        or len(window) != 2
        or not all(isinstance(w, int) and not isinstance(w, bool) for w in window)
        or not 1 <= window[0] <= window[1] <= steps
    ):
        raise CalibrationError(
            f"{name}: [firm] window must be [first, last] weeks within 1..{steps}, got {window!r}"
        )
    raw = data.get("target", [])
    if not isinstance(raw, list) or not raw:
        raise CalibrationError(f"{name}: no [[target]] entries")
    targets = []
    for i, entry in enumerate(raw, 1):
        if not isinstance(entry, dict):
            raise CalibrationError(f"{name}: target {i} must be a table")
        key = entry.get("measure")
        if key not in MEASURES:
            raise CalibrationError(
                f"{name}: target {i}: unknown measure {key!r} (known: {', '.join(MEASURES)})"
            )
        low, high = entry.get("low"), entry.get("high")
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (low, high)
        ):
            raise CalibrationError(f"{name}: target {key}: low and high must be numbers")
        m = MEASURES[key]
        if low > high:
            raise CalibrationError(f"{name}: target {key}: low {low:g} is above high {high:g}")
        if high < m.lo or low > m.hi:
            raise CalibrationError(
                f"{name}: target {key}: [{low:g}, {high:g}] is impossible, {key} lies in [{m.lo:g}, {m.hi:g}] ({m.unit})"
            )
        targets.append(Target(key, float(low), float(high), str(entry.get("source", ""))))
    return Targets(str(firm.get("scenario", "baseline")), (window[0], window[1]), steps, tuple(targets))


def evaluate(targets: Targets, tables: list[pd.DataFrame]) -> list[dict]:
    """Each target's mean measure over the runs' ``tables``, its standard error and whether it is in range."""
    rows = []
    for t in targets.targets:
        values = np.array([measure(t.measure, table, targets.window) for table in tables])
        mean = float(np.nanmean(values))
        se = float(np.nanstd(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan
        rows.append(
            {
                "measure": t.measure,
                "low": t.low,
                "high": t.high,
                "value": mean,
                "se": se,
                "inside": t.low <= mean <= t.high,
                "source": t.source,
            }
        )
    return rows


# ---------------------------------------------------------------- fitting


def fittable(names: list[str]) -> None:
    """Check that ``names`` are calibration constants that can be fitted.

    Raises:
        CalibrationError: an unknown name, a lever, a structural parameter or a whole number.
    """
    from model.params import SPECS, Kind, closest

    for name in names:
        spec = SPECS.get(name)
        if spec is None:
            raise CalibrationError(f"cannot fit '{name}': no such parameter.{closest(name)}")
        if spec.kind is Kind.LEVER:
            raise CalibrationError(f"cannot fit '{name}': it is a policy lever; set it in the scenario")
        if spec.kind is Kind.STRUCTURAL:
            raise CalibrationError(f"cannot fit '{name}': it shapes the world (size, organisation, network)")
        if spec.integer:
            raise CalibrationError(f"cannot fit '{name}': it is a whole number; set it in the scenario")
        if spec.lo == spec.hi:
            raise CalibrationError(
                f"cannot fit '{name}': its range [{spec.lo:g}, {spec.hi:g}] leaves no room"
            )
    if len(set(names)) != len(names):
        raise CalibrationError("each parameter may be named once in --fit")


def search_range(name: str, base: float) -> tuple[float, float]:
    """Where the fit looks for ``name``: a third to three times its value in the
    scenario, within its range (its whole range when the value is 0)."""
    from model.params import SPECS

    spec = SPECS[name]
    if base <= 0:
        return spec.lo, spec.hi
    return max(spec.lo, base / 3), min(spec.hi, base * 3)


def loss(targets: Targets, tables: list[pd.DataFrame]) -> float:
    """Sum of squared distances outside the ranges, in units of each range's width."""
    return float(
        sum(
            Target.distance(t, r["value"]) ** 2
            for t, r in zip(targets.targets, evaluate(targets, tables), strict=True)
        )
    )


def fit(
    targets: Targets,
    names: list[str],
    base: dict,
    runner,
    seeds: int,
    trials: int,
    seed: int,
    condition,
) -> tuple[dict[str, float], list[dict], float]:
    """Fit ``names`` so that the runs' measures fall inside the targets' ranges.

    Each trial runs ``condition`` (the targets' scenario) through ``runner`` with ``base`` (the scenario's values)
    and the trial's values on the same ``seeds`` seeds (common random numbers,
    so trials differ only by their values) and scores ``loss``; optuna's TPE
    sampler, seeded with ``seed``, picks the next values. Same seed, same fit.

    Returns:
        (fitted values, the fit per target, the loss).
    """
    import optuna

    fittable(names)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    start = {n: float(base[n]) for n in names}
    study.enqueue_trial(start)  # the scenario's own values first

    def objective(trial) -> float:
        values = {n: trial.suggest_float(n, *search_range(n, start[n])) for n in names}
        tables = runner([(condition, s, {**base, **values}) for s in range(seeds)])
        return loss(targets, tables)

    study.optimize(objective, n_trials=trials)
    best = {n: float(v) for n, v in study.best_params.items()}
    tables = runner([(condition, s, {**base, **best}) for s in range(seeds)])
    return best, evaluate(targets, tables), float(study.best_value)


def scenario_text(name: str, title: str, description: str, parameters: dict, events: list[dict]) -> str:
    """A scenario TOML that ``load_scenario`` reads back (see ``model.scenario``)."""

    def value(v) -> str:
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    lines = [
        "[scenario]",
        f"title = {value(title)}",
        f"description = {value(description)}",
        "",
        "[parameters]",
    ]
    lines += [f"{k} = {value(v)}" for k, v in sorted(parameters.items())]
    for event in events:
        lines += ["", "[[events]]"] + [f"{k} = {value(v)}" for k, v in event.items()]
    return "\n".join(lines) + "\n"


def format_fit(rows: list[dict]) -> str:
    """The fit per target as an aligned table."""
    head = f"{'measure':26s} {'value':>10s} {'± se':>8s}  {'range':>18s}  result"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['measure']:26s} {r['value']:10.4g} {r['se']:8.2g}  [{r['low']:7.4g}, {r['high']:7.4g}]  "
            f"{'inside' if r['inside'] else 'OUTSIDE'}"
        )
    inside = sum(r["inside"] for r in rows)
    lines.append(f"{inside} of {len(rows)} targets inside their range")
    return "\n".join(lines)
