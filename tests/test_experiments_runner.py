"""The experiment runner: streaming Parquet store, failures, resume, kill -9, processes, report, Mesa."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import mesa
import pandas as pd
import pytest
from experiments_support import CountingExecutor, flaky_task, write

from cxlab.cli import main as cli_main
from experiments import (
    ProcessExecutor,
    SpecError,
    build_design,
    load_failures,
    load_results,
    load_spec,
    read_manifest,
    run_experiment,
)
from experiments.analysis import final_values, mean_interval
from experiments.evaluate import run_task
from experiments.executors import WorkerLost
from experiments.report import write_report
from experiments.runner import make_task
from model import CultureModel
from model.metrics import METRICS

ROOT = Path(__file__).resolve().parents[1]
SMALL = "[constants]\nn_employees = 50\nmarket_size = 2000\ninitial_customers = 400\n"

GRID = f"""
[experiment]
name = "grid"
steps = 6
replications = 2
seed = 11
metrics = ["nps", "cumulative_profit", "culture_mean"]
{SMALL}
[parameters]
leadership_commitment = [0.2, 0.8]
service_staffing = [0.8, 1.2]
"""

FAILING = GRID.replace('name = "grid"', 'name = "failing"')
FAILED_IDS = ["c2-r0", "c2-r1", "c3-r0", "c3-r1"]  # leadership_commitment = 0.8


def run_spec(tmp_path: Path, text: str, out: str = "out", **kwargs):
    spec = load_spec(write(tmp_path, text))
    summary = run_experiment(spec, tmp_path / out, progress=False, **kwargs)
    return spec, summary, tmp_path / out


def crash_on_three(x: int) -> int:
    """For the process executor: the worker running task 3 dies."""
    if x == 3:
        os._exit(1)
    time.sleep(0.05)
    return x * 10


# ---------------------------------------------------------------- store and table
def test_results_are_one_tidy_table_with_a_manifest(tmp_path):
    spec, summary, out = run_spec(tmp_path, GRID)
    assert (summary.total, summary.finished, summary.failed) == (8, 8, 0)
    assert len(list((out / "runs").glob("*.parquet"))) == 8
    table = load_results(out)
    assert list(table.columns) == [
        "run_id",
        "condition",
        "replicate",
        "seed",
        "leadership_commitment",
        "service_staffing",
        "step",
        "nps",
        "cumulative_profit",
        "culture_mean",
    ]
    assert len(table) == 8 * 7
    assert table.groupby("run_id")["step"].apply(list).map(lambda s: s == list(range(7))).all()
    manifest = read_manifest(out)
    design = build_design(spec)
    assert manifest["spec"] == json.loads(json.dumps(spec.as_dict()))
    assert [r[0] for r in manifest["design"]["runs"]] == [r.run_id for r in design.runs]
    assert dict(zip(table.run_id, table.seed, strict=True)) == {r.run_id: r.seed for r in design.runs}
    assert {"mesa", "numpy", "pandas", "SALib", "python"} <= set(manifest["versions"])
    assert manifest["spec_toml"] == GRID


def test_a_run_equals_the_model_run_directly(tmp_path):
    spec, _, out = run_spec(tmp_path, GRID)
    table = load_results(out)
    run = build_design(spec).runs[5]
    assert run.condition == 2  # leadership_commitment 0.8, service_staffing 0.8
    model = CultureModel(
        spec.scenario, rng=run.seed, **spec.constants, leadership_commitment=0.8, service_staffing=0.8
    )
    for _ in range(spec.steps):
        model.step()
    mine = table[table.run_id == run.run_id]
    assert mine["nps"].tolist() == model.datacollector.get_model_vars_dataframe()["nps"].tolist()


@pytest.mark.parametrize(
    ("record", "steps"), [('"final"', [6]), ("4", [0, 4, 6]), ('"every_step"', list(range(7)))]
)
def test_record_keeps_the_requested_steps(tmp_path, record, steps):
    text = GRID.replace("seed = 11\n", f"seed = 11\nrecord = {record}\n").replace(
        "replications = 2", "replications = 1"
    )
    _, _, out = run_spec(tmp_path, text)
    table = load_results(out)
    assert sorted(table.step.unique().tolist()) == steps
    assert len(table) == 4 * len(steps)


def test_all_metrics_by_default(tmp_path):
    text = GRID.replace('metrics = ["nps", "cumulative_profit", "culture_mean"]\n', "")
    _, _, out = run_spec(tmp_path, text.replace("replications = 2", "replications = 1"))
    assert set(METRICS) <= set(load_results(out).columns)


# ---------------------------------------------------------------- failures and resume
def test_failed_runs_are_recorded_and_do_not_stop_the_others(tmp_path):
    _, summary, out = run_spec(tmp_path, FAILING, task_fn=flaky_task)
    assert (summary.finished, summary.failed) == (4, 4)
    failures = load_failures(out)
    assert sorted(failures.run_id) == FAILED_IDS
    assert set(failures.type) == {"ParameterError"}
    assert failures["leadership_commitment"].eq(0.8).all()
    record = json.loads((out / "failed" / "c2-r0.json").read_text())
    assert "n_employees" in record["message"] and "Traceback" in record["traceback"] and record["seed"] > 0
    assert set(load_results(out)["leadership_commitment"]) == {0.2}


def test_resume_runs_only_what_is_missing(tmp_path):
    spec, _, out = run_spec(tmp_path, GRID)
    before = load_results(out)
    for run_id in ("c0-r1", "c3-r0"):
        (out / "runs" / f"{run_id}.parquet").unlink()
    counting = CountingExecutor()
    summary = run_experiment(spec, out, executor=counting, resume=True, progress=False)
    assert sorted(counting.seen) == ["c0-r1", "c3-r0"]
    assert (summary.skipped, summary.finished) == (6, 2)
    pd.testing.assert_frame_equal(load_results(out), before)
    again = CountingExecutor()
    run_experiment(spec, out, executor=again, resume=True, progress=False)
    assert again.seen == []


def test_resume_reruns_a_run_file_that_does_not_read_back(tmp_path):
    spec, _, out = run_spec(tmp_path, GRID)
    before = load_results(out)
    (out / "runs" / "c1-r0.parquet").write_bytes(b"truncated by a crash")
    counting = CountingExecutor()
    with pytest.warns(UserWarning, match=r"c1-r0.parquet is damaged .*moved to"):
        run_experiment(spec, out, executor=counting, resume=True, progress=False)
    assert counting.seen == ["c1-r0"]
    pd.testing.assert_frame_equal(load_results(out), before)


def test_resume_retries_failed_runs_without_duplicates(tmp_path):
    spec, _, out = run_spec(tmp_path, FAILING, task_fn=flaky_task)
    counting = CountingExecutor()
    summary = run_experiment(spec, out, executor=counting, resume=True, progress=False, task_fn=flaky_task)
    assert sorted(counting.seen) == FAILED_IDS
    assert summary.failed == 4
    assert len(list((out / "failed").glob("*.json"))) == 4
    assert load_results(out).run_id.nunique() == 4
    fixed = run_experiment(spec, out, resume=True, progress=False)  # the model bug is fixed
    assert (fixed.finished, fixed.failed) == (4, 0)
    assert not list((out / "failed").glob("*.json"))
    assert load_results(out).run_id.nunique() == 8


def test_existing_results_are_protected(tmp_path):
    spec, _, out = run_spec(tmp_path, GRID)
    with pytest.raises(SpecError, match="use --resume"):
        run_experiment(spec, out, progress=False)
    changed = load_spec(write(tmp_path, GRID.replace("steps = 6", "steps = 7"), "changed.toml"))
    with pytest.raises(SpecError, match=r"spec changed.*steps: 6 -> 7"):
        run_experiment(changed, out, resume=True, progress=False)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(SpecError, match="not empty"):
        run_experiment(spec, tmp_path / "other", progress=False)


def test_report_settings_may_change_on_resume(tmp_path):
    spec, _, out = run_spec(tmp_path, GRID)
    text = GRID + '\n[report]\noutcomes = ["nps"]\n'
    resumed = run_experiment(load_spec(write(tmp_path, text, "s2.toml")), out, resume=True, progress=False)
    assert resumed.skipped == 8


# ---------------------------------------------------------------- processes
def test_processes_reproduce_serial_results_and_failures(tmp_path):
    spec = load_spec(write(tmp_path, FAILING))
    run_experiment(spec, tmp_path / "serial", progress=False, task_fn=flaky_task)
    with ProcessExecutor(2) as executor:
        run_experiment(spec, tmp_path / "procs", executor=executor, progress=False, task_fn=flaky_task)
    pd.testing.assert_frame_equal(load_results(tmp_path / "serial"), load_results(tmp_path / "procs"))
    assert sorted(load_failures(tmp_path / "procs").run_id) == FAILED_IDS


def test_a_dying_worker_loses_only_its_own_task():
    with ProcessExecutor(2) as executor:
        outcomes = dict(executor.run(crash_on_three, range(8)))
    assert sorted(outcomes) == list(range(8))
    assert isinstance(outcomes[3], WorkerLost)
    assert {k: v for k, v in outcomes.items() if k != 3} == {k: 10 * k for k in range(8) if k != 3}


def test_kill_9_mid_experiment_then_resume_loses_and_duplicates_nothing(tmp_path):
    text = GRID.replace("replications = 2", "replications = 8").replace("steps = 6", "steps = 25")
    spec_path = write(tmp_path, text)
    out = tmp_path / "out"
    total = len(build_design(load_spec(spec_path)).runs)
    cmd = [sys.executable, "run.py", "experiment", str(spec_path), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while len(list((out / "runs").glob("*.parquet"))) < 3:
            assert proc.poll() is None, "runner ended before it could be killed"
            assert time.monotonic() < deadline, "runner made no progress"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its worker processes, if any are left
        except ProcessLookupError:
            pass
    done_before = {p.stem for p in (out / "runs").glob("*.parquet")}
    assert 3 <= len(done_before) < total
    spec = load_spec(spec_path)
    counting = CountingExecutor()
    summary = run_experiment(spec, out, executor=counting, resume=True, progress=False)
    assert set(counting.seen).isdisjoint(done_before)
    assert summary.finished + summary.skipped == total and summary.failed == 0
    table = load_results(out)
    assert table.run_id.nunique() == total and len(table) == total * (spec.steps + 1)
    assert not list(out.rglob("*.tmp"))
    design = build_design(spec)
    for run in design.runs[:2]:  # runs finished before the kill equal a fresh run
        fresh = run_task(make_task(spec, design, run)).table
        mine = table[table.run_id == run.run_id][fresh.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, fresh)


# ---------------------------------------------------------------- report
def test_report_for_a_grid(tmp_path):
    _, _, out = run_spec(tmp_path, FAILING, task_fn=flaky_task)
    assert cli_main(["report", str(out)]) == 0
    report = out / "report"
    assert (report / "index.html").is_file()
    pngs = {p.name for p in report.glob("*.png")}
    assert {"trajectory_nps.png", "final_nps.png", "final_culture_mean.png"} <= pngs
    summary = pd.read_csv(report / "summary.csv")
    finals = final_values(load_results(out))
    row = summary[(summary.condition == 0) & (summary.outcome == "nps")].iloc[0]
    mean, lo, hi = mean_interval(finals[finals.condition == 0]["nps"])
    assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((mean, lo, hi))
    page = (report / "index.html").read_text()
    assert "Failed runs" in page and "final_nps.png" in page


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_report_has_sensitivity_indices(tmp_path, method):
    text = f"""
[experiment]
name = "{method}"
steps = 3
replications = 1
seed = 3
record = "final"
metrics = ["nps", "culture_mean"]
{SMALL}
[sampling]
method = "{method}"
samples = 4

[sampling.ranges]
leadership_commitment = [0.0, 1.0]
employee_care = [0.0, 1.0]
"""
    _, _, out = run_spec(tmp_path, text)
    write_report(out)
    table = pd.read_csv(out / "report" / "sensitivity.csv")
    assert set(table.factor) == {"leadership_commitment", "employee_care"}
    assert set(table.outcome) == {"nps", "culture_mean"}
    assert ("ST" if method == "sobol" else "mu_star") in table
    assert (out / "report" / "sensitivity_nps.png").is_file()


def test_report_command_on_a_directory_without_results(tmp_path, capsys):
    assert cli_main(["report", str(tmp_path)]) == 2
    assert "no manifest.json" in capsys.readouterr().err


# ---------------------------------------------------------------- Mesa
def test_mesa_batch_run_gives_our_metrics():
    small = {"n_employees": 50, "market_size": 2000, "initial_customers": 400}
    rows = mesa.batch_run(
        CultureModel,
        parameters={"leadership_commitment": [0.2, 0.8], **small},
        rng=[21, 22],
        max_steps=4,
        number_processes=1,
        display_progress=False,
    )
    assert len(rows) == 4
    assert all(set(METRICS) <= set(row) for row in rows)
    row = next(r for r in rows if r["leadership_commitment"] == 0.8 and r["rng"] == 22)
    model = CultureModel(rng=22, leadership_commitment=0.8, **small)
    for _ in range(4):
        model.step()
    assert row["nps"] == model.metrics["nps"] and row["Step"] == 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Mesa 3.5 prefers rng= to iterations=
        rows = mesa.batch_run(
            CultureModel,
            parameters=small,
            iterations=2,
            max_steps=2,
            number_processes=1,
            display_progress=False,
        )
    assert len(rows) == 2 and all("cumulative_profit" in r for r in rows)
