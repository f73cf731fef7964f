"""Summaries of an experiment's tidy table: intervals across replications and sensitivity indices.

Intervals are 95% confidence intervals of the mean across replications
(Student t), per condition. Sensitivity indices use SALib on each condition's
mean final outcome, in design order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from experiments.design import ANALYSIS_STREAM, derive_seed


def factors_of(manifest: dict[str, Any]) -> list[str]:
    """The varied factors of an experiment, in spec order."""
    return list(manifest["design"]["factors"])


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


def summary_table(finals: pd.DataFrame, factors: list[str], outcomes: list[str]) -> pd.DataFrame:
    """Per condition and outcome: n, mean, 95% interval of the mean and sd across replications."""
    rows = []
    for condition, group in finals.groupby("condition", sort=True):
        head = {"condition": condition, **{f: group[f].iloc[0] for f in factors}}
        for outcome in outcomes:
            mean, lo, hi = mean_interval(group[outcome])
            sd = float(group[outcome].std(ddof=1)) if len(group) > 1 else np.nan
            rows.append(
                {
                    **head,
                    "outcome": outcome,
                    "n": len(group),
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "sd": sd,
                }
            )
    return pd.DataFrame(rows)


def trajectory_table(results: pd.DataFrame, outcome: str, by: str = "condition") -> pd.DataFrame:
    """Per ``by`` group and step: mean and 95% interval of ``outcome`` across runs."""
    rows = []
    for (key, step), group in results.groupby([by, "step"], sort=True):
        mean, lo, hi = mean_interval(group[outcome])
        rows.append({by: key, "step": step, "mean": mean, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def sensitivity(manifest: dict[str, Any], finals: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Sobol (S1, ST) or Morris (mu*, sigma) indices of ``outcome`` for each factor.

    Raises:
        ValueError: the design is not Sobol or Morris, or some conditions have no result.
    """
    from SALib.analyze import morris, sobol

    spec, design = manifest["spec"], manifest["design"]
    sampling = spec.get("sampling")
    if not sampling or sampling["method"] not in ("sobol", "morris"):
        raise ValueError("sensitivity indices need a sobol or morris design")
    n_conditions = len(design["conditions"])
    y = finals.groupby("condition")[outcome].mean().reindex(range(n_conditions))
    if y.isna().any():
        raise ValueError(f"{int(y.isna().sum())} of {n_conditions} conditions have no finished run")
    factors = [f["name"] for f in spec["factors"]]
    problem = {
        "num_vars": len(factors),
        "names": factors,
        "bounds": [f["bounds"] for f in spec["factors"]],
    }
    seed = derive_seed(spec["seed"], ANALYSIS_STREAM) % 2**32
    values = y.to_numpy(dtype=float)
    if sampling["method"] == "sobol":
        res = sobol.analyze(problem, values, calc_second_order=sampling["second_order"], seed=seed)
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    else:
        x = np.asarray(design["sample_matrix"], dtype=float)
        res = morris.analyze(problem, x, values, num_levels=sampling["levels"], seed=seed)
        keys = ("mu", "mu_star", "mu_star_conf", "sigma")
    table = pd.DataFrame({k: np.asarray(res[k], dtype=float) for k in keys})
    table.insert(0, "factor", factors)
    table.insert(0, "outcome", outcome)
    return table
