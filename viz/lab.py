"""One participant's simulation session: one run, or two runs A and B in lock-step.

``Lab`` holds the models and the settings they were built from, and is the only
place the dashboard changes a model: every change goes through ``model.step``,
``model.set_params`` or ``model.fire`` under one lock, because the play loop
steps in a thread while button clicks arrive on another. It knows nothing of
Solara, so it is tested directly.

Views read the runs through ``snapshot()``, which is cheap to call often: the
weekly metrics are copied incrementally into growing arrays (only the weeks
added since the last call), and the snapshot is reused until the runs change.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model import SPECS, CultureModel, load_scenario
from model.events import check_event
from model.metrics import METRICS
from model.params import ParameterError
from viz.layout import Structure, structure


@functools.lru_cache(maxsize=64)
def scenario_info(name: str):
    """The preset ``name`` (title, description, horizon), read once."""
    return load_scenario(name)


@dataclass
class Run:
    """One model and what it was built from."""

    name: str
    scenario: str
    overrides: dict[str, float] = field(default_factory=dict)
    model: CultureModel | None = None
    history: History | None = None

    @property
    def title(self) -> str:
        return scenario_info(self.scenario).title


class History:
    """A model's weekly metrics as one growing array per metric, filled incrementally.

    ``columns()`` copies only the weeks recorded since the last call and returns
    read-only views of the weeks so far; rows already handed out never change
    (the buffer is only appended to, and replaced, not overwritten, when full).
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
class Snapshot:
    """What the views need of one run at one moment, copied out under the lock."""

    name: str
    scenario: str
    title: str
    steps: int
    columns: Mapping[str, np.ndarray]  # each metric's weekly values, week 0 first (read-only)
    events: tuple[dict, ...]
    structure: Structure
    centricity: np.ndarray
    present: np.ndarray
    status: np.ndarray
    score: np.ndarray

    def series(self, metric: str) -> np.ndarray:
        """The weekly values of ``metric``, week 0 first."""
        return self.columns[metric]

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        """The weekly metrics as a table (built on first use, for export)."""
        return pd.DataFrame({name: self.columns[name] for name in METRICS})


def event_text(entry: dict) -> str:
    """A logged event for the export: its type, and the options it was fired with if any,
    e.g. ``layoffs(share=0.3)`` or ``culture_programme(departments=sales+service)``."""
    options = [
        f"{k}={'+'.join(v) if isinstance(v, list) else v}"
        for k, v in entry.items()
        if k not in ("step", "type")
    ]
    return f"{entry['type']}({','.join(options)})" if options else entry["type"]


class Lab:
    """A session's runs: A always, B in compare mode, both from the same seed.

    Args:
        scenario: preset name for run A.
        seed: seed shared by both runs.
        size: structural parameters (e.g. ``n_employees``) applied when building.
    """

    def __init__(self, scenario: str = "baseline", seed: int = 1, size: dict[str, int] | None = None) -> None:
        self.lock = threading.RLock()
        self.seed = int(seed)
        self.size: dict[str, int] = dict(size or {})
        self.runs: list[Run] = [Run("A", scenario)]
        self.target = "both"  # which runs levers and events act on: "A", "B" or "both"
        self.version = 0  # bumped on every change the views must show
        self.builds = 0  # bumped whenever the models are rebuilt
        self._snapshot: tuple[tuple[int, int], list[Snapshot]] | None = None
        self.reset()

    # ------------------------------------------------------------ building
    @property
    def compare(self) -> bool:
        return len(self.runs) == 2

    @property
    def steps(self) -> int:
        return self.runs[0].model.steps

    @property
    def horizon(self) -> int:
        """The scenario's horizon in weeks (the longer one in compare mode)."""
        return max(scenario_info(r.scenario).steps for r in self.runs)

    def reset(self, seed: int | None = None, size: dict[str, int] | None = None) -> None:
        """Rebuild every run from its scenario, the current lever positions and the seed.

        Raises:
            ParameterError: when ``size`` or the overrides are not valid; nothing changes then.
        """
        with self.lock:
            new_seed = self.seed if seed is None else int(seed)
            new_size = self.size if size is None else dict(size)
            built = [
                CultureModel(r.scenario, rng=new_seed, **new_size, **r.overrides) for r in self.runs
            ]  # build all first, so a bad value leaves the old runs in place
            self.seed, self.size = new_seed, new_size
            for run, model in zip(self.runs, built, strict=True):
                run.model, run.history = model, History(model)
            self.version += 1
            self.builds += 1

    def load(self, scenario: str, run: str = "A") -> None:
        """Load a preset into run ``run`` with its own lever values, and reset all runs."""
        load_scenario(scenario)  # raises ScenarioError for an unknown name
        with self.lock:
            r = self._run(run)
            r.scenario, r.overrides = scenario, {}
            self.reset()

    def set_compare(self, scenario_b: str | None) -> None:
        """Start compare mode with preset ``scenario_b`` as run B (None ends it); resets both."""
        with self.lock:
            if scenario_b is None:
                self.runs = self.runs[:1]
                self.target = "both"
                self.version += 1
                self.builds += 1
                return
            load_scenario(scenario_b)
            self.runs = [self.runs[0], Run("B", scenario_b)]
            self.reset()

    def _run(self, name: str) -> Run:
        for r in self.runs:
            if r.name == name:
                return r
        raise ParameterError(f"no run {name} (compare mode is {'on' if self.compare else 'off'})")

    def targets(self) -> list[Run]:
        """The runs that levers and events act on."""
        if self.target == "both" or not self.compare:
            return list(self.runs)
        return [self._run(self.target)]

    # ------------------------------------------------------------ steering
    def step(self, n: int = 1) -> None:
        """Advance every run ``n`` weeks, in lock-step."""
        with self.lock:
            for _ in range(n):
                for run in self.runs:
                    run.model.step()
            self.version += 1

    def lever(self, name: str) -> float:
        """The current value of lever ``name`` in the first target run."""
        return getattr(self.targets()[0].model.p, name)

    def set_lever(self, name: str, value: float) -> None:
        """Move a lever on the running target models (kept on reset).

        Raises:
            ParameterError: unknown name, value out of range, or a structural parameter.
        """
        if name not in SPECS:
            raise ParameterError(f"unknown parameter '{name}'")
        with self.lock:
            for run in self.targets():
                run.model.set_params(**{name: value})
                run.overrides[name] = getattr(run.model.p, name)
            self.version += 1

    def fire(self, kind: str, **options) -> None:
        """Fire event ``kind`` now on the target runs; options not given take their defaults.

        Raises:
            ParameterError: unknown event, or an option unknown or out of range; nothing fires then.
        """
        check_event(kind, options)
        with self.lock:
            for run in self.targets():
                run.model.fire(kind, **options)
            self.version += 1

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
            structure=structure(m),
            centricity=m.staff.centricity.copy(),
            present=m.staff.present.copy(),
            status=m.market.status.copy(),
            score=m.market.score.copy(),
        )

    def table(self) -> pd.DataFrame:
        """The per-week table of every run, tidy, for export; ``events`` lists the events fired
        each week (``;`` between them, see ``event_text``)."""
        parts = []
        for snap in self.snapshot():
            df = snap.frame.copy()
            df.insert(0, "week", np.arange(len(df)))
            df.insert(0, "seed", self.seed)
            df.insert(0, "scenario", snap.scenario)
            df.insert(0, "run", snap.name)
            marks: dict[int, list[str]] = {}
            for e in snap.events:
                marks.setdefault(int(e["step"]), []).append(event_text(e))
            df["events"] = [";".join(marks.get(w, [])) for w in range(len(df))]
            parts.append(df)
        return pd.concat(parts, ignore_index=True)

    def csv(self) -> str:
        """``table()`` as CSV text."""
        return self.table().to_csv(index=False)

    def models(self) -> dict[str, CultureModel]:
        """The live models by run name (for views that need structure, e.g. the org layout)."""
        return {r.name: r.model for r in self.runs}
