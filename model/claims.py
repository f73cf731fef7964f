"""The claims of MODEL.md section 4, as comparisons of conditions over seeds.

Each claim names the conditions it compares (a scenario, parameter overrides,
with or without its events) and checks findings on their runs, paired by seed
(common random numbers). A finding is a number, the paired mean of a measure
of one condition against another, and whether the claim's side of a threshold
holds. Nothing here feeds back into the model: the findings have to emerge.

``evaluate(claim, runs, z)`` asks that each finding clear its threshold by
``z`` standard errors of the paired mean: the tests use ``z = 3`` over 20
seeds; the robustness command (``run.py claims``) uses ``z = 0`` over a few
seeds per draw and reports the share of draws in which a claim holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.departments import DEPARTMENTS

PROGRAMME_WEEK = 4  # when the service_department and lip_service programmes run
SOON = PROGRAMME_WEEK + 4  # a month after the programme
YEAR = 52
QUARTER = 13


@dataclass(frozen=True)
class Condition:
    """One arm of a comparison: a scenario, parameter overrides, events on or off."""

    scenario: str
    params: tuple[tuple[str, float], ...] = ()
    events: bool = True
    steps: int | None = None  # the scenario's own horizon unless given

    def label(self) -> str:
        extra = [f"{k}={v:g}" for k, v in self.params] + ([] if self.events else ["no events"])
        return self.scenario + (f" ({', '.join(extra)})" if extra else "")


@dataclass(frozen=True)
class Finding:
    """A paired comparison and whether the claim's side of the threshold holds."""

    what: str
    mean: float  # mean over seeds of the paired measure
    se: float  # its standard error
    threshold: float
    above: bool  # the claim says mean > threshold (else mean < threshold)
    holds: bool


Runs = dict[Condition, list[pd.DataFrame]]


def paired(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean and standard error of per-seed values."""
    v = np.asarray(values, dtype=float)
    se = float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.nan
    return float(v.mean()), se


def finding(what: str, values, threshold: float, above: bool, z: float) -> Finding:
    mean, se = paired(values)
    margin = z * (se if math.isfinite(se) else 0.0)
    holds = mean - margin > threshold if above else mean + margin < threshold
    return Finding(what, mean, se, threshold, above, bool(holds))


@dataclass(frozen=True)
class Claim:
    number: int
    text: str
    conditions: tuple[Condition, ...]
    check: Callable[[Runs, float], list[Finding]] = field(repr=False)


# ------------------------------------------------------------------ measures
def col(runs: Runs, cond: Condition, name: str) -> np.ndarray:
    """(seeds, weeks) array of a metric."""
    return np.array([t[name].to_numpy(float) for t in runs[cond]])


def late(x: np.ndarray) -> np.ndarray:
    """Per-seed mean over years two and three (weeks 53 to the end)."""
    return x[:, YEAR + 1 :].mean(axis=1)


def others_culture(runs: Runs, cond: Condition) -> np.ndarray:
    """(seeds, weeks) mean customer focus of the departments other than service
    and the executives: the mean of their department means, one each."""
    names = [d for d in DEPARTMENTS if d not in ("service", "executive")]
    return np.mean([col(runs, cond, f"culture_{d}") for d in names], axis=0)


# -------------------------------------------------------------------- claims
BASE = Condition("baseline")
CENTRIC = Condition("customer_centric")
DEPT = Condition("service_department")
DEPT_PLAIN = Condition("service_department", events=False)
COMMITTED = Condition("service_department", (("leadership_commitment", 0.9),))
COMMITTED_PLAIN = Condition("service_department", (("leadership_commitment", 0.9),), events=False)
CUTTER = Condition("cost_cutter")
OVER = Condition("overpromise")
UNDER = Condition("understaffed")
EMPOWERED = Condition("empowered")
BAD = Condition("bad_practice")
SILENT = Condition("baseline", (("negative_wom_weight", 0.0),))
CARED = Condition("baseline", (("employee_care", 0.9),))
NEGLECTED = Condition("baseline", (("employee_care", 0.1),))


def claim1(r: Runs, z: float) -> list[Finding]:
    a, b = CENTRIC, DEPT
    return [
        finding(
            "NPS, years 2-3: led from the top - service department",
            late(col(r, a, "nps")) - late(col(r, b, "nps")),
            0,
            True,
            z,
        ),
        finding(
            "weekly churn, years 2-3: led from the top - service department",
            late(col(r, a, "churn_rate")) - late(col(r, b, "churn_rate")),
            0,
            False,
            z,
        ),
        finding(
            "3-year cumulative profit: led from the top - service department",
            col(r, a, "cumulative_profit")[:, -1] - col(r, b, "cumulative_profit")[:, -1],
            0,
            True,
            z,
        ),
    ]


def claim2(r: Runs, z: float) -> list[Finding]:
    cut = col(r, CUTTER, "cumulative_profit")
    out = []
    for other, name in ((BASE, "baseline"), (CENTRIC, "led from the top")):
        rival = col(r, other, "cumulative_profit")
        lead = cut - rival
        # ahead in every week of the first two quarters (the closest week decides), behind by the end of year two
        closest = int(np.argmin(lead[:, 1 : 2 * QUARTER + 1].mean(axis=0))) + 1
        out.append(
            finding(
                f"cumulative profit, week {closest} (closest of 1-26): cost cutter - {name}",
                lead[:, closest],
                0,
                True,
                z,
            )
        )
        out.append(
            finding(
                f"cumulative profit, week {2 * YEAR}: cost cutter - {name}", lead[:, 2 * YEAR], 0, False, z
            )
        )
    out.append(
        finding(
            "active customers, week 156: cost cutter - baseline",
            col(r, CUTTER, "active_customers")[:, -1] - col(r, BASE, "active_customers")[:, -1],
            0,
            False,
            z,
        )
    )
    return out


def claim3(r: Runs, z: float) -> list[Finding]:
    def gain(trained: Condition, plain: Condition, week: int) -> np.ndarray:
        return col(r, trained, "culture_service")[:, week] - col(r, plain, "culture_service")[:, week]

    soon = gain(DEPT, DEPT_PLAIN, SOON)
    soon_c = gain(COMMITTED, COMMITTED_PLAIN, SOON)
    after_year = gain(DEPT, DEPT_PLAIN, PROGRAMME_WEEK + YEAR)
    after_two = gain(COMMITTED, COMMITTED_PLAIN, PROGRAMME_WEEK + 2 * YEAR)
    others = (
        others_culture(r, COMMITTED)[:, PROGRAMME_WEEK + 2 * YEAR]
        - others_culture(r, COMMITTED_PLAIN)[:, PROGRAMME_WEEK + 2 * YEAR]
    )
    return [
        finding("programme's gain in service a month after, without commitment", soon, 0.15, True, z),
        finding(
            "share of that gain left a year later, without commitment",
            after_year / soon.mean(),
            0.25,
            False,
            z,
        ),
        finding(
            "share of the gain left two years after, with committed leaders (0.9)",
            after_two / soon_c.mean(),
            0.5,
            True,
            z,
        ),
        finding(
            "other departments after two years, with committed leaders: programme - commitment alone",
            others,
            0,
            True,
            z,
        ),
    ]


def claim4(r: Runs, z: float) -> list[Finding]:
    return [
        finding(
            "satisfaction, years 2-3: overpromise - baseline",
            late(col(r, OVER, "satisfaction_mean")) - late(col(r, BASE, "satisfaction_mean")),
            0,
            False,
            z,
        ),
        finding(
            "delivered service quality, years 2-3: |overpromise - baseline|",
            np.abs(late(col(r, OVER, "service_quality")) - late(col(r, BASE, "service_quality"))),
            0.01,
            False,
            z,
        ),
        finding(
            "customers won in the first quarter: overpromise - baseline",
            (col(r, OVER, "acquisitions_marketing") + col(r, OVER, "acquisitions_referral"))[
                :, 1 : QUARTER + 1
            ].sum(1)
            - (col(r, BASE, "acquisitions_marketing") + col(r, BASE, "acquisitions_referral"))[
                :, 1 : QUARTER + 1
            ].sum(1),
            0,
            True,
            z,
        ),
    ]


def claim5(r: Runs, z: float) -> list[Finding]:
    def diff(name: str) -> np.ndarray:
        return late(col(r, UNDER, name)) - late(col(r, BASE, name))

    def per_prospect(cond: Condition) -> np.ndarray:
        won = col(r, cond, "acquisitions_marketing") + col(r, cond, "acquisitions_referral")
        return won[:, 1:].sum(1) / col(r, cond, "prospects")[:, :-1].sum(1)

    return [
        finding(
            "speed of answer, years 2-3: understaffed - baseline (s)",
            diff("speed_of_answer_seconds"),
            0,
            True,
            z,
        ),
        finding("abandonment, years 2-3: understaffed - baseline", diff("abandonment_rate"), 0, True, z),
        finding(
            "active customers, week 156: understaffed - baseline",
            col(r, UNDER, "active_customers")[:, -1] - col(r, BASE, "active_customers")[:, -1],
            0,
            False,
            z,
        ),
        finding(
            "prospects won per prospect-week: understaffed - baseline",
            per_prospect(UNDER) - per_prospect(BASE),
            0,
            False,
            z,
        ),
    ]


def claim6(r: Runs, z: float) -> list[Finding]:
    return [
        finding(
            "first-contact resolution, years 2-3: empowered - baseline",
            late(col(r, EMPOWERED, "first_contact_resolution"))
            - late(col(r, BASE, "first_contact_resolution")),
            0,
            True,
            z,
        ),
        finding(
            "satisfaction, years 2-3: empowered - baseline",
            late(col(r, EMPOWERED, "satisfaction_mean")) - late(col(r, BASE, "satisfaction_mean")),
            0,
            True,
            z,
        ),
    ]


def claim7(r: Runs, z: float) -> list[Finding]:
    revenue = np.cumsum(col(r, BAD, "revenue"), axis=1) - np.cumsum(col(r, BASE, "revenue"), axis=1)
    closest = int(np.argmin(revenue[:, 1 : QUARTER + 1].mean(axis=0))) + 1
    profit = col(r, BAD, "cumulative_profit") - col(r, BASE, "cumulative_profit")

    def warnings_per_customer(cond: Condition) -> np.ndarray:
        return late(col(r, cond, "wom_negative") / np.maximum(col(r, cond, "active_customers"), 1))

    return [
        finding(
            f"cumulative revenue, week {closest} (closest of 1-13): bad practice - baseline",
            revenue[:, closest],
            0,
            True,
            z,
        ),
        finding(
            f"cumulative profit, week {2 * YEAR}: bad practice - baseline", profit[:, 2 * YEAR], 0, False, z
        ),
        finding(
            "weekly churn, years 2-3: bad practice - baseline",
            late(col(r, BAD, "churn_rate")) - late(col(r, BASE, "churn_rate")),
            0,
            True,
            z,
        ),
        finding(
            "warnings heard per customer, years 2-3: bad practice - baseline",
            warnings_per_customer(BAD) - warnings_per_customer(BASE),
            0,
            True,
            z,
        ),
    ]


def claim8(r: Runs, z: float) -> list[Finding]:
    def per_prospect(cond: Condition) -> np.ndarray:
        won = col(r, cond, "acquisitions_marketing") + col(r, cond, "acquisitions_referral")
        return won[:, 1:].sum(1) / col(r, cond, "prospects")[:, :-1].sum(1)

    return [
        finding(
            "prospects won per prospect-week: warnings heard - no warnings",
            per_prospect(BASE) - per_prospect(SILENT),
            0,
            False,
            z,
        )
    ]


def claim9(r: Runs, z: float) -> list[Finding]:
    return [
        finding(
            "employee turnover, years 2-3: care 0.9 - care 0.1",
            late(col(r, CARED, "employee_turnover")) - late(col(r, NEGLECTED, "employee_turnover")),
            0,
            False,
            z,
        ),
        finding(
            "service quality, years 2-3: care 0.9 - care 0.1",
            late(col(r, CARED, "service_quality")) - late(col(r, NEGLECTED, "service_quality")),
            0,
            True,
            z,
        ),
    ]


CLAIMS: tuple[Claim, ...] = (
    Claim(
        1,
        "Led from the top beats service-as-a-department on NPS, churn and 3-year profit.",
        (CENTRIC, DEPT),
        claim1,
    ),
    Claim(
        2,
        "The cost cutter leads on profit for two quarters, falls behind by year two, ends with fewer customers.",
        (CUTTER, BASE, CENTRIC),
        claim2,
    ),
    Claim(
        3,
        "A service-only programme fades without commitment and stays and spreads with it.",
        (DEPT, DEPT_PLAIN, COMMITTED, COMMITTED_PLAIN),
        claim3,
    ),
    Claim(
        4,
        "Overpromising lowers satisfaction at unchanged quality, after winning more prospects.",
        (OVER, BASE),
        claim4,
    ),
    Claim(
        5,
        "Understaffed support lengthens waits, raises abandonment, loses customers and prospects.",
        (UNDER, BASE),
        claim5,
    ),
    Claim(6, "Empowerment raises first-contact resolution and satisfaction.", (EMPOWERED, BASE), claim6),
    Claim(
        7,
        "Bad practice raises revenue at first; churn and warnings overtake it within two years.",
        (BAD, BASE),
        claim7,
    ),
    Claim(8, "Negative word of mouth slows acquisition.", (BASE, SILENT), claim8),
    Claim(9, "Employee care lowers turnover and raises service quality.", (CARED, NEGLECTED), claim9),
)


def conditions(claims: Sequence[Claim] = CLAIMS) -> list[Condition]:
    """Every condition the claims compare, once each."""
    return list(dict.fromkeys(c for claim in claims for c in claim.conditions))


def evaluate(claim: Claim, runs: Runs, z: float) -> list[Finding]:
    return claim.check(runs, z)


def run(condition: Condition, seed: int, overrides: dict | None = None) -> pd.DataFrame:
    """One run of ``condition`` over its scenario's horizon; ``overrides`` (a
    robustness draw's calibration values) apply under the condition's own."""
    from dataclasses import replace

    from model.scenario import load_scenario
    from model.simulate import model_table, run_model

    scenario = load_scenario(condition.scenario)
    if not condition.events:
        scenario = replace(scenario, events=())
    params = {**(overrides or {}), **dict(condition.params)}
    return model_table(run_model(scenario, steps=condition.steps, seed=seed, params=params))


# ------------------------------------------------------------- robustness
def calibration_names() -> list[str]:
    """The calibration constants: every parameter set by calibration, not a lever or structural."""
    from model.params import SPECS, Kind

    return [n for n, spec in SPECS.items() if spec.kind is Kind.CALIBRATION]


def perturbed(names: list[str], unit: np.ndarray, spread: float) -> list[dict[str, float]]:
    """Parameter values from points ``unit`` of the unit cube: each default moved
    by up to ``spread`` of itself either way, kept within its range."""
    from model.params import SPECS

    draws = []
    for point in unit:
        values = {}
        for name, u in zip(names, point, strict=True):
            spec = SPECS[name]
            value = min(max(spec.default * (1.0 + spread * (2.0 * u - 1.0)), spec.lo), spec.hi)
            values[name] = int(round(value)) if spec.integer else float(value)
        draws.append(values)
    return draws


def latin_hypercube(names: list[str], draws: int, spread: float, seed: int) -> list[dict[str, float]]:
    """``draws`` parameter sets on a Latin hypercube of the ``names``' defaults, each within ±``spread``."""
    from scipy.stats import qmc

    return perturbed(names, qmc.LatinHypercube(d=len(names), seed=seed).random(draws), spread)


def holds_per_draw(
    claims: Sequence[Claim], draws: list[dict], seeds: Sequence[int], runner
) -> list[dict[int, bool]]:
    """For each draw of parameter values, whether each claim holds on its ``seeds``
    (findings judged by their mean, ``z = 0``). ``runner`` maps a list of
    ``(condition, seed, overrides)`` jobs to their tables, in order."""
    conds = conditions(claims)
    jobs = [(c, s, draw) for draw in draws for c in conds for s in seeds]
    tables = runner(jobs)
    out, i, n = [], 0, len(seeds)
    for _ in draws:
        runs = {}
        for c in conds:
            runs[c], i = tables[i : i + n], i + n
        out.append({claim.number: all(f.holds for f in evaluate(claim, runs, 0.0)) for claim in claims})
    return out


def magnitudes(
    names: Sequence[str], step: float, seeds: Sequence[int], runner, window=(YEAR + 1, 3 * YEAR)
) -> list[dict]:
    """How far moving each parameter by ``step`` of itself (both ways) moves the
    baseline's NPS (points) and annual churn (percentage points), paired by seed."""
    from model.calibration import measure
    from model.params import SPECS

    moves = [(name, sign) for name in names for sign in (-1, 1)]
    jobs = [(BASE, s, {}) for s in seeds]
    for name, sign in moves:
        spec = SPECS[name]
        value = min(max(spec.default * (1 + sign * step), spec.lo), spec.hi)
        jobs += [(BASE, s, {name: int(round(value)) if spec.integer else value}) for s in seeds]
    tables = runner(jobs)
    n = len(seeds)

    def measures(chunk):
        return (
            np.array([measure("nps", t, window) for t in chunk]),
            np.array([100 * measure("churn", t, window) for t in chunk]),
        )

    nps0, churn0 = measures(tables[:n])
    rows = {}
    for k, (name, sign) in enumerate(moves):
        nps, churn = measures(tables[n * (k + 1) : n * (k + 2)])
        row = rows.setdefault(name, {"parameter": name, "default": SPECS[name].default})
        row["nps_minus" if sign < 0 else "nps_plus"] = float((nps - nps0).mean())
        row["churn_minus" if sign < 0 else "churn_plus"] = float((churn - churn0).mean())
    for row in rows.values():
        row["nps_worst"] = max(abs(row["nps_minus"]), abs(row["nps_plus"]))
        row["churn_worst"] = max(abs(row["churn_minus"]), abs(row["churn_plus"]))
    return sorted(rows.values(), key=lambda r: -r["nps_worst"])
