"""Thinning draws each person with exactly their probability, independently.

``sampling.thinned`` replaces one uniform per person by geometric gaps between
the few candidates below a bound; these tests check it against the plain rule
in distribution: per-person frequencies over many replications, counts, and
the positions of Bernoulli successes.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import CultureModel, culture, customers, wom
from model.customers import ACTIVE, PROSPECT
from model.params import make_params
from model.sampling import DENSE, SMALL, bernoulli_positions, thinned

REPS = 4000


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 3000), rate=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_bernoulli_positions_are_sorted_distinct_and_in_range(n, rate, seed):
    pos = bernoulli_positions(n, rate, np.random.default_rng(seed))
    assert np.all(np.diff(pos) > 0) and (len(pos) == 0 or (pos[0] >= 0 and pos[-1] < n))
    if rate >= 1.0:
        assert len(pos) == n
    if rate == 0.0:
        assert len(pos) == 0


@pytest.mark.parametrize("rate", [0.002, 0.03, 0.15])
def test_bernoulli_positions_count_and_spread_as_independent_trials(rate):
    n, rng = 500, np.random.default_rng(7)
    hits = np.zeros(n)
    counts = []
    for _ in range(REPS):
        pos = bernoulli_positions(n, rate, rng)
        hits[pos] += 1
        counts.append(len(pos))
    mean, var = n * rate, n * rate * (1 - rate)
    assert abs(np.mean(counts) - mean) < 4 * math.sqrt(var / REPS)
    assert np.var(counts) == pytest.approx(var, rel=0.15)
    # every position equally likely: chi-square over positions, within 4 sd of its mean (n - 1)
    expected = REPS * rate
    chi2 = ((hits - expected) ** 2 / expected).sum()
    assert abs(chi2 - (n - 1)) < 4 * math.sqrt(2 * (n - 1))


@pytest.mark.parametrize(
    ("n", "bound"), [(SMALL, 0.01), (SMALL, 0.1), (300, 0.1), (300, DENSE + 0.1), (300, 0.9)]
)
def test_thinned_chooses_each_person_with_their_probability(n, bound):
    """Sparse (geometric gaps) and dense (a uniform each: a high bound or few people) regimes alike."""
    rng = np.random.default_rng(11)
    prob = bound * np.random.default_rng(3).random(n)
    prob[:20] = 0.0
    prob[20:40] = bound
    calls = []

    def probability(i):
        calls.append(len(prob[i]))
        return prob[i]

    hits = np.zeros(n)
    for _ in range(REPS):
        chosen = thinned(n, bound, probability, rng)
        assert np.all(np.diff(chosen) > 0)
        hits[chosen] += 1
    assert hits[:20].sum() == 0, "probability 0: never chosen"
    z = (hits[20:] - REPS * prob[20:]) / np.sqrt(REPS * prob[20:] * (1 - prob[20:]))
    assert np.abs(z).max() < 5.5, "each person's frequency within 5.5 standard errors"
    assert abs(z.mean()) < 4 / math.sqrt(len(z)), "no bias overall"
    if bound <= DENSE and n >= SMALL:
        assert np.mean(calls) < 3 * n * bound, "probabilities computed for the candidates only"


def test_thinned_same_seed_same_draws():
    def probability(i):
        return np.full(len(i), 0.02)

    a = thinned(10_000, 0.05, probability, np.random.default_rng(5))
    b = thinned(10_000, 0.05, probability, np.random.default_rng(5))
    assert np.array_equal(a, b) and len(a) > 100


def test_quitters_and_churners_follow_their_probabilities():
    p = make_params({"quit_sensitivity": 8.0, "base_quit_rate": 0.02, "churn_sensitivity": 10.0})
    w = np.linspace(0.0, 1.0, 50)
    present = np.arange(50) % 5 != 0
    rng = np.random.default_rng(1)
    quits = sum(np.bincount(culture.quitters(w, present, p, rng), minlength=50) for _ in range(REPS))
    churns = sum(np.bincount(customers.churners(w, p, rng), minlength=50) for _ in range(REPS))
    assert quits[~present].sum() == 0, "empty positions never quit"
    for hits, prob in (
        (quits[present], culture.quit_probability(w[present], p)),
        (churns, customers.churn_probability(w, p)),
    ):
        z = (hits - REPS * prob) / np.sqrt(REPS * prob * (1 - prob))
        assert np.abs(z).max() < 5


def test_prospects_consider_with_their_adoption_probability():
    """Over many draws from one state, each kind of prospect adopts as often as
    the plain adoption probability says, with word of mouth heard unevenly."""
    m = CultureModel(rng=4, n_employees=50, market_size=2000, initial_customers=300)
    for _ in range(3):
        m.step()
    gen = np.random.default_rng(104)
    m.market.recommendations[:] = gen.exponential(1.0, 2000) * (gen.random(2000) < 0.3)
    m.market.warnings[:] = gen.exponential(1.0, 2000) * (gen.random(2000) < 0.3)
    p, mk = m.p, m.market
    prospects = np.flatnonzero(mk.status == PROSPECT)
    bass_p = p.bass_p * max(0.0, 1.0 + p.promise_reach * (p.marketing_promise - 0.5))
    share = (m.network @ (mk.status == ACTIVE).astype(float))[prospects] / np.maximum(mk.degree[prospects], 1)
    prob = wom.adoption_probability(
        bass_p,
        p.bass_q,
        share,
        mk.recommendations[prospects],
        mk.warnings[prospects],
        p.referral_weight,
        p.wom_deterrence,
    )
    reps = 1500
    hits = np.zeros(len(mk.status))
    for _ in range(reps):
        hits[m._prospects_consider(prospects, m.market.status == ACTIVE).candidates] += 1
    hits = hits[prospects]
    assert abs(hits.sum() - reps * prob.sum()) < 4 * math.sqrt(reps * (prob * (1 - prob)).sum())
    # by decile of probability: frequencies match within 4 standard errors
    order = np.argsort(prob)
    for part in np.array_split(order, 10):
        expected, var = reps * prob[part].sum(), reps * (prob[part] * (1 - prob[part])).sum()
        assert abs(hits[part].sum() - expected) < 4 * math.sqrt(var)
