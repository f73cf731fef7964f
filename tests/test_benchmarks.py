"""The A/B benchmark runs: two copies of the model side by side, stepped in turn.

``compare.py`` checks the earlier commit out as a git worktree; here it runs in a
throwaway clone in ``tmp_path``, so the repository under test is left as it was.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A clone of this repository's committed HEAD, to be changed freely."""
    dest = tmp_path_factory.mktemp("compare") / "repo"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True, capture_output=True)
    return dest


def _compare(clone: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "benchmarks/compare.py", *args],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_compare_times_this_tree_against_a_commit(clone):
    before = subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True).stdout
    out = _compare(clone, "HEAD", "--steps", "3")
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if " ms " in line or " s " in line]
    assert len(rows) == 5, out.stdout
    for row in rows:
        then, now, ratio = float(row.split()[-5]), float(row.split()[-3]), float(row.split()[-1])
        assert then > 0 and now > 0 and ratio > 0
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=clone, capture_output=True, text=True).stdout
    assert "cx-compare-" not in worktrees, "the temporary checkout is removed"
    after = subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True).stdout
    assert after == before, "the repository under test is untouched"


def test_compare_refuses_an_unknown_commit_in_one_line(clone):
    out = _compare(clone, "no-such-commit")
    assert out.returncode != 0
    assert "cannot check out 'no-such-commit'" in out.stderr and "Traceback" not in out.stderr
