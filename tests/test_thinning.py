"""Thinning shortcuts draw exactly the same people as the plain rules."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from model import CultureModel, culture, customers, wom
from model.customers import ACTIVE, PROSPECT
from model.params import make_params

unit_floats = st.floats(0.0, 1.0, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(
    w=arrays(float, 50, elements=unit_floats),
    present=arrays(bool, 50),
    u=arrays(float, 50, elements=st.floats(0.0, 1.0, exclude_max=True)),
    sensitivity=st.floats(0.0, 20.0),
)
def test_quitters_equal_the_plain_rule(w, present, u, sensitivity):
    p = make_params({"quit_sensitivity": sensitivity, "base_quit_rate": 0.05})
    plain = present & (u < culture.quit_probability(w, p))
    assert np.array_equal(culture.quitters(w, present, u, p), plain)


@settings(max_examples=80, deadline=None)
@given(
    sat=arrays(float, 50, elements=unit_floats),
    u=arrays(float, 50, elements=st.floats(0.0, 1.0, exclude_max=True)),
    sensitivity=st.floats(0.0, 50.0),
)
def test_churners_equal_the_plain_rule(sat, u, sensitivity):
    p = make_params({"churn_sensitivity": sensitivity, "base_churn": 0.02})
    plain = u < customers.churn_probability(sat, p)
    assert np.array_equal(customers.churners(sat, u, p), plain)


@pytest.mark.parametrize("seed", range(6))
def test_prospects_consider_as_the_plain_rule_would(seed):
    """Adoption by thinning picks exactly the prospects the plain rule picks,
    with word of mouth heard and warnings spread unevenly."""
    m = CultureModel(rng=seed, n_employees=50, market_size=2000, initial_customers=300)
    for _ in range(3):
        m.step()
    gen = np.random.default_rng(100 + seed)
    m.market.recommendations[:] = gen.exponential(1.0, 2000) * (gen.random(2000) < 0.3)
    m.market.warnings[:] = gen.exponential(1.0, 2000) * (gen.random(2000) < 0.3)
    m.set_params(bass_p=0.5, bass_q=5.0, referral_weight=2.0, wom_deterrence=0.5)  # many adopt
    p, mk = m.p, m.market
    prospects = np.flatnonzero(mk.status == PROSPECT)
    twin = copy.deepcopy(m.rng)
    candidates, _, _ = m._prospects_consider(prospects)

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
    plain = prospects[twin.random(len(prospects)) < prob]
    assert len(plain) > 50
    assert np.array_equal(candidates, plain)
