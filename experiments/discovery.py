"""Scenario discovery and metamodels: which factor ranges lead to an outcome of interest
(PRIM, from EMA Workbench's analysis module), and which factors matter (feature scores
of an extra-trees metamodel from scikit-learn, set up as EMA Workbench's
``get_ex_feature_scores`` does, with its out-of-bag R^2 as the metamodel's quality).

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


def _prim():
    with warnings.catch_warnings():  # it announces optional back ends it does not find
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    return prim


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
    prim = _prim()
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
    """Feature scores of each factor for each outcome: the share of an extra-trees metamodel's
    impurity reduction due to the factor (each column sums to 1), and in the last row
    (``metamodel_r2``) the metamodel's out-of-bag R^2, how much of the outcome's variance
    the factors explain at all. Seeded from the master seed.

    Raises:
        ValueError: no factors, or an unknown outcome.
    """
    from sklearn.ensemble import ExtraTreesRegressor

    seed = derive_seed(manifest["spec"]["seed"], ANALYSIS_STREAM) % 2**32
    columns = {}
    for outcome in outcomes:
        x, y = _inputs(manifest, runs, outcome)
        if np.ptp(y) == 0 or len(y) < 4:
            columns[outcome] = pd.Series(np.nan, index=[*x.columns, "metamodel_r2"])
            continue
        trees = ExtraTreesRegressor(
            n_estimators=100,
            max_features=max(1, round(x.shape[1] / 3)),
            min_samples_leaf=max(1, round(np.sqrt(len(y) / 1000))),
            bootstrap=True,
            oob_score=True,
            random_state=seed,
        ).fit(x, y)
        columns[outcome] = pd.Series(
            [*trees.feature_importances_, trees.oob_score_], index=[*x.columns, "metamodel_r2"]
        )
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
