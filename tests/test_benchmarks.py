"""The A/B benchmark runs: two copies of the model side by side, stepped in turn."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_compare_times_this_tree_against_a_commit():
    out = subprocess.run(
        [sys.executable, "benchmarks/compare.py", "HEAD", "--steps", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if " ms " in line or " s " in line]
    assert len(rows) == 4, out.stdout
    for row in rows:
        then, now, ratio = float(row.split()[-5]), float(row.split()[-3]), float(row.split()[-1])
        assert then > 0 and now > 0 and ratio > 0
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "cx-compare-" not in worktrees, "the temporary checkout is removed"


def test_compare_refuses_an_unknown_commit_in_one_line():
    out = subprocess.run(
        [sys.executable, "benchmarks/compare.py", "no-such-commit"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "cannot check out 'no-such-commit'" in out.stderr and "Traceback" not in out.stderr
