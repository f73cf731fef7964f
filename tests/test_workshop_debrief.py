"""The debrief report: self-contained, escaped, computed from the teams' own data."""

from __future__ import annotations

import math
import re

import pytest
from workshop_helpers import PLAN, new_room, play

from workshop import debrief
from workshop import decisions as dec


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """Four teams over four rounds, one of them named to break HTML, one deciding nothing."""
    teams = ("Red", "Blue", "Green", "<img src=x onerror=alert(1)>")
    hub, created, console, seats = new_room(tmp_path_factory.mktemp("debrief"), teams=teams)
    console.fire("service_breakdown", weeks=2, capacity=0.4)
    play(console, seats, range(1, 5), PLAN)
    return console, console.report(), console.debrief()


def test_the_report_is_one_offline_file_with_plotly_inline_once(played):
    console, report, html = played
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert (
        html.count("plotly.js v") >= 1
        and len(re.findall(r"<script[^>]*>\s*/\*\*\s*\n\* plotly\.js", html)) == 1
    )
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?https?:", html, re.I)
    assert html.count("class='chart'") >= 9  # ranks, five trajectories, the cost lesson, scatters, replays


def test_team_names_are_escaped_everywhere(played):
    console, report, html = played
    assert "<img src=x onerror" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_leaderboard_round_by_round_and_every_decision_beside_its_outcome(played):
    console, report, html = played
    for r in range(1, 5):
        assert f"<th>Round {r}</th>" in html
    for team in report.teams:
        for rec in team.rounds[1:]:
            text = (
                "did not submit: nothing changed" if rec.status == "carried" else dec.describe(rec.decision)
            )
            assert text.replace("<", "&lt;").replace(">", "&gt;") in html
    final = report.leaderboard()
    assert f"<td>1</td><td class='text'>{final[0].team}</td>" in html


def test_the_cost_lesson_names_the_team_that_spent_least_from_its_weekly_costs(played):
    console, report, html = played
    spend = {t.name: sum(t.series("cost")[1:]) for t in report.teams}
    cutter = min(spend, key=spend.get)
    assert re.search(rf"<b>{re.escape(cutter)}</b> spent least", html)
    mean_after_one = sum(t.series("cumulative_profit")[4] for t in report.teams) / len(report.teams)
    gap = next(t for t in report.teams if t.name == cutter).series("cumulative_profit")[4] - mean_after_one
    assert (
        f"{abs(gap):,.0f} {'ahead of' if gap >= 0 else 'behind'} the room's mean after the first round"
        in html
    )


def test_one_counterfactual_per_team_that_decided_something(played):
    console, report, html = played
    deciders = [t.name for t in report.teams if any(r.status == "submitted" for r in t.rounds[1:])]
    assert sorted(re.findall(r"<h3>([^<:]+): what if ", html)) == sorted(deciders)
    assert "what if" not in html.split("&lt;img src=x onerror=alert(1)&gt;: what if")[0][-5:]


def test_the_suggested_change_is_the_largest_lever_move_else_the_costliest_action(played):
    console, report, html = played
    red = report.team("Red")  # moved empowerment 0.4 -> 0.9 in round 1: the largest relative move
    assert debrief.suggested_change(red) == (1, {"empowerment": red.rounds[0].levers["empowerment"]}, ())
    green = report.team("Green")  # service_investment in round 1, bad_practice 0 -> 0.2 in round 3
    assert debrief.suggested_change(green) == (3, {"bad_practice": 0.0}, ())
    quiet = report.teams[-1]
    assert debrief.suggested_change(quiet) is None


def test_a_team_that_only_took_actions_has_its_costliest_one_dropped(tmp_path):
    hub, created, console, seats = new_room(tmp_path, teams=("Buyer",))
    plan = {1: {"Buyer": ({}, [{"action": "service_investment", "level": 0.3}])},
            2: {"Buyer": ({}, [{"action": "culture_programme"}])}}  # fmt: skip
    play(console, seats, [1, 2], plan)
    rec = console.record("Buyer")
    assert rec.rounds[2].charged > rec.rounds[1].charged
    assert debrief.suggested_change(rec) == (2, {}, ("culture_programme",))
    html = console.debrief()
    assert "Buyer: what if the culture programme had not been taken in round 2?" in html


def test_before_the_first_round_there_is_nothing_to_debrief(tmp_path):
    hub, created, console, seats = new_room(tmp_path)
    assert "nothing to debrief" in console.debrief()


def test_rolling_turnover_skips_the_starting_week():
    out = debrief._rolling([0.0, 0.01, 0.03, math.nan, 0.02], 2, scale=52.0)
    assert math.isnan(out[0]) and out[1] == pytest.approx(0.52) and out[2] == pytest.approx(1.04)
    assert out[3] == pytest.approx(1.56) and out[4] == pytest.approx(1.04)


def test_names_of_close_dots_go_below_above_and_beside_in_turn():
    points = [(0.5, 0.76), (0.9, 0.75), (0.5, 0.81), (0.51, 0.765)]
    assert debrief._label_places(points, near=0.03) == [
        "bottom center",  # the lowest of the column at 0.5
        "top center",  # alone at 0.9
        "middle right",  # the highest of three
        "top center",
    ]
    assert debrief._label_places([(0.1, 1.0), (0.5, 1.0)], near=0.03) == ["top center", "top center"]
