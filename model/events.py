"""Events a facilitator fires or a scenario schedules: they act on a running model.

Each event is a function ``(model, **options)``; ``EVENTS`` maps its name to
it. ``check_event`` validates a name and options before anything runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np

from model.departments import DEPARTMENTS, DEPT_INDEX
from model.org import STAFF
from model.params import ParameterError


def new_ceo(model, commitment: float = 0.9) -> None:
    """A new CEO arrives whose real commitment to customers is ``commitment`` (0..1)."""
    model.replace_employees(np.array([0]))
    st = model.staff
    st.centricity[0], st.wellbeing[0], st.tenure[0] = commitment, model.p.wellbeing_base, 0
    st.skill[0] = model.p.initial_skill  # an experienced leader, new to this firm
    model.set_params(leadership_commitment=commitment)


def culture_programme(model, departments: list[str] | None = None, boost: float | None = None) -> None:
    """Train ``departments`` (default: all) in customer focus: each trained
    employee closes a share ``boost`` (default ``programme_boost``) of the gap
    to 1, at ``programme_cost`` weeks of wage each."""
    boost = model.p.programme_boost if boost is None else boost
    mask = _in_departments(model, departments) & model.staff.present
    c = model.staff.centricity
    c[mask] += boost * (1.0 - c[mask])
    model.charge(model.p.programme_cost * model.p.wage * int(mask.sum()))


def layoffs(model, share: float = 0.1, departments: list[str] | None = None) -> None:
    """Lay off ``share`` of the staff-level employees in ``departments`` (default:
    all but executive); their positions stay empty and survivors' wellbeing drops."""
    if departments is None:
        departments = [d for d in DEPARTMENTS if d != "executive"]
    pool = np.flatnonzero(
        _in_departments(model, departments) & model.staff.present & (model.org.level == STAFF)
    )
    gone = model.rng.choice(pool, size=int(round(share * len(pool))), replace=False)
    model.vacate(gone)
    w = model.staff.wellbeing
    w[model.staff.present] = np.clip(w[model.staff.present] - model.p.layoff_shock, 0.0, 1.0)


def service_breakdown(model, weeks: int = 4, capacity: float = 0.5) -> None:
    """The support systems fail: for ``weeks`` weeks only ``capacity`` of the agents can work."""
    model.carry.breakdown_until, model.carry.breakdown_capacity = model.weeks_done + int(weeks), capacity


def outsource_logistics(model, reliability: float = 0.75) -> None:
    """Hand logistics to an outside partner: the logistics department's
    positions are cut and on-time delivery becomes ``reliability``."""
    model.vacate(np.flatnonzero(_in_departments(model, ["logistics"]) & model.staff.present))
    model.set_params(partner_reliability=reliability)


EVENTS: dict[str, Callable[..., None]] = {
    f.__name__: f for f in (new_ceo, culture_programme, layoffs, service_breakdown, outsource_logistics)
}


def describe(name: str) -> str:
    """The first paragraph of an event's docstring on one line, for help texts."""
    paragraph = (EVENTS[name].__doc__ or "").strip().split("\n\n")[0]
    return " ".join(paragraph.split())


# Allowed range of each numeric event option; ``weeks`` must also be whole.
OPTION_RANGES: dict[str, tuple[float, float]] = {
    "commitment": (0.0, 1.0),
    "boost": (0.0, 1.0),
    "share": (0.0, 1.0),
    "capacity": (0.0, 1.0),
    "reliability": (0.0, 1.0),
    "weeks": (1, 520),
}


def check_event(name: str, options: dict) -> None:
    """Raise ``ParameterError`` if the event or its options are not valid."""
    if name not in EVENTS:
        raise ParameterError(f"unknown event '{name}' (known: {', '.join(EVENTS)})")
    sig = inspect.signature(EVENTS[name])
    allowed = [k for k in sig.parameters if k != "model"]
    for key, value in options.items():
        if key not in allowed:
            raise ParameterError(f"event {name}: unknown option '{key}' (allowed: {', '.join(allowed)})")
        if value is None and sig.parameters[key].default is None:
            continue  # the documented default
        if key == "departments":
            if not isinstance(value, list) or any(d not in DEPT_INDEX for d in value):
                raise ParameterError(f"event {name}: departments must be a list of {', '.join(DEPARTMENTS)}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"event {name}: option '{key}' must be a number")
        else:
            lo, hi = OPTION_RANGES[key]
            if not lo <= value <= hi or (key == "weeks" and value != int(value)):
                kind = "a whole number" if key == "weeks" else "a number"
                raise ParameterError(
                    f"event {name}: option '{key}' = {value} must be {kind} in [{lo:g}, {hi:g}]"
                )


def _in_departments(model, departments: list[str] | None) -> np.ndarray:
    if departments is None:
        return np.ones(model.org.size, dtype=bool)
    return np.isin(model.org.dept, [DEPT_INDEX[d] for d in departments])
