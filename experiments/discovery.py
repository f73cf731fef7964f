"""Scenario discovery and metamodels: which factor ranges lead to an outcome of interest,
and which factors matter, through EMA Workbench's analysis module (PRIM; extra-trees
feature scoring from scikit-learn).

Both read one row per run (``analysis.per_run``): the factors are the inputs, an
outcome the output. They suit sampled designs (Latin hypercube, Monte Carlo) best,
where the factors vary independently over their ranges.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis import factors_of
from experiments.design import ANALYSIS_STREAM, derive_seed

MIN_COVERAGE = 0.5  # the chosen PRIM box: the densest on the peeling trajectory that keeps this coverage


def _workbench():
    with warnings.catch_warnings():  # it announces optional back ends it does not find
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import feature_scoring, prim
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType
    return prim, feature_scoring, RuleInductionType


@dataclass
class PrimResult:
    """A PRIM box: its limits per factor, and the whole peeling trajectory."""

    outcome: str
    rule: str  # e.g. "nps < 0"
    cases: int  # runs of interest
    runs: int
    box: pd.DataFrame  # factor, low, high, restricted
    trajectory: pd.DataFrame  # coverage, density, mass, res_dim per peel
    chosen: int  # row of ``trajectory`` the box is

    @property
    def coverage(self) -> float:
        return float(self.trajectory.loc[self.chosen, "coverage"])

    @property
    def density(self) -> float:
        return float(self.trajectory.loc[self.chosen, "density"])

    @property
    def mass(self) -> float:
        return float(self.trajectory.loc[self.chosen, "mass"])


def prim_box(
    manifest: dict[str, Any], runs: pd.DataFrame, outcome: str, threshold: float, *, below: bool = True
) -> PrimResult:
    """PRIM over the runs: the box of factor values where ``outcome`` is below (or above) ``threshold``.

    The box chosen is the densest on PRIM's peeling trajectory that still covers at
    least half of the cases of interest (else the one maximising coverage x density).

    Raises:
        ValueError: no factors, an unknown outcome, or no (or only) cases of interest.
    """
    prim, _, _ = _workbench()
    x, values = _inputs(manifest, runs, outcome)
    y = values < threshold if below else values > threshold
    rule = f"{outcome} {'<' if below else '>'} {threshold:g}"
    if not y.any() or y.all():
        raise ValueError(
            f"{rule} holds for {'none' if not y.any() else 'all'} of the {len(y)} runs: nothing to discover; "
            "choose another threshold"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, y).find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].astype(float)
    keeps = trajectory[trajectory.coverage >= MIN_COVERAGE]
    chosen = (
        int(keeps.density.idxmax())
        if len(keeps)
        else int((trajectory.coverage * trajectory.density).idxmax())
    )
    limits = box.box_lims[chosen]
    initial = box.box_lims[0]
    table = pd.DataFrame(
        {
            "factor": list(x.columns),
            "low": [float(limits[c].iloc[0]) for c in x.columns],
            "high": [float(limits[c].iloc[1]) for c in x.columns],
            "restricted": [
                bool(limits[c].iloc[0] > initial[c].iloc[0] or limits[c].iloc[1] < initial[c].iloc[1])
                for c in x.columns
            ],
        }
    )
    return PrimResult(outcome, rule, int(y.sum()), len(y), table, trajectory.reset_index(drop=True), chosen)


def feature_scores(manifest: dict[str, Any], runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Extra-trees feature scores (share of the fitted trees' impurity reduction) of each
    factor for each outcome; rows: factors, columns: outcomes. Seeded from the master seed.

    Raises:
        ValueError: no factors, or an unknown outcome.
    """
    _, feature_scoring, kind = _workbench()
    seed = derive_seed(manifest["spec"]["seed"], ANALYSIS_STREAM) % 2**32
    columns = {}
    for outcome in outcomes:
        x, y = _inputs(manifest, runs, outcome)
        if np.ptp(y) == 0:
            columns[outcome] = pd.Series(np.nan, index=x.columns)
            continue
        scores, _ = feature_scoring.get_ex_feature_scores(x, y, mode=kind.REGRESSION, random_state=seed)
        columns[outcome] = scores.iloc[:, 0]
    table = pd.DataFrame(columns)
    table.index.name = "factor"
    return table


def _inputs(manifest: dict[str, Any], runs: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, np.ndarray]:
    factors = factors_of(manifest)
    if not factors:
        raise ValueError("scenario discovery needs varied factors; this experiment has none")
    if outcome not in runs:
        raise ValueError(
            f"no outcome {outcome!r} in this table (columns: {', '.join(map(str, runs.columns))})"
        )
    rows = runs[runs[outcome].notna()]
    if rows.empty:
        raise ValueError(f"{outcome} has no value in any run")
    return rows[factors].astype(float).reset_index(drop=True), rows[outcome].to_numpy(dtype=float)
