"""Summaries of an experiment's results: outcomes per run, intervals across replications,
sensitivity indices with bootstrap intervals, and how they converge.

Intervals are 95% confidence intervals of the mean across replications (Student t),
per condition. Sensitivity indices use SALib on each condition's mean outcome, in
design order; Sobol intervals are SALib's bootstrap intervals (1,000 resamples).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from experiments.design import ANALYSIS_STREAM, derive_seed
from experiments.outcomes import Outcome, outcome_table

TRUSTED_HALF_WIDTH = 0.1  # Sobol intervals wider than +-0.1 rank factors only roughly
RESAMPLES = 1000


def factors_of(manifest: dict[str, Any]) -> list[str]:
    """The varied factors of an experiment, in spec order."""
    return list(manifest["design"]["factors"])


def outcomes_of(manifest: dict[str, Any]) -> tuple[Outcome, ...]:
    """The outcomes an experiment's report analyses (``[report] outcomes``)."""
    report = manifest.get("report")
    if report is None:  # results written before outcomes were data: metrics at the last week
        return tuple(Outcome(m, m) for m in manifest["outcomes"])
    declared = report.get("declared", {})
    out = []
    for name in report["outcomes"]:
        if name in declared:
            d = declared[name]
            weeks = tuple(d["weeks"]) if d.get("weeks") else None
            out.append(Outcome(**{**d, "weeks": weeks}))
        else:
            out.append(Outcome(name, name))
    return tuple(out)


def per_run(
    manifest: dict[str, Any], results: pd.DataFrame, outcomes: tuple[Outcome, ...] | None = None
) -> pd.DataFrame:
    """One row per finished run: run_id, condition, replicate, seed, factors, then each outcome."""
    outcomes = outcomes_of(manifest) if outcomes is None else outcomes
    keep = ["condition", "replicate", "seed", *factors_of(manifest)]
    return outcome_table(results, outcomes, keep)


def final_values(results: pd.DataFrame) -> pd.DataFrame:
    """One row per run: its values at the last recorded step."""
    if results.empty:
        return results
    last = results.groupby("run_id")["step"].transform("max")
    return results[results["step"] == last].reset_index(drop=True)


def mean_interval(values: pd.Series | np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the two ends of its ``level`` confidence interval (NaN ends for n < 2)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, np.nan, np.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return mean, mean - half, mean + half


def summary_table(runs: pd.DataFrame, factors: list[str], outcomes: list[str]) -> pd.DataFrame:
    """Per condition and outcome: n, mean, 95% interval of the mean and sd across replications.

    ``runs`` has one row per run (``per_run`` or ``final_values``); n counts the runs
    with a value (a crossing that never happened has none).
    """
    _require(runs, outcomes)
    rows = []
    for condition, group in runs.groupby("condition", sort=True):
        head = {"condition": condition, **{f: group[f].iloc[0] for f in factors}}
        for outcome in outcomes:
            values = group[outcome].dropna()
            mean, lo, hi = mean_interval(values)
            sd = float(values.std(ddof=1)) if len(values) > 1 else np.nan
            rows.append(
                {
                    **head,
                    "outcome": outcome,
                    "n": len(values),
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "sd": sd,
                }
            )
    return pd.DataFrame(rows)


def trajectory_table(results: pd.DataFrame, outcome: str, by: str = "condition") -> pd.DataFrame:
    """Per ``by`` group and step: mean and 95% interval of ``outcome`` across runs."""
    _require(results, [outcome, by])
    rows = []
    for (key, step), group in results.groupby([by, "step"], sort=True):
        mean, lo, hi = mean_interval(group[outcome])
        rows.append({by: key, "step": step, "mean": mean, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- sensitivity
def sensitivity(
    manifest: dict[str, Any], runs: pd.DataFrame, outcome: str, *, samples: int | None = None
) -> pd.DataFrame:
    """Sobol or Morris indices of ``outcome`` for each factor.

    Sobol: S1 and ST with their bootstrap half-widths (``_conf``) and 95% interval
    ends (``_low``, ``_high``). Morris: mu, mu*, its interval and sigma. ``runs`` has
    one row per run (``per_run``); ``samples`` uses only the first N base samples of
    a Sobol design (for convergence).

    Raises:
        ValueError: the design is not Sobol or Morris, the outcome is unknown, or some
            conditions have no finished run or no value.
    """
    first, _ = _salib(manifest, runs, outcome, samples)
    return first


def sobol_pairs(manifest: dict[str, Any], runs: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Second-order Sobol indices S2 of ``outcome`` for each pair of factors, with intervals.

    Raises:
        ValueError: as ``sensitivity``, or the design has no second-order samples.
    """
    sampling = manifest["spec"].get("sampling") or {}
    if not (sampling.get("method") == "sobol" and sampling.get("second_order")):
        raise ValueError("S2 needs a sobol design with second_order = true")
    _, pairs = _salib(manifest, runs, outcome, None)
    return pairs


def sobol_convergence(manifest: dict[str, Any], runs: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """S1 and ST with intervals for each power-of-two sample size up to the design's N."""
    n = manifest["spec"]["sampling"]["samples"]
    sizes = [2**k for k in range(2, n.bit_length()) if 2**k < n] + [n]
    tables = [sensitivity(manifest, runs, outcome, samples=s).assign(samples=s) for s in sizes]
    return pd.concat(tables, ignore_index=True)


def sobol_warnings(table: pd.DataFrame, samples: int) -> list[str]:
    """Plain-language warnings when a Sobol table's intervals are too wide to trust."""
    notes = []
    for outcome, group in table.groupby("outcome", sort=False):
        widths = group[["S1_conf", "ST_conf"]]
        worst = float(np.nanmax(widths.to_numpy())) if widths.notna().any().any() else np.nan
        if np.isfinite(worst) and worst > TRUSTED_HALF_WIDTH:
            need = samples * (worst / TRUSTED_HALF_WIDTH) ** 2
            suggest = 1 << max(0, int(np.ceil(np.log2(need))))
            notes.append(
                f"{outcome}: N = {samples} is too small for these indices to mean much: the widest 95% interval "
                f"is +-{worst:.2f}. Intervals shrink with the square root of N; about N = {suggest} would bring "
                f"them near +-{TRUSTED_HALF_WIDTH}. Grow this experiment with --resume after raising samples."
            )
        outside = group[
            (group["S1"] < -group["S1_conf"])
            | (group["ST"] > 1 + group["ST_conf"])
            | (group["S1"] > 1 + group["S1_conf"])
        ]
        if len(outside):
            row = outside.iloc[0]
            value = row["S1"] if (row["S1"] < 0 or row["S1"] > 1) else row["ST"]
            notes.append(
                f"{outcome}: some indices lie outside 0..1 (e.g. {row['factor']}: {value:.2f}); true indices "
                "cannot, so this is sampling error, not an effect."
            )
    return notes


def _salib(
    manifest: dict[str, Any], runs: pd.DataFrame, outcome: str, samples: int | None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    from SALib.analyze import morris, sobol

    spec, design = manifest["spec"], manifest["design"]
    sampling = spec.get("sampling")
    if not sampling or sampling["method"] not in ("sobol", "morris"):
        method = sampling["method"] if sampling else "grid"
        raise ValueError(
            f"sensitivity indices need a sobol or morris design, this is {method}; "
            "use experiments.discovery.feature_scores for other designs"
        )
    _require(runs, [outcome])
    n_conditions = len(design["conditions"])
    y = runs.groupby("condition")[outcome].mean().reindex(range(n_conditions))
    if y.isna().any():
        raise ValueError(
            f"{outcome}: {int(y.isna().sum())} of {n_conditions} conditions have no finished run or no value"
        )
    factors = [f["name"] for f in spec["factors"]]
    problem = {"num_vars": len(factors), "names": factors, "bounds": [f["bounds"] for f in spec["factors"]]}
    seed = derive_seed(spec["seed"], ANALYSIS_STREAM) % 2**32
    values = y.to_numpy(dtype=float)
    if sampling["method"] == "morris":
        x = np.asarray(design["sample_matrix"], dtype=float)
        res = morris.analyze(problem, x, values, num_levels=sampling["levels"], seed=seed)
        table = pd.DataFrame(
            {k: np.asarray(res[k], dtype=float) for k in ("mu", "mu_star", "mu_star_conf", "sigma")}
        )
        table.insert(0, "factor", factors)
        table.insert(0, "outcome", outcome)
        return table, None
    second = bool(sampling["second_order"])
    if samples is not None:
        block = (2 if second else 1) * len(factors) + 2
        values = values[: samples * block]
    with np.errstate(divide="ignore", invalid="ignore"):
        res = sobol.analyze(
            problem,
            values,
            calc_second_order=second,
            num_resamples=RESAMPLES,
            seed=seed,
            print_to_console=False,
        )
    table = pd.DataFrame({"outcome": outcome, "factor": factors})
    for key in ("S1", "ST"):
        value, conf = np.asarray(res[key], dtype=float), np.asarray(res[f"{key}_conf"], dtype=float)
        table[key], table[f"{key}_conf"], table[f"{key}_low"], table[f"{key}_high"] = (
            value,
            conf,
            value - conf,
            value + conf,
        )
    pairs = None
    if second:
        rows = []
        s2, conf = np.asarray(res["S2"], dtype=float), np.asarray(res["S2_conf"], dtype=float)
        for i in range(len(factors)):
            for j in range(i + 1, len(factors)):
                rows.append(
                    {
                        "outcome": outcome,
                        "factor": factors[i],
                        "other": factors[j],
                        "S2": s2[i, j],
                        "S2_conf": conf[i, j],
                        "S2_low": s2[i, j] - conf[i, j],
                        "S2_high": s2[i, j] + conf[i, j],
                    }
                )
        pairs = pd.DataFrame(rows)
    return table, pairs


def _require(table: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in table]
    if missing:
        raise ValueError(
            f"no column {', '.join(map(repr, missing))} in this table (columns: {', '.join(map(str, table.columns))})"
        )
