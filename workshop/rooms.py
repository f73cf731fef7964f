"""Workshops: teams play the same starting firm in rounds; a facilitator runs the room.

``Hub`` opens a data directory and hands out capabilities, which are the only
way in:

* ``Hub.facilitator(code, key)`` -> ``Console``: everything (the key is shown once,
  when the workshop is created, and stored only as a digest);
* ``Hub.join(code, team_name)`` -> ``Seat`` with a fresh team token; teammates and
  reloads come back with ``Hub.rejoin(code, token)``; a seat changes only its own
  team's decisions;
* ``Hub.observe(code)`` -> ``Observer``: the room's status, and the leaderboard
  once the facilitator reveals it.

Wrong codes, keys and tokens are counted and limited (``workshop.access.Limits``).

The round cycle: the facilitator opens a decision window (optionally with a
countdown); teams draft and submit (a submission is locked); the facilitator
advances, which closes the window and plays every team's round at once. A team
that did not submit changes nothing that round (its levers stay where they
were, no actions). The facilitator can undo the last round (submissions stay,
locked, until unlocked), fire events for every team or one, set the
scorecard's weights, reveal ranks.

Everything is committed to the store when it happens. The firms themselves are
not stored: they are rebuilt by replaying each team's decisions from the seed
(``workshop.firm.replay``), checked round by round against the stored digests.
A hub keeps the firms it has played in memory, so advancing a round plays only
that round; after a restart, an undo, or another process's advance they are
replayed once. Advancing simulates outside the write lock (teams' clicks are
answered meanwhile) and commits only if nothing changed in the meantime.
"""

from __future__ import annotations

import json
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model import load_scenario
from model.events import check_event
from model.org import OrgChartError
from model.params import ParameterError, coerce
from model.scenario import ScenarioError, parse_scenario
from model.simulate import versions
from workshop import access, debrief, firm
from workshop import decisions as dec
from workshop.errors import AccessDenied, Conflict, InvalidInput, NotFound, WorkshopError
from workshop.scorecard import DEFAULT_WEIGHTS, Standing, check_weights, leaderboard
from workshop.store import Store, default_data_dir

MAX_ROUNDS = 40
MAX_ROUND_WEEKS = 52
MAX_TEAMS = 60
MAX_NAME = 40
MAX_TITLE = 80
MAX_CLIENT = 200


# --------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class WorkshopConfig:
    """What a facilitator chooses when creating a workshop.

    Args:
        scenario: preset name or scenario TOML path (e.g. one written by calibration).
        rounds: rounds to play.
        round_weeks: weeks per round (13 = a quarter).
        seed: the seed every team's firm is built and played from.
        org_chart: optional CSV or GraphML org chart (stored in the workshop).
        title: shown on every screen (default: the scenario's title).
        params: parameter values overriding the scenario's (e.g. ``n_employees``).
        fixed: free levers the teams may not move in this workshop.
        weights: scorecard weights (default: equal).
        prices: action prices in weeks of wage (see ``workshop.decisions.Prices``).
    """

    scenario: str | Path = "baseline"
    rounds: int = 8
    round_weeks: int = 13
    seed: int = 1
    org_chart: str | Path | None = None
    title: str | None = None
    params: Mapping[str, float] = field(default_factory=dict)
    fixed: Sequence[str] = ()
    weights: Mapping[str, float] | None = None
    prices: Mapping[str, float] | None = None


@dataclass(frozen=True)
class Created:
    """A new workshop: the join code for teams and the facilitator key (shown once)."""

    code: str
    key: str
    title: str

    @property
    def shown_code(self) -> str:
        return access.show_code(self.code)


# --------------------------------------------------------------------------- views
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


@dataclass
class _Live:
    """A firm in memory and the digests of the rounds it has played (round 0 first)."""

    model: object
    digests: list[str]


# --------------------------------------------------------------------------- the hub
class Hub:
    """The workshops in one data directory.

    Args:
        data_dir: where the database lives (default: ``workshop.store.default_data_dir``).
        clock: seconds since the epoch (for deadlines and rate limits; tests pass their own).
        limits: how many wrong codes, keys and tokens are tolerated.
        live_workshops: how many workshops' firms to keep in memory at once.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        clock=time.time,
        limits: access.Limits | None = None,
        live_workshops: int = 4,
    ) -> None:
        self.store = Store(default_data_dir() if data_dir is None else data_dir)
        self.clock = clock
        self.limits = limits or access.Limits()
        self.live_workshops = live_workshops
        self._live: OrderedDict[int, dict[int, _Live]] = OrderedDict()
        self._starts: dict[int, tuple[firm.Start, dec.Facts, dec.Prices]] = {}
        self._guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}
        self._reports: dict[int, tuple[int, tuple, tuple]] = {}  # wid -> (version, teams, events)
        self._preparing: list[threading.Thread] = []
        self._pending: set[int] = set()
        self._prepared: dict[int, int] = {}  # wid -> version last prepared for
        self.replays = 0  # firms rebuilt by replay (the tests and the benchmark read it)

    @property
    def data_dir(self) -> Path:
        return self.store.dir

    def close(self) -> None:
        self.settle()
        self.store.close()

    def prepare(self, wid: int) -> None:
        """Rebuild, in a background thread, the live firms of workshop ``wid`` that memory
        lacks (after a restart, an undo, new teams), so the next advance plays at once.
        Consoles call it when opened and when the workshop changes; it is never required."""
        with self._guard:
            if wid in self._pending:
                return
            self._pending.add(wid)
            thread = threading.Thread(
                target=self._prepare, args=(wid,), name="cx-workshop-prepare", daemon=True
            )
            self._preparing = [t for t in self._preparing if t.is_alive()] + [thread]
            thread.start()

    def settle(self) -> None:
        """Wait until background preparation is done (for tests and benchmarks)."""
        with self._guard:
            threads = list(self._preparing)
        for thread in threads:
            thread.join()

    def _prepare(self, wid: int) -> None:
        with self._guard:
            self._pending.discard(wid)
        try:
            with self._lock(wid):
                with self.store.read() as db:
                    w = self._row(db, wid)
                    histories = self._histories(db, wid, w["rounds_done"])
                self._prepared[wid] = w["version"]
                if w["rounds_done"] < w["rounds"]:
                    self._firms(wid, histories)
        except WorkshopError:
            pass  # advancing will say what is wrong

    # ------------------------------------------------------------ creating, listing, deleting
    def create(self, config: WorkshopConfig) -> Created:
        """Create a workshop; its key is in the answer only.

        Raises:
            InvalidInput: a setting out of range, an unknown scenario, a bad org chart or parameter.
        """
        rounds = _whole(config.rounds, "rounds", 1, MAX_ROUNDS)
        weeks = _whole(config.round_weeks, "round weeks", 1, MAX_ROUND_WEEKS)
        seed = _whole(config.seed, "the seed", 0, 2**63 - 1)
        try:
            scenario = load_scenario(config.scenario)
            params = coerce(dict(config.params))
        except (ScenarioError, ParameterError) as exc:
            raise InvalidInput(str(exc)) from None
        chart_bytes, chart_info = _read_chart(config.org_chart)
        free = dec.free_levers()
        fixed = tuple(config.fixed)
        for name in fixed:
            if name not in free:
                raise InvalidInput(f"cannot fix '{name}': the free levers are {', '.join(free)}")
        weights = check_weights(config.weights or DEFAULT_WEIGHTS)
        prices = dec.Prices.from_dict(config.prices or {})
        title = _text(scenario.title if config.title is None else config.title, "the title", MAX_TITLE)
        start_json = {
            "scenario": _scenario_data(scenario),
            "seed": seed,
            "params": params,
            "org_chart": chart_info,
            "round_weeks": weeks,
        }
        start = self._start_from(start_json, chart_bytes)
        try:
            model, first = firm.begin(start)
        except (ParameterError, OrgChartError, ScenarioError) as exc:
            raise InvalidInput(str(exc)) from None
        settings = {
            "in_play": list(dec.free_levers(fixed)),
            "fixed": list(fixed),
            "prices": dec.prices_json(prices),
            "facts": _facts_json(dec.Facts.of(model)),
            "round0": _outcome_json(first),
        }
        provenance = {"versions": versions(), "package": _package_version()}
        key = access.new_secret()
        now = self.clock()
        with self.store.write() as db:
            while True:
                code = access.new_code()
                if db.execute("SELECT 1 FROM workshops WHERE code = ?", (code,)).fetchone() is None:
                    break
            cur = db.execute(
                "INSERT INTO workshops (code, title, created, start, org_chart, rounds, settings, weights,"
                " key_digest, provenance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    title,
                    now,
                    _dump(start_json),
                    chart_bytes,
                    rounds,
                    _dump(settings),
                    _dump(weights),
                    access.digest(key),
                    _dump(provenance),
                ),
            )
            _log(db, cur.lastrowid, now, "facilitator", "create", f"{scenario.name}, seed {seed}")
        return Created(code, key, title)

    def workshops(self) -> list[Summary]:
        """Every workshop in the data directory, newest first."""
        with self.store.read() as db:
            rows = db.execute(
                "SELECT w.*, (SELECT COUNT(*) FROM teams t WHERE t.workshop_id = w.id) AS n_teams"
                " FROM workshops w ORDER BY created DESC, id DESC"
            ).fetchall()
        return [
            Summary(
                r["code"],
                r["title"],
                r["created"],
                json.loads(r["start"])["scenario"]["name"],
                r["rounds"],
                r["rounds_done"],
                r["n_teams"],
            )
            for r in rows
        ]

    def report(self, code: str) -> Report:
        """Everything stored about workshop ``code`` (for the owner of the data directory).

        Raises:
            NotFound: no such workshop.
        """
        return self._report(self._id(code))

    def debrief(self, code: str) -> str:
        """The debrief HTML of workshop ``code`` (see ``workshop.debrief``)."""
        return self._debrief(self._id(code))

    def delete(self, code: str) -> None:
        """Delete workshop ``code`` and everything of it (for the owner of the data directory)."""
        wid = self._id(code)
        with self.store.write() as db:
            db.execute("DELETE FROM workshops WHERE id = ?", (wid,))
        self._forget(wid)

    # ------------------------------------------------------------ access
    def facilitator(self, code: str, key: str, client: str = "local") -> Console:
        """The console of workshop ``code``, for the holder of its facilitator key.

        Raises:
            NotFound: no such workshop; AccessDenied: wrong key; RateLimited: too many wrong tries.
        """
        client = _client(client)
        wid = self._checked(code, client)
        with self.store.write() as db:
            access.check_rate(db, "key", client, self.clock(), self.limits)
            row = db.execute("SELECT key_digest FROM workshops WHERE id = ?", (wid,)).fetchone()
            ok = row is not None and access.matches(key, row["key_digest"])
            if not ok:
                access.record_failure(db, "key", client, self.clock())
        if not ok:
            raise AccessDenied("wrong facilitator key for this workshop")
        self.prepare(wid)
        return Console(self, wid)

    def join(self, code: str, team: str, client: str = "local") -> Seat:
        """Join workshop ``code`` as a new team ``team``; the seat's ``token`` lets the
        team's other browsers and reloads back in (``rejoin``).

        A team joining after rounds were played gets them played for it with no
        change of decisions (and the events every team met).

        Raises:
            NotFound: wrong code; Conflict: name taken, workshop full or over;
            InvalidInput: an empty or overlong name; RateLimited: too many wrong codes.
        """
        client = _client(client)
        wid = self._checked(code, client)
        name = _text(team, "a team name", MAX_NAME)
        key = _name_key(name)
        token = access.new_secret()
        with self.store.write() as db:
            w = self._row(db, wid)
            if w["rounds_done"] >= w["rounds"]:
                raise Conflict("this workshop is over; open it as an observer to see the results")
            if db.execute(
                "SELECT 1 FROM teams WHERE workshop_id = ? AND name_key = ?", (wid, key)
            ).fetchone():
                raise Conflict(
                    f"the team name '{name}' is taken in this workshop; choose another, "
                    "or ask that team for its link to join it"
                )
            n = db.execute("SELECT COUNT(*) FROM teams WHERE workshop_id = ?", (wid,)).fetchone()[0]
            if n >= MAX_TEAMS:
                raise Conflict(f"this workshop is full ({MAX_TEAMS} teams)")
            now = self.clock()
            tid = db.execute(
                "INSERT INTO teams (workshop_id, name, name_key, joined) VALUES (?, ?, ?, ?)",
                (wid, name, key, now),
            ).lastrowid
            db.execute("INSERT INTO tokens (digest, team_id) VALUES (?, ?)", (access.digest(token), tid))
            self._catch_up(db, w, tid)
            _bump(db, wid)
            _log(db, wid, now, f"team {name}", "join", "")
        return Seat(self, wid, tid, name, token)

    def rejoin(self, code: str, token: str, client: str = "local") -> Seat:
        """Back into a team's seat with its token (a reload, a teammate's browser).

        Raises:
            NotFound: wrong code; AccessDenied: wrong token; RateLimited: too many wrong tries.
        """
        client = _client(client)
        wid = self._checked(code, client)
        with self.store.write() as db:
            access.check_rate(db, "token", client, self.clock(), self.limits)
            row = None
            if isinstance(token, str) and 0 < len(token) <= 200:
                row = db.execute(
                    "SELECT t.id, t.name FROM tokens k JOIN teams t ON t.id = k.team_id"
                    " WHERE k.digest = ? AND t.workshop_id = ?",
                    (access.digest(token), wid),
                ).fetchone()
            if row is None:
                access.record_failure(db, "token", client, self.clock())
        if row is None:
            raise AccessDenied(
                "this team link is not valid for this workshop (ask the facilitator for a new one)"
            )
        return Seat(self, wid, row["id"], row["name"])

    def observe(self, code: str, client: str = "local") -> Observer:
        """Watch workshop ``code``: its status, and the leaderboard once revealed.

        Raises:
            NotFound: wrong code; RateLimited: too many wrong codes.
        """
        return Observer(self, self._checked(code, _client(client)))

    # ------------------------------------------------------------ internals: lookups
    def _checked(self, code: object, client: str) -> int:
        """The id of the workshop with join code ``code``, counting a wrong one against ``client``."""
        canonical = access.normalise_code(code) if isinstance(code, str) else None
        with self.store.write() as db:
            access.check_rate(db, "code", client, self.clock(), self.limits)
            row = None
            if canonical is not None:
                row = db.execute("SELECT id FROM workshops WHERE code = ?", (canonical,)).fetchone()
            if row is None:
                access.record_failure(db, "code", client, self.clock())
        if row is None:
            raise NotFound(
                f"no workshop has the join code '{str(code)[:20]}' (check it on the facilitator's screen)"
            )
        return row["id"]

    def _id(self, code: str) -> int:
        canonical = access.normalise_code(code)
        with self.store.read() as db:
            row = db.execute("SELECT id FROM workshops WHERE code = ?", (canonical,)).fetchone()
        if canonical is None or row is None:
            raise NotFound(f"no workshop with the code '{str(code)[:20]}' in {self.data_dir}")
        return row["id"]

    def _row(self, db, wid: int):
        row = db.execute("SELECT * FROM workshops WHERE id = ?", (wid,)).fetchone()
        if row is None:
            raise NotFound("this workshop has been deleted")
        return row

    def _team(self, db, wid: int, name: str):
        if not isinstance(name, str):
            raise InvalidInput("a team is named by its name")
        row = db.execute(
            "SELECT * FROM teams WHERE workshop_id = ? AND name_key = ?", (wid, _name_key(name))
        ).fetchone()
        if row is None:
            raise NotFound(f"no team '{name}' in this workshop")
        return row

    def _lock(self, wid: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(wid, threading.Lock())

    # ------------------------------------------------------------ internals: firms
    def _start(self, wid: int, row=None) -> tuple[firm.Start, dec.Facts, dec.Prices]:
        if wid not in self._starts:
            if row is None:
                with self.store.read() as db:
                    row = self._row(db, wid)
            settings = json.loads(row["settings"])
            start = self._start_from(json.loads(row["start"]), row["org_chart"])
            self._starts[wid] = (start, _facts(settings["facts"]), dec.Prices(**settings["prices"]))
        return self._starts[wid]

    def _start_from(self, data: dict, chart: bytes | None) -> firm.Start:
        path = None
        if data["org_chart"] is not None:
            path = self.data_dir / "charts" / f"{data['org_chart']['sha256']}{data['org_chart']['suffix']}"
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
                tmp.write_bytes(chart)
                tmp.replace(path)
        scenario = parse_scenario(data["scenario"]["toml"], data["scenario"]["name"])
        return firm.Start(scenario, data["seed"], data["params"], path, data["round_weeks"])

    def _histories(self, db, wid: int, upto: int) -> dict[int, tuple[str, list[firm.Play], list[str]]]:
        """Every team's name, plays of rounds 1..upto and digests of rounds 0..upto, by team id."""
        teams = db.execute("SELECT id, name FROM teams WHERE workshop_id = ? ORDER BY id", (wid,)).fetchall()
        return {t["id"]: (t["name"], *self._history(db, wid, t["id"], upto)) for t in teams}

    def _history(self, db, wid: int, tid: int, upto: int) -> tuple[list[firm.Play], list[str]]:
        """A team's plays of rounds 1..upto and its stored digests of rounds 0..upto."""
        rows = db.execute(
            "SELECT round, levers, actions FROM decisions WHERE team_id = ? AND round BETWEEN 1 AND ?"
            " AND status IN ('submitted', 'carried') ORDER BY round",
            (tid, upto),
        ).fetchall()
        events = _events(db, wid, tid, upto)
        plays = [firm.Play(_decision(r), tuple(events.get(r["round"], ()))) for r in rows]
        digests = [
            r["digest"]
            for r in db.execute(
                "SELECT digest FROM results WHERE team_id = ? AND round <= ? ORDER BY round", (tid, upto)
            )
        ]
        if len(plays) != upto or len(digests) != upto + 1:
            raise WorkshopError(f"team {tid}'s stored history is incomplete ({len(plays)} of {upto} rounds)")
        return plays, digests

    def _firms(
        self, wid: int, histories: dict[int, tuple[str, list[firm.Play], list[str]]]
    ) -> dict[int, _Live]:
        """Live firms of the teams in ``histories`` at their last stored round, replayed
        and checked where the memory has none that matches."""
        start, facts, prices = self._start(wid)
        with self._guard:
            live = self._live.setdefault(wid, {})
            self._live.move_to_end(wid)
            while len(self._live) > self.live_workshops:
                self._live.popitem(last=False)
        for tid, (name, plays, digests) in histories.items():
            mine = live.get(tid)
            if mine is None or mine.digests != digests:
                live.pop(tid, None)
                model, outcomes = firm.replay(start, plays, facts, prices, digests, who=f"team {name}")
                live[tid] = _Live(model, [o.digest for o in outcomes])
                self.replays += 1
        for tid in set(live) - set(histories):
            del live[tid]
        return live

    def _forget(self, wid: int) -> None:
        with self._guard:
            self._live.pop(wid, None)
            self._starts.pop(wid, None)
            self._reports.pop(wid, None)
            self._prepared.pop(wid, None)

    def _catch_up(self, db, w, tid: int) -> None:
        """Store a new team's round 0 and, when rounds were played, play them for it unchanged."""
        settings = json.loads(w["settings"])
        outcomes = [_outcome_from_json(settings["round0"])]
        done = w["rounds_done"]
        now = self.clock()
        if done:
            start, facts, prices = self._start(w["id"], w)
            events = _events(db, w["id"], tid, done)
            plays = [firm.Play(dec.Decision(), tuple(events.get(r, ()))) for r in range(1, done + 1)]
            outcomes = firm.replay(start, plays, facts, prices)[1]
            for r in range(1, done + 1):
                _store_decision(db, tid, r, dec.Decision(), "carried", now)
        for r, outcome in enumerate(outcomes):
            _store_outcome(db, tid, r, outcome, first_week=0 if r == 0 else (r - 1) * w_weeks(w) + 1)

    def _debrief(self, wid: int) -> str:
        report = self._report(wid)
        replays = []
        for record in report.teams:
            change = debrief.suggested_change(record)
            if change is not None:
                round_no, levers, drop = change
                replays.append(counterfactual(self, wid, report, record, round_no, levers, drop))
        return debrief.render(report, replays)

    def _report(self, wid: int) -> Report:
        """Read from the store; the teams' records are read again only when the workshop changed."""
        with self.store.read() as db:
            w = self._row(db, wid)
            status = _status(db, w, self.clock())
            cached = self._reports.get(wid)
            if cached is not None and cached[0] == w["version"]:
                records, events = cached[1], cached[2]
            else:
                teams = db.execute(
                    "SELECT * FROM teams WHERE workshop_id = ? ORDER BY joined, id", (wid,)
                ).fetchall()
                records = tuple(_record(db, w, t) for t in teams)
                events = _event_records(db, wid)
                self._reports[wid] = (w["version"], records, events)
        return Report(
            status=status,
            created=w["created"],
            start=json.loads(w["start"]),
            settings=json.loads(w["settings"]),
            weights=json.loads(w["weights"]),
            provenance=json.loads(w["provenance"]),
            teams=records,
            events=events,
        )


def w_weeks(w) -> int:
    return json.loads(w["start"])["round_weeks"]


# --------------------------------------------------------------------------- capabilities
class _Room:
    """What every capability can read."""

    def __init__(self, hub: Hub, wid: int) -> None:
        self.hub, self.wid = hub, wid

    def status(self) -> Status:
        """Where the workshop stands."""
        with self.hub.store.read() as db:
            return _status(db, self.hub._row(db, self.wid), self.hub.clock())

    def _report(self) -> Report:
        return self.hub._report(self.wid)

    def _revealed(self) -> list[Standing] | None:
        report = self._report()
        return report.leaderboard() if report.status.ranks_shown else None


class Observer(_Room):
    """Anyone with the join code: the status, and the leaderboard once revealed."""

    def leaderboard(self) -> list[Standing] | None:
        """The current standings, or None until the facilitator reveals them."""
        return self._revealed()


class Seat(_Room):
    """One team's place in a workshop: it reads its own firm and decides for it only."""

    def __init__(self, hub: Hub, wid: int, tid: int, name: str, token: str | None = None) -> None:
        super().__init__(hub, wid)
        self.tid, self.name = tid, name
        self.token = token  # only right after joining: show it to the team once

    def record(self) -> TeamRecord:
        """This team's decisions, results and weeks."""
        with self.hub.store.read() as db:
            w = self.hub._row(db, self.wid)
            return _record(db, w, self._team_row(db))

    def leaderboard(self) -> list[Standing] | None:
        """The current standings once the facilitator reveals them, else None."""
        return self._revealed()

    def standing(self) -> Standing | None:
        """This team's line of the leaderboard once revealed, else None."""
        for line in self.leaderboard() or ():
            if line.team == self.name:
                return line
        return None

    def quote(self, actions: Sequence[Mapping] = ()) -> float:
        """What ``actions`` would cost this round (layoffs estimated).

        Raises:
            InvalidInput: a malformed action.
        """
        with self.hub.store.read() as db:
            w = self.hub._row(db, self.wid)
            levers_now = _levers_now(db, self._team_row(db)["id"], w["rounds_done"])
        _, facts, prices = self.hub._start(self.wid)
        return dec.quote(dec.check_actions(list(actions), levers_now), levers_now, facts, prices)

    def draft(self, levers: Mapping | None = None, actions: Sequence[Mapping] = ()) -> dec.Decision:
        """Keep the team's unfinished choices for the round being decided (not yet a decision).

        Raises:
            InvalidInput: a bad lever or action; Conflict: already submitted, or the workshop is over.
        """
        return self._decide(levers, actions, "draft", None)

    def submit(
        self, levers: Mapping | None = None, actions: Sequence[Mapping] = (), expect_round: int | None = None
    ) -> dec.Decision:
        """Submit the team's decision for the round being decided; it is then locked.

        Args:
            levers: lever values to set (only those the team changes need be given).
            actions: actions to take, each ``{"action": name, **options}``.
            expect_round: the round the team's screen shows; refused if it is no longer that one.

        Raises:
            InvalidInput: a bad lever or action (nothing is stored);
            Conflict: the window is not open or has closed, the round moved on, or
            the team has already submitted (two browsers at once: the second is refused).
        """
        return self._decide(levers, actions, "submitted", expect_round)

    def _team_row(self, db):
        row = db.execute(
            "SELECT * FROM teams WHERE id = ? AND workshop_id = ?", (self.tid, self.wid)
        ).fetchone()
        if row is None:
            raise NotFound(f"team '{self.name}' has been removed from this workshop by the facilitator")
        return row

    def _decide(self, levers, actions, status: str, expect_round: int | None) -> dec.Decision:
        hub = self.hub
        with hub.store.write() as db:
            w = hub._row(db, self.wid)
            self._team_row(db)
            now = hub.clock()
            r = w["rounds_done"] + 1
            if r > w["rounds"]:
                raise Conflict("the workshop is over: there is nothing left to decide")
            if expect_round is not None and expect_round != r:
                raise Conflict(
                    f"your screen shows round {expect_round}, but round {r} is being decided; reload it"
                )
            old = db.execute(
                "SELECT status FROM decisions WHERE team_id = ? AND round = ?", (self.tid, r)
            ).fetchone()
            if old is not None and old["status"] == "submitted":
                raise Conflict(
                    f"your team has already submitted round {r}; the facilitator can unlock it if it must change"
                )
            if status == "submitted":
                if not w["window_open"]:
                    raise Conflict(f"the decision window for round {r} is not open; wait for the facilitator")
                if w["deadline"] is not None and now > w["deadline"]:
                    raise Conflict(f"the decision window for round {r} has closed (time ran out)")
            settings = json.loads(w["settings"])
            levers_now = _levers_now(db, self.tid, r - 1)
            decision = dec.Decision(
                dec.check_levers(levers, tuple(settings["in_play"])), dec.check_actions(actions, levers_now)
            )
            _store_decision(db, self.tid, r, decision, status, now)
            _bump(db, self.wid)
            if status == "submitted":
                _log(db, self.wid, now, f"team {self.name}", "submit", f"round {r}: {dec.describe(decision)}")
        return decision


class Console(_Room):
    """The facilitator's controls (only ``Hub.facilitator`` hands one out)."""

    def status(self) -> Status:
        """Where the workshop stands; when it changed (teams joined, a round undone), the
        firms the next advance needs are prepared in the background."""
        status = super().status()
        if self.hub._prepared.get(self.wid) != status.version:
            self.hub.prepare(self.wid)
        return status

    def report(self) -> Report:
        """Everything about the workshop: teams, decisions, weeks, events, weights."""
        return self._report()

    def record(self, team: str) -> TeamRecord:
        """One team's full record (the drill-down)."""
        return self._report().team(team)

    def leaderboard(self, round: int | None = None) -> list[Standing]:
        """Standings at the end of ``round`` (default: the last played), whether revealed or not."""
        return self._report().leaderboard(round)

    # ------------------------------------------------------------ the round cycle
    def open_window(self, seconds: float | None = None) -> Status:
        """Open the decision window for the next round, with a countdown of ``seconds`` if given.

        Raises:
            Conflict: the workshop is over; InvalidInput: a countdown not above 0.
        """
        if seconds is not None:
            if (
                isinstance(seconds, bool)
                or not isinstance(seconds, int | float)
                or not 0 < seconds <= 24 * 3600
            ):
                raise InvalidInput(
                    f"the countdown must be a number of seconds in (0, 86400], got {seconds!r}"
                )
        with self.hub.store.write() as db:
            w = self._playing(db)
            now = self.hub.clock()
            deadline = None if seconds is None else now + float(seconds)
            db.execute(
                "UPDATE workshops SET window_open = 1, deadline = ? WHERE id = ?", (deadline, self.wid)
            )
            _bump(db, self.wid)
            _log(db, self.wid, now, "facilitator", "open", f"round {w['rounds_done'] + 1}")
        self.hub.prepare(self.wid)
        return self.status()

    def close_window(self) -> Status:
        """Close the decision window (advancing closes it too)."""
        with self.hub.store.write() as db:
            self.hub._row(db, self.wid)
            db.execute("UPDATE workshops SET window_open = 0, deadline = NULL WHERE id = ?", (self.wid,))
            _bump(db, self.wid)
            _log(db, self.wid, self.hub.clock(), "facilitator", "close", "")
        return self.status()

    def advance(self, expect_round: int | None = None) -> Status:
        """Close the window and play the round for every team at once.

        Args:
            expect_round: the round the facilitator's screen shows as next; refused
                if another window has played it meanwhile.

        Raises:
            Conflict: no teams, the workshop over, the round already played, or the
            workshop changed while the round was simulated (nothing stored: advance again);
            IntegrityError: a replay differs from the stored results.
        """
        hub = self.hub
        with hub._lock(self.wid):
            with hub.store.write() as db:
                w = self._playing(db)
                r = w["rounds_done"] + 1
                if expect_round is not None and expect_round != r:
                    raise Conflict(f"round {expect_round} has already been played; round {r} is next")
                histories = hub._histories(db, self.wid, r - 1)
                if not histories:
                    raise Conflict("no team has joined yet")
                db.execute("UPDATE workshops SET window_open = 0, deadline = NULL WHERE id = ?", (self.wid,))
                version = _bump(db, self.wid)
                plays, carried = {}, []
                for tid in histories:
                    row = db.execute(
                        "SELECT levers, actions, status FROM decisions WHERE team_id = ? AND round = ?",
                        (tid, r),
                    ).fetchone()
                    if row is not None and row["status"] == "submitted":
                        decision = _decision(row)
                    else:
                        decision = dec.Decision()
                        carried.append(tid)
                    plays[tid] = firm.Play(decision, tuple(_events(db, self.wid, tid, r).get(r, ())))
            try:
                start, facts, prices = hub._start(self.wid)
                live = hub._firms(self.wid, histories)
                outcomes = {
                    tid: firm.play_round(live[tid].model, start, plays[tid], facts, prices) for tid in plays
                }
                with hub.store.write() as db:
                    now_row = hub._row(db, self.wid)
                    if now_row["version"] != version or now_row["rounds_done"] != r - 1:
                        raise Conflict(
                            f"the workshop changed while round {r} was being played; nothing was stored, advance again"
                        )
                    now = hub.clock()
                    first_week = (r - 1) * start.round_weeks + 1
                    for tid, outcome in outcomes.items():
                        if tid in carried:
                            _store_decision(db, tid, r, dec.Decision(), "carried", now)
                        _store_outcome(db, tid, r, outcome, first_week)
                    db.execute("UPDATE workshops SET rounds_done = ? WHERE id = ?", (r, self.wid))
                    _bump(db, self.wid)
                    _log(
                        db,
                        self.wid,
                        now,
                        "facilitator",
                        "advance",
                        f"round {r}; {len(carried)} team(s) did not submit",
                    )
            except BaseException:
                hub._forget(self.wid)
                raise
            for tid, outcome in outcomes.items():
                live[tid].digests.append(outcome.digest)
        return self.status()

    def undo(self, expect_round: int | None = None) -> Status:
        """Take back the last round played: its results go; the teams' submissions for
        it stay, locked (``unlock`` a team to let it change); the window stays closed.

        Raises:
            Conflict: no round played yet, or ``expect_round`` is not the last played.
        """
        hub = self.hub
        with hub._lock(self.wid):
            with hub.store.write() as db:
                w = hub._row(db, self.wid)
                r = w["rounds_done"]
                if r == 0:
                    raise Conflict("no round has been played yet")
                if expect_round is not None and expect_round != r:
                    raise Conflict(f"round {expect_round} is not the last round played (round {r} is)")
                first_week = (r - 1) * w_weeks(w) + 1
                teams = "SELECT id FROM teams WHERE workshop_id = ?"
                db.execute(
                    f"DELETE FROM weeks WHERE week >= ? AND team_id IN ({teams})", (first_week, self.wid)
                )
                db.execute(f"DELETE FROM results WHERE round = ? AND team_id IN ({teams})", (r, self.wid))
                db.execute(
                    f"DELETE FROM decisions WHERE round = ? AND status = 'carried' AND team_id IN ({teams})",
                    (r, self.wid),
                )
                db.execute(
                    "UPDATE workshops SET rounds_done = ?, window_open = 0, deadline = NULL WHERE id = ?",
                    (r - 1, self.wid),
                )
                _bump(db, self.wid)
                _log(db, self.wid, hub.clock(), "facilitator", "undo", f"round {r}")
            hub._forget(self.wid)
        hub.prepare(self.wid)
        return self.status()

    def unlock(self, team: str) -> None:
        """Let ``team`` change its submission for the round being decided (it becomes a draft).

        Raises:
            NotFound: no such team; Conflict: it has not submitted.
        """
        with self.hub.store.write() as db:
            w = self._playing(db)
            t = self.hub._team(db, self.wid, team)
            r = w["rounds_done"] + 1
            cur = db.execute(
                "UPDATE decisions SET status = 'draft' WHERE team_id = ? AND round = ? AND status = 'submitted'",
                (t["id"], r),
            )
            if cur.rowcount == 0:
                raise Conflict(f"team '{t['name']}' has not submitted round {r}")
            _bump(db, self.wid)
            _log(db, self.wid, self.hub.clock(), "facilitator", "unlock", f"{t['name']}, round {r}")

    def remove_team(self, team: str) -> None:
        """Remove ``team`` and everything of it."""
        with self.hub.store.write() as db:
            t = self.hub._team(db, self.wid, team)
            db.execute("DELETE FROM teams WHERE id = ?", (t["id"],))
            _bump(db, self.wid)
            _log(db, self.wid, self.hub.clock(), "facilitator", "remove", t["name"])

    def team_link(self, team: str) -> str:
        """A new token for ``team`` (for a team that lost its link); older ones keep working."""
        token = access.new_secret()
        with self.hub.store.write() as db:
            t = self.hub._team(db, self.wid, team)
            db.execute("INSERT INTO tokens (digest, team_id) VALUES (?, ?)", (access.digest(token), t["id"]))
            _log(db, self.wid, self.hub.clock(), "facilitator", "link", t["name"])
        return token

    # ------------------------------------------------------------ events, scoring
    def fire(self, kind: str, team: str | None = None, week: int = 0, **options) -> int:
        """Fire event ``kind`` in the next round played, for every team or for ``team``,
        at ``week`` of that round (0: before its first week); returns the event's id.

        Raises:
            InvalidInput: unknown event, a bad option or week; NotFound: no such team;
            Conflict: the workshop is over.
        """
        try:
            check_event(kind, options)
        except ParameterError as exc:
            raise InvalidInput(str(exc)) from None
        with self.hub.store.write() as db:
            w = self._playing(db)
            week = _whole(week, "the week of the round", 0, w_weeks(w) - 1)
            tid = None if team is None else self.hub._team(db, self.wid, team)["id"]
            now = self.hub.clock()
            eid = db.execute(
                "INSERT INTO events (workshop_id, round, week, team_id, kind, options, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self.wid, w["rounds_done"] + 1, week, tid, kind, _dump(options), now),
            ).lastrowid
            _bump(db, self.wid)
            _log(db, self.wid, now, "facilitator", "fire", f"{kind} for {team or 'every team'}")
        return eid

    def cancel(self, event_id: int) -> None:
        """Cancel an event not yet played.

        Raises:
            NotFound: no such event here; Conflict: it has been played.
        """
        with self.hub.store.write() as db:
            w = self.hub._row(db, self.wid)
            row = db.execute(
                "SELECT round FROM events WHERE id = ? AND workshop_id = ?", (event_id, self.wid)
            ).fetchone()
            if row is None:
                raise NotFound(f"no event {event_id} in this workshop")
            if row["round"] <= w["rounds_done"]:
                raise Conflict(
                    f"event {event_id} has been played in round {row['round']}; undo that round first"
                )
            db.execute("DELETE FROM events WHERE id = ?", (event_id,))
            _bump(db, self.wid)

    def set_weights(self, weights: Mapping[str, float]) -> dict[str, float]:
        """Set the scorecard's weights (every round's leaderboard uses them).

        Raises:
            InvalidInput: unknown measure, negative weight, all zero.
        """
        checked = check_weights(weights)
        with self.hub.store.write() as db:
            self.hub._row(db, self.wid)
            db.execute("UPDATE workshops SET weights = ? WHERE id = ?", (_dump(checked), self.wid))
            _bump(db, self.wid)
            _log(db, self.wid, self.hub.clock(), "facilitator", "weights", _dump(checked))
        return checked

    def show_ranks(self, shown: bool = True) -> None:
        """Reveal the leaderboard to teams and observers (or hide it again)."""
        with self.hub.store.write() as db:
            self.hub._row(db, self.wid)
            db.execute("UPDATE workshops SET ranks_shown = ? WHERE id = ?", (int(bool(shown)), self.wid))
            _bump(db, self.wid)

    # ------------------------------------------------------------ looking back
    def counterfactual(
        self, team: str, round: int, levers: Mapping[str, float] | None = None, drop: Sequence[str] = ()
    ) -> Counterfactual:
        """``team``'s path replayed with one decision changed: ``levers`` held at the given
        values from ``round`` on (overriding what the team set later), and/or the actions
        named in ``drop`` not taken in ``round``. Everything else, events included, as played.

        Raises:
            NotFound: no such team; InvalidInput: a round not played, a bad lever, an action not taken.
        """
        report = self._report()
        record = report.team(team)
        return counterfactual(self.hub, self.wid, report, record, round, dict(levers or {}), tuple(drop))

    def debrief(self) -> str:
        """The debrief report as one self-contained HTML page (see ``workshop.debrief``)."""
        return self.hub._debrief(self.wid)

    def delete(self) -> None:
        """Delete the workshop and everything of it."""
        with self.hub.store.write() as db:
            db.execute("DELETE FROM workshops WHERE id = ?", (self.wid,))
        self.hub._forget(self.wid)

    def _playing(self, db):
        w = self.hub._row(db, self.wid)
        if w["rounds_done"] >= w["rounds"]:
            raise Conflict("the workshop is over: all its rounds have been played")
        return w


def counterfactual(
    hub: Hub, wid: int, report: Report, record: TeamRecord, round: int, levers: dict, drop: tuple
):
    """See ``Console.counterfactual``."""
    played = report.status.rounds_done
    if isinstance(round, bool) or not isinstance(round, int) or not 1 <= round <= played:
        raise InvalidInput(f"round must be a round played (1..{played}), got {round!r}")
    checked = dec.check_levers(levers, tuple(dec.policy_levers()))
    taken = {a["action"] for a in record.rounds[round].decision.actions}
    for name in drop:
        if name not in taken:
            raise InvalidInput(f"team '{record.name}' did not take '{name}' in round {round}")
    if not checked and not drop:
        raise InvalidInput("name a lever to hold or an action to drop")
    with hub.store.read() as db:
        tid = hub._team(db, wid, record.name)["id"]
        plays, _ = hub._history(db, wid, tid, played)
    changed = []
    for r, play in enumerate(plays, start=1):
        d = play.decision
        if r >= round and checked:
            d = dec.Decision({**d.levers, **checked}, d.actions)
        if r == round and drop:
            d = dec.Decision(d.levers, tuple(a for a in d.actions if a["action"] not in drop))
        changed.append(firm.Play(d, play.events))
    start, facts, prices = hub._start(wid)
    _, outcomes = firm.replay(start, changed, facts, prices)
    parts = [f"{k} had stayed at {v:g} from round {round} on" for k, v in checked.items()]
    parts += [f"{name} had not been taken in round {round}" for name in drop]
    weeks = firm.Weeks.of([w for o in outcomes for w in o.weeks])
    return Counterfactual(record.name, round, "; ".join(parts), record.weeks, weeks)


# --------------------------------------------------------------------------- row helpers
def _dump(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _bump(db, wid: int) -> int:
    db.execute("UPDATE workshops SET version = version + 1 WHERE id = ?", (wid,))
    return db.execute("SELECT version FROM workshops WHERE id = ?", (wid,)).fetchone()[0]


def _log(db, wid: int, at: float, actor: str, action: str, detail: str) -> None:
    db.execute(
        "INSERT INTO log (workshop_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
        (wid, at, actor, action, detail),
    )


def _decision(row) -> dec.Decision:
    return dec.Decision(json.loads(row["levers"]), tuple(json.loads(row["actions"])))


def _store_decision(db, tid: int, r: int, decision: dec.Decision, status: str, now: float) -> None:
    data = decision.as_json()
    db.execute(
        "INSERT OR REPLACE INTO decisions (team_id, round, levers, actions, status, updated) VALUES (?, ?, ?, ?, ?, ?)",
        (tid, r, _dump(data["levers"]), _dump(data["actions"]), status, now),
    )


def _store_outcome(db, tid: int, r: int, outcome: firm.Outcome, first_week: int) -> None:
    db.execute(
        "INSERT INTO results (team_id, round, digest, levers, charged, kpis) VALUES (?, ?, ?, ?, ?, ?)",
        (tid, r, outcome.digest, _dump(outcome.levers), outcome.charged, _dump(outcome.kpis)),
    )
    db.executemany(
        "INSERT INTO weeks (team_id, week, metrics) VALUES (?, ?, ?)",
        [(tid, first_week + i, _dump(w)) for i, w in enumerate(outcome.weeks)],
    )


def _outcome_json(outcome: firm.Outcome) -> dict:
    return {
        "weeks": outcome.weeks,
        "digest": outcome.digest,
        "charged": outcome.charged,
        "levers": outcome.levers,
        "kpis": outcome.kpis,
    }


def _outcome_from_json(data: dict) -> firm.Outcome:
    return firm.Outcome(data["weeks"], data["digest"], data["charged"], data["levers"], data["kpis"])


def _facts_json(facts: dec.Facts) -> dict:
    return {"wage": facts.wage, "positions": facts.positions, "staff_positions": facts.staff_positions}


def _facts(data: dict) -> dec.Facts:
    return dec.Facts(data["wage"], data["positions"], data["staff_positions"])


def _levers_now(db, tid: int, r: int) -> dict[str, float]:
    row = db.execute("SELECT levers FROM results WHERE team_id = ? AND round = ?", (tid, r)).fetchone()
    if row is None:
        raise WorkshopError(f"round {r} of this team has no stored result")
    return json.loads(row["levers"])


def _events(db, wid: int, tid: int, upto: int) -> dict[int, list[firm.Fired]]:
    """The events a team meets in rounds 1..upto, by round (in the order they were fired)."""
    out: dict[int, list[firm.Fired]] = {}
    for row in db.execute(
        "SELECT round, week, kind, options FROM events WHERE workshop_id = ? AND round <= ?"
        " AND (team_id IS NULL OR team_id = ?) ORDER BY id",
        (wid, upto, tid),
    ):
        out.setdefault(row["round"], []).append(
            firm.Fired(row["week"], row["kind"], json.loads(row["options"]))
        )
    return out


def _event_records(db, wid: int) -> tuple[EventRecord, ...]:
    rows = db.execute(
        "SELECT e.*, t.name AS team FROM events e LEFT JOIN teams t ON t.id = e.team_id"
        " WHERE e.workshop_id = ? ORDER BY e.id",
        (wid,),
    )
    return tuple(
        EventRecord(r["id"], r["round"], r["week"], r["team"], r["kind"], json.loads(r["options"]))
        for r in rows
    )


def _status(db, w, now: float) -> Status:
    r = w["rounds_done"] + 1
    teams = db.execute(
        "SELECT t.name, t.joined, d.status FROM teams t LEFT JOIN decisions d ON d.team_id = t.id AND d.round = ?"
        " WHERE t.workshop_id = ? ORDER BY t.joined, t.id",
        (r, w["id"]),
    ).fetchall()
    left = None if w["deadline"] is None else max(0.0, w["deadline"] - now)
    return Status(
        code=w["code"],
        title=w["title"],
        rounds=w["rounds"],
        round_weeks=w_weeks(w),
        rounds_done=w["rounds_done"],
        window_open=bool(w["window_open"]),
        deadline=w["deadline"],
        seconds_left=left,
        ranks_shown=bool(w["ranks_shown"]),
        version=w["version"],
        teams=tuple(
            TeamStatus(t["name"], t["joined"], t["status"] == "submitted", t["status"] == "draft")
            for t in teams
        ),
    )


def _record(db, w, team) -> TeamRecord:
    tid = team["id"]
    decisions = {
        r["round"]: r for r in db.execute("SELECT * FROM decisions WHERE team_id = ? ORDER BY round", (tid,))
    }
    rounds = []
    for r in db.execute("SELECT * FROM results WHERE team_id = ? ORDER BY round", (tid,)):
        d = decisions.get(r["round"])
        rounds.append(
            RoundRecord(
                round=r["round"],
                decision=_decision(d) if d is not None else dec.Decision(),
                status="start" if r["round"] == 0 else d["status"],
                levers=json.loads(r["levers"]),
                charged=r["charged"],
                kpis=json.loads(r["kpis"]),
            )
        )
    weeks = firm.Weeks.of(
        [
            json.loads(r["metrics"])
            for r in db.execute("SELECT metrics FROM weeks WHERE team_id = ? ORDER BY week", (tid,))
        ]
    )
    pending = decisions.get(w["rounds_done"] + 1)
    return TeamRecord(
        team["name"],
        tuple(rounds),
        weeks,
        _decision(pending) if pending is not None else None,
        pending["status"] if pending is not None else None,
    )


# --------------------------------------------------------------------------- input helpers
def _whole(value: object, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidInput(f"{what} must be a whole number from {lo} to {hi}, got {value!r}")
    return int(value)


def _text(value: object, what: str, longest: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text")
    text = " ".join(value.split())
    if not text:
        raise InvalidInput(f"{what} cannot be empty")
    if len(text) > longest:
        raise InvalidInput(f"{what} must be at most {longest} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise InvalidInput(f"{what} cannot contain control characters")
    return text


def _name_key(name: str) -> str:
    return unicodedata.normalize("NFKC", " ".join(name.split())).casefold()


def _client(client: object) -> str:
    return str(client)[:MAX_CLIENT] if client else "unknown"


def _scenario_data(scenario) -> dict:
    """A scenario in the shape of its TOML file, to store and parse back."""
    return {
        "name": scenario.name,
        "toml": {
            "scenario": {
                "title": scenario.title,
                "description": scenario.description,
                "steps": scenario.steps,
            },
            "parameters": dict(scenario.parameters),
            "events": [{"step": e.step, "type": e.type, **e.options} for e in scenario.events],
        },
    }


def _read_chart(path: str | Path | None) -> tuple[bytes | None, dict | None]:
    if path is None:
        return None, None
    import hashlib

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".graphml"):
        raise InvalidInput(f"org chart '{path}': use a .csv or .graphml file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read org chart '{path}': {exc.strerror}") from None
    return data, {"name": path.name, "sha256": hashlib.sha256(data).hexdigest(), "suffix": suffix}


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cx-culture-lab")
    except PackageNotFoundError:
        return "unknown"
