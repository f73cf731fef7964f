"""What a workshop shows: its status, each team's record, the whole report, a counterfactual.

Plain frozen data read from the store (``workshop.records``); screens and exports read these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from workshop import access, firm
from workshop import decisions as dec
from workshop.errors import NotFound
from workshop.scorecard import Standing, leaderboard


@dataclass(frozen=True)
class TeamStatus:
    name: str
    joined: float
    submitted: bool  # for the round being decided
    drafted: bool


@dataclass(frozen=True)
class Status:
    """Where a workshop stands; ``version`` changes with every change to it."""

    code: str
    title: str
    rounds: int
    round_weeks: int
    rounds_done: int
    window_open: bool
    deadline: float | None
    seconds_left: float | None
    ranks_shown: bool
    version: int
    teams: tuple[TeamStatus, ...]

    @property
    def finished(self) -> bool:
        return self.rounds_done >= self.rounds

    @property
    def deciding(self) -> int | None:
        """The round being decided (the next to be played), None when finished."""
        return None if self.finished else self.rounds_done + 1

    @property
    def accepting(self) -> bool:
        """Whether submissions are accepted now."""
        return self.window_open and (self.seconds_left is None or self.seconds_left > 0)

    @property
    def shown_code(self) -> str:
        return access.show_code(self.code)


@dataclass(frozen=True)
class RoundRecord:
    """One round of one team: its decision and what came of it."""

    round: int
    decision: dec.Decision
    status: str  # 'submitted' or 'carried' (did not submit: nothing changed)
    levers: dict[str, float]  # at the end of the round
    charged: float
    kpis: dict[str, float]


@dataclass(frozen=True)
class TeamRecord:
    """A team's history: round 0 (the start) and every round played, and its weeks."""

    name: str
    rounds: tuple[RoundRecord, ...]
    weeks: firm.Weeks
    pending: dec.Decision | None = None  # draft or submission for the round being decided
    pending_status: str | None = None

    def series(self, metric: str) -> np.ndarray:
        """Weekly values of ``metric``, week 0 first (NaN where undefined)."""
        return self.weeks.series(metric)


@dataclass(frozen=True)
class EventRecord:
    id: int
    round: int
    week: int
    team: str | None  # None: every team
    kind: str
    options: dict


@dataclass(frozen=True)
class Summary:
    code: str
    title: str
    created: float
    scenario: str
    rounds: int
    rounds_done: int
    teams: int


@dataclass(frozen=True)
class Report:
    """Everything stored about a workshop: what exports, the debrief and consoles read."""

    status: Status
    created: float
    start: dict
    settings: dict
    weights: dict[str, float]
    provenance: dict
    teams: tuple[TeamRecord, ...]
    events: tuple[EventRecord, ...]

    def leaderboard(
        self, round: int | None = None, weights: Mapping[str, float] | None = None
    ) -> list[Standing]:
        """Standings at the end of ``round`` (default: the last played) among teams that played it."""
        r = self.status.rounds_done if round is None else round
        measures = {t.name: t.rounds[r].kpis for t in self.teams if len(t.rounds) > r}
        return leaderboard(measures, weights or self.weights) if measures else []

    def leaderboards(self) -> dict[int, list[Standing]]:
        """Standings after each round played, round 1 first."""
        return {r: self.leaderboard(r) for r in range(1, self.status.rounds_done + 1)}

    def team(self, name: str) -> TeamRecord:
        for t in self.teams:
            if t.name == name:
                return t
        raise NotFound(f"no team '{name}' in workshop {self.status.shown_code}")


@dataclass(frozen=True)
class Counterfactual:
    """A team's path beside the same path with one decision changed."""

    team: str
    round: int
    change: str
    actual: firm.Weeks
    alternative: firm.Weeks
