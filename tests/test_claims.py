"""The claims of MODEL.md section 4 hold over 20 seeds, with their time shape.

Each claim (``model.claims``) compares conditions run with the same seeds
(common random numbers) at default size over the default 156 weeks; every
finding must clear its threshold by 3 standard errors of the paired mean.
Nothing here, or in ``model.claims``, is written into the model.
"""

from __future__ import annotations

import functools

import pytest

from model.claims import CLAIMS, Condition, evaluate, run

SEEDS = range(20)
Z = 3.0  # one-sided: a false pass needs a 3-standard-error fluke
pytestmark = pytest.mark.slow


@functools.cache
def tables(condition: Condition) -> list:
    return [run(condition, seed) for seed in SEEDS]


@pytest.mark.parametrize("claim", CLAIMS, ids=[f"claim{c.number}" for c in CLAIMS])
def test_claim_holds_over_seeds(claim):
    runs = {c: tables(c) for c in claim.conditions}
    findings = evaluate(claim, runs, Z)
    failed = [f for f in findings if not f.holds]
    assert not failed, "\n".join(
        f"{f.what}: {f.mean:.4g} +- {f.se:.2g}, needs {'>' if f.above else '<'} {f.threshold:g} by {Z} SE"
        for f in failed
    )
