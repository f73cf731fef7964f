"""The reference cases of `run.py validate`, quick mode, and their output format."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from model.validation import format_table, run_all

ROOT = Path(__file__).resolve().parents[1]


def test_every_reference_case_passes_in_quick_mode():
    rows = run_all(seed=7, quick=True)
    failed = [r for r in rows if not r["passed"]]
    assert not failed, failed
    cases = {r["case"].split()[0] for r in rows}
    assert cases == {"erlang_c", "erlang_a", "bass", "culture"}


@pytest.mark.slow
def test_full_validation_passes_and_would_reject_an_answer_25_percent_off():
    rows = run_all(seed=7)
    assert all(r["passed"] for r in rows), [r for r in rows if not r["passed"]]
    for r in rows:
        wrong = r["analytic"] * 1.25 + 0.01
        assert abs(r["simulated"] - wrong) > r["tolerance"], r


def test_validate_command_prints_json_rows():
    out = subprocess.run(
        [sys.executable, "run.py", "validate", "--json", "--quick"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {"case", "quantity", "analytic", "simulated", "tolerance", "passed"} <= set(rows[0])
    assert len(rows) >= 40


def test_format_table_counts_results():
    text = format_table(
        [{"case": "x", "quantity": "y", "analytic": 1, "simulated": 1, "tolerance": 0.1, "passed": True}]
    )
    assert "1 of 1 comparisons within tolerance" in text
