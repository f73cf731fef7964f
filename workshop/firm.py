"""A team's firm: built from the workshop's start, played round by round, replayed.

Every team's firm is built from the same scenario, parameters, org chart and
seed, so all start identical. Random numbers are kept aligned across teams
by re-seeding the model's generator (Mesa's ``reset_rng``) at fixed points
from the workshop seed: before each week ``w`` from ``(seed, w, 0)``, and before
a round's actions from ``(seed, w, 1)`` (so an action's own draws, such as who
is laid off, do not shift the week's). Common random numbers then give:

* two teams with the same decisions have the same firm, week for week;
* teams differ only from the week their decisions differ, and each week's
  draws start from the same point for every team, so chance does not add up
  differently over the rounds.

They do not give draw-by-draw pairing inside a week once firms differ: the
model takes its draws from one stream in an order and number that depend on
its state (how many buy, complain, quit), so after the first such difference
in a week the rest of that week's draws fall to different people. Outcomes
between teams therefore still differ partly by chance, less than with
independent seeds (see the benchmark's common-random-numbers figure).

A workshop path therefore differs from ``simulate(scenario, seed)``, which
draws from one stream throughout.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model import CultureModel, Scenario
from model.metrics import METRICS
from model.params import levers
from model.scenario import Event
from workshop import decisions as dec
from workshop.errors import IntegrityError
from workshop.scorecard import kpis

Row = dict[str, float | None]  # one week's metrics; None where a metric is undefined (NaN)


@dataclass(frozen=True)
class Start:
    """What every team's firm is built from."""

    scenario: Scenario
    seed: int
    params: dict = field(default_factory=dict)
    org_chart: Path | None = None
    round_weeks: int = 13

    def build(self) -> CultureModel:
        return CultureModel(self.scenario, rng=self.seed, org_chart=self.org_chart, **self.params)


@dataclass(frozen=True)
class Play:
    """What happens to one firm in one round: the team's decision and the facilitator's
    events it meets (their ``step`` is the week of the round: 0 fires before its first week)."""

    decision: dec.Decision = field(default_factory=dec.Decision)
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A round's result: each week's metrics, their digest, what the actions cost,
    the lever values at the round's end and the scorecard measures then."""

    weeks: list[Row]
    digest: str
    charged: float
    levers: dict[str, float]
    kpis: dict[str, float]


class Weeks(Sequence):
    """Weekly metrics of one firm as one float array (weeks x metrics): a sequence of
    rows like ``Row`` (None where NaN), columns as arrays with ``series``. Compact: a
    console keeps every team's weeks in memory."""

    def __init__(self, names: Sequence[str], values: np.ndarray) -> None:
        self.names = tuple(names)
        self.values = values
        self.values.flags.writeable = False
        self._index = {n: i for i, n in enumerate(self.names)}

    @classmethod
    def of(cls, rows: Sequence[Row]) -> Weeks:
        order = {name: i for i, name in enumerate(METRICS)}  # METRICS' order, whatever the rows'
        names = tuple(sorted({name for r in rows for name in r}, key=lambda n: (order.get(n, len(order)), n)))
        values = np.array(
            [[np.nan if r.get(n) is None else r[n] for n in names] for r in rows], dtype=float
        ).reshape(len(rows), len(names))
        return cls(names, values)

    def extended(self, more: Weeks) -> Weeks:
        """These weeks followed by ``more`` (the same metrics, whatever their order)."""
        if not len(more):
            return self
        if not len(self):
            return more
        if set(more.names) != set(self.names):
            raise ValueError("weeks with other metrics cannot extend these")
        columns = [more._index[n] for n in self.names]
        return Weeks(self.names, np.vstack([self.values, more.values[:, columns]]))

    def series(self, metric: str) -> np.ndarray:
        """The weekly values of ``metric`` (NaN where undefined), week 0 first."""
        return self.values[:, self._index[metric]]

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Weeks(self.names, self.values[i])
        return {
            n: (None if math.isnan(v) else v)
            for n, v in zip(self.names, self.values[i].tolist(), strict=True)
        }

    def __eq__(self, other) -> bool:
        if isinstance(other, Weeks):
            return self.names == other.names and np.array_equal(self.values, other.values, equal_nan=True)
        return NotImplemented

    __hash__ = None


def row(metrics: dict) -> Row:
    """A week's metrics (those ``model.metrics.METRICS`` names) as plain floats, None where
    not finite: the form stored and digested."""
    return {k: (float(metrics[k]) if math.isfinite(metrics[k]) else None) for k in METRICS}


def digest(weeks: Iterable[Row]) -> str:
    """SHA-256 of weekly metrics in a canonical JSON form (exact: floats keep their repr)."""
    text = json.dumps(list(weeks), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def align(model: CultureModel, seed: int, week: int, stream: int) -> None:
    """Re-seed ``model`` for ``week`` (stream 0: the week itself, 1: actions before it)."""
    model.reset_rng(np.random.SeedSequence(seed, spawn_key=(week, stream)))


def _outcome(model: CultureModel, weeks: list[Row], charged: float) -> Outcome:
    return Outcome(
        weeks=weeks,
        digest=digest(weeks),
        charged=charged,
        levers={name: float(getattr(model.p, name)) for name in levers()},
        kpis=kpis(model.datacollector.model_vars),
    )


def begin(start: Start) -> tuple[CultureModel, Outcome]:
    """A new firm and its round 0 (the starting week)."""
    model = start.build()
    return model, _outcome(model, [row(model.metrics)], 0.0)


def play_round(
    model: CultureModel, start: Start, play: Play, facts: dec.Facts, prices: dec.Prices
) -> Outcome:
    """Apply a round's decision and events, then simulate its weeks."""
    first = model.weeks_done
    align(model, start.seed, first, 1)
    charged = dec.apply(model, play.decision, facts, prices)
    for event in play.events:
        model.schedule_at(first + event.step, event.type, **event.options)
    weeks = []
    for week in range(first + 1, first + start.round_weeks + 1):
        align(model, start.seed, week, 0)
        model.step()
        weeks.append(row(model.metrics))
    return _outcome(model, weeks, charged)


def replay(
    start: Start,
    plays: Sequence[Play],
    facts: dec.Facts,
    prices: dec.Prices,
    expected: Sequence[str] | None = None,
    who: str = "the firm",
) -> tuple[CultureModel, list[Outcome]]:
    """Rebuild a firm from its start and rounds; ``expected`` digests (round 0 first)
    are checked as it goes.

    Raises:
        IntegrityError: at the first round whose replay differs from ``expected``.
    """
    model, first = begin(start)
    outcomes = [first]
    _check(first, expected, 0, who)
    for number, play in enumerate(plays, start=1):
        outcomes.append(play_round(model, start, play, facts, prices))
        _check(outcomes[-1], expected, number, who)
    return model, outcomes


def _check(outcome: Outcome, expected: Sequence[str] | None, number: int, who: str) -> None:
    if expected is not None and number < len(expected) and outcome.digest != expected[number]:
        raise IntegrityError(
            f"replaying {who} does not give its stored round {number}: the model's code or "
            "data changed since it was played; the stored results stand, but the workshop cannot go on"
        )
