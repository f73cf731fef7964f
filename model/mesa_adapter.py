"""Mesa behind one door: the only module that touches Mesa's private internals.

Two things Mesa does one at a time cost this model dearly, so they are done here
in bulk, reaching exactly the state Mesa's own code reaches:

* registering agents: ``Agent(model)`` and ``agent.remove()`` cost about 8
  microseconds an agent (a signal dispatch and a debug log each); a default run
  builds 20,000 customers, so its build and 156 weeks take about 1.3 times as
  long through Mesa's path (measured with benchmarks/bench.py's default run);
* recording a row: Mesa's ``DataCollector.collect`` deep-copies every value.

Both depend on Mesa's layout (``Model._all_agents``, ``Model._agents_by_type``,
``_HardKeyAgentSet._agents``, ``DataCollector._collection_steps``), which any
Mesa release may change. ``pyproject.toml`` pins Mesa to the minor version
tested here, ``check_layout`` runs on import and names whatever has moved, and
``tests/test_mesa_adapter.py`` holds every function to the end state of Mesa's
own path. There is no silent fallback: a changed layout fails loudly, on import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import mesa
from mesa.agentset import _HardKeyAgentSet

MESA_TESTED = "3.5"  # the minor version whose layout this module knows (pinned in pyproject.toml)


class MesaLayoutError(RuntimeError):
    """Mesa's internals are not laid out as this module expects."""


class IndexedAgent(mesa.Agent):
    """An agent whose state lives in the model's arrays at position ``index``.

    Subclasses add behaviour and properties, never an ``__init__`` of their own:
    ``enrol`` creates them without calling it.
    """

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index


def check_layout() -> None:
    """Raise ``MesaLayoutError`` naming each internal this module uses that has moved."""
    model = mesa.Model(rng=0)
    collector = mesa.DataCollector(model_reporters={"x": lambda m: 0})
    expected = {
        "Model._all_agents": isinstance(getattr(model, "_all_agents", None), _HardKeyAgentSet),
        "_HardKeyAgentSet._agents": isinstance(getattr(model.agents, "_agents", None), dict),
        "Model._agents_by_type": getattr(model, "_agents_by_type", None) == {},
        "Model.agent_id_counter": isinstance(getattr(model, "agent_id_counter", None), int),
        "Model._batch_context": hasattr(model, "_batch_context"),
        "Model.subscribers": isinstance(getattr(model, "subscribers", None), Mapping),
        "Agent._datasets": isinstance(getattr(mesa.Agent, "_datasets", None), set),
        "DataCollector._collection_steps": getattr(collector, "_collection_steps", None) == [],
        "DataCollector.model_vars": getattr(collector, "model_vars", None) == {"x": []},
    }
    moved = [name for name, ok in expected.items() if not ok]
    if moved:
        raise MesaLayoutError(
            f"mesa {mesa.__version__} is not laid out as model/mesa_adapter.py expects "
            f"(tested with {MESA_TESTED}): {', '.join(moved)}"
        )


def _bulk_allowed(model: mesa.Model, cls: type[mesa.Agent]) -> bool:
    """Whether nothing would miss the per-agent path: nobody listens to agent
    signals, no batch is buffering them, ``cls`` is in no data registry dataset."""
    listening = any(key[0] == "agents" for key in model.subscribers)
    return not (cls._datasets or model._batch_context is not None or listening)


def enrol[A: IndexedAgent](model: mesa.Model, cls: type[A], indices: Sequence[int]) -> list[A]:
    """New ``cls`` agents for array positions ``indices``, registered with ``model``
    exactly as ``[cls(model, i) for i in indices]`` would register them.

    Raises:
        TypeError: ``cls`` has an ``__init__`` of its own (see ``IndexedAgent``).
    """
    if cls.__init__ is not IndexedAgent.__init__:
        raise TypeError(f"{cls.__name__} defines __init__: enrol cannot create it in bulk")
    if not _bulk_allowed(model, cls):
        return [cls(model, i) for i in indices]
    first, new, agents = model.agent_id_counter, cls.__new__, []
    for unique_id, index in enumerate(indices, first):
        agent = new(cls)  # what Agent.__init__ sets, then IndexedAgent's index
        agent.model, agent.unique_id, agent.pos, agent.index = model, unique_id, None, index
        agents.append(agent)
    model.agent_id_counter = first + len(agents)
    model._all_agents._agents.update(dict.fromkeys(agents))
    same_type = model._agents_by_type.get(cls)
    if same_type is None:
        model._agents_by_type[cls] = _HardKeyAgentSet(agents, random=model.random)
    else:
        same_type._agents.update(dict.fromkeys(agents))
    return agents


def retire(model: mesa.Model, agents: Iterable[mesa.Agent]) -> None:
    """Deregister ``agents`` from ``model``, as ``agent.remove()`` one by one would."""
    agents = list(agents)
    if not agents:
        return
    cls = type(agents[0])
    if (
        not _bulk_allowed(model, cls)
        or cls.remove is not mesa.Agent.remove
        or any(type(a) is not cls for a in agents)
    ):
        for agent in agents:
            agent.remove()
        return
    same_type = model._agents_by_type.get(cls)
    everyone = model._all_agents._agents
    for agent in agents:
        if same_type is not None and agent in same_type._agents:  # a second removal does nothing
            del same_type._agents[agent]
            del everyone[agent]


def append_row(collector: mesa.DataCollector, time: float, row: Mapping[str, float]) -> None:
    """Record ``row`` at ``time`` as ``collector.collect`` would record model reporters
    returning its values, without Mesa's deep copy (the values are fresh numbers)."""
    collector._collection_steps.append(time)
    for name, column in collector.model_vars.items():
        column.append(row[name])


check_layout()
