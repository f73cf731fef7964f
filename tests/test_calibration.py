"""Calibration: the targets file, the measures, the fit, and its command line."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pandas as pd
import pytest

from cxlab.cli import main
from model.calibration import (
    MEASURES,
    TARGETS,
    CalibrationError,
    Target,
    fittable,
    load_targets,
    measure,
    parse_targets,
)
from model.scenario import load_scenario

SMALL = "n_employees = 60\nmarket_size = 1500\ninitial_customers = 300\n"


def table(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"step": range(n), **columns})


def test_measures_on_a_hand_built_table():
    t = table(
        abandonment_rate=[0, 0.1, 0.2, 0.0],
        contacts=[0, 100, 300, 0],
        churn_rate=[0, 0.01, 0.01, 0.01],
        complaints=[0, 1, 2, 3],
        problems=[0, 2, 4, 6],
        wom_negative=[0, 32, 0, 0],
        warners=[0, 2, 0, 0],
    )
    window = (1, 3)
    assert measure("abandonment", t, window) == pytest.approx((0.1 * 100 + 0.2 * 300) / 400)
    assert measure("churn", t, window) == pytest.approx(1 - 0.99**52)
    assert measure("complaint_share", t, window) == pytest.approx(0.5)
    assert measure("reach_bad", t, window) == pytest.approx(16.0)
    assert measure("abandonment", t, (3, 3)) == 0.0 or math.isnan(measure("abandonment", t, (3, 3)))


def test_the_bundled_targets_are_those_of_model_md_section_7():
    targets = load_targets(TARGETS)
    got = {t.measure: (t.low, t.high) for t in targets.targets}
    assert got["abandonment"] == (0.04, 0.10)
    assert got["speed_of_answer"] == (15, 90)
    assert got["first_contact_resolution"] == (0.60, 0.78)
    assert got["service_turnover"] == (0.25, 0.45)
    assert got["employee_turnover"] == (0.10, 0.25)
    assert got["nps"] == (0, 35)
    assert got["churn"] == (0.10, 0.30)
    assert all(t.source for t in targets.targets)
    assert targets.window == (53, 156) and targets.scenario == "baseline"


def test_distance_is_zero_inside_and_grows_outside_in_range_widths():
    t = Target("nps", 0, 35, "")
    assert t.distance(10) == 0 and t.distance(0) == 0 and t.distance(35) == 0
    assert t.distance(42) == pytest.approx(7 / 35) and t.distance(-35) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"target": [{"measure": "happiness", "low": 0, "high": 1}]}, "unknown measure 'happiness'"),
        ({"target": [{"measure": "nps", "low": 50, "high": 10}]}, "above high"),
        ({"target": [{"measure": "churn", "low": 1.5, "high": 2}]}, "impossible"),
        ({"target": [{"measure": "nps", "low": "a", "high": 1}]}, "must be numbers"),
        ({"target": []}, "no [[target]]"),
        ({"firm": {"window": [100, 10]}, "target": [{"measure": "nps", "low": 0, "high": 1}]}, "window"),
        ({"firm": 3, "target": [{"measure": "nps", "low": 0, "high": 1}]}, "must be a table"),
        ({"targets": []}, "unknown section"),
    ],
)
def test_a_bad_targets_file_is_refused_in_one_line(data, fragment):
    with pytest.raises(CalibrationError, match=None) as err:
        parse_targets(data, "mine.toml")
    assert fragment in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("names", "fragment"),
    [
        (["empowerment"], "policy lever"),
        (["n_employees"], "shapes the world"),
        (["onboarding_weeks"], "whole number"),
        (["expectation_bas"], "no such parameter"),
        (["base_churn", "base_churn"], "once"),
    ],
)
def test_parameters_that_cannot_be_fitted_are_named(names, fragment):
    with pytest.raises(CalibrationError) as err:
        fittable(names)
    assert fragment in str(err.value)


def test_every_measure_declares_its_possible_range():
    for name, m in MEASURES.items():
        assert m.lo <= m.hi, name


@pytest.fixture
def small_firm(tmp_path):
    scenario = tmp_path / "small.toml"
    scenario.write_text(f'[scenario]\ntitle = "Small"\n\n[parameters]\n{SMALL}')
    targets = tmp_path / "targets.toml"
    targets.write_text(
        f'[firm]\nscenario = "{scenario}"\nsteps = 30\nwindow = [10, 30]\n\n'
        '[[target]]\nmeasure = "churn"\nlow = 0.25\nhigh = 0.30\nsource = "our own books"\n'
    )
    return targets


def test_calibrate_fits_a_constant_reproducibly_and_writes_a_loadable_scenario(small_firm, tmp_path, capsys):
    outs = []
    for name in ("a.toml", "b.toml"):
        out = tmp_path / name
        code = main(
            [
                "calibrate",
                str(small_firm),
                "--fit",
                "base_churn",
                "--out",
                str(out),
                "--seeds",
                "2",
                "--trials",
                "4",
                "--seed",
                "3",
                "--workers",
                "1",
            ]
        )
        assert code == 0
        outs.append(tomllib.loads(out.read_text())["parameters"]["base_churn"])
        loaded = load_scenario(out)
        assert loaded.parameters["n_employees"] == 60  # the firm's own values kept
    assert outs[0] == outs[1], "same seed, same calibration"
    printed = capsys.readouterr().out
    assert "churn" in printed and "fitted: base_churn" in printed


def test_calibrate_without_fit_checks_the_targets(small_firm, capsys):
    assert main(["calibrate", str(small_firm), "--seeds", "2", "--workers", "1"]) == 0
    assert "targets inside their range" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--fit", "empowerment", "--out", "x.toml"], "policy lever"),
        (["--fit", "base_churn"], "--out"),
        (["--fit", "base_churn", "--out", "x.csv"], "--out"),
        (["--seeds", "1"], "--seeds must be at least 2"),
    ],
)
def test_calibrate_mistakes_end_in_one_line(small_firm, tmp_path, capsys, args, fragment):
    code = main(["calibrate", str(small_firm), *args, "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and err.count("\n") == 1 and "Traceback" not in err


def test_calibrate_names_a_missing_targets_file(tmp_path, capsys):
    assert main(["calibrate", str(tmp_path / "none.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_fit_moves_the_measure_toward_the_target(small_firm):
    """Fitting base_churn to a churn band far above the default's lands inside it or much closer."""
    from model.calibration import fit, load_targets
    from model.claims import Condition, run

    targets = load_targets(small_firm)
    condition = Condition(targets.scenario, steps=targets.steps)

    def runner(jobs):
        return [run(*job) for job in jobs]

    base = {"base_churn": 0.005}
    before = np.mean([measure("churn", run(condition, s, base), targets.window) for s in range(2)])
    values, rows, _ = fit(targets, ["base_churn"], base, runner, 2, 8, 1, condition)
    after = rows[0]["value"]
    assert abs(after - 0.275) < abs(before - 0.275)
    assert values["base_churn"] > 0.005
