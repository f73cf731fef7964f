"""Events a facilitator fires or a scenario schedules: they act on a running model.

Each event is a function ``(model, **options)`` wrapped in an ``Event`` that
carries what people read about it: its label, a plain help line and each
option's label and range. ``EVENTS`` maps its name to it; ``check_event``
validates a name and options before anything runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

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
    to 1, at ``programme_cost`` weeks of wage each. The executives are not
    changed by it: their customer focus is their real commitment, a lever."""
    boost = model.p.programme_boost if boost is None else boost
    mask = _in_departments(model, departments) & model.staff.present & ~model.executive
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


def market_shock(model, demand: float = 0.7) -> None:
    """A market shock (a recession, a new competitor): from now on customers buy
    ``demand`` times as often and marketing wins ``demand`` times as many prospects
    (below 1 a downturn, above 1 a recovery), until another shock."""
    p = model.p
    model.set_params(purchase_rate=min(1.0, p.purchase_rate * demand), bass_p=min(1.0, p.bass_p * demand))


def partner_failure(model, reliability: float = 0.5) -> None:
    """The logistics partner fails: on-time delivery falls to ``reliability`` (if it was
    higher) and stays there until the firm changes partner or contract."""
    model.set_params(partner_reliability=min(model.p.partner_reliability, reliability))


def viral_complaint(model, share: float = 0.2) -> None:
    """A complaint about the firm goes viral: a random ``share`` of the market,
    customers and prospects alike, hear one more warning (remembered and fading as
    word of mouth is)."""
    warnings = model.market.warnings
    heard = model.rng.choice(len(warnings), size=int(round(share * len(warnings))), replace=False)
    warnings[heard] += 1.0


@dataclass(frozen=True)
class Option:
    """One option of an event: its label, and its range for a number (``whole``: a
    whole number), or a list of department names when ``departments``."""

    label: str
    lo: float = 0.0
    hi: float = 1.0
    whole: bool = False
    departments: bool = False
    shown: bool = True  # offered on the dashboard before firing

    def check(self, event: str, key: str, value: object) -> None:
        """Raise ``ParameterError`` if ``value`` is not valid for this option."""
        if self.departments:
            if not isinstance(value, list) or any(
                not isinstance(d, str) or d not in DEPT_INDEX for d in value
            ):
                raise ParameterError(f"event {event}: departments must be a list of {', '.join(DEPARTMENTS)}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"event {event}: option '{key}' must be a number")
        elif not self.lo <= value <= self.hi or (self.whole and value != int(value)):
            kind = "a whole number" if self.whole else "a number"
            raise ParameterError(
                f"event {event}: option '{key}' = {value} must be {kind} in [{self.lo:g}, {self.hi:g}]"
            )


@dataclass(frozen=True)
class Event:
    """An event: the function that acts, ``act(model, **options)``, and what a person
    reads about it. ``help`` is one plain line, formatted with the options' values;
    ``options`` lists every option of ``act``, in the order the dashboard shows them."""

    act: Callable[..., None]
    label: str
    help: str
    options: dict[str, Option] = field(default_factory=dict)

    def __post_init__(self) -> None:
        taken = [k for k in inspect.signature(self.act).parameters if k != "model"]
        if set(self.options) != set(taken):
            raise TypeError(f"event {self.name}: options {list(self.options)} do not match {taken}")

    def __call__(self, model, **options) -> None:
        self.act(model, **options)

    @property
    def name(self) -> str:
        return self.act.__name__

    @property
    def defaults(self) -> dict[str, object]:
        """Each option's default, from the signature of ``act``."""
        params = inspect.signature(self.act).parameters
        return {k: params[k].default for k in self.options}

    @property
    def shown(self) -> tuple[str, ...]:
        """The options the dashboard offers before firing."""
        return tuple(k for k, option in self.options.items() if option.shown)

    @property
    def description(self) -> str:
        """The first paragraph of the docstring of ``act`` on one line."""
        paragraph = (self.act.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(paragraph.split())

    def check(self, options: dict) -> None:
        """Raise ``ParameterError`` if ``options`` are not valid for this event."""
        defaults = self.defaults
        for key, value in options.items():
            if key not in self.options:
                raise ParameterError(
                    f"event {self.name}: unknown option '{key}' (allowed: {', '.join(self.options)})"
                )
            if value is None and defaults[key] is None:
                continue  # the documented default
            self.options[key].check(self.name, key, value)


EVENTS: dict[str, Event] = {
    e.name: e
    for e in (
        Event(
            new_ceo,
            "New CEO",
            "A new CEO arrives whose real commitment to customers is {commitment:.0%}.",
            {"commitment": Option("The new CEO's commitment to customers")},
        ),
        Event(
            culture_programme,
            "Culture programme",
            "{departments} trained in customer focus: each person closes part of the gap.",
            {
                "departments": Option("Departments trained", departments=True),
                "boost": Option("Share of the gap closed", shown=False),
            },
        ),
        Event(
            layoffs,
            "Layoffs",
            "{share:.0%} of staff outside the executive team are laid off; survivors' wellbeing drops.",
            {
                "share": Option("Share of staff laid off"),
                "departments": Option("Departments", departments=True, shown=False),
            },
        ),
        Event(
            service_breakdown,
            "Service breakdown",
            "Support systems fail for {weeks} weeks: only {capacity:.0%} of the agents can work.",
            {
                "capacity": Option("Share of agents able to work"),
                "weeks": Option("Weeks until repaired", lo=1, hi=520, whole=True),
            },
        ),
        Event(
            outsource_logistics,
            "Outsource logistics",
            "Logistics goes to an outside partner: its staff leave, on-time delivery becomes "
            "{reliability:.0%}.",
            {"reliability": Option("The partner's on-time delivery")},
        ),
        Event(
            market_shock,
            "Market shock",
            "The market turns: customers buy {demand:.0%} as often as before and marketing wins "
            "{demand:.0%} as many prospects.",
            {"demand": Option("Demand against before", lo=0.1, hi=2.0)},
        ),
        Event(
            partner_failure,
            "Partner failure",
            "The logistics partner fails: on-time delivery falls to {reliability:.0%}.",
            {"reliability": Option("On-time delivery after the failure")},
        ),
        Event(
            viral_complaint,
            "Viral complaint",
            "A complaint goes viral: {share:.0%} of the market hear a warning about the firm.",
            {"share": Option("Share of the market who hear it")},
        ),
    )
}


def check_event(name: str, options: dict) -> None:
    """Raise ``ParameterError`` if the event or its options are not valid."""
    if name not in EVENTS:
        raise ParameterError(f"unknown event '{name}' (known: {', '.join(EVENTS)})")
    EVENTS[name].check(options)


def _in_departments(model, departments: list[str] | None) -> np.ndarray:
    if departments is None:
        return np.ones(model.org.size, dtype=bool)
    return np.isin(model.org.dept, [DEPT_INDEX[d] for d in departments])
