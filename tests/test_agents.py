"""Bulk registration of Mesa agents and the metrics collector against Mesa's own paths.

``agents.enrol``/``agents.retire`` and ``metrics.MetricsCollector`` skip work
Mesa does one agent or one value at a time; these tests hold them to the end
state Mesa's own code reaches, so a Mesa release that lays things out
differently fails here rather than silently elsewhere.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest
from mesa.experimental.mesa_signals import ModelSignals

from model import CultureModel
from model.agents import Customer, Employee, enrol, retire


def _state(model: mesa.Model) -> dict:
    """What Mesa knows about a model's agents."""
    return {
        "ids": sorted(a.unique_id for a in model.agents),
        "by_type": {cls.__name__: sorted(a.unique_id for a in s) for cls, s in model.agents_by_type.items()},
        "counter": model.agent_id_counter,
    }


def _pair():
    return mesa.Model(rng=1), mesa.Model(rng=1)


def test_enrol_registers_exactly_as_creating_agents_one_by_one():
    bulk, single = _pair()
    a = enrol(bulk, Employee, [3, 1, 4])
    b = [Employee(single, i) for i in (3, 1, 4)]
    enrol(bulk, Customer, range(5))
    [Customer(single, i) for i in range(5)]
    assert _state(bulk) == _state(single)
    for x, y in zip(a, b, strict=True):
        assert type(x) is type(y) and vars(x) == {**vars(y), "model": bulk}
    assert [x.index for x in a] == [3, 1, 4]
    assert len(bulk.agents_by_type[Employee]) == 3 and len(bulk.agents_by_type[Customer]) == 5


def test_retire_deregisters_exactly_as_removing_agents_one_by_one():
    bulk, single = _pair()
    a = enrol(bulk, Employee, range(6))
    b = [Employee(single, i) for i in range(6)]
    retire(bulk, [a[1], a[4]])
    b[1].remove()
    b[4].remove()
    assert _state(bulk) == _state(single)
    retire(bulk, [a[1]])  # a second removal does nothing, as with remove()
    retire(bulk, [])
    assert _state(bulk) == _state(single)


def test_with_a_listener_mesa_own_path_is_used_and_every_signal_arrives():
    class Listener:
        def __init__(self):
            self.heard = []

        def hear(self, message):
            self.heard.append(message)

    model, listener = mesa.Model(rng=1), Listener()
    model.observe("agents", ModelSignals.AGENT_ADDED, listener.hear)
    model.observe("agents", ModelSignals.AGENT_REMOVED, listener.hear)
    heard = listener.heard
    agents = enrol(model, Employee, range(4))
    retire(model, agents[:2])
    assert [m.signal_type for m in heard] == [ModelSignals.AGENT_ADDED] * 4 + [ModelSignals.AGENT_REMOVED] * 2
    assert len(model.agents) == 2


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
    assert m.flows["hires"] >= 0 and m.agent_id_counter > 200 + 300 + 1, "quitters were replaced"


def test_metrics_collector_matches_mesa_datacollector():
    m = CultureModel(rng=5, n_employees=60, market_size=400, initial_customers=80)
    reference = mesa.DataCollector(model_reporters={k: (lambda mm, k=k: mm.metrics[k]) for k in m.metrics})
    reference.collect(m)
    for _ in range(4):
        m.step()
        reference.collect(m)
    ours = m.datacollector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(ours, reference.get_model_vars_dataframe())
    assert m.datacollector._collection_steps == reference._collection_steps


def test_metrics_collector_falls_back_to_mesa_for_added_reporters():
    m = CultureModel(rng=5, n_employees=60, market_size=400, initial_customers=80)
    m.datacollector._new_model_reporter("weeks", lambda mm: mm.steps)
    m.step()
    m.step()
    columns = m.datacollector.model_vars
    assert columns["weeks"] == [1, 2]
    assert len(columns["culture_mean"]) == 3 and np.isfinite(columns["culture_mean"]).all()


@pytest.mark.parametrize("cls", [Employee, Customer])
def test_enrolled_agents_read_the_models_arrays(cls):
    m = CultureModel(rng=2, n_employees=30, market_size=50, initial_customers=10)
    agent = (m.employee_at if cls is Employee else m.customer_at)[7]
    assert isinstance(agent, cls) and agent.index == 7 and agent.model is m and agent.pos is None


def test_without_listeners_the_bulk_path_bypasses_mesas_per_agent_calls(monkeypatch):
    def one_by_one(*args, **kwargs):
        raise AssertionError("the per-agent path was used")

    model = mesa.Model(rng=1)
    monkeypatch.setattr(mesa.Model, "register_agent", one_by_one)
    monkeypatch.setattr(mesa.Model, "deregister_agent", one_by_one)
    agents = enrol(model, Employee, range(3))
    retire(model, agents)
    assert len(model.agents) == 0 and model.agent_id_counter == 4


def test_state_metrics_equal_their_plain_definitions_also_after_layoffs():
    """The metrics are computed from histograms and cached headcounts; here they
    are recomputed the obvious way, from masks over the arrays."""
    from model.customers import ACTIVE, CHURNED, PROSPECT
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
        assert got["promoters"] == pytest.approx((scores >= 9).mean(), rel=1e-12)
        assert got["nps"] == pytest.approx(100 * ((scores >= 9).mean() - (scores <= 6).mean()), abs=1e-9)
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
