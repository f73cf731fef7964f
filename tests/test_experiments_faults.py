"""Fault injection: the experiment store survives kills at chosen moments, killed workers, two
runners, damaged files in every place it reads, and a full disk.

Outcome of each fault, as the tests check it:

| fault | outcome |
| --- | --- |
| kill -9 before/after the manifest's rename (new experiment) | the next start, with or without --resume, completes it |
| kill -9 before/after a run file's or a failure record's rename | --resume completes it; nothing lost, duplicated or left over |
| kill -9 before/after the manifest's rename when extending | the old or the new plan stands; --resume completes the grown experiment |
| kill -9 before the manifest's rename when only report settings change | the old settings stand; the next resume adopts the new ones |
| a pool worker killed mid-experiment | the pool is rebuilt, the runs in flight are retried, none fails |
| a second runner on the same folder | exit 2, one line: another runner is writing |
| damaged spec, manifest, failure record, run file; strays and copies | exit 2 with one line naming the file, or (strays) a warning and the file ignored |
| the disk fills up mid-experiment | exit 2, one line with the runs saved; after making room --resume completes it |
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from experiments_support import SMALL, flaky_task, write

from cxlab.cli import main as cli_main
from experiments import ProcessExecutor, load_failures, load_results, load_spec, read_manifest, run_experiment

ROOT = Path(__file__).resolve().parents[1]
SPEC = f"""
[experiment]
name = "faults"
steps = 3
replications = 3
seed = 21
metrics = ["nps", "culture_mean", "cumulative_profit"]
{SMALL}
[parameters]
leadership_commitment = [0.2, 0.8]
"""
FAILING = ["c1-r0", "c1-r1", "c1-r2"]  # leadership_commitment 0.8 raises in flaky_task

HARNESS = r"""
import fnmatch, os, signal, sys
from pathlib import Path

root, pattern, nth, when, spec_path, out, resume = sys.argv[1:8]
sys.path[:0] = [root, os.path.join(root, "tests")]
real, seen = os.replace, [0]


def replace(src, dst, **kwargs):
    if not fnmatch.fnmatch(Path(dst).name, pattern):
        return real(src, dst, **kwargs)
    seen[0] += 1
    if seen[0] == int(nth) and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst, **kwargs)
    if seen[0] == int(nth):
        os.kill(os.getpid(), signal.SIGKILL)


os.replace = replace
from experiments import load_spec, run_experiment
from experiments_support import flaky_task

run_experiment(load_spec(spec_path), out, resume=resume == "resume", progress=False, task_fn=flaky_task)
sys.exit(3)  # the chosen moment never came
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[int, pd.DataFrame]:
    """The results of an undisturbed run, by replication count."""
    base = tmp_path_factory.mktemp("reference")
    tables = {}
    for reps in (3, 5):
        spec = load_spec(
            write(base, SPEC.replace("replications = 3", f"replications = {reps}"), f"r{reps}.toml")
        )
        run_experiment(spec, base / f"r{reps}", progress=False, task_fn=flaky_task)
        tables[reps] = load_results(base / f"r{reps}")
    return tables


def kill_at(pattern: str, nth: int, when: str, spec: Path, out: Path, resume: bool = False) -> None:
    """Run the experiment in a subprocess that SIGKILLs itself at the ``nth`` rename onto ``pattern``."""
    args = [str(ROOT), pattern, str(nth), when, str(spec), str(out), "resume" if resume else "new"]
    done = subprocess.run([sys.executable, "-c", HARNESS, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]


def assert_complete(out: Path, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(load_results(out), expected)
    assert sorted(load_failures(out).run_id) == FAILING
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert not (out / "strays").exists()


@pytest.mark.parametrize(
    ("pattern", "nth", "when", "restart"),
    [
        ("manifest.json", 1, "before", "resume"),
        ("manifest.json", 1, "before", "fresh"),
        ("manifest.json", 1, "after", "resume"),
        ("manifest.json", 1, "after", "fresh"),
        ("*.parquet", 1, "before", "resume"),
        ("*.parquet", 2, "after", "resume"),
        ("c1-r*.json", 1, "before", "resume"),
        ("c1-r*.json", 2, "after", "resume"),
    ],
)
def test_kill_9_at_a_rename_then_restart(tmp_path, reference, pattern, nth, when, restart):
    spec_path, out = write(tmp_path, SPEC), tmp_path / "out"
    kill_at(pattern, nth, when, spec_path, out)
    spec = load_spec(spec_path)
    if restart == "fresh":  # without --resume: only a folder whose manifest never appeared may start afresh
        if (out / "manifest.json").exists():
            with pytest.raises(Exception, match="use --resume"):
                run_experiment(spec, out, progress=False, task_fn=flaky_task)
            return
        run_experiment(spec, out, progress=False, task_fn=flaky_task)
    else:
        run_experiment(spec, out, resume=True, progress=False, task_fn=flaky_task)
    assert_complete(out, reference[3])


@pytest.mark.parametrize("when", ["before", "after"])
def test_kill_9_while_an_extension_rewrites_the_manifest(tmp_path, reference, when):
    out = tmp_path / "out"
    run_experiment(load_spec(write(tmp_path, SPEC)), out, progress=False, task_fn=flaky_task)
    grown = write(tmp_path, SPEC.replace("replications = 3", "replications = 5"), "grown.toml")
    kill_at("manifest.json", 1, when, grown, out, resume=True)
    runs = len(read_manifest(out)["design"]["runs"])
    assert runs == (6 if when == "before" else 10)  # the old plan or the new one, never a mix
    run_experiment(load_spec(grown), out, resume=True, progress=False, task_fn=flaky_task)
    pd.testing.assert_frame_equal(load_results(out), reference[5])
    assert len(load_failures(out)) == 5


def test_kill_9_while_report_settings_change(tmp_path):
    out = tmp_path / "out"
    run_experiment(load_spec(write(tmp_path, SPEC)), out, progress=False, task_fn=flaky_task)
    changed = write(tmp_path, SPEC + '[report]\noutcomes = ["nps"]\n', "changed.toml")
    kill_at("manifest.json", 1, "before", changed, out, resume=True)
    assert read_manifest(out)["report"]["outcomes"] != ["nps"]
    run_experiment(load_spec(changed), out, resume=True, progress=False, task_fn=flaky_task)
    assert read_manifest(out)["report"]["outcomes"] == ["nps"]


# ---------------------------------------------------------------- workers and runners
def test_a_pool_worker_killed_mid_experiment_is_replaced_and_its_run_retried(tmp_path):
    text = SPEC.replace("replications = 3", "replications = 10").replace("steps = 3", "steps = 15")
    spec = load_spec(write(tmp_path, text))
    out = tmp_path / "out"
    killed: list[int] = []

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 60
        while len(list((out / "runs").glob("*.parquet"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        for child in psutil.Process().children(recursive=True):
            if (
                child.parent() is not None and child.parent().pid != os.getpid()
            ):  # a worker, not the forkserver
                child.kill()
                killed.append(child.pid)
                return

    killer = threading.Thread(target=kill_a_worker, daemon=True)
    killer.start()
    with ProcessExecutor(2) as executor:
        summary = run_experiment(spec, out, executor=executor, progress=False)
    killer.join(timeout=60)
    assert killed, "no worker was killed"
    assert (summary.finished, summary.failed) == (20, 0)
    table = load_results(out)
    assert table.run_id.nunique() == 20 and len(table) == 20 * 16


def test_a_second_runner_on_the_same_folder_is_refused(tmp_path):
    spec_path, out = write(tmp_path, SPEC), tmp_path / "out"
    from experiments.store import Store

    store, _ = Store.open(out, load_spec(spec_path), resume=False)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "run.py",
                "experiment",
                str(spec_path),
                "--out",
                str(out),
                "--resume",
                "--workers",
                "1",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        store.close()
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(f"error: another runner is writing to {out}")


# ---------------------------------------------------------------- damaged files
@pytest.fixture
def cli(monkeypatch, capsys):
    """``run.py`` in this process: ``cli(*args)`` -> (exit code, stderr)."""

    def call(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = cli_main(list(args))
        return code, capsys.readouterr().err

    return call


@pytest.fixture
def finished(tmp_path) -> tuple[Path, Path]:
    spec_path, out = write(tmp_path, SPEC), tmp_path / "out"
    run_experiment(load_spec(spec_path), out, progress=False, task_fn=flaky_task)
    return spec_path, out


def damage(out: Path, spec_path: Path, where: str) -> None:
    if where == "manifest garbage":
        (out / "manifest.json").write_bytes(b"\xff\xfe not json")
    elif where == "manifest truncated":
        text = (out / "manifest.json").read_text()
        (out / "manifest.json").write_text(text[: len(text) // 2])
    elif where == "manifest not an experiment":
        (out / "manifest.json").write_text("[1, 2, 3]")
    elif where == "failure record":
        (out / "failed" / "c1-r0.json").write_text('{"run_id": ')
    elif where == "run file truncated":
        path = out / "runs" / "c0-r1.parquet"
        path.write_bytes(path.read_bytes()[:100])
    elif where == "spec not UTF-8":
        spec_path.write_bytes(b"[experiment]\nname = '\xe9t\xe9'\n")
    elif where == "spec nested too deeply":
        spec_path.write_text("[experiment]\nname = 'x'\nseed = " + "[" * 5000 + "]" * 5000 + "\n")
    elif where == "spec name escapes":
        spec_path.write_text(SPEC.replace('name = "faults"', 'name = "../.."'))
    elif where == "report is a file":
        (out / "report").write_text("not a folder")


@pytest.mark.parametrize(
    ("where", "command", "message"),
    [
        ("manifest garbage", "report", "manifest.json is damaged"),
        ("manifest truncated", "resume", "manifest.json is damaged"),
        ("manifest not an experiment", "report", "is not an experiment manifest"),
        ("failure record", "report", "c1-r0.json is damaged; delete it"),
        ("run file truncated", "report", "c0-r1.parquet is damaged"),
        ("spec not UTF-8", "resume", "spec.toml: not UTF-8 text"),
        ("spec nested too deeply", "resume", "nested too deeply"),
        ("spec name escapes", "new", "experiment.name must be a plain name"),
        ("report is a file", "report", "cannot write the report in"),
    ],
)
def test_a_damaged_file_is_one_line_with_exit_code_2(finished, cli, where, command, message):
    spec_path, out = finished
    damage(out, spec_path, where)
    args = {
        "report": ["report", str(out)],
        "resume": ["experiment", str(spec_path), "--out", str(out), "--resume", "--workers", "1"],
        "new": ["experiment", str(spec_path), "--workers", "1"],
    }[command]
    code, err = cli(*args)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err


def test_a_truncated_run_file_is_redone_by_resume(finished, reference):
    spec_path, out = finished
    damage(out, spec_path, "run file truncated")
    with pytest.warns(UserWarning, match=r"c0-r1.parquet is damaged .*; moved to"):
        summary = run_experiment(load_spec(spec_path), out, resume=True, progress=False, task_fn=flaky_task)
    assert summary.finished == 1
    pd.testing.assert_frame_equal(load_results(out), reference[3])


def test_strays_and_copies_are_reported_and_ignored(finished, reference, cli):
    spec_path, out = finished
    runs = out / "runs"
    shutil.copy(runs / "c0-r0.parquet", runs / "c0-r0 (copy).parquet")
    other = write(spec_path.parent, SPEC.replace("seed = 21", "seed = 22"), "other.toml")
    run_experiment(load_spec(other), spec_path.parent / "other", progress=False, task_fn=flaky_task)
    shutil.copy(
        spec_path.parent / "other" / "runs" / "c0-r2.parquet", runs / "c0-r2.parquet"
    )  # a foreign run
    (runs / "notes.txt").write_text("mine")
    with pytest.warns(UserWarning) as caught:
        table = load_results(out)
    texts = " ".join(str(w.message) for w in caught)
    assert "c0-r0 (copy).parquet is not a run of this experiment" in texts
    assert "c0-r2.parquet does not belong to this experiment" in texts and "notes.txt" in texts
    assert sorted(table.run_id.unique()) == [
        "c0-r0",
        "c0-r1",
    ]  # the foreign run is not counted, the copy once
    code, err = cli("report", str(out))
    assert code == 0 and err.count("warning: ") == 3
    with pytest.warns(UserWarning, match="moved to"):
        run_experiment(load_spec(spec_path), out, resume=True, progress=False, task_fn=flaky_task)
    assert (out / "strays" / "c0-r2.parquet").is_file() and (out / "strays" / "notes.txt").is_file()
    pd.testing.assert_frame_equal(load_results(out), reference[3])


def test_a_spec_name_cannot_write_outside_the_results_folder(tmp_path):
    from experiments import SpecError

    for name in ("../..", "/etc/evil", "a/b", ".hidden", ""):
        with pytest.raises(SpecError, match="experiment.name must be a plain name"):
            load_spec(write(tmp_path, SPEC.replace('name = "faults"', f"name = {name!r}")))


# ---------------------------------------------------------------- a full disk
@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 256 KiB tmpfs (needs root and a kernel that lets this sandbox mount one)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a full-disk test mounts a small tmpfs, which needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_stops_with_one_line_and_resume_completes(small_disk, tmp_path, cli):
    text = SPEC.replace("replications = 3", "replications = 12").replace(
        'metrics = ["nps", "culture_mean", "cumulative_profit"]\n', ""
    )  # every metric: run files of some tens of KB
    spec_path, out = write(tmp_path, text), small_disk / "out"
    code, err = cli("experiment", str(spec_path), "--out", str(out), "--workers", "1")
    assert (
        code == 2 and "less than the estimate; make room, or add --yes" in err
    )  # the estimate sees it coming
    code, err = cli("experiment", str(spec_path), "--out", str(out), "--workers", "1", "--yes")
    assert code == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot write to {out}: No space left on device;") and "--resume" in last
    saved = len(list((out / "runs").glob("*.parquet")))
    assert 0 < saved < 24 and f"{saved} of 24 runs are saved" in last
    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    code, err = cli("experiment", str(spec_path), "--out", str(out), "--resume", "--workers", "1")
    assert code == 0, err
    table = load_results(out)
    assert table.run_id.nunique() == 24 and not [p for p in out.rglob("*.tmp")]
    fresh = tmp_path / "fresh"
    run_experiment(load_spec(spec_path), fresh, progress=False)
    pd.testing.assert_frame_equal(table, load_results(fresh))
