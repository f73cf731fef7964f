"""A workshop's rows: how decisions, results, weeks and events are written to the
store and read back into the views (``workshop.views``)."""

from __future__ import annotations

import json

from model.scenario import Event
from workshop import decisions as dec
from workshop import firm
from workshop.errors import WorkshopError
from workshop.views import EventRecord, RoundRecord, Status, TeamRecord, TeamStatus


def round_weeks(w) -> int:
    """Weeks per round of workshop row ``w``."""
    return json.loads(w["start"])["round_weeks"]


def dump(data) -> str:
    """JSON in one canonical form (sorted keys, no NaN): what is stored."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def bump(db, wid: int) -> int:
    """Count a change to workshop ``wid``; returns its new version."""
    db.execute("UPDATE workshops SET version = version + 1 WHERE id = ?", (wid,))
    return db.execute("SELECT version FROM workshops WHERE id = ?", (wid,)).fetchone()[0]


def log(db, wid: int, at: float, actor: str, action: str, detail: str) -> None:
    """Add a line to the workshop's activity log."""
    db.execute(
        "INSERT INTO log (workshop_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
        (wid, at, actor, action, detail),
    )


def decision(row) -> dec.Decision:
    """The decision stored in a ``decisions`` row."""
    return dec.Decision(json.loads(row["levers"]), tuple(json.loads(row["actions"])))


def store_decision(db, tid: int, r: int, decision: dec.Decision, status: str, now: float) -> None:
    """Store (or replace) team ``tid``'s decision for round ``r``."""
    data = decision.as_json()
    db.execute(
        "INSERT OR REPLACE INTO decisions (team_id, round, levers, actions, status, updated) VALUES (?, ?, ?, ?, ?, ?)",
        (tid, r, dump(data["levers"]), dump(data["actions"]), status, now),
    )


def store_outcome(db, tid: int, r: int, outcome: firm.Outcome, first_week: int) -> None:
    """Store round ``r``'s result and its weeks, numbered from ``first_week``."""
    db.execute(
        "INSERT INTO results (team_id, round, digest, levers, charged, kpis) VALUES (?, ?, ?, ?, ?, ?)",
        (tid, r, outcome.digest, dump(outcome.levers), outcome.charged, dump(outcome.kpis)),
    )
    db.executemany(
        "INSERT INTO weeks (team_id, week, metrics) VALUES (?, ?, ?)",
        [(tid, first_week + i, dump(w)) for i, w in enumerate(outcome.weeks)],
    )


def outcome_json(outcome: firm.Outcome) -> dict:
    """An outcome as JSON data (the starting round kept in a workshop's settings)."""
    return {
        "weeks": outcome.weeks,
        "digest": outcome.digest,
        "charged": outcome.charged,
        "levers": outcome.levers,
        "kpis": outcome.kpis,
    }


def outcome_from_json(data: dict) -> firm.Outcome:
    """The outcome ``outcome_json`` wrote."""
    return firm.Outcome(data["weeks"], data["digest"], data["charged"], data["levers"], data["kpis"])


def facts_json(facts: dec.Facts) -> dict:
    """A firm's price facts as JSON data."""
    return {"wage": facts.wage, "positions": facts.positions, "staff_positions": facts.staff_positions}


def facts(data: dict) -> dec.Facts:
    """The facts ``facts_json`` wrote."""
    return dec.Facts(data["wage"], data["positions"], data["staff_positions"])


def levers_now(db, tid: int, r: int) -> dict[str, float]:
    """Team ``tid``'s lever values at the end of round ``r``."""
    row = db.execute("SELECT levers FROM results WHERE team_id = ? AND round = ?", (tid, r)).fetchone()
    if row is None:
        raise WorkshopError(f"round {r} of this team has no stored result")
    return json.loads(row["levers"])


def events(db, wid: int, tid: int, upto: int) -> dict[int, list[Event]]:
    """The events a team meets in rounds 1..upto, by round (in the order they were fired)."""
    out: dict[int, list[Event]] = {}
    for row in db.execute(
        "SELECT round, week, kind, options FROM events WHERE workshop_id = ? AND round <= ?"
        " AND (team_id IS NULL OR team_id = ?) ORDER BY id",
        (wid, upto, tid),
    ):
        out.setdefault(row["round"], []).append(Event(row["week"], row["kind"], json.loads(row["options"])))
    return out


def event_records(db, wid: int) -> tuple[EventRecord, ...]:
    """Every event of the workshop, played or pending, in the order fired."""
    rows = db.execute(
        "SELECT e.*, t.name AS team FROM events e LEFT JOIN teams t ON t.id = e.team_id"
        " WHERE e.workshop_id = ? ORDER BY e.id",
        (wid,),
    )
    return tuple(
        EventRecord(r["id"], r["round"], r["week"], r["team"], r["kind"], json.loads(r["options"]))
        for r in rows
    )


def status(db, w, now: float) -> Status:
    """Workshop row ``w``'s status at time ``now``."""
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
        round_weeks=round_weeks(w),
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


def _weeks(db, tid: int, first: int) -> firm.Weeks:
    """Team ``tid``'s stored weeks from week ``first`` on."""
    rows = db.execute("SELECT metrics FROM weeks WHERE team_id = ? AND week >= ? ORDER BY week", (tid, first))
    return firm.Weeks.of([json.loads(r["metrics"]) for r in rows])


def record(db, w, team, cache: dict | None = None) -> TeamRecord:
    """A team's record: its rounds, weeks and pending decision. ``cache`` (team id ->
    (digests, weeks)) keeps each team's weeks between reads: when rounds were added
    since (the digests read before, one per round of that round's weeks, still lead),
    only the new rounds' weeks are read; after an undo, all of them."""
    tid = team["id"]
    decisions = {
        r["round"]: r for r in db.execute("SELECT * FROM decisions WHERE team_id = ? ORDER BY round", (tid,))
    }
    results = db.execute("SELECT * FROM results WHERE team_id = ? ORDER BY round", (tid,)).fetchall()
    rounds = []
    for r in results:
        d = decisions.get(r["round"])
        rounds.append(
            RoundRecord(
                round=r["round"],
                decision=decision(d) if d is not None else dec.Decision(),
                status="start" if r["round"] == 0 else d["status"],
                levers=json.loads(r["levers"]),
                charged=r["charged"],
                kpis=json.loads(r["kpis"]),
            )
        )
    key = tuple(r["digest"] for r in results)
    kept = cache.get(tid) if cache is not None else None
    if kept is not None and kept[0] == key:
        weeks = kept[1]
    else:
        # rounds played since the last read: read only their weeks (week numbers run 0, 1, ...)
        grown = kept is not None and key[: len(kept[0])] == kept[0]
        weeks = _weeks(db, tid, len(kept[1]) if grown else 0)
        if grown:
            try:
                weeks = kept[1].extended(weeks)
            except ValueError:  # other metrics than before: read them all
                weeks = _weeks(db, tid, 0)
        if cache is not None:
            cache[tid] = (key, weeks)
    pending = decisions.get(w["rounds_done"] + 1)
    return TeamRecord(
        team["name"],
        tuple(rounds),
        weeks,
        decision(pending) if pending is not None else None,
        pending["status"] if pending is not None else None,
    )
