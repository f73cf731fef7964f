"""Reading and writing files: atomic writes, temp files left by killed processes, errors in words."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from model.files import atomic_write, clean_temps, temp_path, why


def test_a_failed_atomic_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("old", encoding="utf-8")

    def half_then_fail(tmp):
        tmp.write_text("ne", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        atomic_write(path, half_then_fail)
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]
    atomic_write(path, lambda tmp: tmp.write_text("new", encoding="utf-8"))
    assert path.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_temps_of_ended_processes_are_cleaned_and_a_running_ones_kept(tmp_path):
    path = tmp_path / "run [1].csv"  # glob's special characters in the name
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = path.with_name(f".{path.name}.{int(ended.stdout)}.tmp")
    mine = temp_path(path)
    other = tmp_path / ".other.csv.1.tmp"
    for p in (dead, mine, other):
        p.write_text("partial", encoding="utf-8")
    clean_temps(path)
    assert not dead.exists()
    assert mine.exists() and mine.name == f".{path.name}.{os.getpid()}.tmp", "this process still runs"
    assert other.exists(), "another file's temp is not this file's to clean"


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (OSError(28, "No space left on device"), "no space left on device"),
        (OSError("[Errno 30] Error writing bytes to file. Detail: [errno 30] Read-only file system"), "read-only file system"),
        (OSError("something else\nand more"), "something else"),
    ],
)  # fmt: skip
def test_why_gives_the_reason_in_words_also_for_pyarrows_errors(exc, reason):
    assert why(exc) == reason
