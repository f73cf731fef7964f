"""The capabilities a hub hands out: ``Console`` (the facilitator), ``Seat`` (one team),
``Observer`` (anyone with the join code). Each checks what its holder may do; see
``workshop.rooms`` for the rules of the round cycle."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from model.events import check_event
from model.params import ParameterError
from workshop import access, firm, inputs, records
from workshop import decisions as dec
from workshop.errors import Conflict, InvalidInput, NotFound
from workshop.scorecard import Standing, check_weights
from workshop.views import Counterfactual, Report, Status, TeamRecord

if TYPE_CHECKING:
    from workshop.rooms import Hub


class _Room:
    """What every capability can read."""

    def __init__(self, hub: Hub, wid: int) -> None:
        self.hub, self.wid = hub, wid

    def status(self) -> Status:
        """Where the workshop stands."""
        with self.hub.store.read() as db:
            return records.status(db, self.hub._row(db, self.wid), self.hub.clock())

    def version(self) -> int:
        """A number that changes with every change to the workshop (pages poll it)."""
        with self.hub.store.read() as db:
            return self.hub._row(db, self.wid)["version"]

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

    def version(self) -> int:
        """A number that changes when what this team sees changes (the round, the window,
        the ranks and weights, the events, the teams in the room, its own decisions), but
        not with other teams' drafts and submissions: with 30 teams a submission then
        re-renders one team's page, not thirty."""
        with self.hub.store.read() as db:
            row = db.execute(
                "SELECT w.rounds_done, w.window_open, w.deadline, w.ranks_shown,"
                " w.weights, (SELECT count(*) FROM events e WHERE e.workshop_id = w.id),"
                " (SELECT count(*) FROM teams o WHERE o.workshop_id = w.id),"
                " (SELECT count(*) FROM teams t WHERE t.id = ? AND t.workshop_id = w.id),"
                " (SELECT group_concat(d.round || d.status || d.updated || d.levers || d.actions)"
                "  FROM decisions d WHERE d.team_id = ? AND d.round > w.rounds_done)"
                " FROM workshops w WHERE w.id = ?",
                (self.tid, self.tid, self.wid),
            ).fetchone()
        if row is None:
            raise NotFound("this workshop has been deleted")
        return hash(tuple(row)) & 0x3FFFFFFFFFFFFFFF  # never negative: -1 means gone to a page

    def record(self) -> TeamRecord:
        """This team's decisions, results and weeks."""
        with self.hub.store.read() as db:
            w = self.hub._row(db, self.wid)
            return records.record(db, w, self._team_row(db), self.hub._weeks.setdefault(self.wid, {}))

    def leaderboard(self) -> list[Standing] | None:
        """The current standings once the facilitator reveals them, else None."""
        return self._revealed()

    def standing(self) -> Standing | None:
        """This team's line of the leaderboard once revealed, else None."""
        for line in self.leaderboard() or ():
            if line.team == self.name:
                return line
        return None

    def menu(self) -> dec.Menu:
        """What the team can decide this round: its levers with their values now, and the actions."""
        with self.hub.store.read() as db:
            w = self.hub._row(db, self.wid)
            levers_now = records.levers_now(db, self._team_row(db)["id"], w["rounds_done"])
            in_play = tuple(json.loads(w["settings"])["in_play"])
        return dec.menu(in_play, levers_now)

    def quote(self, actions: Sequence[Mapping] = ()) -> float:
        """What ``actions`` would cost this round (layoffs estimated).

        Raises:
            InvalidInput: a malformed action.
        """
        with self.hub.store.read() as db:
            w = self.hub._row(db, self.wid)
            levers_now = records.levers_now(db, self._team_row(db)["id"], w["rounds_done"])
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
            levers_now = records.levers_now(db, self.tid, r - 1)
            decision = dec.Decision(
                dec.check_levers(levers, tuple(settings["in_play"])), dec.check_actions(actions, levers_now)
            )
            records.store_decision(db, self.tid, r, decision, status, now)
            records.bump(db, self.wid)
            if status == "submitted":
                records.log(
                    db, self.wid, now, f"team {self.name}", "submit", f"round {r}: {dec.describe(decision)}"
                )
        return decision


class Console(_Room):
    """The facilitator's controls (only ``Hub.facilitator`` hands one out)."""

    def status(self) -> Status:
        """Where the workshop stands; when it changed (teams joined, a round undone), the
        firms the next advance needs are prepared in the background."""
        status = super().status()
        if self.hub._prepared.get(self.wid) != (status.rounds_done, len(status.teams)):
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
            records.bump(db, self.wid)
            records.log(db, self.wid, now, "facilitator", "open", f"round {w['rounds_done'] + 1}")
        self.hub.prepare(self.wid)
        return self.status()

    def close_window(self) -> Status:
        """Close the decision window (advancing closes it too)."""
        with self.hub.store.write() as db:
            self.hub._row(db, self.wid)
            db.execute("UPDATE workshops SET window_open = 0, deadline = NULL WHERE id = ?", (self.wid,))
            records.bump(db, self.wid)
            records.log(db, self.wid, self.hub.clock(), "facilitator", "close", "")
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
                version = records.bump(db, self.wid)
                plays, carried = {}, []
                for tid in histories:
                    row = db.execute(
                        "SELECT levers, actions, status FROM decisions WHERE team_id = ? AND round = ?",
                        (tid, r),
                    ).fetchone()
                    if row is not None and row["status"] == "submitted":
                        decision = records.decision(row)
                    else:
                        decision = dec.Decision()
                        carried.append(tid)
                    plays[tid] = firm.Play(decision, tuple(records.events(db, self.wid, tid, r).get(r, ())))
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
                            records.store_decision(db, tid, r, dec.Decision(), "carried", now)
                        records.store_outcome(db, tid, r, outcome, first_week)
                    db.execute("UPDATE workshops SET rounds_done = ? WHERE id = ?", (r, self.wid))
                    records.bump(db, self.wid)
                    records.log(
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
                first_week = (r - 1) * records.round_weeks(w) + 1
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
                records.bump(db, self.wid)
                records.log(db, self.wid, hub.clock(), "facilitator", "undo", f"round {r}")
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
            records.bump(db, self.wid)
            records.log(db, self.wid, self.hub.clock(), "facilitator", "unlock", f"{t['name']}, round {r}")

    def remove_team(self, team: str) -> None:
        """Remove ``team`` and everything of it."""
        with self.hub.store.write() as db:
            t = self.hub._team(db, self.wid, team)
            db.execute("DELETE FROM teams WHERE id = ?", (t["id"],))
            records.bump(db, self.wid)
            records.log(db, self.wid, self.hub.clock(), "facilitator", "remove", t["name"])

    def team_link(self, team: str) -> str:
        """A new token for ``team`` (for a team that lost its link); older ones keep working."""
        token = access.new_secret()
        with self.hub.store.write() as db:
            t = self.hub._team(db, self.wid, team)
            db.execute("INSERT INTO tokens (digest, team_id) VALUES (?, ?)", (access.digest(token), t["id"]))
            records.log(db, self.wid, self.hub.clock(), "facilitator", "link", t["name"])
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
            week = inputs.whole(week, "the week of the round", 0, records.round_weeks(w) - 1)
            tid = None if team is None else self.hub._team(db, self.wid, team)["id"]
            now = self.hub.clock()
            eid = db.execute(
                "INSERT INTO events (workshop_id, round, week, team_id, kind, options, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self.wid, w["rounds_done"] + 1, week, tid, kind, records.dump(options), now),
            ).lastrowid
            records.bump(db, self.wid)
            records.log(db, self.wid, now, "facilitator", "fire", f"{kind} for {team or 'every team'}")
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
            records.bump(db, self.wid)

    def set_weights(self, weights: Mapping[str, float]) -> dict[str, float]:
        """Set the scorecard's weights (every round's leaderboard uses them).

        Raises:
            InvalidInput: unknown measure, negative weight, all zero.
        """
        checked = check_weights(weights)
        with self.hub.store.write() as db:
            self.hub._row(db, self.wid)
            db.execute("UPDATE workshops SET weights = ? WHERE id = ?", (records.dump(checked), self.wid))
            records.bump(db, self.wid)
            records.log(db, self.wid, self.hub.clock(), "facilitator", "weights", records.dump(checked))
        return checked

    def show_ranks(self, shown: bool = True) -> None:
        """Reveal the leaderboard to teams and observers (or hide it again)."""
        with self.hub.store.write() as db:
            self.hub._row(db, self.wid)
            db.execute("UPDATE workshops SET ranks_shown = ? WHERE id = ?", (int(bool(shown)), self.wid))
            records.bump(db, self.wid)

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
) -> Counterfactual:
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
    parts = [
        f"{dec.lever_words(k).lower()} had stayed at {v:g} from round {round} on" for k, v in checked.items()
    ]
    parts += [f"the {dec.ACTIONS[name].label.lower()} had not been taken in round {round}" for name in drop]
    weeks = firm.Weeks.of([w for o in outcomes for w in o.weeks])
    return Counterfactual(record.name, round, "; ".join(parts), record.weeks, weeks)
