"""Concurrent requests on one real SQLite file, from threads and from processes."""

from __future__ import annotations

import multiprocessing
import threading

from workshop_helpers import advance_in_child, new_room, submit_in_child

from workshop import Conflict

# Children fork from a clean server process that has imported the workshop once: no
# state of the test process is shared with them, and they start in milliseconds.
SPAWN = multiprocessing.get_context("forkserver")
SPAWN.set_forkserver_preload(["workshop.rooms", "workshop_helpers"])


def run_children(jobs, timeout=120):
    """Run ``(function, args)`` jobs in fresh processes that start together; their answers."""
    barrier = SPAWN.Barrier(len(jobs))
    answers = SPAWN.Queue()
    procs = [SPAWN.Process(target=target_, args=(*args, barrier, answers)) for target_, args in jobs]
    for p in procs:
        p.start()
    got = [answers.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout)
        assert p.exitcode == 0
    return got


def test_two_browsers_of_one_team_submitting_at_once_from_two_threads(tmp_path):
    hub, created, console, seats = new_room(tmp_path, teams=("Red",))
    browsers = [hub.rejoin(created.code, seats["Red"].token) for _ in range(2)]
    console.open_window()
    barrier, answers = threading.Barrier(2), []

    def submit(seat, value):
        barrier.wait()
        try:
            seat.submit({"empowerment": value})
            answers.append((value, "ok"))
        except Conflict as exc:
            answers.append((value, str(exc)))

    threads = [
        threading.Thread(target=submit, args=(b, v)) for b, v in zip(browsers, (0.2, 0.9), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [v for v, said in answers if said == "ok"]
    lost = [said for v, said in answers if said != "ok"]
    assert len(won) == 1 and len(lost) == 1 and "already submitted" in lost[0]
    assert console.record("Red").pending.levers == {"empowerment": won[0]}


def test_teams_submitting_from_separate_processes_at_once_each_stored_once(tmp_path):
    hub, created, console, seats = new_room(tmp_path, teams=("A", "B", "C"))
    console.open_window()
    jobs = [
        (submit_in_child, (tmp_path, created.code, seats[name].token, {"empowerment": value}))
        for name, value in (("A", 0.1), ("B", 0.3), ("C", 0.5), ("C", 0.7))  # C's two browsers
    ]
    got = run_children(jobs)
    ok = [(name, levers) for name, levers, said in got if said == "ok"]
    refused = [(name, said) for name, levers, said in got if said != "ok"]
    assert sorted(name for name, _ in ok) == ["A", "B", "C"], got
    assert len(refused) == 1 and refused[0][0] == "C" and "already submitted" in refused[0][1]
    report = console.report()
    assert {t.name: t.pending.levers for t in report.teams} == dict(ok)
    assert all(t.submitted for t in report.status.teams)


def test_submissions_racing_an_advance_are_either_played_or_refused_never_lost(tmp_path):
    names = ("A", "B")
    hub, created, console, seats = new_room(tmp_path, teams=names)
    console.open_window()
    jobs = [
        (advance_in_child, (tmp_path, created.code, created.key)),
        (advance_in_child, (tmp_path, created.code, created.key)),
    ]
    jobs += [
        (submit_in_child, (tmp_path, created.code, seats[n].token, {"employee_care": 0.95})) for n in names
    ]
    got = run_children(jobs)
    advances = [g[2] for g in got if g[0] == "facilitator"]
    assert advances.count("ok") == 1, advances  # two facilitator screens: the round is played once
    report = console.report()
    assert report.status.rounds_done == 1
    for team in report.teams:
        told = next(g[2] for g in got if g[0] == team.name)
        played = team.rounds[1]
        if told == "ok":
            assert played.status == "submitted" and played.levers["employee_care"] == 0.95
        else:
            assert "not open" in told or "busy" in told, told
            assert played.status == "carried" and played.levers["employee_care"] != 0.95
