"""Customers' purchases: who serves them, and satisfied customers coming back more often."""

import math

import numpy as np
import pytest

from model import CultureModel
from model.customers import ACTIVE, purchase_probability, server_pool, serving_quality
from model.departments import DEPARTMENTS, DEPT_INDEX
from model.params import make_params


def test_purchase_probability_follows_the_formula_and_is_at_most_one():
    p = make_params({"purchase_rate": 0.1, "repurchase_sensitivity": 3.0, "acceptable_satisfaction": 0.7})
    sat = np.array([0.7, 0.9, 0.4])
    expected = [0.1, 0.1 * math.exp(0.6), 0.1 * math.exp(-0.9)]
    assert purchase_probability(sat, p).tolist() == pytest.approx(expected, rel=1e-12)
    steep = make_params({"purchase_rate": 0.5, "repurchase_sensitivity": 20.0})
    assert purchase_probability(np.array([1.0]), steep)[0] == 1.0
    flat = make_params({"purchase_rate": 0.1, "repurchase_sensitivity": 0.0})
    assert purchase_probability(np.array([0.1, 0.95]), flat).tolist() == [0.1, 0.1]


def test_in_the_model_the_delighted_buy_as_often_as_the_formula_says():
    """Half the customers delighted, half unhappy: each half's buying share over
    many weeks of draws is within 4 standard errors of its probability."""
    m = CultureModel(rng=11, n_employees=40, market_size=4000, initial_customers=2000)
    active = np.flatnonzero(m.market.status == ACTIVE)
    happy, unhappy = active[::2], active[1::2]
    m.market.satisfaction[happy], m.market.satisfaction[unhappy] = 0.9, 0.4
    weeks = 40
    bought = np.zeros(len(m.market.status))
    for _ in range(weeks):
        np.add.at(bought, m._purchases(active).buyers, 1)
    for group, sat in ((happy, 0.9), (unhappy, 0.4)):
        prob = purchase_probability(np.array([sat]), m.p)[0]
        n = len(group) * weeks
        share = bought[group].sum() / n
        assert abs(share - prob) < 4 * math.sqrt(prob * (1 - prob) / n)
    assert bought[happy].sum() > 3 * bought[unhappy].sum()


def test_every_person_in_the_market_is_a_registered_customer_agent_reading_the_arrays():
    from model.agents import Customer

    m = CultureModel(rng=2, n_employees=40, market_size=500, initial_customers=100)
    for _ in range(5):
        m.step()
    agents = m.agents_by_type[Customer]
    assert len(agents) == 500 and len(m.customer_at) == 500
    assert {a.unique_id for a in agents} == {a.unique_id for a in m.customer_at}
    mk = m.market
    for i in (0, 123, 499):
        a = m.customer_at[i]
        assert a.index == i
        assert a.status == ("prospect", "active", "churned")[mk.status[i]]
        assert a.satisfaction == mk.satisfaction[i] and a.score == mk.score[i]
        assert a.tenure == mk.tenure[i] and a.spend == mk.spend[i]
        assert a.expectation == pytest.approx(m.expectations(np.array([i]))[0])


def _members(**sizes: int) -> list[np.ndarray]:
    """Department member lists with the given sizes, numbered consecutively."""
    out, start = [], 0
    for d in DEPARTMENTS:
        out.append(np.arange(start, start + sizes.get(d, 0)))
        start += sizes.get(d, 0)
    return out


def test_each_department_serves_its_share_spread_evenly_over_its_members():
    """Product touchpoint: product 60%, operations 40%; over 200,000 contacts each
    employee serves share / department size of them, within 5 standard errors."""
    members = _members(product=3, operations=5)
    pool = server_pool("product", members)
    n = 200_000
    quality = np.arange(8, dtype=float)  # quality == employee index: the draw reveals who served
    served = serving_quality(pool, n, quality, np.random.default_rng(3)).astype(int)
    counts = np.bincount(served, minlength=8)
    expected = np.array([0.6 / 3] * 3 + [0.4 / 5] * 5)
    assert members[DEPT_INDEX["product"]].tolist() == [0, 1, 2]
    z = (counts - n * expected) / np.sqrt(n * expected * (1 - expected))
    assert np.abs(z).max() < 5


def test_an_empty_department_leaves_its_share_to_the_others_and_no_one_left_means_anyone():
    alone = server_pool("product", _members(operations=4))
    served = serving_quality(alone, 10_000, np.arange(4, dtype=float), np.random.default_rng(1))
    assert set(served.astype(int).tolist()) == {0, 1, 2, 3}
    nobody = server_pool("recovery", _members(sales=2, hr=1))
    served = serving_quality(nobody, 10_000, np.arange(3, dtype=float), np.random.default_rng(1))
    assert set(served.astype(int).tolist()) == {0, 1, 2}, "with no service staff anyone present serves"
    empty = server_pool("recovery", _members())
    assert serving_quality(empty, 5, np.zeros(0), np.random.default_rng(1)).tolist() == [0.0] * 5
