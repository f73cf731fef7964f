"""The dashboard's session (``viz.lab``), its recipe in the address (``viz.recipe``) and the
checks of every value a page sends: tested without a browser, on small worlds.

No test depends on the model's numbers: runs are compared with runs.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import SPECS, available, load_scenario
from model.events import EVENTS
from model.metrics import METRICS
from model.params import levers
from viz import export, recipe
from viz.lab import (
    MAX_WEEKS,
    YEAR,
    InputError,
    Lab,
    Limits,
    check_event,
    check_lever,
    check_scenario,
    check_seed,
    check_size,
)

SMALL = {"n_employees": 60, "market_size": 2000, "initial_customers": 400}
LEVER = "bad_practice"  # acts at once, even in a tiny world


def small_lab(scenario: str = "baseline", seed: int = 3) -> Lab:
    return Lab(scenario, seed=seed, size=SMALL)


def metrics(lab: Lab, run: int = 0) -> pd.DataFrame:
    return pd.DataFrame(lab.runs[run].history.columns())


def moved(name: str = LEVER) -> float:
    """A valid value of lever ``name`` away from its default."""
    spec = SPECS[name]
    return spec.lo if spec.default != spec.lo else spec.hi


# ------------------------------------------------------------------ the run and its log
def test_same_seed_same_run_and_reset_keeps_lever_positions():
    a, b = small_lab(), small_lab()
    a.step(6)
    b.step(6)
    pd.testing.assert_frame_equal(metrics(a), metrics(b))
    a.set_lever(LEVER, moved())
    a.reset()
    assert a.steps == 0 and getattr(a.runs[0].model.p, LEVER) == moved()
    assert a.runs[0].actions == [] and a.runs[0].overrides == {LEVER: moved()}


def test_every_lever_move_is_logged_marked_titled_and_exported():
    lab = small_lab()
    lab.step(4)
    before = lab.lever(LEVER)
    lab.set_lever(LEVER, moved())
    lab.set_lever(LEVER, moved())  # no move: not logged twice
    lab.step(3)
    snap = lab.snapshot()[0]
    assert snap.levers == ({"week": 4, "lever": LEVER, "from": before, "to": moved()},)
    mark = next(m for m in snap.marks if m.kind == "lever")
    assert mark.week == 4 and SPECS[LEVER].label in mark.text
    assert f"{SPECS[LEVER].label.lower()} {moved():g}" in snap.title
    table = export.table(lab)
    assert table.loc[table.week == 4, "lever_changes"].item() == f"{LEVER}:{before:g}->{moved():g}"
    col = table[f"lever_{LEVER}"].to_numpy()
    assert (col[:5] == before).all() and (col[5:] == moved()).all(), "the lever in effect during each week"
    assert {f"lever_{n}" for n in levers()} <= set(table.columns)


def test_play_stops_at_the_horizon_until_extended():
    lab = small_lab()
    lab.horizon = 10
    assert lab.step(25) == 10 and lab.at_end
    assert lab.step(1) == 0 and lab.steps == 10
    lab.extend(YEAR)
    assert lab.horizon == 10 + YEAR and not lab.at_end
    with pytest.raises(InputError):
        lab.extend(MAX_WEEKS)


def test_rewind_replays_the_same_run_and_later_changes_replay_until_rewritten():
    lab = small_lab()
    lab.step(5)
    lab.set_lever(LEVER, moved())
    lab.step(3)
    lab.fire("layoffs", share=0.2)
    lab.step(6)
    original = metrics(lab)
    lab.rewind(2)
    assert lab.steps == 2 and len(metrics(lab)) == 3
    pd.testing.assert_frame_equal(metrics(lab), original.iloc[:3])
    lab.step(12)  # the lever move at week 5 and the layoffs at week 8 replay
    pd.testing.assert_frame_equal(metrics(lab), original)
    lab.rewind(6)
    lab.fire("new_ceo")  # a new change at week 6: the layoffs of week 8 are dropped
    assert [a.name for a in lab.runs[0].actions] == [LEVER, "new_ceo"]
    lab.step(8)
    assert "layoffs" not in {e["type"] for e in lab.runs[0].model.event_log}


def test_branch_copies_run_a_up_to_the_week_and_a_keeps_its_future():
    lab = small_lab()
    lab.step(4)
    lab.set_lever(LEVER, moved())
    lab.step(6)
    lab.branch(4)  # what if the lever had not moved in week 4?
    assert lab.compare and lab.steps == 4 and lab.target == "B"
    assert "branch of A at week 4" in lab.runs[1].title
    lab.step(6)
    a, b = metrics(lab, 0), metrics(lab, 1)
    pd.testing.assert_frame_equal(a.iloc[:5], b.iloc[:5])
    assert getattr(lab.runs[0].model.p, LEVER) == moved(), "A replayed its own move"
    assert getattr(lab.runs[1].model.p, LEVER) == SPECS[LEVER].default
    assert not a.iloc[5:].equals(b.iloc[5:])


def test_picking_a_scenario_resets_levers_and_compare_starts_fresh():
    name = next(n for n in available() if load_scenario(n).parameters)
    lab = small_lab()
    lab.set_lever("bad_practice", SPECS["bad_practice"].hi)
    lab.step(2)
    lab.load(name)
    assert lab.steps == 0 and lab.runs[0].actions == []
    for key, value in load_scenario(name).parameters.items():
        assert getattr(lab.runs[0].model.p, key) == pytest.approx(value)
    lab.set_compare("baseline")
    lab.set_target("B")
    lab.set_lever("employee_care", 0.9)
    assert lab.runs[0].model.p.employee_care != 0.9 and lab.runs[1].model.p.employee_care == 0.9
    assert lab.runs[0].title != lab.runs[1].title, "a lever set away from the scenario names the run"
    lab.set_compare(None)
    lab.set_compare("baseline")
    assert lab.runs[1].model.p.employee_care == SPECS["employee_care"].default, "no lever inherited"


# ------------------------------------------------------------------ the recipe in the address
def test_recipe_in_the_address_restores_the_session_exactly():
    lab = small_lab()
    lab.set_compare("customer_centric")
    lab.step(3)
    lab.set_target("B")
    lab.set_lever(LEVER, moved())
    lab.fire("culture_programme", departments=["service", "sales"])
    lab.step(4)
    lab.extend(YEAR)
    again = recipe.restore(recipe.from_search(recipe.query(lab.recipe())[1:]), Limits())
    assert again.steps == lab.steps and again.horizon == lab.horizon and again.target == "B"
    for i in range(2):
        pd.testing.assert_frame_equal(metrics(again, i), metrics(lab, i))
    pd.testing.assert_frame_equal(export.table(again), export.table(lab))


def test_an_address_with_too_many_fields_is_refused():
    with pytest.raises(InputError):
        recipe.from_search("&".join(f"x{i}=1" for i in range(50)))
    assert recipe.from_search("") is None and recipe.from_search("other=1") is None


def _encoded(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


GOOD = {"seed": 1, "week": 2, "runs": [{"scenario": "baseline"}], "size": SMALL}


@pytest.mark.parametrize(
    "text",
    [
        "not base64 !!",
        _encoded([1, 2]),
        _encoded({**GOOD, "runs": [{"scenario": "../../../../tmp/x/evil"}]}),
        _encoded({**GOOD, "runs": [{"scenario": "/etc/passwd.toml"}]}),
        _encoded({**GOOD, "seed": -1}),
        _encoded({**GOOD, "week": 10**9}),
        _encoded({**GOOD, "size": {"market_size": 10**7}}),
        _encoded({**GOOD, "runs": [{"scenario": "baseline", "actions": [[1, "lever", "price", 5]]}]}),
        _encoded({**GOOD, "runs": [{"scenario": "baseline", "actions": [[1, "event", "meteor", {}]]}]}),
        _encoded(
            {
                **GOOD,
                "runs": [
                    {"scenario": "baseline", "actions": [[3, "lever", LEVER, 1], [1, "lever", LEVER, 1]]}
                ],
            }
        ),
        _encoded({**GOOD, "api_keys": 1}),
        _encoded({**GOOD, "target": "B"}),
        "W" * (recipe.MAX_LENGTH + 4),
        base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).decode(),
    ],
)
def test_an_address_that_is_not_a_recipe_is_refused_in_one_sentence(text):
    with pytest.raises(InputError) as info:
        data = recipe.decode(text)
        recipe.restore(data, Limits())
    assert str(info.value) == recipe.BROKEN


# ------------------------------------------------------------------ every page value checked
def one_sentence(message: str) -> None:
    assert "\n" not in message and message.endswith(".") and message[0].isupper(), message
    assert "Traceback" not in message and "/" not in message.replace("n/a", ""), message


HOSTILE = [
    (check_scenario, ("../../../../tmp/x/evil",)),
    (check_scenario, ("/tmp/evil.toml",)),
    (check_scenario, ("baseline.toml",)),
    (check_scenario, (None,)),
    (check_scenario, (["baseline"],)),
    (check_lever, ("price", 1.0)),
    (check_lever, ("n_employees", 10)),
    (check_lever, ("__class__", 1.0)),
    (check_lever, (LEVER, 1e9)),
    (check_lever, (LEVER, -1)),
    (check_lever, (LEVER, float("nan"))),
    (check_lever, (LEVER, float("inf"))),
    (check_lever, (LEVER, "0.5")),
    (check_lever, (LEVER, True)),
    (check_lever, (LEVER, None)),
    (check_event, ("meteor", {})),
    (check_event, ("__init__", {})),
    (check_event, ("layoffs", {"share": 7})),
    (check_event, ("layoffs", {"mood": 1})),
    (check_event, ("layoffs", [])),
    (check_event, ("service_breakdown", {"weeks": 10**12})),
    (check_event, ("service_breakdown", {"weeks": 2.5})),
    (check_event, ("culture_programme", {"departments": ["nowhere"]})),
    (check_event, ("culture_programme", {"departments": []})),
    (check_event, ("culture_programme", {"departments": "service"})),
    (check_seed, (-1,)),
    (check_seed, (2**40,)),
    (check_seed, ("abc",)),
    (check_seed, ("１２",)),
    (check_seed, ("3_00",)),
    (check_seed, (1.5,)),
    (check_size, ({"market_size": 10**7}, Limits())),
    (check_size, ({"n_employees": 10**6}, Limits())),
    (check_size, ({"market_size": 100, "initial_customers": 500}, Limits())),
    (check_size, ({"price": 5}, Limits())),
    (check_size, ({"n_employees": "1e3"}, Limits())),
    (check_size, ({"n_employees": 2}, Limits())),
]


@pytest.mark.parametrize("check, args", HOSTILE, ids=[f"{c.__name__}-{a[0]!r}"[:60] for c, a in HOSTILE])
def test_every_page_value_is_checked_against_the_servers_lists(check, args):
    with pytest.raises(InputError) as info:
        check(*args)
    one_sentence(str(info.value))


def test_the_facilitators_limit_caps_the_world_size():
    tight = Limits(n_employees=100, market_size=3000)
    fits = {"n_employees": 100, "market_size": 3000, "initial_customers": 600}
    assert check_size(fits, tight) == fits
    with pytest.raises(InputError, match="3,000"):
        check_size({"market_size": 3001}, tight)
    lab = Lab("baseline", seed=1, size=SMALL, limits=tight)
    lab.step(2)
    with pytest.raises(InputError):
        lab.reset(size={"market_size": 10**6})
    assert lab.steps == 2 and lab.size == SMALL, "a refused size changes nothing"


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CX_DASHBOARD_LIMITS", json.dumps({"n_employees": 50, "market_size": 900}))
    assert Limits.from_env() == Limits(50, 900)
    assert Limits.from_env().most("initial_customers") == 900


def test_refused_steering_changes_nothing():
    lab = small_lab()
    lab.step(2)
    before = lab.recipe()
    for bad in (
        lambda: lab.set_lever(LEVER, 99.0),
        lambda: lab.fire("layoffs", share=3),
        lambda: lab.load("../x"),
        lambda: lab.rewind(50),
        lambda: lab.branch(-1),
        lambda: lab.set_target("C"),
        lambda: lab.reset(seed="x"),
    ):
        with pytest.raises(InputError):
            bad()
    assert lab.recipe() == before


def test_valid_values_pass_and_are_converted():
    assert check_lever(LEVER, 1) == 1.0
    assert check_event("culture_programme", {"departments": ["service", "sales"]}) == {
        "departments": ["sales", "service"]
    }
    assert check_event("service_breakdown", {"weeks": 8.0}) == {"weeks": 8}
    assert check_seed(" 42 ") == 42
    for kind in EVENTS:
        check_event(kind, {})


def test_export_rounds_and_names_the_runs():
    lab = small_lab()
    lab.set_lever(LEVER, moved())
    lab.step(5)
    table = export.table(lab)
    assert {"run", "scenario", "title", "seed", "overrides", "week", "events", "lever_changes"} <= set(
        table.columns
    )
    for name in METRICS:
        values = table[name].dropna().to_numpy()
        assert np.allclose(values, np.round(values, export.digits(name))), name
    html = export.summary_html(lab)
    assert lab.runs[0].title in html and "Key figures" in html
    assert '<script src="http' not in html, "the summary opens offline"


KEYS = [
    "seed",
    "week",
    "runs",
    "size",
    "horizon",
    "target",
    "scenario",
    "overrides",
    "actions",
    "note",
    "market_size",
]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 10**12)
    | st.floats(allow_nan=False)
    | st.sampled_from(["baseline", "../x", LEVER, "lever", "event", "layoffs", "B"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(data=JSON)
def test_any_json_in_the_address_gives_a_run_or_one_sentence(data):
    """Whatever a made-up address holds, restoring it builds a run or refuses in one sentence."""
    try:
        lab = recipe.restore(data, Limits(n_employees=100, market_size=3000))
    except InputError as exc:
        assert str(exc) == recipe.BROKEN
    else:
        assert 0 <= lab.steps <= lab.horizon
