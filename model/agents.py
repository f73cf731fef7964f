"""Mesa agents: the identity and interface of employees and customers.

Their state lives in numpy arrays owned by the model, indexed by ``index``, so
every mechanism is vectorised; the properties here read those arrays.

``enrol`` and ``retire`` register and deregister many agents at once: the
same end state as ``cls(model, i)`` and ``agent.remove()`` one by one, which
cost Mesa about 8 microseconds an agent (a signal dispatch and a debug log
each); a market of 20,000 people and 30 hires a week at 10,000 employees
made that a fifth of a run. When anything listens to Mesa's agent signals,
or Mesa's registry is not laid out as in Mesa 3.5, they fall back to the
one-by-one path, so nothing is lost but time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import mesa
from mesa.agentset import _HardKeyAgentSet

from model.customers import ACTIVE, CHURNED, PROSPECT
from model.departments import DEPARTMENTS, LEVELS

_STATUS = {PROSPECT: "prospect", ACTIVE: "active", CHURNED: "churned"}


class Employee(mesa.Agent):
    """One employee in one position of the org chart."""

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def department(self) -> str:
        return DEPARTMENTS[self.model.org.dept[self.index]]

    @property
    def level(self) -> str:
        return LEVELS[self.model.org.level[self.index]]

    @property
    def manager(self) -> Employee | None:
        parent = self.model.org.parent[self.index]
        return None if parent < 0 else self.model.employee_at[parent]

    @property
    def centricity(self) -> float:
        return float(self.model.staff.centricity[self.index])

    @property
    def wellbeing(self) -> float:
        return float(self.model.staff.wellbeing[self.index])

    @property
    def skill(self) -> float:
        return float(self.model.staff.skill[self.index])

    @property
    def tenure(self) -> int:
        return int(self.model.staff.tenure[self.index])


class Customer(mesa.Agent):
    """One person in the market: prospect, active customer or former customer."""

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def status(self) -> str:
        return _STATUS[int(self.model.market.status[self.index])]

    @property
    def satisfaction(self) -> float:
        return float(self.model.market.satisfaction[self.index])

    @property
    def expectation(self) -> float:
        return float(self.model.expectations(self.index))

    @property
    def score(self) -> int:
        return int(self.model.market.score[self.index])

    @property
    def tenure(self) -> int:
        return int(self.model.market.tenure[self.index])

    @property
    def spend(self) -> float:
        return float(self.model.market.spend[self.index])


def _registry(model: mesa.Model, cls: type[mesa.Agent]) -> tuple[dict, dict | None] | None:
    """Mesa's dicts of all agents and of ``cls`` agents, if bulk registration is
    safe: nobody listens to agent signals, no batch is buffering them, ``cls``
    is in no data registry dataset. None otherwise."""
    try:
        if cls._datasets or model._batch_context is not None:
            return None
        if any(key[0] == "agents" for key in model.subscribers):
            return None
        by_type = model._agents_by_type.get(cls)
        return model._all_agents._agents, None if by_type is None else by_type._agents
    except AttributeError:  # another Mesa layout: use its own path
        return None


def enrol[A: mesa.Agent](model: mesa.Model, cls: type[A], indices: Sequence[int]) -> list[A]:
    """New ``cls`` agents for array positions ``indices``, registered with ``model``
    exactly as ``[cls(model, i) for i in indices]`` would register them."""
    registry = _registry(model, cls)
    if registry is None or cls.__init__ not in _BULK_INIT:
        return [cls(model, i) for i in indices]
    everyone, same_type = registry
    first, new, agents = model.agent_id_counter, cls.__new__, []
    for unique_id, index in enumerate(indices, first):
        agent = new(cls)  # what Agent.__init__ sets, then the subclass's index
        agent.model, agent.unique_id, agent.pos, agent.index = model, unique_id, None, index
        agents.append(agent)
    model.agent_id_counter = first + len(agents)
    everyone.update(dict.fromkeys(agents))
    if same_type is None:
        model._agents_by_type[cls] = _HardKeyAgentSet(agents, random=model.random)
    else:
        same_type.update(dict.fromkeys(agents))
    return agents


def retire(model: mesa.Model, agents: Iterable[mesa.Agent]) -> None:
    """Deregister ``agents`` from ``model``, as ``agent.remove()`` one by one would."""
    agents = list(agents)
    if not agents:
        return
    cls = type(agents[0])
    registry = _registry(model, cls)
    if registry is None or cls.remove is not mesa.Agent.remove or any(type(a) is not cls for a in agents):
        for agent in agents:
            agent.remove()
        return
    everyone, same_type = registry
    for agent in agents:
        if same_type is not None and agent in same_type:  # as remove(), a second removal does nothing
            del same_type[agent]
            del everyone[agent]


_BULK_INIT = {Employee.__init__, Customer.__init__}  # whose whole __init__ is Agent's plus ``index``
