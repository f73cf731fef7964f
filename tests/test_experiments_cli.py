"""The experiment command's guard rails: the estimate, confirmation of large experiments,
size limits, and the per-run timeout."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from experiments_support import SMALL

from cxlab.cli import main as cli_main
from experiments import build_design, load_spec, run_experiment
from experiments.design import Limits
from experiments.estimate import estimate

ROOT = Path(__file__).resolve().parents[1]
SPEC = f"""
[experiment]
name = "guarded"
steps = 4
replications = 2
seed = 3
metrics = ["nps", "culture_mean"]
{SMALL}
[parameters]
leadership_commitment = [0.2, 0.8]
"""


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path):
    """``cli(*args, stdin=...)`` -> (exit code, stderr), with SPEC in tmp_path/spec.toml."""

    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")

    def call(*args: str, stdin: io.StringIO | None = None) -> tuple[int, str]:
        monkeypatch.setattr("sys.stdin", stdin or io.StringIO(""))
        capsys.readouterr()
        code = cli_main(["experiment", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "out"), *args])
        return code, capsys.readouterr().err

    return call


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_estimate_is_printed_before_anything_runs(cli):
    code, err = cli("--workers", "1")
    assert code == 0
    assert "to run: 4 run(s), about" in err and "on this process (serial)" in err and "of disk" in err


def test_a_large_experiment_needs_confirmation(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("experiments.cli.LARGE_RUNS", 3)
    code, err = cli("--workers", "1")
    assert code == 2 and err.strip().splitlines()[-1] == (
        "error: this is a large experiment (see the estimate above); add --yes to start it"
    )
    assert not (tmp_path / "out").exists()  # nothing was written
    code, err = cli("--workers", "1", stdin=Terminal("n\n"))
    assert code == 2 and "not started" in err and not (tmp_path / "out").exists()
    code, _ = cli("--workers", "1", stdin=Terminal("y\n"))
    assert code == 0
    code, err = cli("--workers", "1", "--resume", "--yes")
    assert code == 0 and "0 run(s) finished" not in err


def test_limits_refuse_and_allow_large_lifts_them(cli, monkeypatch):
    monkeypatch.setattr("experiments.design.LIMITS", Limits(replications=1))
    code, err = cli("--workers", "1")
    assert (
        code == 2
        and "experiment.replications is 2, above the limit of 1; if you mean it, add --allow-large" in err
    )
    code, _ = cli("--workers", "1", "--allow-large")
    assert code == 0


def test_a_run_over_its_timeout_is_recorded_as_failed(cli, tmp_path):
    code, err = cli("--workers", "1", "--run-timeout", "0.000001")
    assert code == 1 and "4 failed" not in err
    failures = [json.loads(p.read_text()) for p in (tmp_path / "out" / "failed").glob("*.json")]
    assert len(failures) == 4 and {f["type"] for f in failures} == {"RunTimeout"}
    assert all("stopped after 1 of 4 steps" in f["message"] for f in failures)
    code, err = cli("--workers", "1", "--run-timeout", "-1")
    assert code == 2 and "--run-timeout must be a positive number" in err


def test_the_disk_estimate_is_close_to_what_is_written(tmp_path):
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    spec = load_spec(tmp_path / "spec.toml")
    design = build_design(spec)
    cost = estimate(spec, design, list(design.runs), workers=2)
    assert cost.runs == 4 and cost.seconds == pytest.approx(4 * cost.seconds_per_run / 2)
    run_experiment(spec, tmp_path / "out", progress=False)
    sizes = [p.stat().st_size for p in (tmp_path / "out" / "runs").glob("*.parquet")]
    assert 0.67 < cost.bytes_per_run / (sum(sizes) / len(sizes)) < 1.5
