"""What a team decides each round: lever settings, and actions that cost money.

Levers come from the parameter registry (``model.params.levers``). Two of
them are the market's, not a firm's (``WORLD``: how much further bad news
travels, and social media's reach); in a workshop they stay as the scenario
sets them, and the facilitator's events (a viral complaint) stand for the world.

Four levers cost nothing in the model to move, yet are bought in real life:
product quality (development), culture-fit hiring (recruiting for values),
self-service (a portal, an FAQ) and the logistics partner's reliability (a
better contract). In a workshop a team raises them only through an action with
a one-off price (``OWNED``), so that no free setting dominates. The other
actions: a culture programme, and layoffs (the cost cutter's move, which costs
severance now and saves wages later).

Prices are in the firm's own currency, in weeks of its wage (``Prices``), and
are fixed for a workshop when it is created, so a replay charges the same.
Every price is a playable rough figure [calibration], not a benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

from model.departments import DEPARTMENTS
from model.params import SPECS, ParameterError, coerce, levers
from workshop.errors import InvalidInput

# The registry's levers that belong to the market, not to a firm's decisions.
WORLD = frozenset({"negative_wom_weight", "social_amplification"})


def policy_levers() -> tuple[str, ...]:
    """The registry's levers a firm decides (set freely or bought), in registry order."""
    return tuple(name for name in levers() if name not in WORLD)


@dataclass(frozen=True)
class Prices:
    """What actions cost, in weeks of wage (fixed for a workshop at creation)."""

    programme_weeks: float = 2.0  # per position trained by a culture programme
    severance_weeks: float = 8.0  # per person laid off
    values_hiring_weeks: float = 2.0  # of the whole wage bill, per unit of hiring_culture_fit raised
    service_investment_weeks: float = 4.0  # of the whole wage bill, per unit of self_service raised
    product_investment_weeks: float = 12.0  # of the whole wage bill, per unit of product_quality raised
    logistics_contract_weeks: float = 8.0  # of the whole wage bill, per unit of partner_reliability raised

    @classmethod
    def from_dict(cls, data: Mapping[str, float]) -> Prices:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise InvalidInput(
                f"unknown price(s) {sorted(unknown)}; known: {', '.join(cls.__dataclass_fields__)}"
            )
        for name, value in data.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
                raise InvalidInput(f"price {name} must be a number of weeks >= 0, got {value!r}")
        return cls(**{k: float(v) for k, v in data.items()})


@dataclass(frozen=True)
class Facts:
    """The starting firm's figures that prices are computed from."""

    wage: float
    positions: dict[str, int]  # positions per department
    staff_positions: int  # staff-level positions outside the executive department (who layoffs reach)

    @property
    def wage_bill(self) -> float:
        """A week's wages of every position."""
        return self.wage * sum(self.positions.values())

    @classmethod
    def of(cls, model) -> Facts:
        """The facts of a freshly built ``model``."""
        from model.org import STAFF

        org = model.org
        positions = {d: int((org.dept == i).sum()) for i, d in enumerate(DEPARTMENTS)}
        outside = org.dept != DEPARTMENTS.index("executive")
        return cls(float(model.p.wage), positions, int(((org.level == STAFF) & outside).sum()))


# --------------------------------------------------------------------------- actions
@dataclass(frozen=True)
class Action:
    """A one-off, costly decision.

    ``check(options, levers_now)`` validates options and returns them in
    canonical form; ``price(options, levers_now, facts, prices)`` quotes the
    cost (an estimate for layoffs, whose exact head count the model draws);
    ``apply(model, options, facts, prices)`` books the cost with
    ``model.charge`` and makes the change, returning what it charged.
    """

    name: str
    label: str
    help: str
    check: Callable[[dict, Mapping[str, float]], dict]
    price: Callable[[dict, Mapping[str, float], Facts, Prices], float]
    apply: Callable[..., float]
    owns: str | None = None  # the lever only this action moves


def _departments(options: dict, name: str) -> list[str]:
    value = options.get("departments")
    if value is None:
        return list(DEPARTMENTS)
    if (
        not isinstance(value, list | tuple)
        or not value
        or any(not isinstance(d, str) or d not in DEPARTMENTS for d in value)
    ):
        raise InvalidInput(f"{name}: departments must be a non-empty list of {', '.join(DEPARTMENTS)}")
    return sorted(set(value), key=DEPARTMENTS.index)


def _number(options: dict, key: str, lo: float, hi: float, name: str) -> float:
    value = options.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name}: {key} must be a number in [{lo:g}, {hi:g}], got {value!r}")
    if not lo <= value <= hi:
        raise InvalidInput(f"{name}: {key} = {value:g} must be in [{lo:g}, {hi:g}]")
    return float(value)


def _only(options: dict, allowed: tuple[str, ...], name: str) -> None:
    extra = sorted(set(options) - set(allowed))
    if extra:
        raise InvalidInput(f"{name}: unknown option(s) {extra} (allowed: {', '.join(allowed) or 'none'})")


def _programme_check(options, levers_now):
    _only(options, ("departments",), "culture_programme")
    return {"departments": _departments(options, "culture_programme")}


def _programme_price(options, levers_now, facts, prices):
    trained = sum(facts.positions[d] for d in options["departments"])
    return prices.programme_weeks * facts.wage * trained


def _programme_apply(model, options, facts, prices):
    cost = _programme_price(options, None, facts, prices)
    model.charge(cost)
    model.fire("culture_programme", departments=list(options["departments"]))
    return cost


LAYOFF_SHARES = (0.05, 0.5)


def _layoffs_check(options, levers_now):
    _only(options, ("share",), "layoffs")
    return {"share": _number(options, "share", *LAYOFF_SHARES, "layoffs")}


def _layoffs_price(options, levers_now, facts, prices):
    return prices.severance_weeks * facts.wage * round(options["share"] * facts.staff_positions)


def _layoffs_apply(model, options, facts, prices):
    before = int(model.staff.present.sum())
    model.fire("layoffs", share=options["share"])
    cost = prices.severance_weeks * facts.wage * (before - int(model.staff.present.sum()))
    model.charge(cost)
    return cost


def _investment(name: str, label: str, lever: str, price_field: str, help: str) -> Action:
    """An action that raises ``lever`` to a chosen ``level`` at a price per unit raised."""
    hi = SPECS[lever].hi

    def check(options, levers_now):
        _only(options, ("level",), name)
        now = levers_now[lever]
        level = _number(options, "level", SPECS[lever].lo, hi, name)
        if level <= now:
            raise InvalidInput(f"{name}: level {level:g} is not above the current {lever} {now:g}")
        return {"level": level}

    def price(options, levers_now, facts, prices):
        return (options["level"] - levers_now[lever]) * getattr(prices, price_field) * facts.wage_bill

    def apply(model, options, facts, prices):
        cost = price(options, {lever: getattr(model.p, lever)}, facts, prices)
        model.charge(cost)
        model.set_params(**{lever: options["level"]})
        return cost

    return Action(name, label, help, check, price, apply, owns=lever)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "culture_programme",
            "Culture programme",
            "Train the chosen departments in customer focus (default: everyone); "
            "priced per position trained.",
            _programme_check,
            _programme_price,
            _programme_apply,
        ),
        _investment(
            "product_investment",
            "Product investment",
            "product_quality",
            "product_investment_weeks",
            "Development work on the product itself: raises its base quality, the touchpoint customers weigh most.",
        ),
        _investment(
            "values_hiring",
            "Hire for values",
            "hiring_culture_fit",
            "values_hiring_weeks",
            "Rebuild recruiting around values (assessment days, trained recruiters): "
            "raises culture-fit hiring to the chosen level.",
        ),
        _investment(
            "service_investment",
            "Service investment",
            "self_service",
            "service_investment_weeks",
            "A self-service portal and FAQ: raises the share of routine questions answered without an agent.",
        ),
        _investment(
            "logistics_contract",
            "Better logistics contract",
            "partner_reliability",
            "logistics_contract_weeks",
            "Pay a logistics partner for a better service level: raises on-time delivery.",
        ),
        Action(
            "layoffs",
            "Layoffs",
            "Lay off a share of staff outside the executive team: severance now, "
            "lower wages afterwards, and the survivors' wellbeing drops.",
            _layoffs_check,
            _layoffs_price,
            _layoffs_apply,
        ),
    )
}
OWNED = frozenset(a.owns for a in ACTIONS.values() if a.owns)


# --------------------------------------------------------------------------- a round's decision
@dataclass(frozen=True)
class Decision:
    """A team's decision for one round: the levers it set and the actions it took."""

    levers: dict[str, float] = field(default_factory=dict)
    actions: tuple[dict, ...] = ()

    def as_json(self) -> dict:
        return {"levers": dict(self.levers), "actions": [dict(a) for a in self.actions]}


@dataclass(frozen=True)
class LeverChoice:
    """A lever a team may set: its value now and the registry's range, unit and meaning."""

    name: str
    value: float
    lo: float
    hi: float
    unit: str
    meaning: str


@dataclass(frozen=True)
class ActionChoice:
    """An action a team may take; ``lever`` and ``value`` name what it raises and from where."""

    name: str
    label: str
    help: str
    lever: str | None
    value: float | None


@dataclass(frozen=True)
class Menu:
    """Everything a team's screen offers for one round."""

    levers: tuple[LeverChoice, ...]
    actions: tuple[ActionChoice, ...]


def menu(in_play: tuple[str, ...], levers_now: Mapping[str, float]) -> Menu:
    """The choices of a round, given the levers in play and the firm's lever values now."""
    return Menu(
        tuple(
            LeverChoice(n, levers_now[n], SPECS[n].lo, SPECS[n].hi, SPECS[n].unit, SPECS[n].meaning)
            for n in in_play
        ),
        tuple(
            ActionChoice(a.name, a.label, a.help, a.owns, levers_now[a.owns] if a.owns else None)
            for a in ACTIONS.values()
        ),
    )


def free_levers(fixed: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The levers a team sets freely: policy levers not bought through an action nor fixed."""
    return tuple(n for n in policy_levers() if n not in OWNED and n not in fixed)


def check_levers(values: object, in_play: tuple[str, ...]) -> dict[str, float]:
    """Validate a team's lever settings against the registry's ranges.

    Raises:
        InvalidInput: not a mapping, a lever not in play, a value not a number or out of range.
    """
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise InvalidInput("levers must be a mapping of lever name to value")
    for name in values:
        if name not in in_play:
            if name in OWNED:
                buy = next(a.name for a in ACTIONS.values() if a.owns == name)
                raise InvalidInput(f"{name} is raised by the action '{buy}', not set directly")
            if name in SPECS:
                raise InvalidInput(f"{name} is not a lever teams set in this workshop")
            raise InvalidInput(f"unknown lever '{name}' (levers: {', '.join(in_play)})")
    try:
        out = coerce(dict(values))
    except ParameterError as exc:
        raise InvalidInput(str(exc)) from None
    for name, value in out.items():
        spec = SPECS[name]
        if not spec.lo <= value <= spec.hi:
            raise InvalidInput(f"{name} = {value:g} is out of range [{spec.lo:g}, {spec.hi:g}] ({spec.unit})")
    return out


def check_actions(items: object, levers_now: Mapping[str, float]) -> tuple[dict, ...]:
    """Validate a round's actions (each a dict with ``action`` and its options) given the
    lever values the firm has now; returns them in catalogue order, options canonical.

    Raises:
        InvalidInput: unknown action, one taken twice, or a bad option.
    """
    if items is None:
        return ()
    if not isinstance(items, list | tuple):
        raise InvalidInput("actions must be a list of {'action': name, ...options}")
    chosen: dict[str, dict] = {}
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("action"), str):
            raise InvalidInput("each action must be a mapping with an 'action' name")
        options = dict(item)
        name = options.pop("action")
        if name not in ACTIONS:
            raise InvalidInput(f"unknown action '{name}' (actions: {', '.join(ACTIONS)})")
        if name in chosen:
            raise InvalidInput(f"{name} is chosen twice; one of each action per round")
        chosen[name] = ACTIONS[name].check(options, levers_now)
    return tuple({"action": n, **chosen[n]} for n in ACTIONS if n in chosen)


def quote(actions: tuple[dict, ...], levers_now: Mapping[str, float], facts: Facts, prices: Prices) -> float:
    """The expected cost of validated ``actions`` (layoffs estimated from positions)."""
    return sum(ACTIONS[a["action"]].price(_options(a), levers_now, facts, prices) for a in actions)


def apply(model, decision: Decision, facts: Facts, prices: Prices) -> float:
    """Set the levers, then take the actions in catalogue order; returns the one-off cost charged."""
    if decision.levers:
        model.set_params(**decision.levers)
    return sum(ACTIONS[a["action"]].apply(model, _options(a), facts, prices) for a in decision.actions)


def describe(decision: Decision) -> str:
    """One line in words for tables and reports, e.g.
    ``Freedom to fix problems 0.8; Culture programme (sales, service); Layoffs (10% of staff)``."""
    parts = [f"{lever_words(k)} {v:g}" for k, v in decision.levers.items()]
    for a in decision.actions:
        parts.append(f"{ACTIONS[a['action']].label} ({_option_words(_options(a))})")
    return "; ".join(parts) or "no change"


def lever_words(name: str) -> str:
    """A lever's plain name (its registry label)."""
    return SPECS[name].label or name.replace("_", " ")


def _option_words(options: dict) -> str:
    words = []
    for key, value in options.items():
        if key == "departments":
            words.append("all departments" if len(value) == len(DEPARTMENTS) else ", ".join(value))
        elif key == "share":
            words.append(f"{value:.0%} of staff")
        else:
            words.append(f"to {value:g}")
    return "; ".join(words)


def _options(action: dict) -> dict:
    return {k: v for k, v in action.items() if k != "action"}


def prices_json(prices: Prices) -> dict:
    return asdict(prices)
