"""Outcomes as data: derived outcomes computed exactly on hand-built tables, checked in specs,
and changed on an existing experiment without rerunning anything."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from experiments_support import SMALL, CountingExecutor

from cxlab.cli import main as cli_main
from experiments import SpecError, load_results, load_spec, read_manifest, run_experiment
from experiments.analysis import outcomes_of, per_run
from experiments.outcomes import Outcome, outcome_table
from experiments.report import write_report
from experiments.spec import parse_spec

ROOT = Path(__file__).resolve().parents[1]
SPEC = f"""
[experiment]
name = "outcomes"
steps = 6
replications = 2
seed = 5
metrics = ["nps", "culture_mean", "revenue", "cost"]
{SMALL}
[parameters]
leadership_commitment = [0.2, 0.8]
"""


def table() -> pd.DataFrame:
    """Two runs over weeks 0..5, with values chosen so every statistic has one right answer."""
    a = {"x": [5, 3, 1, 2, 6, 7], "y": [4, 4, 4, 4, 4, 4]}
    b = {"x": [0, 1, 2, 3, 4, 5], "y": [9, 9, 1, 9, 9, 9]}
    rows = []
    for run_id, cond, values in (("r0", 0, a), ("r1", 1, b)):
        for step in range(6):
            rows.append(
                {
                    "run_id": run_id,
                    "condition": cond,
                    "step": step,
                    "nps": values["x"][step],
                    "revenue": values["y"][step],
                }
            )
    return pd.DataFrame(rows).sample(frac=1, random_state=1)  # order must not matter


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (Outcome("o", "nps"), [7, 5]),
        (Outcome("o", "nps", "mean"), [4, 2.5]),
        (Outcome("o", "nps", "mean", weeks=(1, 3)), [2, 2]),
        (Outcome("o", "nps", "min"), [1, 0]),
        (Outcome("o", "nps", "max", weeks=(0, 2)), [5, 2]),
        (Outcome("o", "nps", "at", week=3), [2, 3]),
        (Outcome("o", "nps", "first_above", threshold=4), [0, 5]),
        (Outcome("o", "nps", "first_above", threshold=4.5, after=5), [5, 5]),
        (Outcome("o", "nps", "first_above", threshold="initial"), [4, 1]),  # recovers above its week-0 value
        (Outcome("o", "nps", "first_below", threshold=2, after=1), [2, 1]),
        (Outcome("o", "nps", "first_below", threshold=0.5), [np.nan, 0]),
        (Outcome("o", "nps", "first_above", threshold=100), [np.nan, np.nan]),
        (Outcome("o", "nps", "overtakes", other="revenue"), [4, 2]),
        (Outcome("o", "nps", "overtakes", other="revenue", after=3), [4, np.nan]),
    ],
)
def test_each_statistic_on_a_hand_built_table(outcome, expected):
    out = outcome_table(table(), (outcome,), ["condition"])
    assert out.run_id.tolist() == ["r0", "r1"]
    np.testing.assert_array_equal(out["o"].to_numpy(dtype=float), np.array(expected, dtype=float))


def spec_with(extra: str) -> dict:
    import tomllib

    return tomllib.loads(SPEC + extra)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[outcomes]\nx = { metric = "nps", stat = "median" }\n', "stat must be one of"),
        ('[outcomes]\nx = { metric = "npz" }\n', "unknown metric 'npz'. Did you mean nps"),
        (
            '[outcomes]\nx = { metric = "nps", stat = "mean", weeks = [4, 2] }\n',
            "weeks must be [first, last]",
        ),
        ('[outcomes]\nx = { metric = "nps", stat = "mean", weeks = [0, 60] }\n', "within 0..6"),
        ('[outcomes]\nx = { metric = "nps", stat = "at" }\n', "week must be a whole number"),
        ('[outcomes]\nx = { metric = "nps", stat = "min", week = 3 }\n', "week does not apply"),
        ('[outcomes]\nx = { metric = "nps", stat = "overtakes" }\n', 'needs other = "<metric>"'),
        ('[outcomes]\nx = { metric = "nps", stat = "first_above", threshold = "high" }\n', "a number or"),
        ('[outcomes]\nx = { metric = "nps", windw = 3 }\n', "unknown key 'windw'"),
        ('[outcomes]\nx = { metric = "wellbeing_mean" }\n', "not recorded"),
        ('[outcomes]\nnps = { metric = "nps" }\n', "already a metric"),
        ("[outcomes]\nx = 3\n", "must be a table"),
        ('[report]\noutcomes = ["nope"]\n', "neither a metric nor an outcome"),
        (
            '[report]\noutcomes = ["nps"]\ndiscovery = { outcome = "culture_mean", below = 0 }\n',
            "one of report.outcomes",
        ),
        ('[report]\noutcomes = ["nps"]\ndiscovery = { outcome = "nps" }\n', "exactly one of below"),
    ],
)
def test_bad_outcomes_are_one_line_spec_errors(extra, message):
    with pytest.raises(SpecError) as info:
        parse_spec(spec_with(extra))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_windowed_outcome_needs_its_weeks_recorded():
    text = SPEC.replace("seed = 5", 'seed = 5\nrecord = "final"')
    import tomllib

    with pytest.raises(SpecError, match="needs more than the final week"):
        parse_spec(tomllib.loads(text + '[outcomes]\nlow = { metric = "nps", stat = "min" }\n'))
    with pytest.raises(SpecError, match="week 3 is not recorded"):
        parse_spec(tomllib.loads(text + '[outcomes]\nw3 = { metric = "nps", stat = "at", week = 3 }\n'))


def test_outcomes_change_on_an_existing_experiment_without_rerunning(tmp_path, monkeypatch, capsys):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(SPEC, encoding="utf-8")
    out = tmp_path / "out"
    run_experiment(load_spec(spec_path), out, progress=False)
    before = {p.name: p.read_bytes() for p in (out / "runs").iterdir()}

    changed = SPEC + (
        '[outcomes]\nlow_nps = { metric = "nps", stat = "min", weeks = [2, 6] }\n'
        'break_even = { metric = "revenue", stat = "overtakes", other = "cost" }\n'
        '[report]\noutcomes = ["low_nps", "break_even", "culture_mean"]\n'
    )
    spec_path.write_text(changed, encoding="utf-8")
    counting = CountingExecutor()
    summary = run_experiment(load_spec(spec_path), out, executor=counting, resume=True, progress=False)
    assert counting.seen == [] and summary.skipped == 4
    assert {p.name: p.read_bytes() for p in (out / "runs").iterdir()} == before
    manifest = read_manifest(out)
    assert [o.name for o in outcomes_of(manifest)] == ["low_nps", "break_even", "culture_mean"]
    assert manifest["history"][-1]["action"] == "report settings updated"

    write_report(out)
    runs = pd.read_csv(out / "report" / "outcomes.csv")
    results = load_results(out)
    for run_id, group in results.groupby("run_id"):
        expected = group[group.step.between(2, 6)].nps.min()
        assert runs.loc[runs.run_id == run_id, "low_nps"].item() == pytest.approx(expected)
    summary_csv = pd.read_csv(out / "report" / "summary.csv")
    assert set(summary_csv.outcome) == {"low_nps", "break_even", "culture_mean"}

    # the same through the command line: report --spec adopts new settings, nothing runs

    spec_path.write_text(SPEC + '[report]\noutcomes = ["nps"]\n', encoding="utf-8")
    assert cli_main(["report", str(out), "--spec", str(spec_path)]) == 0
    assert "report settings updated" in capsys.readouterr().err
    assert [o.name for o in outcomes_of(read_manifest(out))] == ["nps"]
    assert {p.name: p.read_bytes() for p in (out / "runs").iterdir()} == before
    spec_path.write_text(SPEC.replace("steps = 6", "steps = 7"), encoding="utf-8")
    assert cli_main(["report", str(out), "--spec", str(spec_path)]) == 2
    assert "different experiment" in capsys.readouterr().err


def test_inputs_as_columns_on_request(tmp_path):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(SPEC.replace('name = "outcomes"', 'name = "inputs"\nscenario = "understaffed"'))
    out = tmp_path / "out"
    spec = load_spec(spec_path)
    run_experiment(spec, out, progress=False)
    plain, wide = load_results(out), load_results(out, inputs=True)
    assert "n_employees" not in plain and (wide["n_employees"] == 40).all()
    for name, value in spec.scenario.parameters.items():
        assert (wide[name] == value).all()
    assert list(wide.columns).index("step") > list(wide.columns).index("n_employees")
    pd.testing.assert_frame_equal(wide[plain.columns], plain)


def test_per_run_outcomes_follow_the_manifest(tmp_path):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(SPEC + '[outcomes]\nmean_culture = { metric = "culture_mean", stat = "mean" }\n')
    out = tmp_path / "out"
    run_experiment(load_spec(spec_path), out, progress=False)
    manifest = read_manifest(out)
    runs = per_run(manifest, load_results(out))
    assert list(runs.columns) == [
        "run_id",
        "condition",
        "replicate",
        "seed",
        "leadership_commitment",
        "mean_culture",
    ]
    results = load_results(out)
    assert runs.mean_culture.tolist() == pytest.approx(
        [results[results.run_id == r].culture_mean.mean() for r in runs.run_id]
    )
    assert json.loads(json.dumps(manifest["report"]))["declared"]["mean_culture"]["stat"] == "mean"
