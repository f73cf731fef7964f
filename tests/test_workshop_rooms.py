"""The workshop domain on a real SQLite file: roles, the round cycle, replay, undo, bad input."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from workshop_helpers import PLAN, SMALL, Clock, new_room, play, small_config

from workshop import AccessDenied, Conflict, Hub, IntegrityError, InvalidInput, NotFound, RateLimited, firm
from workshop import decisions as dec
from workshop.access import ALPHABET, Limits, normalise_code, show_code
from workshop.store import DB_NAME, SCHEMA_VERSION, Store


def rows(hub: Hub, table: str) -> int:
    with hub.store.read() as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def snapshot(hub: Hub) -> dict:
    """Every stored row that matters, to compare before and after a refused request."""
    with hub.store.read() as db:
        return {
            t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY 1, 2")]
            for t in ("teams", "decisions", "events", "results", "weeks")
        } | {"workshop": [tuple(r)[:-1] for r in db.execute("SELECT * FROM workshops")]}


# --------------------------------------------------------------------------- roles and codes
def test_codes_are_short_and_unambiguous_and_typed_forgivingly(tmp_path):
    hub = Hub(tmp_path, clock=Clock())
    created = hub.create(small_config())
    assert len(created.code) == 6 and set(created.code) <= set(ALPHABET)
    assert not set("01OIL") & set(ALPHABET)
    typed = show_code(created.code).lower().replace("-", " - ")
    assert normalise_code(typed) == created.code
    assert hub.observe(typed).status().code == created.code


def test_the_key_alone_opens_the_console_and_is_stored_only_as_a_digest(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    with pytest.raises(AccessDenied, match="wrong facilitator key"):
        hub.facilitator(created.code, "not-the-key")
    for wrong in (seats["Red"].token, created.code, "", None):
        with pytest.raises(AccessDenied):
            hub.facilitator(created.code, wrong)
    raw = (tmp_path / DB_NAME).read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob(f"{DB_NAME}-*"))
    assert created.key.encode() not in raw and seats["Red"].token.encode() not in raw


def test_a_team_token_reaches_only_its_own_seat(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    again = hub.rejoin(created.code, seats["Blue"].token)
    assert again.name == "Blue" and again.token is None
    console.open_window()
    again.submit({"empowerment": 0.7})
    record = {t.name: t for t in console.report().teams}
    assert record["Blue"].pending == dec.Decision({"empowerment": 0.7})
    assert record["Red"].pending is None and record["Green"].pending is None
    assert not hasattr(again, "advance") and not hasattr(again, "fire")
    with pytest.raises(AccessDenied, match="team link is not valid"):
        hub.rejoin(created.code, created.key)


def test_observers_see_the_leaderboard_only_once_revealed(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    play(console, seats, [1])
    watcher = hub.observe(created.code)
    assert watcher.leaderboard() is None and seats["Red"].standing() is None
    console.show_ranks()
    board = watcher.leaderboard()
    assert [s.team for s in board] == [s.team for s in console.leaderboard()]
    assert seats["Red"].standing().team == "Red"
    assert not hasattr(watcher, "submit") and not hasattr(watcher, "advance")


def test_guessing_codes_keys_and_links_is_rate_limited_per_client_and_overall(tmp_path):
    clock = Clock()
    hub = Hub(tmp_path, clock=clock, limits=Limits(per_client=3, overall=5, window=60))
    created = hub.create(small_config())
    for guess in ("AAAAAA", "BBBBBB", "bad"):
        with pytest.raises(NotFound, match="no workshop has the join code"):
            hub.join(guess, "X", client="10.0.0.1")
    with pytest.raises(RateLimited, match="too many wrong join codes") as caught:
        hub.join(created.code, "X", client="10.0.0.1")  # even the right code must wait
    assert 0 < caught.value.retry_after <= 60
    assert rows(hub, "teams") == 0
    hub.join(created.code, "From elsewhere", client="10.0.0.2")  # another client is not held up
    for n in range(2):
        with pytest.raises(NotFound):
            hub.observe("CCCCCC", client=f"10.0.1.{n}")
    with pytest.raises(RateLimited):  # five wrong codes overall, from three clients
        hub.observe(created.code, client="10.0.2.1")
    clock.advance(61)
    hub.observe(created.code, client="10.0.0.1")
    for _ in range(3):
        with pytest.raises(AccessDenied):
            hub.facilitator(created.code, "guess", client="10.0.0.9")
    with pytest.raises(RateLimited, match="facilitator keys"):
        hub.facilitator(created.code, created.key, client="10.0.0.9")


# --------------------------------------------------------------------------- bad input stores nothing
@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("red", "is taken"),
        ("  RED  ", "is taken"),
        ("", "cannot be empty"),
        ("x" * 41, "at most 40"),
        ("a\x00b", "control characters"),
        (5, "must be text"),
    ],
)
def test_a_bad_or_taken_team_name_is_refused_and_nothing_stored(tmp_path, name, fragment):
    hub, created, console, seats = new_room(tmp_path, teams=("Red",))
    before = snapshot(hub)
    with pytest.raises((Conflict, InvalidInput), match=fragment):
        hub.join(created.code, name)
    assert snapshot(hub) == before


@pytest.mark.parametrize(
    ("levers", "actions", "fragment"),
    [
        ({"empowerment": 1.5}, [], "out of range"),
        ({"empowerment": -0.1}, [], "out of range"),
        ({"empowerment": "lots"}, [], "must be a number"),
        ({"empowerment": float("nan")}, [], "finite"),
        ({"empowerment": True}, [], "must be a number"),
        ({"empowermnt": 0.5}, [], "unknown lever"),
        ({"self_service": 0.5}, [], "raised by the action 'service_investment'"),
        ({"market_size": 10}, [], "not a lever teams set"),
        ({"social_amplification": 2}, [], "not a lever teams set"),
        ([0.5], [], "must be a mapping"),
        ({}, [{"action": "bribe"}], "unknown action"),
        ({}, [{"action": "layoffs", "share": 0.1}, {"action": "layoffs", "share": 0.2}], "chosen twice"),
        ({}, [{"action": "layoffs", "share": 0.9}], r"must be in \[0.05, 0.5\]"),
        ({}, [{"action": "layoffs"}], "share must be a number"),
        ({}, [{"action": "culture_programme", "departments": ["moon"]}], "departments must be"),
        ({}, [{"action": "culture_programme", "boost": 1}], "unknown option"),
        ({}, [{"action": "service_investment", "level": 0.1}], "not above the current self_service"),
        ({}, ["culture_programme"], "mapping with an 'action'"),
        ({}, "culture_programme", "must be a list"),
    ],
)
def test_a_bad_decision_is_refused_and_nothing_stored(tmp_path, levers, actions, fragment):
    hub, created, console, seats = new_room(tmp_path, teams=("Red",))
    console.open_window()
    before = snapshot(hub)
    with pytest.raises(InvalidInput, match=fragment):
        seats["Red"].submit(levers, actions)
    with pytest.raises(InvalidInput, match=fragment):
        seats["Red"].draft(levers, actions)
    assert snapshot(hub) == before


def test_a_fixed_lever_is_not_the_teams_to_move(tmp_path):
    hub, created, console, seats = new_room(tmp_path, teams=("Red",), fixed=("bad_practice",))
    console.open_window()
    with pytest.raises(InvalidInput, match="not a lever teams set"):
        seats["Red"].submit({"bad_practice": 0.3})
    with pytest.raises(InvalidInput, match="cannot fix 'self_service'"):
        hub.create(small_config(fixed=("self_service",)))


def test_submissions_only_while_the_window_is_open_and_before_the_countdown_ends(tmp_path):
    clock = Clock()
    hub, created, console, seats = new_room(tmp_path, clock=clock)
    with pytest.raises(Conflict, match="not open"):
        seats["Red"].submit({"empowerment": 0.8})
    seats["Red"].draft({"empowerment": 0.8})  # a draft is kept whenever
    console.open_window(seconds=120)
    assert console.status().seconds_left == 120 and console.status().accepting
    clock.advance(60)
    seats["Blue"].submit({"empowerment": 0.6})
    clock.advance(61)
    assert console.status().seconds_left == 0 and not console.status().accepting
    before = snapshot(hub)
    with pytest.raises(Conflict, match="has closed"):
        seats["Red"].submit({"empowerment": 0.8})
    assert snapshot(hub) == before
    console.close_window()
    with pytest.raises(Conflict, match="not open"):
        seats["Green"].submit({})
    status = console.status()
    assert [(t.name, t.submitted, t.drafted) for t in status.teams] == [
        ("Red", False, True),
        ("Blue", True, False),
        ("Green", False, False),
    ]


def test_a_submission_is_locked_until_the_facilitator_unlocks_it(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    console.open_window()
    seats["Red"].submit({"empowerment": 0.8})
    with pytest.raises(Conflict, match="already submitted round 1"):
        seats["Red"].submit({"empowerment": 0.2})
    with pytest.raises(Conflict, match="already submitted"):
        seats["Red"].draft({"empowerment": 0.2})
    with pytest.raises(Conflict, match="shows round 2, but round 1 is being decided"):
        seats["Blue"].submit({}, expect_round=2)
    console.unlock("Red")
    seats["Red"].submit({"empowerment": 0.2})
    assert console.record("Red").pending == dec.Decision({"empowerment": 0.2})
    with pytest.raises(Conflict, match="has not submitted"):
        console.unlock("Green")


def test_facilitator_requests_with_bad_values_are_refused(tmp_path):
    hub, created, console, seats = new_room(tmp_path, teams=("Red",))
    before = snapshot(hub)
    for call, fragment in [
        (lambda: console.fire("meteor"), "unknown event"),
        (lambda: console.fire("layoffs", share=2.0), "must be a number in"),
        (lambda: console.fire("layoffs", week=4), "week of the round must be"),
        (lambda: console.fire("layoffs", team="Nobody"), "no team 'Nobody'"),
        (lambda: console.open_window(seconds=0), "countdown"),
        (lambda: console.set_weights({"profit": 1}), "unknown measure"),
        (lambda: console.set_weights({"nps": -1}), ">= 0"),
        (lambda: console.set_weights({"nps": 0}), "at least one weight"),
        (lambda: console.undo(), "no round has been played"),
        (
            lambda: console.counterfactual("Red", 1, levers={"empowerment": 0.1}),
            "round must be a round played",
        ),
    ]:
        with pytest.raises((InvalidInput, NotFound, Conflict), match=fragment):
            call()
    assert snapshot(hub) == before


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"rounds": 0}, "rounds must be"),
        ({"round_weeks": 53}, "round weeks must be"),
        ({"seed": -1}, "seed must be"),
        ({"scenario": "nope"}, "unknown scenario"),
        ({"params": {"n_employees": "many"}}, "must be a number"),
        ({"params": {"wage": -5}}, "out of range"),
        ({"org_chart": "missing.csv"}, "does not exist"),
        ({"weights": {"nps": -1}}, ">= 0"),
        ({"prices": {"severance_weeks": -1}}, "weeks >= 0"),
        ({"title": " "}, "cannot be empty"),
    ],
)
def test_a_workshop_with_bad_settings_is_not_created(tmp_path, overrides, fragment):
    hub = Hub(tmp_path)
    with pytest.raises(InvalidInput, match=fragment):
        hub.create(small_config(**overrides))
    assert hub.workshops() == []


def test_an_org_chart_is_kept_inside_the_workshop(tmp_path):
    chart = tmp_path / "ours.csv"
    chart.write_text(
        "id,manager_id,department\n1,,executive\n2,1,service\n3,1,sales\n4,2,service\n5,2,service\n6,3,sales\n",
        encoding="utf-8",
    )
    hub, created, console, seats = new_room(tmp_path / "data", teams=("Red",), org_chart=chart)
    chart.unlink()  # the workshop does not depend on the file any more
    play(console, seats, [1])
    assert console.report().teams[0].weeks[-1]["headcount"] == 6
    bad = tmp_path / "bad.csv"
    bad.write_text("id,manager_id,department\n1,2,executive\n2,1,service\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        hub.create(small_config(org_chart=bad))


# --------------------------------------------------------------------------- the round cycle
def test_a_round_plays_every_team_and_a_team_that_did_not_submit_changes_nothing(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    play(console, seats, [1, 2])
    report = console.report()
    assert report.status.rounds_done == 2 and not report.status.window_open
    teams = {t.name: t for t in report.teams}
    weeks = 4
    for t in teams.values():
        assert len(t.weeks) == 1 + 2 * weeks and [r.round for r in t.rounds] == [0, 1, 2]
    green = teams["Green"].rounds
    assert green[2].status == "carried" and green[2].decision == dec.Decision()
    assert green[2].levers == green[1].levers  # nothing moved
    assert green[1].levers["self_service"] == 0.4  # bought in round 1
    red = teams["Red"].rounds
    assert red[1].levers["empowerment"] == 0.9 and red[2].levers["leadership_commitment"] == 0.9
    assert red[1].charged > 0 and red[2].charged == 0


def test_identical_decisions_give_identical_firms_and_paths_part_only_where_decisions_do(tmp_path):
    hub, created, console, seats = new_room(tmp_path, teams=("A", "B", "C"))
    plan = {
        1: {
            "A": ({"empowerment": 0.8}, []),
            "B": ({"empowerment": 0.8}, []),
            "C": ({"empowerment": 0.8}, []),
        },
        2: {
            "A": ({"metric_focus": 0.9}, []),
            "B": ({"metric_focus": 0.9}, []),
            "C": ({"metric_focus": 0.1}, []),
        },
    }
    play(console, seats, [1, 2], plan)
    t = {r.name: r for r in console.report().teams}
    assert t["A"].weeks == t["B"].weeks
    assert t["C"].weeks[:5] == t["A"].weeks[:5]  # start and round 1 alike
    assert t["C"].weeks[5:] != t["A"].weeks[5:]


def test_the_stored_history_replays_exactly_and_a_tampered_one_is_caught(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    console.fire("service_breakdown", weeks=2, capacity=0.5)
    console.fire("new_ceo", team="Blue", week=2, commitment=0.2)
    play(console, seats, [1, 2])
    console.fire("layoffs", team="Red", week=1, share=0.2)
    play(console, seats, [3])
    stored = console.report()
    fresh = Hub(tmp_path)  # another process's view: nothing in memory
    start, facts, prices = fresh._start(console.wid)
    with fresh.store.read() as db:
        for team in stored.teams:
            tid = fresh._team(db, console.wid, team.name)["id"]
            plays, digests = fresh._history(db, console.wid, tid, 3)
            _, outcomes = firm.replay(start, plays, facts, prices, digests, who=team.name)
            assert [w for o in outcomes for w in o.weeks] == list(team.weeks)
            assert [o.kpis for o in outcomes] == [r.kpis for r in team.rounds]
            assert [o.levers for o in outcomes] == [r.levers for r in team.rounds]
    with fresh.store.write() as db:  # a decision changed behind the workshop's back
        db.execute(
            "UPDATE decisions SET levers = ? WHERE round = 2 AND status = 'submitted' AND team_id = ?",
            (json.dumps({"employee_care": 0.9}), 2),
        )
    console2 = fresh.facilitator(created.code, created.key)
    console2.open_window()
    with pytest.raises(IntegrityError, match="does not give its stored round 2"):
        console2.advance()
    assert console2.status().rounds_done == 3


def test_undo_restores_the_round_before_and_replaying_it_gives_the_same_results(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    play(console, seats, [1])
    before = snapshot(hub)
    play(console, seats, [2])
    played = snapshot(hub)
    console.undo(expect_round=2)
    after = snapshot(hub)
    assert after["results"] == before["results"] and after["weeks"] == before["weeks"]
    kept = [d for d in after["decisions"] if d[1] == 2]
    assert {d[4] for d in kept} == {"submitted"} and len(kept) == len(PLAN[2])  # submissions stay, locked
    with pytest.raises(Conflict, match="already submitted"):
        seats["Red"].submit({})
    console.open_window()
    console.advance(expect_round=2)
    assert snapshot(hub)["results"] == played["results"] and snapshot(hub)["weeks"] == played["weeks"]
    with pytest.raises(Conflict, match="round 1 is not the last"):
        console.undo(expect_round=1)


def test_advancing_a_round_twice_from_two_screens_plays_it_once(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    other = Hub(tmp_path).facilitator(created.code, created.key)
    console.open_window()
    console.advance(expect_round=1)
    with pytest.raises(Conflict, match="round 1 has already been played"):
        other.advance(expect_round=1)
    assert other.status().rounds_done == 1


def test_a_finished_workshop_refuses_more_play_and_new_teams(tmp_path):
    hub, created, console, seats = new_room(tmp_path, rounds=1)
    play(console, seats, [1])
    for call in (
        console.open_window,
        console.advance,
        lambda: console.fire("layoffs"),
        lambda: seats["Red"].submit({}),
        lambda: hub.join(created.code, "Late"),
    ):
        with pytest.raises(Conflict, match="over"):
            call()


def test_a_late_team_plays_the_missed_rounds_unchanged_and_meets_every_teams_events(tmp_path):
    hub, created, console, seats = new_room(tmp_path, teams=("Early",))
    console.fire("service_breakdown", weeks=2, capacity=0.3)
    console.fire("layoffs", team="Early", share=0.2)  # not for teams that join later
    play(console, seats, [1, 2], plan={})
    late = hub.join(created.code, "Late")
    rec = late.record()
    assert [r.status for r in rec.rounds] == ["start", "carried", "carried"] and len(rec.weeks) == 9
    solo = Hub(tmp_path / "solo", clock=Clock())
    c2 = solo.create(small_config())
    con2 = solo.facilitator(c2.code, c2.key)
    alone = solo.join(c2.code, "Alone")
    con2.fire("service_breakdown", weeks=2, capacity=0.3)
    play(con2, {"Alone": alone}, [1, 2], plan={})
    assert alone.record().weeks == rec.weeks


def test_events_for_one_team_reach_that_team_only_and_pending_ones_can_be_cancelled(tmp_path):
    hub, created, console, seats = new_room(tmp_path, teams=("A", "B"))
    console.fire("layoffs", team="A", share=0.3)
    dropped = console.fire("service_breakdown", weeks=3, capacity=0.1)
    console.cancel(dropped)
    play(console, seats, [1], plan={})
    t = {r.name: r for r in console.report().teams}
    assert t["A"].weeks[-1]["headcount"] < t["B"].weeks[-1]["headcount"] == SMALL["n_employees"]
    assert [e.kind for e in console.report().events] == ["layoffs"]
    with pytest.raises(Conflict, match="has been played"):
        console.cancel(console.report().events[0].id)


def test_a_teams_menu_offers_its_levers_at_their_values_now_and_every_action(tmp_path):
    hub, created, console, seats = new_room(tmp_path, fixed=("bad_practice",))
    play(console, seats, [1])
    menu = seats["Green"].menu()
    assert [c.name for c in menu.levers] == list(dec.free_levers(("bad_practice",)))
    assert [a.name for a in menu.actions] == list(dec.ACTIONS)
    bought = {a.name: a for a in menu.actions}["service_investment"]
    assert bought.lever == "self_service" and bought.value == 0.4  # what Green bought in round 1
    red = {c.name: c for c in seats["Red"].menu().levers}
    assert red["empowerment"].value == 0.9 and (red["empowerment"].lo, red["empowerment"].hi) == (0.0, 1.0)


def test_an_actions_price_is_what_the_firm_is_charged(tmp_path):
    hub, created, console, seats = new_room(tmp_path, teams=("A", "B"))
    actions = [
        {"action": "culture_programme", "departments": ["service", "sales"]},
        {"action": "service_investment", "level": 0.5},
        {"action": "values_hiring", "level": 0.6},
        {"action": "logistics_contract", "level": 0.98},
    ]
    quoted = seats["A"].quote(actions)
    console.open_window()
    seats["A"].submit({}, actions)
    seats["B"].submit({}, [{"action": "layoffs", "share": 0.2}])
    console.advance()
    t = {r.name: r for r in console.report().teams}
    assert t["A"].rounds[1].charged == pytest.approx(quoted)
    facts = dec.Facts(**{k: v for k, v in console.report().settings["facts"].items()})
    laid_off = SMALL["n_employees"] - t["B"].weeks[-1]["headcount"]
    assert laid_off > 0
    assert t["B"].rounds[1].charged == pytest.approx(dec.Prices().severance_weeks * facts.wage * laid_off)
    # the charge shows in the round's first week's costs: A's cost that week is higher by it than B's would be
    assert t["A"].weeks[1]["cost"] > t["A"].weeks[2]["cost"] + 0.9 * quoted


def test_weights_change_the_ranking_and_tie_rules_hold(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    play(console, seats, [1, 2])
    for measure in ("cumulative_profit", "nps", "customer_focus"):
        console.set_weights({measure: 1})
        board = console.leaderboard()
        best = max(board, key=lambda s: s.values[measure])
        assert board[0].team == best.team and board[0].score == 100.0
    console.set_weights({"employee_turnover": 1})
    assert console.leaderboard()[0].values["employee_turnover"] == min(
        s.values["employee_turnover"] for s in console.leaderboard()
    )
    boards = console.report().leaderboards()
    assert list(boards) == [1, 2] and all(len(b) == 3 for b in boards.values())


def test_a_counterfactual_that_changes_nothing_is_the_path_itself(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    play(console, seats, [1, 2, 3])
    red = console.record("Red")
    same = console.counterfactual("Red", 2, levers={"leadership_commitment": 0.9})  # what Red set in round 2
    assert same.alternative == red.weeks
    other = console.counterfactual("Red", 2, levers={"leadership_commitment": 0.1})
    assert other.alternative[:5] == red.weeks[:5] and other.alternative[5:] != red.weeks[5:]
    assert "leadership commitment had stayed at 0.1 from round 2 on" == other.change
    dropped = console.counterfactual("Red", 1, drop=["culture_programme"])
    assert dropped.alternative[1]["culture_mean"] < red.weeks[1]["culture_mean"]
    with pytest.raises(InvalidInput, match="did not take 'layoffs'"):
        console.counterfactual("Red", 1, drop=["layoffs"])


def test_removing_a_team_and_deleting_a_workshop(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    play(console, seats, [1])
    console.remove_team("Blue")
    with pytest.raises(NotFound, match="removed"):
        seats["Blue"].record()
    assert [t.name for t in console.report().teams] == ["Red", "Green"]
    assert [w.code for w in hub.workshops()] == [created.code]
    hub.delete(created.code)
    assert hub.workshops() == [] and rows(hub, "weeks") == 0 and rows(hub, "teams") == 0
    with pytest.raises(NotFound):
        console.status()


# --------------------------------------------------------------------------- the store
def test_the_schema_is_migrated_once_and_a_newer_or_foreign_file_is_refused(tmp_path):
    Store(tmp_path)
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    Store(tmp_path)  # opening again changes nothing
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(Exception, match="newer CX Culture Lab"):
        Store(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / DB_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(Exception, match="not a workshops database"):
        Store(other)


def test_a_console_prepares_the_firms_in_the_background_so_advancing_plays_at_once(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    play(console, seats, [1, 2])
    fresh = Hub(tmp_path)  # a restarted server: no firm in memory
    again = fresh.facilitator(created.code, created.key)
    fresh.settle()
    assert fresh.replays == 3
    again.open_window()
    again.advance()
    assert fresh.replays == 3  # advancing replayed nothing
    fresh.join(created.code, "Late")
    again.status()  # the console notices the change and builds the new team's firm
    fresh.settle()
    assert fresh.replays == 4
    again.undo()
    fresh.settle()
    assert fresh.replays == 8
    again.open_window()
    again.advance()
    assert fresh.replays == 8


def test_a_deleted_workshops_id_is_never_reused_so_no_process_mistakes_a_new_one_for_it(tmp_path):
    hub, created, console, seats = new_room(tmp_path, teams=("Red",))
    play(console, seats, [1])
    old_id = console.wid
    other = Hub(tmp_path)
    other.delete(created.code)
    again = other.create(small_config(seed=99))
    new_console = hub.facilitator(again.code, again.key)
    assert new_console.wid != old_id
    hub.join(again.code, "Blue")
    new_console.open_window()
    new_console.advance()
    assert new_console.report().start["seed"] == 99


def test_a_seats_version_follows_what_the_team_sees_not_other_teams_decisions(tmp_path):
    hub, created, console, seats = new_room(tmp_path / "data")
    red, blue = seats["Red"], seats["Blue"]
    seen = red.version()
    blue.draft({"empowerment": 0.9})
    assert red.version() == seen  # another team's draft: the team's page need not re-read
    red.draft({"empowerment": 0.9})
    assert red.version() != seen
    seen = red.version()
    console.open_window()
    assert red.version() != seen
    seen = red.version()
    blue.submit({"empowerment": 0.9})
    assert red.version() == seen
    console.advance(expect_round=1)
    assert red.version() != seen
    seen = red.version()
    console.show_ranks(True)
    assert red.version() != seen
    hub.delete(created.code)
    with pytest.raises(NotFound):
        red.version()


def test_a_teams_weeks_read_round_by_round_equal_them_read_whole_also_after_an_undo(tmp_path):
    from workshop import records

    hub, created, console, seats = new_room(tmp_path)
    wid, cache = hub._id(created.code), {}

    def both(name: str):
        with hub.store.read() as db:
            w = hub._row(db, wid)
            team = hub._team(db, wid, name)
            return records.record(db, w, team, cache), records.record(db, w, team)

    for r in (1, 2, 3):
        play(console, seats, [r], PLAN)
        kept, whole = both("Red")
        assert kept == whole and len(kept.weeks) == 1 + r * 4
    console.undo(expect_round=3)
    kept, whole = both("Red")
    assert kept == whole and len(kept.weeks) == 1 + 2 * 4
    if console.record("Red").pending_status == "submitted":
        console.unlock("Red")
    play(console, seats, [3], {3: {"Red": ({"employee_care": 0.9}, [])}})
    kept, whole = both("Red")
    assert kept == whole and kept.rounds[3].decision.levers == {"employee_care": 0.9}


def test_weeks_extended_by_weeks_in_another_column_order_keep_their_own():
    from workshop.firm import Weeks

    a = Weeks(("x", "y"), np.array([[1.0, 2.0]]))
    b = Weeks(("y", "x"), np.array([[4.0, 3.0], [6.0, 5.0]]))
    both = a.extended(b)
    assert both.names == ("x", "y") and both.series("x").tolist() == [1.0, 3.0, 5.0]
    assert a.extended(Weeks(("x", "y"), np.empty((0, 2)))) is a
    with pytest.raises(ValueError, match="other metrics"):
        a.extended(Weeks(("x",), np.array([[1.0]])))
