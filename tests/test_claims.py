"""The stylized facts of MODEL.md section 4, as statistical results over seeds.

Each claim compares two conditions run with the same seeds (common random
numbers) at default size over the default 156 weeks, and requires the mean
paired difference to exceed ``Z`` standard errors of that mean in the claimed
direction. Nothing here is written into the model: each difference has to
emerge from the mechanisms.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from model import load_scenario
from model.simulate import model_table, run_model

SEEDS = range(20)
Z = 3.0  # one-sided: a false pass needs a 3-standard-error fluke
pytestmark = pytest.mark.slow


@functools.cache
def run(scenario: str, seed: int, without_events: bool = False, **params):
    sc = load_scenario(scenario)
    if without_events:
        sc = type(sc)(sc.name, sc.title, sc.description, sc.parameters, (), sc.steps)
    return model_table(run_model(sc, seed=seed, params=params))


def outcome(condition: tuple, measure) -> np.ndarray:
    scenario, *rest = condition
    params = dict(rest[0]) if rest else {}
    return np.array([measure(run(scenario, seed, **params)) for seed in SEEDS])


def assert_greater(a: np.ndarray, b: np.ndarray, what: str) -> None:
    """Mean of the paired differences a - b exceeds Z standard errors."""
    diff = a - b
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert diff.mean() > Z * se, f"{what}: mean difference {diff.mean():.4g} <= {Z} x SE {se:.4g}"


def final(col: str, weeks: int = 13):
    return lambda t: t[col].iloc[-weeks:].mean()


def over(col: str, start: int = 1, stop: int | None = None):
    return lambda t: t[col].iloc[start:stop].mean()


def at(col: str, step: int):
    return lambda t: t[col].iloc[step]


BASE = ("baseline",)


def test_claim1_led_from_the_top_beats_service_as_a_department():
    top, dept = ("customer_centric",), ("service_department",)
    assert_greater(outcome(top, final("nps")), outcome(dept, final("nps")), "NPS")
    assert_greater(outcome(dept, over("churn_rate")), outcome(top, over("churn_rate")), "churn")
    assert_greater(
        outcome(top, final("cumulative_profit", 1)),
        outcome(dept, final("cumulative_profit", 1)),
        "3-year cumulative profit",
    )


def test_claim2_cost_cutter_wins_short_term_and_loses_long_term():
    cut = ("cost_cutter",)
    assert_greater(
        outcome(cut, over("profit", 1, 14)), outcome(BASE, over("profit", 1, 14)), "first-quarter profit"
    )
    assert_greater(
        outcome(BASE, final("cumulative_profit", 1)),
        outcome(cut, final("cumulative_profit", 1)),
        "3-year profit",
    )
    assert_greater(
        outcome(BASE, final("active_customers", 1)), outcome(cut, final("active_customers", 1)), "customers"
    )


def test_claim3_service_only_programme_fades_without_commitment_and_spreads_with_it():
    others = ["product", "operations", "logistics", "marketing", "sales", "finance", "hr"]

    def others_mean(step):
        return lambda t: np.mean([t[f"culture_{d}"].iloc[step] for d in others])

    trained = ("service_department",)
    control = ("service_department", (("without_events", True),))
    gain_start = outcome(trained, at("culture_service", 5)) - outcome(control, at("culture_service", 5))
    gain_later = outcome(trained, at("culture_service", 104)) - outcome(control, at("culture_service", 104))
    assert gain_start.mean() > 0.15, "the programme lifts the service department at first"
    assert_greater(0.25 * gain_start, gain_later, "after two years less than a quarter of the gain is left")

    committed = ("service_department", (("leadership_commitment", 0.9),))
    assert_greater(
        outcome(committed, others_mean(104)), outcome(committed, others_mean(4)), "spreads with commitment"
    )
    assert_greater(
        outcome(trained, others_mean(4)), outcome(trained, others_mean(104)), "no spread without it"
    )
    assert_greater(
        outcome(committed, at("culture_service", 104)),
        outcome(trained, at("culture_service", 104)),
        "gain kept",
    )


def test_claim4_overpromising_lowers_satisfaction_at_unchanged_quality():
    over_ = ("overpromise",)
    assert_greater(
        outcome(BASE, over("satisfaction_mean")), outcome(over_, over("satisfaction_mean")), "satisfaction"
    )
    quality_gap = outcome(over_, over("service_quality")) - outcome(BASE, over("service_quality"))
    assert abs(quality_gap.mean()) < 0.01, "delivered quality stays the same"


def test_claim5_understaffing_lengthens_waits_and_loses_customers_and_prospects():
    under = ("understaffed",)
    assert_greater(outcome(under, over("avg_wait_minutes")), outcome(BASE, over("avg_wait_minutes")), "wait")
    assert_greater(
        outcome(under, over("abandonment_rate")), outcome(BASE, over("abandonment_rate")), "abandonment"
    )
    assert_greater(
        outcome(under, over("lost_presale")), outcome(BASE, over("lost_presale")), "prospects lost"
    )
    assert_greater(
        outcome(BASE, final("active_customers", 1)), outcome(under, final("active_customers", 1)), "customers"
    )


def test_claim6_empowerment_raises_first_contact_resolution_and_satisfaction():
    emp = ("empowered",)
    assert_greater(
        outcome(emp, over("first_contact_resolution")), outcome(BASE, over("first_contact_resolution")), "FCR"
    )
    assert_greater(
        outcome(emp, over("satisfaction_mean")), outcome(BASE, over("satisfaction_mean")), "satisfaction"
    )


def test_claim7_bad_practice_pays_at_first_then_churn_and_bad_word_of_mouth_take_over():
    bad = ("bad_practice",)
    assert_greater(
        outcome(bad, over("revenue", 1, 5)), outcome(BASE, over("revenue", 1, 5)), "first-month revenue"
    )
    assert_greater(outcome(bad, over("churn_rate")), outcome(BASE, over("churn_rate")), "churn")
    assert_greater(
        outcome(bad, over("wom_negative")), outcome(BASE, over("wom_negative")), "negative word of mouth"
    )
    assert_greater(outcome(BASE, final("revenue")), outcome(bad, final("revenue")), "revenue in the end")
    assert_greater(
        outcome(BASE, final("cumulative_profit", 1)),
        outcome(bad, final("cumulative_profit", 1)),
        "3-year profit",
    )


def test_claim8_negative_word_of_mouth_slows_acquisition():
    def acquisitions(t):
        return (t.acquisitions_marketing + t.acquisitions_referral).sum()

    silent = ("baseline", (("negative_wom_weight", 0.0),))
    assert_greater(outcome(silent, acquisitions), outcome(BASE, acquisitions), "acquisitions")


def test_claim9_employee_care_lowers_turnover_and_raises_service_quality():
    cared = ("baseline", (("employee_care", 0.9),))
    neglected = ("baseline", (("employee_care", 0.1),))
    assert_greater(
        outcome(neglected, over("employee_turnover")), outcome(cared, over("employee_turnover")), "turnover"
    )
    assert_greater(
        outcome(cared, over("service_quality")), outcome(neglected, over("service_quality")), "quality"
    )
