"""The workshop's parts on their own: the scorecard, the decision catalogue, a firm's weeks and streams."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from workshop_helpers import SMALL

from model import load_scenario
from model.departments import DEPARTMENTS
from model.params import levers
from workshop import InvalidInput, firm
from workshop import decisions as dec
from workshop.scorecard import MEASURES, check_weights, kpis, leaderboard, points


# --------------------------------------------------------------------------- scorecard
def test_points_run_from_the_worst_team_to_the_best_in_proportion():
    assert points({"a": 10.0, "b": 20.0, "c": 15.0}, True) == {"a": 0.0, "b": 100.0, "c": 50.0}
    assert points({"a": 10.0, "b": 20.0, "c": 15.0}, False) == {"a": 100.0, "b": 0.0, "c": 50.0}
    assert points({"a": 3.0, "b": 3.0}, True) == {"a": 100.0, "b": 100.0}  # cannot separate them
    assert points({"a": math.nan, "b": 1.0, "c": 2.0}, True) == {"a": 0.0, "b": 0.0, "c": 100.0}
    assert points({"a": None}, True) == {"a": 0.0}


def test_the_leaderboard_weighs_points_and_ties_share_a_rank():
    base = {"cumulative_profit": 0.0, "nps": 0.0, "active_customers": 0.0, "employee_turnover": 0.1}
    measures = {
        "A": {**base, "cumulative_profit": 10.0, "customer_focus": 0.5},
        "B": {**base, "cumulative_profit": 5.0, "customer_focus": 0.9},
        "C": {**base, "cumulative_profit": 5.0, "customer_focus": 0.9},
        "D": {**base, "cumulative_profit": 0.0, "customer_focus": 0.1},
    }
    board = leaderboard(measures, {"cumulative_profit": 1})
    assert [(s.team, s.rank, s.score) for s in board] == [
        ("A", 1, 100.0),
        ("B", 2, 50.0),
        ("C", 2, 50.0),
        ("D", 4, 0.0),
    ]
    board = leaderboard(measures, {"cumulative_profit": 1, "customer_focus": 3})
    assert board[0].team == "B" and board[0].score == pytest.approx((50 + 3 * 100) / 4)
    assert board[0].values == measures["B"] and set(board[0].points) == set(MEASURES)


def test_weights_are_checked():
    assert check_weights({"nps": 2}) == {**dict.fromkeys(MEASURES, 0.0), "nps": 2.0}
    for bad in ({}, {"nps": -1}, {"nps": math.inf}, {"nps": True}, {"profit": 1}, {"nps": 0}, [1]):
        with pytest.raises(InvalidInput):
            check_weights(bad)


def test_kpis_read_the_last_week_and_annualise_turnover_over_the_weeks_played():
    cols = {
        "cumulative_profit": [0, 5, 9],
        "nps": [0, 10, 12],
        "active_customers": [100, 110, 120],
        "employee_turnover": [0.0, 0.01, 0.03],
        "culture_mean": [0.4, 0.5, 0.6],
    }
    assert kpis(cols) == {
        "cumulative_profit": 9.0,
        "nps": 12.0,
        "active_customers": 120.0,
        "employee_turnover": pytest.approx(52 * 0.02),
        "customer_focus": 0.6,
    }


# --------------------------------------------------------------------------- decisions
def test_the_levers_come_from_the_registry_and_bought_ones_are_not_free():
    policy = dec.policy_levers()
    assert list(policy) == [n for n in levers() if n not in dec.WORLD] and dec.WORLD < set(levers())
    assert dec.OWNED == {"product_quality", "hiring_culture_fit", "self_service", "partner_reliability"}
    assert dec.OWNED <= set(policy)
    assert set(dec.free_levers()) == set(policy) - dec.OWNED
    assert "empowerment" not in dec.free_levers(fixed=("empowerment",))


def test_a_decision_reads_as_one_line_with_departments_in_their_order():
    chosen = [
        {"action": "layoffs", "share": 0.1},
        {"action": "culture_programme", "departments": ["service", "sales"]},
    ]
    d = dec.Decision({"empowerment": 0.8}, dec.check_actions(chosen, {}))
    assert dec.describe(d) == (
        "Freedom to fix problems 0.8; Culture programme (sales, service); Layoffs (10% of staff)"
    )
    assert dec.describe(dec.Decision()) == "no change"
    everyone = dec.check_actions([{"action": "culture_programme"}], {})
    assert everyone[0]["departments"] == list(DEPARTMENTS)
    assert dec.describe(dec.Decision({}, everyone)) == "Culture programme (all departments)"
    bought = dec.check_actions([{"action": "product_investment", "level": 0.9}], {"product_quality": 0.7})
    assert dec.describe(dec.Decision({}, bought)) == "Product investment (to 0.9)"


def test_prices_scale_with_the_firms_wage_and_positions():
    facts = dec.Facts(wage=100.0, positions={"service": 10, "sales": 5, "hr": 2}, staff_positions=15)
    prices = dec.Prices()
    programme = [{"action": "culture_programme", "departments": ["service", "sales"]}]
    assert dec.quote(dec.check_actions(programme, {}), {}, facts, prices) == prices.programme_weeks * 100 * 15
    raise_to = [{"action": "service_investment", "level": 0.5}]
    now = {"self_service": 0.2}
    assert dec.quote(dec.check_actions(raise_to, now), now, facts, prices) == pytest.approx(
        0.3 * prices.service_investment_weeks * 100 * 17
    )
    assert dec.Prices.from_dict({"severance_weeks": 4}).severance_weeks == 4.0
    with pytest.raises(InvalidInput, match="unknown price"):
        dec.Prices.from_dict({"bonus_weeks": 1})


# --------------------------------------------------------------------------- a firm's weeks and streams
def test_weeks_keep_rows_and_columns_and_survive_the_store_exactly():
    start = firm.Start(load_scenario("baseline"), 3, SMALL, None, 3)
    model, first = firm.begin(start)
    out = firm.play_round(model, start, firm.Play(), None, None)
    rows = first.weeks + out.weeks
    stored = [json.loads(json.dumps(r, sort_keys=True)) for r in rows]  # as the store keeps them
    assert firm.digest(stored) == firm.digest(rows) and firm.digest(rows[:1]) == first.digest
    weeks = firm.Weeks.of(stored)
    assert list(weeks) == rows and len(weeks) == 4 and weeks[1:] == firm.Weeks.of(stored[1:])
    assert (
        np.isnan(weeks.series("first_contact_resolution")[0]) and weeks[0]["first_contact_resolution"] is None
    )
    assert weeks.series("cumulative_profit")[-1] == rows[-1]["cumulative_profit"]


def test_aligned_streams_make_equal_firms_equal_and_part_them_only_where_decisions_part():
    start = firm.Start(load_scenario("baseline"), 5, SMALL, None, 4)
    paths = []
    for second in (dec.Decision(), dec.Decision(), dec.Decision({"metric_focus": 0.95})):
        model, first = firm.begin(start)
        rounds = [firm.play_round(model, start, firm.Play(d), None, None) for d in (dec.Decision(), second)]
        paths.append([first, *rounds])
    assert [o.digest for o in paths[0]] == [o.digest for o in paths[1]]
    assert [o.digest for o in paths[2][:2]] == [o.digest for o in paths[0][:2]]
    assert paths[2][2].digest != paths[0][2].digest
