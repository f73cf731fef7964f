"""Scenarios as data: bundled presets load, bad files fail clearly, events fire on time."""

from __future__ import annotations

import os

import numpy as np
import pytest

from model.events import EVENTS
from model.limits import LIMITS
from model.model import CultureModel
from model.params import SPECS, ParameterError
from model.scenario import SCENARIO_DIR, Scenario, ScenarioError, available, load_scenario
from model.simulate import model_table

BUNDLED = available()


def write(tmp_path, text, name="mine.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def a_lever() -> str:
    return next(n for n, s in SPECS.items() if s.lever and not s.integer)


# ---------------------------------------------------------------- bundled
def test_there_are_bundled_scenarios_including_the_baseline():
    assert "baseline" in BUNDLED
    assert BUNDLED == sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenario_loads_by_name_and_by_path_alike(name):
    by_name = load_scenario(name)
    by_path = load_scenario(SCENARIO_DIR / f"{name}.toml")
    by_str_path = load_scenario(str(SCENARIO_DIR / f"{name}.toml"))
    assert by_name == by_path == by_str_path
    assert by_name.name == name
    assert by_name.title.strip() and by_name.title != name, "a human title"
    assert len(by_name.description.strip()) > 20, "a description a trainer can read out"
    assert by_name.steps >= 1
    assert set(by_name.parameters) <= set(SPECS)
    assert [e.step for e in by_name.events] == sorted(e.step for e in by_name.events)
    assert all(e.step < by_name.steps for e in by_name.events), "every event fires within the horizon"


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenario_builds_and_runs_with_small_sizes(name, small):
    sc = load_scenario(name)
    m = CultureModel(name, rng=2, **small)
    for key, value in sc.parameters.items():
        if key not in small:
            assert getattr(m.p, key) == value
    steps = min(sc.steps, 1 + max((e.step for e in sc.events), default=0))
    for _ in range(steps):
        m.step()
    assert [e["type"] for e in m.event_log] == [e.type for e in sc.events], "every event fired"


def test_keyword_parameters_override_the_scenarios(small):
    name = a_lever()
    s = SPECS[name]
    sc = Scenario("x", "X", "d", {name: s.lo})
    assert getattr(CultureModel(sc, rng=1, **small).p, name) == s.lo
    assert getattr(CultureModel(sc, rng=1, **{**small, name: s.hi}).p, name) == s.hi


def test_as_dict_lists_parameters_events_and_steps(tmp_path):
    name = a_lever()
    text = f"""
[scenario]
title = "T"
steps = 12
[parameters]
{name} = {SPECS[name].lo}
[[events]]
step = 5
type = "layoffs"
share = 0.2
[[events]]
step = 2
type = "culture_programme"
departments = ["service", "sales"]
"""
    d = load_scenario(write(tmp_path, text)).as_dict()
    assert d == {
        "name": "mine",
        "parameters": {name: SPECS[name].lo},
        "events": [
            {"step": 2, "type": "culture_programme", "departments": ["service", "sales"]},
            {"step": 5, "type": "layoffs", "share": 0.2},
        ],
        "steps": 12,
    }


# ----------------------------------------------------------------- errors
def test_unknown_scenario_name_lists_the_available_ones():
    with pytest.raises(ScenarioError, match="unknown scenario 'no_such_firm'") as info:
        load_scenario("no_such_firm")
    for name in BUNDLED:
        assert name in str(info.value)


def test_missing_scenario_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(tmp_path / "gone.toml")


def _bad_cases() -> dict[str, tuple[str, str]]:
    lever = a_lever()
    return {
        "malformed_toml": ("[parameters\nx = 1\n", r"malformed TOML"),
        "unknown_section": ("[paramters]\n", r"unknown section"),
        "unknown_parameter": (f"[parameters]\n{lever}x = 0.5\n", rf"unknown parameter '{lever}x'.*{lever}"),
        "out_of_range": (f"[parameters]\n{lever} = {SPECS[lever].hi + 1}\n", rf"'{lever}'.*out of range"),
        "not_a_number": (f'[parameters]\n{lever} = "lots"\n', rf"'{lever}' must be a number"),
        "cross_rule": ("[parameters]\nmarket_size = 100\ninitial_customers = 101\n", r"initial_customers"),
        "zero_steps": ("[scenario]\nsteps = 0\n", r"steps must be a positive whole number"),
        "fractional_steps": ("[scenario]\nsteps = 2.5\n", r"steps must be a positive whole number"),
        "bad_event_type": ('[[events]]\nstep = 1\ntype = "earthquake"\n', r"unknown event 'earthquake'"),
        "missing_event_type": ("[[events]]\nstep = 1\n", r"needs a 'type'"),
        "missing_event_step": ('[[events]]\ntype = "layoffs"\n', r"'step'"),
        "negative_event_step": ('[[events]]\nstep = -1\ntype = "layoffs"\n', r"'step' >= 0"),
        "fractional_event_step": ('[[events]]\nstep = 1.5\ntype = "layoffs"\n', r"'step'"),
        "unknown_event_option": (
            '[[events]]\nstep = 1\ntype = "layoffs"\nhow_many = 3\n',
            r"unknown option 'how_many'",
        ),
        "event_option_not_a_number": (
            '[[events]]\nstep = 1\ntype = "layoffs"\nshare = "some"\n',
            r"'share' must be a number",
        ),
        "event_departments_unknown": (
            '[[events]]\nstep = 1\ntype = "layoffs"\ndepartments = ["legal"]\n',
            r"departments must be a list",
        ),
        "event_departments_not_a_list": (
            '[[events]]\nstep = 1\ntype = "culture_programme"\ndepartments = "service"\n',
            r"departments must be a list",
        ),
    }


BAD = _bad_cases()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_scenario_file_gives_a_one_line_scenario_error_naming_the_file(tmp_path, case):
    text, pattern = BAD[case]
    with pytest.raises(ScenarioError, match=pattern) as info:
        load_scenario(write(tmp_path, text, f"{case}.toml"))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{case}.toml"), message


@pytest.mark.parametrize(
    ("event", "options", "pattern"),
    [
        ("layoffs", "share = 1.5", "share"),
        ("culture_programme", "boost = -0.5", "boost"),
        ("new_ceo", "commitment = 2.0", "commitment"),
        ("service_breakdown", "weeks = 0", "weeks"),
        ("outsource_logistics", "reliability = 1.2", "reliability"),
    ],
)
def test_out_of_range_event_option_is_rejected_when_the_scenario_loads(tmp_path, event, options, pattern):
    """BUG: ``check_event`` only checks option names and types; ranges are
    checked when the event fires, so a scenario with ``share = 1.5`` loads
    and the run fails at that week (in the dashboard: mid-workshop)."""
    text = f'[[events]]\nstep = 3\ntype = "{event}"\n{options}\n'
    with pytest.raises(ScenarioError, match=pattern):
        load_scenario(write(tmp_path, text))


def test_every_event_type_can_be_scheduled_with_its_default_options(small):
    m = CultureModel(rng=3, **small)
    for i, kind in enumerate(EVENTS):
        m.schedule_at(i, kind)
    for _ in range(len(EVENTS) + 1):
        m.step()
    assert [e["type"] for e in m.event_log] == list(EVENTS)


def test_schedule_at_checks_the_event_immediately(small):
    m = CultureModel(rng=3, **small)
    with pytest.raises(ParameterError, match="unknown event"):
        m.schedule_at(2, "party")
    with pytest.raises(ParameterError, match="unknown option"):
        m.schedule_at(2, "layoffs", fraction=0.1)


# ------------------------------------------------------------------ timing
PROGRAMME = '[[events]]\nstep = {k}\ntype = "culture_programme"\ndepartments = ["service"]\nboost = 1.0\n'


@pytest.mark.parametrize("k", [0, 3])
def test_scheduled_event_acts_between_week_k_and_week_k_plus_one(tmp_path, small, k):
    """``step = k`` fires after k completed weeks: rows 0..k of the table are
    untouched, row k + 1 shows the effect."""
    with_event = CultureModel(load_scenario(write(tmp_path, PROGRAMME.format(k=k))), rng=5, **small)
    without = CultureModel(rng=5, **small)
    for _ in range(k + 3):
        with_event.step()
        without.step()
    a, b = model_table(with_event), model_table(without)
    untouched = a.iloc[: k + 1].equals(b.iloc[: k + 1])
    assert untouched
    jump = a.culture_service.iloc[k + 1] - b.culture_service.iloc[k + 1]
    assert jump > 0.2


def test_scheduled_event_matches_the_same_event_fired_by_hand_after_k_weeks(small):
    k = 3
    scheduled = CultureModel(rng=5, **small)
    scheduled.schedule_at(k, "culture_programme", departments=["service"])
    by_hand = CultureModel(rng=5, **small)
    for week in range(k + 3):
        if week == k:
            by_hand.fire("culture_programme", departments=["service"])
        scheduled.step()
        by_hand.step()
    same = model_table(scheduled).equals(model_table(by_hand))
    assert same


def test_event_log_records_the_step_the_event_was_scheduled_at(small):
    """BUG: ``step()`` runs after Mesa has already advanced ``model.steps``,
    so an event scheduled at step k (fired after k completed weeks) is logged
    as step k + 1, while the same event fired by hand after k weeks is logged
    as k. The log (and the run's JSON sidecar) disagree with the scenario."""
    k = 3
    scheduled = CultureModel(rng=5, **small)
    scheduled.schedule_at(k, "culture_programme", departments=["service"])
    by_hand = CultureModel(rng=5, **small)
    for week in range(k + 2):
        if week == k:
            by_hand.fire("culture_programme", departments=["service"])
        scheduled.step()
        by_hand.step()
    assert by_hand.event_log == [{"step": k, "type": "culture_programme", "departments": ["service"]}]
    assert scheduled.event_log == by_hand.event_log


def test_scheduled_service_breakdown_lasts_the_given_number_of_weeks(small):
    """BUG: same off-by-one: ``service_breakdown`` ends at ``model.steps +
    weeks``, and a scheduled one starts with ``model.steps`` already k + 1, so
    it lasts weeks + 1 weeks (fired by hand it lasts ``weeks``)."""
    k, weeks = 3, 2
    load = {**small, "contact_hours": 1, "service_staffing": 3.0}  # several agents on duty

    def agents(m, by_hand: bool) -> np.ndarray:
        if not by_hand:
            m.schedule_at(k, "service_breakdown", weeks=weeks, capacity=0.0)
        for week in range(k + weeks + 4):
            if by_hand and week == k:
                m.fire("service_breakdown", weeks=weeks, capacity=0.0)
            m.step()
        return model_table(m).agents.to_numpy()

    hand = agents(CultureModel(rng=5, **load), by_hand=True)
    assert (hand[1 : k + 1] > 1).all(), "precondition: more than one agent normally"
    assert np.flatnonzero(hand[1:] == 0).tolist() == list(range(k, k + weeks)), "by hand: weeks k+1..k+weeks"
    scheduled = agents(CultureModel(rng=5, **load), by_hand=False)
    assert np.flatnonzero(scheduled[1:] == 0).tolist() == list(range(k, k + weeks))


def test_a_horizon_beyond_the_limit_is_refused_unless_the_limits_are_lifted(tmp_path):
    path = write(tmp_path, f"[scenario]\nsteps = {LIMITS.steps + 1}\n")
    with pytest.raises(
        ScenarioError, match=r"steps = 5,201 is more than the limit of 5,200 weeks; --allow-large"
    ):
        load_scenario(path)
    assert load_scenario(path, limits=None).steps == LIMITS.steps + 1
    assert load_scenario(write(tmp_path, f"[scenario]\nsteps = {LIMITS.steps}\n")).steps == LIMITS.steps


def test_a_scenario_name_is_never_a_path(tmp_path):
    """Only the bundled names load by name: ``../x`` does not reach a file outside."""
    outside = write(tmp_path, "[scenario]\ntitle = 'outside'\n")
    relative = os.path.relpath(outside.with_suffix(""), SCENARIO_DIR)
    with pytest.raises(ScenarioError, match="unknown scenario"):
        load_scenario(relative)
    assert load_scenario(outside).title == "outside", "by its path, the file loads"


def test_a_byte_order_mark_and_an_upper_case_suffix_are_accepted(tmp_path):
    """As Windows editors write them: ``\\ufeff`` first, ``.TOML``."""
    path = tmp_path / "Mine.TOML"
    path.write_text("\ufeff[scenario]\ntitle = 'from Notepad'\n", encoding="utf-8")
    assert load_scenario(path).title == "from Notepad"
