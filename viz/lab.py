"""A browser session's simulation runs, and the one door every page value goes through.

``Lab`` holds run A (and run B in compare mode). Each run is its *recipe*
(scenario, starting lever values, and every change made since: lever moves and
events, each at the week it was made) plus the model built from it. The model
is deterministic given the seed and the recipe, so going back to a past week
rebuilds the run by replaying the recipe up to that week, and a branch is a
copy of the recipe cut at that week (``rewind``, ``branch``). Changes logged
after the week a run is at wait and replay as the run steps on, until a new
change is made there: then they are dropped (the future is rewritten).

Every value a page sends (a scenario name, a lever position, an event and its
options, a seed, a size, a week) is checked here against the server's own lists
and ranges before it is used; a value that is not valid raises ``InputError``
with one plain sentence for the person who typed it, and changes nothing. A
page value is never a path: scenarios are only the bundled ones, by name.

The models are changed only under ``lock``: the play loop steps in a thread
while clicks arrive on another. ``snapshot()`` copies what the views need.
"""

from __future__ import annotations

import functools
import json
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from model import SPECS, CultureModel, available, load_scenario
from model.departments import DEPARTMENTS
from model.events import EVENTS
from model.metrics import METRICS
from model.params import ParameterError, levers
from viz.layout import Structure, structure

YEAR = 52  # weeks added by "extend by a year"
MAX_WEEKS = 10 * YEAR  # a run may be extended up to ten years
MAX_SEED = 2**32 - 1
MAX_ACTIONS = 500  # changes one run may log: enough for any workshop, bounded for a hostile page
SIZE_NAMES = ("n_employees", "market_size", "initial_customers")
LIMITS_ENV = "CX_DASHBOARD_LIMITS"  # the facilitator's size limits, set by ``cxlab dashboard``


class InputError(ParameterError):
    """A value from a page that is not valid; its message is one plain sentence."""


@dataclass(frozen=True)
class Limits:
    """How big a world participants may build on this server (the facilitator sets them)."""

    n_employees: int = 5_000  # the org chart shows each person up to 2,000, then groups them
    market_size: int = 200_000

    @classmethod
    def from_env(cls) -> Limits:
        """The limits ``cxlab dashboard`` passed in ``LIMITS_ENV`` (the defaults when unset)."""
        raw = os.environ.get(LIMITS_ENV)
        return cls(**json.loads(raw)) if raw else cls()

    def most(self, name: str) -> int:
        """The largest value of size parameter ``name`` allowed here."""
        cap = self.market_size if name == "initial_customers" else getattr(self, name)
        return int(min(cap, SPECS[name].hi))


@functools.lru_cache(maxsize=64)
def scenario_info(name: str):
    """The bundled preset ``name`` (title, description, horizon, parameters), read once."""
    return load_scenario(name)


def lever_label(name: str) -> str:
    """The plain name of a lever (or any parameter): its label, else its name in words."""
    return SPECS[name].label or name.replace("_", " ").capitalize()


def _number(value: object) -> float | None:
    """``value`` as a finite number, or None (booleans, text and NaN are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _whole(value: object, lo: int, hi: int) -> int | None:
    """``value`` as a whole number in ``[lo, hi]`` (text of digits accepted), or None."""
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 20:
            return None
        value = int(text)
    number = _number(value)
    if number is None or number != int(number) or not lo <= number <= hi:
        return None
    return int(number)


# ------------------------------------------------------------------ checks of page values
def check_scenario(name: object) -> str:
    """A bundled scenario's name, or ``InputError`` (never a path)."""
    if not isinstance(name, str) or name not in available():
        raise InputError("That scenario is not one of the bundled scenarios; pick one from the list.")
    return name


def check_lever(name: object, value: object) -> float:
    """The lever's new value, converted to its type, or ``InputError``."""
    if not isinstance(name, str) or name not in levers():
        raise InputError("That is not one of the levers on this page.")
    spec = SPECS[name]
    number = _number(value)
    if number is None or not spec.lo <= number <= spec.hi or (spec.integer and number != int(number)):
        kind = "a whole number" if spec.integer else "a number"
        raise InputError(f"{lever_label(name)} must be {kind} from {spec.lo:g} to {spec.hi:g}.")
    return int(number) if spec.integer else number


def check_event(kind: object, options: object) -> dict:
    """The event's options as given (only known ones, each in range), or ``InputError``."""
    if not isinstance(kind, str) or kind not in EVENTS:
        raise InputError("That is not one of the events on this page.")
    if not isinstance(options, Mapping):
        raise InputError("The event's options could not be read.")
    event, out = EVENTS[kind], {}
    for key, value in options.items():
        option = event.options.get(key) if isinstance(key, str) else None
        if option is None:
            raise InputError(f"{event.label} has no option of that name.")
        if option.departments:
            if not isinstance(value, list | tuple) or not value:
                raise InputError("Pick at least one department.")
            if any(not isinstance(d, str) or d not in DEPARTMENTS for d in value):
                raise InputError("Departments must be picked from the list.")
            out[key] = [d for d in DEPARTMENTS if d in value]
            continue
        number = _whole(value, int(option.lo), int(option.hi)) if option.whole else _number(value)
        if number is None or not option.lo <= number <= option.hi:
            kind_ = "a whole number" if option.whole else "a number"
            raise InputError(f"{option.label} must be {kind_} from {option.lo:g} to {option.hi:g}.")
        out[key] = number
    return out


def check_seed(value: object) -> int:
    """A seed from a page: a whole number from 0 to ``MAX_SEED``, or ``InputError``."""
    seed = _whole(value, 0, MAX_SEED)
    if seed is None:
        raise InputError(f"The seed must be a whole number from 0 to {MAX_SEED:,}.")
    return seed


def check_size(values: object, limits: Limits) -> dict[str, int]:
    """World sizes from a page, within the facilitator's ``limits``, or ``InputError``."""
    if not isinstance(values, Mapping) or set(values) - set(SIZE_NAMES):
        raise InputError("Only the number of employees, the market and the customers can be sized here.")
    out = {}
    for name, value in values.items():
        lo, hi = int(SPECS[name].lo), limits.most(name)
        number = _whole(value, lo, hi)
        if number is None:
            raise InputError(
                f"{SIZE_LABELS[name]} must be a whole number from {lo:,} to {hi:,} on this server."
            )
        out[name] = number
    full = {n: int(SPECS[n].default) for n in SIZE_NAMES} | out
    if full["initial_customers"] > full["market_size"]:
        raise InputError("Customers at the start cannot outnumber the people in the market.")
    return out


SIZE_LABELS = {
    "n_employees": "Employees",
    "market_size": "People in the market",
    "initial_customers": "Customers at the start",
}


# ------------------------------------------------------------------ runs
@dataclass(frozen=True)
class Action:
    """One change a person made to a run: a lever moved (``value``) or an event fired
    (``options``), at the start of week ``week + 1`` (after ``week`` weeks)."""

    week: int
    kind: str  # "lever" or "event"
    name: str
    value: float | None = None
    options: Mapping[str, object] = field(default_factory=dict)

    def as_list(self) -> list:
        """Compact JSON form, for the page address."""
        if self.kind == "lever":
            return [self.week, "lever", self.name, self.value]
        return [self.week, "event", self.name, dict(self.options)]


@dataclass
class Run:
    """One run: its recipe, and the model built from it."""

    name: str
    scenario: str
    overrides: dict[str, float] = field(default_factory=dict)  # starting lever values (not the scenario's)
    actions: list[Action] = field(default_factory=list)
    note: str = ""  # e.g. "branch of A at week 40"
    model: CultureModel | None = None
    history: History | None = None
    applied: int = 0  # actions applied to the model so far
    lever_log: list[dict] = field(default_factory=list)  # applied lever moves: week, lever, from, to
    lever_rows: list[tuple[float, ...]] = field(default_factory=list)  # lever values of each week's row

    @property
    def title(self) -> str:
        """The scenario's title and the levers set away from it now, e.g.
        "Baseline, care for employees 0.9"."""
        preset = scenario_info(self.scenario)
        defaults = {n: preset.parameters.get(n, SPECS[n].default) for n in levers()}
        moved = [
            f"{lever_label(n).lower()} {getattr(self.model.p, n):g}"
            for n in levers()
            if self.model is not None and not math.isclose(getattr(self.model.p, n), defaults[n])
        ]
        parts = [preset.title, *moved]
        return ", ".join(parts) + (f" ({self.note})" if self.note else "")

    def recipe(self) -> dict:
        out: dict = {"scenario": self.scenario}
        if self.overrides:
            out["overrides"] = dict(self.overrides)
        if self.actions:
            out["actions"] = [a.as_list() for a in self.actions]
        if self.note:
            out["note"] = self.note
        return out


class History:
    """A model's weekly metrics as one growing array per metric, filled incrementally.

    ``columns()`` copies only the weeks recorded since the last call and returns
    read-only views of the weeks so far; rows already handed out never change.
    """

    INITIAL_WEEKS = 256  # a default scenario's 156 weeks fit without regrowing

    def __init__(self, model: CultureModel) -> None:
        self.model = model
        self.names = tuple(METRICS)
        self.buffer = np.empty((len(self.names), self.INITIAL_WEEKS))
        self.weeks = 0

    def columns(self) -> dict[str, np.ndarray]:
        """Each metric's values, week 0 first (call under the lab's lock)."""
        recorded = self.model.datacollector.model_vars
        n = len(recorded[self.names[0]])
        if n > self.buffer.shape[1]:
            grown = np.empty((len(self.names), max(n, 2 * self.buffer.shape[1])))
            grown[:, : self.weeks] = self.buffer[:, : self.weeks]
            self.buffer = grown
        if n > self.weeks:
            for i, name in enumerate(self.names):
                self.buffer[i, self.weeks : n] = recorded[name][self.weeks : n]
            self.weeks = n
        out = {}
        for i, name in enumerate(self.names):
            view = self.buffer[i, :n]
            view.flags.writeable = False
            out[name] = view
        return out


@dataclass(frozen=True)
class Mark:
    """Something to mark on the week axis: an event fired or a lever moved."""

    week: int
    kind: str  # "event" or "lever"
    text: str  # short, on the chart
    detail: str  # longer, on hover and in lists


@dataclass(frozen=True)
class Snapshot:
    """What the views need of one run at one moment, copied out under the lock."""

    name: str
    scenario: str
    title: str
    steps: int
    columns: Mapping[str, np.ndarray]  # each metric's weekly values, week 0 first (read-only)
    events: tuple[dict, ...]
    levers: tuple[dict, ...]  # lever moves: week, lever, from, to
    structure: Structure
    centricity: np.ndarray
    present: np.ndarray
    status: np.ndarray
    score: np.ndarray

    def series(self, metric: str) -> np.ndarray:
        """The weekly values of ``metric``, week 0 first."""
        return self.columns[metric]

    @functools.cached_property
    def marks(self) -> tuple[Mark, ...]:
        """Events and lever moves, in week order."""
        out = [Mark(int(e["step"]), "event", EVENTS[e["type"]].label, event_summary(e)) for e in self.events]
        out += [Mark(c["week"], "lever", lever_label(c["lever"]), lever_summary(c)) for c in self.levers]
        return tuple(sorted(out, key=lambda m: m.week))


def event_summary(entry: Mapping) -> str:
    """A fired event in words: its label and the options it was fired with."""
    event = EVENTS[entry["type"]]
    parts = []
    for name, value in entry.items():
        if name in ("step", "type"):
            continue
        option = event.options[name]
        if option.departments:
            parts.append(", ".join(value))
        elif option.whole:
            parts.append(f"{value} {option.label.split()[0].lower()}")
        else:
            parts.append(f"{option.label.lower()} {value:.0%}")
    return f"{event.label} ({'; '.join(parts)})" if parts else event.label


def lever_summary(change: Mapping) -> str:
    """A lever move in words, e.g. "Support staff on duty 1 → 0.6"."""
    return f"{lever_label(change['lever'])} {change['from']:g} → {change['to']:g}"


def event_text(entry: Mapping) -> str:
    """A logged event for the export, e.g. ``layoffs(share=0.3)``."""
    options = [
        f"{k}={'+'.join(v) if isinstance(v, list) else v}"
        for k, v in entry.items()
        if k not in ("step", "type")
    ]
    return f"{entry['type']}({','.join(options)})" if options else entry["type"]


class Lab:
    """A session's runs: A always, B in compare mode, both from the same seed.

    Args:
        scenario: bundled preset name for run A.
        seed: seed shared by both runs.
        size: structural sizes (``SIZE_NAMES``) applied when building.
        limits: the largest sizes allowed (the facilitator's, by default from the environment).
        build: build the models now (``viz.recipe`` builds them once it has set the recipe).
    """

    def __init__(
        self,
        scenario: str = "baseline",
        seed: int = 1,
        size: dict[str, int] | None = None,
        limits: Limits | None = None,
        build: bool = True,
    ) -> None:
        self.lock = threading.RLock()
        self.limits = limits or Limits.from_env()
        self.seed = check_seed(seed)
        self.size: dict[str, int] = check_size(size or {}, self.limits)
        self.runs: list[Run] = [Run("A", check_scenario(scenario))]
        self.target = "both"  # which runs levers and events act on: "A", "B" or "both"
        self.horizon = scenario_info(scenario).steps
        self.version = 0  # bumped on every change the views must show
        self.builds = 0  # bumped whenever the models are rebuilt
        self._snapshot: tuple[tuple[int, int], list[Snapshot]] | None = None
        if build:
            self.rebuild(0)

    # ------------------------------------------------------------ building
    @property
    def compare(self) -> bool:
        return len(self.runs) == 2

    @property
    def steps(self) -> int:
        return self.runs[0].model.steps

    def _build(self, run: Run, week: int) -> None:
        """Build ``run``'s model from its recipe and replay it to ``week``."""
        run.model = CultureModel(run.scenario, rng=self.seed, **self.size, **run.overrides)
        run.history = History(run.model)
        run.applied, run.lever_log = 0, []
        run.lever_rows = [self._lever_values(run)]
        for _ in range(week):
            self._step_run(run)

    def rebuild(self, week: int) -> None:
        """Build every run from its recipe and replay it to ``week`` (no checks: callers check)."""
        for run in self.runs:
            self._build(run, week)
        self.version += 1
        self.builds += 1

    @staticmethod
    def _lever_values(run: Run) -> tuple[float, ...]:
        return tuple(getattr(run.model.p, n) for n in levers())

    def _apply(self, run: Run, action: Action) -> None:
        m = run.model
        if action.kind == "lever":
            before = getattr(m.p, action.name)
            m.set_params(**{action.name: action.value})
            run.lever_log.append({"week": m.steps, "lever": action.name, "from": before, "to": action.value})
        else:
            m.fire(action.name, **action.options)
        run.applied += 1

    def _step_run(self, run: Run) -> None:
        """One week of ``run``: the changes logged for this week first, then the step."""
        m = run.model
        while run.applied < len(run.actions) and run.actions[run.applied].week <= m.steps:
            self._apply(run, run.actions[run.applied])
        run.lever_rows.append(self._lever_values(run))
        m.step()

    def reset(self, seed: object = None, size: object = None) -> None:
        """Start every run again at week 0 from its scenario, keeping the levers where they are
        now (the changes made during the run are dropped).

        Raises:
            InputError: a seed or size that is not valid; nothing changes then.
        """
        new_seed = self.seed if seed is None else check_seed(seed)
        new_size = self.size if size is None else check_size(size, self.limits)
        with self.lock:
            old = (self.seed, self.size, [(r.overrides, r.actions) for r in self.runs])
            self.seed, self.size = new_seed, new_size
            for run in self.runs:
                preset = scenario_info(run.scenario).parameters
                now = {n: getattr(run.model.p, n) for n in levers()}
                run.overrides = {
                    n: v for n, v in now.items() if not math.isclose(v, preset.get(n, SPECS[n].default))
                }
                run.actions = []
            try:
                self.rebuild(0)
            except ParameterError as exc:  # e.g. a size the model refuses: back to how it was
                self.seed, self.size = old[0], old[1]
                for run, (overrides, actions) in zip(self.runs, old[2], strict=True):
                    run.overrides, run.actions = overrides, actions
                self.rebuild(self.steps)
                raise InputError(f"That world cannot be built: {exc}.") from None

    def load(self, scenario: object, run: str = "A") -> None:
        """Load a bundled preset into run ``run``: its own lever values, no changes, week 0 for all."""
        name = check_scenario(scenario)
        with self.lock:
            r = self._run(run)
            r.scenario, r.overrides, r.actions, r.note = name, {}, [], ""
            for other in self.runs:
                other.actions = []
            self.horizon = max(scenario_info(x.scenario).steps for x in self.runs)
            self.rebuild(0)

    def set_compare(self, scenario_b: object) -> None:
        """Compare with preset ``scenario_b`` as run B from week 0 (None or "" ends compare mode)."""
        with self.lock:
            if scenario_b in (None, ""):
                if self.compare:
                    self.runs = self.runs[:1]
                    self.target = "both"
                    self.version += 1
                    self.builds += 1
                return
            name = check_scenario(scenario_b)
            self.runs = [self.runs[0], Run("B", name)]
            self.runs[0].actions = []
            self.horizon = max(scenario_info(x.scenario).steps for x in self.runs)
            self.rebuild(0)

    def set_target(self, target: object) -> None:
        """Which runs levers and events act on: "both", "A" or "B" (compare mode)."""
        if target not in ("both", "A", "B") or (target != "both" and not self.compare):
            raise InputError("Levers and events act on both runs, on A or on B.")
        with self.lock:
            self.target = target
            self.version += 1

    def _run(self, name: str) -> Run:
        for r in self.runs:
            if r.name == name:
                return r
        raise InputError(f"There is no run {name} now.")

    def targets(self) -> list[Run]:
        """The runs that levers and events act on."""
        if self.target == "both" or not self.compare:
            return list(self.runs)
        return [self._run(self.target)]

    # ------------------------------------------------------------ time
    def step(self, n: int = 1) -> int:
        """Advance every run up to ``n`` weeks in lock-step, never past the horizon; returns
        the weeks stepped."""
        with self.lock:
            n = max(0, min(int(n), self.horizon - self.steps))
            for _ in range(n):
                for run in self.runs:
                    self._step_run(run)
            if n:
                self.version += 1
            return n

    @property
    def at_end(self) -> bool:
        """Whether the runs have reached the horizon (going on needs ``extend``)."""
        return self.steps >= self.horizon

    def extend(self, weeks: int = YEAR) -> None:
        """Move the horizon ``weeks`` further (at most ``MAX_WEEKS`` in all)."""
        with self.lock:
            if self.horizon + weeks > MAX_WEEKS:
                raise InputError(f"A run can go on for at most {MAX_WEEKS // YEAR} years.")
            self.horizon += weeks
            self.version += 1

    def rewind(self, week: object) -> None:
        """Go back to ``week`` (0 .. now): the runs are rebuilt by replaying their recipes.
        Changes logged after it stay, and replay as the runs step on."""
        w = _whole(week, 0, self.steps)
        if w is None:
            raise InputError(f"Pick a week from 0 to {self.steps}.")
        with self.lock:
            self.rebuild(w)

    def branch(self, week: object) -> None:
        """Start run B as a copy of run A at ``week`` (before the changes made that week), and
        take both runs there; A keeps its later changes, which replay as it steps on."""
        w = _whole(week, 0, self.steps)
        if w is None:
            raise InputError(f"Pick a week from 0 to {self.steps} to branch from.")
        with self.lock:
            a = self.runs[0]
            b = Run(
                "B",
                a.scenario,
                dict(a.overrides),
                [x for x in a.actions if x.week < w],
                note=f"branch of A at week {w}",
            )
            self.runs = [a, b]
            self.target = "B"
            self.rebuild(w)

    # ------------------------------------------------------------ steering
    def _record(self, action: Action) -> None:
        for run in self.targets():
            if len(run.actions) >= MAX_ACTIONS:
                raise InputError(f"A run can log at most {MAX_ACTIONS} changes; reset to start afresh.")
        for run in self.targets():
            del run.actions[run.applied :]  # changes waiting to replay: the future is rewritten
            run.actions.append(replace(action, week=run.model.steps))
            self._apply(run, run.actions[-1])
        self.version += 1

    def lever(self, name: str) -> float:
        """The current value of lever ``name`` in the first run levers act on."""
        return getattr(self.targets()[0].model.p, name)

    def set_lever(self, name: object, value: object) -> None:
        """Move a lever on the running target models, from this week on; logged.

        Raises:
            InputError: not a lever, or a value out of its range; nothing changes then.
        """
        number = check_lever(name, value)
        with self.lock:
            if all(math.isclose(getattr(r.model.p, name), number) for r in self.targets()):
                return  # no move: nothing to log
            self._record(Action(0, "lever", name, number))

    def fire(self, kind: object, **options) -> None:
        """Fire event ``kind`` now on the target runs (options not given take their defaults); logged.

        Raises:
            InputError: unknown event, or an option unknown or out of range; nothing fires then.
        """
        checked = check_event(kind, options)
        with self.lock:
            self._record(Action(0, "event", kind, value=None, options=checked))

    # ------------------------------------------------------------ reading
    def snapshot(self) -> list[Snapshot]:
        """What the views draw, one per run; the same objects until the runs change."""
        with self.lock:
            key = (self.builds, self.version)
            if self._snapshot is None or self._snapshot[0] != key:
                self._snapshot = (key, [self._snap(r) for r in self.runs])
            return list(self._snapshot[1])

    @staticmethod
    def _snap(run: Run) -> Snapshot:
        m = run.model
        return Snapshot(
            name=run.name,
            scenario=run.scenario,
            title=run.title,
            steps=m.steps,
            columns=run.history.columns(),
            events=tuple(dict(e) for e in m.event_log),
            levers=tuple(dict(c) for c in run.lever_log),
            structure=structure(m),
            centricity=m.staff.centricity.copy(),
            present=m.staff.present.copy(),
            status=m.market.status.copy(),
            score=m.market.score.copy(),
        )

    def lever_table(self, run: Run) -> pd.DataFrame:
        """Each lever's value in effect during each week of ``run`` (row 0: at the start)."""
        return pd.DataFrame(run.lever_rows, columns=levers())

    def models(self) -> dict[str, CultureModel]:
        """The live models by run name (for views that need structure)."""
        return {r.name: r.model for r in self.runs}

    # ------------------------------------------------------------ recipe
    def recipe(self) -> dict:
        """Everything needed to rebuild this session exactly (see ``viz.recipe``)."""
        with self.lock:
            out: dict = {"seed": self.seed, "week": self.steps, "runs": [r.recipe() for r in self.runs]}
            if self.size:
                out["size"] = dict(self.size)
            if self.horizon != max(scenario_info(r.scenario).steps for r in self.runs):
                out["horizon"] = self.horizon
            if self.target != "both":
                out["target"] = self.target
            return out
