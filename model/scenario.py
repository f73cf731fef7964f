"""Scenarios as data: TOML files of parameters plus scheduled events.

A scenario file looks like::

    [scenario]
    title = "Customer-centric, led from the top"
    description = "What a trainer reads out."
    steps = 156                       # optional horizon in weeks

    [parameters]
    leadership_commitment = 0.9

    [[events]]
    step = 26                         # fires after 26 completed weeks
    type = "culture_programme"
    departments = ["service"]
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from model.events import check_event
from model.files import read_toml, shown
from model.limits import LIMITS, Limits, check
from model.params import SPECS, ParameterError, coerce, make_params

SCENARIO_DIR = Path(__file__).parent / "scenarios"
DEFAULT_STEPS = 156
SECTIONS = ("scenario", "parameters", "events")
SCENARIO_KEYS = ("title", "description", "steps")
MAX_BYTES = 2**20  # a scenario file is a few hundred bytes; a megabyte is surely the wrong file


class ScenarioError(ValueError):
    """A scenario that cannot be found or read."""


@dataclass(frozen=True)
class Event:
    step: int
    type: str
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    parameters: dict
    events: tuple[Event, ...] = ()
    steps: int = DEFAULT_STEPS

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "parameters": dict(self.parameters),
            "events": [{"step": e.step, "type": e.type, **e.options} for e in self.events],
            "steps": self.steps,
        }


def available() -> list[str]:
    """Names of the bundled scenarios."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def load_scenario(name_or_path: str | Path, limits: Limits | None = LIMITS) -> Scenario:
    """Load a bundled scenario by name, or any scenario file by path (ending in ``.toml``).

    A scenario's horizon beyond ``limits.steps`` is refused (``None``: no limit).

    Raises:
        ScenarioError: unknown name, unreadable or malformed file, bad contents.
    """
    path = Path(name_or_path)
    if path.suffix.lower() != ".toml":
        if str(name_or_path) not in available():  # a name is never a path
            raise ScenarioError(
                f"unknown scenario '{shown(name_or_path)}' (available: {', '.join(available())})"
            )
        path = SCENARIO_DIR / f"{name_or_path}.toml"
    data = read_toml(path, "scenario file", ScenarioError, MAX_BYTES)
    try:
        return parse_scenario(data, path.stem, limits)
    except ParameterError as exc:  # a LimitError too
        raise ScenarioError(f"{path.name}: {exc}") from None


def parse_scenario(data: dict, name: str, limits: Limits | None = LIMITS) -> Scenario:
    """Validate a scenario's parsed TOML.

    Raises:
        ParameterError: the first thing wrong, in one line naming the field.
        LimitError: a horizon beyond ``limits.steps``.
    """
    _check_sections(data)
    meta, parameters = _table(data, "scenario"), _table(data, "parameters")
    unknown = set(meta) - set(SCENARIO_KEYS)
    if unknown:
        raise ParameterError(
            _unknown(unknown, SCENARIO_KEYS, "key", "in [scenario]", f"use {_listed(SCENARIO_KEYS)}")
        )
    for key in ("title", "description"):
        if key in meta and not isinstance(meta[key], str):
            raise ParameterError(f"[scenario] {key} must be text in quotes, got {_shown(meta[key])}")
    params = coerce(parameters)
    make_params(params)  # ranges and cross-checks
    steps = meta.get("steps", DEFAULT_STEPS)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ParameterError(
            f"[scenario] steps must be a positive whole number of weeks, got {_shown(steps)}"
        )
    check("[scenario] steps", steps, limits and limits.steps, "weeks")
    events = [_event(raw, i, steps) for i, raw in enumerate(_events(data), start=1)]
    return Scenario(
        name=name,
        title=meta.get("title", name),
        description=meta.get("description", ""),
        parameters=params,
        events=tuple(sorted(events, key=lambda e: e.step)),
        steps=steps,
    )


def _check_sections(data: dict) -> None:
    """Refuse names outside the scenario's sections without repeating any that are
    unrelated: the file may be some other program's, with secrets in it."""
    unknown = set(data) - set(SECTIONS)
    if not unknown:
        return
    for key in sorted(unknown):  # a key that belongs in a section, written above it
        if key in SCENARIO_KEYS or key in SPECS:
            section = "scenario" if key in SCENARIO_KEYS else "parameters"
            raise ParameterError(f"'{key}' must be under [{section}] (it is above the first section)")
    raise ParameterError(
        _unknown(
            unknown,
            SECTIONS,
            "section",
            "",
            "a scenario file has only [scenario], [parameters] and [[events]]",
        )
    )


def _unknown(names: set[str], known: tuple[str, ...], kind: str, where: str, rule: str) -> str:
    """One line on unknown ``names``: those that look like a misspelling of a known name
    are shown with the right one; others are only counted, never repeated."""
    hints = []
    for name in sorted(names):
        close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.8)
        if close:
            hints.append(f"'{name}' (did you mean '{close[0]}'?)")
    others = len(names) - len(hints)
    parts = [f"unknown {kind} {', '.join(hints)}"] if hints else []
    if others:
        parts.append(f"{others} {'other ' if hints else ''}unknown {kind}{'s' if others > 1 else ''}")
    return f"{' and '.join(parts)}{' ' + where if where else ''}; {rule}"


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + f" or {names[-1]}"


def _shown(value: object) -> str:
    """A value for a message: short, on one line."""
    text = repr(value) if isinstance(value, str | list | dict) else str(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _table(data: dict, section: str) -> dict:
    value = data.get(section, {})
    if not isinstance(value, dict):
        raise ParameterError(
            f"'{section}' must be a section [{section}] of name = value lines, got {_shown(value)}"
        )
    return value


def _events(data: dict) -> list[dict]:
    raw = data.get("events", [])
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise ParameterError(
            f"events must be [[events]] sections (each with step = week and type = event), got {_shown(raw)}"
        )
    return raw


def _event(raw: dict, number: int, horizon: int) -> Event:
    options = dict(raw)
    step, kind = options.pop("step", None), options.pop("type", None)
    where = f"event {number}"
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ParameterError(f"{where}: every event needs a whole-number 'step' >= 0, got {_shown(step)}")
    if not isinstance(kind, str):
        raise ParameterError(f"{where}: every event needs a 'type' (the event's name in quotes)")
    if step >= horizon:
        raise ParameterError(
            f"{where} ({kind}) at step {step:,} is past the scenario's horizon of {horizon} weeks "
            f"(steps 0..{horizon - 1}); set [scenario] steps to run longer"
        )
    check_event(kind, options)
    return Event(step, kind, options)
