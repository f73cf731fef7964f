"""A process running a workshop is killed with SIGKILL at several moments and restarted:
every team, decision and score is as before, and the workshop ends exactly as an
uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from workshop_helpers import PLAN, Clock, drive, play, small_config

from workshop import Hub

TESTS = Path(__file__).resolve().parent
# Default-size firms (a round takes tens of milliseconds per team), so a kill lands inside rounds.
CONFIG = {"params": {}, "round_weeks": 13, "rounds": 4}
TEAMS = ("Red", "Blue", "Green")
# (marker line, seconds to wait after it before SIGKILL): while submitting, in the middle of
# advancing (a cold start replays every team first), just after an advance began, while opening
KILLS = [("submitting 1 Blue", 0.0), ("advancing 2", 0.03), ("advancing 3", 0.0), ("opened 4", 0.0)]


def start_driver(data_dir, code, key, tokens) -> subprocess.Popen:
    call = f"from workshop_helpers import drive; drive({str(data_dir)!r}, {code!r}, {key!r}, {tokens!r})"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])}
    return subprocess.Popen([sys.executable, "-c", call], stdout=subprocess.PIPE, text=True, env=env)


def committed(lines: list[str]) -> tuple[set[tuple[int, str]], int, int]:
    """What the driver said was committed: submissions, the last round advanced, the last begun."""
    subs = {(int(p[1]), p[2]) for p in (line.split() for line in lines) if p[0] == "submitted"}
    advanced = [int(line.split()[1]) for line in lines if line.startswith("advanced ")]
    begun = [int(line.split()[1]) for line in lines if line.startswith("advancing ")]
    return subs, max(advanced, default=0), max(begun, default=0)


def stored(data_dir, code):
    report = Hub(data_dir).report(code)
    return report, {
        (r.round, t.name) for t in report.teams for r in t.rounds[1:] if r.status == "submitted"
    } | {(report.status.rounds_done + 1, t.name) for t in report.teams if t.pending_status == "submitted"}


def reference(tmp_path):
    """The same workshop played without interruption, in this process."""
    hub = Hub(tmp_path / "reference", clock=Clock())
    created = hub.create(small_config(**CONFIG))
    console = hub.facilitator(created.code, created.key)
    seats = {name: hub.join(created.code, name) for name in TEAMS}
    play(console, seats, range(1, CONFIG["rounds"] + 1), PLAN)
    return console.report()


def same_rounds(mine, theirs, rounds: int) -> None:
    """Every team's decisions, costs, scores and weeks of the first ``rounds`` rounds agree."""
    weeks = 1 + rounds * CONFIG["round_weeks"]
    for a, b in zip(mine.teams, theirs.teams, strict=True):
        assert a.name == b.name
        assert [(r.decision, r.status, r.charged, r.kpis) for r in a.rounds[: rounds + 1]] == [
            (r.decision, r.status, r.charged, r.kpis) for r in b.rounds[: rounds + 1]
        ]
        assert a.weeks[:weeks] == b.weeks[:weeks]
    if rounds:
        assert [vars(s) for s in mine.leaderboard(rounds)] == [vars(s) for s in theirs.leaderboard(rounds)]


def test_kill_9_mid_workshop_loses_nothing_and_replays_to_the_same_end(tmp_path):
    expected = reference(tmp_path)
    data = tmp_path / "data"
    hub = Hub(data)
    created = hub.create(small_config(**CONFIG))
    tokens = {name: hub.join(created.code, name).token for name in TEAMS}
    hub.close()
    seen_lines: list[str] = []
    cut_mid_round = 0
    for marker, delay in KILLS:
        proc = start_driver(data, created.code, created.key, tokens)
        lines = []
        for line in proc.stdout:
            lines.append(line.strip())
            if line.strip() == marker:
                time.sleep(delay)
                break
        proc.send_signal(signal.SIGKILL)
        lines += [line.strip() for line in proc.stdout]  # whatever it printed before dying
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL, lines
        seen_lines += lines
        subs, advanced, begun = committed(seen_lines)
        report, stored_subs = stored(data, created.code)
        done = report.status.rounds_done
        assert advanced <= done <= begun, (lines, done)  # nothing committed lost, nothing invented
        cut_mid_round += done < begun
        assert {s for s in subs if s[0] > done} <= stored_subs  # every submission said done is there
        for team in report.teams:  # every team's history complete to the rounds done
            assert [r.round for r in team.rounds] == list(range(done + 1))
            assert len(team.weeks) == 1 + done * CONFIG["round_weeks"]
        same_rounds(report, expected, done)  # every team, decision and score as they should be
    assert cut_mid_round >= 1, "no kill landed inside an advance"

    proc = start_driver(data, created.code, created.key, tokens)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0 and out.strip().endswith("done"), out

    got = Hub(data).report(created.code)
    assert got.status.rounds_done == expected.status.rounds_done == CONFIG["rounds"]
    same_rounds(got, expected, CONFIG["rounds"])


def test_the_driver_plays_a_workshop_to_its_end(tmp_path, capsys):
    hub = Hub(tmp_path)
    created = hub.create(small_config(rounds=2))
    tokens = {name: hub.join(created.code, name).token for name in TEAMS}
    drive(tmp_path, created.code, created.key, tokens)
    assert capsys.readouterr().out.split()[-1] == "done"
    assert Hub(tmp_path).report(created.code).status.finished
