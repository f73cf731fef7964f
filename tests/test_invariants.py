"""Invariants that must hold every week, whatever the levers and events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.agents import Employee
from model.customers import ACTIVE
from model.departments import DEPT_INDEX
from model.model import CultureModel
from model.org import STAFF
from model.params import SPECS, ParameterError, levers
from model.simulate import model_table

STEPS = 12
RATES = ["churn_rate", "abandonment_rate", "first_contact_resolution", "employee_turnover", "agent_occupancy"]
SHARES = ["promoters", "detractors", "satisfaction_mean", "wellbeing_mean", "skill_mean", "service_quality"]


def unit(values) -> bool:
    values = np.asarray(values, dtype=float)
    return bool(np.all((values >= 0.0) & (values <= 1.0)))


def check_state(m: CultureModel) -> None:
    """Per-person invariants of the current week."""
    s = m.staff
    assert unit(s.centricity) and unit(s.wellbeing) and unit(s.skill), "employee state within [0, 1]"
    assert (s.tenure >= 0).all()
    assert s.present[0], "the CEO's chair is never empty"
    assert m.metrics["headcount"] == int(s.present.sum())
    assert len(m.agents_by_type[Employee]) == int(s.present.sum()), "one Mesa agent per filled position"
    mk = m.market
    assert unit(mk.satisfaction[mk.status == ACTIVE]) and unit(m.expectations())
    assert mk.score.min() >= 0 and mk.score.max() <= 10


# a rate with nothing to measure (no complaints, an empty department) is recorded as missing
MAY_BE_MISSING = ["first_contact_resolution"]


def check_table(t: pd.DataFrame, market_size: int) -> None:
    """Invariants across the per-step table."""
    assert (t.prospects + t.active_customers + t.churned == market_size).all()
    for col in RATES + SHARES:
        values = t[col].dropna() if col in MAY_BE_MISSING else t[col]
        assert unit(values), col
    culture = t.filter(like="culture_")
    assert unit(culture.stack().dropna()) and culture.culture_mean.notna().all()
    assert (t.nps.between(-100, 100)).all()
    assert np.allclose(t.nps, 100 * (t.promoters - t.detractors))
    assert (t.promoters + t.detractors <= 1 + 1e-12).all()
    assert np.allclose(t.profit, t.revenue - t.cost, rtol=1e-12, atol=1e-6)
    assert np.allclose(t.cumulative_profit, t.profit.cumsum(), rtol=1e-12, atol=1e-6)
    assert (t.revenue >= 0).all() and (t.cost >= 0).all()
    acquired = (t.acquisitions_marketing + t.acquisitions_referral).iloc[1:].to_numpy()
    assert (acquired <= t.prospects.iloc[:-1].to_numpy()).all(), "acquisitions never exceed prospects"
    assert (np.diff(t.prospects) == -acquired).all(), "prospects leave only by being acquired"
    left = np.diff(t.churned)
    assert (left >= 0).all()
    assert (np.diff(t.active_customers) == acquired - left).all()
    active_before = t.active_customers.iloc[:-1].to_numpy()
    assert np.allclose(t.churn_rate.iloc[1:] * active_before, left)
    assert (t.agents >= 0).all() and (t.speed_of_answer_seconds >= 0).all()
    assert (t.wom_positive >= 0).all() and (t.wom_negative >= 0).all() and (t.lost_presale >= 0).all()


def run_checked(m: CultureModel, steps: int = STEPS) -> pd.DataFrame:
    check_state(m)
    for _ in range(steps):
        m.step()
        check_state(m)
    table = model_table(m)
    check_table(table, m.p.market_size)
    return table


LEVER_VALUES = st.fixed_dictionaries(
    {name: st.floats(SPECS[name].lo, SPECS[name].hi) for name in levers() if not SPECS[name].integer}
)
EVENT = st.one_of(
    st.tuples(
        st.integers(0, STEPS - 2), st.just("layoffs"), st.fixed_dictionaries({"share": st.floats(0, 0.6)})
    ),
    st.tuples(st.integers(0, STEPS - 2), st.sampled_from(["new_ceo", "culture_programme"]), st.just({})),
    st.tuples(
        st.integers(0, STEPS - 2), st.just("service_breakdown"), st.just({"weeks": 2, "capacity": 0.2})
    ),
    st.tuples(st.integers(0, STEPS - 2), st.just("outsource_logistics"), st.just({})),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    lever_values=LEVER_VALUES,
    quit_rate=st.floats(0.0, SPECS["base_quit_rate"].hi),
    events=st.lists(EVENT, max_size=3),
)
def test_property_invariants_hold_every_week(build_model, seed, lever_values, quit_rate, events):
    m = build_model(seed, events, base_quit_rate=quit_rate, **lever_values)
    run_checked(m)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), quit_rate=st.floats(0.0, SPECS["base_quit_rate"].hi))
def test_property_headcount_is_constant_under_replacement_hiring(build_model, small, seed, quit_rate):
    table = run_checked(build_model(seed, base_quit_rate=quit_rate))
    assert (table.headcount == small["n_employees"]).all()


def test_high_quit_rate_means_hires_but_the_same_headcount(build_model, small):
    m = build_model(4, base_quit_rate=SPECS["base_quit_rate"].hi, employee_care=0.0)
    first = list(m.employee_at)
    table = run_checked(m)
    assert table.employee_turnover.iloc[1:].sum() > 0, "precondition: people quit"
    assert (table.headcount == small["n_employees"]).all()
    refilled = [i for i, (a, b) in enumerate(zip(first, m.employee_at, strict=True)) if a is not b]
    assert refilled and 0 not in refilled, "quitters' positions hold new people; the CEO stays"
    assert (m.staff.tenure[refilled] < STEPS).all()


def test_headcount_after_layoffs_equals_positions_still_filled(build_model, small):
    k, share = 2, 0.3
    m = build_model(6, base_quit_rate=SPECS["base_quit_rate"].hi)
    pool = int(((m.org.level == STAFF) & (m.org.dept != DEPT_INDEX["executive"])).sum())
    m.schedule_at(k, "layoffs", share=share)
    table = run_checked(m)
    n = small["n_employees"]
    laid_off = round(share * pool)
    assert laid_off > 0
    assert (table.headcount.iloc[: k + 1] == n).all()
    assert (table.headcount.iloc[k + 1 :] == n - laid_off).all(), (
        "quitters are replaced, the laid off are not"
    )
    assert int((~m.staff.present).sum()) == laid_off
    assert all(m.employee_at[i] is None for i in np.flatnonzero(~m.staff.present))


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_layoffs_of_nobody_or_everybody_keep_the_books_straight(build_model, small, share):
    m = build_model(7, events=[(1, "layoffs", {"share": share})])
    table = run_checked(m, 6)
    staff = int(((m.org.level == STAFF) & (m.org.dept != DEPT_INDEX["executive"])).sum())
    expected = small["n_employees"] - (staff if share else 0)
    assert table.headcount.iloc[-1] == expected


def test_a_charge_adds_exactly_its_amount_to_the_next_weeks_cost_and_nothing_else(build_model):
    plain, charged = build_model(seed=4), build_model(seed=4)
    for m in (plain, charged):
        m.step()
    charged.charge(12_345.0)
    for m in (plain, charged):
        m.step()
        m.step()
    a, b = plain.datacollector.get_model_vars_dataframe(), charged.datacollector.get_model_vars_dataframe()
    assert b.cost.iloc[2] - a.cost.iloc[2] == pytest.approx(12_345.0)
    assert b.cost.iloc[3] == pytest.approx(a.cost.iloc[3])  # one-off: charged once
    assert b.cumulative_profit.iloc[3] - a.cumulative_profit.iloc[3] == pytest.approx(-12_345.0)
    with pytest.raises(ParameterError, match="cost"):
        charged.charge(-1.0)
