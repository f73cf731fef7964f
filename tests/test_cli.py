"""The command line, run as a user runs it: ``python run.py ...`` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from model.metrics import METRICS
from model.params import SPECS
from model.scenario import available

SMALL_SETS = ["--set", "n_employees=30", "--set", "market_size=500", "--set", "initial_customers=100"]
STEPS = 4


def cli(repo_root, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "run.py", *args],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def simulate(repo_root, *args: str) -> subprocess.CompletedProcess:
    return cli(repo_root, "simulate", "--steps", str(STEPS), *SMALL_SETS, *args)


@pytest.fixture(scope="module")
def csv_run(repo_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run.csv"
    done = simulate(repo_root, "--seed", "7", "--set", "leadership_commitment=0.8", "--out", str(out))
    return done, out


def test_simulate_writes_a_csv_with_step_and_metric_columns(csv_run):
    done, out = csv_run
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["step", *METRICS]
    assert table.step.tolist() == list(range(STEPS + 1))
    assert table.headcount.iloc[-1] > 0


def test_simulate_writes_a_json_sidecar_with_seed_and_all_parameters(csv_run):
    done, out = csv_run
    meta = json.loads(out.with_name(out.name + ".json").read_text(encoding="utf-8"))
    assert meta["seed"] == 7
    assert meta["steps"] == STEPS
    assert meta["scenario"] == "baseline"
    params = meta["parameters"]
    assert params["n_employees"] == 30 and params["market_size"] == 500 and params["initial_customers"] == 100
    assert params["leadership_commitment"] == 0.8
    assert set(params) == set(SPECS)


def test_simulate_prints_a_summary(csv_run):
    done, out = csv_run
    assert out.name in done.stdout
    assert "seed 7" in done.stdout and "cumulative profit" in done.stdout


def test_simulate_writes_parquet_with_the_same_numbers_as_csv(repo_root, csv_run, tmp_path):
    _, csv_out = csv_run
    out = tmp_path / "deep" / "run.parquet"
    done = simulate(repo_root, "--seed", "7", "--set", "leadership_commitment=0.8", "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(out)
    assert list(table.columns) == ["step", *METRICS]
    pd.testing.assert_frame_equal(table, pd.read_csv(csv_out), check_dtype=False, rtol=1e-12)
    embedded = json.loads(pq.read_schema(out).metadata[b"cxlab"])
    sidecar = json.loads((tmp_path / "deep" / "run.parquet.json").read_text(encoding="utf-8"))
    assert embedded["seed"] == sidecar["seed"] == 7
    assert embedded["parameters"] == sidecar["parameters"]


def test_scenarios_lists_every_bundled_scenario(repo_root):
    done = cli(repo_root, "scenarios")
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.strip()]
    assert listed == available()
