"""Thinning shortcuts draw exactly the same people as the plain rules."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from model import culture, customers
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
