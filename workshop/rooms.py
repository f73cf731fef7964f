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
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from model import load_scenario
from model.limits import LIMITS, LimitError, check_world
from model.org import OrgChartError
from model.params import ParameterError, coerce, make_params
from model.scenario import ScenarioError, parse_scenario
from model.simulate import versions
from workshop import access, debrief, firm, inputs, records
from workshop import decisions as dec
from workshop.errors import AccessDenied, Conflict, InvalidInput, NotFound, WorkshopError
from workshop.roles import Console, Observer, Seat, counterfactual
from workshop.scorecard import DEFAULT_WEIGHTS, check_weights
from workshop.store import Store, default_data_dir
from workshop.views import Report, Summary

MAX_ROUNDS = 40
MAX_ROUND_WEEKS = 52
MAX_TEAMS = 60
MAX_NAME = 40
MAX_TITLE = 80


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
        self._weeks: dict[int, dict] = {}  # wid -> the teams' weeks (``records.record``'s cache)
        self._preparing: list[threading.Thread] = []
        self._pending: set[int] = set()
        self._prepared: dict[int, tuple[int, int]] = {}  # wid -> (rounds done, teams) last prepared for
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
                self._prepared[wid] = (w["rounds_done"], len(histories))
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
        rounds = inputs.whole(config.rounds, "rounds", 1, MAX_ROUNDS)
        weeks = inputs.whole(config.round_weeks, "round weeks", 1, MAX_ROUND_WEEKS)
        seed = inputs.whole(config.seed, "the seed", 0, 2**63 - 1)
        try:
            scenario = load_scenario(config.scenario)
            params = coerce(dict(config.params))
            world = make_params({**scenario.parameters, **params})
            check_world(world, LIMITS, chart=config.org_chart is not None, where=lambda name: f"--set {name}")
        except LimitError as exc:
            raise InvalidInput(f"{exc.refusal}; a workshop keeps within it") from None
        except (ScenarioError, ParameterError) as exc:
            raise InvalidInput(str(exc)) from None
        chart_bytes, chart_info = inputs.read_chart(config.org_chart)
        free = dec.free_levers()
        fixed = tuple(config.fixed)
        for name in fixed:
            if name not in free:
                raise InvalidInput(f"cannot fix '{name}': the free levers are {', '.join(free)}")
        weights = check_weights(config.weights or DEFAULT_WEIGHTS)
        prices = dec.Prices.from_dict(config.prices or {})
        title = inputs.text(scenario.title if config.title is None else config.title, "the title", MAX_TITLE)
        start_json = {
            "scenario": inputs.scenario_data(scenario),
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
            "facts": records.facts_json(dec.Facts.of(model)),
            "round0": records.outcome_json(first),
        }
        provenance = {"versions": versions(), "package": inputs.package_version()}
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
                    records.dump(start_json),
                    chart_bytes,
                    rounds,
                    records.dump(settings),
                    records.dump(weights),
                    access.digest(key),
                    records.dump(provenance),
                ),
            )
            records.log(db, cur.lastrowid, now, "facilitator", "create", f"{scenario.name}, seed {seed}")
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
        client = inputs.client(client)
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
        client = inputs.client(client)
        wid = self._checked(code, client)
        name = inputs.text(team, "a team name", MAX_NAME)
        key = inputs.name_key(name)
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
            records.bump(db, wid)
            records.log(db, wid, now, f"team {name}", "join", "")
        return Seat(self, wid, tid, name, token)

    def rejoin(self, code: str, token: str, client: str = "local") -> Seat:
        """Back into a team's seat with its token (a reload, a teammate's browser).

        Raises:
            NotFound: wrong code; AccessDenied: wrong token; RateLimited: too many wrong tries.
        """
        client = inputs.client(client)
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
        return Observer(self, self._checked(code, inputs.client(client)))

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
            "SELECT * FROM teams WHERE workshop_id = ? AND name_key = ?", (wid, inputs.name_key(name))
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
            self._starts[wid] = (start, records.facts(settings["facts"]), dec.Prices(**settings["prices"]))
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
        events = records.events(db, wid, tid, upto)
        plays = [firm.Play(records.decision(r), tuple(events.get(r["round"], ()))) for r in rows]
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
            self._weeks.pop(wid, None)
            self._prepared.pop(wid, None)

    def _catch_up(self, db, w, tid: int) -> None:
        """Store a new team's round 0 and, when rounds were played, play them for it unchanged."""
        settings = json.loads(w["settings"])
        outcomes = [records.outcome_from_json(settings["round0"])]
        done = w["rounds_done"]
        now = self.clock()
        if done:
            start, facts, prices = self._start(w["id"], w)
            events = records.events(db, w["id"], tid, done)
            plays = [firm.Play(dec.Decision(), tuple(events.get(r, ()))) for r in range(1, done + 1)]
            outcomes = firm.replay(start, plays, facts, prices)[1]
            for r in range(1, done + 1):
                records.store_decision(db, tid, r, dec.Decision(), "carried", now)
        for r, outcome in enumerate(outcomes):
            records.store_outcome(
                db, tid, r, outcome, first_week=0 if r == 0 else (r - 1) * records.round_weeks(w) + 1
            )

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
            status = records.status(db, w, self.clock())
            cached = self._reports.get(wid)
            if cached is not None and cached[0] == w["version"]:
                teams, events = cached[1], cached[2]
            else:
                rows = db.execute(
                    "SELECT * FROM teams WHERE workshop_id = ? ORDER BY joined, id", (wid,)
                ).fetchall()
                teams = tuple(records.record(db, w, t, self._weeks.setdefault(wid, {})) for t in rows)
                events = records.event_records(db, wid)
                self._reports[wid] = (w["version"], teams, events)
        return Report(
            status=status,
            created=w["created"],
            start=json.loads(w["start"]),
            settings=json.loads(w["settings"]),
            weights=json.loads(w["weights"]),
            provenance=json.loads(w["provenance"]),
            teams=teams,
            events=events,
        )
