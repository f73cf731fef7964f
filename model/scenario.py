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

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from model.events import check_event
from model.params import ParameterError, coerce, make_params

SCENARIO_DIR = Path(__file__).parent / "scenarios"
DEFAULT_STEPS = 156


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


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a bundled scenario by name, or any scenario file by path.

    Raises:
        ScenarioError: unknown name, unreadable or malformed file, bad contents.
    """
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = SCENARIO_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            raise ScenarioError(f"unknown scenario '{name_or_path}' (available: {', '.join(available())})")
    if not path.is_file():
        raise ScenarioError(f"scenario file '{path}' does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path.name}: malformed TOML: {exc}") from None
    try:
        return parse_scenario(data, path.stem)
    except ParameterError as exc:
        raise ScenarioError(f"{path.name}: {exc}") from None


def parse_scenario(data: dict, name: str) -> Scenario:
    """Validate a scenario's parsed TOML."""
    unknown = set(data) - {"scenario", "parameters", "events"}
    if unknown:
        raise ParameterError(
            f"unknown section(s) {sorted(unknown)}; use [scenario], [parameters], [[events]]"
        )
    meta = data.get("scenario", {})
    params = coerce(data.get("parameters", {}))
    make_params(params)  # ranges and cross-checks
    steps = meta.get("steps", DEFAULT_STEPS)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ParameterError(f"steps must be a positive whole number, got {steps!r}")
    events = []
    for raw in data.get("events", []):
        raw = dict(raw)
        step, kind = raw.pop("step", None), raw.pop("type", None)
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ParameterError(f"every event needs a whole-number 'step' >= 0, got {step!r}")
        if not isinstance(kind, str):
            raise ParameterError("every event needs a 'type'")
        check_event(kind, raw)
        events.append(Event(step, kind, raw))
    return Scenario(
        name=name,
        title=str(meta.get("title", name)),
        description=str(meta.get("description", "")),
        parameters=params,
        events=tuple(sorted(events, key=lambda e: e.step)),
        steps=steps,
    )
