"""Customers' purchases: who serves them, and satisfied customers coming back more often."""

import math

import numpy as np
import pytest

from model import CultureModel
from model.customers import ACTIVE, purchase_probability, server_pool, serving_quality
from model.departments import DEPARTMENTS, DEPT_INDEX, TOUCHPOINTS
from model.params import make_params


def test_purchase_probability_follows_the_formula_and_is_at_most_one():
    p = make_params({"purchase_rate": 0.1, "repurchase_sensitivity": 3.0})
    sat = np.array([0.75, 0.95, 0.45])  # acceptable (a passive 7.5), delighted, unhappy
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
    assert bought[happy].sum() > 2 * bought[unhappy].sum()  # exp(2 x 0.5) = 2.7 times at the default


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
    n = 200_000
    quality = np.arange(8, dtype=float)  # quality == employee index: the draw reveals who served
    assert members[DEPT_INDEX["product"]].tolist() == [0, 1, 2]
    expected = np.array([0.6 / 3] * 3 + [0.4 / 5] * 5)
    alone = serving_quality(server_pool(("product",), members), n, quality, np.random.default_rng(3))
    # stacked with two other touchpoints, the product column is drawn alike
    stacked = serving_quality(
        server_pool(("recovery", "product", "presale"), members), n, quality, np.random.default_rng(4)
    )
    assert alone.shape == (n, 1) and stacked.shape == (n, 3)
    for served in (alone[:, 0], stacked[:, 1]):
        counts = np.bincount(served.astype(int), minlength=8)
        z = (counts - n * expected) / np.sqrt(n * expected * (1 - expected))
        assert np.abs(z).max() < 5


def test_stacked_touchpoints_each_draw_from_their_own_departments():
    members = _members(product=2, operations=3, logistics=4, sales=1)
    pool = server_pool(("product", "delivery", "right_product"), members)
    quality = np.arange(10, dtype=float)
    served = serving_quality(pool, 50_000, quality, np.random.default_rng(8)).astype(int)
    dept = np.repeat([DEPT_INDEX[d] for d in ("product", "operations", "logistics", "sales")], [2, 3, 4, 1])
    for j, touchpoint in enumerate(("product", "delivery", "right_product")):
        shares = np.bincount(dept[served[:, j]], minlength=len(DEPARTMENTS)) / len(served)
        for d, share in TOUCHPOINTS[touchpoint].items():
            se = math.sqrt(share * (1 - share) / len(served))
            assert shares[DEPT_INDEX[d]] == pytest.approx(share, abs=5 * se), (touchpoint, d)
        assert len(np.unique(served[:, j])) == sum(
            len(members[DEPT_INDEX[d]]) for d in TOUCHPOINTS[touchpoint]
        )


def test_an_empty_department_leaves_its_share_to_the_others_and_no_one_left_means_anyone():
    alone = server_pool(("product",), _members(operations=4))
    served = serving_quality(alone, 10_000, np.arange(4, dtype=float), np.random.default_rng(1))
    assert set(served.astype(int).ravel().tolist()) == {0, 1, 2, 3}
    nobody = server_pool(("recovery",), _members(sales=2, hr=1))
    served = serving_quality(nobody, 10_000, np.arange(3, dtype=float), np.random.default_rng(1))
    assert set(served.astype(int).ravel().tolist()) == {0, 1, 2}, (
        "with no service staff anyone present serves"
    )
    empty = server_pool(("recovery",), _members())
    assert serving_quality(empty, 5, np.zeros(0), np.random.default_rng(1)).tolist() == [[0.0]] * 5


def test_a_touchpoint_of_three_departments_next_to_one_of_one(monkeypatch):
    monkeypatch.setitem(TOUCHPOINTS, "three", {"sales": 0.2, "marketing": 0.3, "service": 0.5})
    members = _members(marketing=2, sales=3, service=1)
    pool = server_pool(("three", "recovery"), members)
    n = 100_000
    served = serving_quality(pool, n, np.arange(6, dtype=float), np.random.default_rng(2)).astype(int)
    dept = np.repeat([DEPT_INDEX[d] for d in ("marketing", "sales", "service")], [2, 3, 1])
    shares = np.bincount(dept[served[:, 0]], minlength=len(DEPARTMENTS)) / n
    for d, share in TOUCHPOINTS["three"].items():
        assert shares[DEPT_INDEX[d]] == pytest.approx(share, abs=5 * math.sqrt(share * (1 - share) / n)), d
    assert set(served[:, 1].tolist()) == {5}, "recovery: the one service employee"


def test_the_model_serves_every_touchpoint_once():
    from model.model import FOLLOWED, PURCHASE

    assert sorted(PURCHASE + FOLLOWED) == sorted(TOUCHPOINTS)


def test_acceptable_is_the_middle_of_the_passive_band():
    """Meeting expectations exactly is 'acceptable' [seed001]: a passive, 7.5 of 10."""
    from model.customers import ACCEPTABLE, DETRACTOR_MAX, PROMOTER_MIN, recommendation_score, satisfaction

    assert DETRACTOR_MAX < 10 * ACCEPTABLE < PROMOTER_MIN
    p = make_params({"disconfirmation_slope": 0.7})
    met = satisfaction(np.array([0.6]), np.array([0.6]), p)
    assert met.tolist() == [ACCEPTABLE]
    assert DETRACTOR_MAX < recommendation_score(met)[0] < PROMOTER_MIN


def test_satisfaction_is_linear_in_disconfirmation_and_clipped():
    from model.customers import ACCEPTABLE, satisfaction

    p = make_params({"disconfirmation_slope": 0.7})
    got = satisfaction(np.array([0.7, 0.5, 2.0, -2.0]), np.full(4, 0.6), p)
    assert got.tolist() == pytest.approx([ACCEPTABLE + 0.07, ACCEPTABLE - 0.07, 1.0, 0.0], rel=1e-12)


def test_a_single_failure_dents_satisfaction_and_repeated_failures_sink_it():
    """A buyer at acceptable satisfaction meets a late delivery nobody puts
    right, purchase after purchase: the first one leaves a passive, repeated
    ones make a detractor (running satisfaction, ``satisfaction_memory``)."""
    from model.customers import ACCEPTABLE, DETRACTOR_MAX, experience, recommendation_score, satisfaction

    p = make_params({})
    scores = np.array([[0.7, 0.75, 0.75]])
    fine = experience(scores, np.zeros((1, 3), dtype=bool), np.ones(1), np.zeros(1, dtype=bool), p)[0]
    for failed in ([True, False, False], [False, True, False]):  # a faulty product; a late delivery
        lived = experience(scores, np.array([failed]), np.zeros(1), np.zeros(1, dtype=bool), p)[0]
        s, path = ACCEPTABLE, []  # a customer whose expectation an unbroken purchase meets
        for _ in range(6):
            felt = satisfaction(np.array([lived]), np.array([fine]), p)[0]
            s = (1 - p.satisfaction_memory) * s + p.satisfaction_memory * felt
            path.append(int(recommendation_score(np.array([s]))[0]))
        assert path[0] > DETRACTOR_MAX, "one failure only dents: still a passive"
        assert path[-1] <= DETRACTOR_MAX, "repeated failures sink it"
        assert path == sorted(path, reverse=True)
