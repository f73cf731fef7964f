"""Employees and customers as Mesa agents: registered through quits and layoffs,
reading the model's arrays; the state metrics against their plain definitions."""

from __future__ import annotations

import numpy as np
import pytest

from model import CultureModel
from model.agents import Customer, Employee


def test_the_models_agents_stay_registered_through_quits_and_layoffs():
    m = CultureModel(rng=3, n_employees=200, market_size=300, initial_customers=50, base_quit_rate=0.05)
    for _ in range(10):
        m.step()
    m.fire("layoffs", share=0.2)
    m.step()
    employees = [e for e in m.employee_at if e is not None]
    assert set(m.agents_by_type[Employee]) == set(employees)
    assert len(m.agents) == len(employees) + 300
    assert len({a.unique_id for a in m.agents}) == len(m.agents), "unique ids stay unique"
    assert len(m.week.staffing.leavers) >= 0 and m.agent_id_counter > 200 + 300 + 1, "quitters were replaced"


@pytest.mark.parametrize("cls", [Employee, Customer])
def test_enrolled_agents_read_the_models_arrays(cls):
    m = CultureModel(rng=2, n_employees=30, market_size=50, initial_customers=10)
    agent = (m.employee_at if cls is Employee else m.customer_at)[7]
    assert isinstance(agent, cls) and agent.index == 7 and agent.model is m and agent.pos is None


def test_state_metrics_equal_their_plain_definitions_also_after_layoffs():
    """The metrics are computed from histograms and cached headcounts; here they
    are recomputed the obvious way, from masks over the arrays."""
    from model.customers import ACTIVE, CHURNED, DETRACTOR_MAX, PROMOTER_MIN, PROSPECT
    from model.departments import DEPARTMENTS

    m = CultureModel(rng=8, n_employees=120, market_size=1500, initial_customers=300)
    for week in range(12):
        if week == 6:
            m.fire("layoffs", share=0.3)
        m.step()
        mk, st, got = m.market, m.staff, m.metrics
        active = mk.status == ACTIVE
        scores = mk.score[active]
        assert got["active_customers"] == active.sum()
        assert got["prospects"] == (mk.status == PROSPECT).sum()
        assert got["churned"] == (mk.status == CHURNED).sum()
        assert got["satisfaction_mean"] == pytest.approx(mk.satisfaction[active].mean(), rel=1e-12)
        assert got["promoters"] == pytest.approx((scores >= PROMOTER_MIN).mean(), rel=1e-12)
        promoters, detractors = (scores >= PROMOTER_MIN).mean(), (scores <= DETRACTOR_MAX).mean()
        assert got["nps"] == pytest.approx(100 * (promoters - detractors), abs=1e-9)
        here = st.present
        assert got["headcount"] == here.sum()
        assert got["culture_mean"] == pytest.approx(st.centricity[here].mean(), rel=1e-12)
        assert got["wellbeing_mean"] == pytest.approx(st.wellbeing[here].mean(), rel=1e-12)
        assert got["skill_mean"] == pytest.approx(st.skill[here].mean(), rel=1e-12)
        for d, name in enumerate(DEPARTMENTS):
            mine = here & (m.org.dept == d)
            expected = st.centricity[mine].mean() if mine.any() else np.nan
            assert got[f"culture_{name}"] == pytest.approx(expected, rel=1e-12, nan_ok=True), name
    assert m.metrics["headcount"] < 120, "the layoffs left positions empty"
