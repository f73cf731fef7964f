"""The command line, run as a user runs it: ``python run.py ...`` in a subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cxlab.cli import main
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


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "broken.toml").write_text("[parameters\n", encoding="utf-8")
    (d / "cycle.csv").write_text(
        "id,manager_id,department\nceo,,executive\na,b,sales\nb,a,sales\n", encoding="utf-8"
    )
    (d / "latin1.csv").write_bytes(b"id,manager_id,department\nm\xfcller,,executive\n")
    return d


MISTAKES = {
    "set_without_equals": (["--set", "leadership_commitment"], r"--set expects name=value"),
    "unknown_parameter": (["--set", "leadership_comitment=0.5"], r"leadership_commitment"),
    "value_not_a_number": (["--set", "leadership_commitment=high"], r"must be a number"),
    "value_out_of_range": (["--set", "leadership_commitment=7"], r"out of range"),
    "integer_nan": (["--set", "n_employees=nan"], r"n_employees"),
    "unknown_scenario": (["--scenario", "no_such_firm"], r"unknown scenario.*baseline"),
    "malformed_scenario": (["--scenario", "{bad}/broken.toml"], r"broken.toml"),
    "cyclic_org_chart": (["--org-chart", "{bad}/cycle.csv"], r"cycle"),
    "latin1_org_chart": (["--org-chart", "{bad}/latin1.csv"], r"latin1.csv"),
    "missing_org_chart": (["--org-chart", "{bad}/nowhere.csv"], r"does not exist"),
    "bad_out_suffix": (["--out", "{bad}/run.xlsx"], r"\.csv or \.parquet"),
    "zero_steps": (["--steps", "0"], r"--steps"),
    "negative_seed": (["--seed", "-1"], r"seed"),
}


def main_in_process(capsys, argv: list[str]) -> tuple[int, str]:
    """``cxlab.cli.main(argv)`` in this process: (exit code, stderr). An exception
    escaping ``main`` is what a user would see as a traceback."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    except Exception as exc:  # noqa: BLE001 - any escape is the failure under test
        pytest.fail(f"{type(exc).__name__} escaped cxlab.cli.main (a traceback for the user): {exc}")
    return code, capsys.readouterr().err


def assert_one_line_error(code, stderr: str, pattern: str) -> None:
    assert "Traceback" not in stderr, stderr[-800:]
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert re.search(pattern, lines[0]), lines[0]


@pytest.mark.parametrize("case", ["unknown_parameter", "zero_steps"])
def test_user_mistake_in_a_real_process_exits_2_with_one_line_error(repo_root, bad_files, case):
    args, pattern = MISTAKES[case]
    done = simulate(repo_root, *[a.format(bad=bad_files) for a in args])
    assert_one_line_error(done.returncode, done.stderr, pattern)
    assert not (bad_files / "run.xlsx").exists()


@pytest.mark.parametrize("case", list(MISTAKES))
def test_user_mistake_exits_2_with_one_line_error_and_no_traceback(repo_root, bad_files, capsys, case):
    """Every mistake through ``cxlab.cli.main`` in-process (a subprocess per case
    would cost ~1.7 s of imports each; the real-process path is covered above).

    Known failures: ``n_employees=nan`` (ValueError in coerce), a Latin-1
    org chart (UnicodeDecodeError) and ``--seed -1`` (numpy's ValueError)
    escape ``main`` and end in a traceback with exit code 1."""
    args, pattern = MISTAKES[case]
    argv = ["simulate", "--steps", str(STEPS), *SMALL_SETS, *[a.format(bad=bad_files) for a in args]]
    code, stderr = main_in_process(capsys, argv)
    assert_one_line_error(code, stderr, pattern)


def test_argument_parser_mistake_exits_2_without_traceback(repo_root):
    done = cli(repo_root, "simulate", "--steps", "many")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "error:" in done.stderr.strip().splitlines()[-1]
