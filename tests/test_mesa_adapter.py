"""Mesa behind one door (``model.mesa_adapter``) against Mesa's own paths.

``enrol``/``retire`` and ``append_row`` skip work Mesa does one agent or one
value at a time; these tests hold them to the end state Mesa's own code
reaches, and ``check_layout`` to naming what has moved, so a Mesa release that
lays things out differently fails here and on import, never silently.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest
from mesa.experimental.mesa_signals import ModelSignals

from model import CultureModel
from model.agents import Customer, Employee
from model.mesa_adapter import MESA_TESTED, IndexedAgent, MesaLayoutError, check_layout, enrol, retire


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


def test_without_listeners_the_bulk_path_bypasses_mesas_per_agent_calls(monkeypatch):
    def one_by_one(*args, **kwargs):
        raise AssertionError("the per-agent path was used")

    model = mesa.Model(rng=1)
    monkeypatch.setattr(mesa.Model, "register_agent", one_by_one)
    monkeypatch.setattr(mesa.Model, "deregister_agent", one_by_one)
    agents = enrol(model, Employee, range(3))
    retire(model, agents)
    assert len(model.agents) == 0 and model.agent_id_counter == 4


def test_check_layout_passes_on_the_installed_mesa_and_names_what_moved(monkeypatch):
    check_layout()
    original = mesa.Model.__init__

    def without_registry(self, *args, **kwargs):
        original(self, *args, **kwargs)
        del self._agents_by_type

    monkeypatch.setattr(mesa.Model, "__init__", without_registry)
    with pytest.raises(MesaLayoutError, match="Model._agents_by_type"):
        check_layout()
    monkeypatch.undo()
    check_layout()


def test_mesa_is_pinned_to_the_minor_version_the_adapter_was_tested_with():
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    pins = [d for d in pyproject["project"]["dependencies"] if d.startswith("mesa")]
    major, minor = map(int, MESA_TESTED.split("."))
    assert pins == [f"mesa>={major}.{minor},<{major}.{minor + 1}"]
    assert mesa.__version__.startswith(f"{MESA_TESTED}.")


def test_enrol_refuses_an_agent_class_with_its_own_init():
    class Fancy(IndexedAgent):
        def __init__(self, model, index):
            super().__init__(model, index)
            self.colour = "red"

    with pytest.raises(TypeError, match="Fancy"):
        enrol(mesa.Model(rng=1), Fancy, [0])
